/* SPDX-License-Identifier: MIT */
/* Unit tests for src/hash/pyhash.c.
 *
 * Every expected hash below was printed by a real interpreter (reference section 5.3 plus
 * extra rows recorded while writing this test):
 *   2.7.18 LP64 / i386, 3.9.2 LP64 / i386 (Debian, via shared/tools/cpython-builds),
 *   3.11.2 (Debian /usr/bin/python3) and 3.14.10 LP64 (identical SipHash-1-3 results),
 *   3.14.10 i386, each with PYTHONHASHSEED = 0, 42, 7 and 4294967295. */
#include <stdint.h>
#include <string.h>

#include "../check.h"
#include "hash/pyhash.h"

/* ---- test strings, as code points ------------------------------------------------------- */

enum str_id {
  S_EMPTY,
  S_ABC,          /* "abc" */
  S_EACUTE,       /* "\u00e9" */
  S_EURO,         /* "\u20ac" */
  S_GRIN,         /* "\U0001F600" */
  S_HELLO_WORLD,  /* "hello world!" */
  S_C3A9,         /* b"\xc3\xa9" / 2.7 "\xc3\xa9" */
  S_HELLO_CARVER, /* "hello carver" */
  S_EURO_ABC,     /* "\u20ac abc" */
  S_X37,          /* "x" * 37 */
  S_RANGE200,     /* bytes(range(200)) / 2.7 "".join(map(chr, range(200))) */
};

static size_t ascii_cps(const char *s, uint32_t *out)
{
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i++)
    out[i] = (uint8_t)s[i];
  return n;
}

/* Fills out[] (at least 256 entries) with the string's code points; returns the count. */
static size_t make_cps(enum str_id id, uint32_t *out)
{
  size_t n = 0;
  switch (id) {
  case S_EMPTY:
    return 0;
  case S_ABC:
    return ascii_cps("abc", out);
  case S_EACUTE:
    out[0] = 0xe9;
    return 1;
  case S_EURO:
    out[0] = 0x20ac;
    return 1;
  case S_GRIN:
    out[0] = 0x1f600;
    return 1;
  case S_HELLO_WORLD:
    return ascii_cps("hello world!", out);
  case S_C3A9:
    out[0] = 0xc3;
    out[1] = 0xa9;
    return 2;
  case S_HELLO_CARVER:
    return ascii_cps("hello carver", out);
  case S_EURO_ABC:
    out[0] = 0x20ac;
    return 1 + ascii_cps(" abc", out + 1);
  case S_X37:
    for (n = 0; n < 37; n++)
      out[n] = 'x';
    return n;
  case S_RANGE200:
    for (n = 0; n < 200; n++)
      out[n] = (uint32_t)n;
    return n;
  }
  return 0;
}

/* Little-endian code units of `unit` bytes each: the canonical buffer. */
static size_t encode(const uint32_t *cps, size_t n, unsigned unit, uint8_t *out)
{
  for (size_t i = 0; i < n; i++)
    for (unsigned b = 0; b < unit; b++)
      out[i * unit + b] = (uint8_t)(cps[i] >> (8 * b));
  return n * unit;
}

/* PEP 393 kind: the narrowest unit that holds every code point. */
static unsigned kind_of(const uint32_t *cps, size_t n)
{
  unsigned unit = 1;
  for (size_t i = 0; i < n; i++) {
    if (cps[i] > 0xffff)
      return 4;
    if (cps[i] > 0xff)
      unit = 2;
  }
  return unit;
}

/* ---- interpreter families ----------------------------------------------------------------- */

enum family { PY27_LP64, PY27_I386, PY39_LP64, PY39_I386, PY311_LP64, PY314_I386 };

