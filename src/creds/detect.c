/* SPDX-License-Identifier: MIT */
/* Finding credentials in one carved value: the pattern table (pcre2, JIT when available),
 * base64 / percent / latin-1 decoding and the checks that keep random data out.
 *
 * Why each rule:
 *  - header lines are matched at a line start (or the value's start) only: http.client
 *    builds "Authorization: Basic ..." as its own object before joining the head, and a
 *    server reads each line as its own object, so a line start is always there; text that
 *    merely mentions a header in a sentence is not a header.
 *  - a Basic token must decode to printable text with a ':' (RFC 7617: user-id ':'
 *    password; split at the first ':', so passwords may hold ':'). UTF-8 is tried first;
 *    in a header, printable latin-1 is accepted too (python3-requests encodes str
 *    credentials as latin-1).
 *  - a value that is only base64 (libraries build the header from such a value and it
 *    often outlives the header) must decode to strict printable UTF-8 with a non-empty
 *    user without spaces and a non-empty password; it is reported with low confidence.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include "util/hex.h"
#include <string.h>

#include "creds/creds_impl.h"
#include "out/writer_impl.h" /* crvi_w_value: how to read an object's value */
#include "util/limits.h"

/* ---- the pattern table ----------------------------------------------------------------- */

#define REQ_METHODS "GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH|PROPFIND|PROPPATCH|" \
                    "MKCOL|COPY|MOVE|LOCK|UNLOCK|REPORT|SEARCH"
/* Characters that may not appear unescaped in a URL's userinfo or host. */
#define URL_UI_EXCL "\\x00-\\x20\\x7f/?#@\\[\\]\"'<>\\\\^`{|}"

static const struct pattern {
  const char *re;
  const char *what;
} patterns[PAT_COUNT] = {
    /* groups: 1 "proxy-" or empty, 2 scheme word, 3 token */
    [PAT_AUTH_LINE] = {"(?:\\A|[\\r\\n])((?i:proxy-)?)(?i:authorization)[ \\t]*:[ \\t]*"
                       "((?i:basic|bearer))[ \\t]+([!-~]+)(?=[ \\t\\r\\n]|\\z)",
                       "Authorization / Proxy-Authorization header line"},
    /* groups: 1 "set-" or empty, 2 the header value */
    [PAT_COOKIE_LINE] = {"(?:\\A|[\\r\\n])((?i:set-)?)(?i:cookie)[ \\t]*:[ \\t]*([^\\r\\n]*)",
                         "Cookie / Set-Cookie header line"},
    /* groups: 1 scheme word, 2 token; the whole value (a server's parsed header value keeps
     * its leading space and line end) */
    [PAT_AUTH_VALUE] = {"\\A[ \\t]*((?i:basic|bearer))[ \\t]+([!-~]+)[ \\t\\r\\n]*\\z",
                        "header value alone"},
    /* groups: 1 URL scheme, 2 user, 3 password, 4 host */
    [PAT_URL] = {"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31})://"
                 "([^:" URL_UI_EXCL "]{1,1024}):([^" URL_UI_EXCL "]{0,1024})@"
                 "([A-Za-z0-9._~%!$&()*+,;=-]{1,255}|\\[[0-9A-Fa-f:.]{2,64}\\])"
                 "(?::[0-9]{1,5})?(?:[/?#][^\\x00-\\x20\\x7f-\\xff\"'<>\\\\`]{0,2048})?",
                 "URL with userinfo"},
    /* group 1: the base64 text; the whole value (base64.encodebytes adds a newline) */
    [PAT_BASE64] = {"\\A([A-Za-z0-9+/]{8,}={0,2})\\n?\\z", "base64 value"},
    /* group 1: the request line */
    [PAT_REQUEST] = {"(?:\\A|[\\r\\n])((?:" REQ_METHODS ") [!-~]{1,8192} HTTP/[0-9](?:\\.[0-9])?)"
                     "(?:\\r?\\n|\\z)",
                     "request line"},
    /* group 1: the status line */
    [PAT_STATUS] = {"(?:\\A|[\\r\\n])(HTTP/[0-9](?:\\.[0-9])? [0-9]{3}(?: [ -~]{0,256})?)"
                    "(?:\\r?\\n|\\z)",
                    "status line"},
    /* group 1: the Host value */
    [PAT_HOST] = {"(?:\\A|[\\r\\n])(?i:host)[ \\t]*:[ \\t]*([!-~]{1,255})", "Host header"},
};

