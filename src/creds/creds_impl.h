/* SPDX-License-Identifier: MIT */
/* Inside the credentials module: the state shared by detect.c (patterns, validation) and
 * table.c (merging, order, output). Not a public header. */
#ifndef CARVER_CREDS_IMPL_H
#define CARVER_CREDS_IMPL_H
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "creds/creds.h"
#include "out/textenc.h"

/* The patterns, one table in detect.c. */
enum cred_pattern {
  PAT_AUTH_LINE,   /* (Proxy-)Authorization: Basic|Bearer TOKEN, at a line start */
  PAT_COOKIE_LINE, /* Cookie: / Set-Cookie: ..., at a line start */
  PAT_AUTH_VALUE,  /* the whole value is "Basic TOKEN" or "Bearer TOKEN" */
  PAT_URL,         /* scheme://user:password@host... */
  PAT_BASE64,      /* the whole value is base64 */
  PAT_REQUEST,     /* a request line: METHOD TARGET HTTP/x.y */
  PAT_STATUS,      /* a status line: HTTP/x.y NNN reason */
  PAT_HOST,        /* Host: header */
  PAT_COUNT
};

/* One occurrence found in a value, before merging. Pointers are into the value or the
 * detector's scratch buffers; lengths are in bytes (UTF-8). */
struct cred_hit {
  int scheme, confidence, found_as;
  const char *header; /* static string or NULL */
  const uint8_t *user;
  size_t user_len;
  int has_user;
  const uint8_t *secret;
  size_t secret_len;
  const uint8_t *request, *response, *host, *url;
  size_t request_len, response_len, host_len, url_len;
};

struct cred_entry {
  int scheme, confidence, found_as, status;
  const char *header;
  char *user; /* NULL when the credential has none */
  char *secret;
  char *request, *response, *host, *url;
  uint32_t hash;
  uint64_t addr, last_addr;
  uint64_t count, live, freed;
  uint64_t *addrs;
  size_t n_addrs, cap_addrs;
};

struct crv_creds {
  pcre2_code *code[PAT_COUNT];
  pcre2_match_data *md;
  pcre2_match_context *mctx;
  struct cred_entry *entries;
  size_t n, cap;
  uint32_t *slots; /* open addressing: entry index + 1, 0 = empty */
  size_t n_slots;  /* a power of two, twice CRV_CREDS_MAX_ENTRIES */
  struct cred_entry **order; /* sorted by crvi_creds_finish, NULL before */
  size_t bytes;    /* string bytes held by entries */
  crvi_buf conv;   /* UTF-8 of a text value */
  uint8_t *scratch_user, *scratch_secret; /* decoded fields, 2 * CRV_CREDS_MAX_FIELD + 8 */
  uint8_t *scratch_b64;                   /* base64 output, CRV_CREDS_MAX_FIELD * 2 + 8 */
  struct crv_creds_stats st;
};

/* Merges one occurrence into the table. Returns 1 when counted, 0 when dropped (table
 * full, field over its cap), -1 on allocation failure. */
int crvi_creds_add(struct crv_creds *c, const struct cred_hit *h,
                   const struct crv_cred_origin *o);

#endif
