/* SPDX-License-Identifier: MIT */
/* Code signatures: instruction sequences with operand patterns and wildcards, parsed from
 * the text format documented in signatures/README.md, and matched against decoded
 * instructions. Parsing resolves mnemonics and registers to the disassembler's ids once. */
#ifndef CARVER_SIG_H
#define CARVER_SIG_H
#include <stddef.h>
#include <stdint.h>
#include "carver/error.h"
#include "disasm/disasm.h"
#include "util/limits.h"

#define CRVI_SIG_MAX_VARS 16  /* register variables, and separately numeric variables */
#define CRVI_SIG_MAX_FACTS 16
#define CRVI_SIG_MAX_SYMBOLS 16
#define CRVI_SIG_NO_INSN ((size_t)-1)

struct crvi_sigset; /* opaque */

/* What a signature says about itself (borrowed from the set). */
struct crvi_sig_info {
  const char *name, *description, *severity; /* severity: "info" unless given */
  const char *file;      /* where it was read ("<built-in>" for embedded text) */
  unsigned line;         /* of its "signature" line */
  unsigned arch_mask;    /* CRVI_ARCH_MASK(CRVI_ARCH_X86_64) | ... */
  const char *library;   /* the library regex as written, or NULL */
  const char *const *symbols;
  size_t n_symbols;
  unsigned window;       /* with symbols: instructions after the symbol a match may start at */
  size_t n_lines;        /* code lines (instructions and gaps) */
  const unsigned *line_no; /* source line of each code line */
  const char *const *reg_var, *const *num_var; /* variable names, without % or $ */
  size_t n_reg_vars, n_num_vars;
  size_t n_facts;
  const char *const *fact_key;
  const char *const *references;
  size_t n_references;
};

crv_err crvi_sigset_create(struct crvi_sigset **out);
void crvi_sigset_destroy(struct crvi_sigset *s); /* accepts NULL */
/* Parses signatures from text (origin names it in messages) and appends them. On a syntax
 * error nothing is appended; returns CRV_ERR_FORMAT (or CRV_ERR_LIMIT past the caps in
 * util/limits.h) and crvi_sigset_errmsg says "origin:line: why". */
crv_err crvi_sigset_parse(struct crvi_sigset *s, const char *origin, const char *text,
                          size_t len);
/* A signature file (at most CRV_SIG_MAX_FILE bytes), or every *.sig file of a directory in
 * name order. CRV_ERR_OPEN when unreadable. */
crv_err crvi_sigset_load(struct crvi_sigset *s, const char *path);
const char *crvi_sigset_errmsg(const struct crvi_sigset *s);
size_t crvi_sigset_count(const struct crvi_sigset *s);
const struct crvi_sig_info *crvi_sigset_info(const struct crvi_sigset *s, size_t i);
/* 1 when the signature's library regex matches path (always 1 without a regex). */
int crvi_sig_library_ok(const struct crvi_sigset *s, size_t i, const char *path);
/* The most instructions a match of signature i can span. */
size_t crvi_sig_span(const struct crvi_sigset *s, size_t i);
/* Whether an instruction with this id can start a match of signature i (a quick filter). */
int crvi_sig_can_start(const struct crvi_sigset *s, size_t i, unsigned insn_id);

struct crvi_sig_match {
  size_t first, count;                    /* the instructions matched: [first, first+count) */
  size_t line_insn[CRV_SIG_MAX_LINES];    /* instruction of each code line; gaps: NO_INSN */
  int64_t num[CRVI_SIG_MAX_VARS];         /* numeric variables */
  uint16_t reg[CRVI_SIG_MAX_VARS];        /* register variables: the register seen first */
  int64_t fact[CRVI_SIG_MAX_FACTS];       /* facts, in crvi_sig_info.fact_key order */
};

/* Whether signature i matches insns[start..n) starting exactly at start (d: the
 * disassembler that decoded them, for register facts). Fills *m when it does. */
int crvi_sig_match_at(const struct crvi_sigset *s, size_t i, const struct crvi_disasm *d,
                      const struct crvi_insn *insns, size_t n, size_t start,
                      struct crvi_sig_match *m);
#endif
