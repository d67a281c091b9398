/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* O_CLOEXEC, strcasestr */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "proclist.h"
#include "elf.h"
#include "interp.h"
#include "maps_parse.h"
#include "dumpname.h"
#include "pid.h"

#define DELETED " (deleted)"
#define COMM_LEN 15 /* TASK_COMM_LEN - 1: the kernel truncates comm to this */

/* Probe results by (inode, path): every process maps the same libraries. */
struct probe {
  uint64_t inode;
  char *path;
  int exports;
  unsigned elf_type, ptr_size;
  char version[16], version_full[16];
};

struct cache {
  struct probe *p;
  size_t n, cap;
};

/* Copies src, cut to fit (intended truncation, unlike snprintf's warning). */
static void copy_cut(char *dst, size_t cap, const char *src)
{
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static const char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* The base name without " (deleted)". */
static void clean_base(const char *path, char *out, size_t cap)
{
  copy_cut(out, cap, base_name(path));
  size_t l = strlen(out), dl = strlen(DELETED);
  if (l > dl && strcmp(out + l - dl, DELETED) == 0)
    out[l - dl] = '\0';
}

static const struct probe *probe_file(struct cache *c, int64_t pid, const struct crv_maps_line *ml,
                                      const char *path)
{
  for (size_t i = 0; i < c->n; i++)
    if (c->p[i].inode == ml->inode && strcmp(c->p[i].path, path) == 0)
      return &c->p[i];
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    struct probe *np = realloc(c->p, cap * sizeof *np);
    if (!np)
      return NULL;
    c->p = np;
    c->cap = cap;
  }
  struct probe *pr = &c->p[c->n];
  memset(pr, 0, sizeof *pr);
  pr->inode = ml->inode;
  if (!(pr->path = strdup(path)))
    return NULL;
  char f[4200];
  snprintf(f, sizeof f, "/proc/%lld/map_files/%llx-%llx", (long long)pid,
           (unsigned long long)ml->start, (unsigned long long)ml->end);
  int fd = crvi_open_regular(f);
  if (fd < 0) {
    snprintf(f, sizeof f, "/proc/%lld/root%s", (long long)pid, path);
    fd = crvi_open_regular(f);
  }
  if (fd >= 0) {
    struct crv_interp_file info;
    char why[160];
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        crvi_interp_probe(fd, path, &info, why, sizeof why) == 0 && info.exports_python) {
      pr->exports = 1;
      pr->elf_type = info.elf_type;
      pr->ptr_size = info.ptr_size;
      snprintf(pr->version, sizeof pr->version, "%s", info.version);
      snprintf(pr->version_full, sizeof pr->version_full, "%s", info.version_full);
    }
    close(fd);
  }
  c->n++;
  return pr;
}

/* comm (at most 15 characters) equals the start of name, as the kernel truncates. */
static int comm_matches(const char *comm, const char *name)
{
  size_t lc = strlen(comm), ln = strlen(name);
  if (!lc)
    return 0;
  if (lc >= COMM_LEN)
    return ln >= lc && strncmp(comm, name, lc) == 0;
  return lc == ln && strcmp(comm, name) == 0;
}

void crvi_proc_check_names(struct crv_procinfo *p, const char *argv, size_t len)
{
  char exe_b[256], int_b[256], a0_b[256];
  const char *args[4] = {"", "", "", ""};
  size_t n = 0;
  for (size_t o = 0; o < len && n < 4;) {
    args[n++] = argv + o;
    o += strnlen(argv + o, len - o) + 1;
  }
  clean_base(p->exe, exe_b, sizeof exe_b);
  clean_base(p->interpreter, int_b, sizeof int_b);
  clean_base(args[0], a0_b, sizeof a0_b);
  /* argv[0]: names python, the executable or the interpreter file. */
  int argv0_ok = strcasestr(a0_b, "python") != NULL || (exe_b[0] && strcmp(a0_b, exe_b) == 0) ||
                 (int_b[0] && strcmp(a0_b, int_b) == 0);
  /* comm: names python, the executable or interpreter file (truncated to 15), or, when
   * argv[0] is the interpreter, a script it runs (shebang: comm is the script's name). */
  int comm_ok = strcasestr(p->comm, "python") != NULL || comm_matches(p->comm, exe_b) ||
                comm_matches(p->comm, int_b);
  for (size_t i = 1; i < n && !comm_ok && argv0_ok; i++) {
    char b[256];
    clean_base(args[i], b, sizeof b);
    comm_ok = comm_matches(p->comm, b);
  }
  p->disguised = !argv0_ok || !comm_ok;
  p->why[0] = '\0';
  if (p->disguised)
    snprintf(p->why, sizeof p->why, "%s%s%s do%s not name %s", !comm_ok ? "comm" : "",
             !comm_ok && !argv0_ok ? " and " : "", !argv0_ok ? "argv[0]" : "",
             !comm_ok && !argv0_ok ? "" : "es", int_b);
}

