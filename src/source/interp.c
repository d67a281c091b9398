/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "interp.h"
#include "util/span.h"

#define EM_386 3u
#define EM_X86_64 62u
#define DELETED " (deleted)"

static const char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

int crvi_interp_name_is_python(const char *path)
{
  const char *b = base_name(path);
  return strncmp(b, "python", 6) == 0 || strncmp(b, "libpython", 9) == 0;
}

int crvi_interp_name_version(const char *path, char *out, size_t cap)
{
  const char *b = base_name(path);
  const char *q = strstr(b, "python");
  if (!q || cap < 8)
    return -1;
  q += 6;
  if ((q[0] != '2' && q[0] != '3') || q[1] != '.' || q[2] < '0' || q[2] > '9')
    return -1;
  size_t n = 3;
  if (q[3] >= '0' && q[3] <= '9')
    n = 4;
  memcpy(out, q, n);
  if (q[n] == 't')
    out[n++] = 't'; /* free-threaded build */
  out[n] = '\0';
  return 0;
}

static void version_from_hex(uint32_t hex, char *ver, size_t vcap, char *full, size_t fcap)
{
  unsigned major = (hex >> 24) & 0xff, minor = (hex >> 16) & 0xff, micro = (hex >> 8) & 0xff;
  unsigned level = (hex >> 4) & 0xf, serial = hex & 0xf;
  if (major < 2 || major > 3 || minor > 99)
    return;
  if (ver && !ver[0])
    snprintf(ver, vcap, "%u.%u", major, minor);
  const char *lv = level == 0xa ? "a" : level == 0xb ? "b" : level == 0xc ? "rc" : "";
  if (*lv)
    snprintf(full, fcap, "%u.%u.%u%s%u", major, minor, micro, lv, serial);
  else
    snprintf(full, fcap, "%u.%u.%u", major, minor, micro);
}

int crvi_interp_probe(int fd, const char *name, struct crv_interp_file *out, char *why,
                      size_t why_cap)
{
  struct crv_elf e;
  struct crv_elf_symtab t;
  struct crv_sym sym;
  int fdu;
  memset(out, 0, sizeof *out);
  if (crvi_elf_open_fd(&e, &fdu, fd) != 0) {
    snprintf(why, why_cap, "%s", e.err);
    return -1;
  }
  if (e.machine != EM_386 && e.machine != EM_X86_64) {
    snprintf(why, why_cap, "ELF for machine %u, not x86 or x86-64", e.machine);
    return -1;
  }
  if (e.type != CRV_ET_EXEC && e.type != CRV_ET_DYN) {
    snprintf(why, why_cap, "ELF type %u is no executable or library", e.type);
    return -1;
  }
  out->ptr_size = e.ptr_size;
  out->elf_type = e.type;
  out->machine = e.machine;
  if (crvi_elf_first_load(&e, &out->link_base) != 0) {
    snprintf(why, why_cap, "no PT_LOAD segment");
    return -1;
  }
  out->build_id_len = crvi_elf_build_id(&e, out->build_id, sizeof out->build_id);
  if (crvi_elf_load_dynsym(&e, &t) != 0) {
    snprintf(why, why_cap, "%s", e.err);
    return 0; /* an ELF without symbols: not an interpreter we can use */
  }
  int have_tt = crvi_elf_lookup(&t, "PyType_Type", &sym) == 0;
  out->type_type = have_tt ? sym.value : 0;
  int have_text = crvi_elf_lookup(&t, "PyUnicode_Type", &sym) == 0;
  out->text_type = have_text ? sym.value : 0;
  int have_bytes = 0;
  if (crvi_elf_lookup(&t, "PyString_Type", &sym) == 0) {
    out->py2 = 1;
    have_bytes = 1;
  } else {
    have_bytes = crvi_elf_lookup(&t, "PyBytes_Type", &sym) == 0;
  }
  out->bytes_type = have_bytes ? sym.value : 0;
  out->has_types = have_tt && have_text && have_bytes;
  out->exports_python = have_text || crvi_elf_lookup(&t, "Py_GetVersion", &sym) == 0;
  if (crvi_elf_lookup(&t, "_Py_HashSecret", &sym) == 0) {
    out->hash_secret = sym.value;
    out->hash_secret_size = sym.size;
  }
  crvi_interp_name_version(name, out->version, sizeof out->version);
  uint64_t off;
  uint8_t v[4];
  if (crvi_elf_lookup(&t, "Py_Version", &sym) == 0 &&
      crvi_elf_vaddr_to_offset(&e, sym.value, &off) == 0 && e.read(e.user, off, v, 4) == 4)
    version_from_hex(span_u32le(v), out->version, sizeof out->version, out->version_full,
                     sizeof out->version_full);
  crvi_elf_symtab_free(&t);
  if (!out->exports_python)
    snprintf(why, why_cap, "exports neither PyUnicode_Type nor Py_GetVersion");
  return 0;
}

/* ---- matching a file to the memory ---- */

struct mem_src {
  struct crv_space *s;
  uint64_t base;
};

