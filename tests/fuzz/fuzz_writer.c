/* SPDX-License-Identifier: MIT */
/* Output safety of the findings writers (src/out): one object (and a meta record whose
 * source name and region come from the input) written as text, JSON lines and msgpack.
 * Input: byte 0 picks the object's type, kind and flags; byte 1 the length of the region
 * name that follows; the rest is the value.
 * Properties: text output is valid UTF-8 with no control character but the line ends, no
 * DEL, C1, line/paragraph separator or bidi control, and one line per object; every JSON
 * line is valid JSON of the same characters (no raw controls), and its value decodes back
 * to the object's value; msgpack records decode, hold valid UTF-8 strings (WTF-8 for lone
 * surrogates in values) and carry the value exactly. */
#define _GNU_SOURCE /* open_memstream */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "out/textenc.h"
#include "out/writer.h"
#include "triage/reader.h"
#include "util/limits.h"

/* ---- reference: code units to UTF-8 / WTF-8, written independently of textenc.c ---- */

static size_t put_utf8(uint8_t *o, uint32_t cp)
{
  if (cp > 0x10FFFF)
    cp = 0xFFFD;
  if (cp < 0x80) {
    o[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (uint8_t)(0xC0 | cp >> 6);
    o[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (uint8_t)(0xE0 | cp >> 12);
    o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (uint8_t)(0xF0 | cp >> 18);
  o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

/* Returns the length written to out (room for 4 bytes per unit). utf16: pairs combine. */
static size_t ref_wtf8(const uint8_t *d, size_t nunits, unsigned kind, int utf16, uint8_t *out)
{
  size_t o = 0;
  for (size_t i = 0; i < nunits; i++) {
    uint32_t u = kind == 1 ? d[i]
                 : kind == 2 ? (uint32_t)(d[2 * i] | d[2 * i + 1] << 8)
                             : (uint32_t)d[4 * i] | (uint32_t)d[4 * i + 1] << 8 |
                                   (uint32_t)d[4 * i + 2] << 16 | (uint32_t)d[4 * i + 3] << 24;
    if (utf16 && u >= 0xD800 && u < 0xDC00 && i + 1 < nunits) {
      uint32_t lo = (uint32_t)(d[2 * i + 2] | d[2 * i + 3] << 8);
      if (lo >= 0xDC00 && lo < 0xE000) {
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        i++;
      }
    }
    o += put_utf8(out + o, u);
  }
  return o;
}

/* ---- a small JSON reader: validates a line and returns the decoded "value" string ---- */

struct js {
  const uint8_t *p, *end;
  uint8_t *val; /* decoded "value", as WTF-8 */
  size_t val_len;
  int have_val;
};

static void ws(struct js *j)
{
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t'))
    j->p++;
}

static int hex4(const uint8_t *p, uint32_t *v)
{
  *v = 0;
  for (int i = 0; i < 4; i++) {
    int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0)
      return -1;
    *v = *v << 4 | (uint32_t)d;
  }
  return 0;
}

/* A string; decoded into out (may be NULL) as WTF-8. */
static int str(struct js *j, uint8_t *out, size_t *olen)
{
  size_t o = 0;
  if (j->p >= j->end || *j->p != '"')
    return -1;
  j->p++;
  while (j->p < j->end && *j->p != '"') {
    uint8_t c = *j->p;
    if (c < 0x20 || c == 0x7f)
      return -1; /* raw control characters are not allowed (DEL: by carver's rule) */
    if (c != '\\') {
      if (out)
        out[o] = c;
      o++;
      j->p++;
      continue;
    }
    if (j->end - j->p < 2)
      return -1;
    uint8_t e = j->p[1];
    j->p += 2;
    uint32_t cp;
    switch (e) {
    case '"': cp = '"'; break;
    case '\\': cp = '\\'; break;
    case '/': cp = '/'; break;
    case 'b': cp = 8; break;
    case 'f': cp = 12; break;
    case 'n': cp = 10; break;
    case 'r': cp = 13; break;
    case 't': cp = 9; break;
    case 'u':
      if (j->end - j->p < 4 || hex4(j->p, &cp))
        return -1;
      /* Escaped surrogates stay separate code points here: carver escapes only lone ones
       * (a str may hold a high and a low surrogate side by side, two code points; a JSON
       * reader would join them, see tests/fuzz/README.md). */
      j->p += 4;
      break;
    default:
      return -1;
    }
    uint8_t tmp[4];
    size_t k = put_utf8(tmp, cp);
    if (out)
      memcpy(out + o, tmp, k);
    o += k;
  }
  if (j->p >= j->end)
    return -1;
  j->p++;
  if (olen)
    *olen = o;
  return 0;
}

static int value(struct js *j, int depth);

static int number(struct js *j)
{
  const uint8_t *s = j->p;
  if (j->p < j->end && *j->p == '-')
    j->p++;
  while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '.' || *j->p == 'e' ||
                           *j->p == 'E' || *j->p == '+' || *j->p == '-'))
    j->p++;
  return j->p > s ? 0 : -1;
}

static int lit(struct js *j, const char *w)
{
  size_t n = strlen(w);
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
    return -1;
  j->p += n;
  return 0;
}

static int value(struct js *j, int depth)
{
  ws(j);
  if (j->p >= j->end || depth > 8)
    return -1;
  switch (*j->p) {
  case '"':
    return str(j, NULL, NULL);
  case 't': return lit(j, "true");
  case 'f': return lit(j, "false");
  case 'n': return lit(j, "null");
  case '[':
  case '{': {
    int obj = *j->p == '{';
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
      j->p++;
      return 0;
    }
    for (;;) {
      ws(j);
      if (obj) {
        const uint8_t *k = j->p;
        if (str(j, NULL, NULL))
          return -1;
        int is_value = j->p - k == 7 && memcmp(k, "\"value\"", 7) == 0 && depth == 0;
        ws(j);
        if (j->p >= j->end || *j->p++ != ':')
          return -1;
        ws(j);
        if (is_value) {
          if (str(j, j->val, &j->val_len))
            return -1;
          j->have_val = 1;
        } else if (value(j, depth + 1)) {
          return -1;
        }
      } else if (value(j, depth + 1)) {
        return -1;
      }
      ws(j);
      if (j->p >= j->end)
        return -1;
      if (*j->p == ',') {
        j->p++;
        continue;
      }
      if (*j->p++ != (obj ? '}' : ']'))
        return -1;
      return 0;
    }
  }
  default:
    return number(j);
  }
}

