/* SPDX-License-Identifier: MIT */
/* carver dump: a live process's readable memory as Volatility 2 linux_dump_map files
 * (DIR/task.PID.0xSTART.vma, one per mapping, offset = address - start) plus DIR/maps,
 * which carver scan DIR reads back with the same results. Only resident pages are read;
 * everything else (holes) reads as zeros, as Volatility pads unreadable pages, and is left
 * sparse on disk. */
#define _GNU_SOURCE /* O_CLOEXEC, pwrite */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "inputs.h"
#include "source/pid.h"

enum { OPT_HELP = 'h', OPT_OUTPUT = 'o', OPT_QUIET = 'q', OPT_PID = 256, OPT_FORCE };

static const struct cli_opt dump_opts[] = {
    {"pid", 0, "PID", "the live process PID (also: INPUT pid:PID, or a core file)", OPT_PID},
    {"output", 'o', "DIR", "directory for the dump files (created mode 0700)", OPT_OUTPUT},
    {"force", 0, NULL, "write into DIR even when it holds files (replacing them)", OPT_FORCE},
    {"quiet", 'q', NULL, "errors only on stderr", OPT_QUIET},
    {"help", 'h', NULL, "show this help and exit", OPT_HELP},
};
#define N_DUMP_OPTS (sizeof dump_opts / sizeof dump_opts[0])

#define DUMP_CHUNK (1u << 20)

static void dump_help(void)
{
  printf("Usage: %s dump (--pid PID | CORE) -o DIR\n"
         "Save the readable memory of a live process (or of a core file) as Volatility 2\n"
         "linux_dump_map files, DIR/task.PID.0xSTART.vma, one per mapping, plus DIR/maps, for\n"
         "'%s scan DIR' later. Only resident pages are read (swapped-out pages are not\n"
         "faulted back in); the rest reads as zeros and stays sparse on disk. The process\n"
         "keeps running and is never stopped. Files are created mode 0600.\n\n"
         "Options:\n",
         cli_prog, cli_prog);
  cli_print_options(stdout, dump_opts, N_DUMP_OPTS);
  printf("\n");
  cli_print_exit_codes(stdout);
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
  stop_signal = sig;
}

