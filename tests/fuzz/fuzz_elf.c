/* SPDX-License-Identifier: MIT */
/* The bounded ELF reader (src/source/elf.c) over an arbitrary file: header, program and
 * section headers, .dynsym/.dynstr, symbol lookup, build id, address translation, and the
 * note walker over the raw bytes. Properties: the reader never asks for a byte past the
 * size it was given; tables it accepts lie inside the file and within the caps; loaded
 * symbol tables and notes lie inside their buffers. */
#include <string.h>
#include "fuzz.h"
#include "source/elf.h"

struct src {
  const uint8_t *p;
  size_t n;
};

static size_t rd(void *user, uint64_t off, void *buf, size_t len)
{
  const struct src *s = user;
  FUZZ_ASSERT(off <= s->n && len <= s->n - off); /* every read is bounded first */
  memcpy(buf, s->p + off, len);
  return len;
}

struct note_ctx {
  const uint8_t *buf;
  size_t len;
  unsigned seen;
};

static int on_note(void *user, const struct crv_note *n)
{
  struct note_ctx *c = user;
  FUZZ_ASSERT(n->name >= c->buf && n->namesz <= (size_t)(c->buf + c->len - n->name));
  FUZZ_ASSERT(n->desc >= c->buf && n->descsz <= (size_t)(c->buf + c->len - n->desc));
  FUZZ_ASSERT(n->desc >= n->name + n->namesz);
  c->seen++;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct src src = {data, size};
  struct crv_elf e;
  for (unsigned align = 4; align <= 8; align += 4) {
    struct note_ctx nc = {data, size, 0};
    crvi_elf_notes(data, size, align, on_note, &nc);
    FUZZ_ASSERT(nc.seen <= size / 12);
  }
  if (crvi_elf_open(&e, rd, &src, size) != 0) {
    FUZZ_ASSERT(memchr(e.err, '\0', sizeof e.err) != NULL && e.err[0] != '\0');
    return 0;
  }
  FUZZ_ASSERT(e.ptr_size == 4 || e.ptr_size == 8);
  FUZZ_ASSERT(e.phnum <= CRV_ELF_MAX_PHNUM && e.shnum <= CRV_ELF_MAX_SHNUM);
  if (e.phnum)
    FUZZ_ASSERT(e.phoff <= size && (uint64_t)e.phnum * e.phentsize <= size - e.phoff);
  for (uint32_t i = 0; i < e.phnum && i < 4096; i++) {
    struct crv_phdr p;
    FUZZ_ASSERT(crvi_elf_phdr(&e, i, &p) == 0);
  }
  for (uint32_t i = 0; i < e.shnum && i < 4096; i++) {
    struct crv_shdr sh;
    FUZZ_ASSERT(crvi_elf_shdr(&e, i, &sh) == 0);
  }
  struct crv_shdr sh;
  if (crvi_elf_section(&e, ".dynsym", &sh) == 0)
    FUZZ_ASSERT(sh.name < size);
  struct crv_elf_symtab t;
  if (crvi_elf_load_dynsym(&e, &t) == 0) {
    FUZZ_ASSERT(t.syms && t.strs && t.syms_len <= size && t.strs_len <= size);
    FUZZ_ASSERT(t.syms_len + t.strs_len <= CRV_ELF_MAX_DYNSYM);
    static const char *const names[] = {"PyType_Type", "PyUnicode_Type", "PyBytes_Type",
                                        "_Py_HashSecret", "Py_Version", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      struct crv_sym sym;
      if (crvi_elf_lookup(&t, names[i], &sym) == 0)
        FUZZ_ASSERT(sym.shndx != 0 && sym.value != 0);
    }
    crvi_elf_symtab_free(&t);
  }
  uint8_t id[CRV_ELF_MAX_BUILD_ID];
  FUZZ_ASSERT(crvi_elf_build_id(&e, id, sizeof id) <= sizeof id);
  uint64_t base, off;
  if (crvi_elf_first_load(&e, &base) == 0) {
    FUZZ_ASSERT((base & 0xfff) == 0);
    /* a translated address lies in the file part of some PT_LOAD */
    if (crvi_elf_vaddr_to_offset(&e, base + 0x1000, &off) == 0) {
      int found = 0;
      for (uint32_t i = 0; i < e.phnum && !found; i++) {
        struct crv_phdr p;
        FUZZ_ASSERT(crvi_elf_phdr(&e, i, &p) == 0);
        found = p.type == CRV_PT_LOAD && base + 0x1000 >= p.vaddr &&
                base + 0x1000 - p.vaddr < p.filesz && off == p.offset + (base + 0x1000 - p.vaddr);
      }
      FUZZ_ASSERT(found);
    }
  }
  return 0;
}
