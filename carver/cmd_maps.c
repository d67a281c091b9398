/* SPDX-License-Identifier: MIT */
/* carver maps: the readable regions of a process (or a core, or dump files), the distinct
 * files it maps, and what its interpreter's ELF file says (the hints scan uses). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "inputs.h"
#include "out/textenc.h"
#include "source/pid.h"

enum { OPT_HELP = 'h', OPT_QUIET = 'q', OPT_VERBOSE = 'v', OPT_PID = 256, OPT_MAPS };

static const struct cli_opt maps_opts[] = {
    {"pid", 0, "PID", "the live process PID (also: INPUT pid:PID)", OPT_PID},
    {"maps", 0, "FILE", "copy of /proc/PID/maps for dump files (default: DIR/maps)", OPT_MAPS},
    {"quiet", 'q', NULL, "errors only on stderr", OPT_QUIET},
    {"verbose", 'v', NULL, "also list unreadable and left-out mappings", OPT_VERBOSE},
    {"help", 'h', NULL, "show this help and exit", OPT_HELP},
};
#define N_MAPS_OPTS (sizeof maps_opts / sizeof maps_opts[0])

static void maps_help(void)
{
  printf("Usage: %s maps (--pid PID | INPUT...)\n"
         "List the readable regions of a live process (or of a core file or dump files):\n"
         "start, end, permissions, resident bytes and mapped file; then the distinct files\n"
         "it maps, and the interpreter found among them with the addresses its .dynsym\n"
         "gives (PyType_Type, str, bytes, _Py_HashSecret) and PYTHONHASHSEED.\n"
         "The process keeps running; nothing is read from non-resident pages.\n\n"
         "Options:\n",
         cli_prog);
  cli_print_options(stdout, maps_opts, N_MAPS_OPTS);
  printf("\n");
  cli_print_exit_codes(stdout);
}

/* A path or name from the target, safe for a terminal. */
static void put_safe(const char *s)
{
  crvi_buf b;
  crvi_buf_init(&b, 1u << 16);
  crvi_repr_utf8(&b, (const uint8_t *)s, strlen(s), 4096);
  fputs(b.p ? b.p : "", stdout);
  crvi_buf_free(&b);
}

/* Bytes the dump files hold for [start, end) (a maps copy says nothing about residency). */
static uint64_t in_dumps(const struct crv_space *s, uint64_t start, uint64_t end)
{
  uint64_t t = 0;
  for (size_t i = crvi_space_index(s, start); i < s->n && s->r[i].start < end; i++) {
    const struct crv_region *r = &s->r[i];
    uint64_t a = r->start > start ? r->start : start;
    uint64_t b = r->start + r->present < end ? r->start + r->present : end;
    if (r->present && b > a)
      t += b - a;
  }
  return t;
}

static int listed(const struct crv_space *s, size_t i)
{
  for (size_t j = 0; j < i; j++)
    if (s->maps[j].path && strcmp(s->maps[j].path, s->maps[i].path) == 0)
      return 1;
  return 0;
}