static const struct {
  const char *name;
  enum crv_hash_algo algo;
  unsigned ptr_size;
  size_t key_len; /* bytes lcg_urandom fills for PYTHONHASHSEED=N */
} families[] = {
    [PY27_LP64] = {"2.7 LP64", CRV_HASHALG_FNV27, 8, 16},
    [PY27_I386] = {"2.7 i386", CRV_HASHALG_FNV27, 4, 8},
    [PY39_LP64] = {"3.9 LP64", CRV_HASHALG_SIP24, 8, 24},
    [PY39_I386] = {"3.9 i386", CRV_HASHALG_SIP24, 4, 24},
    [PY311_LP64] = {"3.11+ LP64", CRV_HASHALG_SIP13, 8, 24},
    [PY314_I386] = {"3.14 i386", CRV_HASHALG_SIP13, 4, 24},
};

/* How the value is stored: 3.x str (PEP 393 kind units), 3.x bytes / 2.7 str (bytes),
 * 2.7 unicode (UCS4 Py_UNICODE units on Debian's builds). */
enum repr { STR3, BYTES, UNICODE27 };

struct vector {
  enum family fam;
  uint32_t seed;
  enum str_id str;
  enum repr repr;
  int64_t expect;
};

static const struct vector vectors[] = {
    /* ---- PYTHONHASHSEED=0: reference section 5.3 table, one row per interpreter ---- */
    {PY27_LP64, 0, S_EMPTY, BYTES, 0},
    {PY27_LP64, 0, S_EMPTY, UNICODE27, 0},
    {PY27_LP64, 0, S_ABC, BYTES, 1453079729188098211},
    {PY27_LP64, 0, S_ABC, UNICODE27, 1453079729188098211},
    {PY27_LP64, 0, S_EACUTE, UNICODE27, 29824089448},
    {PY27_LP64, 0, S_EURO, UNICODE27, 1070595220141},
    {PY27_LP64, 0, S_GRIN, UNICODE27, 16449585346049},
    {PY27_LP64, 0, S_HELLO_WORLD, BYTES, 7509966079822378001},
    {PY27_LP64, 0, S_C3A9, BYTES, 24960149699224354},

    {PY27_I386, 0, S_EMPTY, BYTES, 0},
    {PY27_I386, 0, S_ABC, BYTES, -1600925533},
    {PY27_I386, 0, S_ABC, UNICODE27, -1600925533},
    {PY27_I386, 0, S_EACUTE, UNICODE27, -240681624},
    {PY27_I386, 0, S_EURO, UNICODE27, 1148363437},
    {PY27_I386, 0, S_GRIN, UNICODE27, -139397631},
    {PY27_I386, 0, S_HELLO_WORLD, BYTES, 789296145},
    {PY27_I386, 0, S_C3A9, BYTES, -1201872094},

    {PY39_LP64, 0, S_EMPTY, STR3, 0},
    {PY39_LP64, 0, S_ABC, STR3, 4596069200710135518},
    {PY39_LP64, 0, S_ABC, BYTES, 4596069200710135518},
    {PY39_LP64, 0, S_EACUTE, STR3, 4954367630624915103},
    {PY39_LP64, 0, S_EURO, STR3, -7838577127164893040},
    {PY39_LP64, 0, S_GRIN, STR3, 2694534307785527896},
    {PY39_LP64, 0, S_HELLO_WORLD, STR3, -7505400730570130826},
    {PY39_LP64, 0, S_C3A9, BYTES, 6332414642301591832},

    {PY39_I386, 0, S_EMPTY, STR3, 0},
    {PY39_I386, 0, S_ABC, STR3, 1198583518},
    {PY39_I386, 0, S_ABC, BYTES, 1198583518},
    {PY39_I386, 0, S_EACUTE, STR3, 1444380319},
    {PY39_I386, 0, S_EURO, STR3, 651536528},
    {PY39_I386, 0, S_GRIN, STR3, 984142424},
    {PY39_I386, 0, S_HELLO_WORLD, STR3, 90765942},
    {PY39_I386, 0, S_C3A9, BYTES, 215900440},

    {PY311_LP64, 0, S_EMPTY, STR3, 0},
    {PY311_LP64, 0, S_ABC, STR3, -4594863902769663758},
    {PY311_LP64, 0, S_ABC, BYTES, -4594863902769663758},
    {PY311_LP64, 0, S_EACUTE, STR3, 6047309291227476195},
    {PY311_LP64, 0, S_EURO, STR3, -5529981157763016009},
    {PY311_LP64, 0, S_GRIN, STR3, -3536540696076613844},
    {PY311_LP64, 0, S_HELLO_WORLD, STR3, 839851713330019024},
    {PY311_LP64, 0, S_C3A9, BYTES, -1266968099349302080},

    {PY314_I386, 0, S_EMPTY, STR3, 0},
    {PY314_I386, 0, S_ABC, STR3, 69611762},
    {PY314_I386, 0, S_ABC, BYTES, 69611762},
    {PY314_I386, 0, S_EACUTE, STR3, -1501007645},
    {PY314_I386, 0, S_EURO, STR3, -1527866697},
    {PY314_I386, 0, S_GRIN, STR3, 1822689068},
    {PY314_I386, 0, S_HELLO_WORLD, STR3, -49677616},
    {PY314_I386, 0, S_C3A9, BYTES, -259492672},

    /* ---- PYTHONHASHSEED=0, extra rows (longer inputs, multi-block, every byte value) ---- */
    {PY27_LP64, 0, S_HELLO_CARVER, UNICODE27, 4358541790584145249},
    {PY27_LP64, 0, S_EURO_ABC, UNICODE27, 912197111960765481},
    {PY27_LP64, 0, S_X37, BYTES, 6551489082798855101},
    {PY27_LP64, 0, S_RANGE200, BYTES, 6180771382285196056},
    {PY27_I386, 0, S_HELLO_CARVER, UNICODE27, 2121696609},
    {PY27_I386, 0, S_EURO_ABC, UNICODE27, -1215364055},
    {PY27_I386, 0, S_X37, BYTES, 169038781},
    {PY27_I386, 0, S_RANGE200, BYTES, 922901272},
    {PY39_LP64, 0, S_HELLO_CARVER, STR3, -1060421344815021872},
    {PY39_LP64, 0, S_EURO_ABC, STR3, -4958116020544085262},
    {PY39_LP64, 0, S_X37, STR3, 2132442118605240917},
    {PY39_LP64, 0, S_RANGE200, BYTES, 192888034697694926},
    {PY39_I386, 0, S_HELLO_CARVER, STR3, -1106313008},
    {PY39_I386, 0, S_EURO_ABC, STR3, -1605639438},
    {PY39_I386, 0, S_X37, STR3, 126614101},
    {PY39_I386, 0, S_RANGE200, BYTES, 1167347406},
    {PY311_LP64, 0, S_HELLO_CARVER, STR3, 5300126569928283079},
    {PY311_LP64, 0, S_EURO_ABC, STR3, 3825188702709574827},
    {PY311_LP64, 0, S_X37, STR3, -2549365246187059108},
    {PY311_LP64, 0, S_RANGE200, BYTES, 8175783260817623587},
    {PY314_I386, 0, S_HELLO_CARVER, STR3, -1188080697},
    {PY314_I386, 0, S_EURO_ABC, STR3, -1076400981},
    {PY314_I386, 0, S_X37, STR3, -766818212},
    {PY314_I386, 0, S_RANGE200, BYTES, -39941597},

    /* ---- PYTHONHASHSEED=42: reference section 5.3 keyed table ---- */
    {PY39_LP64, 42, S_ABC, STR3, -4501618152524544106},
    {PY39_LP64, 42, S_EURO, STR3, -5971024369057270704},
    {PY311_LP64, 42, S_ABC, STR3, 3869580338025362921},
    {PY311_LP64, 42, S_EURO, STR3, -9193319877017669544},
    {PY314_I386, 42, S_ABC, STR3, -975800855},
    {PY314_I386, 42, S_EURO, STR3, -1210912680},
    {PY27_LP64, 42, S_ABC, BYTES, -4410911502303878509},
    {PY27_LP64, 42, S_EURO, UNICODE27, -5486455529282939743},
    /* seed 42, extra rows */
    {PY27_LP64, 42, S_ABC, UNICODE27, -4410911502303878509},
    {PY27_LP64, 42, S_EACUTE, UNICODE27, -5486454213365055644},
    {PY27_LP64, 42, S_GRIN, UNICODE27, -5486444296027642867},
    {PY27_LP64, 42, S_HELLO_CARVER, UNICODE27, -3925596985862926685},
    {PY27_LP64, 42, S_RANGE200, BYTES, 8885216911974506942},
    {PY27_I386, 42, S_ABC, BYTES, -206076799},
    {PY27_I386, 42, S_EURO, UNICODE27, -1613401421},
    {PY27_I386, 42, S_EURO_ABC, UNICODE27, -104871493},
    {PY27_I386, 42, S_RANGE200, BYTES, -1136588884},
    {PY39_LP64, 42, S_HELLO_CARVER, STR3, 6999699880970268422},
    {PY39_LP64, 42, S_GRIN, STR3, -906987714113553107},
    {PY39_I386, 42, S_ABC, STR3, 273876886},
    {PY39_I386, 42, S_EURO, STR3, -517737392},
    {PY39_I386, 42, S_RANGE200, BYTES, -84402906},
    {PY311_LP64, 42, S_EURO_ABC, STR3, 424501640049058639},
    {PY311_LP64, 42, S_X37, STR3, -5234926732142799298},
    {PY314_I386, 42, S_GRIN, STR3, -812276590},

    /* ---- PYTHONHASHSEED=7 ---- */
    {PY27_LP64, 7, S_ABC, BYTES, 4337475500751647183},
    {PY27_LP64, 7, S_EURO_ABC, UNICODE27, -6028209435112809675},
    {PY27_LP64, 7, S_X37, BYTES, 5332741828372915413},
    {PY27_I386, 7, S_HELLO_CARVER, UNICODE27, 495344133},
    {PY27_I386, 7, S_C3A9, BYTES, 1157892886},
    {PY39_LP64, 7, S_HELLO_CARVER, STR3, 788057996589315636},
    {PY39_LP64, 7, S_EURO_ABC, STR3, 2722365321296812681},
    {PY39_I386, 7, S_HELLO_CARVER, STR3, -1793280460},
    {PY39_I386, 7, S_GRIN, STR3, 769745534},
    {PY311_LP64, 7, S_HELLO_CARVER, STR3, 6782143313489234695},
    {PY311_LP64, 7, S_RANGE200, BYTES, 6023488181647000307},
    {PY314_I386, 7, S_HELLO_CARVER, STR3, 139528967},
    {PY314_I386, 7, S_EACUTE, STR3, -1859198700},

    /* ---- PYTHONHASHSEED=4294967295 (largest seed) ---- */
    {PY27_LP64, 4294967295u, S_GRIN, UNICODE27, -2592639630347714950},
    {PY27_LP64, 4294967295u, S_HELLO_WORLD, BYTES, 6055791710415215004},
    {PY27_I386, 4294967295u, S_EURO, UNICODE27, -584099640},
    {PY27_I386, 4294967295u, S_RANGE200, BYTES, -1420915665},
    {PY39_LP64, 4294967295u, S_ABC, STR3, -8739384887637014596},
    {PY39_LP64, 4294967295u, S_X37, STR3, 180538461887549930},
    {PY39_I386, 4294967295u, S_EURO_ABC, STR3, -1461383206},
    {PY311_LP64, 4294967295u, S_EURO, STR3, 1723250505947338019},
    {PY311_LP64, 4294967295u, S_C3A9, BYTES, 6066352870454907632},
    {PY314_I386, 4294967295u, S_GRIN, STR3, 758019111},
    {PY314_I386, 4294967295u, S_RANGE200, BYTES, -552613370},
};

