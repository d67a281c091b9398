/* SPDX-License-Identifier: MIT */
/* Looking at one record of a findings stream: key lookup, the fields triage uses, and the
 * record filters (--record --type --status --region --grep --min-length --max-length).
 * Records are msgpack maps from crvi_trd_next; every field may be missing or of another
 * type than the schema says (forward compatibility, hostile input): absent or mistyped
 * fields read as absent, never as an error. */
#ifndef CARVER_TRIAGE_RECORD_H
#define CARVER_TRIAGE_RECORD_H
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>
#include "carver/error.h"

/* Borrowed bytes, not NUL-terminated. p == NULL: absent. */
struct crvi_bytes {
  const uint8_t *p;
  size_t n;
};

enum crvi_rkind {
  CRVI_REC_META = 0,
  CRVI_REC_OBJECT = 1,
  CRVI_REC_SUMMARY = 2,
  CRVI_REC_CREDENTIAL = 3,
  CRVI_REC_OTHER = 4 /* any other record type, or no "record" key: passed through */
};

/* Indexes for per-status counters. */
enum { CRVI_ST_LIVE = 0, CRVI_ST_FREED = 1, CRVI_ST_OTHER = 2, CRVI_ST_COUNT = 3 };

struct crvi_rec {
  const msgpack_object *map;
  int kind;                 /* enum crvi_rkind */
  struct crvi_bytes rtype;  /* value of "record" ({"", 0} when missing or not a str) */
  int has_addr;
  uint64_t addr;
  struct crvi_bytes type, status, region; /* str fields */
  int has_length;
  uint64_t length;
  const msgpack_object *value; /* "value" when a str or bin, else NULL */
  int value_is_text;           /* 1: msgpack str (UTF-8, WTF-8 for lone surrogates) */
};

/* Fills r from a record map. */
void crvi_rec_view(struct crvi_rec *r, const msgpack_object *map);
/* The value of the first key equal to key (a str key), or NULL. */
const msgpack_object *crvi_mp_get(const msgpack_object *map, const char *key);
/* 1 and *out when o is a str. */
int crvi_mp_str(const msgpack_object *o, struct crvi_bytes *out);
/* 1 and *out when o is a str or bin; *is_text says which (may be NULL). */
int crvi_mp_blob(const msgpack_object *o, struct crvi_bytes *out, int *is_text);
/* 1 and *v when o is an integer >= 0. */
int crvi_mp_u64(const msgpack_object *o, uint64_t *v);
/* 1 when b equals the NUL-terminated s. */
int crvi_bytes_eq(struct crvi_bytes b, const char *s);
/* CRVI_ST_LIVE / _FREED / _OTHER. */
int crvi_status_index(struct crvi_bytes status);

/* ---- filters ----------------------------------------------------------------------------- */

#define CRVI_FILTER_MAX_ITEMS 32

struct crvi_strlist {
  struct crvi_bytes items[CRVI_FILTER_MAX_ITEMS];
  size_t n;
  char *owned[CRVI_FILTER_MAX_ITEMS]; /* copies of the option arguments */
  size_t n_owned;
};

struct crvi_filter {
  struct crvi_strlist records, types, statuses;
  char *region;             /* substring of "region" */
  int has_min, has_max;
  uint64_t min_len, max_len; /* of "length" */
  void *re;                 /* pcre2_code_8 */
  void *md;                 /* pcre2_match_data_8 */
  uint64_t match_errors;    /* pcre2 errors (match limit): counted as no match */
  int active;               /* any filter set */
};

void crvi_filter_init(struct crvi_filter *f);
void crvi_filter_free(struct crvi_filter *f);
enum crvi_filter_list { CRVI_FL_RECORD, CRVI_FL_TYPE, CRVI_FL_STATUS };
/* Adds the comma-separated names of arg to a list. CRV_ERR_LIMIT past
 * CRVI_FILTER_MAX_ITEMS names, CRV_ERR_INVALID_ARG for an empty name. */
crv_err crvi_filter_add_list(struct crvi_filter *f, enum crvi_filter_list which, const char *arg);
crv_err crvi_filter_set_region(struct crvi_filter *f, const char *sub);
void crvi_filter_set_length(struct crvi_filter *f, int has_min, uint64_t min, int has_max,
                            uint64_t max);
/* Compiles the --grep pattern (UTF-8; invalid UTF-8 in values never matches a character).
 * CRV_ERR_REGEX with the reason in msg. */
crv_err crvi_filter_set_regex(struct crvi_filter *f, const char *pattern, int caseless, char *msg,
                              size_t msg_len);
/* 1 when the record passes every filter. Meta and summary records are not data: callers
 * decide about them (they always pass here). */
int crvi_filter_match(struct crvi_filter *f, const struct crvi_rec *r);
/* 1 when the regex (if any) matches b; 1 when no regex is set. */
int crvi_filter_grep(struct crvi_filter *f, struct crvi_bytes b);

#endif
