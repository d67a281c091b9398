/* SPDX-License-Identifier: MIT */
/* Pattern search over process memory with PCRE2: regular expressions over carved values
 * (decoded text) and over raw memory, and hex byte sequences with wildcards. Patterns are
 * compiled once (JIT when the library has it); raw memory is searched in chunks whose
 * results never depend on the chunk size (see crvi_search_stream). pcre2 stays inside
 * src/search: callers see only this header. */
#ifndef CARVER_SEARCH_H
#define CARVER_SEARCH_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "carver/error.h"

struct crvi_search; /* opaque: a set of compiled patterns plus match state */

enum crvi_pat_kind {
  CRVI_PAT_REGEX = 0, /* PCRE2 syntax */
  CRVI_PAT_HEX = 1,   /* "48 8b ?? 30", nibble wildcards "4?", jumps "[2-4]", "( a | b )" */
};

#define CRVI_SEARCH_CASELESS 1u /* -i: regular expressions ignore case (never hex patterns) */
#define CRVI_SEARCH_NO_JIT 2u   /* use the interpreter even when JIT is available */
#define CRVI_SEARCH_NO_TEXT 4u  /* compile only the byte-mode program (raw memory only) */

/* Creates an empty pattern set. The caller owns *out (crvi_search_destroy). */
crv_err crvi_search_create(struct crvi_search **out, unsigned flags);
void crvi_search_destroy(struct crvi_search *s); /* accepts NULL */

/* Compiles pattern (len bytes, NUL-terminated or not) and appends it. Each regular
 * expression is compiled twice: in UTF mode with Unicode properties, for text values (str,
 * unicode), and in byte mode, for binary values and raw memory. A pattern that exists only
 * in UTF mode (\x{400}) searches binary values as UTF-8. Returns CRV_ERR_REGEX
 * (bad syntax, lookbehind longer than CRV_GREP_MAX_LOOKBEHIND) or CRV_ERR_LIMIT (more than
 * CRV_MAX_PATTERNS); crvi_search_errmsg() then says why. */
crv_err crvi_search_add(struct crvi_search *s, const char *pattern, size_t len,
                        enum crvi_pat_kind kind);
size_t crvi_search_count(const struct crvi_search *s);
/* The pattern as given (borrowed, NUL-terminated). */
const char *crvi_search_pattern(const struct crvi_search *s, size_t i);
/* 1 when the patterns run JIT-compiled. */
int crvi_search_jit(const struct crvi_search *s);
/* Detail of the last error; borrowed, valid until the next call on s. */
const char *crvi_search_errmsg(const struct crvi_search *s);

/* Converts a hex pattern to PCRE2 byte-mode syntax. Returns 0, or -1 with err set. */
int crvi_hex_to_regex(const char *hex, size_t len, char *out, size_t cap, char *err,
                      size_t errcap);

/* A match [start, end) in a value (byte offsets into the subject). Non-zero stops. */
typedef int (*crvi_span_fn)(void *user, size_t pat, size_t start, size_t end);

/* Reports every non-empty match of pattern pat in subj[0..len), leftmost first, each
 * search resuming where the previous match ended (grep -o). text: subj is UTF-8 (WTF-8
 * surrogates and other invalid sequences never match) and the UTF-mode program is used;
 * otherwise subj is bytes. Returns CRV_OK, CRV_ERR_ABORTED when fn stopped, or
 * CRV_ERR_LIMIT when the match limit was hit (what was found until then is reported). */
crv_err crvi_search_value(struct crvi_search *s, size_t pat, const uint8_t *subj, size_t len,
                          int text, crvi_span_fn fn, void *user);

/* A filter on names (mapping paths, signature names): one regular expression, byte mode.
 * *out is created first (NULL only when out of memory), so after an error
 * crvi_search_errmsg(*out) says why; the caller owns it either way. */
crv_err crvi_search_filter(struct crvi_search **out, const char *regex);
/* 1 when the filter's regular expression matches a non-empty part of name. */
int crvi_search_filter_match(struct crvi_search *f, const char *name);

/* Reads up to len bytes at addr; returns how many were read. */
typedef size_t (*crvi_read_fn)(void *user, uint64_t addr, void *buf, size_t len);
/* A raw match: pattern pat at [addr, addr + len). Non-zero stops the search. */
typedef int (*crvi_hit_fn)(void *user, size_t pat, uint64_t addr, uint64_t len);

struct crvi_stream {
  uint64_t start, end;      /* the bytes to search: [start, end) */
  size_t chunk;             /* bytes per step (>= CRV_MIN_CHUNK) */
  size_t max_match;         /* matches up to this long are exact whatever the chunk size */
  crvi_read_fn read;
  void *read_user;
  crvi_hit_fn hit;
  void *hit_user;
  const volatile sig_atomic_t *stop; /* may be NULL */
};

struct crvi_stream_stats {
  uint64_t bytes;     /* bytes searched */
  uint64_t matches;   /* hits reported */
  uint64_t truncated; /* matches cut at max_match (the true match may be longer) */
  uint64_t errors;    /* searches abandoned at the PCRE2 match limit */
  uint64_t holes;     /* reads that came back short: the rest of the range was skipped */
};

/* Searches [start, end) with every pattern (byte-mode programs), chunk by chunk, and
 * calls hit for every non-empty match, in address order (pattern order at one address),
 * non-overlapping per pattern (grep -o), each reported exactly once. The result equals a
 * search of the whole range at once for every match no longer than max_match; a longer
 * one is cut there (counted in truncated). Lookbehind reads before a chunk, so \b, ^ and
 * lookbehind assertions see the same bytes at every chunk size. stats are added to.
 * Returns CRV_OK, CRV_ERR_ABORTED (hit returned non-zero, or *stop became non-zero),
 * CRV_ERR_NOMEM. */
crv_err crvi_search_stream(struct crvi_search *s, const struct crvi_stream *st,
                           struct crvi_stream_stats *stats);
#endif
