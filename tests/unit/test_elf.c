/* SPDX-License-Identifier: MIT */
/* Unit tests for src/source/elf.c and the interpreter probe (src/source/interp.c): ELF64
 * and ELF32 shared objects built byte by byte with .dynsym/.dynstr and a build-id note;
 * symbol lookup (imports ignored), build id, vaddr -> offset; the note walker on crafted
 * buffers; then every truncation and thousands of random corruptions of both files must be
 * rejected or parsed without reading out of bounds (run under ASan by scripts/test.sh). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "source/elf.h"
#include "source/interp.h"

#define IMG 8192u

struct sym_spec {
  const char *name;
  uint64_t value, size;
  uint16_t shndx;
  unsigned type;
};

static const struct sym_spec SYMS[] = {
    {"PyType_Type", 0x1200, 416, 5, 1},
    {"PyUnicode_Type", 0x13a0, 416, 5, 1},
    {"PyBytes_Type", 0x1540, 416, 5, 1},
    {"_Py_HashSecret", 0x1800, 24, 6, 1},
    {"Py_GetVersion", 0x400, 32, 4, 2},
    {"PyImported_Type", 0, 0, 0, 1}, /* an import: never "found" */
    {"Py_Version", 0x1000, 8, 5, 1},
};
#define NSYMS (sizeof SYMS / sizeof SYMS[0])

static const uint8_t BUILD_ID[20] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6,
                                     7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* Writes an ELF shared object into img; returns its size. w: 4 (ELF32) or 8 (ELF64). */
