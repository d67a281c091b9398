/* SPDX-License-Identifier: MIT */
/* Unit tests for validators/: synthetic objects built from the reference offsets
 * (tests/unit/fixture.h) must pass with the right info, and each single-field mutation
 * must fail with its own reason code. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "layouts/layout.h"
#include "validators/validators.h"
#include "carver/object.h"

static const char *cur = "?"; /* layout under test, for messages */

#define CHECK_REASON(got, want)                                                            \
  do {                                                                                     \
    int g_ = (got), w_ = (want);                                                           \
    check_count++;                                                                         \
    if (g_ != w_) {                                                                        \
      check_failures++;                                                                    \
      fprintf(stderr, "%s:%d: [%s] %s gave %s (%d), want %s (%d)\n", __FILE__, __LINE__,   \
              cur, #got, crv_reason_name(g_), g_, crv_reason_name(w_), w_);              \
    }                                                                                      \
  } while (0)

#define BIG_CAP UINT64_MAX

static const struct crv_layout *layout_of(const struct fx_shape *s)
{
  const struct crv_layout *l = crvi_layout_find(s->python, s->w, s->ft);
  CHECK(l != NULL);
  if (l)
    CHECK_STR(l->id, s->layout_id);
  cur = s->layout_id;
  return l;
}

/* ---- a test object and where its separate buffers live --------------------------------- */

struct ctx {
  const struct fx_shape *s;
  const struct crv_layout *l;
  uint64_t addr;     /* the object's address */
  uint64_t ext_addr; /* a separate buffer (legacy data, utf8, wstr, 2.7 unicode units) */
  uint64_t type;     /* the str/bytes type pointer */
  uint8_t o[1024];
  size_t size;
  uint8_t ext[1024];
  unsigned kind;
  int ascii;
};

static void ctx_init(struct ctx *c, const struct fx_shape *s)
{
  memset(c, 0, sizeof *c);
  c->s = s;
  c->l = layout_of(s);
  c->addr = s->w == 8 ? 0x7f1200001000ull : 0x09001000u;
  c->ext_addr = s->w == 8 ? 0x7f1300002000ull : 0x0a002000u;
  c->type = s->w == 8 ? 0x00b647c0u : 0x0830a0c0u;
}

/* Builds a str into c->o (and its units into c->ext when legacy). */
static void build(struct ctx *c, struct fx_str p)
{
  if (!p.type)
    p.type = c->type;
  if (!p.refcnt)
    p.refcnt = 1;
  if (p.legacy && !p.data_ptr)
    p.data_ptr = c->ext_addr;
  memset(c->o, 0, sizeof c->o);
  memset(c->ext, 0, sizeof c->ext);
  c->size = fx_build_str(c->s, c->o, c->addr, &p, &c->kind, &c->ascii);
  if (p.legacy)
    fx_units(c->ext, c->kind, p.cp, p.n);
}

static int header(struct ctx *c, size_t avail, uint64_t cap, struct crv_obj_info *info)
{
  memset(info, 0xA5, sizeof *info);
  return crvi_check_pep393_header(c->l, c->o, avail, c->addr, cap, info);
}

/* Header (with basicsize bytes available, as the scanner reads) then data. */
static int full(struct ctx *c, struct crv_obj_info *info)
{
  int r = header(c, c->s->s_basicsize, BIG_CAP, info);
  if (r != CRV_VALID)
    return r;
  size_t need = (size_t)info->data_bytes + info->unit;
  const uint8_t *d;
  if (info->data_addr >= c->addr && info->data_addr - c->addr + need <= sizeof c->o)
    d = c->o + (info->data_addr - c->addr);
  else if (info->data_addr >= c->ext_addr && info->data_addr - c->ext_addr + need <= sizeof c->ext)
    d = c->ext + (info->data_addr - c->ext_addr);
  else
    return -1; /* data address points nowhere we built */
  return crvi_check_pep393_data(info, d);
}

/* Offset of the compact data inside c->o. */
static size_t data_off(const struct ctx *c)
{
  return c->ascii ? c->s->s_ascii_data : c->s->s_compact_data;
}

/* ---- code points used below ------------------------------------------------------------ */

static const uint32_t CP_HELLO[] = {'h', 'e', 'l', 'l', 'o'};
static const uint32_t CP_CAFE[] = {'c', 'a', 'f', 0xE9};          /* latin-1 */
static const uint32_t CP_EURO[] = {0x20AC, 'u', 'r', 'o'};        /* UCS2 */
static const uint32_t CP_GRIN[] = {0x1F600, 'x', 0xE9};           /* UCS4 */
static const uint32_t CP_SURR[] = {0xD800, 'a', 0x100};           /* UCS2, lone surrogate */
static const uint32_t CP_ABC[] = {'a', 'b', 'c'};
static const uint32_t CP_LOW2[] = {'A', 0xE9};                    /* fits latin-1 */
static const uint32_t CP_BMP[] = {0x20AC, 'a'};                   /* fits UCS2 */
static const uint32_t CP_HIGH[] = {0x1F600, 0x110000};            /* beyond U+10FFFF */
static const uint32_t CP_MAX[] = {0x10FFFF, 'a'};                 /* the last code point */
#define N(a) (sizeof(a) / sizeof(a)[0])
#define STR(a) .cp = (a), .n = N(a)

/* ---- the state word itself against the reference's table of typical values (§4.2) ---- */

static void test_state_values(void)
{
  cur = "state table";
  /* 3.3-3.11 column */
  CHECK_EQ_U64(fx_state(&FX_311_LP64, 0, 1, 1, 1, 1), 0xE4);
  CHECK_EQ_U64(fx_state(&FX_311_LP64, 1, 1, 1, 1, 1), 0xE5);
  CHECK_EQ_U64(fx_state(&FX_311_LP64, 2, 1, 1, 1, 1), 0xE6);
  CHECK_EQ_U64(fx_state(&FX_311_LP64, 0, 1, 1, 0, 1), 0xA4);
  CHECK_EQ_U64(fx_state(&FX_311_LP64, 0, 2, 1, 0, 1), 0xA8);
  CHECK_EQ_U64(fx_state(&FX_311_LP64, 0, 4, 1, 0, 1), 0xB0);
  CHECK_EQ_U64(fx_state(&FX_311_LP64, 0, 1, 0, 0, 1), 0x84);
  CHECK_EQ_U64(fx_state(&FX_311_LP64, 0, 1, 0, 1, 1), 0xC4);
  /* 3.12-3.15 column */
  CHECK_EQ_U64(fx_state(&FX_312_LP64, 0, 1, 1, 1, 0), 0x64);
  CHECK_EQ_U64(fx_state(&FX_312_LP64, 2, 1, 1, 1, 0), 0x66);
  CHECK_EQ_U64(fx_state(&FX_312_LP64, 3, 1, 1, 1, 1), 0xE7);
  CHECK_EQ_U64(fx_state(&FX_312_LP64, 0, 1, 1, 0, 0), 0x24);
  CHECK_EQ_U64(fx_state(&FX_312_LP64, 0, 2, 1, 0, 0), 0x28);
  CHECK_EQ_U64(fx_state(&FX_312_LP64, 0, 4, 1, 0, 0), 0x30);
  CHECK_EQ_U64(fx_state(&FX_312_LP64, 0, 1, 0, 0, 0), 0x04);
  CHECK_EQ_U64(fx_state(&FX_312_LP64, 0, 1, 0, 1, 0), 0x44);
  /* FT 3.14+ column: (byte0, byte1) */
  CHECK_EQ_U64(fx_state(&FX_314T_LP64, 0, 1, 1, 1, 0), 0x1900);
  CHECK_EQ_U64(fx_state(&FX_314T_LP64, 1, 1, 1, 1, 0), 0x1901);
  CHECK_EQ_U64(fx_state(&FX_314T_LP64, 3, 1, 1, 1, 1), 0x3903);
  CHECK_EQ_U64(fx_state(&FX_314T_LP64, 0, 1, 1, 0, 0), 0x0900);
  CHECK_EQ_U64(fx_state(&FX_314T_LP64, 0, 2, 1, 0, 0), 0x0A00);
  CHECK_EQ_U64(fx_state(&FX_314T_LP64, 0, 4, 1, 0, 0), 0x0C00);
  CHECK_EQ_U64(fx_state(&FX_314T_LP64, 0, 1, 0, 0, 0), 0x0100);
  CHECK_EQ_U64(fx_state(&FX_314T_LP64, 0, 1, 0, 1, 0), 0x1100);
}

/* ---- PEP 393 str -------------------------------------------------------------------------- */

static void expect_info(const struct crv_obj_info *i, uint64_t length, unsigned unit, int ascii,
                        int interned, int compact, int64_t hash, uint64_t data_addr)
{
  CHECK_EQ_U64(i->length, length);
  CHECK_EQ_U64(i->unit, unit);
  CHECK_EQ_I64(i->ascii, ascii);
  CHECK_EQ_I64(i->interned, interned);
  CHECK_EQ_I64(i->compact, compact);
  CHECK_EQ_I64(i->hash, hash);
  CHECK_EQ_U64(i->data_addr, data_addr);
  CHECK_EQ_U64(i->data_bytes, length * unit);
}

static void test_pep393_valid(const struct fx_shape *s)
{
  struct ctx c;
  struct crv_obj_info info;
  ctx_init(&c, s);
  if (!c.l)
    return;
  const int lp64 = s->w == 8;
  const int64_t h1 = lp64 ? -4594863902769663758ll : 69611762; /* §5.3 hash('abc') */

  /* Compact ASCII. */
  build(&c, (struct fx_str){STR(CP_HELLO), .hash = h1});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  expect_info(&info, 5, 1, 1, 0, 1, h1, c.addr + s->s_ascii_data);
  CHECK_EQ_U64(c.size, s->s_ascii_data + 6);
  /* Compact latin-1. */
  build(&c, (struct fx_str){STR(CP_CAFE), .hash = -1, .interned = 1});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  expect_info(&info, 4, 1, 0, 1, 1, -1, c.addr + s->s_compact_data);
  /* Compact UCS2, with a lone surrogate too. */
  build(&c, (struct fx_str){STR(CP_EURO), .hash = 12345, .interned = 2});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  expect_info(&info, 4, 2, 0, 2, 1, 12345, c.addr + s->s_compact_data);
  build(&c, (struct fx_str){STR(CP_SURR), .hash = -1});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  CHECK_EQ_U64(info.unit, 2);
  /* Compact UCS4 (on 3.3-3.11 it shares its data as wstr), and U+10FFFF. */
  build(&c, (struct fx_str){STR(CP_GRIN), .hash = -2});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  expect_info(&info, 3, 4, 0, 0, 1, -2, c.addr + s->s_compact_data);
  build(&c, (struct fx_str){STR(CP_MAX), .hash = -1});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  /* The empty string, static and interned on 3.12+ (0xE7), plain before. */
  if (s->has_ready) {
    build(&c, (struct fx_str){.cp = CP_HELLO, .n = 0, .hash = 0, .interned = 2});
    CHECK_REASON(full(&c, &info), CRV_VALID);
    expect_info(&info, 0, 1, 1, 2, 1, 0, c.addr + s->s_ascii_data);
  } else {
    build(&c, (struct fx_str){.cp = CP_HELLO, .n = 0, .hash = 0, .interned = 3,
                              .bit7 = FX_SET, .refcnt = lp64 ? 0xFFFFFFFFu : 0x3FFFFFFFu});
    CHECK_REASON(full(&c, &info), CRV_VALID);
    expect_info(&info, 0, 1, 1, 3, 1, 0, c.addr + s->s_ascii_data);
  }
  /* Legacy (non-compact) objects: data in a separate buffer. */
  build(&c, (struct fx_str){STR(CP_CAFE), .legacy = 1, .hash = 77});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  expect_info(&info, 4, 1, 0, 0, 0, 77, c.ext_addr);
  build(&c, (struct fx_str){STR(CP_HELLO), .legacy = 1, .hash = -1});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  expect_info(&info, 5, 1, 1, 0, 0, -1, c.ext_addr);
  build(&c, (struct fx_str){STR(CP_GRIN), .legacy = 1, .hash = -1});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  expect_info(&info, 3, 4, 0, 0, 0, -1, c.ext_addr);

  /* Hash sign extension: a 32-bit build stores 32 bits. */
  build(&c, (struct fx_str){STR(CP_HELLO)});
  if (lp64) {
    fx_put64(c.o + s->s_hash, 0x8000000000000000ull);
    CHECK_REASON(full(&c, &info), CRV_VALID);
    CHECK_EQ_I64(info.hash, INT64_MIN);
  } else {
    fx_put32(c.o + s->s_hash, 0xFFFFFFFEu);
    CHECK_REASON(full(&c, &info), CRV_VALID);
    CHECK_EQ_I64(info.hash, -2);
    fx_put32(c.o + s->s_hash, 0x80000000u);
    CHECK_REASON(full(&c, &info), CRV_VALID);
    CHECK_EQ_I64(info.hash, INT32_MIN);
  }

  /* Only the defined state bits count: GIL builds leave bits 8-31 uninitialised (§4.2),
   * and LP64 has 4 padding bytes after the state word. */
  if (!s->state_ft314) {
    build(&c, (struct fx_str){STR(CP_EURO), .hash = -1});
    c.o[s->s_state + 1] = 0x3d;
    c.o[s->s_state + 2] = 0xcd;
    c.o[s->s_state + 3] = 0xff;
    if (lp64)
      memset(c.o + s->s_state + 4, 0xcd, 4);
    CHECK_REASON(full(&c, &info), CRV_VALID);
    expect_info(&info, 4, 2, 0, 0, 1, -1, c.addr + s->s_compact_data);
    build(&c, (struct fx_str){STR(CP_HELLO), .hash = -1});
    memset(c.o + s->s_state + 1, 0xff, 3);
    CHECK_REASON(full(&c, &info), CRV_VALID);
    expect_info(&info, 5, 1, 1, 0, 1, -1, c.addr + s->s_ascii_data);
  }

  /* Interned states up to the version's maximum. */
  for (unsigned st = 0; st <= (s->has_ready ? 2u : 3u); st++) {
    build(&c, (struct fx_str){STR(CP_ABC), .interned = st, .hash = -1});
    CHECK_REASON(full(&c, &info), CRV_VALID);
    CHECK_EQ_I64(info.interned, st);
  }
  /* The static bit (3.12+) is not an error; on FT 3.14 it is bit 13. */
  if (!s->has_ready) {
    build(&c, (struct fx_str){STR(CP_ABC), .bit7 = FX_SET, .interned = 3, .hash = -1});
    CHECK_REASON(full(&c, &info), CRV_VALID);
  }
}

static void test_pep393_reasons(const struct fx_shape *s)
{
  struct ctx c;
  struct crv_obj_info info;
  ctx_init(&c, s);
  if (!c.l)
    return;
  const unsigned w = s->w;

  /* Negative length (on ILP32, 0x80000000 is negative). */
  build(&c, (struct fx_str){STR(CP_HELLO), .hash = -1});
  fx_putw(c.o + s->s_length, w, (uint64_t)-1);
  CHECK_REASON(full(&c, &info), CRV_R_LENGTH);
  fx_putw(c.o + s->s_length, w, w == 8 ? 0x8000000000000000ull : 0x80000000u);
  CHECK_REASON(full(&c, &info), CRV_R_LENGTH);

  /* Interned state out of range. */
  if (s->has_ready) {
    build(&c, (struct fx_str){STR(CP_HELLO), .interned = 3});
    CHECK_REASON(full(&c, &info), CRV_R_INTERNED);
  }
  if (s->state_ft314) { /* a whole byte: 4..255 are out of range */
    build(&c, (struct fx_str){STR(CP_HELLO), .interned = 4});
    CHECK_REASON(full(&c, &info), CRV_R_INTERNED);
    build(&c, (struct fx_str){STR(CP_HELLO), .interned = 0xFF});
    CHECK_REASON(full(&c, &info), CRV_R_INTERNED);
  }

  /* Kind not 1, 2 or 4. */
  build(&c, (struct fx_str){STR(CP_EURO), .kind = 3});
  CHECK_REASON(full(&c, &info), CRV_R_KIND);
  build(&c, (struct fx_str){STR(CP_EURO), .kind = 7});
  CHECK_REASON(full(&c, &info), CRV_R_KIND);
  build(&c, (struct fx_str){STR(CP_HELLO), .kind = 0});
  fx_put32(c.o + s->s_state, fx_state(s, 0, 0, 1, 1, s->has_ready));
  CHECK_REASON(full(&c, &info), CRV_R_KIND);
  /* The ≤3.11 not-ready legacy object (state 0x00, kind 0). */
  if (s->has_ready) {
    build(&c, (struct fx_str){STR(CP_HELLO), .legacy = 1});
    fx_put32(c.o + s->s_state, 0);
    CHECK_REASON(full(&c, &info), CRV_R_KIND);
  }

  /* ascii with kind 2 (and with kind 4). */
  build(&c, (struct fx_str){STR(CP_EURO), .ascii = FX_SET});
  CHECK_REASON(full(&c, &info), CRV_R_ASCII_KIND);
  build(&c, (struct fx_str){STR(CP_GRIN), .ascii = FX_SET});
  CHECK_REASON(full(&c, &info), CRV_R_ASCII_KIND);

  /* Not ready (3.3-3.11 only; bit 7 means "static" from 3.12). */
  if (s->has_ready) {
    build(&c, (struct fx_str){STR(CP_HELLO), .bit7 = FX_CLEAR});
    CHECK_REASON(full(&c, &info), CRV_R_NOT_READY);
    build(&c, (struct fx_str){STR(CP_CAFE), .bit7 = FX_CLEAR});
    CHECK_REASON(full(&c, &info), CRV_R_NOT_READY);
  }

  /* wstr (3.3-3.11). */
  if (s->s_wstr) {
    /* compact ASCII: NULL or a separate buffer, never inside the object */
    build(&c, (struct fx_str){STR(CP_HELLO)});
    fx_putw(c.o + s->s_wstr, w, c.ext_addr);
    CHECK_REASON(full(&c, &info), CRV_VALID);
    fx_putw(c.o + s->s_wstr, w, c.addr + w);
    CHECK_REASON(full(&c, &info), CRV_R_WSTR);
    fx_putw(c.o + s->s_wstr, w, c.addr + s->s_ascii_data);
    CHECK_REASON(full(&c, &info), CRV_R_WSTR);
    /* compact UCS2 */
    build(&c, (struct fx_str){STR(CP_EURO)});
    fx_putw(c.o + s->s_wstr_length, w, 4);
    CHECK_REASON(full(&c, &info), CRV_R_WSTR); /* NULL wstr with a length */
    fx_putw(c.o + s->s_wstr, w, c.ext_addr);
    CHECK_REASON(full(&c, &info), CRV_VALID); /* separate buffer, same length */
    fx_putw(c.o + s->s_wstr_length, w, 3);
    CHECK_REASON(full(&c, &info), CRV_R_WSTR); /* length differs */
    fx_putw(c.o + s->s_wstr_length, w, 4);
    fx_putw(c.o + s->s_wstr, w, c.addr + s->s_compact_data);
    CHECK_REASON(full(&c, &info), CRV_R_WSTR); /* only UCS4 data can be shared */
    /* compact UCS4: shared (built by default), not shared, wrong length */
    build(&c, (struct fx_str){STR(CP_GRIN), .wstr = FX_WSTR_NONE});
    CHECK_REASON(full(&c, &info), CRV_VALID);
    build(&c, (struct fx_str){STR(CP_GRIN)});
    CHECK_EQ_U64(fx_get64(c.o + s->s_wstr) & (w == 8 ? ~0ull : 0xFFFFFFFFull),
                 c.addr + s->s_compact_data);
    CHECK_REASON(full(&c, &info), CRV_VALID);
    fx_putw(c.o + s->s_wstr_length, w, 4);
    CHECK_REASON(full(&c, &info), CRV_R_WSTR);
  }

  /* utf8 cache of a compact non-ASCII string ("café": 5 UTF-8 bytes). */
  build(&c, (struct fx_str){STR(CP_CAFE), .utf8 = c.ext_addr, .utf8_length = 5});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  build(&c, (struct fx_str){STR(CP_CAFE), .utf8 = 0, .utf8_length = 5});
  CHECK_REASON(full(&c, &info), CRV_R_UTF8);
  build(&c, (struct fx_str){STR(CP_CAFE), .utf8 = c.addr + s->s_compact_data,
                            .utf8_length = 5});
  CHECK_REASON(full(&c, &info), CRV_R_UTF8);
  build(&c, (struct fx_str){STR(CP_CAFE), .utf8 = c.ext_addr, .utf8_length = 3});
  CHECK_REASON(full(&c, &info), CRV_R_UTF8); /* fewer bytes than characters */
  build(&c, (struct fx_str){STR(CP_CAFE), .utf8 = c.ext_addr, .utf8_length = 0});
  CHECK_REASON(full(&c, &info), CRV_R_UTF8);
  build(&c, (struct fx_str){STR(CP_CAFE), .utf8 = c.ext_addr, .utf8_length = 20});
  CHECK_REASON(full(&c, &info), CRV_R_UTF8); /* more than 4 bytes per character */
  build(&c, (struct fx_str){STR(CP_GRIN), .utf8 = c.ext_addr,
                            .utf8_length = fx_utf8_len(CP_GRIN, N(CP_GRIN))});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  build(&c, (struct fx_str){STR(CP_GRIN), .utf8 = 0, .utf8_length = 0});
  CHECK_REASON(full(&c, &info), CRV_VALID);

  /* Legacy objects: the data pointer. */
  build(&c, (struct fx_str){STR(CP_CAFE), .legacy = 1});
  fx_putw(c.o + s->s_data_any, w, 0);
  CHECK_REASON(full(&c, &info), CRV_R_DATA_PTR);
  fx_putw(c.o + s->s_data_any, w, c.ext_addr + 1);
  CHECK_REASON(full(&c, &info), CRV_R_DATA_PTR);
  fx_putw(c.o + s->s_data_any, w, c.ext_addr + w / 2);
  CHECK_REASON(full(&c, &info), CRV_R_DATA_PTR);
  /* Legacy ASCII: utf8 must be the data and utf8_length the length. */
  build(&c, (struct fx_str){STR(CP_HELLO), .legacy = 1});
  CHECK_REASON(full(&c, &info), CRV_VALID);
  fx_putw(c.o + s->s_utf8, w, c.ext_addr + 64);
  CHECK_REASON(full(&c, &info), CRV_R_UTF8);
  build(&c, (struct fx_str){STR(CP_HELLO), .legacy = 1});
  fx_putw(c.o + s->s_utf8_length, w, 4);
  CHECK_REASON(full(&c, &info), CRV_R_UTF8);
  build(&c, (struct fx_str){STR(CP_HELLO), .legacy = 1});
  fx_putw(c.o + s->s_utf8, w, 0);
  fx_putw(c.o + s->s_utf8_length, w, 0);
  CHECK_REASON(full(&c, &info), CRV_R_UTF8);

  /* Header bytes short of what the object's shape needs. */
  build(&c, (struct fx_str){STR(CP_HELLO)});
  CHECK_REASON(header(&c, s->s_ascii_data - 1, BIG_CAP, &info), CRV_R_SHORT);
  CHECK_REASON(header(&c, s->s_ascii_data, BIG_CAP, &info), CRV_VALID);
  CHECK_REASON(header(&c, 0, BIG_CAP, &info), CRV_R_SHORT);
  build(&c, (struct fx_str){STR(CP_CAFE)});
  CHECK_REASON(header(&c, s->s_compact_data - 1, BIG_CAP, &info), CRV_R_SHORT);
  CHECK_REASON(header(&c, s->s_compact_data, BIG_CAP, &info), CRV_VALID);
  build(&c, (struct fx_str){STR(CP_CAFE), .legacy = 1});
  CHECK_REASON(header(&c, s->s_basicsize - 1, BIG_CAP, &info), CRV_R_SHORT);
  CHECK_REASON(header(&c, s->s_basicsize, BIG_CAP, &info), CRV_VALID);

  /* Over the cap on length * kind; length and unit are still reported. */
  build(&c, (struct fx_str){STR(CP_HELLO)});
  CHECK_REASON(header(&c, s->s_basicsize, 4, &info), CRV_R_OVER_CAP);
  CHECK_EQ_U64(info.length, 5);
  CHECK_EQ_U64(info.unit, 1);
  CHECK_REASON(header(&c, s->s_basicsize, 5, &info), CRV_VALID);
  build(&c, (struct fx_str){STR(CP_EURO)});
  CHECK_REASON(header(&c, s->s_basicsize, 7, &info), CRV_R_OVER_CAP);
  CHECK_EQ_U64(info.length, 4);
  CHECK_EQ_U64(info.unit, 2);
  CHECK_REASON(header(&c, s->s_basicsize, 8, &info), CRV_VALID);
  build(&c, (struct fx_str){STR(CP_GRIN)});
  CHECK_REASON(header(&c, s->s_basicsize, 11, &info), CRV_R_OVER_CAP);
  CHECK_REASON(header(&c, s->s_basicsize, 12, &info), CRV_VALID);
  /* A huge length does not overflow length * kind. */
  build(&c, (struct fx_str){STR(CP_GRIN)});
  fx_putw(c.o + s->s_length, w, w == 8 ? 0x4000000000000001ull : 0x40000001u);
  CHECK_REASON(header(&c, s->s_basicsize, 16u << 20, &info), CRV_R_OVER_CAP);

  /* Missing NUL terminator. */
  build(&c, (struct fx_str){STR(CP_HELLO)});
  c.o[data_off(&c) + 5] = 'X';
  CHECK_REASON(full(&c, &info), CRV_R_NUL);
  build(&c, (struct fx_str){STR(CP_EURO)});
  c.o[data_off(&c) + 4 * 2 + 1] = 0x01; /* high byte of the NUL unit */
  CHECK_REASON(full(&c, &info), CRV_R_NUL);
  build(&c, (struct fx_str){STR(CP_GRIN)});
  c.o[data_off(&c) + 3 * 4 + 3] = 0x01;
  CHECK_REASON(full(&c, &info), CRV_R_NUL);
  build(&c, (struct fx_str){STR(CP_CAFE), .legacy = 1});
  c.ext[4] = 'Z';
  CHECK_REASON(full(&c, &info), CRV_R_NUL);

  /* Non-canonical kind. */
  build(&c, (struct fx_str){STR(CP_ABC), .ascii = FX_CLEAR}); /* latin-1, all ASCII */
  CHECK_REASON(full(&c, &info), CRV_R_NOT_CANONICAL);
  build(&c, (struct fx_str){STR(CP_CAFE), .ascii = FX_SET}); /* ascii flag, 0xE9 inside */
  CHECK_REASON(full(&c, &info), CRV_R_NOT_CANONICAL);
  build(&c, (struct fx_str){STR(CP_LOW2), .kind = 2}); /* UCS2, max < 0x100 */
  CHECK_REASON(full(&c, &info), CRV_R_NOT_CANONICAL);
  build(&c, (struct fx_str){STR(CP_ABC), .kind = 2, .ascii = FX_CLEAR});
  CHECK_REASON(full(&c, &info), CRV_R_NOT_CANONICAL);
  build(&c, (struct fx_str){STR(CP_BMP), .kind = 4, .wstr = FX_WSTR_NONE}); /* UCS4 < 0x10000 */
  CHECK_REASON(full(&c, &info), CRV_R_NOT_CANONICAL);
  build(&c, (struct fx_str){STR(CP_LOW2), .kind = 2, .legacy = 1});
  CHECK_REASON(full(&c, &info), CRV_R_NOT_CANONICAL);

  /* Code point above U+10FFFF. */
  build(&c, (struct fx_str){STR(CP_HIGH), .wstr = FX_WSTR_NONE});
  CHECK_REASON(full(&c, &info), CRV_R_CODEPOINT);
  build(&c, (struct fx_str){STR(CP_HIGH), .legacy = 1});
  CHECK_REASON(full(&c, &info), CRV_R_CODEPOINT);
}

/* ---- crvi_check_nul and the data checks on hand-made info --------------------------------- */

static void test_data_direct(void)
{
  cur = "data";
  struct crv_obj_info info;
  memset(&info, 0, sizeof info);
  const uint8_t ok1[] = {'a', 'b', 0};
  info.length = 2;
  info.unit = 1;
  info.data_bytes = 2;
  info.ascii = 1;
  CHECK_REASON(crvi_check_nul(&info, ok1), CRV_VALID);
  CHECK_REASON(crvi_check_pep393_data(&info, ok1), CRV_VALID);
  const uint8_t bad1[] = {'a', 'b', 'c'};
  CHECK_REASON(crvi_check_nul(&info, bad1), CRV_R_NUL);
  CHECK_REASON(crvi_check_pep393_data(&info, bad1), CRV_R_NUL);
  /* Empty value: only the NUL. */
  info.length = info.data_bytes = 0;
  CHECK_REASON(crvi_check_nul(&info, ok1 + 2), CRV_VALID);
  CHECK_REASON(crvi_check_nul(&info, ok1), CRV_R_NUL);
  /* UCS4 NUL unit is four bytes. */
  const uint8_t u4[] = {0x00, 0xF6, 0x01, 0x00, 0, 0, 0, 0};
  info.length = 1;
  info.unit = 4;
  info.data_bytes = 4;
  info.ascii = 0;
  CHECK_REASON(crvi_check_pep393_data(&info, u4), CRV_VALID);
  CHECK_REASON(crvi_check_ubuf_data(&info, u4), CRV_VALID);
  const uint8_t u4bad[] = {0x00, 0xF6, 0x01, 0x00, 0, 0, 1, 0};
  CHECK_REASON(crvi_check_nul(&info, u4bad), CRV_R_NUL);
  const uint8_t u4high[] = {0x00, 0x00, 0x11, 0x00, 0, 0, 0, 0};
  CHECK_REASON(crvi_check_pep393_data(&info, u4high), CRV_R_CODEPOINT);
  CHECK_REASON(crvi_check_ubuf_data(&info, u4high), CRV_R_CODEPOINT);
  const uint8_t u4neg[] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
  CHECK_REASON(crvi_check_ubuf_data(&info, u4neg), CRV_R_CODEPOINT);

  /* A cached hash is -1 or the value's hash, which is 0 only for the empty value. */
  info.length = 3;
  info.hash = 0;
  CHECK_REASON(crvi_check_hash_plausible(&info, 0x959980, 0x959b20), CRV_R_HASH_ZERO);
  info.hash = -1;
  CHECK_REASON(crvi_check_hash_plausible(&info, 0x959980, 0x959b20), CRV_VALID);
  info.hash = 1;
  CHECK_REASON(crvi_check_hash_plausible(&info, 0x959980, 0x959b20), CRV_VALID);
  info.length = 0;
  info.hash = 0;
  CHECK_REASON(crvi_check_hash_plausible(&info, 0x959980, 0x959b20), CRV_VALID);
  /* A "hash" that is one of the type pointers is a header word read at the wrong place. */
  info.length = 5;
  info.hash = 0x959b20;
  CHECK_REASON(crvi_check_hash_plausible(&info, 0x959980, 0x959b20), CRV_R_HASH_POINTER);
  info.hash = 0x959980;
  CHECK_REASON(crvi_check_hash_plausible(&info, 0x959980, 0x959b20), CRV_R_HASH_POINTER);

  /* Reason names exist for every code and unknown codes are named "unknown". */
  for (int r = 0; r < CRV_R_COUNT; r++)
    CHECK(strcmp(crv_reason_name(r), "unknown") != 0);
  CHECK_STR(crv_reason_name(CRV_VALID), "valid");
  CHECK_STR(crv_reason_name(-1), "unknown");
  CHECK_STR(crv_reason_name(CRV_R_COUNT), "unknown");
}

/* ---- 2.7 unicode and 3.0-3.2 str (buffered) ---------------------------------------------- */

static void test_ubuf(const struct fx_shape *s)
{
  struct ctx c;
  struct crv_obj_info info;
  ctx_init(&c, s);
  if (!c.l)
    return;
  const unsigned w = s->w;
  const uint64_t defenc = s->w == 8 ? 0x7f1200009000ull : 0x09009000u;
#define UB(n_, str_, hash_, defenc_, state_)                                               \
  (memset(c.o, 0, sizeof c.o),                                                             \
   fx_build_ubuf(s, c.o, 3, c.type, (n_), (str_), (hash_), (defenc_), (state_)))
#define UHDR(avail, cap) (memset(&info, 0xA5, sizeof info),                                \
                          crvi_check_ubuf_header(c.l, c.o, (avail), c.addr, (cap), &info))

  memset(c.ext, 0, sizeof c.ext);
  fx_units(c.ext, 4, CP_GRIN, N(CP_GRIN));
  UB(3, c.ext_addr, -1, 0, 0);
  CHECK_REASON(UHDR(s->u_basicsize, BIG_CAP), CRV_VALID);
  CHECK_EQ_U64(info.length, 3);
  CHECK_EQ_U64(info.unit, 4);
  CHECK_EQ_I64(info.ascii, -1);
  CHECK_EQ_I64(info.interned, s->u_state ? 0 : -1);
  CHECK_EQ_I64(info.compact, 0);
  CHECK_EQ_I64(info.hash, -1);
  CHECK_EQ_U64(info.data_addr, c.ext_addr);
  CHECK_EQ_U64(info.data_bytes, 12);
  CHECK_REASON(crvi_check_ubuf_data(&info, c.ext), CRV_VALID);
  /* 2.7 hash of u'abc' with the zero key (§5.3) is stored as is. */
  UB(3, c.ext_addr, w == 8 ? 1453079729188098211ll : -1600925533ll, defenc, 0);
  CHECK_REASON(UHDR(s->u_basicsize, BIG_CAP), CRV_VALID);
  CHECK_EQ_I64(info.hash, w == 8 ? 1453079729188098211ll : -1600925533ll);

  /* The buffer pointer: NULL (free-listed, length >= 9) or misaligned. */
  UB(0, 0, -1, 0, 0);
  CHECK_REASON(UHDR(s->u_basicsize, BIG_CAP), CRV_R_DATA_PTR);
  UB(3, c.ext_addr + 2, -1, 0, 0);
  CHECK_REASON(UHDR(s->u_basicsize, BIG_CAP), CRV_R_DATA_PTR);
  /* defenc: NULL or an aligned pointer. */
  UB(3, c.ext_addr, -1, defenc + 1, 0);
  CHECK_REASON(UHDR(s->u_basicsize, BIG_CAP), CRV_R_DATA_PTR);
  UB(3, c.ext_addr, -1, defenc + w / 2, 0);
  CHECK_REASON(UHDR(s->u_basicsize, BIG_CAP), CRV_R_DATA_PTR);
  /* Negative length. */
  UB((uint64_t)-5, c.ext_addr, -1, 0, 0);
  CHECK_REASON(UHDR(s->u_basicsize, BIG_CAP), CRV_R_LENGTH);
  /* Cap. */
  UB(3, c.ext_addr, -1, 0, 0);
  CHECK_REASON(UHDR(s->u_basicsize, 11), CRV_R_OVER_CAP);
  CHECK_EQ_U64(info.length, 3);
  CHECK_EQ_U64(info.unit, 4);
  CHECK_REASON(UHDR(s->u_basicsize, 12), CRV_VALID);
  /* Short header. */
  CHECK_REASON(UHDR(s->u_basicsize - 1, BIG_CAP), CRV_R_SHORT);
  /* 3.0-3.2 interned state. */
  if (s->u_state) {
    for (unsigned st = 0; st <= 2; st++) {
      UB(3, c.ext_addr, -1, 0, st);
      CHECK_REASON(UHDR(s->u_basicsize, BIG_CAP), CRV_VALID);
      CHECK_EQ_I64(info.interned, st);
    }
    UB(3, c.ext_addr, -1, 0, 3);
    CHECK_REASON(UHDR(s->u_basicsize, BIG_CAP), CRV_R_INTERNED);
  }

  /* Data: code points, surrogates and the NUL unit. */
  UB(3, c.ext_addr, -1, 0, 0);
  CHECK_REASON(UHDR(s->u_basicsize, BIG_CAP), CRV_VALID);
  fx_units(c.ext, 4, CP_HIGH, 2);
  info.length = 2;
  info.data_bytes = 8;
  CHECK_REASON(crvi_check_ubuf_data(&info, c.ext), CRV_R_CODEPOINT);
  fx_units(c.ext, 4, CP_SURR, N(CP_SURR));
  info.length = 3;
  info.data_bytes = 12;
  CHECK_REASON(crvi_check_ubuf_data(&info, c.ext), CRV_VALID);
  c.ext[12 + 2] = 1;
  CHECK_REASON(crvi_check_ubuf_data(&info, c.ext), CRV_R_NUL);
#undef UB
#undef UHDR
}

