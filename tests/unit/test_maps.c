/* SPDX-License-Identifier: MIT */
/* Unit tests for src/source/maps_parse.c: one /proc/PID/maps line at a time, then every
 * line of this process's own /proc/self/maps, cross-checked with an independent parse. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "source/maps_parse.h"

static int parse(const char *line, struct crv_maps_line *ml)
{
  memset(ml, 0xA5, sizeof *ml);
  return crvi_maps_parse_line(line, strlen(line), ml);
}

/* A good line: every field as expected; path compared by content and length. */
static void good(int lineno, const char *line, uint64_t start, uint64_t end, unsigned prot,
                 uint64_t offset, uint64_t inode, const char *path)
{
  struct crv_maps_line ml;
  int r = parse(line, &ml);
  check_count++;
  if (r != 0) {
    check_failures++;
    fprintf(stderr, "%s:%d: rejected good maps line \"%s\"\n", __FILE__, lineno, line);
    return;
  }
  CHECK_EQ_U64(ml.start, start);
  CHECK_EQ_U64(ml.end, end);
  CHECK_EQ_U64(ml.prot, prot);
  CHECK_EQ_U64(ml.offset, offset);
  CHECK_EQ_U64(ml.inode, inode);
  CHECK_EQ_U64(ml.path_len, strlen(path));
  check_count++;
  if (ml.path_len != strlen(path) || memcmp(ml.path, path, ml.path_len) != 0) {
    check_failures++;
    fprintf(stderr, "%s:%d: path \"%.*s\" != \"%s\"\n", __FILE__, lineno, (int)ml.path_len,
            ml.path, path);
  }
  /* The path points into the line itself. */
  CHECK(ml.path >= line && ml.path + ml.path_len <= line + strlen(line));
}

static void bad(int lineno, const char *line)
{
  struct crv_maps_line ml;
  check_count++;
  if (parse(line, &ml) == 0) {
    check_failures++;
    fprintf(stderr, "%s:%d: accepted malformed maps line \"%s\"\n", __FILE__, lineno, line);
  }
}

#define GOOD(...) good(__LINE__, __VA_ARGS__)
#define BAD(l) bad(__LINE__, l)

#define R CRV_PROT_R
#define W CRV_PROT_W
#define X CRV_PROT_X
#define S CRV_PROT_SHARED