static int64_t hash_vector(const struct vector *v, size_t misalign)
{
  uint32_t cps[256];
  uint8_t storage[1024 + 8];
  uint8_t *buf = storage + misalign;
  crv_hash_key key;

  size_t n = make_cps(v->str, cps);
  unsigned unit = v->repr == STR3 ? kind_of(cps, n) : v->repr == UNICODE27 ? 4 : 1;
  size_t nbytes = encode(cps, n, unit, buf);
  crvi_hash_key_from_seed(&key, v->seed, families[v->fam].key_len);
  return crvi_pyhash(families[v->fam].algo, &key, families[v->fam].ptr_size, buf, nbytes, unit);
}

static void test_vectors(void)
{
  for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
    const struct vector *v = &vectors[i];
    int64_t got = hash_vector(v, 0);
    CHECK_EQ_I64(got, v->expect);
    if (got != v->expect)
      fprintf(stderr, "  vector %zu: %s seed %" PRIu32 " string %d\n", i, families[v->fam].name,
              v->seed, (int)v->str);
    /* Any alignment gives the same answer. */
    for (size_t a = 1; a < 8; a++)
      CHECK_EQ_I64(hash_vector(v, a), v->expect);
  }
}

/* ---- seed derivation and explicit keys ---------------------------------------------------- */