static size_t build_elf(uint8_t *img, unsigned w, int py2)
{
  memset(img, 0, IMG);
  const size_t ehsz = w == 8 ? 64 : 52, phent = w == 8 ? 56 : 32, shent = w == 8 ? 64 : 40;
  const size_t symsz = w == 8 ? 24 : 16;
  const size_t phoff = ehsz, nph = 2;
  const size_t note_off = 0x200, dynsym_off = 0x300, dynstr_off = 0x600, shstr_off = 0x700;
  const size_t pyver_off = 0x1000; /* Py_Version's bytes (vaddr 0x1000 -> offset 0x1000) */
  const size_t shoff = 0x1100, nsh = 6;
  /* ELF header */
  memcpy(img, "\177ELF", 4);
  img[4] = w == 8 ? 2 : 1;
  img[5] = 1;
  img[6] = 1;
  fx_put16(img + 16, 3); /* ET_DYN */
  fx_put16(img + 18, w == 8 ? 62 : 3);
  fx_put32(img + 20, 1);
  if (w == 8) {
    fx_put64(img + 32, phoff);
    fx_put64(img + 40, shoff);
    fx_put16(img + 52, (uint16_t)ehsz);
    fx_put16(img + 54, (uint16_t)phent);
    fx_put16(img + 56, nph);
    fx_put16(img + 58, (uint16_t)shent);
    fx_put16(img + 60, nsh);
    fx_put16(img + 62, 3);
  } else {
    fx_put32(img + 28, (uint32_t)phoff);
    fx_put32(img + 32, (uint32_t)shoff);
    fx_put16(img + 40, (uint16_t)ehsz);
    fx_put16(img + 42, (uint16_t)phent);
    fx_put16(img + 44, nph);
    fx_put16(img + 46, (uint16_t)shent);
    fx_put16(img + 48, nsh);
    fx_put16(img + 50, 3);
  }
  /* PT_LOAD offset 0 vaddr 0 filesz 0x1100; PT_NOTE */
  uint8_t *p = img + phoff;
  if (w == 8) {
    fx_put32(p, 1);
    fx_put32(p + 4, 5);
    fx_put64(p + 32, 0x1100);
    fx_put64(p + 40, 0x2000);
    fx_put64(p + 48, 0x1000);
    p += phent;
    fx_put32(p, 4);
    fx_put32(p + 4, 4);
    fx_put64(p + 8, note_off);
    fx_put64(p + 16, note_off);
    fx_put64(p + 32, 36);
    fx_put64(p + 40, 36);
    fx_put64(p + 48, 4);
  } else {
    fx_put32(p, 1);
    fx_put32(p + 16, 0x1100);
    fx_put32(p + 20, 0x2000);
    fx_put32(p + 24, 5);
    fx_put32(p + 28, 0x1000);
    p += phent;
    fx_put32(p, 4);
    fx_put32(p + 4, (uint32_t)note_off);
    fx_put32(p + 8, (uint32_t)note_off);
    fx_put32(p + 16, 36);
    fx_put32(p + 20, 36);
    fx_put32(p + 24, 4);
    fx_put32(p + 28, 4);
  }
  /* build-id note: namesz 4 "GNU\0", descsz 20, type 3 */
  fx_put32(img + note_off, 4);
  fx_put32(img + note_off + 4, 20);
  fx_put32(img + note_off + 8, 3);
  memcpy(img + note_off + 12, "GNU", 4);
  memcpy(img + note_off + 16, BUILD_ID, 20);
  /* .dynstr and .dynsym (entry 0 is the null symbol) */
  size_t str = 1;
  for (size_t i = 0; i < NSYMS; i++) {
    const char *name = SYMS[i].name;
    if (py2 && strcmp(name, "PyBytes_Type") == 0)
      name = "PyString_Type";
    uint8_t *s = img + dynsym_off + (i + 1) * symsz;
    strcpy((char *)img + dynstr_off + str, name);
    fx_put32(s, (uint32_t)str);
    if (w == 8) {
      s[4] = (uint8_t)(0x10 | SYMS[i].type);
      fx_put16(s + 6, SYMS[i].shndx);
      fx_put64(s + 8, SYMS[i].value);
      fx_put64(s + 16, SYMS[i].size);
    } else {
      fx_put32(s + 4, (uint32_t)SYMS[i].value);
      fx_put32(s + 8, (uint32_t)SYMS[i].size);
      s[12] = (uint8_t)(0x10 | SYMS[i].type);
      fx_put16(s + 14, SYMS[i].shndx);
    }
    str += strlen(name) + 1;
  }
  /* Py_Version = 3.11.2 final */
  fx_put32(img + pyver_off, 0x030b02f0);
  /* .shstrtab */
  static const char shstr[] = "\0.dynsym\0.dynstr\0.shstrtab\0.note.gnu.build-id\0.data";
  memcpy(img + shstr_off, shstr, sizeof shstr);
  /* section headers: 0 null, 1 .dynsym, 2 .dynstr, 3 .shstrtab, 4 note, 5 .data */
  struct {
    uint32_t name, type, link;
    uint64_t off, size, entsize;
  } sh[6] = {
      {0, 0, 0, 0, 0, 0},
      {1, 11, 2, dynsym_off, (NSYMS + 1) * symsz, symsz},
      {9, 3, 0, dynstr_off, str, 0},
      {17, 3, 0, shstr_off, sizeof shstr, 0},
      {27, 7, 0, note_off, 36, 0},
      {46, 1, 0, 0x1000, 0x100, 0},
  };
  for (size_t i = 0; i < nsh; i++) {
    uint8_t *q = img + shoff + i * shent;
    fx_put32(q, sh[i].name);
    fx_put32(q + 4, sh[i].type);
    if (w == 8) {
      fx_put64(q + 24, sh[i].off);
      fx_put64(q + 32, sh[i].size);
      fx_put32(q + 40, sh[i].link);
      fx_put64(q + 56, sh[i].entsize);
    } else {
      fx_put32(q + 16, (uint32_t)sh[i].off);
      fx_put32(q + 20, (uint32_t)sh[i].size);
      fx_put32(q + 24, sh[i].link);
      fx_put32(q + 36, (uint32_t)sh[i].entsize);
    }
  }
  return shoff + nsh * shent;
}

static char tmpdir[] = "/tmp/carver-test-elf-XXXXXX";

/* The image as a file; returns an fd positioned anywhere (pread is used). */
static int as_file(const uint8_t *img, size_t len, const char *name)
{
  char path[128];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, img, len) != (ssize_t)len) {
    perror(path);
    exit(2);
  }
  unlink(path);
  return fd;
}

