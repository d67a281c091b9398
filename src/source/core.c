/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* O_CLOEXEC, strndup */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core.h"
#include "elf.h"
#include "interp.h"
#include "util/span.h"

#define EM_386 3u
#define EM_X86_64 62u
/* NT_FILE entries kept (each is a mapping; CRV_MAX_REGIONS bounds those anyway). */
#define CORE_MAX_FILES (1u << 18)
/* Bytes of PT_NOTE segments read in all (a real core's notes are well under 1 MiB per
 * thread; NT_FILE of a huge process a few MiB). */
#define CORE_MAX_NOTES_TOTAL (64u << 20)

enum crv_sniff crvi_core_sniff(const char *path, char *msg, size_t cap)
{
  static const struct {
    const uint8_t magic[6];
    size_t len;
    const char *kind, *cmd, *tail; /* the command: cmd 'PATH' tail */
  } packed[] = {
      {{0x28, 0xb5, 0x2f, 0xfd}, 4, "zstd", "zstd -d", " -o core"},
      {{0x04, 0x22, 0x4d, 0x18}, 4, "lz4", "lz4 -d", " core"},
      {{0x02, 0x21, 0x4c, 0x18}, 4, "lz4 (legacy)", "lz4 -d", " core"},
      {{0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}, 6, "xz", "xz -dkc", " > core"},
      {{0x1f, 0x8b}, 2, "gzip", "gzip -dc", " > core"},
      {{'B', 'Z', 'h'}, 3, "bzip2", "bzip2 -dkc", " > core"},
  };
  uint8_t h[20];
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return CRV_SNIFF_OTHER; /* a directory, FIFO or device: the caller says what it is */
  int fd = crvi_open_regular(path);
  if (fd < 0) {
    snprintf(msg, cap, "%s: %s", path, strerror(errno));
    return CRV_SNIFF_UNREADABLE;
  }
  ssize_t n = pread(fd, h, sizeof h, 0);
  int err = errno;
  close(fd);
  if (n < 0) {
    snprintf(msg, cap, "%s: %s", path, strerror(err));
    return CRV_SNIFF_UNREADABLE;
  }
  for (size_t i = 0; i < sizeof packed / sizeof packed[0]; i++) {
    if ((size_t)n >= packed[i].len && memcmp(h, packed[i].magic, packed[i].len) == 0) {
      snprintf(msg, cap,
               "%s: a %s-compressed file (systemd-coredump stores cores so); decompress it "
               "first: %s '%s'%s (or: coredumpctl dump PID -o core)",
               path, packed[i].kind, packed[i].cmd, path, packed[i].tail);
      return CRV_SNIFF_COMPRESSED;
    }
  }
  if (n < 18 || memcmp(h, "\177ELF", 4) != 0)
    return CRV_SNIFF_OTHER;
  unsigned type = span_u16le(h + 16);
  if (h[5] == 1 && type == 4)
    return CRV_SNIFF_CORE;
  snprintf(msg, cap, "%s: an ELF %s, not a core file or a memory dump", path,
           h[5] != 1                ? "file (big-endian)"
           : type == 2              ? "executable"
           : type == 3              ? "shared object or PIE executable"
           : type == 1              ? "object file"
                                    : "file");
  return CRV_SNIFF_ELF_OTHER;
}

struct seg {
  uint64_t start, end, offset, present;
  unsigned prot;
};

struct file_ent {
  uint64_t start, end, offset;
  const char *name; /* into the note buffer */
};

struct notes_ctx {
  struct crv_space *s;
  unsigned w;              /* pointer size of the core */
  struct file_ent *files;  /* NT_FILE entries (names point into the note buffer) */
  size_t n_files;
  uint64_t sp;             /* stack pointer of the first thread, 0 when unknown */
  int have_pid;
  int bad_file_note;
};

static void copy_str(char *dst, size_t cap, const uint8_t *src, size_t n)
{
  size_t k = 0;
  for (; k < n && k + 1 < cap && src[k]; k++)
    dst[k] = (src[k] >= 0x20 && src[k] < 0x7f) ? (char)src[k] : '?';
  dst[k] = '\0';
  while (k > 0 && dst[k - 1] == ' ')
    dst[--k] = '\0';
}