/* ---- bytes and 2.7 str --------------------------------------------------------------------- */

static void test_bytes(const struct fx_shape *s)
{
  struct ctx c;
  struct crv_obj_info info;
  ctx_init(&c, s);
  if (!c.l)
    return;
  const unsigned w = s->w;
  const uint8_t val[] = {'h', 'i', 0x00, 0xFF};
#define BHDR(avail, cap) (memset(&info, 0xA5, sizeof info),                                \
                          crvi_check_bytes_header(c.l, c.o, (avail), c.addr, (cap), &info))
  memset(c.o, 0, sizeof c.o);
  c.size = fx_build_bytes(s, c.o, 1, c.type, val, sizeof val, 424242, 1);
  CHECK_EQ_U64(c.size, s->b_sval + 5);
  CHECK_REASON(BHDR(c.size, BIG_CAP), CRV_VALID);
  CHECK_EQ_U64(info.length, 4);
  CHECK_EQ_U64(info.unit, 1);
  CHECK_EQ_I64(info.ascii, -1);
  CHECK_EQ_I64(info.interned, s->b_sstate ? 1 : -1);
  CHECK_EQ_I64(info.hash, 424242);
  CHECK_EQ_U64(info.data_addr, c.addr + s->b_sval);
  CHECK_EQ_U64(info.data_bytes, 4);
  CHECK_REASON(crvi_check_nul(&info, c.o + s->b_sval), CRV_VALID);
  c.o[s->b_sval + 4] = '!';
  CHECK_REASON(crvi_check_nul(&info, c.o + s->b_sval), CRV_R_NUL);

  /* Only the header before ob_sval is needed. */
  c.size = fx_build_bytes(s, c.o, 1, c.type, val, sizeof val, -1, 0);
  CHECK_REASON(BHDR(s->b_sval, BIG_CAP), CRV_VALID);
  CHECK_REASON(BHDR(s->b_sval - 1, BIG_CAP), CRV_R_SHORT);
  /* Empty bytes. */
  fx_build_bytes(s, c.o, 1, c.type, val, 0, 0, 0);
  CHECK_REASON(BHDR(s->b_sval + 1, BIG_CAP), CRV_VALID);
  CHECK_EQ_U64(info.length, 0);
  CHECK_REASON(crvi_check_nul(&info, c.o + s->b_sval), CRV_VALID);
  /* Negative size. */
  fx_build_bytes(s, c.o, 1, c.type, val, sizeof val, -1, 0);
  fx_putw(c.o + s->b_size, w, w == 8 ? 0xFFFFFFFFFFFFFFF0ull : 0xFFFFFFF0u);
  CHECK_REASON(BHDR(s->b_sval + 5, BIG_CAP), CRV_R_LENGTH);
  /* Cap. */
  fx_build_bytes(s, c.o, 1, c.type, val, sizeof val, -1, 0);
  CHECK_REASON(BHDR(s->b_sval + 5, 3), CRV_R_OVER_CAP);
  CHECK_EQ_U64(info.length, 4);
  CHECK_REASON(BHDR(s->b_sval + 5, 4), CRV_VALID);
  /* Hash sign extension. */
  fx_build_bytes(s, c.o, 1, c.type, val, sizeof val, -1, 0);
  fx_putw(c.o + s->b_hash, w, w == 8 ? 0xFFFFFFFFFFFFFFFEull : 0xFFFFFFFEu);
  CHECK_REASON(BHDR(s->b_sval + 5, BIG_CAP), CRV_VALID);
  CHECK_EQ_I64(info.hash, -2);
  /* 2.7 str: ob_sstate 0..2; 3 is out of range. */
  if (s->b_sstate) {
    for (unsigned st = 0; st <= 2; st++) {
      fx_build_bytes(s, c.o, 1, c.type, val, sizeof val, -1, st);
      CHECK_REASON(BHDR(s->b_sval + 5, BIG_CAP), CRV_VALID);
      CHECK_EQ_I64(info.interned, st);
    }
    fx_build_bytes(s, c.o, 1, c.type, val, sizeof val, -1, 3);
    CHECK_REASON(BHDR(s->b_sval + 5, BIG_CAP), CRV_R_SSTATE);
    fx_build_bytes(s, c.o, 1, c.type, val, sizeof val, -1, 0xFFFFFFFFu);
    CHECK_REASON(BHDR(s->b_sval + 5, BIG_CAP), CRV_R_SSTATE);
  }
