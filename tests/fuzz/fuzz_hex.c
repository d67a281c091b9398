/* SPDX-License-Identifier: MIT */
/* Hex byte patterns of carver grep --hex (src/search: crvi_hex_to_regex, then the pattern
 * set). Input: the pattern text, then optionally a NUL byte and bytes to search.
 * Properties: a pattern is converted or refused with a message; every conversion fits its
 * buffer and compiles (a converted pattern that PCRE2 refuses is a converter bug); every
 * match of it lies inside the subject, is non-empty and follows the previous one; a
 * pattern of plain hex bytes matches exactly where memmem finds those bytes. */
#define _GNU_SOURCE /* memmem */
#include <string.h>
#include "fuzz.h"
#include "search/search.h"

struct hits {
  size_t len, last_end, n;
  const uint8_t *subj;
  const uint8_t *lit; /* plain byte pattern, or NULL */
  size_t lit_len;
};

static int on_span(void *user, size_t pat, size_t start, size_t end)
{
  struct hits *h = user;
  FUZZ_ASSERT(pat == 0);
  FUZZ_ASSERT(start < end && end <= h->len && start >= h->last_end);
  if (h->lit) {
    /* the leftmost occurrence at or after the previous match */
    const uint8_t *at = memmem(h->subj + h->last_end, h->len - h->last_end, h->lit, h->lit_len);
    FUZZ_ASSERT(at && (size_t)(at - h->subj) == start && end - start == h->lit_len);
  }
  h->last_end = end;
  h->n++;
  return 0;
}

static int hexval(int c)
{
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char out[1 << 16];
  char err[256];
  const uint8_t *nul = memchr(data, 0, size);
  const size_t plen = nul ? (size_t)(nul - data) : size;
  if (plen > 4096)
    return 0;
  err[0] = '\0';
  if (crvi_hex_to_regex((const char *)data, plen, out, sizeof out, err, sizeof err) != 0) {
    FUZZ_ASSERT(err[0] != '\0');
    return 0;
  }
  FUZZ_ASSERT(memchr(out, '\0', sizeof out) != NULL);
  struct crvi_search *s;
  FUZZ_ASSERT(crvi_search_create(&s, CRVI_SEARCH_NO_TEXT) == CRV_OK);
  crv_err e = crvi_search_add(s, (const char *)data, plen, CRVI_PAT_HEX);
  /* an empty pattern, or one over PCRE2's own limits, may be refused: with a reason */
  if (e != CRV_OK) {
    FUZZ_ASSERT(e == CRV_ERR_REGEX && crvi_search_errmsg(s)[0] != '\0');
    crvi_search_destroy(s);
    return 0;
  }
  /* A plain sequence of hex bytes (spaces and commas between them) is a literal. */
  uint8_t lit[2048];
  size_t lit_len = 0;
  int plain = 1;
  for (size_t i = 0; i < plen && plain;) {
    int c = data[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
      i++;
    } else if (i + 1 < plen && hexval(c) >= 0 && hexval(data[i + 1]) >= 0 &&
               lit_len < sizeof lit) {
      lit[lit_len++] = (uint8_t)(hexval(c) << 4 | hexval(data[i + 1]));
      i += 2;
    } else {
      plain = 0;
    }
  }
  if (nul) {
    struct hits h = {size - plen - 1, 0, 0, nul + 1, plain && lit_len ? lit : NULL, lit_len};
    e = crvi_search_value(s, 0, nul + 1, size - plen - 1, 0, on_span, &h);
    FUZZ_ASSERT(e == CRV_OK || e == CRV_ERR_LIMIT);
    if (h.lit && e == CRV_OK) /* no occurrence after the last match */
      FUZZ_ASSERT(!memmem(h.subj + h.last_end, h.len - h.last_end, lit, lit_len));
  }
  crvi_search_destroy(s);
  return 0;
}
