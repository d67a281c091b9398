/* SPDX-License-Identifier: MIT */
/* Unit tests for src/source/core.c: ELF64 and ELF32 cores built byte by byte (NT_PRSTATUS,
 * NT_PRPSINFO, NT_FILE; a segment with p_filesz < p_memsz, an unreadable one) become the
 * expected regions, names, pid and command; reads stop at holes. Then every truncation and
 * random corruptions must give an error or a usable space, never a crash; and the sniffer
 * tells cores, other ELF files and compressed files apart. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "source/core.h"
#include "source/space.h"

#define IMG 65536u
#define STACK 0x70000000u

static char tmpdir[] = "/tmp/carver-test-core-XXXXXX";
static char path[256];

struct seg {
  uint64_t vaddr, memsz, filesz;
  uint32_t flags;
};
static const struct seg SEGS[] = {
    {0x400000, 0x2000, 0x1000, 4},     /* r--, half in the core: the rest is a hole */
    {0x600000, 0x1000, 0x1000, 6},     /* rw- */
    {STACK, 0x1000, 0x1000, 6},        /* the stack: rsp points here */
    {0x800000, 0x1000, 0, 0},          /* ---: never a region */
};
#define NSEG (sizeof SEGS / sizeof SEGS[0])

static uint8_t pattern(uint64_t addr)
{
  return (uint8_t)(addr * 7 + (addr >> 12));
}

static size_t note(uint8_t *p, const char *name, uint32_t type, const uint8_t *desc, size_t n)
{
  size_t nl = strlen(name) + 1, o = 12;
  fx_put32(p, (uint32_t)nl);
  fx_put32(p + 4, (uint32_t)n);
  fx_put32(p + 8, type);
  memcpy(p + o, name, nl);
  o += (nl + 3) & ~(size_t)3;
  memcpy(p + o, desc, n);
  o += (n + 3) & ~(size_t)3;
  return o;
}

/* A core of pid 4242 ("python3", "python3 -c pass"). Returns its size. */
static size_t build_core(uint8_t *img, unsigned w)
{
  memset(img, 0, IMG);
  const int lp64 = w == 8;
  const size_t ehsz = lp64 ? 64 : 52, phent = lp64 ? 56 : 32, nph = 1 + NSEG;
  memcpy(img, "\177ELF", 4);
  img[4] = lp64 ? 2 : 1;
  img[5] = 1;
  img[6] = 1;
  fx_put16(img + 16, 4);
  fx_put16(img + 18, lp64 ? 62 : 3);
  fx_put32(img + 20, 1);
  fx_putw(img + (lp64 ? 32 : 28), w, ehsz);
  fx_put16(img + (lp64 ? 52 : 40), (uint16_t)ehsz);
  fx_put16(img + (lp64 ? 54 : 42), (uint16_t)phent);
  fx_put16(img + (lp64 ? 56 : 44), (uint16_t)nph);
  /* notes */
  size_t notes_off = ehsz + nph * phent, o = notes_off;
  uint8_t d[512];
  memset(d, 0, sizeof d);
  size_t prs = lp64 ? 336 : 144;
  fx_put32(d + (lp64 ? 32 : 24), 4242);
  fx_putw(d + (lp64 ? 112 + 19 * 8 : 72 + 15 * 4), w, STACK + 0x100);
  o += note(img + o, "CORE", 1, d, prs);
  memset(d, 0, sizeof d);
  fx_put32(d + (lp64 ? 24 : 12), 4242);
  strcpy((char *)d + (lp64 ? 40 : 28), "python3");
  strcpy((char *)d + (lp64 ? 56 : 44), "python3 -c pass");
  o += note(img + o, "CORE", 3, d, lp64 ? 136 : 124);
  memset(d, 0, sizeof d);
  size_t k = 0;
  fx_putw(d + k, w, 2), k += w;
  fx_putw(d + k, w, 4096), k += w;
  fx_putw(d + k, w, 0x400000), k += w;
  fx_putw(d + k, w, 0x402000), k += w;
  fx_putw(d + k, w, 0), k += w;
  fx_putw(d + k, w, 0x600000), k += w;
  fx_putw(d + k, w, 0x601000), k += w;
  fx_putw(d + k, w, 5), k += w;
  strcpy((char *)d + k, "/nonexistent/python3.11");
  k += strlen("/nonexistent/python3.11") + 1;
  strcpy((char *)d + k, "/nonexistent/libx.so");
  k += strlen("/nonexistent/libx.so") + 1;
  o += note(img + o, "CORE", 0x46494c45u, d, k);
  size_t notes_len = o - notes_off;
  size_t data = (o + 4095) & ~(size_t)4095;
  /* program headers */
  uint8_t *p = img + ehsz;
  if (lp64) {
    fx_put32(p, 4);
    fx_put64(p + 8, notes_off);
    fx_put64(p + 32, notes_len);
    fx_put64(p + 48, 4);
  } else {
    fx_put32(p, 4);
    fx_put32(p + 4, (uint32_t)notes_off);
    fx_put32(p + 16, (uint32_t)notes_len);
    fx_put32(p + 28, 4);
  }
  for (size_t i = 0; i < NSEG; i++) {
    p = img + ehsz + (i + 1) * phent;
    if (lp64) {
      fx_put32(p, 1);
      fx_put32(p + 4, SEGS[i].flags);
      fx_put64(p + 8, data);
      fx_put64(p + 16, SEGS[i].vaddr);
      fx_put64(p + 32, SEGS[i].filesz);
      fx_put64(p + 40, SEGS[i].memsz);
    } else {
      fx_put32(p, 1);
      fx_put32(p + 4, (uint32_t)data);
      fx_put32(p + 8, (uint32_t)SEGS[i].vaddr);
      fx_put32(p + 16, (uint32_t)SEGS[i].filesz);
      fx_put32(p + 20, (uint32_t)SEGS[i].memsz);
      fx_put32(p + 24, SEGS[i].flags);
    }
    for (uint64_t b = 0; b < SEGS[i].filesz; b++)
      img[data + b] = pattern(SEGS[i].vaddr + b);
    data += SEGS[i].filesz;
  }
  return data;
}

