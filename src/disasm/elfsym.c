/* SPDX-License-Identifier: MIT */
/* Dynamic symbols of mapped ELF objects (see elfsym.h). */
#define _GNU_SOURCE /* O_CLOEXEC */
#include "disasm/elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/interp.h"
#include "util/limits.h"
#include "util/span.h"

#define PAGE 4096u
#define DT_NULL 0
#define DT_HASH 4
#define DT_STRTAB 5
#define DT_SYMTAB 6
#define DT_STRSZ 10
#define DT_GNU_HASH 0x6ffffef5
#define MAX_DYN 4096u          /* dynamic entries read (real objects have about 40) */
#define MAX_BUCKETS (1u << 24) /* hash buckets accepted */

static const struct crv_map *offset0_map(const struct crv_space *s, const char *path)
{
  for (size_t i = 0; i < s->n_maps; i++)
    if (s->maps[i].offset == 0 && s->maps[i].path && strcmp(s->maps[i].path, path) == 0)
      return &s->maps[i];
  return NULL;
}

struct mem_src {
  struct crv_space *s;
  uint64_t base;
};

static size_t mem_read(void *user, uint64_t off, void *buf, size_t len)
{
  struct mem_src *m = user;
  if (off > UINT64_MAX - m->base)
    return 0;
  return crvi_space_read(m->s, m->base + off, buf, len);
}

static int rd(struct crv_space *s, uint64_t addr, void *buf, size_t len)
{
  return crvi_space_read(s, addr, buf, len) == len ? 0 : -1;
}

static uint64_t rd_word(const uint8_t *p, unsigned ptr)
{
  return ptr == 8 ? span_u64le(p) : span_u32le(p);
}

unsigned crvi_elfimg_class(struct crv_space *s, const char *path)
{
  const struct crv_map *m = offset0_map(s, path);
  uint8_t h[5];
  if (!m || rd(s, m->start, h, sizeof h) != 0 || memcmp(h, "\177ELF", 4) != 0)
    return 0;
  return h[4] == 1 ? 4 : h[4] == 2 ? 8 : 0;
}

static void add_load(struct crvi_elfimg *img, const struct crv_phdr *p)
{
  if (img->n_load < sizeof img->load / sizeof img->load[0]) {
    struct crvi_elfload *l = &img->load[img->n_load++];
    l->offset = p->offset;
    l->filesz = p->filesz;
    l->vaddr = p->vaddr;
    l->flags = p->flags;
  }
}

int crvi_elfimg_offset_is_code(const struct crvi_elfimg *img, uint64_t offset)
{
  for (unsigned i = 0; i < img->n_load; i++) {
    const struct crvi_elfload *l = &img->load[i];
    /* segments start mid-page; a mapping starts at the page holding the segment start */
    uint64_t a = l->offset & ~(uint64_t)(PAGE - 1);
    if (offset >= a && offset - a < l->filesz + (l->offset - a))
      return (l->flags & CRV_PF_X) != 0;
  }
  return img->n_load ? 0 : -1;
}

/* The image in memory: headers, bias and the dynamic section's tables. */
static int open_memory(struct crv_space *s, const struct crv_map *m0, struct crvi_elfimg *img)
{
  struct mem_src src = {s, m0->start};
  struct crv_elf e;
  if (crvi_elf_open(&e, mem_read, &src, m0->end - m0->start) != 0)
    return -1;
  img->ptr_size = e.ptr_size;
  img->machine = e.machine;
  uint64_t first = UINT64_MAX;
  struct crv_phdr dyn = {0};
  int have_dyn = 0;
  for (uint32_t i = 0; i < e.phnum && i < 256; i++) {
    struct crv_phdr p;
    if (crvi_elf_phdr(&e, i, &p) != 0)
      break;
    if (p.type == CRV_PT_LOAD)
      add_load(img, &p);
    if (p.type == CRV_PT_LOAD && p.vaddr < first)
      first = p.vaddr;
    if (p.type == CRV_PT_DYNAMIC) {
      dyn = p;
      have_dyn = 1;
    }
  }
  if (first == UINT64_MAX || !have_dyn)
    return -1;
  img->bias = m0->start - (first & ~(uint64_t)(PAGE - 1));
  unsigned w = e.ptr_size, ent = 2 * w;
  uint64_t n = dyn.memsz / ent;
  if (n > MAX_DYN)
    n = MAX_DYN;
  uint8_t d[16];
  for (uint64_t i = 0; i < n; i++) {
    if (rd(s, img->bias + dyn.vaddr + i * ent, d, ent) != 0)
      return -1;
    int64_t tag = w == 8 ? (int64_t)span_u64le(d) : (int32_t)span_u32le(d);
    uint64_t val = rd_word(d + w, w);
    if (tag == DT_NULL)
      break;
    /* ld.so rewrites most pointers of the dynamic section to run-time addresses; where it
     * did not (read-only .dynamic), they are still offsets from the bias */
    uint64_t addr = val >= img->bias ? val : img->bias + val;
    switch (tag) {
    case DT_HASH: img->sysv_hash = addr; break;
    case DT_GNU_HASH: img->gnu_hash = addr; break;
    case DT_SYMTAB: img->symtab = addr; break;
    case DT_STRTAB: img->strtab = addr; break;
    case DT_STRSZ: img->strsz = val; break;
    default: break;
    }
  }
  if (!img->symtab || !img->strtab || (!img->gnu_hash && !img->sysv_hash))
    return -1;
  img->from_memory = 1;
  snprintf(img->how, sizeof img->how, "memory");
  return 0;
}