/* Capture groups: the largest pattern has 5. */
#define MAX_GROUPS 8

crv_err crvi_creds_open(struct crv_creds **out)
{
  if (!out)
    return CRV_ERR_INVALID_ARG;
  *out = NULL;
  struct crv_creds *c = calloc(1, sizeof *c);
  if (!c)
    return CRV_ERR_NOMEM;
  crv_err e = CRV_OK;
  uint32_t jit = 0;
  pcre2_config(PCRE2_CONFIG_JIT, &jit);
  for (int i = 0; i < PAT_COUNT && e == CRV_OK; i++) {
    int err;
    PCRE2_SIZE at;
    /* byte mode (no PCRE2_UTF): values may be binary; UTF-8 text matches byte-wise */
    c->code[i] = pcre2_compile((PCRE2_SPTR)patterns[i].re, PCRE2_ZERO_TERMINATED,
                               PCRE2_DOLLAR_ENDONLY, &err, &at, NULL);
    if (!c->code[i])
      e = CRV_ERR_REGEX;
    else if (jit)
      (void)pcre2_jit_compile(c->code[i], PCRE2_JIT_COMPLETE); /* else: interpreted */
  }
  if (e == CRV_OK) {
    c->md = pcre2_match_data_create(MAX_GROUPS, NULL);
    c->mctx = pcre2_match_context_create(NULL);
    c->n_slots = 2u * CRV_CREDS_MAX_ENTRIES;
    c->slots = calloc(c->n_slots, sizeof *c->slots);
    c->scratch_user = malloc(2u * CRV_CREDS_MAX_FIELD + 8);
    c->scratch_secret = malloc(2u * CRV_CREDS_MAX_FIELD + 8);
    c->scratch_b64 = malloc(2u * CRV_CREDS_MAX_FIELD + 8);
    if (!c->md || !c->mctx || !c->slots || !c->scratch_user || !c->scratch_secret ||
        !c->scratch_b64)
      e = CRV_ERR_NOMEM;
  }
  if (e == CRV_OK) {
    pcre2_set_match_limit(c->mctx, CRV_CREDS_MATCH_LIMIT);
    pcre2_set_depth_limit(c->mctx, CRV_CREDS_MATCH_LIMIT);
    crvi_buf_init(&c->conv, CRV_CREDS_MAX_SCAN + 16);
  }
  if (e != CRV_OK) {
    crvi_creds_free(c);
    return e;
  }
  *out = c;
  return CRV_OK;
}

void crvi_creds_free(struct crv_creds *c)
{
  if (!c)
    return;
  for (int i = 0; i < PAT_COUNT; i++)
    pcre2_code_free(c->code[i]);
  pcre2_match_data_free(c->md);
  pcre2_match_context_free(c->mctx);
  for (size_t i = 0; i < c->n; i++) {
    struct cred_entry *e = &c->entries[i];
    free(e->user);
    free(e->secret);
    free(e->request);
    free(e->response);
    free(e->host);
    free(e->url);
    free(e->addrs);
  }
  free(c->entries);
  free(c->slots);
  free(c->order);
  free(c->scratch_user);
  free(c->scratch_secret);
  free(c->scratch_b64);
  crvi_buf_free(&c->conv);
  free(c);
}

/* Matches pattern pat in p[0..n) from start. Returns 1 with the ovector, 0 for no match
 * (a pcre2 error, such as the match limit, counts as no match and is counted). */
static int re_match(struct crv_creds *c, int pat, const uint8_t *p, size_t n, size_t start,
                    PCRE2_SIZE **ov)
{
  if (start > n)
    return 0;
  int rc = pcre2_match(c->code[pat], (PCRE2_SPTR)p, n, start, 0, c->md, c->mctx);
  if (rc == PCRE2_ERROR_NOMATCH)
    return 0;
  if (rc < 0) {
    c->st.match_errors++;
    return 0;
  }
  *ov = pcre2_get_ovector_pointer(c->md);
  return 1;
}

