/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* process_vm_readv, pread, O_CLOEXEC, strndup */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "pid.h"
#include "dumpname.h"
#include "elf.h"
#include "util/limits.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
/* Pages whose pagemap entries are read at once (32 KiB of entries). */
#define PM_BATCH 4096u
/* A run of non-resident, unfillable pages at least this long becomes a region of its own
 * (present == 0, not scanned); shorter runs read as zeros, as in a Volatility dump. */
#define BIG_HOLE (16ull << 20)
#define DELETED " (deleted)"

/* A mapped file, opened to read the pages of its mappings that are not resident. */
struct mapped_file {
  uint64_t inode;
  char *path;
  int fd;
  uint64_t size;
};

struct crv_proc {
  int64_t pid;
  int mem_fd;       /* /proc/PID/mem, O_RDONLY */
  int pagemap_fd;   /* /proc/PID/pagemap, -1 when it could not be opened */
  int pidfd;        /* pidfd_open, -1 when unavailable: then starttime is compared */
  int use_vm_readv; /* cleared when process_vm_readv is refused (seccomp, EPERM) */
  uint64_t starttime;
  uint64_t page;
  uint64_t *pm;     /* PM_BATCH pagemap entries */
  struct mapped_file *files;
  size_t n_files, files_cap;
  /* The last block read for small reads (validators read object headers one by one). */
  uint8_t *cache;
  uint64_t cache_start, cache_end; /* cache_end == cache_start: empty */
};

/* Small reads are served from one aligned block of this size, read at once. */
#define CACHE_BLOCK (64u << 10)
#define CACHE_MAX_READ 4096u

static long read_small(const char *path, char *buf, size_t cap)
{
  size_t len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  while (len + 1 < cap) {
    ssize_t got = read(fd, buf + len, cap - 1 - len);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      int err = errno;
      close(fd);
      errno = err;
      return -1;
    }
    if (got == 0)
      break;
    len += (size_t)got;
  }
  close(fd);
  buf[len] = '\0';
  return (long)len;
}

long crvi_proc_file(int64_t pid, const char *name, char *buf, size_t cap)
{
  char path[96];
  snprintf(path, sizeof path, "/proc/%lld/%s", (long long)pid, name);
  return read_small(path, buf, cap);
}

/* State letter and start time (clock ticks) from /proc/PID/stat; 0 on success. */
static int proc_stat(int64_t pid, char *state, uint64_t *starttime)
{
  char buf[1024];
  if (crvi_proc_file(pid, "stat", buf, sizeof buf) <= 0)
    return -1;
  char *p = strrchr(buf, ')'); /* comm may hold spaces and ')' */
  if (!p || p[1] != ' ' || !p[2])
    return -1;
  *state = p[2];
  p += 2;
  /* field 3 is the state; starttime is field 22 */
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p)
      return -1;
    p++;
  }
  uint64_t v = 0;
  int digits = 0;
  while (*p >= '0' && *p <= '9' && digits < 20)
    v = v * 10 + (uint64_t)(*p++ - '0'), digits++;
  if (!digits)
    return -1;
  *starttime = v;
  return 0;
}

int crvi_proc_skip_path(const char *path, size_t len)
{
  static const char *const skip[] = {"[vvar]", "[vvar_vclock]", "[vsyscall]"};
  for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
    if (len == strlen(skip[i]) && memcmp(path, skip[i], len) == 0)
      return 1;
  return 0;
}