int crvi_elfimg_open_file(struct crv_space *s, const struct crv_map *m, char *how,
                          size_t how_cap)
{
  char p[4200];
  struct stat st;
  int fd;
  if (!m->path || m->path[0] != '/')
    return -1;
  if (s->proc) {
    snprintf(p, sizeof p, "/proc/%lld/map_files/%llx-%llx", (long long)s->pid,
             (unsigned long long)m->start, (unsigned long long)m->end);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      snprintf(how, how_cap, "map_files");
      return fd;
    }
    snprintf(p, sizeof p, "/proc/%lld/root%s", (long long)s->pid, m->path);
  } else {
    snprintf(p, sizeof p, "%s", m->path);
  }
  fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return -1;
  }
  if (m->inode && (uint64_t)st.st_ino == m->inode) {
    snprintf(how, how_cap, "file (inode)");
    return fd;
  }
  int same = crvi_file_matches_memory(s, m->path, fd);
  if (same < 0) { /* another build of that file: its code and symbols would lie */
    close(fd);
    return -1;
  }
  snprintf(how, how_cap, same > 0 ? "file (build id)" : "file");
  return fd;
}

static int open_file(struct crv_space *s, const struct crv_map *m0, struct crvi_elfimg *img)
{
  img->fd = crvi_elfimg_open_file(s, m0, img->how, sizeof img->how);
  if (img->fd < 0)
    return -1;
  if (crvi_elf_open_fd(&img->elf, &img->fd_user, img->fd) != 0)
    return -1;
  uint64_t first = UINT64_MAX;
  for (uint32_t i = 0; i < img->elf.phnum && i < 256; i++) {
    struct crv_phdr p;
    if (crvi_elf_phdr(&img->elf, i, &p) != 0)
      break;
    if (p.type == CRV_PT_LOAD)
      add_load(img, &p);
    if (p.type == CRV_PT_LOAD && p.vaddr < first)
      first = p.vaddr;
  }
  if (first == UINT64_MAX)
    return -1;
  img->bias = m0->start - (first & ~(uint64_t)(PAGE - 1));
  img->ptr_size = img->elf.ptr_size;
  img->machine = img->elf.machine;
  if (crvi_elf_load_dynsym(&img->elf, &img->syms) != 0)
    return -1;
  img->have_file_syms = 1;
  return 0;
}

int crvi_elfimg_open(struct crv_space *s, const char *path, struct crvi_elfimg *img,
                     int allow_file)
{
  memset(img, 0, sizeof *img);
  img->fd = -1;
  const struct crv_map *m0 = path ? offset0_map(s, path) : NULL;
  if (!m0)
    return -1;
  img->path = m0->path;
  img->base = m0->start;
  if (open_memory(s, m0, img) == 0)
    return 0;
  img->from_memory = 0;
  img->symtab = img->strtab = img->gnu_hash = img->sysv_hash = img->strsz = 0;
  img->n_load = 0;
  if (allow_file && open_file(s, m0, img) == 0)
    return 0;
  crvi_elfimg_close(img);
  return -1;
}

void crvi_elfimg_close(struct crvi_elfimg *img)
{
  if (img->have_file_syms)
    crvi_elf_symtab_free(&img->syms);
  img->have_file_syms = 0;
  if (img->fd >= 0)
    close(img->fd);
  img->fd = -1;
}