static void parse_nt_file(struct notes_ctx *c, const struct crv_note *n)
{
  const unsigned w = c->w;
  if (c->files || n->descsz < 2u * w)
    return;
  uint64_t count = span_word(n->desc, w), page = span_word(n->desc + w, w);
  uint64_t room = (n->descsz - 2u * w) / (3u * w);
  if (count > room || page == 0 || (page & (page - 1)) != 0) {
    c->bad_file_note = 1;
    return;
  }
  size_t names = 2u * w + (size_t)count * 3u * w; /* the names follow all entries */
  if (count > CORE_MAX_FILES)
    count = CORE_MAX_FILES; /* more mappings than regions carver takes anyway */
  c->files = calloc(count ? (size_t)count : 1, sizeof *c->files);
  if (!c->files)
    return;
  for (uint64_t i = 0; i < count; i++) {
    const uint8_t *e = n->desc + 2u * w + (size_t)i * 3u * w;
    if (names >= n->descsz)
      break;
    const uint8_t *nm = n->desc + names;
    const uint8_t *nul = memchr(nm, 0, n->descsz - names);
    if (!nul)
      break;
    struct file_ent *f = &c->files[c->n_files];
    f->start = span_word(e, w);
    f->end = span_word(e + w, w);
    uint64_t pg = span_word(e + 2u * w, w);
    f->offset = pg <= UINT64_MAX / page ? pg * page : 0;
    f->name = (const char *)nm;
    names += (size_t)(nul - nm) + 1;
    if (f->end > f->start)
      c->n_files++;
  }
}

static int on_note(void *user, const struct crv_note *n)
{
  struct notes_ctx *c = user;
  struct crv_space *s = c->s;
  const int lp64 = c->w == 8;
  if (!crvi_note_named(n, "CORE"))
    return 0;
  if (n->type == CRV_NT_FILE) {
    parse_nt_file(c, n);
  } else if (n->type == CRV_NT_PRPSINFO) {
    size_t pid_at = lp64 ? 24 : 12, fname = lp64 ? 40 : 28, args = lp64 ? 56 : 44;
    if (n->descsz >= args + 80) {
      if (!c->have_pid) {
        s->pid = span_u32le(n->desc + pid_at);
        c->have_pid = 1;
      }
      copy_str(s->comm, sizeof s->comm, n->desc + fname, 16);
      copy_str(s->args, sizeof s->args, n->desc + args, 80);
    }
  } else if (n->type == CRV_NT_PRSTATUS) {
    size_t pid_at = lp64 ? 32 : 24, sp_at = lp64 ? 112 + 19 * 8 : 72 + 15 * 4;
    if (n->descsz >= sp_at + c->w && !c->sp) { /* the first one: the dumping thread */
      s->pid = span_u32le(n->desc + pid_at);
      c->have_pid = 1;
      c->sp = span_word(n->desc + sp_at, c->w);
    }
  }
  return 0;
}

/* Sets the path and file offset of the mapping entry that starts at start. */
static crv_err name_map(struct crv_space *s, uint64_t start, const char *path,
                                   uint64_t offset)
{
  for (size_t i = 0; i < s->n_maps; i++)
    if (s->maps[i].start == start && !s->maps[i].path) {
      if (!(s->maps[i].path = strdup(path)))
        return CRV_ERR_NOMEM;
      s->maps[i].offset = offset;
    }
  return CRV_OK;
}

