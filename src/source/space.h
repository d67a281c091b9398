/* SPDX-License-Identifier: MIT */
/* An address space assembled from dump files: regions sorted by address, each backed by
 * a file (bytes past the end of the file are a hole). Reads are bounded and never trust
 * the input: a region is what its file and name say, nothing more. */
#ifndef CARVER_SPACE_H
#define CARVER_SPACE_H
#include <stdint.h>
#include <stddef.h>
#include "carver/error.h"
#include "maps_parse.h"

struct crv_region {
  uint64_t start, end;  /* [start, end) in the target */
  char *file;           /* dump file path (owned) */
  char *name;           /* display name: mapping path when known, else the file's base name */
  char *path;           /* mapping path from --maps, NULL when unknown (owned) */
  uint64_t file_offset; /* where start lives in the file */
  uint64_t present;     /* bytes available in the file from file_offset; the rest is a hole */
  unsigned prot;        /* CRV_PROT_* or CRV_PROT_UNKNOWN */
  int fd;               /* opened on demand, -1 when closed */
};

/* What a source learned from outside the dumped memory: the interpreter's ELF .dynsym
 * (live processes, cores whose interpreter file is present) and the process environment.
 * Zeroed by crvi_space_init; filled by sources that can. */
struct crv_hints {
  int have_types;                  /* type addresses below come from .dynsym */
  uint64_t type_type, text_type, bytes_type; /* PyType_Type, PyUnicode_Type, PyBytes_Type
                                              (2.7: PyString_Type as bytes) */
  int have_key;                    /* hash_secret holds _Py_HashSecret as read */
  uint8_t hash_secret[24];
  int have_seed;                   /* PYTHONHASHSEED from /proc/PID/environ */
  uint32_t seed;
  int seed_random;                 /* PYTHONHASHSEED=random or unset */
  char version[16];                /* "3.11" from the interpreter file name, or "" */
  char interpreter[256];           /* path of the ELF file the symbols came from */
};

struct crv_space {
  struct crv_region *r;
  size_t n, cap;
  int64_t pid;        /* -1 when unknown */
  int maps_applied;
  struct crv_hints hints;
  unsigned open_fds;
  char errmsg[512];   /* detail of the last error */
  void (*warn)(void *user, const char *msg); /* optional warning sink */
  void *warn_user;
};

void crvi_space_init(struct crv_space *s);
void crvi_space_free(struct crv_space *s);
/* A dump file. have_base: the file's start address is base (plain file); otherwise the
 * name must be a Volatility dump name. */
crv_err crvi_space_add_file(struct crv_space *s, const char *path, int have_base, uint64_t base);
/* Every Volatility-named dump file in a directory; other files are skipped with a warning.
 * *maps_out receives DIR/maps when such a file exists (caller frees), else NULL. */
crv_err crvi_space_add_dir(struct crv_space *s, const char *dir, char **maps_out);
/* Sort, reject overlaps. Call once after all files are added. */
crv_err crvi_space_finish(struct crv_space *s);
/* Name regions and set permissions from a copy of /proc/PID/maps. */
crv_err crvi_space_apply_maps(struct crv_space *s, const char *maps_path);

/* The region containing addr, or NULL. */
const struct crv_region *crvi_space_find(const struct crv_space *s, uint64_t addr);
/* Index of the region containing addr, or s->n. */
size_t crvi_space_index(const struct crv_space *s, uint64_t addr);
/* Read up to len bytes at addr, continuing into an adjacent region when regions touch.
 * Returns the number of bytes read; fewer than len means a hole or the end of memory. */
size_t crvi_space_read(struct crv_space *s, uint64_t addr, void *buf, size_t len);
/* Bytes of the address space that are backed by data. */
uint64_t crvi_space_total(const struct crv_space *s);
#endif
