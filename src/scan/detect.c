/* SPDX-License-Identifier: MIT */
/* Which CPython version, among the layouts that fit the type objects (§8):
 * --python, then the _Py_DebugOffsets cookie "xdebugpy" (3.13+), then the Py_GetVersion()
 * text, then interpreter file names from --maps, and finally the family alone. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scan.h"
#include "util/limits.h"
#include "util/span.h"

#define SEARCH_CHUNK (1u << 20)
#define SEARCH_OVERLAP 256u

static const struct crv_layout *pick(const struct crv_pytypes *t, unsigned major, unsigned minor)
{
  for (size_t i = 0; i < t->n_candidates; i++)
    if (t->candidates[i]->version == ((major << 8) | minor))
      return t->candidates[i];
  return NULL;
}

/* Visit the image cluster in overlapping chunks. fn returns 1 to stop. */
static int walk_image(struct crv_space *s, const struct crv_pytypes *t,
                      int (*fn)(void *u, const uint8_t *b, size_t n, uint64_t at), void *u)
{
  uint8_t *buf = malloc(SEARCH_CHUNK + SEARCH_OVERLAP);
  int found = 0;
  if (!buf)
    return 0;
  for (size_t i = t->image_first; i <= t->image_last && !found; i++) {
    const struct crv_region *r = &s->r[i];
    for (uint64_t pos = r->start; pos < r->end && !found; pos += SEARCH_CHUNK) {
      size_t want = (r->end - pos) < SEARCH_CHUNK + SEARCH_OVERLAP
                        ? (size_t)(r->end - pos)
                        : SEARCH_CHUNK + SEARCH_OVERLAP;
      size_t got = crvi_space_read(s, pos, buf, want);
      found = fn(u, buf, got, pos);
      if (got < want)
        break;
    }
  }
  free(buf);
  return found;
}

struct cookie_ctx {
  const struct crv_pytypes *t;
  const struct crv_layout *found;
  unsigned major, minor;
};

static int find_cookie(void *u, const uint8_t *b, size_t n, uint64_t at)
{
  struct cookie_ctx *c = u;
  (void)at;
  for (size_t o = 0; o + 24 <= n; o += 8) { /* _PyRuntime is aligned */
    if (memcmp(b + o, "xdebugpy", 8) != 0)
      continue;
    uint64_t hex = span_u64le(b + o + 8), ft = span_u64le(b + o + 16);
    unsigned major = (unsigned)(hex >> 24) & 0xFF, minor = (unsigned)(hex >> 16) & 0xFF;
    if (major != 3 || ft > 1)
      continue;
    const struct crv_layout *l = pick(c->t, major, minor);
    if (l && !!l->hdr->free_threaded == !!ft) {
      c->found = l;
      c->major = major;
      c->minor = minor;
      return 1;
    }
  }
  return 0;
}

struct text_ctx {
  const struct crv_pytypes *t;
  pcre2_code *re;
  pcre2_match_data *md;
  const struct crv_layout *found;
  char full[32];
};

static int find_text(void *u, const uint8_t *b, size_t n, uint64_t at)
{
  struct text_ctx *c = u;
  PCRE2_SIZE start = 0;
  (void)at;
  while (start < n && pcre2_match(c->re, b, n, start, 0, c->md, NULL) >= 0) {
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
    /* groups: 1 the whole version, 2 major, 3 minor */
    unsigned major = b[ov[4]] - '0', minor = 0;
    for (PCRE2_SIZE k = ov[6]; k < ov[7]; k++)
      minor = minor * 10 + (unsigned)(b[k] - '0');
    const struct crv_layout *l = pick(c->t, major, minor);
    if (l) {
      size_t len = ov[3] - ov[2] < sizeof c->full - 1 ? ov[3] - ov[2] : sizeof c->full - 1;
      memcpy(c->full, b + ov[2], len);
      c->full[len] = '\0';
      c->found = l;
      return 1;
    }
    start = ov[1] > start ? ov[1] : start + 1;
  }
  return 0;
}

/* "python3.11", "libpython2.7.so", "python3.13t" in a mapping path. */
static const struct crv_layout *from_maps(const struct crv_space *s, const struct crv_pytypes *t)
{
  for (size_t i = 0; i < s->n; i++) {
    const char *p = s->r[i].path;
    if (!p)
      continue;
    const char *slash = strrchr(p, '/');
    const char *q = strstr(slash ? slash : p, "python");
    if (!q)
      continue;
    q += 6;
    if ((q[0] != '2' && q[0] != '3') || q[1] != '.' || q[2] < '0' || q[2] > '9')
      continue;
    unsigned major = (unsigned)(q[0] - '0'), minor = (unsigned)(q[2] - '0');
    if (q[3] >= '0' && q[3] <= '9')
      minor = minor * 10 + (unsigned)(q[3] - '0');
    const struct crv_layout *l = pick(t, major, minor);
    if (l)
      return l;
  }
  return NULL;
}

crv_err crvi_detect_version(struct crv_space *s, const struct crv_pytypes *t,
                            const char *forced, struct crv_version *out, char *msg,
                            size_t msg_len)
{
  memset(out, 0, sizeof *out);
  if (forced) {
    for (size_t i = 0; i < t->n_candidates; i++)
      if (strcmp(t->candidates[i]->python, forced) == 0) {
        out->layout = t->candidates[i];
        out->source = "option";
        goto done;
      }
    snprintf(msg, msg_len,
             "--python %s does not fit this memory: its type objects are those of CPython %s "
             "(%s)", forced, t->candidates[0]->family_name, t->candidates[0]->arch);
    return CRV_ERR_INVALID_ARG;
  }
  struct cookie_ctx cc = {.t = t};
  if (walk_image(s, t, find_cookie, &cc)) {
    out->layout = cc.found;
    out->source = "xdebugpy";
  }
  /* The version text is looked for even after the cookie: it gives the micro version. */
  int err;
  PCRE2_SIZE eoff;
  pcre2_code *re = pcre2_compile(
      (PCRE2_SPTR) "(([23])\\.(\\d{1,2})\\.\\d{1,3}[a-z0-9+]{0,8}) \\([^)\\n\\x00]{1,80}\\) ?\\n?\\[",
      PCRE2_ZERO_TERMINATED, 0, &err, &eoff, NULL);
  if (re) {
    struct text_ctx tc = {.t = t, .re = re};
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    tc.md = pcre2_match_data_create_from_pattern(re, NULL);
    if (tc.md && walk_image(s, t, find_text, &tc)) {
      /* The text may be set first in a version the cookie already named: keep both. */
      if (!out->layout || out->layout == tc.found) {
        snprintf(out->python_full, sizeof out->python_full, "%s", tc.full);
        if (!out->layout) {
          out->layout = tc.found;
          out->source = "version-text";
        }
      }
    }
    pcre2_match_data_free(tc.md);
    pcre2_code_free(re);
  }
  if (!out->layout && (out->layout = from_maps(s, t)) != NULL)
    out->source = "maps";
  if (!out->layout) {
    out->layout = t->candidates[0];
    out->source = "layout";
    snprintf(out->python, sizeof out->python, "%s", out->layout->family_name);
    return CRV_OK;
  }
done:
  snprintf(out->python, sizeof out->python, "%s", out->layout->python);
  return CRV_OK;
}