/* Maps text read per process (a real one is far smaller; a longer one is cut short). */
#define MAPS_BUF (4u << 20)

static int inspect(struct cache *c, int64_t pid, struct crv_procinfo *p, char *maps,
                   unsigned *unreadable)
{
  char argv[4096];
  long len = crvi_proc_file(pid, "maps", maps, MAPS_BUF);
  if (len < 0) {
    if (errno == EACCES || errno == EPERM)
      (*unreadable)++;
    return 0;
  }
  memset(p, 0, sizeof *p);
  p->pid = pid;
  const struct probe *best = NULL;
  char best_path[1024] = "";
  for (int pass = 0; pass < 2 && !best; pass++) {
    for (long o = 0; o < len && !best;) {
      char *nl = memchr(maps + o, '\n', (size_t)(len - o));
      size_t ll = nl ? (size_t)(nl - (maps + o)) : (size_t)(len - o);
      struct crv_maps_line ml;
      const char *line = maps + o;
      o += (long)ll + 1;
      if (crvi_maps_parse_line(line, ll, &ml) != 0 || ml.path_len == 0 || ml.path[0] != '/' ||
          ml.path_len >= sizeof best_path || ml.offset != 0)
        continue;
      char path[1024];
      memcpy(path, ml.path, ml.path_len);
      path[ml.path_len] = '\0';
      if ((pass == 0) != (crvi_interp_name_is_python(path) != 0))
        continue;
      if (strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/memfd:", 7) == 0)
        continue;
      const struct probe *pr = probe_file(c, pid, &ml, path);
      if (pr && pr->exports) {
        best = pr;
        copy_cut(best_path, sizeof best_path, path);
      }
    }
  }
  if (!best)
    return 0;
  copy_cut(p->interpreter, sizeof p->interpreter, best_path);
  snprintf(p->version, sizeof p->version, "%s", best->version);
  snprintf(p->version_full, sizeof p->version_full, "%s", best->version_full);
  p->ptr_size = best->ptr_size;
  long n = crvi_proc_file(pid, "comm", p->comm, sizeof p->comm);
  if (n > 0 && p->comm[n - 1] == '\n')
    p->comm[n - 1] = '\0';
  char link[64];
  snprintf(link, sizeof link, "/proc/%lld/exe", (long long)pid);
  ssize_t l = readlink(link, p->exe, sizeof p->exe - 1);
  p->exe[l > 0 ? l : 0] = '\0';
  if (best->elf_type == 3 && strncmp(base_name(best_path), "lib", 3) == 0)
    copy_cut(p->libpython, sizeof p->libpython, best_path);
  n = crvi_proc_file(pid, "cmdline", argv, sizeof argv);
  if (n < 0)
    n = 0;
  copy_cut(p->argv0, sizeof p->argv0, argv);
  size_t k = 0;
  for (long i = 0; i < n && k + 1 < sizeof p->cmdline; i++)
    p->cmdline[k++] = argv[i] ? argv[i] : ' ';
  while (k > 0 && p->cmdline[k - 1] == ' ')
    k--;
  p->cmdline[k] = '\0';
  crvi_proc_check_names(p, argv, (size_t)n);
  return 1;
}

static int cmp_pid(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

void crvi_proclist(int64_t only_pid, void (*fn)(void *user, const struct crv_procinfo *p),
                   void *user, struct crv_proclist_stats *st)
{
  struct cache c = {0};
  int64_t *pids = NULL;
  size_t n = 0, cap = 0;
  int64_t self = getpid();
  memset(st, 0, sizeof *st);
  if (only_pid > 0) {
    pids = malloc(sizeof *pids);
    if (pids)
      pids[n++] = only_pid;
  } else {
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
      uint64_t v;
      if (!isdigit((unsigned char)de->d_name[0]) || crvi_parse_dec_u64(de->d_name, &v) != 0 ||
          v == 0 || v > 0x7fffffff || (int64_t)v == self)
        continue;
      if (n == cap) {
        size_t nc = cap ? cap * 2 : 256;
        int64_t *np = realloc(pids, nc * sizeof *np);
        if (!np)
          break;
        pids = np;
        cap = nc;
      }
      pids[n++] = (int64_t)v;
    }
    if (d)
      closedir(d);
    if (n)
      qsort(pids, n, sizeof *pids, cmp_pid);
  }
  struct crv_procinfo *p = malloc(sizeof *p);
  char *maps = malloc(MAPS_BUF);
  for (size_t i = 0; p && maps && i < n; i++) {
    st->processes++;
    if (inspect(&c, pids[i], p, maps, &st->unreadable)) {
      st->python++;
      fn(user, p);
    }
  }
  free(p);
  free(maps);
  free(pids);
  for (size_t i = 0; i < c.n; i++)
    free(c.p[i].path);
  free(c.p);
}