/* Group g of the last match: *s and *len; 0 when the group did not take part. */
static int group(const PCRE2_SIZE *ov, const uint8_t *p, int g, const uint8_t **s, size_t *len)
{
  if (ov[2 * g] == PCRE2_UNSET) {
    *s = NULL;
    *len = 0;
    return 0;
  }
  *s = p + ov[2 * g];
  *len = ov[2 * g + 1] - ov[2 * g];
  return 1;
}

/* ---- decoding and validation --------------------------------------------------------- */

static int b64_value(uint8_t ch)
{
  if (ch >= 'A' && ch <= 'Z')
    return ch - 'A';
  if (ch >= 'a' && ch <= 'z')
    return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9')
    return ch - '0' + 52;
  if (ch == '+')
    return 62;
  if (ch == '/')
    return 63;
  return -1;
}

long crvi_creds_base64_decode(const char *s, size_t n, uint8_t *out)
{
  size_t pad = 0;
  while (n > 0 && s[n - 1] == '=' && pad < 2) {
    n--;
    pad++;
  }
  if (n == 0 || n % 4 == 1 || (pad && (n + pad) % 4 != 0))
    return -1;
  uint32_t acc = 0;
  unsigned bits = 0;
  long o = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value((uint8_t)s[i]);
    if (v < 0)
      return -1;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (uint8_t)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  /* the unused low bits of the last character are zero in every encoder's output */
  if (acc != 0)
    return -1;
  return o;
}

/* 1 when s[0..n) is strict UTF-8 with no control, DEL, C1, line separator or bidi control. */
static int printable_utf8(const uint8_t *s, size_t n)
{
  size_t pos = 0;
  while (pos < n) {
    uint32_t cp = crvi_utf8_next(s, n, 0, &pos);
    if (cp == CRVI_UTF8_BAD || crvi_cp_is_dangerous(cp))
      return 0;
  }
  return 1;
}

/* 1 when s looks like latin-1 text: printable ASCII plus a few latin-1 letters (0xC0-0xFF
 * but the signs x and /), at most a third of the bytes. Random bytes of 12 or more almost
 * never pass (none of 200000 random 12-64 byte strings with a ':' did). */
static int printable_latin1(const uint8_t *s, size_t n)
{
  size_t high = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] >= 0x20 && s[i] < 0x7f)
      continue;
    if (s[i] < 0xc0 || s[i] == 0xd7 || s[i] == 0xf7)
      return 0;
    high++;
  }
  return high * 3 <= n;
}

/* Latin-1 to UTF-8 into out (room for 2n bytes); returns the length. */
static size_t latin1_to_utf8(const uint8_t *s, size_t n, uint8_t *out)
{
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < 0x80) {
      out[o++] = s[i];
    } else {
      out[o++] = (uint8_t)(0xc0 | (s[i] >> 6));
      out[o++] = (uint8_t)(0x80 | (s[i] & 0x3f));
    }
  }
  return o;
}

/* Makes s[0..n) a printable UTF-8 field: as is when it already is one, else (latin1 set)
 * converted from printable latin-1 into out (room for 2n). Returns NULL when it is
 * neither. */
static const uint8_t *text_field(const uint8_t *s, size_t n, int latin1, uint8_t *out,
                                 size_t *out_len)
{
  if (printable_utf8(s, n)) {
    *out_len = n;
    return s;
  }
  if (latin1 && printable_latin1(s, n)) {
    *out_len = latin1_to_utf8(s, n, out);
    return out;
  }
  return NULL;
}

/* Percent-decodes s[0..n) into out (room for n); returns the length, or -1 when a '%' is
 * not followed by two hex digits (RFC 3986): "%s:%s@" is a format string, not a URL. */
static long percent_decode(const uint8_t *s, size_t n, uint8_t *out)
{
  long o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      out[o++] = s[i];
      continue;
    }
    int hi = i + 1 < n ? crv_hexval((unsigned char)s[i + 1]) : -1;
    int lo = i + 2 < n ? crv_hexval((unsigned char)s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return -1;
    out[o++] = (uint8_t)(hi << 4 | lo);
    i += 2;
  }
  return o;
}

/* ---- one value ------------------------------------------------------------------------ */

/* The head a value holds, looked for once per value and only when a credential is found.
 * Pointers are NULL when absent; offsets say where the start line begins. */
