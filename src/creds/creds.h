/* SPDX-License-Identifier: MIT */
/* Credentials in carved values: HTTP request/response heads, header lines and header
 * values (Authorization, Proxy-Authorization: Basic and Bearer; Cookie, Set-Cookie), URL
 * userinfo, and values that are exactly base64(user:password). Fed one value at a time;
 * identical credentials are merged in a bounded table. Pure library code: no I/O except
 * crvi_creds_write(), which hands the records to a writer.
 *
 * Every value is untrusted: at most CRV_CREDS_MAX_SCAN bytes of one are examined, fields
 * are capped (CRV_CREDS_MAX_FIELD, CRV_CREDS_MAX_CONTEXT), and the table holds at most
 * CRV_CREDS_MAX_ENTRIES credentials and CRV_CREDS_MAX_BYTES of strings (see
 * src/util/limits.h); what does not fit is counted, never an error. */
#ifndef CARVER_CREDS_H
#define CARVER_CREDS_H
#include <stddef.h>
#include <stdint.h>
#include "carver/credential.h"
#include "carver/error.h"
#include "carver/object.h"
#include "out/writer.h"

struct crv_creds;

/* Compiles the patterns (JIT when pcre2 has it). The caller owns *out and releases it with
 * crvi_creds_free. Returns CRV_ERR_REGEX (a pattern did not compile) or CRV_ERR_NOMEM. */
crv_err crvi_creds_open(struct crv_creds **out);
/* Accepts NULL. */
void crvi_creds_free(struct crv_creds *c);

/* Where a value came from. */
struct crv_cred_origin {
  uint64_t addr; /* address of the object */
  int status;    /* enum crv_status */
};

/* Examines one value: UTF-8 (a text object's value) or raw bytes (bytes, 2.7 str). The
 * bytes are only read during the call. Returns the number of credential occurrences found
 * in it (0 when none), or a negative crv_err (only CRV_ERR_NOMEM). */
int crvi_creds_feed_value(struct crv_creds *c, const uint8_t *p, size_t n,
                          const struct crv_cred_origin *origin);
/* Examines a carved object (the scanner's on_object callback): text values are converted
 * to UTF-8 first. Same result as crvi_creds_feed_value. */
int crvi_creds_feed_object(struct crv_creds *c, const crv_object *o);

/* Sorts the credentials (highest confidence first, then scheme, user, secret) so that the
 * order never depends on the order objects were fed in. Feeding again is allowed. */
void crvi_creds_finish(struct crv_creds *c);
size_t crvi_creds_count(const struct crv_creds *c);
/* Fills *out with credential i (< count); its pointers are borrowed from c and stay valid
 * until the next feed, finish or free. Returns CRV_ERR_INVALID_ARG when i is out of range. */
crv_err crvi_creds_get(const struct crv_creds *c, size_t i, crv_credential *out);

struct crv_creds_stats {
  uint64_t values;        /* values examined */
  uint64_t truncated;     /* values longer than CRV_CREDS_MAX_SCAN (only the start examined) */
  uint64_t occurrences;   /* credential occurrences found */
  uint64_t rejected;      /* candidates that failed validation (base64 of binary data, ...) */
  uint64_t dropped;       /* occurrences lost because the table was full */
  uint64_t over_cap;      /* fields longer than CRV_CREDS_MAX_FIELD, skipped */
  uint64_t match_errors;  /* pcre2 errors (match limit hit) */
};
void crvi_creds_stats(const struct crv_creds *c, struct crv_creds_stats *out);

/* Writes every credential with min_confidence or more through w (crvi_writer_credential),
 * in the crvi_creds_finish order (call it first). *written (may be NULL) gets the number of
 * records. Returns the first writer error. */
crv_err crvi_creds_write(const struct crv_creds *c, struct crv_writer *w, int min_confidence,
                         uint64_t *written);

/* Parses "low", "medium" or "high"; -1 when s is none of them. */
int crvi_cred_confidence_parse(const char *s);

/* ---- helpers exposed for the unit tests ------------------------------------------------ */

/* Decodes standard base64 (RFC 4648 alphabet, padding optional, '=' only at the end) of
 * s[0..n) into out (room for n * 3 / 4 + 3 bytes). Returns the decoded length, or -1 for
 * anything that is not base64 (wrong characters, a length of 4k+1, bad padding). */
long crvi_creds_base64_decode(const char *s, size_t n, uint8_t *out);

#endif
