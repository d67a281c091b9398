/* SPDX-License-Identifier: MIT */
/* A credential recovered from carved objects (carver creds, scan --creds): one record per
 * distinct (scheme, user, secret), merged over every object it was found in. */
#ifndef CARVER_CREDENTIAL_H
#define CARVER_CREDENTIAL_H
#include <stddef.h>
#include <stdint.h>

/* Output names: crv_cred_scheme_name() etc. (src/creds/creds.c). */
enum crv_cred_scheme {
  CRV_CRED_BASIC = 0,      /* Authorization / Proxy-Authorization: Basic, or bare base64 */
  CRV_CRED_BEARER = 1,     /* Authorization: Bearer TOKEN */
  CRV_CRED_COOKIE = 2,     /* one NAME=VALUE pair of a Cookie header */
  CRV_CRED_SET_COOKIE = 3, /* the NAME=VALUE pair of a Set-Cookie header */
  CRV_CRED_URL = 4,        /* userinfo of a URL: scheme://user:password@host */
  CRV_CRED_SCHEME_COUNT
};

enum crv_cred_confidence {
  CRV_CONF_LOW = 0,    /* a value that is only the base64 of user:password */
  CRV_CONF_MEDIUM = 1, /* a header value alone ("Basic ..."), a URL inside longer text */
  CRV_CONF_HIGH = 2,   /* a header line or request head, a value that is only a URL */
  CRV_CONF_COUNT
};

/* The best evidence the credential was found in. */
enum crv_cred_found {
  CRV_FOUND_REQUEST = 0,  /* a request head: request line and the header */
  CRV_FOUND_RESPONSE = 1, /* a response head: status line and the header (Set-Cookie) */
  CRV_FOUND_HEADER = 2,   /* a header line (or several) without a start line */
  CRV_FOUND_VALUE = 3,    /* the header value alone: "Basic ...", "Bearer ..." */
  CRV_FOUND_URL = 4,      /* a URL with userinfo */
  CRV_FOUND_BASE64 = 5,   /* a value that is exactly base64(user:password) */
  CRV_FOUND_COUNT
};

typedef struct crv_credential {
  int scheme;          /* enum crv_cred_scheme */
  const char *header;  /* "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"; NULL
                          when no header name was seen */
  const char *user;    /* UTF-8; the cookie name for cookies; NULL for bearer tokens */
  const char *secret;  /* UTF-8: the password (basic, url) or the token (bearer, cookies) */
  int confidence;      /* enum crv_cred_confidence: the highest of its occurrences */
  int found_as;        /* enum crv_cred_found: the best evidence */
  const char *request; /* request line of the head it was found in, or NULL */
  const char *response; /* status line of the head it was found in, or NULL */
  const char *host;    /* Host header of that head, or NULL */
  const char *url;     /* the URL (userinfo credentials), or NULL */
  uint64_t addr;       /* the object of the best evidence */
  int status;          /* enum crv_status: live when any occurrence is live, else freed
                          when any is freed, else unknown */
  uint64_t count;      /* objects it was found in */
  uint64_t live, freed; /* of those, live and freed ones */
  const uint64_t *addrs; /* every object's address, in the order found (capped) */
  size_t n_addrs;
} crv_credential;

const char *crv_cred_scheme_name(int scheme);
const char *crv_cred_confidence_name(int confidence);
const char *crv_cred_found_name(int found_as);

#endif