struct value {
  const uint8_t *p;
  size_t n;
  int ctx_done;
  const uint8_t *request, *response, *host;
  size_t request_len, response_len, host_len;
  size_t request_at, response_at;
};

static void find_context(struct crv_creds *c, struct value *v)
{
  PCRE2_SIZE *ov;
  if (v->ctx_done)
    return;
  v->ctx_done = 1;
  if (re_match(c, PAT_REQUEST, v->p, v->n, 0, &ov)) {
    group(ov, v->p, 1, &v->request, &v->request_len);
    v->request_at = (size_t)(v->request - v->p);
  }
  if (re_match(c, PAT_STATUS, v->p, v->n, 0, &ov)) {
    group(ov, v->p, 1, &v->response, &v->response_len);
    v->response_at = (size_t)(v->response - v->p);
  }
  if (re_match(c, PAT_HOST, v->p, v->n, 0, &ov))
    group(ov, v->p, 1, &v->host, &v->host_len);
}

/* Fills the context of a hit found in the header line at offset `at` of v. Authorization
 * and Cookie are request headers, Set-Cookie a response header: only the matching start
 * line, before the header, is its head. A freed value whose start was overwritten by a
 * newer object can hold a status line before an old request's header lines. */
static void head_context(struct crv_creds *c, struct value *v, struct cred_hit *h, size_t at,
                         int response_header)
{
  find_context(c, v);
  h->found_as = CRV_FOUND_HEADER;
  if (response_header) {
    if (v->response && v->response_at < at) {
      h->response = v->response;
      h->response_len = v->response_len;
      h->found_as = CRV_FOUND_RESPONSE;
    }
    return;
  }
  if (v->request && v->request_at < at) {
    h->request = v->request;
    h->request_len = v->request_len;
    h->found_as = CRV_FOUND_REQUEST;
  }
  h->host = v->host;
  h->host_len = v->host_len;
}

static int add(struct crv_creds *c, const struct cred_hit *h, const struct crv_cred_origin *o,
               int *found)
{
  int r = crvi_creds_add(c, h, o);
  if (r < 0)
    return -1;
  if (r > 0) {
    c->st.occurrences++;
    (*found)++;
  }
  return 0;
}

/* A Basic token: base64 of user ':' password. strict: the bare-base64 rules. Fills the
 * user and secret of h; 0 when the token is no credential. */
static int basic_token(struct crv_creds *c, const uint8_t *tok, size_t len, int strict,
                       struct cred_hit *h)
{
  if (len > (CRV_CREDS_MAX_FIELD / 3u) * 4u + 4u) {
    if (!strict) /* a long bare base64 value is a blob, not a credential over its cap */
      c->st.over_cap++;
    return 0;
  }
  long dn = crvi_creds_base64_decode((const char *)tok, len, c->scratch_b64);
  if (dn <= 0)
    return 0;
  size_t tn = 0;
  const uint8_t *t = text_field(c->scratch_b64, (size_t)dn, !strict, c->scratch_user, &tn);
  if (!t)
    return 0;
  const uint8_t *colon = memchr(t, ':', tn);
  if (!colon)
    return 0;
  size_t ul = (size_t)(colon - t);
  size_t sl = tn - ul - 1;
  if (strict) {
    /* bare base64: user:password text, not "Key: value" or JSON */
    if (tn < 5 || ul == 0 || sl == 0 || colon[1] == ' ')
      return 0;
    for (size_t i = 0; i < ul; i++)
      if (t[i] == ' ' || t[i] == '"' || t[i] == '{' || t[i] == '<')
        return 0;
  }
  h->scheme = CRV_CRED_BASIC;
  h->user = t;
  h->user_len = ul;
  h->has_user = 1;
  h->secret = colon + 1;
  h->secret_len = sl;
  return 1;
}

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static int bearer_token(const uint8_t *tok, size_t len, size_t min_len)
{
  size_t i = 0;
  while (i < len && (b64_value(tok[i]) >= 0 || tok[i] == '-' || tok[i] == '.' || tok[i] == '_' ||
                     tok[i] == '~'))
    i++;
  if (i == 0)
    return 0;
  while (i < len && tok[i] == '=')
    i++;
  return i == len && len >= min_len;
}