int cmd_maps(int argc, char **argv)
{
  struct option longopts[N_MAPS_OPTS + 1];
  char shortopts[32];
  int64_t pid = 0;
  const char *maps_path = NULL;
  int c;
  cli_build_getopt(maps_opts, N_MAPS_OPTS, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    switch (c) {
    case OPT_HELP: maps_help(); return EXIT_FOUND;
    case OPT_QUIET: cli_verbosity = -1; break;
    case OPT_VERBOSE: cli_verbosity++; break;
    case OPT_MAPS: maps_path = optarg; break;
    case OPT_PID:
      if (cli_parse_pid(optarg, &pid) != 0) {
        cli_usage_error("maps ", "--pid: '%s' is not a process id", optarg);
        return EXIT_USAGE;
      }
      break;
    case ':':
      cli_usage_error("maps ", "option '%s' needs an argument", argv[optind - 1]);
      return EXIT_USAGE;
    default:
      cli_usage_error("maps ", "unknown option '%s'", argv[optind - 1]);
      return EXIT_USAGE;
    }
  }
  if (optind >= argc && !pid) {
    cli_usage_error("maps ", "no process given (--pid PID)");
    return EXIT_USAGE;
  }
  int verbose = cli_verbosity > 0;
  if (verbose)
    cli_verbosity = 0; /* -v here lists more mappings, not the detection steps */
  struct crv_space s;
  struct cli_inputs in = {.paths = argv + optind, .n_paths = (size_t)(argc - optind),
                          .maps_path = maps_path, .pid = pid};
  crvi_space_init(&s);
  s.warn = space_warn;
  crv_err e = cli_open_inputs(&s, &in);
  if (e != CRV_OK) {
    int rc = cli_space_error(&s, e);
    crvi_space_free(&s);
    return rc;
  }
  if (s.pid >= 0) {
    printf("process %lld", (long long)s.pid);
    if (s.comm[0]) {
      printf(" (");
      put_safe(s.comm);
      printf(")");
    }
    if (s.args[0]) {
      printf(": ");
      put_safe(s.args);
    }
    printf("\n");
  }
  printf("%-33s %-5s %12s %12s %12s  %s\n", "region", "perms", "size", "resident", "from-file",
         "path");
  uint64_t total = 0, total_res = 0, total_file = 0;
  for (size_t i = 0; i < s.n_maps; i++) {
    const struct crv_map *m = &s.maps[i];
    int readable = (m->prot & CRV_PROT_R) && !(m->prot & CRV_PROT_UNKNOWN) &&
                   !(m->path && crvi_proc_skip_path(m->path, strlen(m->path)));
    if (!readable && !verbose)
      continue;
    uint64_t res = !readable ? 0 : s.proc || s.core_fd >= 0 ? m->resident
                                                          : in_dumps(&s, m->start, m->end);
    char perms[5] = "----";
    if (m->prot & CRV_PROT_UNKNOWN) {
      memcpy(perms, "????", 4);
    } else {
      perms[0] = (m->prot & CRV_PROT_R) ? 'r' : '-';
      perms[1] = (m->prot & CRV_PROT_W) ? 'w' : '-';
      perms[2] = (m->prot & CRV_PROT_X) ? 'x' : '-';
      perms[3] = (m->prot & CRV_PROT_SHARED) ? 's' : 'p';
    }
    printf("%016llx-%016llx %-5s %12llu %12llu %12llu  ", (unsigned long long)m->start,
           (unsigned long long)m->end, perms, (unsigned long long)(m->end - m->start),
           (unsigned long long)res, (unsigned long long)(readable ? m->from_file : 0));
    put_safe(m->path ? m->path : "");
    printf("%s\n", readable ? "" : "   (not read)");
    if (readable) {
      total += m->end - m->start;
      total_res += res;
      total_file += m->from_file;
    }
  }
  printf("readable: %llu bytes: %llu resident, %llu from mapped files (never written), the "
         "rest zeros (holes)\n", (unsigned long long)total, (unsigned long long)total_res,
         (unsigned long long)total_file);
  if (s.proc) {
    char link[64], exe[4096];
    snprintf(link, sizeof link, "/proc/%lld/exe", (long long)s.pid);
    ssize_t l = readlink(link, exe, sizeof exe - 1);
    exe[l > 0 ? l : 0] = '\0';
    printf("executable: ");
    put_safe(l > 0 ? exe : "?");
    printf("\n");
  }
  for (int pass = 0; pass < 2; pass++) {
    printf("%s:\n", pass == 0 ? "libraries" : "other mapped files");
    for (size_t i = 0; i < s.n_maps; i++) {
      const struct crv_map *m = &s.maps[i];
      if (!m->path || m->path[0] != '/' || listed(&s, i))
        continue;
      const char *b = strrchr(m->path, '/') + 1;
      if ((pass == 0) != (strstr(b, ".so") != NULL))
        continue;
      printf("  ");
      put_safe(m->path);
      printf("\n");
    }
  }
  const struct crv_hints *h = &s.hints;
  if (h->have_types) {
    printf("interpreter: ");
    put_safe(h->interpreter);
    printf(" (matched by %s, load base 0x%llx)\n", h->verified, (unsigned long long)h->load_base);
    printf("  version: %s%s%s%s\n", h->version[0] ? h->version : "unknown",
           h->version_full[0] ? " (" : "", h->version_full, h->version_full[0] ? ")" : "");
    printf("  pointer size: %u\n", h->ptr_size);
    printf("  PyType_Type: 0x%llx\n", (unsigned long long)h->type_type);
    printf("  %s type: 0x%llx\n", h->py2 ? "unicode" : "str", (unsigned long long)h->text_type);
    printf("  %s type: 0x%llx\n", h->py2 ? "str" : "bytes", (unsigned long long)h->bytes_type);
    if (h->hash_secret_addr) {
      printf("  _Py_HashSecret: 0x%llx", (unsigned long long)h->hash_secret_addr);
      if (h->have_key) {
        printf(" = ");
        for (unsigned k = 0; k < h->hash_secret_len; k++)
          printf("%02x", h->hash_secret[k]);
      } else {
        printf(" (not readable)");
      }
      printf("\n");
    }
  } else {
    printf("interpreter: none found\n");
  }
  if (s.proc) {
    if (h->have_seed)
      printf("  PYTHONHASHSEED: %u\n", h->seed);
    else
      printf("  PYTHONHASHSEED: %s\n", h->seed_random ? "unset or random" : "unknown");
  }
  int rc = cli_inputs_finish(&s, EXIT_FOUND);
  crvi_space_free(&s);
  return rc;
}
