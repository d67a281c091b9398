/* SPDX-License-Identifier: MIT */
/* Unit tests for src/source/dumpname.c: Volatility 2 (task.PID.0xSTART.vma) and
 * Volatility 3 (pid.PID.vma.0xSTART-0xEND.dmp) dump file names, and the number parsers
 * shared with option parsing. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "source/dumpname.h"

/* Parses name; returns the result and fills *dn (poisoned first so stale values show). */
static int parse(const char *name, struct crv_dumpname *dn)
{
  memset(dn, 0xA5, sizeof *dn);
  return crvi_dumpname_parse(name, dn);
}

#define GOOD(name, pid_, start_, end_)                                                   \
  do {                                                                                 \
    struct crv_dumpname dn_;                                                           \
    int ok_ = parse(name, &dn_);                                                       \
    CHECK(ok_ == 1);                                                                   \
    if (ok_ == 1) {                                                                    \
      CHECK_EQ_I64(dn_.pid, pid_);                                                     \
      CHECK_EQ_U64(dn_.start, start_);                                                 \
      CHECK_EQ_U64(dn_.end, end_);                                                     \
    } else {                                                                           \
      fprintf(stderr, "  (rejected good name \"%s\")\n", name);                        \
    }                                                                                  \
  } while (0)

#define BAD(name)                                                                      \
  do {                                                                                 \
    struct crv_dumpname dn_;                                                           \
    int ok_ = parse(name, &dn_);                                                       \
    CHECK(ok_ == 0);                                                                   \
    if (ok_ != 0)                                                                      \
      fprintf(stderr, "  (accepted bad name \"%s\")\n", name);                         \
  } while (0)

static void test_volatility2(void)
{
  /* Real linux_dump_map names: lowercase hex, no padding. */
  GOOD("task.4233.0x1cc1b000.vma", 4233, 0x1cc1b000u, 0);
  GOOD("task.4233.0x7fe0a1216000.vma", 4233, 0x7fe0a1216000ull, 0);
  GOOD("task.1.0x400000.vma", 1, 0x400000u, 0);
  GOOD("task.0.0x0.vma", 0, 0, 0);
  /* Upper-case and mixed-case hex digits. */
  GOOD("task.77.0x7FE0A1216000.vma", 77, 0x7fe0a1216000ull, 0);
  GOOD("task.77.0x7Fe0a12160aB.vma", 77, 0x7fe0a12160abull, 0);
  /* Leading zeros: 16 digits is the maximum, and zeros do not count against the value. */
  GOOD("task.12.0x0000000000400000.vma", 12, 0x400000u, 0);
  GOOD("task.12.0xffffffffff600000.vma", 12, 0xffffffffff600000ull, 0);
  GOOD("task.12.0xFFFFFFFFFFFFFFFF.vma", 12, UINT64_MAX, 0);
  /* Leading zeros in the pid. */
  GOOD("task.0004233.0x1000.vma", 4233, 0x1000u, 0);
  /* The largest pid an int64 holds. */
  GOOD("task.9223372036854775807.0x1000.vma", INT64_MAX, 0x1000u, 0);

  /* Missing parts. */
  BAD("task..0x1000.vma");
  BAD("task.4233..vma");
  BAD("task.4233.0x.vma");
  BAD("task.4233.0x1000");
  BAD("task.4233.0x1000.");
  BAD("task.4233.vma");
  BAD("task.0x1000.vma");
  BAD("task.4233.1000.vma");  /* no 0x */
  BAD("task.4233.0X1000.vma"); /* Volatility writes a lowercase prefix */
  BAD("4233.0x1000.vma");
  BAD("task");
  BAD("task.");
  BAD("");
  /* Trailing junk, and near misses of the suffix. */
  BAD("task.4233.0x1000.vma.bak");
  BAD("task.4233.0x1000.vmax");
  BAD("task.4233.0x1000.vm");
  BAD("task.4233.0x1000.VMA");
  BAD("task.4233.0x1000g.vma");
  BAD("task.4233.0x1000 .vma");
  BAD("task.4233.0x1000.vma ");
  BAD(" task.4233.0x1000.vma");
  BAD("task.42a.0x1000.vma");
  BAD("task.-42.0x1000.vma");
  BAD("task.+42.0x1000.vma");
  BAD("Task.42.0x1000.vma");
  /* More than 16 hex digits, even when the value would fit. */
  BAD("task.42.0x00000000000000001.vma");
  BAD("task.42.0x10000000000000000.vma");
  /* pid overflow: one past INT64_MAX, and past what 64 bits hold. */
  BAD("task.9223372036854775808.0x1000.vma");
  BAD("task.18446744073709551616.0x1000.vma");
  BAD("task.99999999999999999999999.0x1000.vma");
}