static void good_file(unsigned w)
{
  static uint8_t img[IMG];
  size_t len = build_elf(img, w, 0);
  int fd = as_file(img, len, "good"), fdu;
  struct crv_elf e;
  struct crv_elf_symtab t;
  struct crv_sym s;
  CHECK(crvi_elf_open_fd(&e, &fdu, fd) == 0);
  CHECK_EQ_U64(e.ptr_size, w);
  CHECK_EQ_U64(e.type, CRV_ET_DYN);
  CHECK_EQ_U64(e.phnum, 2);
  CHECK(crvi_elf_load_dynsym(&e, &t) == 0);
  for (size_t i = 0; i < NSYMS; i++) {
    int r = crvi_elf_lookup(&t, SYMS[i].name, &s);
    if (SYMS[i].shndx == 0) {
      CHECK(r != 0); /* imports are not definitions */
      continue;
    }
    CHECK(r == 0);
    CHECK_EQ_U64(s.value, SYMS[i].value);
    CHECK_EQ_U64(s.size, SYMS[i].size);
  }
  CHECK(crvi_elf_lookup(&t, "PyUnicode", &s) != 0); /* a prefix is not the name */
  CHECK(crvi_elf_lookup(&t, "PyUnicode_Type_", &s) != 0);
  crvi_elf_symtab_free(&t);
  uint8_t id[CRV_ELF_MAX_BUILD_ID];
  CHECK_EQ_U64(crvi_elf_build_id(&e, id, sizeof id), 20);
  CHECK_MEM(id, BUILD_ID, 20);
  uint64_t off = 0, base = 1;
  CHECK(crvi_elf_vaddr_to_offset(&e, 0x1000, &off) == 0);
  CHECK_EQ_U64(off, 0x1000);
  CHECK(crvi_elf_vaddr_to_offset(&e, 0x1800, &off) != 0); /* .bss: not in the file */
  CHECK(crvi_elf_first_load(&e, &base) == 0);
  CHECK_EQ_U64(base, 0);

  struct crv_interp_file f;
  char why[160];
  CHECK(crvi_interp_probe(fd, "/usr/lib/libpython3.11.so.1.0", &f, why, sizeof why) == 0);
  CHECK(f.exports_python && f.has_types && !f.py2);
  CHECK_EQ_U64(f.type_type, 0x1200);
  CHECK_EQ_U64(f.text_type, 0x13a0);
  CHECK_EQ_U64(f.bytes_type, 0x1540);
  CHECK_EQ_U64(f.hash_secret, 0x1800);
  CHECK_EQ_U64(f.hash_secret_size, 24);
  CHECK_STR(f.version, "3.11");
  CHECK_STR(f.version_full, "3.11.2");
  CHECK_EQ_U64(f.build_id_len, 20);
  close(fd);

  /* 2.7: PyString_Type is the bytes type. */
  len = build_elf(img, w, 1);
  fd = as_file(img, len, "py2");
  CHECK(crvi_interp_probe(fd, "/tmp/whoopsie", &f, why, sizeof why) == 0);
  CHECK(f.has_types && f.py2);
  CHECK_EQ_U64(f.bytes_type, 0x1540);
  CHECK_STR(f.version, "3.11"); /* no version in the name: from Py_Version */
  close(fd);
}

static void names(void)
{
  char v[16];
  CHECK(crvi_interp_name_version("/usr/bin/python3.11", v, sizeof v) == 0);
  CHECK_STR(v, "3.11");
  CHECK(crvi_interp_name_version("/x/libpython2.7.so.1.0", v, sizeof v) == 0);
  CHECK_STR(v, "2.7");
  CHECK(crvi_interp_name_version("/x/libpython3.13t.so.1.0", v, sizeof v) == 0);
  CHECK_STR(v, "3.13t");
  CHECK(crvi_interp_name_version("/x/python3", v, sizeof v) != 0);
  CHECK(crvi_interp_name_version("/python3.11/bin/whoopsie", v, sizeof v) != 0);
  CHECK(crvi_interp_name_is_python("/usr/bin/python3.11"));
  CHECK(crvi_interp_name_is_python("/usr/lib/libpython3.11.so"));
  CHECK(!crvi_interp_name_is_python("/usr/lib/python3.11/lib-dynload/_ctypes.so"));
  CHECK(!crvi_interp_name_is_python("/usr/lib/libc.so.6"));
}

static int count_notes(void *user, const struct crv_note *n)
{
  (void)n;
  (*(int *)user)++;
  return 0;
}