#undef BHDR
}

/* ---- live or freed ---------------------------------------------------------------------- */

struct range {
  uint64_t lo, hi;
};
static int in_range(void *user, uint64_t v)
{
  const struct range *r = user;
  return v >= r->lo && v < r->hi;
}
static int everything(void *user, uint64_t v)
{
  (void)user;
  (void)v;
  return 1;
}

static int status_of(const struct fx_shape *s, uint64_t w0, int (*isp)(void *, uint64_t),
                     void *user, uint64_t *refcnt)
{
  const struct crv_layout *l = layout_of(s);
  uint8_t h[128];
  memset(h, 0, sizeof h);
  fx_putw(h, s->w, w0);
  fx_putw(h + s->off_type, s->w, 0x00b647c0u);
  return l ? crvi_classify_status(l, h, sizeof h, isp, user, refcnt) : -1;
}

#define STATUS(shape, w0, isp, user, want)                                                 \
  do {                                                                                     \
    uint64_t rc_ = 0xDEAD;                                                                 \
    int st_ = status_of(&(shape), (w0), (isp), (user), &rc_);                              \
    check_count++;                                                                         \
    if (st_ != (want)) {                                                                   \
      check_failures++;                                                                    \
      fprintf(stderr, "%s:%d: [%s] word 0 = 0x%" PRIx64 ": status %s, want %s\n",          \
              __FILE__, __LINE__, (shape).layout_id, (uint64_t)(w0), crv_status_name(st_), \
              crv_status_name(want));                                                      \
    }                                                                                      \
    CHECK_EQ_U64(rc_, (uint64_t)(w0));                                                     \
  } while (0)