static void test_volatility3(void)
{
  GOOD("pid.4233.vma.0x55d0c0a00000-0x55d0c0a21000.dmp", 4233, 0x55d0c0a00000ull,
       0x55d0c0a21000ull);
  GOOD("pid.1.vma.0x400000-0x401000.dmp", 1, 0x400000u, 0x401000u);
  GOOD("pid.1.vma.0x0-0x1.dmp", 1, 0, 1);
  GOOD("pid.99.vma.0x7FFD5A3C0000-0x7FFD5A3E1000.dmp", 99, 0x7ffd5a3c0000ull,
       0x7ffd5a3e1000ull);
  GOOD("pid.99.vma.0x00007ffd5a3c0000-0x00007ffd5a3e1000.dmp", 99, 0x7ffd5a3c0000ull,
       0x7ffd5a3e1000ull);
  GOOD("pid.99.vma.0xffffffffff600000-0xffffffffff601000.dmp", 99, 0xffffffffff600000ull,
       0xffffffffff601000ull);

  /* end <= start */
  BAD("pid.1.vma.0x401000-0x401000.dmp");
  BAD("pid.1.vma.0x401000-0x400000.dmp");
  BAD("pid.1.vma.0x1-0x0.dmp");
  /* Missing parts. */
  BAD("pid.1.vma.0x400000.dmp");
  BAD("pid.1.vma.0x400000-.dmp");
  BAD("pid.1.vma.0x400000-0x.dmp");
  BAD("pid.1.vma.-0x401000.dmp");
  BAD("pid.1.vma.0x400000-0x401000");
  BAD("pid.1.0x400000-0x401000.dmp");
  BAD("pid..vma.0x400000-0x401000.dmp");
  BAD("pid.1.vma.400000-401000.dmp");
  BAD("pid.1.vma.0x400000-401000.dmp");
  BAD("pid");
  /* Trailing junk. */
  BAD("pid.1.vma.0x400000-0x401000.dmp.xz");
  BAD("pid.1.vma.0x400000-0x401000.dmpx");
  BAD("pid.1.vma.0x400000-0x401000.vma");
  BAD("pid.1.vma.0x400000-0x401000z.dmp");
  /* More than 16 hex digits in either address. */
  BAD("pid.1.vma.0x00000000000400000-0x401000.dmp");
  BAD("pid.1.vma.0x400000-0x00000000000401000.dmp");
  /* pid overflow. */
  BAD("pid.9223372036854775808.vma.0x400000-0x401000.dmp");
  GOOD("pid.9223372036854775807.vma.0x400000-0x401000.dmp", INT64_MAX, 0x400000u, 0x401000u);
  /* The two formats do not mix. */
  BAD("task.1.vma.0x400000-0x401000.dmp");
  BAD("pid.1.0x400000.vma");
}

#define HEX_OK(s, v)                                                                     \
  do {                                                                                 \
    uint64_t out_ = 0xDEADBEEF;                                                        \
    int r_ = crvi_parse_hex_u64(s, &out_);                                             \
    CHECK(r_ == 0);                                                                    \
    if (r_ == 0)                                                                       \
      CHECK_EQ_U64(out_, v);                                                           \
  } while (0)
#define HEX_BAD(s) CHECK(crvi_parse_hex_u64(s, &(uint64_t){0}) != 0)
#define DEC_OK(s, v)                                                                     \
  do {                                                                                 \
    uint64_t out_ = 0xDEADBEEF;                                                        \
    int r_ = crvi_parse_dec_u64(s, &out_);                                             \
    CHECK(r_ == 0);                                                                    \
    if (r_ == 0)                                                                       \
      CHECK_EQ_U64(out_, v);                                                           \
  } while (0)
#define DEC_BAD(s) CHECK(crvi_parse_dec_u64(s, &(uint64_t){0}) != 0)

static void test_parse_hex(void)
{
  HEX_OK("0", 0);
  HEX_OK("0x0", 0);
  HEX_OK("1f", 0x1f);
  HEX_OK("0x1f", 0x1f);
  HEX_OK("0X1F", 0x1f);
  HEX_OK("0xDeadBeef", 0xdeadbeefu);
  HEX_OK("7f3a00000000", 0x7f3a00000000ull);
  HEX_OK("0x7f3a00000000", 0x7f3a00000000ull);
  HEX_OK("ffffffffffffffff", UINT64_MAX);
  HEX_OK("0xFFFFFFFFFFFFFFFF", UINT64_MAX);
  HEX_OK("0x0000000000000001", 1); /* 16 digits with leading zeros */
  HEX_OK("00", 0);                 /* "0" then "0": no prefix, two digits */
  HEX_OK("0x00", 0);

  HEX_BAD("");
  HEX_BAD("0x");
  HEX_BAD("0X");
  HEX_BAD("x1");
  HEX_BAD("0x0x1");
  HEX_BAD("-1");
  HEX_BAD("+1");
  HEX_BAD(" 1");
  HEX_BAD("1 ");
  HEX_BAD("1g");
  HEX_BAD("0xg");
  HEX_BAD("0x1.5");
  HEX_BAD("10000000000000000");     /* 17 digits: 2^64 */
  HEX_BAD("0x10000000000000000");
  HEX_BAD("0x00000000000000001");   /* 17 digits even though the value is 1 */
}

static void test_parse_dec(void)
{
  DEC_OK("0", 0);
  DEC_OK("7", 7);
  DEC_OK("42", 42);
  DEC_OK("0042", 42);
  DEC_OK("4294967295", 4294967295u);
  DEC_OK("4294967296", 4294967296ull);
  DEC_OK("9223372036854775807", 9223372036854775807ull);
  DEC_OK("9999999999999999999", 9999999999999999999ull); /* largest 19-digit number */

  DEC_BAD("");
  DEC_BAD("-1");
  DEC_BAD("+1");
  DEC_BAD(" 1");
  DEC_BAD("1 ");
  DEC_BAD("1x");
  DEC_BAD("0x10");
  DEC_BAD("1.0");
  DEC_BAD("1e3");
  DEC_BAD("18446744073709551616");   /* 2^64: must not wrap */
  DEC_BAD("99999999999999999999");   /* 20 nines */
  DEC_BAD("184467440737095516150");
}

int main(void)
{
  test_volatility2();
  test_volatility3();
  test_parse_hex();
  test_parse_dec();
  return CHECK_DONE();
}