static void test_shapes(void)
{
  /* A mapped file (the interpreter), padded to the path column as the kernel does. */
  GOOD("55d0c0a00000-55d0c0a21000 r--p 00000000 fe:00 247134                     "
       "/usr/bin/python3.11",
       0x55d0c0a00000ull, 0x55d0c0a21000ull, R, 0, 247134, "/usr/bin/python3.11");
  GOOD("7f76f0a63000-7f76f0bb9000 r-xp 00026000 fe:00 332835                     "
       "/usr/lib/x86_64-linux-gnu/libc.so.6",
       0x7f76f0a63000ull, 0x7f76f0bb9000ull, R | X, 0x26000, 332835,
       "/usr/lib/x86_64-linux-gnu/libc.so.6");
  GOOD("00400000-00401000 rw-p 0000a000 08:01 1311 /usr/bin/python2.7", 0x400000u, 0x401000u,
       R | W, 0xa000, 1311, "/usr/bin/python2.7");
  /* Anonymous mappings: with the trailing space the kernel writes, and without. */
  GOOD("7f76f09ba000-7f76f09dc000 rw-p 00000000 00:00 0 ", 0x7f76f09ba000ull,
       0x7f76f09dc000ull, R | W, 0, 0, "");
  GOOD("7f76f09ba000-7f76f09dc000 rw-p 00000000 00:00 0", 0x7f76f09ba000ull,
       0x7f76f09dc000ull, R | W, 0, 0, "");
  GOOD("7f76f09ba000-7f76f09dc000 ---p 00000000 00:00 0 ", 0x7f76f09ba000ull,
       0x7f76f09dc000ull, 0, 0, 0, "");
  /* Pseudo paths. */
  GOOD("561675969000-56167598a000 rw-p 00000000 00:00 0                          [heap]",
       0x561675969000ull, 0x56167598a000ull, R | W, 0, 0, "[heap]");
  GOOD("7ffd5a3c0000-7ffd5a3e1000 rw-p 00000000 00:00 0                          [stack]",
       0x7ffd5a3c0000ull, 0x7ffd5a3e1000ull, R | W, 0, 0, "[stack]");
  GOOD("7f76f0c2c000-7f76f0c30000 r--p 00000000 00:00 0                          [vvar]",
       0x7f76f0c2c000ull, 0x7f76f0c30000ull, R, 0, 0, "[vvar]");
  GOOD("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
       0xffffffffff600000ull, 0xffffffffff601000ull, X, 0, 0, "[vsyscall]");
  GOOD("7f0000000000-7f0000001000 rw-p 00000000 00:00 0 [anon:python arena]",
       0x7f0000000000ull, 0x7f0000001000ull, R | W, 0, 0, "[anon:python arena]");
  /* Paths with spaces, and the " (deleted)" suffix, belong to the path. */
  GOOD("7f1200000000-7f1200021000 r-xp 00001000 fd:01 5551212    /tmp/my dir/lib foo.so",
       0x7f1200000000ull, 0x7f1200021000ull, R | X, 0x1000, 5551212,
       "/tmp/my dir/lib foo.so");
  GOOD("7f1200000000-7f1200021000 rw-s 00000000 00:01 1030 /memfd:doublemapper (deleted)",
       0x7f1200000000ull, 0x7f1200021000ull, R | W | S, 0, 1030,
       "/memfd:doublemapper (deleted)");
  GOOD("7f1200000000-7f1200021000 r--p 00000000 08:01 99 /usr/lib/libpython3.11.so.1.0 "
       "(deleted)",
       0x7f1200000000ull, 0x7f1200021000ull, R, 0, 99,
       "/usr/lib/libpython3.11.so.1.0 (deleted)");
  /* Shared mappings set the shared bit. */
  GOOD("7f76f0c22000-7f76f0c29000 r--s 00000000 fe:00 332280                     "
       "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache",
       0x7f76f0c22000ull, 0x7f76f0c29000ull, R | S, 0, 332280,
       "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache");
  GOOD("7f0000000000-7f0000100000 rwxs 00000000 00:05 4 /dev/shm/x", 0x7f0000000000ull,
       0x7f0000100000ull, R | W | X | S, 0, 4, "/dev/shm/x");
  /* Device numbers in hex with three digits (NVMe majors), big offsets and inodes. */
  GOOD("7f0000000000-7f0000100000 r--p 1ffff0000 103:02 18446744073709551 /data/big.bin",
       0x7f0000000000ull, 0x7f0000100000ull, R, 0x1ffff0000ull, 18446744073709551ull,
       "/data/big.bin");
  /* Upper-case hex (not written by Linux, but harmless). */
  GOOD("7F0000000000-7F0000001000 r--p 0000A000 FE:0A 1 /x", 0x7f0000000000ull,
       0x7f0000001000ull, R, 0xa000, 1, "/x");
  /* A tab between inode and path. */
  GOOD("7f0000000000-7f0000001000 r--p 00000000 fe:00 1\t/x y", 0x7f0000000000ull,
       0x7f0000001000ull, R, 0, 1, "/x y");
  /* 16 hex digits is the maximum width of an address. */
  GOOD("0000000000400000-0000000000401000 r--p 00000000 00:00 0", 0x400000u, 0x401000u, R, 0, 0,
       "");
  /* 32-bit process (i386): 8-digit addresses. */
  GOOD("08048000-08049000 r-xp 00000000 08:01 1311 /usr/bin/python2.7", 0x08048000u,
       0x08049000u, R | X, 0, 1311, "/usr/bin/python2.7");
}