static void test_status(void)
{
  struct range heap64 = {0x7f1200000000ull, 0x7f1200100000ull};
  struct range heap32 = {0x09000000u, 0x09100000u};

  /* LP64 GIL, 3.11: NULL is a freed block; a pointer into memory is a free-list link. */
  STATUS(FX_311_LP64, 0, in_range, &heap64, CRV_STATUS_FREED);
  STATUS(FX_311_LP64, 0, NULL, NULL, CRV_STATUS_FREED);
  STATUS(FX_311_LP64, 0x7f1200000a30ull, in_range, &heap64, CRV_STATUS_FREED);
  /* ... but not without a callback, nor when it points nowhere we have. */
  STATUS(FX_311_LP64, 0x7f1200000a30ull, NULL, NULL, CRV_STATUS_UNKNOWN);
  STATUS(FX_311_LP64, 0x7f1300000a30ull, in_range, &heap64, CRV_STATUS_UNKNOWN);
  /* A misaligned value is no block pointer. */
  STATUS(FX_311_LP64, 0x7f1200000a31ull, in_range, &heap64, CRV_STATUS_UNKNOWN);
  /* Small counts are live; 3.11 runtime strings start at 999999999 (§1.2). */
  STATUS(FX_311_LP64, 1, in_range, &heap64, CRV_STATUS_LIVE);
  STATUS(FX_311_LP64, 3, NULL, NULL, CRV_STATUS_LIVE);
  STATUS(FX_311_LP64, 999999999u, in_range, &heap64, CRV_STATUS_LIVE);
  STATUS(FX_311_LP64, 0x3b9acca7u, in_range, &heap64, CRV_STATUS_LIVE);
  STATUS(FX_311_LP64, 0x4141414141414141ull, in_range, &heap64, CRV_STATUS_UNKNOWN);
  /* 3.11 has no immortal marks: 0xFFFFFFFF is just a (large, plausible) count. */
  STATUS(FX_39_LP64, 2, NULL, NULL, CRV_STATUS_LIVE);

  /* 3.12 LP64: immortal 0x00000000FFFFFFFF, even when everything looks like a pointer. */
  STATUS(FX_312_LP64, 0xFFFFFFFFu, in_range, &heap64, CRV_STATUS_LIVE);
  STATUS(FX_312_LP64, 0xFFFFFFFFu, NULL, NULL, CRV_STATUS_LIVE);
  STATUS(FX_312_LP64, 0, in_range, &heap64, CRV_STATUS_FREED);
  STATUS(FX_312_LP64, 5, in_range, &heap64, CRV_STATUS_LIVE);
  STATUS(FX_312_LP64, 0x7f1200000a40ull, in_range, &heap64, CRV_STATUS_FREED);

  /* 3.14 LP64: heap immortal 0x00010000C0000000, static 0x00050000C0000000. */
  STATUS(FX_314_LP64, 0x00010000C0000000ull, in_range, &heap64, CRV_STATUS_LIVE);
  STATUS(FX_314_LP64, 0x00050000C0000000ull, in_range, &heap64, CRV_STATUS_LIVE);
  STATUS(FX_314_LP64, 0x00010000C0000000ull, everything, NULL, CRV_STATUS_LIVE);
  STATUS(FX_314_LP64, 0x00050000C0000000ull, everything, NULL, CRV_STATUS_LIVE);
  STATUS(FX_314_LP64, 0xC0000000u, NULL, NULL, CRV_STATUS_LIVE);
  STATUS(FX_314_LP64, 7, in_range, &heap64, CRV_STATUS_LIVE);
  STATUS(FX_314_LP64, 0, in_range, &heap64, CRV_STATUS_FREED);
  STATUS(FX_314_LP64, 0x7f12000a0000ull, in_range, &heap64, CRV_STATUS_FREED);
  /* A block address with bit 31 set in its low half is no immortal mark. */
  STATUS(FX_314_LP64, 0x7f12c0000000ull, NULL, NULL, CRV_STATUS_UNKNOWN);

  /* i386 3.14: heap 0x50000000 (5<<28), static 0x70000000 (7<<28). */
  STATUS(FX_314_I386, 0x50000000u, in_range, &heap32, CRV_STATUS_LIVE);
  STATUS(FX_314_I386, 0x70000000u, in_range, &heap32, CRV_STATUS_LIVE);
  STATUS(FX_314_I386, 0x50000000u, everything, NULL, CRV_STATUS_LIVE);
  STATUS(FX_314_I386, 0, in_range, &heap32, CRV_STATUS_FREED);
  STATUS(FX_314_I386, 0x09000a40u, in_range, &heap32, CRV_STATUS_FREED);
  STATUS(FX_314_I386, 2, in_range, &heap32, CRV_STATUS_LIVE);
  STATUS(FX_314_I386, 0xdeadbeefu, in_range, &heap32, CRV_STATUS_UNKNOWN);
  /* i386 3.11: small counts live, a heap pointer freed. */
  STATUS(FX_311_I386, 1, in_range, &heap32, CRV_STATUS_LIVE);
  STATUS(FX_311_I386, 0x09000a40u, in_range, &heap32, CRV_STATUS_FREED);
  STATUS(FX_311_I386, 0, NULL, NULL, CRV_STATUS_FREED);

  /* Free-threaded 3.14: only ob_ref_local == 0xFFFFFFFF proves live; word 0 is ob_tid. */
  {
    const struct crv_layout *l = layout_of(&FX_314T_LP64);
    uint8_t h[128];
    uint64_t rc = 0;
    memset(h, 0, sizeof h);
    if (l) {
      CHECK_EQ_U64(crvi_classify_status(l, h, sizeof h, in_range, &heap64, &rc),
                   CRV_STATUS_UNKNOWN);
      fx_put64(h, 0x7f1200000a40ull); /* a thread pointer or a free-list link */
      CHECK_EQ_U64(crvi_classify_status(l, h, sizeof h, in_range, &heap64, &rc),
                   CRV_STATUS_UNKNOWN);
      CHECK_EQ_U64(rc, 0x7f1200000a40ull);
      fx_put32(h + FX_314T_LP64.off_local, 0xFFFFFFFFu);
      fx_put64(h, 0);
      CHECK_EQ_U64(crvi_classify_status(l, h, sizeof h, in_range, &heap64, &rc),
                   CRV_STATUS_LIVE);
      fx_put32(h + FX_314T_LP64.off_local, 1);
      CHECK_EQ_U64(crvi_classify_status(l, h, sizeof h, in_range, &heap64, &rc),
                   CRV_STATUS_UNKNOWN);
    }
  }

  /* Too few bytes for word 0. */
  {
    const struct crv_layout *l = layout_of(&FX_312_LP64);
    uint8_t h[8] = {1};
    uint64_t rc = 77;
    if (l) {
      CHECK_EQ_U64(crvi_classify_status(l, h, 7, NULL, NULL, &rc), CRV_STATUS_UNKNOWN);
      CHECK_EQ_U64(crvi_classify_status(l, h, 8, NULL, NULL, &rc), CRV_STATUS_LIVE);
      CHECK_EQ_U64(rc, 1);
    }
  }
}

