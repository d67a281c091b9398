/* SPDX-License-Identifier: MIT */
/* Writers and text conversions: round trips of synthetic objects of every type through
 * every format, WTF-8 and JSON escaping, UCS-2/UCS-4 conversion, base64, terminal-safe
 * text, and write-error reporting on /dev/full. */
#define _POSIX_C_SOURCE 200809L
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "carver/object.h"
#include "out/textenc.h"
#include "out/writer.h"

/* ---- helpers ------------------------------------------------------------------------- */

static char *slurp(FILE *f, size_t *n)
{
  fflush(f);
  long end;
  if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
    return NULL;
  char *p = malloc((size_t)end + 1);
  if (!p)
    return NULL;
  *n = fread(p, 1, (size_t)end, f);
  p[*n] = '\0';
  return p;
}

/* Whole conversion of a crvi_buf-producing step function into a NUL-terminated copy. */
static char *buf_take(crvi_buf *b, size_t *n)
{
  char *p = malloc(b->len + 1);
  memcpy(p, b->p ? b->p : "", b->len);
  p[b->len] = '\0';
  if (n)
    *n = b->len;
  crvi_buf_free(b);
  return p;
}

static size_t put_u16(uint8_t *p, const uint16_t *u, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    p[2 * i] = (uint8_t)u[i];
    p[2 * i + 1] = (uint8_t)(u[i] >> 8);
  }
  return 2 * n;
}

static size_t put_u32(uint8_t *p, const uint32_t *u, size_t n)
{
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 4; k++)
      p[4 * i + (size_t)k] = (uint8_t)(u[i] >> (8 * k));
  return 4 * n;
}

static char *to_utf8(const uint8_t *d, size_t nunits, unsigned kind, unsigned flags, size_t *n)
{
  crvi_buf b;
  crvi_buf_init(&b, 1u << 26);
  size_t pos = 0;
  crvi_text_utf8_step(&b, d, nunits, kind, flags, &pos, SIZE_MAX);
  return buf_take(&b, n);
}

static char *to_json(const uint8_t *d, size_t nunits, unsigned kind, unsigned flags)
{
  crvi_buf b;
  crvi_buf_init(&b, 1u << 26);
  size_t pos = 0;
  crvi_json_units_step(&b, d, nunits, kind, flags, &pos, SIZE_MAX);
  return buf_take(&b, NULL);
}

static char *b64(const char *s, size_t n)
{
  crvi_buf b;
  crvi_buf_init(&b, 1024);
  size_t pos = 0;
  crvi_base64_step(&b, (const uint8_t *)s, n, &pos, SIZE_MAX);
  return buf_take(&b, NULL);
}

/* ---- textenc ------------------------------------------------------------------------- */

static void test_buf(void)
{
  crvi_buf b;
  crvi_buf_init(&b, 8);
  crvi_buf_puts(&b, "1234");
  crvi_buf_puts(&b, "5678");
  CHECK(b.err == CRV_OK);
  CHECK_STR(b.p, "12345678");
  crvi_buf_putc(&b, '9');
  CHECK(b.err == CRV_ERR_LIMIT);
  CHECK_EQ_U64(b.len, 8);
  crvi_buf_puts(&b, "x"); /* sticky: ignored */
  CHECK_EQ_U64(b.len, 8);
  crvi_buf_reset(&b);
  CHECK(b.err == CRV_OK);
  CHECK_EQ_U64(b.len, 0);
  crvi_buf_printf(&b, "%d", 42);
  CHECK_STR(b.p, "42");
  crvi_buf_free(&b);
}

static void test_base64(void)
{
  static const char *const want[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                     "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i <= 6; i++) {
    char *got = b64("foobar", i);
    CHECK_STR(got, want[i]);
    CHECK_EQ_U64(crvi_base64_len(i), strlen(want[i]));
    free(got);
  }
  char *got = b64("\x00\xff\xfe", 3);
  CHECK_STR(got, "AP/+");
  free(got);
  /* Stepwise with a tiny limit gives the same text. */
  crvi_buf b;
  crvi_buf_init(&b, 1024);
  size_t pos = 0, steps = 0;
  while (pos < 7) {
    crvi_base64_step(&b, (const uint8_t *)"foobar!", 7, &pos, b.len + 1);
    steps++;
  }
  CHECK_EQ_U64(steps, 3);
  CHECK_STR(b.p, "Zm9vYmFyIQ==");
  crvi_buf_free(&b);
}

