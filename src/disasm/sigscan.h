/* SPDX-License-Identifier: MIT */
/* Running code signatures over the executable mappings of an address space (a live
 * process, a core, dump files with their maps): a linear sweep of every executable mapping
 * for plain signatures, and a decode from the symbol for signatures anchored to exported
 * functions. Code missing from the memory (cores rarely hold text) can be read from the
 * mapped file when it provably is the same file. */
#ifndef CARVER_SIGSCAN_H
#define CARVER_SIGSCAN_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "carver/error.h"
#include "disasm/disasm.h"
#include "disasm/sig.h"
#include "source/space.h"

struct crvi_sig_insn_view {
  uint64_t addr;
  uint8_t size;
  uint8_t bytes[16];
  unsigned line;   /* source line of the pattern line it matched; 0 inside a gap */
  char text[112];  /* Intel syntax */
};

struct crvi_sig_hit {
  size_t sig;                         /* index in the set */
  const struct crvi_sig_info *info;
  enum crvi_arch arch;
  uint64_t addr;                      /* the first matched instruction */
  const char *mapping;                /* mapping path, or the region's name */
  uint64_t map_start, map_end;        /* the mapping */
  uint64_t file_offset;               /* addr's offset in the mapped file (mappings with a file) */
  int has_file_offset;
  const char *symbol;                 /* the anchor, or NULL */
  uint64_t symbol_addr;
  const char *code_source;            /* "memory" or "file" */
  const struct crvi_sig_insn_view *insns;
  size_t n_insns;
  const struct crvi_sig_match *m;     /* variables and facts */
  const char *const *reg_names;       /* register variables as matched (n_reg_vars) */
};

/* Non-zero stops the scan. */
typedef int (*crvi_sig_hit_fn)(void *user, const struct crvi_sig_hit *h);

struct crvi_sig_scan {
  struct crv_space *space;
  const struct crvi_sigset *set;
  const unsigned char *skip;  /* optional: skip[i] != 0 leaves signature i out */
  int code_from_files;        /* read code missing from the memory from its file */
  const volatile sig_atomic_t *stop;
  crvi_sig_hit_fn hit;
  void *user;
  void (*warn)(void *user, const char *msg); /* optional */
  void *warn_user;
};

struct crvi_sig_stats {
  uint64_t mappings;          /* executable mappings disassembled */
  uint64_t bytes;             /* code bytes decoded in sweeps */
  uint64_t insns;             /* instructions decoded */
  uint64_t hits;
  uint64_t capped;            /* hits dropped past CRV_SIG_MAX_HITS per signature and mapping */
  uint64_t symbols;           /* anchor symbols found */
  uint64_t symbols_missing;   /* anchored signatures none of whose symbols was found */
  uint64_t from_file;         /* mappings whose code came from the file */
  uint64_t pages_from_file;   /* code pages that read as zeros, read from the file instead */
  uint64_t no_code;           /* executable mappings with no bytes at all */
};

/* Runs the set. Returns CRV_OK, CRV_ERR_ABORTED (stop, or hit returned non-zero),
 * CRV_ERR_NOMEM, CRV_ERR_UNSUPPORTED (capstone could not be opened). */
crv_err crvi_sig_scan_run(const struct crvi_sig_scan *c, struct crvi_sig_stats *st);

/* The process's architecture: from the interpreter's ELF class (hints), an ELF header in
 * the memory, else x86-64 when any region lies above 4 GiB. */
enum crvi_arch crvi_sig_space_arch(struct crv_space *s);
#endif