void crvi_proc_perm_advice(int64_t pid, const char *what, int err, char *buf, size_t cap)
{
  char status[4096], scope[16] = "";
  long their_uid = -1;
  if (crvi_proc_file(pid, "status", status, sizeof status) > 0) {
    char *u = strstr(status, "\nUid:");
    if (u) {
      /* real, effective, saved, fs: the effective uid decides */
      char *q = u + 5;
      int field = 0;
      while (*q && field < 2) {
        while (*q == ' ' || *q == '\t')
          q++;
        long v = 0;
        while (*q >= '0' && *q <= '9')
          v = v * 10 + (*q++ - '0');
        if (++field == 2)
          their_uid = v;
      }
    }
  }
  long n = read_small("/proc/sys/kernel/yama/ptrace_scope", scope, sizeof scope);
  if (n > 0 && scope[n - 1] == '\n')
    scope[n - 1] = '\0';
  uid_t me = geteuid();
  char who[96];
  if (their_uid >= 0 && (uid_t)their_uid != me)
    snprintf(who, sizeof who, "it runs as uid %ld and carver as uid %ld; ", their_uid, (long)me);
  else if (their_uid >= 0)
    snprintf(who, sizeof who, "it runs as carver's uid %ld but may be non-dumpable; ", (long)me);
  else
    who[0] = '\0';
  char yama[96] = "";
  if (n > 0 && strcmp(scope, "0") != 0)
    snprintf(yama, sizeof yama, " or set kernel.yama.ptrace_scope (now %s) to 0", scope);
  snprintf(buf, cap,
           "cannot read process %lld (%s: %s): %srun carver as root or as the process's user "
           "with CAP_SYS_PTRACE (setcap cap_sys_ptrace+ep; containers: --cap-add=SYS_PTRACE)%s",
           (long long)pid, what, strerror(err), who, yama);
}

void crvi_hints_from_environ(struct crv_hints *h, const char *env, size_t len)
{
  static const char key[] = "PYTHONHASHSEED=";
  const size_t klen = sizeof key - 1;
  h->have_seed = 0;
  h->seed_random = 1; /* unset: random on 3.x (2.7: zero, which the key probe confirms) */
  for (size_t o = 0; o < len;) {
    const char *e = env + o;
    size_t n = strnlen(e, len - o);
    if (n > klen && memcmp(e, key, klen) == 0) {
      uint64_t v;
      char val[16];
      size_t vl = n - klen;
      if (vl < sizeof val) {
        memcpy(val, e + klen, vl);
        val[vl] = '\0';
        if (strcmp(val, "random") == 0) {
          h->have_seed = 0;
          h->seed_random = 1;
        } else if (crvi_parse_dec_u64(val, &v) == 0 && v <= 4294967295u) {
          h->have_seed = 1;
          h->seed = (uint32_t)v;
          h->seed_random = 0;
        }
      }
    }
    o += n + 1;
  }
}

/* Opening or reading path (a file of /proc/PID) failed with errno err: the process exited,
 * it may not be read (the advice says why), or something else went wrong. */
static crv_err open_failed(struct crv_space *s, int64_t pid, const char *path, int err)
{
  if (err == ENOENT || err == ESRCH)
    return crvi_space_fail(s, CRV_ERR_VANISHED, "process %lld exited while being opened",
                           (long long)pid);
  if (err == EACCES || err == EPERM) {
    crvi_proc_perm_advice(pid, path, err, s->errmsg, sizeof s->errmsg);
    return CRV_ERR_ATTACH;
  }
  return crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", path, strerror(err));
}