/* Symbol idx of the memory table: 1 when it is a definition named name. */
static int mem_sym(struct crv_space *s, struct crvi_elfimg *img, uint64_t idx, const char *name,
                   uint64_t *value, uint64_t *size)
{
  unsigned w = img->ptr_size;
  size_t ent = w == 8 ? 24 : 16;
  uint8_t e[24];
  if (idx > CRV_SIG_MAX_DYNSYMS || rd(s, img->symtab + idx * ent, e, ent) != 0)
    return 0;
  uint32_t st_name = span_u32le(e);
  uint64_t v, sz;
  uint16_t shndx;
  if (w == 8) {
    shndx = span_u16le(e + 6);
    v = span_u64le(e + 8);
    sz = span_u64le(e + 16);
  } else {
    v = span_u32le(e + 4);
    sz = span_u32le(e + 8);
    shndx = span_u16le(e + 14);
  }
  size_t nl = strlen(name) + 1;
  if (nl > 512 || (img->strsz && (st_name >= img->strsz || nl > img->strsz - st_name)))
    return 0;
  char buf[512];
  if (rd(s, img->strtab + st_name, buf, nl) != 0 || memcmp(buf, name, nl) != 0)
    return 0;
  if (shndx == 0 || v == 0)
    return 0; /* an import */
  *value = v;
  *size = sz;
  return 1;
}

static uint32_t gnu_hash(const char *n)
{
  uint32_t h = 5381;
  for (const unsigned char *p = (const unsigned char *)n; *p; p++)
    h = h * 33 + *p;
  return h;
}

static uint32_t sysv_hash(const char *n)
{
  uint32_t h = 0, g;
  for (const unsigned char *p = (const unsigned char *)n; *p; p++) {
    h = (h << 4) + *p;
    g = h & 0xf0000000u;
    if (g)
      h ^= g >> 24;
    h &= ~g;
  }
  return h;
}

static int mem_lookup(struct crv_space *s, struct crvi_elfimg *img, const char *name,
                      uint64_t *value, uint64_t *size)
{
  uint8_t b[16];
  if (img->gnu_hash) {
    if (rd(s, img->gnu_hash, b, 16) != 0)
      return -1;
    uint32_t nb = span_u32le(b), symoff = span_u32le(b + 4), bloom = span_u32le(b + 8);
    if (nb == 0 || nb > MAX_BUCKETS || bloom > MAX_BUCKETS)
      return -1;
    uint32_t h = gnu_hash(name);
    uint64_t buckets = img->gnu_hash + 16 + (uint64_t)bloom * img->ptr_size;
    uint64_t chains = buckets + (uint64_t)nb * 4;
    if (rd(s, buckets + (uint64_t)(h % nb) * 4, b, 4) != 0)
      return -1;
    uint32_t i = span_u32le(b);
    if (i < symoff)
      return -1;
    for (unsigned steps = 0; steps < CRV_SIG_MAX_DYNSYMS; steps++, i++) {
      if (rd(s, chains + (uint64_t)(i - symoff) * 4, b, 4) != 0)
        return -1;
      uint32_t ch = span_u32le(b);
      if ((ch | 1) == (h | 1) && mem_sym(s, img, i, name, value, size))
        return 0;
      if (ch & 1)
        break;
    }
    return -1;
  }
  if (rd(s, img->sysv_hash, b, 8) != 0)
    return -1;
  uint32_t nb = span_u32le(b), nchain = span_u32le(b + 4);
  if (nb == 0 || nb > MAX_BUCKETS || nchain > CRV_SIG_MAX_DYNSYMS)
    return -1;
  uint32_t h = sysv_hash(name);
  if (rd(s, img->sysv_hash + 8 + (uint64_t)(h % nb) * 4, b, 4) != 0)
    return -1;
  uint32_t i = span_u32le(b);
  for (unsigned steps = 0; i != 0 && i < nchain && steps < nchain; steps++) {
    if (mem_sym(s, img, i, name, value, size))
      return 0;
    if (rd(s, img->sysv_hash + 8 + (uint64_t)nb * 4 + (uint64_t)i * 4, b, 4) != 0)
      return -1;
    i = span_u32le(b);
  }
  return -1;
}

int crvi_elfimg_lookup(struct crv_space *s, struct crvi_elfimg *img, const char *name,
                       uint64_t *addr, uint64_t *size)
{
  uint64_t v = 0, sz = 0;
  if (img->from_memory) {
    if (mem_lookup(s, img, name, &v, &sz) != 0)
      return -1;
  } else if (img->have_file_syms) {
    struct crv_sym sym;
    if (crvi_elf_lookup(&img->syms, name, &sym) != 0)
      return -1;
    v = sym.value;
    sz = sym.size;
  } else {
    return -1;
  }
  *addr = img->bias + v;
  *size = sz;
  return 0;
}