static int cmp_seg(const void *a, const void *b)
{
  const struct seg *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_map(const void *a, const void *b)
{
  const struct crv_map *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

static unsigned prot_of(uint32_t flags)
{
  return ((flags & CRV_PF_R) ? CRV_PROT_R : 0) | ((flags & CRV_PF_W) ? CRV_PROT_W : 0) |
         ((flags & CRV_PF_X) ? CRV_PROT_X : 0);
}

/* Whether file offset off of the ELF file at path is in an executable PT_LOAD. */
static int offset_is_code(const char *path, uint64_t off)
{
  struct crv_elf e;
  int fdu, code = 0;
  int fd = crvi_open_regular(path);
  if (fd < 0)
    return 0;
  if (crvi_elf_open_fd(&e, &fdu, fd) == 0) {
    for (uint32_t i = 0; i < e.phnum && i < 256; i++) {
      struct crv_phdr ph;
      if (crvi_elf_phdr(&e, i, &ph) != 0)
        break;
      if (ph.type == CRV_PT_LOAD && off >= ph.offset && off - ph.offset < ph.filesz) {
        code = (ph.flags & CRV_PF_X) != 0;
        break;
      }
    }
  }
  close(fd);
  return code;
}

/* Cores leave out what the mapped files hold (gcore skips unwritten file mappings, the
 * kernel writes p_filesz 0 for them). Like gdb, read those bytes from the file itself, but
 * only from an ELF file whose build id equals the one in the core's copy of its first
 * page: then the bytes are the ones that were mapped. Code is left out (no Python object
 * lives there, and libraries can hold hundreds of MiB of it), as a live scan does. */
static crv_err fill_from_files(struct crv_space *s, const struct notes_ctx *nc)
{
  crv_err err = CRV_OK;
  const size_t n0 = s->n; /* the core's regions, sorted; the file regions go after them */
  char *ok = calloc(nc->n_files ? nc->n_files : 1, 1);
  uint64_t *fsize = calloc(nc->n_files ? nc->n_files : 1, sizeof *fsize);
  if (!ok || !fsize) {
    free(ok);
    free(fsize);
    return CRV_ERR_NOMEM;
  }
  /* First decide every file (this reads the core's regions), then add regions. */
  for (size_t k = 0; k < nc->n_files; k++) {
    size_t j = 0;
    while (j < k && strcmp(nc->files[j].name, nc->files[k].name) != 0)
      j++;
    if (j < k) {
      ok[k] = ok[j];
      fsize[k] = fsize[j];
      continue;
    }
    struct stat st;
    int fd = crvi_open_regular(nc->files[k].name);
    if (fd < 0)
      continue;
    ok[k] = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            crvi_file_matches_memory(s, nc->files[k].name, fd) == 1;
    fsize[k] = ok[k] ? (uint64_t)st.st_size : 0;
    close(fd);
  }
  for (size_t k = 0; k < nc->n_files && err == CRV_OK; k++) {
    const struct file_ent *f = &nc->files[k];
    const struct crv_map *fm = NULL;
    for (size_t q = 0; q < s->n_maps && !fm; q++)
      if (s->maps[q].start == f->start)
        fm = &s->maps[q];
    if (fm && !(fm->prot & CRV_PROT_UNKNOWN) && !(fm->prot & CRV_PROT_R))
      continue; /* unreadable (PROT_NONE): not a region in a live scan either */
    /* Parts not filled still become regions (holes): the address was mapped, which the
     * scan's pointer checks must see as they would in the live process. */
    int fill = ok[k] && !(fm && !(fm->prot & CRV_PROT_UNKNOWN)
                              ? (fm->prot & CRV_PROT_X) != 0
                              : offset_is_code(f->name, f->offset));
    /* The parts of [f->start, f->end) the core does not hold. */
    uint64_t a = f->start;
    while (a < f->end && err == CRV_OK) {
      size_t lo = 0, hi = n0; /* first core region ending after a */
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->r[mid].end <= a)
          lo = mid + 1;
        else
          hi = mid;
      }
      uint64_t gap_end = f->end;
      if (lo < n0 && s->r[lo].start <= a) { /* inside a segment */
        struct crv_region *r = &s->r[lo];
        uint64_t have = r->start + r->present;
        if (a < have) {
          a = have < r->end ? have : r->end;
          continue;
        }
        if (r->end > f->end || !fill) { /* the segment's own hole stays as it is */
          a = r->end < f->end ? r->end : f->end;
          continue;
        }
        gap_end = r->end;
        r->end = a; /* the region keeps what the core holds; the file gives the rest */
      } else if (lo < n0 && s->r[lo].start < gap_end) {
        gap_end = s->r[lo].start;
      }
      uint64_t foff = f->offset + (a - f->start);
      uint64_t present = fill && foff < fsize[k] ? fsize[k] - foff : 0;
      if (present > gap_end - a)
        present = gap_end - a;
      struct crv_map *m = NULL;
      for (size_t q = 0; q < s->n_maps; q++)
        if (s->maps[q].start <= a && a < s->maps[q].end)
          m = &s->maps[q];
      err = crvi_space_add_region(s, CRV_BACK_FILE, f->name, f->name, a, gap_end, foff, present,
                                  m ? m->prot : CRV_PROT_UNKNOWN);
      if (m)
        m->from_file += present;
      a = gap_end;
    }
  }
  free(ok);
  free(fsize);
  /* Regions emptied by the above (a segment with nothing in the core) go. */
  size_t w = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (s->r[i].end > s->r[i].start) {
      s->r[w++] = s->r[i];
      continue;
    }
    free(s->r[i].file);
    free(s->r[i].name);
    free(s->r[i].path);
  }
  s->n = w;
  return err;
}

