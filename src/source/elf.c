/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* pread, O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf.h"
#include "util/span.h"

#define SHN_UNDEF 0u
#define SHN_XINDEX 0xffffu
#define PN_XNUM 0xffffu
#define SHT_NOTE 7u
#define SHT_DYNSYM 11u

static int fail(struct crv_elf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct crv_elf *e, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->err, sizeof e->err, fmt, ap);
  va_end(ap);
  return -1;
}

int crvi_open_regular(const char *path)
{
  struct stat st;
  if (stat(path, &st) != 0)
    return -1;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

/* Exactly len bytes at off, inside e->size; 0 on success. */
static int read_exact(struct crv_elf *e, uint64_t off, void *buf, size_t len)
{
  if (off > e->size || len > e->size - off)
    return -1;
  return e->read(e->user, off, buf, len) == len ? 0 : -1;
}

/* The fields of an ELF structure read in declaration order. Elf32_Ehdr and Elf64_Ehdr (and
 * the Shdr and Phdr pairs) declare the same fields; addresses, offsets and the Xword sizes
 * are words of the file's class (4 or 8 bytes), the rest the same width in both. The
 * caller has read the whole structure into p. */
struct fields {
  const uint8_t *p;
  unsigned word; /* 4 or 8 */
};

static uint16_t f_u16(struct fields *f)
{
  uint16_t v = span_u16le(f->p);
  f->p += 2;
  return v;
}

static uint32_t f_u32(struct fields *f)
{
  uint32_t v = span_u32le(f->p);
  f->p += 4;
  return v;
}

static uint64_t f_word(struct fields *f)
{
  uint64_t v = span_word(f->p, f->word);
  f->p += f->word;
  return v;
}

static size_t fd_read(void *user, uint64_t off, void *buf, size_t len)
{
  int fd = *(int *)user;
  size_t done = 0;
  while (done < len) {
    ssize_t got = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    done += (size_t)got;
  }
  return done;
}

int crvi_elf_open_fd(struct crv_elf *e, int *fd_user, int fd)
{
  struct stat st;
  *fd_user = fd;
  if (fstat(fd, &st) != 0) {
    memset(e, 0, sizeof *e);
    return fail(e, "%s", strerror(errno));
  }
  return crvi_elf_open(e, fd_read, fd_user, (uint64_t)st.st_size);
}

int crvi_elf_open(struct crv_elf *e, crv_elf_read_fn read, void *user, uint64_t size)
{
  uint8_t h[64];
  memset(e, 0, sizeof *e);
  e->read = read;
  e->user = user;
  e->size = size;
  if (size < 16 || read(user, 0, h, 16) != 16)
    return fail(e, "too short for an ELF header");
  if (memcmp(h, "\177ELF", 4) != 0)
    return fail(e, "not an ELF file");
  if (h[4] != 1 && h[4] != 2)
    return fail(e, "unknown ELF class %u", h[4]);
  if (h[5] != 1)
    return fail(e, "big-endian ELF (only little-endian x86 and x86-64 are supported)");
  e->ptr_size = h[4] == 1 ? 4 : 8;
  size_t hlen = e->ptr_size == 4 ? 52 : 64;
  if (read_exact(e, 0, h, hlen) != 0)
    return fail(e, "truncated ELF header");
  struct fields f = {h + 16, e->ptr_size}; /* after e_ident */
  e->type = f_u16(&f);
  e->machine = f_u16(&f);
  f_u32(&f);  /* e_version */
  f_word(&f); /* e_entry */
  e->phoff = f_word(&f);
  e->shoff = f_word(&f);
  f_u32(&f);  /* e_flags */
  f_u16(&f);  /* e_ehsize */
  e->phentsize = f_u16(&f);
  e->phnum = f_u16(&f);
  e->shentsize = f_u16(&f);
  e->shnum = f_u16(&f);
  e->shstrndx = f_u16(&f);
  unsigned want_ph = e->ptr_size == 8 ? 56 : 32, want_sh = e->ptr_size == 8 ? 64 : 40;
  /* Section headers are optional (cores, stripped files): drop them when malformed. */
  if (e->shoff == 0 || e->shentsize != want_sh)
    e->shnum = 0, e->shoff = 0;
  if (e->shoff) {
    struct crv_shdr s0;
    uint32_t n = e->shnum;
    e->shnum = 1; /* read entry 0 for the extended counts */
    if (crvi_elf_shdr(e, 0, &s0) != 0) {
      e->shnum = 0;
      e->shoff = 0;
    } else {
      e->shnum = n ? n : (s0.size > CRV_ELF_MAX_SHNUM ? 0 : (uint32_t)s0.size);
      if (e->shstrndx == SHN_XINDEX)
        e->shstrndx = s0.link;
      if (e->phnum == PN_XNUM)
        e->phnum = s0.info;
    }
  }
  if (e->shnum > CRV_ELF_MAX_SHNUM)
    e->shnum = 0;
  if (e->shnum && (e->shoff > e->size ||
                   (uint64_t)e->shnum * want_sh > e->size - e->shoff))
    e->shnum = 0; /* table past the end of the file */
  if (e->phnum) {
    if (e->phentsize != want_ph)
      return fail(e, "program header entry size %u (expected %u)", e->phentsize, want_ph);
    if (e->phnum > CRV_ELF_MAX_PHNUM)
      return fail(e, "%u program headers (limit %u)", (unsigned)e->phnum, CRV_ELF_MAX_PHNUM);
    if (e->phoff > e->size || (uint64_t)e->phnum * want_ph > e->size - e->phoff)
      return fail(e, "program headers past the end of the file (%llu bytes): truncated",
                  (unsigned long long)e->size);
  }
  return 0;
}

int crvi_elf_phdr(struct crv_elf *e, uint32_t i, struct crv_phdr *out)
{
  uint8_t p[56];
  if (i >= e->phnum)
    return -1;
  if (read_exact(e, e->phoff + (uint64_t)i * e->phentsize, p, e->phentsize) != 0)
    return -1;
  struct fields f = {p, e->ptr_size};
  out->type = f_u32(&f);
  if (e->ptr_size == 8) /* p_flags: second in Elf64_Phdr, seventh in Elf32_Phdr */
    out->flags = f_u32(&f);
  out->offset = f_word(&f);
  out->vaddr = f_word(&f);
  f_word(&f); /* p_paddr */
  out->filesz = f_word(&f);
  out->memsz = f_word(&f);
  if (e->ptr_size == 4)
    out->flags = f_u32(&f);
  out->align = f_word(&f);
  return 0;
}

int crvi_elf_shdr(struct crv_elf *e, uint32_t i, struct crv_shdr *out)
{
  uint8_t p[64];
  if (i >= e->shnum || !e->shoff)
    return -1;
  if (read_exact(e, e->shoff + (uint64_t)i * e->shentsize, p, e->shentsize) != 0)
    return -1;
  struct fields f = {p, e->ptr_size};
  out->name = f_u32(&f);
  out->type = f_u32(&f);
  out->flags = f_word(&f);
  out->addr = f_word(&f);
  out->offset = f_word(&f);
  out->size = f_word(&f);
  out->link = f_u32(&f);
  out->info = f_u32(&f);
  f_word(&f); /* sh_addralign */
  out->entsize = f_word(&f);
  return 0;
}

int crvi_elf_section(struct crv_elf *e, const char *name, struct crv_shdr *out)
{
  struct crv_shdr strtab;
  size_t nlen = strlen(name) + 1;
  char buf[64];
  if (nlen > sizeof buf || crvi_elf_shdr(e, e->shstrndx, &strtab) != 0)
    return -1;
  for (uint32_t i = 0; i < e->shnum; i++) {
    struct crv_shdr s;
    if (crvi_elf_shdr(e, i, &s) != 0)
      return -1;
    if (s.name >= strtab.size || nlen > strtab.size - s.name)
      continue;
    if (strtab.offset > UINT64_MAX - s.name)
      continue;
    if (read_exact(e, strtab.offset + s.name, buf, nlen) != 0)
      continue;
    if (memcmp(buf, name, nlen) == 0) {
      *out = s;
      return 0;
    }
  }
  return -1;
}

/* Reads a whole section into a new buffer (cap bytes at most). */
static uint8_t *load_section(struct crv_elf *e, const struct crv_shdr *s, size_t cap)
{
  if (s->size == 0 || s->size > cap || s->offset > e->size || s->size > e->size - s->offset)
    return NULL;
  uint8_t *b = malloc((size_t)s->size);
  if (b && read_exact(e, s->offset, b, (size_t)s->size) != 0) {
    free(b);
    b = NULL;
  }
  return b;
}

int crvi_elf_load_dynsym(struct crv_elf *e, struct crv_elf_symtab *t)
{
  struct crv_shdr sym, str;
  memset(t, 0, sizeof *t);
  if (!e->shnum)
    return fail(e, "no section headers");
  if (crvi_elf_section(e, ".dynsym", &sym) != 0 || sym.type != SHT_DYNSYM)
    return fail(e, "no .dynsym section");
  if (crvi_elf_shdr(e, sym.link, &str) != 0)
    return fail(e, ".dynsym names no string table");
  size_t entsize = e->ptr_size == 8 ? 24 : 16;
  if (sym.size > CRV_ELF_MAX_DYNSYM || str.size > CRV_ELF_MAX_DYNSYM - sym.size)
    return fail(e, ".dynsym larger than %u bytes", CRV_ELF_MAX_DYNSYM);
  t->syms = load_section(e, &sym, CRV_ELF_MAX_DYNSYM);
  t->strs = load_section(e, &str, CRV_ELF_MAX_DYNSYM);
  if (!t->syms || !t->strs) {
    crvi_elf_symtab_free(t);
    return fail(e, ".dynsym or .dynstr out of bounds");
  }
  t->syms_len = (size_t)sym.size;
  t->strs_len = (size_t)str.size;
  t->entsize = entsize;
  t->ptr_size = e->ptr_size;
  return 0;
}

void crvi_elf_symtab_free(struct crv_elf_symtab *t)
{
  free(t->syms);
  free(t->strs);
  memset(t, 0, sizeof *t);
}

int crvi_elf_lookup(const struct crv_elf_symtab *t, const char *name, struct crv_sym *out)
{
  size_t nlen = strlen(name) + 1;
  if (!t->syms || !t->entsize)
    return -1;
  for (size_t o = 0; span_has(t->syms_len, o, t->entsize); o += t->entsize) {
    const uint8_t *p = t->syms + o;
    uint32_t st_name = span_u32le(p);
    if (!span_has(t->strs_len, st_name, nlen) || memcmp(t->strs + st_name, name, nlen) != 0)
      continue;
    struct crv_sym s;
    if (t->ptr_size == 8) {
      s.type = p[4] & 0xf;
      s.shndx = span_u16le(p + 6);
      s.value = span_u64le(p + 8);
      s.size = span_u64le(p + 16);
    } else {
      s.value = span_u32le(p + 4);
      s.size = span_u32le(p + 8);
      s.type = p[12] & 0xf;
      s.shndx = span_u16le(p + 14);
    }
    if (s.shndx == SHN_UNDEF || s.value == 0)
      continue; /* an import: the definition is in another object */
    *out = s;
    return 0;
  }
  return -1;
}

int crvi_note_named(const struct crv_note *n, const char *s)
{
  size_t l = strlen(s) + 1;
  return n->namesz == l && memcmp(n->name, s, l) == 0;
}

int crvi_elf_notes(const uint8_t *buf, size_t len, unsigned align,
                   int (*fn)(void *user, const struct crv_note *n), void *user)
{
  uint64_t o = 0;
  const uint64_t a = align == 8 ? 8 : 4;
  while (o < len) {
    if (!span_has(len, (size_t)o, 12))
      return -1;
    struct crv_note n;
    uint64_t namesz = span_u32le(buf + o), descsz = span_u32le(buf + o + 4);
    n.type = span_u32le(buf + o + 8);
    uint64_t name_off = o + 12;
    uint64_t desc_off = name_off + ((namesz + a - 1) & ~(a - 1)); /* < 2^34: no wrap */
    uint64_t next = desc_off + ((descsz + a - 1) & ~(a - 1));
    if (namesz > len - name_off || desc_off > len || descsz > len - desc_off)
      return -1;
    n.name = buf + name_off;
    n.namesz = (size_t)namesz;
    n.desc = buf + desc_off;
    n.descsz = (size_t)descsz;
    if (fn(user, &n))
      return 0;
    o = next; /* > o: at least the 12-byte header */
  }
  return 0;
}

struct build_id_ctx {
  uint8_t *id;
  size_t cap, len;
};

static int take_build_id(void *user, const struct crv_note *n)
{
  struct build_id_ctx *c = user;
  if (n->type != CRV_NT_GNU_BUILD_ID || !crvi_note_named(n, "GNU") || n->descsz == 0 ||
      n->descsz > c->cap)
    return 0;
  memcpy(c->id, n->desc, n->descsz);
  c->len = n->descsz;
  return 1;
}

/* Notes of [off, off+size) of the file. */
static size_t build_id_at(struct crv_elf *e, uint64_t off, uint64_t size, unsigned align,
                          uint8_t *id, size_t cap)
{
  struct build_id_ctx c = {id, cap, 0};
  if (size == 0 || size > (1u << 20) || off > e->size || size > e->size - off)
    return 0;
  uint8_t *b = malloc((size_t)size);
  if (!b)
    return 0;
  if (read_exact(e, off, b, (size_t)size) == 0)
    crvi_elf_notes(b, (size_t)size, align, take_build_id, &c);
  free(b);
  return c.len;
}

size_t crvi_elf_build_id(struct crv_elf *e, uint8_t *id, size_t cap)
{
  size_t n = 0;
  for (uint32_t i = 0; i < e->phnum && i < 256 && !n; i++) {
    struct crv_phdr p;
    if (crvi_elf_phdr(e, i, &p) != 0)
      break;
    if (p.type == CRV_PT_NOTE)
      n = build_id_at(e, p.offset, p.filesz, (unsigned)p.align, id, cap);
  }
  for (uint32_t i = 0; i < e->shnum && !n; i++) {
    struct crv_shdr s;
    if (crvi_elf_shdr(e, i, &s) != 0)
      break;
    if (s.type == SHT_NOTE)
      n = build_id_at(e, s.offset, s.size, 4, id, cap);
  }
  return n;
}

int crvi_elf_first_load(struct crv_elf *e, uint64_t *vaddr)
{
  for (uint32_t i = 0; i < e->phnum; i++) {
    struct crv_phdr p;
    if (crvi_elf_phdr(e, i, &p) != 0)
      return -1;
    if (p.type == CRV_PT_LOAD) {
      *vaddr = p.vaddr & ~(uint64_t)0xfff;
      return 0;
    }
  }
  return -1;
}

int crvi_elf_vaddr_to_offset(struct crv_elf *e, uint64_t vaddr, uint64_t *off)
{
  for (uint32_t i = 0; i < e->phnum; i++) {
    struct crv_phdr p;
    if (crvi_elf_phdr(e, i, &p) != 0)
      return -1;
    if (p.type == CRV_PT_LOAD && vaddr >= p.vaddr && vaddr - p.vaddr < p.filesz &&
        p.offset <= UINT64_MAX - (vaddr - p.vaddr)) {
      *off = p.offset + (vaddr - p.vaddr);
      return 0;
    }
  }
  return -1;
}