static void test_malformed(void)
{
  BAD("");
  BAD(" ");
  BAD("garbage");
  /* Bad permissions. */
  BAD("7f0000000000-7f0000001000 rwzp 00000000 00:00 0");
  BAD("7f0000000000-7f0000001000 xwrp 00000000 00:00 0");
  BAD("7f0000000000-7f0000001000 rw-q 00000000 00:00 0");
  BAD("7f0000000000-7f0000001000 rw-- 00000000 00:00 0");
  BAD("7f0000000000-7f0000001000 rw- 00000000 00:00 0");
  BAD("7f0000000000-7f0000001000 rw-pp 00000000 00:00 0");
  BAD("7f0000000000-7f0000001000 RW-P 00000000 00:00 0");
  BAD("7f0000000000-7f0000001000 rw-p");
  BAD("7f0000000000-7f0000001000 rw");
  /* Missing fields. */
  BAD("7f0000000000-7f0000001000");
  BAD("7f0000000000-7f0000001000 ");
  BAD("7f0000000000 rw-p 00000000 00:00 0");
  BAD("7f0000000000- rw-p 00000000 00:00 0");
  BAD("-7f0000001000 rw-p 00000000 00:00 0");
  BAD("7f0000000000-7f0000001000 rw-p 00000000 00:00");
  BAD("7f0000000000-7f0000001000 rw-p 00000000 00:00 ");
  BAD("7f0000000000-7f0000001000 rw-p 00000000 0 /x");
  BAD("7f0000000000-7f0000001000 rw-p 00000000 00: 0 /x");
  BAD("7f0000000000-7f0000001000 rw-p 00000000 :00 0 /x");
  BAD("7f0000000000-7f0000001000 rw-p 00:00 0 /x");
  BAD("7f0000000000-7f0000001000 rw-p  00000000 00:00 0"); /* two spaces */
  /* 17 or more hex digits in an address or the offset. */
  BAD("10000000000000000-10000000000001000 rw-p 00000000 00:00 0");
  BAD("00000000000400000-0000000000401000 rw-p 00000000 00:00 0");
  BAD("0000000000400000-00000000000401000 rw-p 00000000 00:00 0");
  BAD("7f0000000000-7f0000001000 rw-p 000000000000000000 00:00 0");
  /* end <= start */
  BAD("7f0000001000-7f0000001000 rw-p 00000000 00:00 0");
  BAD("7f0000001000-7f0000000000 rw-p 00000000 00:00 0");
  /* Garbage right after the inode, without a separating space. */
  BAD("7f0000000000-7f0000001000 r--p 00000000 fe:00 247134/usr/bin/python3");
  BAD("7f0000000000-7f0000001000 r--p 00000000 fe:00 1311abc");
  BAD("7f0000000000-7f0000001000 r--p 00000000 fe:00 0[heap]");
  BAD("7f0000000000-7f0000001000 r--p 00000000 fe:00 -1 /x");
  BAD("7f0000000000-7f0000001000 r--p 00000000 fe:00 x /x");
  /* Non-hex in the addresses. */
  BAD("7f000000000g-7f0000001000 r--p 00000000 fe:00 0");
  BAD("0x7f00000000-0x7f00001000 r--p 00000000 fe:00 0");
  BAD(" 7f0000000000-7f0000001000 r--p 00000000 fe:00 0");
}

