/* SPDX-License-Identifier: MIT */
/* grep over carved objects: a value is searched as text when it is text (str, unicode:
 * every kind converted to UTF-8, so UCS-2 and UCS-4 strings match like latin-1 ones) and
 * as bytes otherwise (bytes, Python 2 str). */
#ifndef CARVER_GREP_H
#define CARVER_GREP_H
#include <stddef.h>
#include <stdint.h>
#include "carver/error.h"
#include "carver/object.h"
#include "out/textenc.h"
#include "search/search.h"

struct crvi_value_match {
  size_t pat;              /* pattern index */
  int text;                /* subj is UTF-8 (WTF-8 for lone surrogates); else bytes */
  const uint8_t *subj;     /* the whole searched value (borrowed, valid in the callback) */
  size_t subj_len;
  size_t ms, me;           /* the match: subj[ms..me) */
  uint64_t offset, length; /* where and how long in the value: code points for text,
                              bytes for binary */
};

/* Non-zero stops. */
typedef int (*crvi_value_match_fn)(void *user, const crv_object *o,
                                   const struct crvi_value_match *m);

/* Searches o's value with every pattern of s; matches of one pattern come in order, the
 * patterns one after another. scratch holds the UTF-8 subject (its cap must allow twice
 * the largest value). Returns CRV_OK, CRV_ERR_ABORTED (fn stopped), CRV_ERR_LIMIT (the
 * subject did not fit, or a pattern hit the match limit on this value: *limited counts
 * those), CRV_ERR_INVALID_ARG for an object without a describable value. */
crv_err crvi_grep_object(struct crvi_search *s, crvi_buf *scratch, const crv_object *o,
                         crvi_value_match_fn fn, void *user, uint64_t *limited);

/* Code points in the UTF-8/WTF-8 bytes s[0..n) (bytes that are no continuation byte). */
uint64_t crvi_utf8_count(const uint8_t *s, size_t n);
#endif