static void write_file(const uint8_t *img, size_t len)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, img, len) != (ssize_t)len) {
    perror(path);
    exit(2);
  }
  close(fd);
}

static void good_core(unsigned w)
{
  static uint8_t img[IMG];
  uint8_t b[64];
  size_t len = build_core(img, w);
  write_file(img, len);
  char msg[600];
  CHECK_EQ_U64(crvi_core_sniff(path, msg, sizeof msg), CRV_SNIFF_CORE);
  struct crv_space s;
  crvi_space_init(&s);
  CHECK_EQ_U64(crvi_space_add_core(&s, path), CRV_OK);
  CHECK_EQ_U64(crvi_space_finish(&s), CRV_OK);
  CHECK_EQ_U64(s.n, 3);
  CHECK_EQ_U64(s.pid, 4242);
  CHECK_STR(s.comm, "python3");
  CHECK_STR(s.args, "python3 -c pass");
  if (s.n == 3) {
    CHECK_EQ_U64(s.r[0].start, 0x400000);
    CHECK_EQ_U64(s.r[0].end, 0x402000);
    CHECK_EQ_U64(s.r[0].present, 0x1000);
    CHECK_STR(s.r[0].path, "/nonexistent/python3.11");
    CHECK_STR(s.r[1].path, "/nonexistent/libx.so");
    CHECK_EQ_U64(s.r[1].prot, CRV_PROT_R | CRV_PROT_W);
    CHECK_STR(s.r[2].path, "[stack]");
  }
  CHECK_EQ_U64(crvi_space_read(&s, 0x400010, b, 16), 16);
  for (int i = 0; i < 16; i++)
    CHECK_EQ_U64(b[i], pattern(0x400010 + (uint64_t)i));
  CHECK_EQ_U64(crvi_space_read(&s, 0x400ff8, b, 16), 8); /* the hole */
  CHECK_EQ_U64(crvi_space_read(&s, 0x401000, b, 16), 0);
  CHECK_EQ_U64(crvi_space_read(&s, 0x800000, b, 16), 0); /* unreadable: no region */
  CHECK_EQ_U64(crvi_space_read(&s, STACK + 0xff8, b, 16), 8);
  CHECK_EQ_U64(b[7], pattern(STACK + 0xfff));
  /* mappings: the three segments, the file offset of libx.so from NT_FILE */
  int found = 0;
  for (size_t i = 0; i < s.n_maps; i++)
    if (s.maps[i].start == 0x600000) {
      found = 1;
      CHECK_EQ_U64(s.maps[i].offset, 5 * 4096);
      CHECK_EQ_U64(s.maps[i].resident, 0x1000);
    }
  CHECK(found);
  crvi_space_free(&s);

  /* a second core in the same space is refused */
  crvi_space_init(&s);
  CHECK_EQ_U64(crvi_space_add_core(&s, path), CRV_OK);
  CHECK(crvi_space_add_core(&s, path) != CRV_OK);
  crvi_space_free(&s);
}