static int is_ci(const uint8_t *s, size_t n, const char *lit)
{
  size_t m = strlen(lit);
  if (n != m)
    return 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t a = s[i], b = (uint8_t)lit[i];
    if (a >= 'A' && a <= 'Z')
      a = (uint8_t)(a - 'A' + 'a');
    if (a != b)
      return 0;
  }
  return 1;
}

static int auth_lines(struct crv_creds *c, struct value *v, const struct crv_cred_origin *o,
                      int *found)
{
  PCRE2_SIZE *ov;
  size_t start = 0;
  for (unsigned k = 0; k < CRV_CREDS_MAX_MATCHES && re_match(c, PAT_AUTH_LINE, v->p, v->n, start, &ov);
       k++) {
    const uint8_t *proxy, *word, *tok;
    size_t proxy_len, word_len, tok_len;
    start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    group(ov, v->p, 1, &proxy, &proxy_len);
    group(ov, v->p, 2, &word, &word_len);
    group(ov, v->p, 3, &tok, &tok_len);
    struct cred_hit h;
    memset(&h, 0, sizeof h);
    h.header = proxy_len ? "Proxy-Authorization" : "Authorization";
    h.confidence = CRV_CONF_HIGH;
    if (is_ci(word, word_len, "basic")) {
      if (!basic_token(c, tok, tok_len, 0, &h)) {
        c->st.rejected++;
        continue;
      }
    } else {
      if (!bearer_token(tok, tok_len, 1)) {
        c->st.rejected++;
        continue;
      }
      h.scheme = CRV_CRED_BEARER;
      h.secret = tok;
      h.secret_len = tok_len;
    }
    head_context(c, v, &h, ov[0], 0);
    if (add(c, &h, o, found) < 0)
      return -1;
  }
  return 0;
}