/* ---- checks per format ----------------------------------------------------------------- */

/* Valid UTF-8, and no code point that could drive a terminal except '\n'. */
static void check_safe_text(const uint8_t *s, size_t n)
{
  size_t pos = 0;
  while (pos < n) {
    uint32_t cp = crvi_utf8_next(s, n, 0, &pos);
    FUZZ_ASSERT(cp != CRVI_UTF8_BAD);
    FUZZ_ASSERT(cp == '\n' || !crvi_cp_is_dangerous(cp));
  }
}

static void check_jsonl(const uint8_t *s, size_t n, const uint8_t *want, size_t want_len,
                        int is_text, uint8_t *scratch)
{
  size_t lines = 0, pos = 0;
  FUZZ_ASSERT(n > 0 && s[n - 1] == '\n');
  while (pos < n) {
    const uint8_t *nl = memchr(s + pos, '\n', n - pos);
    FUZZ_ASSERT(nl);
    struct js j = {s + pos, nl, scratch, 0, 0};
    FUZZ_ASSERT(value(&j, 0) == 0);
    ws(&j);
    FUZZ_ASSERT(j.p == nl);
    /* the object line (the second) carries the value: text values always, bytes when
     * they are UTF-8 */
    if (lines == 1) {
      if (is_text || crvi_utf8_valid(want, want_len)) {
        FUZZ_ASSERT(j.have_val);
        FUZZ_ASSERT(j.val_len == want_len && memcmp(j.val, want, want_len) == 0);
      }
    }
    /* each line's bytes: UTF-8, and JSON escapes every control character */
    size_t p2 = pos;
    while (p2 < (size_t)(nl - s)) {
      uint32_t cp = crvi_utf8_next(s, (size_t)(nl - s), 0, &p2);
      FUZZ_ASSERT(cp != CRVI_UTF8_BAD && !crvi_cp_is_dangerous(cp));
    }
    pos = (size_t)(nl - s) + 1;
    lines++;
  }
  FUZZ_ASSERT(lines == 3);
}

static const msgpack_object *map_get(const msgpack_object *m, const char *k)
{
  size_t kl = strlen(k);
  for (uint32_t i = 0; i < m->via.map.size; i++) {
    const msgpack_object *key = &m->via.map.ptr[i].key;
    if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == kl &&
        memcmp(key->via.str.ptr, k, kl) == 0)
      return &m->via.map.ptr[i].val;
  }
  return NULL;
}