static int64_t hash_bytes(enum crv_hash_algo algo, const crv_hash_key *key, unsigned ptr_size,
                          const char *s, unsigned unit)
{
  return crvi_pyhash(algo, key, ptr_size, (const uint8_t *)s, strlen(s), unit);
}

static void test_seed(void)
{
  static const uint8_t seed42[24] = {0xaf, 0x90, 0xcd, 0x68, 0xd3, 0x4f, 0x50, 0xdc,
                                     0xc1, 0xe9, 0x99, 0xfe, 0x9f, 0xbb, 0x20, 0xb9,
                                     0xc4, 0x90, 0x0f, 0xdc, 0xcb, 0x6a, 0xf6, 0x07};
  static const uint8_t zero[24];
  crv_hash_key key;

  crvi_hash_key_from_seed(&key, 42, 24);
  CHECK_MEM(key.bytes, seed42, 24);
  CHECK_EQ_U64((uint64_t)key.bytes[0] | (uint64_t)key.bytes[7] << 56, 0xdc000000000000afu);

  /* 2.7 LP64 fills 16 bytes: prefix/suffix as read from _Py_HashSecret with ctypes. */
  memset(key.bytes, 0x55, sizeof key.bytes);
  crvi_hash_key_from_seed(&key, 42, 16);
  CHECK_MEM(key.bytes, seed42, 16);
  CHECK_MEM(key.bytes + 16, zero, 8);
  int64_t prefix = 0, suffix = 0;
  for (int i = 7; i >= 0; i--) {
    prefix = (int64_t)((uint64_t)prefix << 8 | key.bytes[i]);
    suffix = (int64_t)((uint64_t)suffix << 8 | key.bytes[8 + i]);
  }
  CHECK_EQ_I64(prefix, -2571467617813557073);
  CHECK_EQ_I64(suffix, -5106875681592448575);

  /* 2.7 i386 fills 8 bytes: prefix 1758302383, suffix -598716461 (read with ctypes). */
  crvi_hash_key_from_seed(&key, 42, 8);
  CHECK_MEM(key.bytes, seed42, 8);
  CHECK_MEM(key.bytes + 8, zero, 16);
  uint32_t p32 = (uint32_t)key.bytes[0] | (uint32_t)key.bytes[1] << 8 |
                 (uint32_t)key.bytes[2] << 16 | (uint32_t)key.bytes[3] << 24;
  uint32_t s32 = (uint32_t)key.bytes[4] | (uint32_t)key.bytes[5] << 8 |
                 (uint32_t)key.bytes[6] << 16 | (uint32_t)key.bytes[7] << 24;
  CHECK_EQ_U64(p32, 1758302383u);
  CHECK_EQ_U64(s32, (uint32_t)-598716461);

  /* Seed 0 is the all-zero key, whatever n is. */
  memset(key.bytes, 0x55, sizeof key.bytes);
  crvi_hash_key_from_seed(&key, 0, 24);
  CHECK_MEM(key.bytes, zero, 24);

  /* n = 0 gives zeros; n above 24 is clamped. */
  memset(key.bytes, 0x55, sizeof key.bytes);
  crvi_hash_key_from_seed(&key, 42, 0);
  CHECK_MEM(key.bytes, zero, 24);
  crvi_hash_key_from_seed(&key, 42, 1000);
  CHECK_MEM(key.bytes, seed42, 24);

  /* First LCG step by hand: 1*214013 + 2531011 = 2745024 -> (>>16)&0xff = 0x29. */
  crvi_hash_key_from_seed(&key, 1, 1);
  CHECK_EQ_U64(key.bytes[0], 0x29);
}