static void test_utf8_valid(void)
{
  CHECK(crvi_utf8_valid((const uint8_t *)"", 0));
  CHECK(crvi_utf8_valid((const uint8_t *)"abc", 3));
  CHECK(crvi_utf8_valid((const uint8_t *)"h\xc3\xa9", 3));
  CHECK(crvi_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4));
  CHECK(crvi_utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4));  /* U+10FFFF */
  CHECK(!crvi_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
  CHECK(!crvi_utf8_valid((const uint8_t *)"\xc0\x80", 2));         /* overlong NUL */
  CHECK(!crvi_utf8_valid((const uint8_t *)"\xe0\x80\x80", 3));     /* overlong */
  CHECK(!crvi_utf8_valid((const uint8_t *)"\xf0\x80\x80\x80", 4)); /* overlong */
  CHECK(!crvi_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* surrogate */
  CHECK(!crvi_utf8_valid((const uint8_t *)"\xc3", 1));             /* truncated */
  CHECK(!crvi_utf8_valid((const uint8_t *)"\x80", 1));             /* stray */
  CHECK(!crvi_utf8_valid((const uint8_t *)"\xff", 1));
  size_t pos = 0;
  CHECK_EQ_U64(crvi_utf8_next((const uint8_t *)"\xed\xa0\x80", 3, CRVI_UTF8_SURROGATES, &pos),
               0xD800);
  CHECK_EQ_U64(pos, 3);
  CHECK_EQ_U64(crvi_utf8_sanitized_len((const uint8_t *)"a\xff"
                                                        "b",
                                       3),
               5);
}

static void test_ucs(void)
{
  uint8_t d[64];
  size_t n;
  char *s;

  /* Latin-1. */
  s = to_utf8((const uint8_t *)"h\xe9\x7f", 3, 1, 0, &n);
  CHECK_STR(s, "h\xc3\xa9\x7f");
  CHECK_EQ_U64(crvi_text_utf8_len((const uint8_t *)"h\xe9\x7f", 3, 1, 0), 4);
  free(s);

  /* PEP 393 UCS-2: a high+low pair stays two lone surrogates (WTF-8), never combined. */
  static const uint16_t u2[] = {'A', 0x20AC, 0xD83D, 0xDE00, 0xDC00, 'z'};
  put_u16(d, u2, 6);
  s = to_utf8(d, 6, 2, 0, &n);
  CHECK_EQ_U64(n, 1 + 3 + 3 + 3 + 3 + 1);
  CHECK_STR(s, "A\xe2\x82\xac\xed\xa0\xbd\xed\xb8\x80\xed\xb0\x80z");
  CHECK_EQ_U64(crvi_text_utf8_len(d, 6, 2, 0), n);
  free(s);
  /* UTF-16 (narrow build): the pair is one code point; the lone low stays WTF-8. */
  s = to_utf8(d, 6, 2, CRVI_TEXT_UTF16, &n);
  CHECK_STR(s, "A\xe2\x82\xac\xf0\x9f\x98\x80\xed\xb0\x80z");
  CHECK_EQ_U64(crvi_text_utf8_len(d, 6, 2, CRVI_TEXT_UTF16), n);
  free(s);
  /* A high surrogate as the last unit. */
  static const uint16_t u2b[] = {'x', 0xD800};
  put_u16(d, u2b, 2);
  s = to_utf8(d, 2, 2, CRVI_TEXT_UTF16, &n);
  CHECK_STR(s, "x\xed\xa0\x80");
  free(s);

  /* UCS-4: astral, out of range (U+FFFD), surrogate. */
  static const uint32_t u4[] = {0x1F600, 0x110000, 0xFFFFFFFFu, 0xDFFF, 0x10FFFF};
  put_u32(d, u4, 5);
  s = to_utf8(d, 5, 4, 0, &n);
  CHECK_STR(s, "\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd\xed\xbf\xbf\xf4\x8f\xbf\xbf");
  CHECK_EQ_U64(crvi_text_utf8_len(d, 5, 4, 0), n);
  free(s);

  /* Stepwise conversion with a small limit never splits a pair. */
  static const uint16_t u2c[] = {0xD83D, 0xDE00, 0xD83D, 0xDE01, 'q'};
  put_u16(d, u2c, 5);
  crvi_buf b;
  crvi_buf_init(&b, 1024);
  size_t pos = 0;
  while (pos < 5)
    crvi_text_utf8_step(&b, d, 5, 2, CRVI_TEXT_UTF16, &pos, b.len + 1);
  CHECK_STR(b.p, "\xf0\x9f\x98\x80\xf0\x9f\x98\x81q");
  crvi_buf_free(&b);
}

/* Every stepwise converter gives the same text in small steps as in one go. */
static void test_steps(void)
{
  enum { N = 3000 };
  static uint8_t d[4 * N];
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof d; i++) {
    x = x * 1103515245u + 12345u;
    uint8_t c = (uint8_t)(x >> 16);
    /* Mostly ASCII with every kind of trouble mixed in. */
    d[i] = (x >> 8) % 4 ? (uint8_t)('a' + c % 26) : c;
    if (i % 4 == 3 && c % 3)
      d[i] = 0; /* keep many UCS-4 units in range */
    if (i % 97 == 0)
      d[i] = 0xED;
  }
  int same = 1;
  for (int mode = 0; mode < 5; mode++) {
    for (unsigned kind = 1; kind <= 4; kind *= 2) {
      size_t nunits = mode >= 3 ? sizeof d : sizeof d / kind;
      unsigned flags = kind == 2 && mode == 1 ? CRVI_TEXT_UTF16 : 0;
      crvi_buf whole, steps;
      crvi_buf_init(&whole, 1u << 20);
      crvi_buf_init(&steps, 1u << 20);
      for (int pass = 0; pass < 2; pass++) {
        crvi_buf *b = pass ? &steps : &whole;
        size_t pos = 0;
        while (pos < nunits) {
          size_t limit = pass ? b->len + 7 : SIZE_MAX;
          switch (mode) {
          case 0:
          case 1:
            crvi_text_utf8_step(b, d, nunits, kind, flags, &pos, limit);
            break;
          case 2:
            crvi_json_units_step(b, d, nunits, kind, flags, &pos, limit);
            break;
          case 3:
            crvi_json_utf8_step(b, d, nunits, kind == 2 ? CRVI_UTF8_SURROGATES : 0, &pos, limit);
            break;
          default:
            crvi_utf8_sanitize_step(b, d, nunits, &pos, limit);
            break;
          }
        }
      }
      same &= whole.err == CRV_OK && steps.err == CRV_OK && whole.len == steps.len &&
              memcmp(whole.p, steps.p, whole.len) == 0;
      if (mode < 2)
        same &= crvi_text_utf8_len(d, nunits, kind, flags) == whole.len;
      if (mode == 4)
        same &= crvi_utf8_sanitized_len(d, nunits) == whole.len &&
                crvi_utf8_valid((const uint8_t *)whole.p, whole.len);
      crvi_buf_free(&whole);
      crvi_buf_free(&steps);
    }
  }
  CHECK(same);
}