/* ---- type objects (§7.1) ---------------------------------------------------------------- */

static void test_type_object(void)
{
  cur = "type objects";
  for (size_t i = 0; i < crvi_header_count(); i++) {
    const struct crv_header_layout *h = crvi_header_at(i);
    const unsigned w = h->ptr_size;
    /* Reference §7.1 offsets per header variant. */
    unsigned t_type, t_name, t_bs, t_is, t_flags;
    if (strcmp(h->name, "gil-lp64") == 0) {
      t_type = 8, t_name = 24, t_bs = 32, t_is = 40, t_flags = 168;
    } else if (strcmp(h->name, "gil-ilp32") == 0) {
      t_type = 4, t_name = 12, t_bs = 16, t_is = 20, t_flags = 84;
    } else if (strcmp(h->name, "ft-lp64") == 0 || strcmp(h->name, "trace-refs-lp64") == 0) {
      t_type = 24, t_name = 40, t_bs = 48, t_is = 56, t_flags = 184;
    } else if (strcmp(h->name, "ft-ilp32") == 0) {
      t_type = 16, t_name = 24, t_bs = 28, t_is = 32, t_flags = 96;
    } else {
      CHECK(!"unknown header variant");
      continue;
    }
    uint8_t t[512];
    struct crv_typeobj_info ti;
    memset(t, 0xEE, sizeof t);
    fx_putw(t + t_type, w, 0x00b64000u);
    fx_putw(t + t_name, w, 0x00a01234u);
    fx_putw(t + t_bs, w, 64);
    fx_putw(t + t_is, w, 0);
    fx_putw(t + t_flags, w, 0x10481502u | (w == 8 ? 0x100000000ull : 0));
    CHECK_REASON(crvi_read_type_object(h, t, t_flags + w, &ti), CRV_VALID);
    CHECK_EQ_U64(ti.ob_type, 0x00b64000u);
    CHECK_EQ_U64(ti.tp_name, 0x00a01234u);
    CHECK_EQ_U64(ti.tp_basicsize, 64);
    CHECK_EQ_U64(ti.tp_itemsize, 0);
    CHECK_EQ_U64(ti.tp_flags, 0x10481502u | (w == 8 ? 0x100000000ull : 0));
    CHECK_REASON(crvi_read_type_object(h, t, t_flags + w - 1, &ti), CRV_R_SHORT);
  }
}

int main(void)
{
  test_state_values();
  const struct fx_shape *pep393[] = {&FX_39_LP64,  &FX_311_LP64, &FX_312_LP64, &FX_314_LP64,
                                     &FX_311_I386, &FX_314_I386, &FX_314T_LP64};
  for (size_t i = 0; i < sizeof pep393 / sizeof pep393[0]; i++) {
    test_pep393_valid(pep393[i]);
    test_pep393_reasons(pep393[i]);
  }
  test_data_direct();
  test_ubuf(&FX_27_LP64);
  test_ubuf(&FX_27_I386);
  test_ubuf(&FX_31_LP64);
  const struct fx_shape *bytes[] = {&FX_27_LP64,  &FX_27_I386,  &FX_39_LP64, &FX_311_I386,
                                    &FX_312_LP64, &FX_314_I386, &FX_314T_LP64};
  for (size_t i = 0; i < sizeof bytes / sizeof bytes[0]; i++)
    test_bytes(bytes[i]);
  test_status();
  test_type_object();
  return CHECK_DONE();
}