static crv_err read_maps(struct crv_space *s, int64_t pid, char **text, size_t *len)
{
  char path[64];
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  if (!buf)
    return CRV_ERR_NOMEM;
  snprintf(path, sizeof path, "/proc/%lld/maps", (long long)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  int err = fd < 0 ? errno : 0;
  while (fd >= 0) {
    if (n == cap) {
      if (cap >= CRV_MAX_MAPS_FILE) {
        close(fd);
        free(buf);
        return crvi_space_fail(s, CRV_ERR_LIMIT, "%s: larger than %u bytes", path,
                               CRV_MAX_MAPS_FILE);
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        close(fd);
        free(buf);
        return CRV_ERR_NOMEM;
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      err = errno;
      break;
    }
    if (got == 0)
      break;
    n += (size_t)got;
  }
  if (fd >= 0)
    close(fd);
  if (err) {
    free(buf);
    return open_failed(s, pid, path, err);
  }
  *text = buf;
  *len = n;
  return CRV_OK;
}

/* Pagemap entries for pages [first, first+count); non-readable entries become 0
 * (not present). Returns -1 when the process is gone. */
static int read_pagemap(const struct crv_proc *p, uint64_t *pm, uint64_t first, size_t count)
{
  size_t got = 0;
  while (got < count * 8) {
    ssize_t r = pread(p->pagemap_fd, (char *)pm + got, count * 8 - got,
                      (off_t)(first * 8 + got));
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && errno == ESRCH)
      return -1;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  if (got < count * 8)
    memset((char *)pm + (got & ~(size_t)7), 0, count * 8 - (got & ~(size_t)7));
  return 0;
}

/* The mapped file behind ml, opened once per (inode, path): /proc/PID/map_files (the very
 * file mapped, also when deleted or replaced), else the path seen from the process's root
 * with the same inode. -1 when neither works (then non-resident pages read as zeros). */
static int mapped_file(struct crv_proc *p, const struct crv_maps_line *ml, const char *path,
                       uint64_t *size)
{
  for (size_t i = 0; i < p->n_files; i++)
    if (p->files[i].inode == ml->inode && strcmp(p->files[i].path, path) == 0) {
      *size = p->files[i].size;
      return p->files[i].fd;
    }
  if (p->n_files == p->files_cap) {
    size_t cap = p->files_cap ? p->files_cap * 2 : 32;
    struct mapped_file *f = realloc(p->files, cap * sizeof *f);
    if (!f)
      return -1;
    p->files = f;
    p->files_cap = cap;
  }
  char f[4200];
  struct stat st;
  snprintf(f, sizeof f, "/proc/%lld/map_files/%llx-%llx", (long long)p->pid,
           (unsigned long long)ml->start, (unsigned long long)ml->end);
  int fd = crvi_open_regular(f);
  size_t l = strlen(path), dl = strlen(DELETED);
  if (fd < 0 && !(l > dl && strcmp(path + l - dl, DELETED) == 0)) {
    snprintf(f, sizeof f, "/proc/%lld/root%s", (long long)p->pid, path);
    fd = crvi_open_regular(f);
    if (fd >= 0 && (fstat(fd, &st) != 0 || (uint64_t)st.st_ino != ml->inode)) {
      close(fd); /* another file by now: its bytes are not the mapped ones */
      fd = -1;
    }
  }
  uint8_t magic[4];
  if (fd >= 0 && (fstat(fd, &st) != 0 || pread(fd, magic, 4, 0) != 4 ||
                  memcmp(magic, "\177ELF", 4) != 0)) {
    close(fd); /* only ELF files hold Python objects (a data file may be huge): no fill */
    fd = -1;
  }
  struct mapped_file *m = &p->files[p->n_files];
  m->inode = ml->inode;
  m->path = strdup(path);
  m->fd = fd;
  m->size = fd >= 0 ? (uint64_t)st.st_size : 0;
  if (!m->path) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  p->n_files++;
  *size = m->size;
  return fd;
}

/* Closes the zero run [hs, he) of the mapping being added: counted as a hole; a run of
 * BIG_HOLE or more ends the region before it and becomes a region of its own. */
static crv_err close_hole(struct crv_space *s, const char *file, const struct crv_maps_line *ml,
                          const char *path, int ffd, uint64_t *reg_start, uint64_t hs,
                          uint64_t he)
{
  crv_err e;
  s->hole_bytes += he - hs;
  if (he - hs < BIG_HOLE)
    return CRV_OK;
  if (hs > *reg_start) {
    e = crvi_space_add_region(s, CRV_BACK_PROC, file, path, *reg_start, hs,
                              ml->offset + (*reg_start - ml->start), hs - *reg_start, ml->prot);
    if (e != CRV_OK)
      return e;
    s->r[s->n - 1].fill_fd = ffd;
  }
  *reg_start = he;
  return crvi_space_add_region(s, CRV_BACK_PROC, file, path, hs, he, 0, 0, ml->prot);
}

/* The regions of one readable mapping. Pages that are not resident and cannot be read
 * from the mapped file (anonymous, swapped out, past the end of the file) read as zeros
 * and are counted in s->hole_bytes. */
static crv_err add_mapping_regions(struct crv_space *s, const char *file,
                                   const struct crv_maps_line *ml, const char *path)
{
  struct crv_proc *p = s->proc;
  const uint64_t start = ml->start, end = ml->end;
  uint64_t fsize = 0, reg_start = start, hole_start = UINT64_MAX;
  int ffd = -1;
  crv_err e;
  struct crv_map *m = &s->maps[s->n_maps - 1]; /* this mapping's entry */
  /* Non-resident pages come from the file only for ELF data (an interpreter's .rodata holds
   * static str objects); code and other files hold no Python objects. */
  if (path && path[0] == '/' && ml->inode && !(ml->prot & CRV_PROT_X) &&
      strncmp(path, "/dev/", 5) != 0 && strncmp(path, "/memfd:", 7) != 0 &&
      strncmp(path, "/SYSV", 5) != 0)
    ffd = mapped_file(p, ml, path, &fsize);
  for (uint64_t a = start; a < end && p->pagemap_fd >= 0;) {
    uint64_t first = a / p->page;
    size_t count = (size_t)((end - a + p->page - 1) / p->page);
    if (count > PM_BATCH)
      count = PM_BATCH;
    if (read_pagemap(p, p->pm, first, count) != 0) {
      s->vanished = 1;
      return crvi_space_fail(s, CRV_ERR_VANISHED, "process %lld exited while being opened",
                             (long long)p->pid);
    }
    for (size_t k = 0; k < count; k++, a += p->page) {
      int zero = 0;
      if (!(p->pm[k] & PM_PRESENT)) {
        uint64_t foff = ml->offset + (a - start);
        zero = (p->pm[k] & PM_SWAPPED) || ffd < 0 || foff >= fsize;
        if (!zero)
          m->from_file += p->page;
      } else {
        m->resident += p->page;
      }
      if (zero && hole_start == UINT64_MAX) {
        hole_start = a;
      } else if (!zero && hole_start != UINT64_MAX) {
        if ((e = close_hole(s, file, ml, path, ffd, &reg_start, hole_start, a)) != CRV_OK)
          return e;
        hole_start = UINT64_MAX;
      }
    }
  }
  if (hole_start != UINT64_MAX &&
      (e = close_hole(s, file, ml, path, ffd, &reg_start, hole_start, end)) != CRV_OK)
    return e;
  if (p->pagemap_fd < 0)
    m->resident = end - start;
  if (reg_start < end) {
    e = crvi_space_add_region(s, CRV_BACK_PROC, file, path, reg_start, end,
                              ml->offset + (reg_start - start), end - reg_start, ml->prot);
    if (e != CRV_OK)
      return e;
    s->r[s->n - 1].fill_fd = ffd;
  }
  return CRV_OK;
}

/* "comm" and the command line (NULs as spaces) into the space. */
static void read_identity(struct crv_space *s, int64_t pid)
{
  char buf[sizeof s->args];
  long n = crvi_proc_file(pid, "comm", s->comm, sizeof s->comm);
  if (n > 0 && s->comm[n - 1] == '\n')
    s->comm[n - 1] = '\0';
  n = crvi_proc_file(pid, "cmdline", buf, sizeof buf);
  if (n > 0) {
    while (n > 0 && buf[n - 1] == '\0')
      n--;
    for (long i = 0; i < n; i++)
      buf[i] = buf[i] == '\0' ? ' ' : buf[i];
    buf[n] = '\0';
    memcpy(s->args, buf, (size_t)n + 1);
  }
}

static void read_environ(struct crv_space *s, int64_t pid)
{
  size_t cap = 1u << 20; /* the kernel caps argv+envp at about 2 MiB; 1 MiB is plenty */
  char *buf = malloc(cap);
  if (!buf)
    return;
  long n = crvi_proc_file(pid, "environ", buf, cap);
  if (n >= 0)
    crvi_hints_from_environ(&s->hints, buf, (size_t)n);
  else
    crvi_space_warn(s, "/proc/%lld/environ: %s; PYTHONHASHSEED unknown", (long long)pid,
                    strerror(errno));
  free(buf);
}

/* The first page the pagemap says is resident, in a mapping that has some. */
static int first_resident(struct crv_space *s, uint64_t *addr)
{
  struct crv_proc *p = s->proc;
  for (size_t i = 0; i < s->n_maps; i++) {
    const struct crv_map *m = &s->maps[i];
    if (!m->resident)
      continue;
    if (p->pagemap_fd < 0) {
      *addr = m->start;
      return 1;
    }
    for (uint64_t a = m->start; a < m->end;) {
      size_t count = (size_t)((m->end - a) / p->page < PM_BATCH ? (m->end - a) / p->page : PM_BATCH);
      if (count == 0 || read_pagemap(p, p->pm, a / p->page, count) != 0)
        return 0;
      for (size_t k = 0; k < count; k++, a += p->page)
        if (p->pm[k] & PM_PRESENT) {
          *addr = a;
          return 1;
        }
    }
  }
  return 0;
}

crv_err crvi_space_open_pid(struct crv_space *s, int64_t pid)
{
  char path[64], state = 0;
  char *maps = NULL;
  size_t maps_len = 0;
  crv_err e;
  uint64_t starttime = 0;
  if (s->proc || s->n)
    return crvi_space_fail(s, CRV_ERR_INVALID_ARG, "a process must be the only input");
  if (pid <= 0 || pid > 0x7fffffff)
    return crvi_space_fail(s, CRV_ERR_INVALID_ARG, "'%lld' is not a process id", (long long)pid);
  snprintf(path, sizeof path, "/proc/%lld", (long long)pid);
  struct stat st;
  if (stat(path, &st) != 0 || proc_stat(pid, &state, &starttime) != 0)
    return crvi_space_fail(s, CRV_ERR_VANISHED,
                           "no process %lld (it exited, or never existed; see 'carver ps')",
                           (long long)pid);
  if (state == 'Z' || state == 'X')
    return crvi_space_fail(s, CRV_ERR_VANISHED, "process %lld has exited (a zombie: no memory)",
                           (long long)pid);
  struct crv_proc *p = calloc(1, sizeof *p);
  if (!p)
    return CRV_ERR_NOMEM;
  p->pid = pid;
  p->mem_fd = p->pagemap_fd = -1;
  p->use_vm_readv = 1;
  p->starttime = starttime;
  long pg = sysconf(_SC_PAGESIZE);
  p->page = pg > 0 ? (uint64_t)pg : 4096u;
  p->pm = malloc(PM_BATCH * sizeof *p->pm);
  p->cache = malloc(CACHE_BLOCK);
  p->pidfd = (int)syscall(SYS_pidfd_open, (int)pid, 0);
  s->proc = p;
  s->pid = pid;
  if (!p->pm)
    return CRV_ERR_NOMEM;
  if (p->pidfd < 0 && errno == ESRCH)
    return crvi_space_fail(s, CRV_ERR_VANISHED, "no process %lld (it exited)", (long long)pid);

  if ((e = read_maps(s, pid, &maps, &maps_len)) != CRV_OK)
    return e;
  snprintf(path, sizeof path, "/proc/%lld/mem", (long long)pid);
  p->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (p->mem_fd < 0) {
    int err = errno;
    free(maps);
    return open_failed(s, pid, path, err);
  }
  snprintf(path, sizeof path, "/proc/%lld/pagemap", (long long)pid);
  p->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (p->pagemap_fd < 0)
    crvi_space_warn(s, "%s: %s; every mapped page will be read, which faults swapped-out "
                    "pages back in", path, strerror(errno));
  if (maps_len == 0) {
    free(maps);
    if (!crvi_proc_alive(s))
      return crvi_space_fail(s, CRV_ERR_VANISHED, "process %lld exited while being opened",
                             (long long)pid);
    return crvi_space_fail(s, CRV_ERR_UNSUPPORTED,
                           "process %lld has no memory mappings (a kernel thread?)",
                           (long long)pid);
  }

  char file[32];
  snprintf(file, sizeof file, "pid:%lld", (long long)pid);
  e = CRV_OK;
  for (size_t o = 0; o < maps_len && e == CRV_OK;) {
    char *nl = memchr(maps + o, '\n', maps_len - o);
    size_t len = nl ? (size_t)(nl - (maps + o)) : maps_len - o;
    const char *line = maps + o;
    o += len + 1;
    struct crv_maps_line ml;
    if (len == 0 || len > CRV_MAX_MAPS_LINE || crvi_maps_parse_line(line, len, &ml) != 0) {
      if (len)
        crvi_space_warn(s, "/proc/%lld/maps: skipped a malformed line", (long long)pid);
      continue;
    }
    e = crvi_space_add_map(s, ml.start, ml.end, ml.offset, ml.inode, ml.prot, ml.path,
                           ml.path_len);
    if (e != CRV_OK || !(ml.prot & CRV_PROT_R) || crvi_proc_skip_path(ml.path, ml.path_len))
      continue;
    if (s->n && ml.start < s->r[s->n - 1].end)
      continue; /* maps is sorted; a line out of order is ignored */
    e = add_mapping_regions(s, file, &ml, s->maps[s->n_maps - 1].path);
  }
  s->maps_text = maps; /* kept for carver dump */
  s->maps_text_len = maps_len;
  if (e != CRV_OK)
    return e;
  /* A resident byte proves read access (process_vm_readv, else /proc/PID/mem). */
  uint64_t probe;
  if (first_resident(s, &probe)) {
    uint8_t b;
    struct iovec l = {&b, 1}, r = {(void *)(uintptr_t)probe, 1};
    if (process_vm_readv((pid_t)pid, &l, 1, &r, 1, 0) != 1) {
      int err = errno;
      if (err == ESRCH)
        return crvi_space_fail(s, CRV_ERR_VANISHED, "process %lld exited while being opened",
                               (long long)pid);
      p->use_vm_readv = 0; /* EPERM under seccomp, ENOSYS: try /proc/PID/mem */
      ssize_t got = pread(p->mem_fd, &b, 1, (off_t)probe);
      if (got < 0 && (errno == EACCES || errno == EPERM)) {
        crvi_proc_perm_advice(pid, "process_vm_readv", err, s->errmsg, sizeof s->errmsg);
        return CRV_ERR_ATTACH;
      }
      if (got != 1 && !crvi_proc_alive(s))
        return crvi_space_fail(s, CRV_ERR_VANISHED, "process %lld exited while being opened",
                               (long long)pid);
      if (got != 1)
        p->use_vm_readv = 1; /* that page went away meanwhile: reads will tell */
    }
  }
  read_identity(s, pid);
  read_environ(s, pid);
  s->maps_applied = 1;
  return CRV_OK;
}

/* What one thread's reads from the process need of their own: the caller's thread uses
 * the space's (s->proc->pm, s->vanished, s->late_hole_bytes), a reader thread its own
 * (struct crv_proc_reader), merged into the space when it ends. */
struct read_ctx {
  const struct crv_proc *p;
  uint64_t *pm;              /* PM_BATCH pagemap entries */
  int *vanished;
  uint64_t *late_hole_bytes;
  int *use_vm_readv;
};

static int ctx_alive(const struct read_ctx *c)
{
  const struct crv_proc *p = c->p;
  if (*c->vanished)
    return 0;
  if (p->pidfd >= 0) {
    struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
    if (poll(&pfd, 1, 0) > 0) /* readable: the process exited */
      *c->vanished = 1;
  } else {
    char state;
    uint64_t st;
    if (proc_stat(p->pid, &state, &st) != 0 || st != p->starttime || state == 'Z' ||
        state == 'X')
      *c->vanished = 1;
  }
  return !*c->vanished;
}

static struct read_ctx space_ctx(struct crv_space *s)
{
  struct read_ctx c = {s->proc, s->proc->pm, &s->vanished, &s->late_hole_bytes,
                       &s->proc->use_vm_readv};
  return c;
}

int crvi_proc_alive(struct crv_space *s)
{
  if (!s->proc || s->vanished)
    return 0;
  struct read_ctx c = space_ctx(s);
  return ctx_alive(&c);
}

/* Reads resident pages [addr, addr+len); unreadable pages are zero-filled. -1 when the
 * process is gone. */
static int read_resident(const struct read_ctx *c, uint64_t addr, uint8_t *dst, size_t len)
{
  const struct crv_proc *p = c->p;
  size_t done = 0;
  if (*c->use_vm_readv) {
    struct iovec l = {dst, len}, r = {(void *)(uintptr_t)addr, len};
    ssize_t got = process_vm_readv((pid_t)p->pid, &l, 1, &r, 1, 0);
    if (got == (ssize_t)len)
      return 0;
    if (got > 0)
      done = (size_t)got;
    else if (errno == ESRCH)
      return -1;
    else if (errno == EPERM || errno == ENOSYS)
      *c->use_vm_readv = 0;
  }
  /* The rest, page by page through /proc/PID/mem: a failing page is a hole. */
  while (done < len) {
    uint64_t at = addr + done;
    size_t n = (size_t)(p->page - (at % p->page));
    if (n > len - done)
      n = len - done;
    ssize_t got;
    do
      got = pread(p->mem_fd, dst + done, n, (off_t)at);
    while (got < 0 && errno == EINTR);
    if ((got == 0 || (got < 0 && errno == ESRCH)) && !ctx_alive(c))
      return -1;
    if (got < (ssize_t)n) {
      size_t ok = got > 0 ? (size_t)got : 0;
      memset(dst + done + ok, 0, n - ok);
      *c->late_hole_bytes += n - ok;
    }
    done += n;
  }
  return 0;
}

/* Non-resident bytes: the mapped file's, when the page was never written (not swapped),
 * else zeros. */
static void read_absent(const struct crv_region *r, uint64_t at, uint8_t *dst, size_t n,
                        int swapped)
{
  size_t done = 0;
  if (!swapped && r->fill_fd >= 0) {
    uint64_t off = r->file_offset + (at - r->start);
    while (done < n) {
      ssize_t got = pread(r->fill_fd, dst + done, n - done, (off_t)(off + done));
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break; /* past the end of the file: zeros, as the kernel maps them */
      done += (size_t)got;
    }
  }
  memset(dst + done, 0, n - done);
}

static size_t proc_read(const struct read_ctx *c, const struct crv_region *r, uint64_t addr,
                        void *buf, size_t len);

size_t crvi_proc_read(struct crv_space *s, const struct crv_region *r, uint64_t addr, void *buf,
                      size_t len)
{
  struct crv_proc *p = s->proc;
  if (!p || s->vanished)
    return 0;
  struct read_ctx c = space_ctx(s);
  if (len > CACHE_MAX_READ || !p->cache)
    return proc_read(&c, r, addr, buf, len);
  if (addr < p->cache_start || addr + len > p->cache_end) {
    uint64_t a = addr & ~(uint64_t)(CACHE_BLOCK - 1), b;
    if (a < r->start)
      a = r->start;
    b = a + CACHE_BLOCK < r->end ? a + CACHE_BLOCK : r->end;
    if (addr + len > b) /* straddles a block boundary */
      return proc_read(&c, r, addr, buf, len);
    p->cache_start = p->cache_end = 0;
    if (proc_read(&c, r, a, p->cache, (size_t)(b - a)) != b - a)
      return 0;
    p->cache_start = a;
    p->cache_end = b;
  }
  memcpy(buf, p->cache + (addr - p->cache_start), len);
  return len;
}

static size_t proc_read(const struct read_ctx *c, const struct crv_region *r, uint64_t addr,
                        void *buf, size_t len)
{
  const struct crv_proc *p = c->p;
  uint8_t *dst = buf;
  size_t done = 0;
  while (done < len) {
    uint64_t at = addr + done;
    if (p->pagemap_fd < 0) {
      if (read_resident(c, at, dst + done, len - done) != 0)
        return 0;
      done = len;
      break;
    }
    uint64_t first = at / p->page;
    uint64_t last = (addr + len - 1) / p->page;
    size_t count = (size_t)(last - first + 1 < PM_BATCH ? last - first + 1 : PM_BATCH);
    if (read_pagemap(p, c->pm, first, count) != 0) {
      *c->vanished = 1;
      return 0;
    }
    /* Runs of pages in the same state inside this batch. */
    size_t k = 0;
    while (k < count && done < len) {
      uint64_t st = c->pm[k] & (PM_PRESENT | PM_SWAPPED);
      size_t k2 = k + 1;
      while (k2 < count && (c->pm[k2] & (PM_PRESENT | PM_SWAPPED)) == st)
        k2++;
      uint64_t run_end = (first + k2) * p->page;
      uint64_t cur = addr + done;
      size_t n = (size_t)((run_end < addr + len ? run_end : addr + len) - cur);
      if (st & PM_PRESENT) {
        if (read_resident(c, cur, dst + done, n) != 0)
          return 0;
      } else {
        read_absent(r, cur, dst + done, n, (st & PM_SWAPPED) != 0);
      }
      done += n;
      k = k2;
    }
  }
  /* Data read from a process that exited meanwhile may come from a reused pid. */
  if (!ctx_alive(c))
    return 0;
  return done;
}

struct crv_proc_reader {
  struct read_ctx c;
  uint64_t pm[PM_BATCH];
  int vanished, use_vm_readv;
  uint64_t late_hole_bytes;
};

struct crv_proc_reader *crvi_proc_reader_new(struct crv_space *s)
{
  if (!s->proc)
    return NULL;
  struct crv_proc_reader *rd = calloc(1, sizeof *rd);
  if (!rd)
    return NULL;
  rd->vanished = s->vanished;
  rd->use_vm_readv = s->proc->use_vm_readv;
  rd->c = (struct read_ctx){s->proc, rd->pm, &rd->vanished, &rd->late_hole_bytes,
                            &rd->use_vm_readv};
  return rd;
}

size_t crvi_proc_reader_read(struct crv_proc_reader *rd, const struct crv_region *r,
                             uint64_t addr, void *buf, size_t len)
{
  if (rd->vanished)
    return 0;
  return proc_read(&rd->c, r, addr, buf, len);
}

void crvi_proc_reader_free(struct crv_space *s, struct crv_proc_reader *rd)
{
  if (!rd)
    return;
  s->late_hole_bytes += rd->late_hole_bytes;
  if (rd->vanished)
    s->vanished = 1;
  free(rd);
}

void crvi_proc_close(struct crv_space *s)
{
  struct crv_proc *p = s->proc;
  if (!p)
    return;
  if (p->mem_fd >= 0)
    close(p->mem_fd);
  if (p->pagemap_fd >= 0)
    close(p->pagemap_fd);
  if (p->pidfd >= 0)
    close(p->pidfd);
  for (size_t i = 0; i < p->n_files; i++) {
    if (p->files[i].fd >= 0)
      close(p->files[i].fd);
    free(p->files[i].path);
  }
  free(p->files);
  free(p->cache);
  free(p->pm);
  free(p);
  s->proc = NULL;
}