static void test_json_escape(void)
{
  uint8_t d[64];
  static const uint16_t u2[] = {'"',    '\\', '\n',   0x1B,   0x7F,   0x85,
                                0xD800, 'a',  0xDFFF, 0x2028, 0x202E, 0xE9};
  put_u16(d, u2, 12);
  char *s = to_json(d, 12, 2, 0);
  CHECK_STR(s, "\\\"\\\\\\n\\u001b\\u007f\\u0085\\ud800a\\udfff\\u2028\\u202e\xc3\xa9");
  free(s);

  /* WTF-8 input: surrogate sequences become \udXXX escapes; invalid bytes U+FFFD. */
  const char *w8 = "x\xed\xa0\x80y\xed\xbf\xbf\xff";
  crvi_buf b;
  crvi_buf_init(&b, 1024);
  size_t pos = 0;
  crvi_json_utf8_step(&b, (const uint8_t *)w8, strlen(w8), CRVI_UTF8_SURROGATES, &pos, SIZE_MAX);
  CHECK_STR(b.p, "x\\ud800y\\udfff\xef\xbf\xbd");
  /* Strict mode: surrogate bytes are invalid, each becomes U+FFFD. */
  crvi_buf_reset(&b);
  pos = 0;
  crvi_json_utf8_step(&b, (const uint8_t *)"\xed\xa0\x80", 3, 0, &pos, SIZE_MAX);
  CHECK_STR(b.p, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  crvi_buf_free(&b);
}

static void test_repr(void)
{
  uint8_t d[128];
  crvi_buf b;
  crvi_buf_init(&b, 4096);
  static const uint32_t u4[] = {'a',    0x1B,   '[',  '2',     'J',     0x7F, 0x9B, 0x202E, 0x2066,
                                0x2029, 0xD800, 0xE9, 0x1F600, 0xE0001, '"',  '\\', '\t',   0xA0};
  size_t n = sizeof u4 / sizeof u4[0];
  put_u32(d, u4, n);
  int t = crvi_repr_units(&b, d, n, 4, 0, 100);
  CHECK(t == 0);
  CHECK_STR(b.p, "a\\x1b[2J\\x7f\\x9b\\u202e\\u2066\\u2029\\ud800\xc3\xa9\xf0\x9f\x98\x80"
                 "\\U000e0001\\\"\\\\\\t\\xa0");
  int clean = 1;
  for (size_t i = 0; i < b.len; i++)
    clean &= (unsigned char)b.p[i] >= 0x20 && (unsigned char)b.p[i] != 0x7F;
  CHECK(clean);
  /* Truncation. */
  crvi_buf_reset(&b);
  CHECK(crvi_repr_units(&b, d, n, 4, 0, 3) == 1);
  CHECK_STR(b.p, "a\\x1b[");
  /* Bytes. */
  crvi_buf_reset(&b);
  CHECK(crvi_repr_bytes(&b, (const uint8_t *)"A\x1b\xe2\x80\xae\"\r", 7, 100) == 0);
  CHECK_STR(b.p, "A\\x1b\\xe2\\x80\\xae\\\"\\r");
  /* Tool strings: invalid bytes as \xNN, controls escaped. */
  crvi_buf_reset(&b);
  const char *path = "/tmp/\x1b]0;x\x07\xff\xe2\x80\xae";
  crvi_repr_utf8(&b, (const uint8_t *)path, strlen(path), 100);
  CHECK_STR(b.p, "/tmp/\\x1b]0;x\\x07\\xff\\u202e");
  crvi_buf_free(&b);
  CHECK(crvi_cp_is_dangerous(0x1B));
  CHECK(crvi_cp_is_dangerous(0x9B));
  CHECK(crvi_cp_is_dangerous(0x202A));
  CHECK(crvi_cp_is_dangerous(0x2069));
  CHECK(!crvi_cp_is_dangerous('a'));
  CHECK(crvi_cp_is_printable(0x4E2D));
  CHECK(!crvi_cp_is_printable(0xFEFF));
  CHECK(!crvi_cp_is_printable(0x10FFFF));
}

static void test_names(void)
{
  CHECK_STR(crv_obj_type_name(CRV_OBJ_STR), "str");
  CHECK_STR(crv_obj_type_name(CRV_OBJ_BYTES), "bytes");
  CHECK_STR(crv_obj_type_name(CRV_OBJ_STR27), "str");
  CHECK_STR(crv_obj_type_name(CRV_OBJ_UNICODE27), "unicode");
  CHECK_STR(crv_obj_type_name(99), "?");
  CHECK(crv_obj_type_is_text(CRV_OBJ_STR));
  CHECK(!crv_obj_type_is_text(CRV_OBJ_BYTES));
  CHECK(!crv_obj_type_is_text(CRV_OBJ_STR27));
  CHECK(crv_obj_type_is_text(CRV_OBJ_UNICODE27));
  CHECK_STR(crv_hash_check_name(CRV_HASH_UNVERIFIED), "unverified");
  CHECK_STR(crv_hash_check_name(CRV_HASH_MATCH), "match");
  CHECK_STR(crv_hash_check_name(CRV_HASH_MISMATCH), "mismatch");
  CHECK_STR(crv_hash_check_name(CRV_HASH_UNSET), "unset");
  CHECK_STR(crv_status_name(CRV_STATUS_UNKNOWN), "unknown");
  CHECK_STR(crv_status_name(CRV_STATUS_LIVE), "live");
  CHECK_STR(crv_status_name(CRV_STATUS_FREED), "freed");
  CHECK_STR(crv_status_name(-1), "?");
}

/* ---- the sample stream --------------------------------------------------------------- */

enum { NOBJ = 8 };
static uint8_t d_str2[16], d_str4[16], d_u27[16], d_u27_4[16];
static uint8_t *d_big;
static size_t big_units = 200000;
static const char *const sources[] = {"/tmp/core.1", "/tmp/evil\x1b[2J.bin"};
static crv_meta meta;
static crv_object objs[NOBJ];
static crv_summary summary;

static crv_object obj(int type, uint64_t addr, const void *data, size_t data_len, uint64_t length,
                      unsigned kind)
{
  crv_object o;
  memset(&o, 0, sizeof o);
  o.addr = addr;
  o.ob_type = 0x55550000a000ull + (uint64_t)type;
  o.type = type;
  o.length = length;
  o.kind = kind;
  o.ascii = -1;
  o.interned = -1;
  o.hash = -1;
  o.hash_check = CRV_HASH_UNSET;
  o.status = CRV_STATUS_LIVE;
  o.refcnt = 1;
  o.region = "[heap]";
  o.data = data;
  o.data_len = data_len;
  return o;
}

static void build_sample(void)
{
  static const uint16_t u2[] = {'A', 0x20AC, 0xD800, 0xDC00};
  static const uint32_t u4[] = {0x1F600, 0x202E, 0x110000};
  static const uint16_t u27[] = {0xD83D, 0xDE00, 0xDC00};
  static const uint32_t u27_4[] = {'o', 'k'};
  put_u16(d_str2, u2, 4);
  put_u32(d_str4, u4, 3);
  put_u16(d_u27, u27, 3);
  put_u32(d_u27_4, u27_4, 2);
  d_big = malloc(big_units * 2);
  for (size_t i = 0; i < big_units; i++) {
    uint16_t u = (uint16_t)(i % 7 == 0 ? 0xD800 + i % 1024 : i % 5 == 0 ? '"' : 0x4E00 + i % 64);
    d_big[2 * i] = (uint8_t)u;
    d_big[2 * i + 1] = (uint8_t)(u >> 8);
  }

  memset(&meta, 0, sizeof meta);
  meta.tool_version = "0.1.0";
  meta.python = "3.11";
  meta.python_full = "3.11.2";
  meta.version_source = "version-text";
  meta.layout = "cpython-3.11-x86_64";
  meta.hash_key_source = NULL;
  meta.pid = 4242;
  meta.sources = sources;
  meta.n_sources = 2;
  meta.str_type = 0x5555555a1b20ull;
  meta.bytes_type = 0x5555555a0f40ull;

  /* 0: PEP 393 latin-1 with ESC and a newline */
  objs[0] = obj(CRV_OBJ_STR, 0x7f0000001000ull, "hi\x1b[31m\n\xe9", 9, 9, 1);
  objs[0].ascii = 0;
  objs[0].interned = 1;
  objs[0].hash = 0x1234567890abcdefll;
  objs[0].hash_check = CRV_HASH_MATCH;
  /* 1: PEP 393 UCS-2 with a surrogate "pair" that must stay two code points */
  objs[1] = obj(CRV_OBJ_STR, 0x7f0000002000ull, d_str2, 8, 4, 2);
  objs[1].ascii = 0;
  objs[1].interned = 0;
  objs[1].hash = -5;
  objs[1].hash_check = CRV_HASH_UNVERIFIED;
  objs[1].status = CRV_STATUS_FREED;
  objs[1].region = NULL;
  /* 2: PEP 393 UCS-4 with RLO and an out-of-range unit */
  objs[2] = obj(CRV_OBJ_STR, 0x7f0000003000ull, d_str4, 12, 3, 4);
  objs[2].ascii = 0;
  objs[2].interned = 0;
  /* 3: bytes, not UTF-8 */
  objs[3] = obj(CRV_OBJ_BYTES, 0x7f0000004000ull,
                "\x00\xff\x1b"
                "ab",
                5, 5, 1);
  /* 4: bytes, valid UTF-8 */
  objs[4] = obj(CRV_OBJ_BYTES, 0x7f0000005000ull, "h\xc3\xa9\"", 4, 4, 1);
  /* 5: 2.7 str */
  objs[5] = obj(CRV_OBJ_STR27, 0x7f0000006000ull, "py2\x1b", 4, 4, 1);
  objs[5].status = CRV_STATUS_UNKNOWN;
  /* 6: 2.7 unicode, UCS-2 build: the pair combines, the lone low stays */
  objs[6] = obj(CRV_OBJ_UNICODE27, 0x7f0000007000ull, d_u27, 6, 3, 2);
  /* 7: a large PEP 393 UCS-2 str, more than a writer chunk */
  objs[7] = obj(CRV_OBJ_STR, 0x7f0000008000ull, d_big, big_units * 2, big_units, 2);
  objs[7].ascii = 0;
  objs[7].interned = 0;
  objs[7].hash_check = CRV_HASH_MISMATCH;

  memset(&summary, 0, sizeof summary);
  summary.objects = NOBJ;
  summary.by_type[CRV_OBJ_STR] = 4;
  summary.by_type[CRV_OBJ_BYTES] = 2;
  summary.by_type[CRV_OBJ_STR27] = 1;
  summary.by_type[CRV_OBJ_UNICODE27] = 1;
  summary.by_status[CRV_STATUS_LIVE] = 6;
  summary.by_status[CRV_STATUS_FREED] = 1;
  summary.by_status[CRV_STATUS_UNKNOWN] = 1;
  summary.by_hash_check[CRV_HASH_MATCH] = 1;
  summary.by_hash_check[CRV_HASH_UNVERIFIED] = 1;
  summary.by_hash_check[CRV_HASH_MISMATCH] = 1;
  summary.by_hash_check[CRV_HASH_UNSET] = 5;
  summary.candidates = 1000;
  summary.rejected = 992;
  summary.clobbered = 4;
  summary.rejected_by[2] = 990; /* "length-negative" */
  summary.rejected_by[14] = 2;  /* "hash-mismatch" */
  summary.over_cap = 3;
  summary.bytes_scanned = 1ull << 33;
  summary.regions = 17;
  summary.holes = 2;
  summary.elapsed_seconds = 1.25;
  summary.interrupted = 1;
}

/* Writes the sample through a format into a temporary file; returns its contents. */
static char *write_sample(enum crv_format fmt, size_t *n)
{
  FILE *f = tmpfile();
  CHECK(f != NULL);
  if (!f)
    return NULL;
  struct crv_writer *w = NULL;
  CHECK(crvi_writer_open(&w, fmt, f) == CRV_OK);
  CHECK(crvi_writer_meta(w, &meta) == CRV_OK);
  for (int i = 0; i < NOBJ; i++)
    CHECK(crvi_writer_object(w, &objs[i]) == CRV_OK);
  CHECK(crvi_writer_summary(w, &summary) == CRV_OK);
  CHECK(crvi_writer_close(w) == CRV_OK);
  char *p = slurp(f, n);
  fclose(f);
  return p;
}

/* ---- msgpack ------------------------------------------------------------------------- */

static const msgpack_object *mp_get(const msgpack_object *map, const char *key)
{
  if (map->type != MSGPACK_OBJECT_MAP)
    return NULL;
  for (uint32_t i = 0; i < map->via.map.size; i++) {
    const msgpack_object_kv *kv = &map->via.map.ptr[i];
    if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(key) &&
        memcmp(kv->key.via.str.ptr, key, kv->key.via.str.size) == 0)
      return &kv->val;
  }
  return NULL;
}