static void test_keyed_explicit(void)
{
  crv_hash_key key;

  /* The seed-42 vectors again, with the key given as hex instead of derived. */
  CHECK(crvi_hash_key_parse_hex(&key, "af90cd68d34f50dcc1e999fe9fbb20b9c4900fdccb6af607") == 0);
  CHECK_EQ_I64(hash_bytes(CRV_HASHALG_SIP24, &key, 8, "abc", 1), -4501618152524544106);
  CHECK_EQ_I64(hash_bytes(CRV_HASHALG_SIP13, &key, 8, "abc", 1), 3869580338025362921);
  CHECK_EQ_I64(hash_bytes(CRV_HASHALG_SIP13, &key, 4, "abc", 1), -975800855);
  CHECK_EQ_I64(crvi_pyhash(CRV_HASHALG_SIP13, &key, 8, (const uint8_t *)"\xac\x20", 2, 2),
               -9193319877017669544);
  /* 3.x only uses the first 16 bytes. */
  CHECK(crvi_hash_key_parse_hex(&key, "0xaf90cd68d34f50dcc1e999fe9fbb20b9") == 0);
  CHECK_EQ_I64(hash_bytes(CRV_HASHALG_SIP24, &key, 8, "abc", 1), -4501618152524544106);
  /* 2.7: prefix/suffix from the same bytes; bytes 16.. are not used. */
  CHECK_EQ_I64(hash_bytes(CRV_HASHALG_FNV27, &key, 8, "abc", 1), -4410911502303878509);
  CHECK_EQ_I64(crvi_pyhash(CRV_HASHALG_FNV27, &key, 8, (const uint8_t *)"\xac\x20\0\0", 4, 4),
               -5486455529282939743);
  /* 2.7 i386 uses bytes 0..7 only; the seed derivation filled only those. */
  CHECK(crvi_hash_key_parse_hex(&key, "af90cd68d34f50dc00000000000000000000000000000000") == 0);
  CHECK_EQ_I64(hash_bytes(CRV_HASHALG_FNV27, &key, 4, "abc", 1), -206076799);
  CHECK(crvi_hash_key_parse_hex(&key, "af90cd68d34f50dcffffffffffffffff") == 0);
  CHECK_EQ_I64(hash_bytes(CRV_HASHALG_FNV27, &key, 4, "abc", 1), -206076799);
}