static void check_msgpack(const uint8_t *s, size_t n, const uint8_t *want, size_t want_len,
                          int is_text, const uint8_t *raw, size_t raw_len)
{
  const struct crvi_mpw_limits lim = {CRV_TRIAGE_MAX_RECORD, CRV_TRIAGE_MAX_NODES,
                                      CRV_TRIAGE_MAX_DEPTH};
  size_t pos = 0, records = 0;
  while (pos < n) {
    uint64_t rl, nodes;
    FUZZ_ASSERT(crvi_mpw_extent(s + pos, n - pos, &lim, &rl, &nodes) == CRVI_MPW_OK);
    msgpack_unpacked up;
    size_t off = 0;
    msgpack_unpacked_init(&up);
    FUZZ_ASSERT(msgpack_unpack_next(&up, (const char *)s + pos, (size_t)rl, &off) ==
                MSGPACK_UNPACK_SUCCESS);
    FUZZ_ASSERT(up.data.type == MSGPACK_OBJECT_MAP);
    const msgpack_object *m = &up.data;
    for (uint32_t i = 0; i < m->via.map.size; i++) {
      const msgpack_object *k = &m->via.map.ptr[i].key, *v = &m->via.map.ptr[i].val;
      FUZZ_ASSERT(k->type == MSGPACK_OBJECT_STR);
      if (v->type == MSGPACK_OBJECT_STR) {
        int is_value = k->via.str.size == 5 && memcmp(k->via.str.ptr, "value", 5) == 0;
        size_t p2 = 0;
        while (p2 < v->via.str.size)
          FUZZ_ASSERT(crvi_utf8_next((const uint8_t *)v->via.str.ptr, v->via.str.size,
                                     is_value ? CRVI_UTF8_SURROGATES : 0, &p2) != CRVI_UTF8_BAD);
      }
    }
    if (records == 1) {
      const msgpack_object *v = map_get(m, "value");
      FUZZ_ASSERT(v);
      if (is_text) {
        FUZZ_ASSERT(v->type == MSGPACK_OBJECT_STR && v->via.str.size == want_len &&
                    memcmp(v->via.str.ptr, want, want_len) == 0);
      } else {
        FUZZ_ASSERT(v->type == MSGPACK_OBJECT_BIN && v->via.bin.size == raw_len &&
                    memcmp(v->via.bin.ptr, raw, raw_len) == 0);
      }
    }
    msgpack_unpacked_destroy(&up);
    pos += (size_t)rl;
    records++;
  }
  FUZZ_ASSERT(records == 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const int types[4] = {CRV_OBJ_STR, CRV_OBJ_BYTES, CRV_OBJ_STR27, CRV_OBJ_UNICODE27};
  static const unsigned kinds[4] = {1, 2, 4, 2};
  if (size < 2 || size > (1u << 16))
    return 0;
  char region[256];
  size_t rl = data[1] < size - 2 ? data[1] : size - 2;
  memcpy(region, data + 2, rl);
  region[rl] = '\0';
  const uint8_t *val = data + 2 + rl;
  size_t vn = size - 2 - rl;

  crv_object o;
  memset(&o, 0, sizeof o);
  o.type = types[data[0] & 3];
  int text = crv_obj_type_is_text(o.type);
  o.kind = text ? kinds[(data[0] >> 2) & 3] : 1;
  o.ascii = o.type == CRV_OBJ_STR ? ((data[0] >> 4) & 1 ? -1 : 0) : -1;
  o.interned = -1;
  o.hash = -1;
  o.hash_check = (data[0] >> 5) & 3;
  o.status = (data[0] >> 7) & 1;
  o.addr = 0x7f0000001000ull;
  o.length = vn / o.kind;
  o.data = val;
  o.data_len = (size_t)o.length * o.kind;
  o.region = region;

  /* The value as every format must carry it (UTF-16 pairs for narrow builds only). */
  int utf16 = o.kind == 2 && (o.type == CRV_OBJ_UNICODE27 || (o.type == CRV_OBJ_STR && o.ascii < 0));
  uint8_t *want = malloc(4 * vn + 4), *scratch = malloc(8 * vn + 64);
  FUZZ_ASSERT(want && scratch);
  size_t want_len = text ? ref_wtf8(val, (size_t)o.length, o.kind, utf16, want) : o.data_len;
  if (!text)
    memcpy(want, val, o.data_len);

  const char *sources[2] = {region, "dump/task.1.0x1000.vma"};
  crv_meta m;
  memset(&m, 0, sizeof m);
  m.tool_version = "0.1.0";
  m.python = region;
  m.version_source = "layout";
  m.layout = "cpython-3.11-x86_64";
  m.pid = 1;
  m.sources = sources;
  m.n_sources = 2;
  crv_summary sum;
  memset(&sum, 0, sizeof sum);
  sum.objects = 1;

  for (int fmt = CRV_FORMAT_TEXT; fmt <= CRV_FORMAT_MSGPACK; fmt++) {
    char *out = NULL;
    size_t out_len = 0;
    FILE *fp = open_memstream(&out, &out_len);
    FUZZ_ASSERT(fp);
    struct crv_writer *w;
    FUZZ_ASSERT(crvi_writer_open(&w, (enum crv_format)fmt, fp) == CRV_OK);
    FUZZ_ASSERT(crvi_writer_meta(w, &m) == CRV_OK);
    FUZZ_ASSERT(crvi_writer_object(w, &o) == CRV_OK);
    FUZZ_ASSERT(crvi_writer_summary(w, &sum) == CRV_OK);
    FUZZ_ASSERT(crvi_writer_close(w) == CRV_OK);
    fclose(fp);
    const uint8_t *s = (const uint8_t *)out;
    if (fmt == CRV_FORMAT_TEXT) {
      check_safe_text(s, out_len);
      size_t lines = 0;
      for (size_t i = 0; i < out_len; i++)
        lines += s[i] == '\n';
      FUZZ_ASSERT(lines == 4 && out_len && s[out_len - 1] == '\n'); /* 2 header, object, summary */
    } else if (fmt == CRV_FORMAT_JSONL) {
      check_jsonl(s, out_len, want, want_len, text, scratch);
    } else {
      check_msgpack(s, out_len, want, want_len, text, val, o.data_len);
    }
    free(out);
  }
  free(want);
  free(scratch);
  return 0;
}