static int mp_is_str(const msgpack_object *o, const char *s, size_t n)
{
  return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
         memcmp(o->via.str.ptr, s, n) == 0;
}
#define MP_STR(o, lit) mp_is_str((o), (lit), sizeof(lit) - 1)

static uint64_t mp_u64(const msgpack_object *o)
{
  if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
    return o->via.u64;
  return 0xdeadbeefull;
}

static void check_mp_object(const msgpack_object *m, const crv_object *o, const char *value,
                            size_t value_len, int bin)
{
  CHECK(MP_STR(mp_get(m, "record"), "object"));
  CHECK_EQ_U64(mp_u64(mp_get(m, "addr")), o->addr);
  const char *tn = crv_obj_type_name(o->type);
  CHECK(mp_is_str(mp_get(m, "type"), tn, strlen(tn)));
  CHECK_EQ_U64(mp_u64(mp_get(m, "ob_type")), o->ob_type);
  CHECK_EQ_U64(mp_u64(mp_get(m, "length")), o->length);
  if (o->type == CRV_OBJ_STR)
    CHECK_EQ_U64(mp_u64(mp_get(m, "kind")), o->kind);
  else
    CHECK(mp_get(m, "kind") == NULL);
  const msgpack_object *a = mp_get(m, "ascii");
  if (o->ascii >= 0)
    CHECK(a && a->type == MSGPACK_OBJECT_BOOLEAN && a->via.boolean == (o->ascii != 0));
  else
    CHECK(a == NULL);
  if (o->interned >= 0)
    CHECK_EQ_U64(mp_u64(mp_get(m, "interned")), (uint64_t)o->interned);
  else
    CHECK(mp_get(m, "interned") == NULL);
  const msgpack_object *h = mp_get(m, "hash");
  CHECK(h &&
        (h->type == MSGPACK_OBJECT_POSITIVE_INTEGER || h->type == MSGPACK_OBJECT_NEGATIVE_INTEGER));
  if (h)
    CHECK_EQ_I64(h->via.i64, o->hash);
  const char *hc = crv_hash_check_name(o->hash_check);
  CHECK(mp_is_str(mp_get(m, "hash_check"), hc, strlen(hc)));
  const char *st = crv_status_name(o->status);
  CHECK(mp_is_str(mp_get(m, "status"), st, strlen(st)));
  const msgpack_object *r = mp_get(m, "region");
  if (o->region)
    CHECK(mp_is_str(r, o->region, strlen(o->region)));
  else
    CHECK(r && r->type == MSGPACK_OBJECT_NIL);
  CHECK_EQ_U64(mp_u64(mp_get(m, "refcnt")), o->refcnt);
  const msgpack_object *v = mp_get(m, "value");
  CHECK(v != NULL);
  if (!v)
    return;
  if (bin) {
    CHECK(v->type == MSGPACK_OBJECT_BIN && v->via.bin.size == value_len &&
          memcmp(v->via.bin.ptr, value, value_len) == 0);
  } else {
    CHECK(mp_is_str(v, value, value_len));
  }
}

