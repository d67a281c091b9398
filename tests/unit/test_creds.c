/* SPDX-License-Identifier: MIT */
/* Credential detection (src/creds): the forms real interpreters leave behind, merging,
 * caps, negative cases, and the credential record in every writer. */
#define _GNU_SOURCE /* strdup */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "creds/creds.h"
#include "out/textenc.h"
#include "util/limits.h"

static struct crv_creds *C;

static void reset(void)
{
  crvi_creds_free(C);
  C = NULL;
  CHECK(crvi_creds_open(&C) == CRV_OK);
}

static int feed_n(const void *p, size_t n, uint64_t addr, int status)
{
  struct crv_cred_origin o = {.addr = addr, .status = status};
  return crvi_creds_feed_value(C, p, n, &o);
}

static int feed(const char *s, uint64_t addr, int status)
{
  return feed_n(s, strlen(s), addr, status);
}

static char *b64(const void *p, size_t n)
{
  crvi_buf b;
  size_t pos = 0;
  crvi_buf_init(&b, 1 << 20);
  crvi_base64_step(&b, p, n, &pos, (size_t)-1);
  char *s = strdup(b.p ? b.p : "");
  crvi_buf_free(&b);
  return s;
}

/* The credential (scheme, user, secret) after finish, or NULL. user NULL: none. */
static int find(int scheme, const char *user, const char *secret, crv_credential *out)
{
  crvi_creds_finish(C);
  for (size_t i = 0; i < crvi_creds_count(C); i++) {
    crv_credential c;
    CHECK(crvi_creds_get(C, i, &c) == CRV_OK);
    if (c.scheme != scheme || strcmp(c.secret, secret) != 0)
      continue;
    if ((user == NULL) != (c.user == NULL) || (user && strcmp(user, c.user) != 0))
      continue;
    if (out)
      *out = c;
    return 1;
  }
  return 0;
}

