/* SPDX-License-Identifier: MIT */
/* A counting table with a hard cap on distinct keys, for the triage summaries.
 *
 * Up to `cap` distinct keys are counted exactly. Past that, the Space-Saving rule applies
 * (Metwally, Agrawal, El Abbadi 2005): a new key replaces the least-counted one and
 * inherits its count as an error bound, so the most frequent keys stay in the table and
 * every count is an upper bound, at most `err` above the truth. Entries with err == 0 are
 * exact. Keys are compared by a 64-bit SipHash, their length and their first `keep` bytes
 * (kept for display); memory is about cap * (keep + 120) bytes. */
#ifndef CARVER_TRIAGE_TOPN_H
#define CARVER_TRIAGE_TOPN_H
#include <stddef.h>
#include <stdint.h>
#include "carver/error.h"

#define CRVI_TOPN_SUBS 3 /* per-status sub-counts (triage/record.h CRVI_ST_*) */

struct crvi_topn_ent {
  uint64_t h;           /* hash of the whole key */
  uint64_t keylen;      /* bytes of the whole key */
  unsigned kind;        /* part of the key (crvi_topn_add_kind) */
  uint8_t *text;        /* the first min(keylen, keep) bytes of the key, NUL-terminated */
  size_t textlen;
  uint64_t count;       /* occurrences (an upper bound when err > 0) */
  uint64_t err;         /* count inherited from an evicted key: count - err <= truth */
  uint64_t sub[CRVI_TOPN_SUBS]; /* counts split by the caller (by status), exact only
                                   when err == 0 */
  uint64_t addr;        /* caller's: an address where the key was first seen */
  int has_addr;
  int is_text;          /* caller's: the key is UTF-8 text (1) or bytes (0) */
  uint64_t aux;         /* caller's: e.g. a length in characters */
  uint8_t *extra;       /* caller's: owned display text set with crvi_topn_set_extra */
  size_t extralen;
  size_t heap_pos;      /* internal */
};

struct crvi_topn {
  size_t cap, keep, n;
  struct crvi_topn_ent *ents;
  size_t *heap;         /* min-heap of entry indexes by count */
  uint32_t *slots;      /* open addressing: entry index + 1, 0 = empty */
  size_t mask;
  uint64_t total;       /* sum of all increments */
  uint64_t evictions;   /* 0: every count is exact */
};

/* cap >= 1 distinct keys, keep bytes of each kept for display. */
crv_err crvi_topn_init(struct crvi_topn *t, size_t cap, size_t keep);
void crvi_topn_free(struct crvi_topn *t);
/* Counts key[0..n) inc more times. Returns its entry (valid until the next add), *is_new
 * (may be NULL) set when the entry was created or took over an evicted one (its caller
 * fields are then reset); NULL only when out of memory. */
struct crvi_topn_ent *crvi_topn_add(struct crvi_topn *t, const void *key, size_t n, uint64_t inc,
                                    int *is_new);
/* The same, with a small kind that is part of the key (e.g. text 1 vs bytes 0: equal bytes
 * of different kinds are different keys). */
struct crvi_topn_ent *crvi_topn_add_kind(struct crvi_topn *t, const void *key, size_t n,
                                         unsigned kind, uint64_t inc, int *is_new);
/* Replaces an entry's extra text with a copy of the first min(n, keep) bytes of p. */
crv_err crvi_topn_set_extra(struct crvi_topn *t, struct crvi_topn_ent *e, const void *p, size_t n);
/* Every entry, most counted first (ties: shorter key bytes first, then bytewise), in a
 * malloc'ed array the caller frees; *n_out entries. NULL with *n_out == 0 when empty or out
 * of memory. */
const struct crvi_topn_ent **crvi_topn_sorted(const struct crvi_topn *t, size_t *n_out);

/* SipHash-1-3 of p[0..n) with triage's fixed key (deterministic output across runs). */
uint64_t crvi_topn_hash(const void *p, size_t n);
#endif