static void test_msgpack(void)
{
  size_t n = 0, off = 0;
  char *p = write_sample(CRV_FORMAT_MSGPACK, &n);
  if (!p)
    return;
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  int rec = 0;
  while (msgpack_unpack_next(&u, p, n, &off) == MSGPACK_UNPACK_SUCCESS) {
    const msgpack_object *m = &u.data;
    CHECK(m->type == MSGPACK_OBJECT_MAP);
    if (rec == 0) {
      CHECK(MP_STR(mp_get(m, "record"), "meta"));
      CHECK(MP_STR(mp_get(m, "tool"), "carver"));
      CHECK(MP_STR(mp_get(m, "tool_version"), "0.1.0"));
      CHECK(MP_STR(mp_get(m, "python"), "3.11"));
      CHECK(MP_STR(mp_get(m, "python_full"), "3.11.2"));
      CHECK(MP_STR(mp_get(m, "version_source"), "version-text"));
      CHECK(MP_STR(mp_get(m, "layout"), "cpython-3.11-x86_64"));
      const msgpack_object *k = mp_get(m, "hash_key_source");
      CHECK(k && k->type == MSGPACK_OBJECT_NIL);
      CHECK_EQ_U64(mp_u64(mp_get(m, "pid")), 4242);
      const msgpack_object *s = mp_get(m, "sources");
      CHECK(s && s->type == MSGPACK_OBJECT_ARRAY && s->via.array.size == 2);
      if (s && s->type == MSGPACK_OBJECT_ARRAY && s->via.array.size == 2) {
        CHECK(MP_STR(&s->via.array.ptr[0], "/tmp/core.1"));
        CHECK(MP_STR(&s->via.array.ptr[1], "/tmp/evil\x1b[2J.bin"));
      }
      CHECK_EQ_U64(mp_u64(mp_get(m, "str_type")), meta.str_type);
      CHECK_EQ_U64(mp_u64(mp_get(m, "bytes_type")), meta.bytes_type);
      CHECK_EQ_U64(m->via.map.size, 12);
    } else if (rec >= 1 && rec <= NOBJ) {
      int i = rec - 1;
      const crv_object *o = &objs[i];
      switch (i) {
      case 0:
        check_mp_object(m, o, "hi\x1b[31m\n\xc3\xa9", 10, 0);
        break;
      case 1:
        check_mp_object(m, o, "A\xe2\x82\xac\xed\xa0\x80\xed\xb0\x80", 10, 0);
        break;
      case 2:
        check_mp_object(m, o, "\xf0\x9f\x98\x80\xe2\x80\xae\xef\xbf\xbd", 10, 0);
        break;
      case 3:
        check_mp_object(m, o,
                        "\x00\xff\x1b"
                        "ab",
                        5, 1);
        break;
      case 4:
        check_mp_object(m, o, "h\xc3\xa9\"", 4, 1);
        break;
      case 5:
        check_mp_object(m, o, "py2\x1b", 4, 1);
        break;
      case 6:
        check_mp_object(m, o, "\xf0\x9f\x98\x80\xed\xb0\x80", 7, 0);
        break;
      case 7: {
        size_t bl;
        char *big = to_utf8(d_big, big_units, 2, 0, &bl);
        CHECK(bl > 2 * 65536);
        check_mp_object(m, o, big, bl, 0);
        free(big);
        break;
      }
      default:
        break;
      }
    } else if (rec == NOBJ + 1) {
      CHECK(MP_STR(mp_get(m, "record"), "summary"));
      CHECK_EQ_U64(m->via.map.size, 15);
      CHECK_EQ_U64(mp_u64(mp_get(m, "objects")), NOBJ);
      const msgpack_object *bt = mp_get(m, "by_type");
      CHECK(bt && bt->type == MSGPACK_OBJECT_MAP && bt->via.map.size == 3);
      if (bt) {
        CHECK_EQ_U64(mp_u64(mp_get(bt, "str")), 5); /* 3.x str + 2.7 str */
        CHECK_EQ_U64(mp_u64(mp_get(bt, "bytes")), 2);
        CHECK_EQ_U64(mp_u64(mp_get(bt, "unicode")), 1);
      }
      const msgpack_object *bs = mp_get(m, "by_status");
      CHECK(bs && bs->type == MSGPACK_OBJECT_MAP && bs->via.map.size == 3);
      if (bs) {
        CHECK_EQ_U64(mp_u64(mp_get(bs, "live")), 6);
        CHECK_EQ_U64(mp_u64(mp_get(bs, "freed")), 1);
        CHECK_EQ_U64(mp_u64(mp_get(bs, "unknown")), 1);
      }
      const msgpack_object *bh = mp_get(m, "by_hash_check");
      CHECK(bh && bh->type == MSGPACK_OBJECT_MAP && bh->via.map.size == 4);
      if (bh) {
        CHECK_EQ_U64(mp_u64(mp_get(bh, "match")), 1);
        CHECK_EQ_U64(mp_u64(mp_get(bh, "unverified")), 1);
        CHECK_EQ_U64(mp_u64(mp_get(bh, "mismatch")), 1);
        CHECK_EQ_U64(mp_u64(mp_get(bh, "unset")), 5);
      }
      CHECK_EQ_U64(mp_u64(mp_get(m, "candidates")), 1000);
      CHECK_EQ_U64(mp_u64(mp_get(m, "rejected")), 992);
      {
        const msgpack_object *rb = mp_get(m, "rejected_by");
        CHECK(rb && rb->type == MSGPACK_OBJECT_MAP && rb->via.map.size == 2);
        if (rb && rb->type == MSGPACK_OBJECT_MAP) {
          CHECK_EQ_U64(mp_u64(mp_get(rb, "length-negative")), 990);
          CHECK_EQ_U64(mp_u64(mp_get(rb, "hash-mismatch")), 2);
        }
      }
      CHECK_EQ_U64(mp_u64(mp_get(m, "over_cap")), 3);
      CHECK_EQ_U64(mp_u64(mp_get(m, "clobbered")), 4);
      CHECK_EQ_U64(mp_u64(mp_get(m, "bytes_scanned")), 1ull << 33);
      CHECK_EQ_U64(mp_u64(mp_get(m, "regions")), 17);
      CHECK_EQ_U64(mp_u64(mp_get(m, "holes")), 2);
      const msgpack_object *e = mp_get(m, "elapsed_seconds");
      CHECK(e && e->type == MSGPACK_OBJECT_FLOAT64 && e->via.f64 == 1.25);
      const msgpack_object *in = mp_get(m, "interrupted");
      CHECK(in && in->type == MSGPACK_OBJECT_BOOLEAN && in->via.boolean);
    }
    rec++;
  }
  CHECK_EQ_U64(rec, NOBJ + 2);
  CHECK_EQ_U64(off, n);
  msgpack_unpacked_destroy(&u);

  /* The same bytes through the streaming unpacker. */
  msgpack_unpacker up;
  CHECK(msgpack_unpacker_init(&up, 1024));
  int count = 0;
  for (size_t at = 0; at < n;) {
    size_t chunk = n - at < 4096 ? n - at : 4096;
    if (msgpack_unpacker_buffer_capacity(&up) < chunk)
      CHECK(msgpack_unpacker_reserve_buffer(&up, chunk));
    memcpy(msgpack_unpacker_buffer(&up), p + at, chunk);
    msgpack_unpacker_buffer_consumed(&up, chunk);
    at += chunk;
    msgpack_unpacked r;
    msgpack_unpacked_init(&r);
    while (msgpack_unpacker_next(&up, &r) == MSGPACK_UNPACK_SUCCESS) {
      CHECK(mp_get(&r.data, "record") != NULL);
      count++;
    }
    msgpack_unpacked_destroy(&r);
  }
  CHECK_EQ_U64(count, NOBJ + 2);
  msgpack_unpacker_destroy(&up);
  free(p);
}