/* A Basic line as http.client builds it: one object per header line. */
static void test_basic_line(void)
{
  crv_credential c;
  reset();
  /* alice:s3cr:et-pw (a ':' in the password) */
  CHECK_EQ_I64(feed("Authorization: Basic YWxpY2U6czNjcjpldC1wdw==", 0x1000, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK_EQ_I64(c.confidence, CRV_CONF_HIGH);
  CHECK_EQ_I64(c.found_as, CRV_FOUND_HEADER);
  CHECK_STR(c.header, "Authorization");
  CHECK_EQ_U64(c.addr, 0x1000);
  CHECK_EQ_I64(c.status, CRV_STATUS_FREED);
  CHECK(c.request == NULL && c.host == NULL);
  /* header names are case-insensitive; a lower-case scheme word too */
  CHECK_EQ_I64(feed("authorization: basic YWxpY2U6czNjcjpldC1wdw==", 0x1100, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK_EQ_U64(c.count, 2);
  CHECK_EQ_I64(c.status, CRV_STATUS_LIVE);
  CHECK_EQ_U64(c.live, 1);
  CHECK_EQ_U64(c.freed, 1);
  CHECK_EQ_U64(crvi_creds_count(C), 1);
  /* a sentence that mentions the header is not a header line */
  CHECK_EQ_I64(feed("send the Authorization: Basic YWxpY2U6czNjcjpldC1wdw== header", 0x1200,
                    CRV_STATUS_LIVE), 0);
}

/* A whole request head: request line and Host become the context. */
static void test_request_head(void)
{
  crv_credential c;
  reset();
  const char *head = "GET /carver/handler HTTP/1.1\r\nAccept-Encoding: identity\r\n"
                     "Host: 127.0.0.1:36861\r\nConnection: close\r\n"
                     "Authorization: Basic YWxpY2U6czNjcjpldC1wdw==\r\n"
                     "User-Agent: Python-urllib/2.7\r\n\r\n";
  CHECK_EQ_I64(feed(head, 0x2000, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK_EQ_I64(c.found_as, CRV_FOUND_REQUEST);
  CHECK_STR(c.request, "GET /carver/handler HTTP/1.1");
  CHECK_STR(c.host, "127.0.0.1:36861");
  /* the same head as a bytes object and as a str later: merged, context kept */
  CHECK_EQ_I64(feed("Host: 127.0.0.1:36861\r\nAuthorization: Basic YWxpY2U6czNjcjpldC1wdw==\r\n\r\n",
                    0x2100, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK_EQ_U64(c.count, 2);
  CHECK_EQ_U64(c.n_addrs, 2);
  CHECK_EQ_U64(c.addrs[0], 0x2000);
  CHECK_EQ_U64(c.addrs[1], 0x2100);
  CHECK_EQ_U64(c.addr, 0x2000);
  /* a freed value overwritten at its start: a status line is no head for Authorization */
  reset();
  CHECK_EQ_I64(feed("HTTP/1.0 200 OK\r\noding: identity\r\nAuthorization: Basic "
                    "YWxpY2U6czNjcjpldC1wdw==\r\n\r",
                    0x2300, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK_EQ_I64(c.found_as, CRV_FOUND_HEADER);
  CHECK(c.response == NULL && c.request == NULL);
  /* a request line after the header is not its head either */
  reset();
  CHECK_EQ_I64(feed("Authorization: Basic YWxpY2U6czNjcjpldC1wdw==\r\nGET / HTTP/1.1\r\n",
                    0x2400, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK(c.request == NULL);
  /* junk glued before a line (a reused buffer) does not hide the header after a CRLF */
  reset();
  CHECK_EQ_I64(feed("Sat, 21 Nov 2026 05:58:13 GMTHost: 127.0.0.1:1\r\nAuthorization: Basic "
                    "YWxpY2U6czNjcjpldC1wdw==\r\n\r\n\x01\x7f",
                    0x2200, CRV_STATUS_FREED), 1);
}

static void test_padding(void)
{
  crv_credential c;
  reset();
  /* unpadded: 16 bytes -> 22 characters (== dropped), 17 bytes -> 23 (= dropped) */
  CHECK_EQ_I64(feed("Authorization: Basic YWxpY2U6czNjcjpldC1wdw", 1, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK_EQ_I64(feed("Basic YWxpY2U6czNjcjpldC1wd3o", 2, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pwz", &c));
  CHECK_EQ_I64(c.found_as, CRV_FOUND_VALUE);
  CHECK_EQ_I64(c.confidence, CRV_CONF_MEDIUM);
  /* 4k+1 characters is no base64; '=' inside is not either */
  CHECK_EQ_I64(feed("Authorization: Basic YWxpY2U6czNjcjpldC1wd3oxx", 3, CRV_STATUS_LIVE), 0);
  CHECK_EQ_I64(feed("Authorization: Basic YWxpY2U=6czNjcjpldC1wdw==", 4, CRV_STATUS_LIVE), 0);

  uint8_t out[64];
  CHECK_EQ_I64(crvi_creds_base64_decode("YQ", 2, out), 1);
  CHECK_EQ_I64(crvi_creds_base64_decode("YQ==", 4, out), 1);
  CHECK_EQ_I64(crvi_creds_base64_decode("YQ=", 3, out), -1); /* padded but not to 4 */
  CHECK_EQ_I64(crvi_creds_base64_decode("YR", 2, out), -1);  /* non-zero spare bits */
  CHECK_EQ_I64(crvi_creds_base64_decode("Y", 1, out), -1);
  CHECK_EQ_I64(crvi_creds_base64_decode("", 0, out), -1);
  CHECK_EQ_I64(crvi_creds_base64_decode("YWJj", 4, out), 3);
  CHECK_MEM(out, "abc", 3);
  CHECK_EQ_I64(crvi_creds_base64_decode("YW-j", 4, out), -1);
}

static void test_non_ascii(void)
{
  crv_credential c;
  char line[256];
  reset();
  /* UTF-8 (urllib, http.client with str.encode()) */
  const char *raw = "b\xc3\xb6rje:p\xc3\xa4ss w\xc3\xb6rd \xe2\x82\xac";
  char *t = b64(raw, strlen(raw));
  snprintf(line, sizeof line, "Authorization: Basic %s", t);
  CHECK_EQ_I64(feed(line, 0x10, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BASIC, "b\xc3\xb6rje", "p\xc3\xa4ss w\xc3\xb6rd \xe2\x82\xac", &c));
  /* bare base64 of it: strict UTF-8 is fine */
  CHECK_EQ_I64(feed(t, 0x11, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BASIC, "b\xc3\xb6rje", "p\xc3\xa4ss w\xc3\xb6rd \xe2\x82\xac", &c));
  CHECK_EQ_U64(c.count, 2);
  free(t);
  /* latin-1 (python3-requests encodes str credentials as latin-1): in a header only */
  const char *l1 = "bob:p\xe4sswort";
  t = b64(l1, strlen(l1));
  snprintf(line, sizeof line, "Proxy-Authorization: Basic %s", t);
  CHECK_EQ_I64(feed(line, 0x20, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BASIC, "bob", "p\xc3\xa4sswort", &c));
  CHECK_STR(c.header, "Proxy-Authorization");
  CHECK_EQ_I64(feed(t, 0x21, CRV_STATUS_FREED), 0);
  free(t);
  /* a control character is no credential */
  const char *ctl = "bob:pass\x01word";
  t = b64(ctl, strlen(ctl));
  snprintf(line, sizeof line, "Authorization: Basic %s", t);
  CHECK_EQ_I64(feed(line, 0x30, CRV_STATUS_FREED), 0);
  free(t);
}

static void test_proxy(void)
{
  crv_credential c;
  reset();
  const char *head = "GET http://198.51.100.7:8080/x HTTP/1.1\r\nHost: 198.51.100.7:8080\r\n"
                     "Proxy-Authorization: Basic cHJveHl1c2VyOnByMHh5OnB3\r\n\r\n";
  CHECK_EQ_I64(feed(head, 0x40, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_BASIC, "proxyuser", "pr0xy:pw", &c));
  CHECK_STR(c.header, "Proxy-Authorization");
  CHECK_STR(c.request, "GET http://198.51.100.7:8080/x HTTP/1.1");
  CHECK_EQ_I64(c.confidence, CRV_CONF_HIGH);
  /* both headers in one head: two credentials */
  reset();
  CHECK_EQ_I64(feed("Authorization: Basic YWxpY2U6czNjcjpldC1wdw==\r\n"
                    "Proxy-Authorization: Basic cHJveHl1c2VyOnByMHh5OnB3\r\n",
                    0x50, CRV_STATUS_LIVE), 2);
  CHECK_EQ_U64(crvi_creds_count(C), 2);
}

static void test_url(void)
{
  crv_credential c;
  reset();
  CHECK_EQ_I64(feed("https://carol:p%40ss%3Aw0rd@db.internal:8443/api?x=1", 0x60,
                    CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_URL, "carol", "p@ss:w0rd", &c));
  CHECK_EQ_I64(c.confidence, CRV_CONF_HIGH);
  CHECK_STR(c.url, "https://carol:p%40ss%3Aw0rd@db.internal:8443/api?x=1");
  /* inside longer text: medium; quotes around it do not count as text */
  CHECK_EQ_I64(feed("'redis://default:hunter22@10.0.0.5:6379/0'", 0x61, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_URL, "default", "hunter22", &c));
  CHECK_EQ_I64(c.confidence, CRV_CONF_HIGH);
  CHECK_EQ_I64(feed("connecting to postgres://app:s3cret@pg/main now", 0x62, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_URL, "app", "s3cret", &c));
  CHECK_EQ_I64(c.confidence, CRV_CONF_MEDIUM);
  CHECK_STR(c.url, "postgres://app:s3cret@pg/main");
  /* not credentials: a format string, an empty password, no password, a bad escape */
  CHECK_EQ_I64(feed("http://%s:%s@127.0.0.1:%d%s", 0x63, CRV_STATUS_LIVE), 0);
  CHECK_EQ_I64(feed("http://user:@host/", 0x64, CRV_STATUS_LIVE), 0);
  CHECK_EQ_I64(feed("ssh://git@github.com/x.git", 0x65, CRV_STATUS_LIVE), 0);
  CHECK_EQ_I64(feed("http://u:p%zz@host/", 0x66, CRV_STATUS_LIVE), 0);
  /* documentation hosts (a docstring's example): low confidence */
  CHECK_EQ_I64(feed("http://joe:password@proxy.example.com/", 0x68, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_URL, "joe", "password", &c));
  CHECK_EQ_I64(c.confidence, CRV_CONF_LOW);
  CHECK_EQ_I64(feed("ftp://anon:x1@files.invalid:21/", 0x69, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_URL, "anon", "x1", &c));
  CHECK_EQ_I64(c.confidence, CRV_CONF_LOW);
  CHECK_EQ_I64(feed("ftp://anon:x2@myexample.com/", 0x6a, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_URL, "anon", "x2", &c));
  CHECK_EQ_I64(c.confidence, CRV_CONF_HIGH);
  CHECK_EQ_I64(feed("see <scheme>://<netloc>/<path>", 0x67, CRV_STATUS_LIVE), 0);
}

static void test_bearer(void)
{
  crv_credential c;
  reset();
  const char *jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJ2ZXIifQ.c2lnbmF0dXJl-_x";
  char line[256];
  snprintf(line, sizeof line, "Authorization: Bearer %s", jwt);
  CHECK_EQ_I64(feed(line, 0x70, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BEARER, NULL, jwt, &c));
  CHECK_EQ_I64(c.confidence, CRV_CONF_HIGH);
  snprintf(line, sizeof line, "Bearer %s", jwt);
  CHECK_EQ_I64(feed(line, 0x71, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_BEARER, NULL, jwt, &c));
  CHECK_EQ_U64(c.count, 2);
  /* placeholders and challenges are not tokens */
  CHECK_EQ_I64(feed("Authorization: Bearer <token>", 0x72, CRV_STATUS_LIVE), 0);
  CHECK_EQ_I64(feed("Bearer realm=\"example\"", 0x73, CRV_STATUS_LIVE), 0);
  CHECK_EQ_I64(feed("Bearer abc", 0x74, CRV_STATUS_LIVE), 0); /* too short alone */
}

static void test_cookies(void)
{
  crv_credential c;
  reset();
  CHECK_EQ_I64(feed("GET / HTTP/1.1\r\nHost: shop\r\nCookie: sessionid=38afes7a8; "
                    "csrftoken=\"Zx9\"; bad pair; x=1\r\n\r\n",
                    0x80, CRV_STATUS_FREED), 2);
  CHECK(find(CRV_CRED_COOKIE, "sessionid", "38afes7a8", &c));
  CHECK_STR(c.header, "Cookie");
  CHECK_STR(c.request, "GET / HTTP/1.1");
  CHECK(find(CRV_CRED_COOKIE, "csrftoken", "Zx9", NULL));
  CHECK(!find(CRV_CRED_COOKIE, "x", "1", NULL)); /* after a malformed pair */
  CHECK_EQ_I64(feed("HTTP/1.0 200 OK\r\nSet-Cookie: sid=31d4d96e407aad42; Path=/; Secure\r\n\r\n",
                    0x81, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_SET_COOKIE, "sid", "31d4d96e407aad42", &c));
  CHECK_STR(c.response, "HTTP/1.0 200 OK");
  CHECK_EQ_I64(c.found_as, CRV_FOUND_RESPONSE);
  CHECK_EQ_I64(feed("Set-Cookie: empty=; Path=/", 0x82, CRV_STATUS_LIVE), 0);
}

/* The server side parses a header value into its own str, leading space and CRLF kept. */
static void test_value_alone(void)
{
  crv_credential c;
  reset();
  CHECK_EQ_I64(feed(" Basic YWxpY2U6czNjcjpldC1wdw==\r\n", 0x90, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK_EQ_I64(c.found_as, CRV_FOUND_VALUE);
  CHECK(c.header == NULL);
  CHECK_EQ_I64(feed("Basic realm=\"carver\"", 0x91, CRV_STATUS_LIVE), 0);
  CHECK_EQ_I64(feed("Basic YWxpY2U6czNjcjpldC1wdw== and more", 0x92, CRV_STATUS_LIVE), 0);
}

/* A value that is only base64(user:password): low confidence, merged with the header. */
static void test_bare_base64(void)
{
  crv_credential c;
  reset();
  CHECK_EQ_I64(feed("YWxpY2U6czNjcjpldC1wdw==", 0xa0, CRV_STATUS_FREED), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK_EQ_I64(c.confidence, CRV_CONF_LOW);
  CHECK_EQ_I64(c.found_as, CRV_FOUND_BASE64);
  CHECK_EQ_I64(feed("YWxpY2U6czNjcjpldC1wdw==\n", 0xa1, CRV_STATUS_FREED), 1); /* encodebytes */
  CHECK_EQ_I64(feed("Authorization: Basic YWxpY2U6czNjcjpldC1wdw==", 0xa2, CRV_STATUS_LIVE), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK_EQ_I64(c.confidence, CRV_CONF_HIGH);
  CHECK_EQ_I64(c.found_as, CRV_FOUND_HEADER);
  CHECK_EQ_U64(c.addr, 0xa2);
  CHECK_EQ_U64(c.count, 3);
  CHECK_STR(c.header, "Authorization");
  /* text that is base64 of "Key: value", JSON or a user with spaces: not credentials */
  const char *no[] = {"Content-Type: text/html", "{\"a\":1,\"b\":2}", "john smith:pw12345",
                      "user:", ":password", "a:b"};
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
    char *t = b64(no[i], strlen(no[i]));
    CHECK_EQ_I64(feed(t, 0xb0 + i, CRV_STATUS_LIVE), 0);
    free(t);
  }
  /* identifiers made of base64 letters */
  CHECK_EQ_I64(feed("getattribute", 0xc0, CRV_STATUS_LIVE), 0);
  CHECK_EQ_I64(feed("ABCDEFGHabcdefgh", 0xc1, CRV_STATUS_LIVE), 0);
}

/* base64 of random bytes is not a credential: neither alone nor after "Basic". */
static void test_random(void)
{
  uint64_t x = 0x9e3779b97f4a7c15ull;
  uint8_t raw[64];
  char line[160];
  int hits_bare = 0, hits_header = 0;
  reset();
  for (int i = 0; i < 20000; i++) {
    size_t n = 12 + (size_t)(i % 53);
    for (size_t k = 0; k < n; k++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      raw[k] = (uint8_t)(x >> 24);
    }
    if (i % 3 == 0)
      raw[n / 2] = ':'; /* the colon alone does not make text */
    char *t = b64(raw, n);
    hits_bare += feed(t, (uint64_t)i, CRV_STATUS_LIVE) > 0;
    snprintf(line, sizeof line, "Authorization: Basic %s", t);
    hits_header += feed(line, (uint64_t)i, CRV_STATUS_LIVE) > 0;
    free(t);
  }
  CHECK_EQ_I64(hits_bare, 0);
  CHECK_EQ_I64(hits_header, 0);
  CHECK_EQ_U64(crvi_creds_count(C), 0);
  /* binary garbage with header-like bytes inside */
  uint8_t junk[4096];
  for (size_t k = 0; k < sizeof junk; k++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    junk[k] = (uint8_t)x;
  }
  memcpy(junk + 100, "\r\nAuthorization: Basic ", 23);
  memcpy(junk + 300, "\nCookie: ", 9);
  memcpy(junk + 500, "http://", 7);
  CHECK(feed_n(junk, sizeof junk, 1, CRV_STATUS_LIVE) >= 0);
}

/* Objects as the scanner gives them: text values as code units. */
static void test_objects(void)
{
  crv_credential c;
  reset();
  const char *s = "Authorization: Basic YWxpY2U6czNjcjpldC1wdw==";
  size_t n = strlen(s);
  uint16_t u16[64];
  uint32_t u32[64];
  for (size_t i = 0; i < n; i++) {
    u16[i] = (uint16_t)(uint8_t)s[i];
    u32[i] = (uint32_t)(uint8_t)s[i];
  }
  crv_object o;
  memset(&o, 0, sizeof o);
  o.type = CRV_OBJ_STR;
  o.kind = 1;
  o.ascii = 1;
  o.status = CRV_STATUS_FREED;
  o.addr = 0x100;
  o.data = (const uint8_t *)s;
  o.data_len = n;
  o.length = n;
  CHECK_EQ_I64(crvi_creds_feed_object(C, &o), 1);
  o.kind = 2;
  o.ascii = 0;
  o.addr = 0x200;
  o.data = (const uint8_t *)u16; /* little-endian hosts only, like the scanner's tests */
  o.data_len = 2 * n;
  CHECK_EQ_I64(crvi_creds_feed_object(C, &o), 1);
  o.kind = 4;
  o.addr = 0x300;
  o.data = (const uint8_t *)u32;
  o.data_len = 4 * n;
  CHECK_EQ_I64(crvi_creds_feed_object(C, &o), 1);
  o.type = CRV_OBJ_BYTES;
  o.kind = 1;
  o.ascii = -1;
  o.addr = 0x400;
  o.data = (const uint8_t *)s;
  o.data_len = n;
  CHECK_EQ_I64(crvi_creds_feed_object(C, &o), 1);
  CHECK(find(CRV_CRED_BASIC, "alice", "s3cr:et-pw", &c));
  CHECK_EQ_U64(c.count, 4);
  /* a latin-1 str (kind 1, not ascii) holding a latin-1 password's UTF-8 form */
  reset();
  const char *l1 = "Basic Ym9iOnDkc3N3b3J0"; /* base64 of "bob:p\xe4sswort" */
  o.type = CRV_OBJ_STR;
  o.kind = 1;
  o.ascii = 1;
  o.addr = 0x500;
  o.data = (const uint8_t *)l1;
  o.data_len = strlen(l1);
  CHECK_EQ_I64(crvi_creds_feed_object(C, &o), 1);
  CHECK(find(CRV_CRED_BASIC, "bob", "p\xc3\xa4sswort", NULL));
  o.type = 99;
  CHECK(crvi_creds_feed_object(C, &o) < 0);
}

/* Caps: the table, addresses, long fields, long values. */
static void test_caps(void)
{
  char line[128];
  reset();
  for (unsigned i = 0; i < CRV_CREDS_MAX_ENTRIES + 10; i++) {
    snprintf(line, sizeof line, "Cookie: s%u=v%u", i, i);
    feed(line, i, CRV_STATUS_LIVE);
  }
  struct crv_creds_stats st;
  crvi_creds_stats(C, &st);
  CHECK_EQ_U64(crvi_creds_count(C), CRV_CREDS_MAX_ENTRIES);
  CHECK_EQ_U64(st.dropped, 10);
  reset();
  for (unsigned i = 0; i < CRV_CREDS_MAX_ADDRS + 5; i++)
    feed("Cookie: sid=abc", 0x1000 + i, i % 2 ? CRV_STATUS_LIVE : CRV_STATUS_FREED);
  crv_credential c;
  CHECK(find(CRV_CRED_COOKIE, "sid", "abc", &c));
  CHECK_EQ_U64(c.count, CRV_CREDS_MAX_ADDRS + 5);
  CHECK_EQ_U64(c.n_addrs, CRV_CREDS_MAX_ADDRS);
  CHECK_EQ_U64(c.live + c.freed, c.count);
  /* one object with the same credential twice counts once */
  reset();
  CHECK_EQ_I64(feed("Cookie: sid=abc\r\nCookie: sid=abc", 7, CRV_STATUS_LIVE), 2);
  CHECK(find(CRV_CRED_COOKIE, "sid", "abc", &c));
  CHECK_EQ_U64(c.count, 1);
  /* a token over CRV_CREDS_MAX_FIELD is counted, not kept */
  reset();
  size_t big = CRV_CREDS_MAX_FIELD + 100;
  char *v = malloc(big + 32);
  strcpy(v, "Authorization: Bearer ");
  memset(v + 22, 'A', big);
  v[22 + big] = '\0';
  CHECK_EQ_I64(feed(v, 1, CRV_STATUS_LIVE), 0);
  crvi_creds_stats(C, &st);
  CHECK_EQ_U64(st.over_cap, 1);
  free(v);
  /* a value over CRV_CREDS_MAX_SCAN: only its start is examined */
  size_t huge = CRV_CREDS_MAX_SCAN + 4096;
  v = malloc(huge);
  memset(v, 'x', huge);
  memcpy(v, "Cookie: early=1\r\n", 17);
  memcpy(v + huge - 20, "\r\nCookie: late=22\r\n", 19);
  CHECK_EQ_I64(feed_n(v, huge, 2, CRV_STATUS_LIVE), 1);
  crvi_creds_stats(C, &st);
  CHECK_EQ_U64(st.truncated, 1);
  CHECK(find(CRV_CRED_COOKIE, "early", "1", NULL));
  CHECK(!find(CRV_CRED_COOKIE, "late", "22", NULL));
  free(v);
}

/* Sorted output does not depend on the feeding order. */
static void test_order(void)
{
  const char *vals[] = {"YWxpY2U6czNjcjpldC1wdw==", "Cookie: b=2", "Cookie: a=1",
                        "Authorization: Bearer tok123456789", "https://u:pw@h/"};
  char first[5][64], second[5][64];
  for (int pass = 0; pass < 2; pass++) {
    reset();
    for (int i = 0; i < 5; i++)
      feed(vals[pass ? 4 - i : i], (uint64_t)i, CRV_STATUS_LIVE);
    crvi_creds_finish(C);
    CHECK_EQ_U64(crvi_creds_count(C), 5);
    for (size_t i = 0; i < 5 && i < crvi_creds_count(C); i++) {
      crv_credential c;
      crvi_creds_get(C, i, &c);
      snprintf(pass ? second[i] : first[i], 64, "%d/%s/%s", c.scheme, c.user ? c.user : "-",
               c.secret);
    }
  }
  for (int i = 0; i < 5; i++)
    CHECK_STR(first[i], second[i]);
  crv_credential c;
  crvi_creds_get(C, 4, &c);
  CHECK_EQ_I64(c.confidence, CRV_CONF_LOW); /* lowest confidence last */
  CHECK(crvi_creds_get(C, 5, &c) == CRV_ERR_INVALID_ARG);
}

static char *slurp(FILE *f, size_t *n)
{
  long len;
  fflush(f);
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  rewind(f);
  char *p = malloc((size_t)len + 1);
  *n = fread(p, 1, (size_t)len, f);
  p[*n] = '\0';
  return p;
}

static char *write_all(enum crv_format fmt, size_t *n)
{
  FILE *f = tmpfile();
  struct crv_writer *w;
  CHECK(crvi_writer_open(&w, fmt, f) == CRV_OK);
  crvi_writer_enable_credentials(w);
  crvi_creds_finish(C);
  uint64_t written;
  CHECK(crvi_creds_write(C, w, CRV_CONF_LOW, &written) == CRV_OK);
  CHECK_EQ_U64(written, crvi_creds_count(C));
  crv_summary s;
  memset(&s, 0, sizeof s);
  CHECK(crvi_writer_summary(w, &s) == CRV_OK);
  CHECK(crvi_writer_close(w) == CRV_OK);
  char *p = slurp(f, n);
  fclose(f);
  return p;
}

static void test_writers(void)
{
  size_t n;
  reset();
  feed("GET /x HTTP/1.1\r\nHost: h:1\r\nAuthorization: Basic YWxpY2U6czNjcjpldC1wdw==\r\n\r\n",
       0x10, CRV_STATUS_FREED);
  feed("Authorization: Bearer tok\x1b[31m", 0x20, CRV_STATUS_LIVE); /* not a token */
  feed("Cookie: sid=\"q\\x\"", 0x30, CRV_STATUS_LIVE);                 /* not a cookie */
  feed("http://eve:p%22w%0A@h/", 0x40, CRV_STATUS_LIVE); /* control char: rejected */
  feed("http://eve:p%22w@h/", 0x41, CRV_STATUS_LIVE);
  CHECK_EQ_U64(crvi_creds_count(C), 2);

  char *j = write_all(CRV_FORMAT_JSONL, &n);
  CHECK(strstr(j, "{\"record\":\"credential\",\"scheme\":\"basic\",\"header\":\"Authorization\","
                  "\"user\":\"alice\",\"password\":\"s3cr:et-pw\",\"confidence\":\"high\","
                  "\"found_as\":\"request\",\"request\":\"GET /x HTTP/1.1\",\"host\":\"h:1\","
                  "\"addr\":16,\"status\":\"freed\",\"count\":1,\"live\":0,\"freed\":1,"
                  "\"addrs\":[16]}\n") != NULL);
  CHECK(strstr(j, "\"scheme\":\"url\",\"user\":\"eve\",\"password\":\"p\\\"w\"") != NULL);
  CHECK(strstr(j, "\"credentials\":2") != NULL);
  free(j);

  char *t = write_all(CRV_FORMAT_TEXT, &n);
  CHECK(strncmp(t, "# scheme", 8) == 0);
  CHECK(strstr(t, "\nbasic      \"alice\"            \"s3cr:et-pw\"             freed 1       "
                  "high        0x000000000010  GET /x HTTP/1.1 (Host: h:1)\n") != NULL);
  CHECK(strstr(t, "\"p\\\"w\"") != NULL);
  CHECK(strstr(t, "; 2 credentials\n") != NULL);
  free(t);

  char *m = write_all(CRV_FORMAT_MSGPACK, &n);
  msgpack_unpacked u;
  size_t off = 0;
  int creds = 0, summary = 0;
  msgpack_unpacked_init(&u);
  while (msgpack_unpack_next(&u, m, n, &off) == MSGPACK_UNPACK_SUCCESS) {
    msgpack_object o = u.data;
    CHECK(o.type == MSGPACK_OBJECT_MAP);
    for (uint32_t i = 0; i < o.via.map.size; i++) {
      msgpack_object_kv *kv = &o.via.map.ptr[i];
      if (kv->key.via.str.size == 6 && memcmp(kv->key.via.str.ptr, "record", 6) == 0) {
        creds += kv->val.via.str.size == 10 && memcmp(kv->val.via.str.ptr, "credential", 10) == 0;
        summary += kv->val.via.str.size == 7 && memcmp(kv->val.via.str.ptr, "summary", 7) == 0;
      }
      if (kv->key.via.str.size == 5 && memcmp(kv->key.via.str.ptr, "addrs", 5) == 0)
        CHECK(kv->val.type == MSGPACK_OBJECT_ARRAY && kv->val.via.array.size == 1);
    }
  }
  CHECK(off == n);
  CHECK_EQ_I64(creds, 2);
  CHECK_EQ_I64(summary, 1);
  msgpack_unpacked_destroy(&u);
  free(m);

  /* bad records are refused */
  FILE *f = tmpfile();
  struct crv_writer *w;
  CHECK(crvi_writer_open(&w, CRV_FORMAT_JSONL, f) == CRV_OK);
  crv_credential bad;
  memset(&bad, 0, sizeof bad);
  CHECK(crvi_writer_credential(w, &bad) == CRV_ERR_INVALID_ARG); /* no secret */
  bad.secret = "x";
  bad.scheme = CRV_CRED_SCHEME_COUNT;
  CHECK(crvi_writer_credential(w, &bad) == CRV_ERR_INVALID_ARG);
  bad.scheme = 0;
  bad.n_addrs = 1;
  CHECK(crvi_writer_credential(w, &bad) == CRV_ERR_INVALID_ARG);
  crv_summary s;
  memset(&s, 0, sizeof s);
  CHECK(crvi_writer_summary(w, &s) == CRV_OK); /* not enabled: no "credentials" key */
  CHECK(crvi_writer_close(w) == CRV_OK);
  char *p = slurp(f, &n);
  CHECK(strstr(p, "credentials") == NULL);
  free(p);
  fclose(f);
}

static void test_names(void)
{
  CHECK_STR(crv_cred_scheme_name(CRV_CRED_SET_COOKIE), "set-cookie");
  CHECK_STR(crv_cred_scheme_name(-1), "unknown");
  CHECK_STR(crv_cred_confidence_name(CRV_CONF_MEDIUM), "medium");
  CHECK_STR(crv_cred_found_name(CRV_FOUND_BASE64), "base64");
  for (int i = 0; i < CRV_CRED_SCHEME_COUNT; i++)
    CHECK(strcmp(crv_cred_scheme_name(i), "unknown") != 0);
  for (int i = 0; i < CRV_FOUND_COUNT; i++)
    CHECK(strcmp(crv_cred_found_name(i), "unknown") != 0);
  CHECK_EQ_I64(crvi_cred_confidence_parse("high"), CRV_CONF_HIGH);
  CHECK_EQ_I64(crvi_cred_confidence_parse("HIGH"), -1);
  CHECK_EQ_I64(crvi_cred_confidence_parse(NULL), -1);
}

int main(void)
{
  test_basic_line();
  test_request_head();
  test_padding();
  test_non_ascii();
  test_proxy();
  test_url();
  test_bearer();
  test_cookies();
  test_value_alone();
  test_bare_base64();
  test_random();
  test_objects();
  test_caps();
  test_order();
  test_writers();
  test_names();
  crvi_creds_free(C);
  return CHECK_DONE();
}