static void try_core(const uint8_t *img, size_t len)
{
  uint8_t b[256];
  write_file(img, len);
  struct crv_space s;
  crvi_space_init(&s);
  if (crvi_space_add_core(&s, path) == CRV_OK && crvi_space_finish(&s) == CRV_OK) {
    for (size_t i = 0; i < s.n; i++) {
      crvi_space_read(&s, s.r[i].start, b, sizeof b);
      crvi_space_read(&s, s.r[i].end - 8, b, sizeof b);
    }
  }
  crvi_space_free(&s);
}

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t rnd(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

static void hostile(unsigned w)
{
  static uint8_t img[IMG], mut[IMG];
  size_t len = build_core(img, w);
  /* every cut: the header, the program headers, the notes, the segments */
  for (size_t cut = 0; cut < len; cut += (cut < 2048 ? 3 : 211))
    try_core(img, cut);
  /* a core cut inside its segments is accepted with a hole */
  write_file(img, len - 0x800);
  struct crv_space s;
  crvi_space_init(&s);
  CHECK_EQ_U64(crvi_space_add_core(&s, path), CRV_OK);
  crvi_space_finish(&s);
  CHECK(s.n == 3 && s.r[2].present == 0x800);
  crvi_space_free(&s);
  /* random corruption of the headers and notes */
  size_t hdr = (w == 8 ? 64u : 52u) + 5u * (w == 8 ? 56u : 32u) + 1200u;
  for (int round = 0; round < 2000; round++) {
    memcpy(mut, img, len);
    int flips = 1 + (int)(rnd() % 12);
    for (int i = 0; i < flips; i++)
      mut[rnd() % hdr] = (uint8_t)rnd();
    try_core(mut, len);
  }
}

static void sniff(void)
{
  static const struct {
    const char *bytes;
    size_t n;
    enum crv_sniff want;
  } cases[] = {
      {"\x28\xb5\x2f\xfd\x00\x00", 6, CRV_SNIFF_COMPRESSED},
      {"\x04\x22\x4d\x18\x00", 5, CRV_SNIFF_COMPRESSED},
      {"\xfd\x37\x7a\x58\x5a\x00", 6, CRV_SNIFF_COMPRESSED},
      {"\x1f\x8b\x08", 3, CRV_SNIFF_COMPRESSED},
      {"hello world, not a core", 23, CRV_SNIFF_OTHER},
      {"\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0", 20, CRV_SNIFF_ELF_OTHER},
      {"\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x04\0\x3e\0", 20, CRV_SNIFF_CORE},
      {"\x7f" "EL", 3, CRV_SNIFF_OTHER},
      {"", 0, CRV_SNIFF_OTHER},
  };
  char msg[600];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    write_file((const uint8_t *)cases[i].bytes, cases[i].n);
    CHECK_EQ_U64(crvi_core_sniff(path, msg, sizeof msg), cases[i].want);
  }
  write_file((const uint8_t *)"\x28\xb5\x2f\xfd", 4);
  crvi_core_sniff(path, msg, sizeof msg);
  CHECK(strstr(msg, "zstd -d") != NULL);
  CHECK_EQ_U64(crvi_core_sniff("/nonexistent/core", msg, sizeof msg), CRV_SNIFF_UNREADABLE);
}

int main(void)
{
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 2;
  }
  snprintf(path, sizeof path, "%s/core", tmpdir);
  good_core(8);
  good_core(4);
  hostile(8);
  hostile(4);
  sniff();
  unlink(path);
  rmdir(tmpdir);
  return CHECK_DONE();
}