/* ---- JSON lines ---------------------------------------------------------------------- */

static char *nth_line(char *p, int k)
{
  for (int i = 0; i < k && p; i++) {
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  return p;
}

#define HAS(hay, needle) CHECK((hay) && strstr((hay), (needle)) != NULL)
#define HASNT(hay, needle) CHECK((hay) && strstr((hay), (needle)) == NULL)

static void test_jsonl(void)
{
  size_t n = 0;
  char *p = write_sample(CRV_FORMAT_JSONL, &n);
  if (!p)
    return;
  CHECK_EQ_U64(strlen(p), n);
  int lines = 0, clean = 1;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '\n')
      lines++;
    clean &= (unsigned char)p[i] >= 0x20 || p[i] == '\n';
  }
  CHECK(clean);
  CHECK_EQ_U64(lines, NOBJ + 2);
  CHECK(n > 0 && p[n - 1] == '\n');
  /* Split into lines. */
  char *line[NOBJ + 2];
  for (int i = 0; i < NOBJ + 2; i++)
    line[i] = nth_line(p, i);
  for (size_t i = 0; i < n; i++)
    if (p[i] == '\n')
      p[i] = '\0';

  CHECK_STR(line[0],
            "{\"record\":\"meta\",\"tool\":\"carver\",\"tool_version\":\"0.1.0\","
            "\"python\":\"3.11\",\"python_full\":\"3.11.2\",\"version_source\":\"version-text\","
            "\"layout\":\"cpython-3.11-x86_64\",\"hash_key_source\":null,\"pid\":4242,"
            "\"sources\":[\"/tmp/core.1\",\"/tmp/evil\\u001b[2J.bin\"],"
            "\"str_type\":93824992549664,\"bytes_type\":93824992546624}");
  CHECK_STR(line[1],
            "{\"record\":\"object\",\"addr\":139637976731648,\"type\":\"str\","
            "\"ob_type\":93823560622080,\"length\":9,\"kind\":1,\"ascii\":false,\"interned\":1,"
            "\"hash\":1311768467294899695,\"hash_check\":\"match\",\"status\":\"live\","
            "\"region\":\"[heap]\",\"refcnt\":1,\"value\":\"hi\\u001b[31m\\n\xc3\xa9\"}");
  HAS(line[2], "\"hash\":-5,\"hash_check\":\"unverified\",\"status\":\"freed\",\"region\":null");
  HAS(line[2], "\"value\":\"A\xe2\x82\xac\\ud800\\udc00\"}");
  HAS(line[3], "\"value\":\"\xf0\x9f\x98\x80\\u202e\xef\xbf\xbd\"}");
  HAS(line[4], "\"type\":\"bytes\"");
  HASNT(line[4], "\"kind\"");
  HASNT(line[4], "\"ascii\"");
  HASNT(line[4], "\"interned\"");
  HAS(line[4], "\"value_b64\":\"AP8bYWI=\"}");
  HASNT(line[4], "\"value\"");
  HAS(line[5], "\"value_b64\":\"aMOpIg==\",\"value\":\"h\xc3\xa9\\\"\"}");
  HAS(line[6], "\"type\":\"str\"");
  HASNT(line[6], "\"kind\"");
  HAS(line[6], "\"status\":\"unknown\"");
  HAS(line[6], "\"value_b64\":\"cHkyGw==\",\"value\":\"py2\\u001b\"}");
  HAS(line[7], "\"type\":\"unicode\"");
  HAS(line[7], "\"value\":\"\xf0\x9f\x98\x80\\udc00\"}");
  /* The big value, whole. */
  {
    crvi_buf b;
    crvi_buf_init(&b, 1u << 26);
    crvi_buf_puts(&b, "\"value\":\"");
    size_t pos = 0;
    crvi_json_units_step(&b, d_big, big_units, 2, 0, &pos, SIZE_MAX);
    crvi_buf_puts(&b, "\"}");
    HAS(line[8], b.p);
    CHECK(line[8] && strlen(line[8]) > b.len);
    crvi_buf_free(&b);
  }
  CHECK_STR(line[9],
            "{\"record\":\"summary\",\"objects\":8,\"by_type\":{\"str\":5,\"bytes\":2,"
            "\"unicode\":1},\"by_status\":{\"unknown\":1,\"live\":6,\"freed\":1},"
            "\"by_hash_check\":{\"unverified\":1,\"match\":1,\"mismatch\":1,\"unset\":5},"
            "\"candidates\":1000,\"rejected\":992,"
      "\"rejected_by\":{\"length-negative\":990,\"hash-mismatch\":2},\"over_cap\":3,\"clobbered\":4,\"bytes_scanned\":8589934592,"
            "\"regions\":17,\"holes\":2,\"elapsed_seconds\":1.25,\"interrupted\":true}");
  free(p);
}