crv_err crvi_space_add_core(struct crv_space *s, const char *path)
{
  struct crv_elf e;
  int fdu;
  struct seg *segs = NULL;
  size_t n_segs = 0, unreadable = 0;
  uint64_t missing = 0, wanted = 0;
  struct notes_ctx nc;
  uint8_t *notes[16];
  size_t n_notes = 0;
  uint64_t notes_total = 0;
  crv_err err = CRV_OK;
  memset(&nc, 0, sizeof nc);
  nc.s = s;
  if (s->core_fd >= 0 || s->proc)
    return crvi_space_fail(s, CRV_ERR_INVALID_ARG,
                           "%s: only one core file (or process) per scan", path);
  int fd = crvi_open_regular(path);
  if (fd < 0)
    return crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", path,
                           errno == EINVAL ? "not a regular file" : strerror(errno));
  if (crvi_elf_open_fd(&e, &fdu, fd) != 0) {
    close(fd);
    return crvi_space_fail(s, CRV_ERR_FORMAT, "%s: not a usable core file: %s", path, e.err);
  }
  if (e.type != CRV_ET_CORE) {
    close(fd);
    return crvi_space_fail(s, CRV_ERR_FORMAT, "%s: an ELF file but not a core (type %u)", path,
                           e.type);
  }
  if (e.machine != EM_386 && e.machine != EM_X86_64) {
    close(fd);
    return crvi_space_fail(s, CRV_ERR_FORMAT, "%s: a core of machine %u (only x86 and x86-64)",
                           path, e.machine);
  }
  if (e.phnum == 0) {
    close(fd);
    return crvi_space_fail(s, CRV_ERR_FORMAT, "%s: a core without program headers", path);
  }
  nc.w = e.ptr_size;
  segs = malloc((size_t)e.phnum * sizeof *segs);
  if (!segs) {
    close(fd);
    return CRV_ERR_NOMEM;
  }
  for (uint32_t i = 0; i < e.phnum; i++) {
    struct crv_phdr p;
    if (crvi_elf_phdr(&e, i, &p) != 0) {
      err = crvi_space_fail(s, CRV_ERR_FORMAT, "%s: program header %u unreadable", path, i);
      goto out;
    }
    if (p.type == CRV_PT_NOTE && p.filesz && n_notes < sizeof notes / sizeof notes[0]) {
      uint64_t have = p.offset < e.size ? e.size - p.offset : 0;
      uint64_t len = p.filesz < have ? p.filesz : have;
      if (len < p.filesz)
        crvi_space_warn(s, "%s: notes cut off (core truncated); file names may be missing",
                        path);
      if (len > CRV_ELF_MAX_NOTES)
        len = CRV_ELF_MAX_NOTES;
      if (len > CORE_MAX_NOTES_TOTAL - notes_total)
        len = CORE_MAX_NOTES_TOTAL - notes_total;
      if (len == 0)
        continue;
      notes_total += len;
      uint8_t *b = malloc((size_t)len);
      if (!b) {
        err = CRV_ERR_NOMEM;
        goto out;
      }
      if (e.read(e.user, p.offset, b, (size_t)len) != len) {
        free(b);
        continue;
      }
      notes[n_notes++] = b;
      if (crvi_elf_notes(b, (size_t)len, (unsigned)p.align, on_note, &nc) != 0)
        crvi_space_warn(s, "%s: a note is cut off or malformed; the notes before it are used",
                        path);
      continue;
    }
    if (p.type != CRV_PT_LOAD || p.memsz == 0)
      continue;
    if (p.vaddr > UINT64_MAX - p.memsz || (e.ptr_size == 4 && p.vaddr + p.memsz > (1ull << 32))) {
      crvi_space_warn(s, "%s: segment %u wraps around the address space; skipped", path, i);
      continue;
    }
    if (!(p.flags & CRV_PF_R)) /* a mapping, but never read: listed, no region */
      unreadable++;
    struct seg *sg = &segs[n_segs++];
    sg->start = p.vaddr;
    sg->end = p.vaddr + p.memsz;
    sg->offset = p.offset;
    sg->prot = prot_of(p.flags);
    uint64_t want = p.filesz < p.memsz ? p.filesz : p.memsz;
    uint64_t have = p.offset < e.size ? e.size - p.offset : 0;
    sg->present = want < have ? want : have;
    wanted += want;
    missing += want - sg->present;
  }
  if (nc.bad_file_note)
    crvi_space_warn(s, "%s: malformed NT_FILE note; mapped file names unknown", path);
  qsort(segs, n_segs, sizeof *segs, cmp_seg);
  s->core_fd = fd;
  fd = -1;
  if (!(s->core_path = strdup(path))) {
    err = CRV_ERR_NOMEM;
    goto out;
  }
  uint64_t prev_end = 0;
  size_t dropped = 0;
  for (size_t i = 0; i < n_segs && err == CRV_OK; i++) {
    struct seg *sg = &segs[i];
    if (i && sg->start < prev_end) {
      dropped++; /* overlapping segments: a corrupt core; the first one wins */
      continue;
    }
    prev_end = sg->end;
    if (!(sg->prot & CRV_PROT_R)) {
      err = crvi_space_add_map(s, sg->start, sg->end, 0, 0, sg->prot, NULL, 0);
      continue;
    }
    const char *name = NULL;
    uint64_t foff = 0;
    for (size_t k = 0; k < nc.n_files; k++)
      if (sg->start >= nc.files[k].start && sg->start < nc.files[k].end) {
        name = nc.files[k].name;
        foff = nc.files[k].offset + (sg->start - nc.files[k].start);
        break;
      }
    if (!name && nc.sp && nc.sp >= sg->start && nc.sp < sg->end)
      name = "[stack]";
    err = crvi_space_add_region(s, CRV_BACK_CORE, path, name, sg->start, sg->end, sg->offset,
                                sg->present, sg->prot);
    if (err == CRV_OK)
      err = crvi_space_add_map(s, sg->start, sg->end, foff, 0, sg->prot, name,
                               name ? strlen(name) : 0);
    if (err == CRV_OK)
      s->maps[s->n_maps - 1].resident = sg->present;
  }
  /* NT_FILE mappings without a segment (unreadable, or left out): still mappings. */
  for (size_t k = 0; k < nc.n_files && err == CRV_OK; k++) {
    size_t i = 0;
    while (i < n_segs && !(segs[i].start >= nc.files[k].start && segs[i].start < nc.files[k].end))
      i++;
    if (i == n_segs)
      err = crvi_space_add_map(s, nc.files[k].start, nc.files[k].end, nc.files[k].offset, 0,
                               CRV_PROT_UNKNOWN, nc.files[k].name, strlen(nc.files[k].name));
    else if (!(segs[i].prot & CRV_PROT_R) && segs[i].start == nc.files[k].start)
      err = name_map(s, segs[i].start, nc.files[k].name, nc.files[k].offset);
  }
  if (err == CRV_OK && s->n_maps)
    qsort(s->maps, s->n_maps, sizeof *s->maps, cmp_map);
  if (err == CRV_OK)
    err = fill_from_files(s, &nc);
  if (err == CRV_OK && dropped)
    crvi_space_warn(s, "%s: %zu overlapping segments ignored (corrupt core?)", path, dropped);
  if (err == CRV_OK && missing)
    crvi_space_warn(s, "%s: truncated: %llu of %llu bytes of its segments are missing and are "
                    "scanned as holes", path, (unsigned long long)missing,
                    (unsigned long long)wanted);
  if (err == CRV_OK && s->n == 0)
    err = crvi_space_fail(s, CRV_ERR_FORMAT, "%s: a core without readable memory segments%s",
                          path, unreadable ? "" : " (no PT_LOAD)");
  s->maps_applied = err == CRV_OK;
out:
  for (size_t i = 0; i < n_notes; i++)
    free(notes[i]);
  free(nc.files);
  free(segs);
  if (fd >= 0)
    close(fd);
  return err;
}