/* Writes n bytes at off, skipping whole zero pages (left sparse). 0 on success. */
static int write_sparse(int fd, const uint8_t *p, size_t n, uint64_t off)
{
  size_t o = 0;
  while (o < n) {
    size_t k = n - o < 4096 ? n - o : 4096;
    size_t z = 0;
    while (z < k && p[o + z] == 0)
      z++;
    if (z < k) {
      size_t done = 0;
      while (done < k) {
        ssize_t w = pwrite(fd, p + o + done, k - done, (off_t)(off + o + done));
        if (w < 0 && errno == EINTR)
          continue;
        if (w <= 0)
          return -1;
        done += (size_t)w;
      }
    }
    o += k;
  }
  return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int open_out(const char *dir, const char *name, int force, char *path, size_t cap)
{
  snprintf(path, cap, "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0600);
  if (fd >= 0)
    fchmod(fd, 0600);
  return fd;
}

/* /proc/PID/maps format for sources that kept no text (cores). */
static char *maps_text(const struct crv_space *s, size_t *len)
{
  size_t cap = s->n_maps * 128 + 1, n = 0;
  for (size_t i = 0; i < s->n_maps; i++)
    cap += s->maps[i].path ? strlen(s->maps[i].path) : 0;
  char *t = malloc(cap);
  if (!t)
    return NULL;
  for (size_t i = 0; i < s->n_maps; i++) {
    const struct crv_map *m = &s->maps[i];
    unsigned p = m->prot & CRV_PROT_UNKNOWN ? 0 : m->prot;
    int w = snprintf(t + n, cap - n, "%08llx-%08llx %c%c%c%c %08llx 00:00 %llu%s%s\n",
                     (unsigned long long)m->start, (unsigned long long)m->end,
                     p & CRV_PROT_R ? 'r' : '-', p & CRV_PROT_W ? 'w' : '-',
                     p & CRV_PROT_X ? 'x' : '-', p & CRV_PROT_SHARED ? 's' : 'p',
                     (unsigned long long)m->offset, (unsigned long long)m->inode,
                     m->path ? "                          " : "", m->path ? m->path : "");
    if (w < 0 || (size_t)w >= cap - n)
      break;
    n += (size_t)w;
  }
  *len = n;
  return t;
}

int cmd_dump(int argc, char **argv)
{
  struct option longopts[N_DUMP_OPTS + 1];
  char shortopts[32];
  int64_t pid = 0;
  const char *dir = NULL;
  int force = 0, c;
  cli_build_getopt(dump_opts, N_DUMP_OPTS, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    switch (c) {
    case OPT_HELP: dump_help(); return EXIT_FOUND;
    case OPT_QUIET: cli_verbosity = -1; break;
    case OPT_OUTPUT: dir = optarg; break;
    case OPT_FORCE: force = 1; break;
    case OPT_PID:
      if (cli_parse_pid(optarg, &pid) != 0) {
        cli_usage_error("dump ", "--pid: '%s' is not a process id", optarg);
        return EXIT_USAGE;
      }
      break;
    case ':':
      cli_usage_error("dump ", "option '%s' needs an argument", argv[optind - 1]);
      return EXIT_USAGE;
    default:
      cli_usage_error("dump ", "unknown option '%s'", argv[optind - 1]);
      return EXIT_USAGE;
    }
  }
  if (optind >= argc && !pid) {
    cli_usage_error("dump ", "no process given (--pid PID)");
    return EXIT_USAGE;
  }
  if (!dir) {
    cli_usage_error("dump ", "no output directory given (-o DIR)");
    return EXIT_USAGE;
  }
  struct crv_space s;
  struct cli_inputs in = {.paths = argv + optind, .n_paths = (size_t)(argc - optind),
                          .pid = pid};
  crvi_space_init(&s);
  s.warn = space_warn;
  int saved = cli_verbosity;
  cli_verbosity = cli_verbosity < 0 ? -1 : 0;
  crv_err e = cli_open_inputs(&s, &in);
  cli_verbosity = saved;
  if (e != CRV_OK) {
    int rc = cli_space_error(&s, e);
    crvi_space_free(&s);
    return rc;
  }
  if (!s.proc && s.core_fd < 0) {
    cli_error("carver dump reads a live process (--pid PID) or a core file");
    crvi_space_free(&s);
    return EXIT_USAGE;
  }
  struct stat st;
  int dir_err = 0;
  if (stat(dir, &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      cli_error("%s exists and is not a directory", dir);
      dir_err = 1;
    }
  } else if (mkdir(dir, 0700) != 0) {
    cli_error("%s: %s", dir, strerror(errno));
    dir_err = 1;
  }
  if (dir_err) {
    crvi_space_free(&s);
    return EXIT_OUTPUT;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  int rc = EXIT_FOUND;
  uint8_t *buf = malloc(DUMP_CHUNK);
  char path[4200], name[64];
  uint64_t files = 0, bytes = 0, res = 0;
  int64_t id = s.pid >= 0 ? s.pid : 0;
  if (!buf) {
    cli_error("%s", crv_strerror(CRV_ERR_NOMEM));
    crvi_space_free(&s);
    return EXIT_OUTPUT;
  }
  for (size_t i = 0; i < s.n_maps && rc == EXIT_FOUND && !s.vanished; i++) {
    const struct crv_map *m = &s.maps[i];
    if (!(m->prot & CRV_PROT_R) || (m->prot & CRV_PROT_UNKNOWN) ||
        (m->path && crvi_proc_skip_path(m->path, strlen(m->path))))
      continue;
    snprintf(name, sizeof name, "task.%lld.0x%llx.vma", (long long)id,
             (unsigned long long)m->start);
    int fd = open_out(dir, name, force, path, sizeof path);
    if (fd < 0) {
      cli_error("%s: %s%s", path, strerror(errno),
                errno == EEXIST ? " (use --force to replace the files in that directory)" : "");
      rc = EXIT_OUTPUT;
      break;
    }
    /* Resident parts only: regions inside the mapping with bytes present. */
    for (size_t k = crvi_space_index(&s, m->start); k < s.n && s.r[k].start < m->end; k++) {
      const struct crv_region *r = &s.r[k];
      uint64_t have = r->present < r->end - r->start ? r->present : r->end - r->start;
      for (uint64_t a = r->start; a < r->start + have && rc == EXIT_FOUND; a += DUMP_CHUNK) {
        if (stop_signal) {
          rc = EXIT_SIGNAL_BASE + stop_signal;
          break;
        }
        size_t want = r->start + have - a < DUMP_CHUNK ? (size_t)(r->start + have - a)
                                                       : DUMP_CHUNK;
        size_t got = crvi_space_read(&s, a, buf, want);
        if (got < want) /* the process exited, or the core is short: the rest is zeros */
          memset(buf + got, 0, want - got);
        if (write_sparse(fd, buf, got, a - m->start) != 0) {
          cli_error("%s: %s", path, strerror(errno));
          rc = EXIT_OUTPUT;
        }
        res += got;
        if (s.vanished)
          break;
      }
    }
    if (rc == EXIT_FOUND && ftruncate(fd, (off_t)(m->end - m->start)) != 0) {
      cli_error("%s: %s", path, strerror(errno));
      rc = EXIT_OUTPUT;
    }
    if (close(fd) != 0 && rc == EXIT_FOUND) {
      cli_error("%s: %s", path, strerror(errno));
      rc = EXIT_OUTPUT;
    }
    files++;
    bytes += m->end - m->start;
  }
  free(buf);
  if (rc == EXIT_FOUND) {
    size_t len = 0;
    char *text = s.maps_text ? NULL : maps_text(&s, &len);
    const char *t = s.maps_text ? s.maps_text : text;
    if (s.maps_text)
      len = s.maps_text_len;
    int fd = open_out(dir, "maps", force, path, sizeof path);
    if (!t || fd < 0 || write_all(fd, t, len) != 0 || close(fd) != 0) {
      cli_error("%s: %s", path, strerror(errno));
      rc = EXIT_OUTPUT;
    }
    free(text);
  }
  if (rc == EXIT_FOUND && cli_verbosity >= 0)
    fprintf(stderr, "%s: %llu mappings of process %lld into %s: %llu bytes, %llu resident "
            "(the rest zero-filled)\n", cli_prog, (unsigned long long)files, (long long)id, dir,
            (unsigned long long)bytes, (unsigned long long)res);
  rc = cli_inputs_finish(&s, rc);
  if (rc == EXIT_VANISHED)
    cli_warn("the dump in %s is incomplete", dir);
  crvi_space_free(&s);
  return rc;
}