static void notes(void)
{
  uint8_t b[64];
  int n = 0;
  memset(b, 0, sizeof b);
  /* two notes: "CORE" with 8 bytes, then "GNU" with 0 bytes */
  fx_put32(b, 5);
  fx_put32(b + 4, 8);
  fx_put32(b + 8, 1);
  memcpy(b + 12, "CORE", 5);
  /* name "CORE\0" padded to 8 bytes: desc at 20, the next note at 28 */
  fx_put32(b + 28, 4);
  fx_put32(b + 32, 0);
  fx_put32(b + 36, 3);
  memcpy(b + 40, "GNU", 4);
  CHECK(crvi_elf_notes(b, 44, 4, count_notes, &n) == 0);
  CHECK_EQ_U64(n, 2);
  n = 0;
  CHECK(crvi_elf_notes(b, 43, 4, count_notes, &n) == -1); /* second cut short */
  CHECK_EQ_U64(n, 1);
  n = 0;
  fx_put32(b + 4, 0xffffffffu); /* descsz past the end: nothing delivered */
  CHECK(crvi_elf_notes(b, 44, 4, count_notes, &n) == -1);
  CHECK_EQ_U64(n, 0);
  fx_put32(b + 4, 8);
  fx_put32(b, 0xfffffff0u); /* namesz past the end */
  CHECK(crvi_elf_notes(b, 44, 8, count_notes, &n) == -1);
  CHECK(crvi_elf_notes(b, 0, 4, count_notes, &n) == 0);
  CHECK(crvi_elf_notes(b, 11, 4, count_notes, &n) == -1);
}

/* Everything a caller may do with a file: must not crash whatever the bytes. */
static void exercise(const uint8_t *img, size_t len)
{
  int fd = as_file(img, len, "hostile"), fdu;
  struct crv_elf e;
  struct crv_elf_symtab t;
  struct crv_sym s;
  struct crv_interp_file f;
  uint8_t id[CRV_ELF_MAX_BUILD_ID];
  char why[160];
  uint64_t v;
  if (crvi_elf_open_fd(&e, &fdu, fd) == 0) {
    crvi_elf_build_id(&e, id, sizeof id);
    crvi_elf_first_load(&e, &v);
    crvi_elf_vaddr_to_offset(&e, 0x1000, &v);
    if (crvi_elf_load_dynsym(&e, &t) == 0) {
      for (size_t i = 0; i < NSYMS; i++)
        crvi_elf_lookup(&t, SYMS[i].name, &s);
      crvi_elf_symtab_free(&t);
    }
    for (uint32_t i = 0; i < e.phnum && i < 64; i++) {
      struct crv_phdr ph;
      crvi_elf_phdr(&e, i, &ph);
    }
  }
  crvi_interp_probe(fd, "python3.11", &f, why, sizeof why);
  close(fd);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
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
  size_t len = build_elf(img, w, 0);
  for (size_t cut = 0; cut < len; cut += (cut < 128 ? 1 : 37))
    exercise(img, cut);
  /* Header fields set to extreme values, one at a time. */
  static const uint64_t vals[] = {0, 1, 0x7f, 0xff, 0xffff, 0xffffffffu, 0x8000000000000000ull,
                                  UINT64_MAX};
  for (size_t at = 16; at < (w == 8 ? 64u : 52u); at += 2)
    for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
      memcpy(mut, img, len);
      for (size_t b = 0; b < (w == 8 ? 8u : 4u) && at + b < len; b++)
        mut[at + b] = (uint8_t)(vals[k] >> (8 * b));
      exercise(mut, len);
    }
  /* Random corruption of section headers, symbols, notes and program headers. */
  for (int round = 0; round < 3000; round++) {
    memcpy(mut, img, len);
    int flips = 1 + (int)(rnd() % 16);
    for (int i = 0; i < flips; i++)
      mut[rnd() % len] = (uint8_t)rnd();
    exercise(mut, round % 7 ? len : rnd() % len);
  }
}

int main(void)
{
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 2;
  }
  good_file(8);
  good_file(4);
  names();
  notes();
  hostile(8);
  hostile(4);
  rmdir(tmpdir);
  return CHECK_DONE();
}