/* ---- text ---------------------------------------------------------------------------- */

static void test_text(void)
{
  size_t n = 0;
  char *p = write_sample(CRV_FORMAT_TEXT, &n);
  if (!p)
    return;
  /* Nothing that can drive a terminal: no C0 but newline, no DEL, no C1, no bidi. */
  int clean = 1;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    clean &= (c >= 0x20 && c != 0x7F) || c == '\n';
  }
  CHECK(clean);
  HASNT(p, "\xe2\x80\xae"); /* U+202E */
  HASNT(p, "\xc2\x9b");     /* U+009B CSI */
  char *line[NOBJ + 3];
  for (int i = 0; i < NOBJ + 3; i++)
    line[i] = nth_line(p, i);
  for (size_t i = 0; i < n; i++)
    if (p[i] == '\n')
      p[i] = '\0';
  CHECK_STR(line[0], "# carver 0.1.0: python 3.11 (3.11.2, version-text), layout "
                     "cpython-3.11-x86_64");
  CHECK_STR(line[1], "# pid 4242, hash key unknown, str type 0x5555555a1b20, bytes type "
                     "0x5555555a0f40, 2 sources: /tmp/core.1, /tmp/evil\\x1b[2J.bin");
  CHECK_STR(line[2], "0x7f0000001000 str live len=9 kind=1 hash=match \"hi\\x1b[31m\\n\xc3\xa9\"");
  CHECK_STR(line[3], "0x7f0000002000 str freed len=4 kind=2 hash=unverified "
                     "\"A\xe2\x82\xac\\ud800\\udc00\"");
  CHECK_STR(line[4], "0x7f0000003000 str live len=3 kind=4 hash=unset "
                     "\"\xf0\x9f\x98\x80\\u202e\xef\xbf\xbd\"");
  CHECK_STR(line[5], "0x7f0000004000 bytes live len=5 hash=unset b\"\\x00\\xff\\x1bab\"");
  CHECK_STR(line[6], "0x7f0000005000 bytes live len=4 hash=unset b\"h\\xc3\\xa9\\\"\"");
  CHECK_STR(line[7], "0x7f0000006000 str unknown len=4 hash=unset b\"py2\\x1b\"");
  CHECK_STR(line[8], "0x7f0000007000 unicode live len=3 hash=unset "
                     "\"\xf0\x9f\x98\x80\\udc00\"");
  HAS(line[9], "0x7f0000008000 str live len=200000 kind=2 hash=mismatch \"");
  CHECK(line[9] && strlen(line[9]) < 1200 && strcmp(line[9] + strlen(line[9]) - 4, "\"...") == 0);
  CHECK_STR(line[10],
            "# summary: 8 objects (str 5, bytes 2, unicode 1); status unknown 1, live 6, "
            "freed 1; hash unverified 1, match 1, mismatch 1, unset 5; 1000 candidates, 992 "
            "rejected, 3 over cap, 8589934592 bytes scanned in 17 regions, 2 holes, 1.250 s, "
            "interrupted");
  free(p);
}