static size_t mem_read(void *user, uint64_t off, void *buf, size_t len)
{
  struct mem_src *m = user;
  return crvi_space_read(m->s, m->base + off, buf, len);
}

static int take_id(void *user, const struct crv_note *n)
{
  struct crv_interp_file *f = user; /* build_id / build_id_len reused as the output */
  if (n->type != CRV_NT_GNU_BUILD_ID || !crvi_note_named(n, "GNU") || !n->descsz ||
      n->descsz > sizeof f->build_id)
    return 0;
  memcpy(f->build_id, n->desc, n->descsz);
  f->build_id_len = n->descsz;
  return 1;
}

/* The build id of the ELF image whose first page is mapped at m0 (size bytes of file
 * offsets [0, size) are mapped contiguously there). 0 when memory does not hold it. */
static size_t mem_build_id(struct crv_space *s, uint64_t m0, uint64_t size, uint8_t *id,
                           size_t cap)
{
  struct mem_src src = {s, m0};
  struct crv_elf e;
  struct crv_interp_file tmp;
  if (crvi_elf_open(&e, mem_read, &src, size) != 0)
    return 0;
  tmp.build_id_len = 0;
  for (uint32_t i = 0; i < e.phnum && i < 64 && !tmp.build_id_len; i++) {
    struct crv_phdr p;
    if (crvi_elf_phdr(&e, i, &p) != 0)
      break;
    if (p.type != CRV_PT_NOTE || p.filesz == 0 || p.filesz > 65536 || p.offset > size ||
        p.filesz > size - p.offset)
      continue;
    uint8_t *b = malloc((size_t)p.filesz);
    if (!b)
      break;
    if (crvi_space_read(s, m0 + p.offset, b, (size_t)p.filesz) == p.filesz)
      crvi_elf_notes(b, (size_t)p.filesz, (unsigned)p.align, take_id, &tmp);
    free(b);
  }
  if (!tmp.build_id_len || tmp.build_id_len > cap)
    return 0;
  memcpy(id, tmp.build_id, tmp.build_id_len);
  return tmp.build_id_len;
}

/* 1: the three type objects point to PyType_Type; -1: memory says otherwise; 0: unreadable. */
static int types_in_memory(struct crv_space *s, unsigned w, uint64_t tt, uint64_t text,
                           uint64_t bytes)
{
  const uint64_t offs[2] = {w, w == 8 ? 24u : 16u}; /* GIL header; free-threaded header */
  int readable = 0;
  for (int k = 0; k < 2; k++) {
    uint8_t a[8], b[8], c[8];
    if (crvi_space_read(s, tt + offs[k], a, w) != w || crvi_space_read(s, text + offs[k], b, w) != w ||
        crvi_space_read(s, bytes + offs[k], c, w) != w)
      continue;
    readable = 1;
    if (span_word(a, w) == tt && span_word(b, w) == tt && span_word(c, w) == tt)
      return 1;
  }
  return readable ? -1 : 0;
}

/* The lowest mapping of path at file offset 0 (the load base of an ET_DYN), or NULL. */
static const struct crv_map *offset0_map(const struct crv_space *s, const char *path)
{
  for (size_t i = 0; i < s->n_maps; i++)
    if (s->maps[i].offset == 0 && s->maps[i].path && strcmp(s->maps[i].path, path) == 0)
      return &s->maps[i];
  return NULL;
}

int crvi_file_matches_memory(struct crv_space *s, const char *path, int fd)
{
  struct crv_elf e;
  int fdu;
  uint8_t a[CRV_ELF_MAX_BUILD_ID], b[CRV_ELF_MAX_BUILD_ID];
  const struct crv_map *m0 = offset0_map(s, path);
  if (!m0 || crvi_elf_open_fd(&e, &fdu, fd) != 0)
    return 0;
  size_t nf = crvi_elf_build_id(&e, a, sizeof a);
  size_t nm = mem_build_id(s, m0->start, m0->end - m0->start, b, sizeof b);
  if (!nf || !nm)
    return 0;
  return nf == nm && memcmp(a, b, nf) == 0 ? 1 : -1;
}

/* Opens the file behind mapping m as the source allows; *how says how it was matched. */
static int open_mapped(struct crv_space *s, const struct crv_map *m, const char **how,
                       char *shown, size_t shown_cap)
{
  char p[4200];
  struct stat st;
  int fd;
  snprintf(shown, shown_cap, "%s", m->path);
  if (s->proc) {
    snprintf(p, sizeof p, "/proc/%lld/map_files/%llx-%llx", (long long)s->pid,
             (unsigned long long)m->start, (unsigned long long)m->end);
    fd = crvi_open_regular(p);
    if (fd >= 0) {
      *how = "map_files";
      return fd;
    }
    snprintf(p, sizeof p, "/proc/%lld/root%s", (long long)s->pid, m->path);
  } else {
    snprintf(p, sizeof p, "%s", m->path);
  }
  size_t l = strlen(p), dl = strlen(DELETED);
  if (l > dl && strcmp(p + l - dl, DELETED) == 0)
    p[l - dl] = '\0'; /* a replaced file: only its build id can tell whether it is the same */
  fd = crvi_open_regular(p);
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  *how = m->inode && (uint64_t)st.st_ino == m->inode ? "inode" : "path";
  return fd;
}