/* ---- edge cases ---------------------------------------------------------------------------- */

static void test_edges(void)
{
  static const enum crv_hash_algo algos[] = {CRV_HASHALG_FNV27, CRV_HASHALG_SIP24,
                                             CRV_HASHALG_SIP13};
  crv_hash_key key;
  crvi_hash_key_from_seed(&key, 42, 24);

  /* Empty input is 0 for every algorithm, width and key. */
  for (size_t i = 0; i < 3; i++)
    for (unsigned ptr = 4; ptr <= 8; ptr += 4)
      for (unsigned unit = 1; unit <= 4; unit *= 2)
        CHECK_EQ_I64(crvi_pyhash(algos[i], &key, ptr, (const uint8_t *)"", 0, unit), 0);
  CHECK_EQ_I64(crvi_pyhash(CRV_HASHALG_SIP13, &key, 8, NULL, 0, 1), 0);
  CHECK_EQ_I64(crvi_pyhash(CRV_HASHALG_NONE, &key, 8, (const uint8_t *)"abc", 3, 1), 0);

  /* SipHash ignores the unit; the i386 value is the LP64 value's low 32 bits, signed. */
  const uint8_t *euro = (const uint8_t *)"\xac\x20 \0a\0b\0c\0";
  for (size_t i = 1; i < 3; i++) {
    int64_t h8 = crvi_pyhash(algos[i], &key, 8, euro, 10, 2);
    CHECK_EQ_I64(crvi_pyhash(algos[i], &key, 8, euro, 10, 1), h8);
    CHECK_EQ_I64(crvi_pyhash(algos[i], &key, 8, euro, 10, 4), h8);
    CHECK_EQ_I64(crvi_pyhash(algos[i], &key, 4, euro, 10, 2), (int64_t)(int32_t)(uint32_t)h8);
  }

  /* FNV counts units, not bytes: 'a' as 1, 2 or 4 byte units hashes the same. */
  crv_hash_key zero;
  crvi_hash_key_from_seed(&zero, 0, 24);
  int64_t a1 = crvi_pyhash(CRV_HASHALG_FNV27, &zero, 8, (const uint8_t *)"a", 1, 1);
  CHECK_EQ_I64(crvi_pyhash(CRV_HASHALG_FNV27, &zero, 8, (const uint8_t *)"a\0", 2, 2), a1);
  CHECK_EQ_I64(crvi_pyhash(CRV_HASHALG_FNV27, &zero, 8, (const uint8_t *)"a\0\0\0", 4, 4), a1);
  /* By hand: x = 0x61<<7 = 0x3080; x = 1000003*x ^ 0x61; x ^= 1 (len). */
  CHECK_EQ_I64(a1, (int64_t)((UINT64_C(1000003) * 0x3080) ^ 0x61 ^ 1));

  /* -1 becomes -2: choose the suffix so that the final xor yields all ones. */
  for (unsigned ptr = 4; ptr <= 8; ptr += 4) {
    crv_hash_key k = zero;
    uint64_t h0 = (uint64_t)crvi_pyhash(CRV_HASHALG_FNV27, &k, ptr, (const uint8_t *)"a", 1, 1);
    uint64_t s = ~h0;
    for (unsigned b = 0; b < ptr; b++)
      k.bytes[ptr + b] = (uint8_t)(s >> (8 * b));
    CHECK_EQ_I64(crvi_pyhash(CRV_HASHALG_FNV27, &k, ptr, (const uint8_t *)"a", 1, 1), -2);
    k.bytes[ptr] ^= 1; /* the genuine -2 next door */
    CHECK_EQ_I64(crvi_pyhash(CRV_HASHALG_FNV27, &k, ptr, (const uint8_t *)"a", 1, 1), -2);
  }
}