/* Only len bytes are examined: a line that continues past len is cut there. */
static void test_length_bound(void)
{
  const char *line = "7f0000000000-7f0000001000 r--p 00000000 fe:00 12 /usr/bin/python3";
  struct crv_maps_line ml;
  size_t n = strlen(line);
  CHECK(crvi_maps_parse_line(line, n, &ml) == 0);
  CHECK_EQ_U64(ml.path_len, strlen("/usr/bin/python3"));
  /* Cut inside the path. */
  CHECK(crvi_maps_parse_line(line, n - 8, &ml) == 0);
  CHECK_EQ_U64(ml.path_len, strlen("/usr/bin"));
  CHECK(memcmp(ml.path, "/usr/bin", 8) == 0);
  /* Cut right after the inode: anonymous. */
  size_t at_inode = (size_t)(strstr(line, " 12 ") - line) + 3;
  CHECK(crvi_maps_parse_line(line, at_inode, &ml) == 0);
  CHECK_EQ_U64(ml.inode, 12);
  CHECK_EQ_U64(ml.path_len, 0);
  /* Cut inside the inode: "1" of "12". */
  CHECK(crvi_maps_parse_line(line, at_inode - 1, &ml) == 0);
  CHECK_EQ_U64(ml.inode, 1);
  /* Cut inside the permissions or the range: malformed. */
  CHECK(crvi_maps_parse_line(line, 28, &ml) != 0);
  CHECK(crvi_maps_parse_line(line, 20, &ml) != 0);
  CHECK(crvi_maps_parse_line(line, 0, &ml) != 0);
  /* No NUL is needed: a buffer with no terminator at all. */
  char buf[64];
  memcpy(buf, "00400000-00401000 r--p 00000000 00:00 0 ", 40);
  memset(buf + 40, 'Z', sizeof buf - 40);
  CHECK(crvi_maps_parse_line(buf, 40, &ml) == 0);
  CHECK_EQ_U64(ml.path_len, 0);
}

/* An independent parse with sscanf, for comparison on real lines. */
static int ref_parse(const char *line, uint64_t *start, uint64_t *end, char perms[5],
                     uint64_t *offset, uint64_t *inode, const char **path)
{
  unsigned major, minor;
  int n = 0;
  if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 "%n", start, end,
             perms, offset, &major, &minor, inode, &n) != 7)
    return -1;
  const char *p = line + n;
  while (*p == ' ' || *p == '\t')
    p++;
  *path = p;
  return 0;
}

static void test_self_maps(void)
{
  FILE *f = fopen("/proc/self/maps", "r");
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  unsigned lines = 0, heap = 0, stack = 0, anon = 0, files = 0;
  CHECK(f != NULL);
  if (!f)
    return;
  /* Make sure the process has a heap mapping and a shared mapping to show. */
  void *big = malloc(1 << 16);
  while ((len = getline(&line, &cap, f)) > 0) {
    if (line[len - 1] == '\n')
      line[--len] = '\0';
    struct crv_maps_line ml;
    int r = crvi_maps_parse_line(line, (size_t)len, &ml);
    check_count++;
    if (r != 0) {
      check_failures++;
      fprintf(stderr, "%s:%d: /proc/self/maps line rejected: \"%s\"\n", __FILE__, __LINE__,
              line);
      continue;
    }
    lines++;
    uint64_t s = 0, e = 0, off = 0, ino = 0;
    char perms[5] = {0};
    const char *path = "";
    CHECK(ref_parse(line, &s, &e, perms, &off, &ino, &path) == 0);
    CHECK_EQ_U64(ml.start, s);
    CHECK_EQ_U64(ml.end, e);
    CHECK(ml.end > ml.start);
    CHECK_EQ_U64(ml.offset, off);
    CHECK_EQ_U64(ml.inode, ino);
    unsigned prot = (perms[0] == 'r' ? R : 0) | (perms[1] == 'w' ? W : 0) |
                    (perms[2] == 'x' ? X : 0) | (perms[3] == 's' ? S : 0);
    CHECK_EQ_U64(ml.prot, prot);
    CHECK_EQ_U64(ml.path_len, strlen(path));
    CHECK(ml.path == path);
    if (ml.path_len == 0)
      anon++;
    else if (strcmp(path, "[heap]") == 0)
      heap++;
    else if (strcmp(path, "[stack]") == 0)
      stack++;
    else if (path[0] == '/')
      files++;
  }
  free(big);
  free(line);
  fclose(f);
  /* A dynamically linked test binary has files, a stack and (usually) anonymous maps. */
  CHECK(lines >= 5);
  CHECK(files >= 2);
  CHECK_EQ_U64(stack, 1);
  fprintf(stderr, "/proc/self/maps: %u lines (%u files, %u anonymous, %u heap)\n", lines, files,
          anon, heap);
}

int main(void)
{
  test_shapes();
  test_malformed();
  test_length_bound();
  test_self_maps();
  return CHECK_DONE();
}