/* 1: hints filled; 0: not an interpreter; -1: an interpreter that cannot be used. */
static int try_candidate(struct crv_space *s, const struct crv_map *m, char *why, size_t cap)
{
  const char *how = NULL;
  char shown[256], err[160] = "";
  struct crv_interp_file f;
  int fd = open_mapped(s, m, &how, shown, sizeof shown);
  if (fd < 0) {
    snprintf(why, cap, "%s: cannot open it here (%s)", m->path, strerror(errno));
    return 0;
  }
  int r = crvi_interp_probe(fd, m->path, &f, err, sizeof err);
  close(fd);
  if (r != 0 || !f.exports_python) {
    snprintf(why, cap, "%s: %s", m->path, err[0] ? err : "not an interpreter");
    return 0;
  }
  if (!f.has_types) {
    snprintf(why, cap, "%s: does not export PyType_Type, PyUnicode_Type and PyBytes_Type",
             m->path);
    return -1;
  }
  uint64_t base = 0;
  const struct crv_map *m0 = offset0_map(s, m->path);
  if (f.elf_type == CRV_ET_DYN) {
    if (!m0) {
      snprintf(why, cap, "%s: no mapping at file offset 0 gives its load base", m->path);
      return -1;
    }
    base = m0->start - f.link_base;
  }
  /* Is this file the one that was mapped? */
  if (strcmp(how, "map_files") != 0 && m0) {
    uint8_t id[CRV_ELF_MAX_BUILD_ID];
    size_t n = mem_build_id(s, m0->start, m0->end - m0->start, id, sizeof id);
    if (n && (n != f.build_id_len || memcmp(id, f.build_id, n) != 0)) {
      snprintf(why, cap, "%s: build id differs from the mapped file's (another build)",
               m->path);
      return -1;
    }
    if (n)
      how = "build-id";
  }
  uint64_t tt = f.type_type + base, text = f.text_type + base, bytes = f.bytes_type + base;
  int tm = types_in_memory(s, f.ptr_size, tt, text, bytes);
  if (tm < 0) {
    snprintf(why, cap, "%s: its type objects are not where its symbols say (another build?)",
             m->path);
    return -1;
  }
  if (tm == 0 && strcmp(how, "path") == 0) {
    snprintf(why, cap, "%s: cannot verify it is the mapped file (no build id or type objects "
             "in memory)", m->path);
    return -1;
  }
  if (strcmp(how, "path") == 0)
    how = "types";
  struct crv_hints *h = &s->hints;
  h->have_types = 1;
  h->type_type = tt;
  h->text_type = text;
  h->bytes_type = bytes;
  h->ptr_size = f.ptr_size;
  h->py2 = f.py2;
  h->load_base = base;
  snprintf(h->version, sizeof h->version, "%s", f.version);
  snprintf(h->version_full, sizeof h->version_full, "%s", f.version_full);
  snprintf(h->interpreter, sizeof h->interpreter, "%s", m->path);
  snprintf(h->verified, sizeof h->verified, "%s", how);
  h->have_key = 0;
  if (f.hash_secret) {
    unsigned want = f.py2 ? 2u * f.ptr_size : 24u;
    if (f.hash_secret_size && f.hash_secret_size < want)
      want = (unsigned)f.hash_secret_size;
    uint8_t key[24];
    h->hash_secret_addr = f.hash_secret + base;
    if (crvi_space_read(s, h->hash_secret_addr, key, want) == want) {
      memset(h->hash_secret, 0, sizeof h->hash_secret);
      memcpy(h->hash_secret, key, want);
      h->hash_secret_len = want;
      h->have_key = 1;
    }
  }
  snprintf(why, cap, "%s (%s, matched by %s)%s", m->path,
           f.elf_type == CRV_ET_DYN ? "shared" : "fixed address", how,
           h->have_key ? "" : "; _Py_HashSecret not readable");
  return 1;
}

int crvi_space_find_interpreter(struct crv_space *s, char *why, size_t why_cap)
{
  char last[512] = "no mapped interpreter file (python*, libpython*) is known";
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < s->n_maps; i++) {
      const struct crv_map *m = &s->maps[i];
      if (!m->path || m->path[0] != '/' || strncmp(m->path, "/dev/", 5) == 0 ||
          strncmp(m->path, "/memfd:", 7) == 0)
        continue;
      if ((pass == 0) != (crvi_interp_name_is_python(m->path) != 0))
        continue;
      size_t j = 0; /* first mapping of this file only */
      while (j < i && !(s->maps[j].path && strcmp(s->maps[j].path, m->path) == 0))
        j++;
      if (j < i)
        continue;
      char w[512];
      int r = try_candidate(s, m, w, sizeof w);
      if (r > 0) {
        snprintf(why, why_cap, "%s", w);
        return 1;
      }
      if (pass == 0 || r < 0) /* other files matter only when they are interpreters */
        snprintf(last, sizeof last, "%s", w);
    }
  }
  snprintf(why, why_cap, "%s", last);
  return 0;
}