static int tchar(uint8_t ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* RFC 6265 cookie-octet */
static int cookie_octet(uint8_t ch)
{
  return ch == 0x21 || (ch >= 0x23 && ch <= 0x2b) || (ch >= 0x2d && ch <= 0x3a) ||
         (ch >= 0x3c && ch <= 0x5b) || (ch >= 0x5d && ch <= 0x7e);
}

/* The NAME=VALUE pairs of a Cookie value (all) or a Set-Cookie value (the first). */
static int cookie_pairs(struct crv_creds *c, struct value *v, const uint8_t *s, size_t n,
                        int set, size_t at, const struct crv_cred_origin *o, int *found)
{
  size_t i = 0;
  for (unsigned k = 0; k < CRV_CREDS_MAX_MATCHES && i < n; k++) {
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
      i++;
    size_t name0 = i;
    while (i < n && tchar(s[i]) && s[i] != '=')
      i++;
    size_t name1 = i;
    int ok = name1 > name0 && i < n && s[i] == '=';
    size_t val0 = ++i, val1;
    if (ok && i < n && s[i] == '"') { /* a quoted value: the quotes are not part of it */
      val0 = ++i;
      while (i < n && cookie_octet(s[i]))
        i++;
      val1 = i;
      ok = i < n && s[i] == '"';
      i++;
    } else {
      while (i < n && cookie_octet(s[i]))
        i++;
      val1 = i;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
      i++;
    ok = ok && val1 > val0 && (i >= n || s[i] == ';');
    if (ok) {
      struct cred_hit h;
      memset(&h, 0, sizeof h);
      h.scheme = set ? CRV_CRED_SET_COOKIE : CRV_CRED_COOKIE;
      h.header = set ? "Set-Cookie" : "Cookie";
      h.confidence = CRV_CONF_HIGH;
      h.user = s + name0;
      h.user_len = name1 - name0;
      h.has_user = 1;
      h.secret = s + val0;
      h.secret_len = val1 - val0;
      head_context(c, v, &h, at, set);
      if (add(c, &h, o, found) < 0)
        return -1;
    } else {
      c->st.rejected++;
    }
    if (set || !ok)
      break; /* Set-Cookie: the rest are attributes; a malformed pair ends the list */
    i++;     /* past ';' */
  }
  return 0;
}

static int cookie_lines(struct crv_creds *c, struct value *v, const struct crv_cred_origin *o,
                        int *found)
{
  PCRE2_SIZE *ov;
  size_t start = 0;
  for (unsigned k = 0;
       k < CRV_CREDS_MAX_MATCHES && re_match(c, PAT_COOKIE_LINE, v->p, v->n, start, &ov); k++) {
    const uint8_t *set, *val;
    size_t set_len, val_len;
    start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    group(ov, v->p, 1, &set, &set_len);
    group(ov, v->p, 2, &val, &val_len);
    if (cookie_pairs(c, v, val, val_len, set_len > 0, ov[0], o, found) < 0)
      return -1;
  }
  return 0;
}

static int is_space(uint8_t ch)
{
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* 1 when host is a name reserved for documentation (RFC 2606, RFC 6761): example.com,
 * .net, .org and their subdomains, and the .example, .invalid and .test domains. Library
 * docstrings show URLs such as http://joe:password@proxy.example.com/. */
static int documentation_host(const uint8_t *h, size_t n)
{
  static const char *const names[] = {"example.com", "example.net", "example.org", "example",
                                      "invalid", "test"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    size_t m = strlen(names[i]);
    if (n < m || !is_ci(h + n - m, m, names[i]))
      continue;
    if (n == m || h[n - m - 1] == '.')
      return 1;
  }
  return 0;
}

static int urls(struct crv_creds *c, struct value *v, const struct crv_cred_origin *o,
                int *found)
{
  PCRE2_SIZE *ov;
  size_t start = 0;
  for (unsigned k = 0; k < CRV_CREDS_MAX_MATCHES && re_match(c, PAT_URL, v->p, v->n, start, &ov);
       k++) {
    const uint8_t *user, *pass, *host;
    size_t user_len, pass_len, host_len;
    size_t m0 = ov[0], m1 = ov[1];
    start = m1 > m0 ? m1 : m0 + 1;
    group(ov, v->p, 2, &user, &user_len);
    group(ov, v->p, 3, &pass, &pass_len);
    group(ov, v->p, 4, &host, &host_len);
    if (pass_len == 0 || user_len > CRV_CREDS_MAX_FIELD || pass_len > CRV_CREDS_MAX_FIELD) {
      c->st.rejected++;
      continue;
    }
    uint8_t *ub = c->scratch_b64, *pb = c->scratch_secret;
    long un = percent_decode(user, user_len, ub);
    long pn = percent_decode(pass, pass_len, pb);
    size_t ul = 0, pl = 0;
    const uint8_t *u = un > 0 ? text_field(ub, (size_t)un, 0, NULL, &ul) : NULL;
    const uint8_t *pw = pn > 0 ? text_field(pb, (size_t)pn, 0, NULL, &pl) : NULL;
    if (!u || !pw || pl == 0) {
      c->st.rejected++;
      continue;
    }
    /* the value is only the URL (quotes and spaces around it aside): certainly one */
    size_t a = 0, b = v->n;
    while (a < m0 && (is_space(v->p[a]) || v->p[a] == '"' || v->p[a] == '\''))
      a++;
    while (b > m1 && (is_space(v->p[b - 1]) || v->p[b - 1] == '"' || v->p[b - 1] == '\''))
      b--;
    struct cred_hit h;
    memset(&h, 0, sizeof h);
    h.scheme = CRV_CRED_URL;
    h.confidence = documentation_host(host, host_len) ? CRV_CONF_LOW
                   : a == m0 && b == m1                ? CRV_CONF_HIGH
                                                       : CRV_CONF_MEDIUM;
    h.found_as = CRV_FOUND_URL;
    h.user = u;
    h.user_len = ul;
    h.has_user = 1;
    h.secret = pw;
    h.secret_len = pl;
    h.url = v->p + m0;
    h.url_len = m1 - m0;
    if (add(c, &h, o, found) < 0)
      return -1;
  }
  return 0;
}

static int auth_value(struct crv_creds *c, struct value *v, const struct crv_cred_origin *o,
                      int *found)
{
  PCRE2_SIZE *ov;
  if (!re_match(c, PAT_AUTH_VALUE, v->p, v->n, 0, &ov))
    return 0;
  const uint8_t *word, *tok;
  size_t word_len, tok_len;
  group(ov, v->p, 1, &word, &word_len);
  group(ov, v->p, 2, &tok, &tok_len);
  struct cred_hit h;
  memset(&h, 0, sizeof h);
  h.confidence = CRV_CONF_MEDIUM;
  h.found_as = CRV_FOUND_VALUE;
  if (is_ci(word, word_len, "basic")) {
    if (!basic_token(c, tok, tok_len, 0, &h)) {
      c->st.rejected++;
      return 0;
    }
  } else {
    /* a token alone after "Bearer": long enough not to be a word in a sentence */
    if (!bearer_token(tok, tok_len, 8)) {
      c->st.rejected++;
      return 0;
    }
    h.scheme = CRV_CRED_BEARER;
    h.secret = tok;
    h.secret_len = tok_len;
  }
  return add(c, &h, o, found);
}

static int bare_base64(struct crv_creds *c, struct value *v, const struct crv_cred_origin *o,
                       int *found)
{
  PCRE2_SIZE *ov;
  if (!re_match(c, PAT_BASE64, v->p, v->n, 0, &ov))
    return 0;
  const uint8_t *tok;
  size_t tok_len;
  group(ov, v->p, 1, &tok, &tok_len);
  struct cred_hit h;
  memset(&h, 0, sizeof h);
  if (!basic_token(c, tok, tok_len, 1, &h))
    return 0; /* most base64-looking values are identifiers: not counted as rejected */
  h.confidence = CRV_CONF_LOW;
  h.found_as = CRV_FOUND_BASE64;
  return add(c, &h, o, found);
}

/* Examines p[0..n); truncated: the value was longer than what p holds. */
static int feed(struct crv_creds *c, const uint8_t *p, size_t n,
                const struct crv_cred_origin *origin, int truncated)
{
  c->st.values++;
  if (n > CRV_CREDS_MAX_SCAN) {
    n = CRV_CREDS_MAX_SCAN;
    truncated = 1;
  }
  if (truncated)
    c->st.truncated++;
  struct value v = {.p = p, .n = n};
  int found = 0, r = 0;
  /* cheap tests first: most values hold none of what the patterns need */
  if (memchr(p, ':', n)) {
    r = auth_lines(c, &v, origin, &found);
    if (r == 0)
      r = cookie_lines(c, &v, origin, &found);
    if (r == 0 && memmem(p, n, "://", 3))
      r = urls(c, &v, origin, &found);
  }
  size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == '\t'))
    i++;
  if (r == 0 && i < n && (p[i] == 'B' || p[i] == 'b'))
    r = auth_value(c, &v, origin, &found);
  if (r == 0 && n >= 8 && n <= (CRV_CREDS_MAX_FIELD / 3u) * 8u + 8u && b64_value(p[0]) >= 0)
    r = bare_base64(c, &v, origin, &found);
  return r < 0 ? -CRV_ERR_NOMEM : found;
}

int crvi_creds_feed_value(struct crv_creds *c, const uint8_t *p, size_t n,
                          const struct crv_cred_origin *origin)
{
  static const uint8_t empty[1];
  if (!c || !origin || (!p && n))
    return -CRV_ERR_INVALID_ARG;
  return feed(c, p ? p : empty, n, origin, 0);
}

int crvi_creds_feed_object(struct crv_creds *c, const crv_object *o)
{
  crvi_value v;
  if (!c || !o || crvi_w_value(o, &v) != CRV_OK)
    return -CRV_ERR_INVALID_ARG;
  struct crv_cred_origin origin = {.addr = o->addr, .status = o->status};
  if (!v.text)
    return feed(c, v.data, v.nunits, &origin, 0);
  /* text: as UTF-8 (WTF-8 for lone surrogates), at most about CRV_CREDS_MAX_SCAN bytes */
  size_t pos = 0;
  crvi_buf_reset(&c->conv);
  if (v.nunits)
    crvi_text_utf8_step(&c->conv, v.data, v.nunits, v.kind, v.flags, &pos, CRV_CREDS_MAX_SCAN);
  if (c->conv.err == CRV_ERR_NOMEM)
    return -CRV_ERR_NOMEM;
  const uint8_t *p = c->conv.p ? (const uint8_t *)c->conv.p : v.data;
  return feed(c, p, c->conv.len, &origin, pos < v.nunits);
}