/* ---- errors -------------------------------------------------------------------------- */

static void test_dev_full(void)
{
  static const enum crv_format fmts[] = {CRV_FORMAT_TEXT, CRV_FORMAT_JSONL, CRV_FORMAT_MSGPACK};
  for (int i = 0; i < 3; i++) {
    FILE *f = fopen("/dev/full", "w");
    CHECK(f != NULL);
    if (!f)
      return;
    struct crv_writer *w = NULL;
    CHECK(crvi_writer_open(&w, fmts[i], f) == CRV_OK);
    CHECK(crvi_writer_meta(w, &meta) == CRV_ERR_OUTPUT); /* flushed after meta */
    CHECK(crvi_writer_object(w, &objs[0]) == CRV_ERR_OUTPUT);
    CHECK(crvi_writer_summary(w, &summary) == CRV_ERR_OUTPUT);
    CHECK(crvi_writer_close(w) == CRV_ERR_OUTPUT);
    fclose(f);

    /* Objects only: the failure surfaces at the periodic flush or at close. */
    f = fopen("/dev/full", "w");
    CHECK(crvi_writer_open(&w, fmts[i], f) == CRV_OK);
    crv_err last = CRV_OK;
    for (int k = 0; k < 3 * CRV_WRITER_FLUSH_EVERY && last == CRV_OK; k++)
      last = crvi_writer_object(w, &objs[k % 7]);
    CHECK(last == CRV_ERR_OUTPUT);
    CHECK(crvi_writer_close(w) == CRV_ERR_OUTPUT);
    fclose(f);
  }
}

static void test_invalid(void)
{
  FILE *f = tmpfile();
  struct crv_writer *w = NULL;
  CHECK(crvi_writer_open(&w, (enum crv_format)7, f) == CRV_ERR_INVALID_ARG);
  CHECK(w == NULL);
  CHECK(crvi_writer_open(&w, CRV_FORMAT_JSONL, NULL) == CRV_ERR_INVALID_ARG);
  CHECK(crvi_writer_open(&w, CRV_FORMAT_JSONL, f) == CRV_OK);
  crv_object o = objs[1];
  o.kind = 3;
  CHECK(crvi_writer_object(w, &o) == CRV_ERR_INVALID_ARG);
  o = objs[1];
  o.type = CRV_OBJ_TYPE_COUNT;
  CHECK(crvi_writer_object(w, &o) == CRV_ERR_INVALID_ARG);
  o = objs[1];
  o.data = NULL;
  CHECK(crvi_writer_object(w, &o) == CRV_ERR_INVALID_ARG);
  o.data_len = 0; /* empty value, NULL data: fine */
  CHECK(crvi_writer_object(w, &o) == CRV_OK);
  CHECK(crvi_writer_close(w) == CRV_OK);
  size_t n;
  char *p = slurp(f, &n);
  HAS(p, "\"value\":\"\"}\n");
  CHECK(p && strchr(p, '\n') == p + n - 1); /* only the valid record was written */
  free(p);
  fclose(f);
  CHECK(crvi_writer_close(NULL) == CRV_OK);
}

int main(void)
{
  test_buf();
  test_base64();
  test_utf8_valid();
  test_ucs();
  test_steps();
  test_json_escape();
  test_repr();
  test_names();
  build_sample();
  test_msgpack();
  test_jsonl();
  test_text();
  test_dev_full();
  test_invalid();
  free(d_big);
  return CHECK_DONE();
}