static void test_siphash_raw(void)
{
  /* SipHash-2-4 reference vectors (Aumasson & Bernstein): key 00 01 .. 0f, message 00 01 .. */
  uint8_t msg[64];
  for (unsigned i = 0; i < sizeof msg; i++)
    msg[i] = (uint8_t)i;
  const uint64_t k0 = UINT64_C(0x0706050403020100), k1 = UINT64_C(0x0f0e0d0c0b0a0908);
  CHECK_EQ_U64(crvi_siphash(2, 4, k0, k1, msg, 0), UINT64_C(0x726fdb47dd0e0e31));
  CHECK_EQ_U64(crvi_siphash(2, 4, k0, k1, msg, 15), UINT64_C(0xa129ca6149be45e5));

  /* crvi_pyhash's LP64 SipHash values are the raw output reinterpreted as signed. */
  CHECK_EQ_U64(crvi_siphash(1, 3, 0, 0, (const uint8_t *)"abc", 3), (uint64_t)-4594863902769663758);
  CHECK_EQ_U64(crvi_siphash(2, 4, 0, 0, (const uint8_t *)"abc", 3), (uint64_t)4596069200710135518);
}

/* ---- hex keys ------------------------------------------------------------------------------- */

static void test_parse_hex(void)
{
  static const uint8_t seed42[24] = {0xaf, 0x90, 0xcd, 0x68, 0xd3, 0x4f, 0x50, 0xdc,
                                     0xc1, 0xe9, 0x99, 0xfe, 0x9f, 0xbb, 0x20, 0xb9,
                                     0xc4, 0x90, 0x0f, 0xdc, 0xcb, 0x6a, 0xf6, 0x07};
  static const uint8_t zero[8];
  crv_hash_key key;

  memset(key.bytes, 0x55, sizeof key.bytes);
  CHECK(crvi_hash_key_parse_hex(&key, "af90cd68d34f50dcc1e999fe9fbb20b9c4900fdccb6af607") == 0);
  CHECK_MEM(key.bytes, seed42, 24);

  memset(key.bytes, 0x55, sizeof key.bytes);
  CHECK(crvi_hash_key_parse_hex(&key, "0xAF90CD68D34F50DCC1E999FE9FBB20B9c4900fdccb6af607") == 0);
  CHECK_MEM(key.bytes, seed42, 24);

  /* 32 digits: 16 bytes, the rest cleared. */
  memset(key.bytes, 0x55, sizeof key.bytes);
  CHECK(crvi_hash_key_parse_hex(&key, "0XaF90cD68d34f50dcc1e999fe9fbb20b9") == 0);
  CHECK_MEM(key.bytes, seed42, 16);
  CHECK_MEM(key.bytes + 16, zero, 8);

  CHECK(crvi_hash_key_parse_hex(&key, "000102030405060708090a0b0c0d0e0f") == 0);
  for (unsigned i = 0; i < 16; i++)
    CHECK_EQ_U64(key.bytes[i], i);

  static const char *const bad[] = {
      "",
      "0x",
      "0X",
      "x00000000000000000000000000000000",
      "0x0x00000000000000000000000000000000",
      "0000000000000000000000000000000",                                  /* 31 */
      "000000000000000000000000000000000",                                /* 33 */
      "00000000000000000000000000000000000000000000000",                  /* 47 */
      "0000000000000000000000000000000000000000000000000",                /* 49 */
      "0000000000000000000000000000000000000000000000000000000000000000", /* 64 */
      "g0000000000000000000000000000000",
      "0000000000000000000000000000000g",
      " 00000000000000000000000000000000",
      "00000000000000000000000000000000 ",
      "00000000000000000000000000000000\n",
      "0000000000000000 000000000000000",
      "-0000000000000000000000000000000",
      "+0000000000000000000000000000000",
      "00x000000000000000000000000000000",
      "0x000000000000000000000000000000", /* 0x + 30 */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(key.bytes, 0x55, sizeof key.bytes);
    int rc = crvi_hash_key_parse_hex(&key, bad[i]);
    CHECK(rc == -1);
    if (rc != -1)
      fprintf(stderr, "  accepted bad hex \"%s\"\n", bad[i]);
    /* A failed parse leaves the key alone. */
    CHECK(key.bytes[0] == 0x55 && key.bytes[23] == 0x55);
  }
  CHECK(crvi_hash_key_parse_hex(&key, NULL) == -1);
}

int main(void)
{
  test_vectors();
  test_seed();
  test_keyed_explicit();
  test_edges();
  test_siphash_raw();
  test_parse_hex();
  return CHECK_DONE();
}
