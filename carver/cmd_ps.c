/* SPDX-License-Identifier: MIT */
/* carver ps: processes running CPython, with the interpreter they really map, flagging
 * those whose name (comm) or argv[0] hides it. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "inputs.h"
#include "out/textenc.h"
#include "source/proclist.h"

enum { OPT_HELP = 'h', OPT_QUIET = 'q', OPT_FORMAT = 256, OPT_PID };

static const struct cli_opt ps_opts[] = {
    {"format", 0, "FMT", "text (default) or jsonl", OPT_FORMAT},
    {"pid", 0, "PID", "look at this process only", OPT_PID},
    {"quiet", 'q', NULL, "errors only on stderr", OPT_QUIET},
    {"help", 'h', NULL, "show this help and exit", OPT_HELP},
};
#define N_PS_OPTS (sizeof ps_opts / sizeof ps_opts[0])

static void ps_help(void)
{
  printf("Usage: %s ps [OPTIONS]\n"
         "List the processes running CPython: those that map an ELF file exporting\n"
         "PyUnicode_Type or Py_GetVersion, whatever it is called. For each: PID, the CPython\n"
         "version, FLAG '!' when comm or argv[0] do not name the interpreter (renamed with\n"
         "prctl(PR_SET_NAME), exec -a or setproctitle), comm, executable, libpython (shared\n"
         "builds) and command line. Processes whose mappings may not be read are counted on\n"
         "stderr. Exit status 0 when some process runs CPython, 1 when none does.\n\n"
         "Options:\n",
         cli_prog);
  cli_print_options(stdout, ps_opts, N_PS_OPTS);
  printf("\n");
  cli_print_exit_codes(stdout);
}

struct ps_out {
  int jsonl;
  crvi_buf b;
};

static void safe(crvi_buf *b, const char *s, size_t max)
{
  crvi_repr_utf8(b, (const uint8_t *)s, strlen(s), max);
}

static void json_str(crvi_buf *b, const char *key, const char *v, int null_if_empty)
{
  crvi_buf_printf(b, ",\"%s\":", key);
  if (null_if_empty && !v[0]) {
    crvi_buf_puts(b, "null");
    return;
  }
  size_t pos = 0, n = strlen(v);
  crvi_buf_putc(b, '"');
  while (pos < n && b->err == CRV_OK)
    crvi_json_utf8_step(b, (const uint8_t *)v, n, 0, &pos, SIZE_MAX);
  crvi_buf_putc(b, '"');
}

static void on_proc(void *user, const struct crv_procinfo *p)
{
  struct ps_out *o = user;
  crvi_buf *b = &o->b;
  crvi_buf_reset(b);
  if (o->jsonl) {
    crvi_buf_printf(b, "{\"pid\":%lld", (long long)p->pid);
    json_str(b, "python", p->version, 1);
    json_str(b, "python_full", p->version_full, 1);
    json_str(b, "comm", p->comm, 0);
    json_str(b, "argv0", p->argv0, 0);
    json_str(b, "cmdline", p->cmdline, 0);
    json_str(b, "exe", p->exe, 1);
    json_str(b, "interpreter", p->interpreter, 0);
    json_str(b, "libpython", p->libpython, 1);
    crvi_buf_printf(b, ",\"ptr_size\":%u,\"disguised\":%s", p->ptr_size,
                    p->disguised ? "true" : "false");
    json_str(b, "why", p->why, 1);
    crvi_buf_puts(b, "}\n");
  } else {
    const char *ver = p->version_full[0] ? p->version_full : p->version[0] ? p->version : "?";
    crvi_buf_printf(b, "%7lld %-8s %-4s ", (long long)p->pid, ver, p->disguised ? "!" : "");
    size_t at = b->len;
    safe(b, p->comm, 16);
    while (b->len < at + 16)
      crvi_buf_putc(b, ' ');
    crvi_buf_putc(b, ' ');
    safe(b, p->exe[0] ? p->exe : "?", 200);
    crvi_buf_putc(b, ' ');
    safe(b, p->libpython[0] ? p->libpython : "-", 200);
    crvi_buf_putc(b, ' ');
    safe(b, p->cmdline, 200);
    crvi_buf_putc(b, '\n');
    if (p->disguised) {
      crvi_buf_puts(b, "        ! ");
      safe(b, p->why, 300);
      crvi_buf_puts(b, " (the interpreter is ");
      safe(b, p->interpreter, 300);
      crvi_buf_puts(b, ")\n");
    }
  }
  if (b->p)
    fputs(b->p, stdout);
}

int cmd_ps(int argc, char **argv)
{
  struct option longopts[N_PS_OPTS + 1];
  char shortopts[32];
  int64_t pid = 0;
  struct ps_out o = {0};
  int c;
  cli_build_getopt(ps_opts, N_PS_OPTS, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    switch (c) {
    case OPT_HELP: ps_help(); return EXIT_FOUND;
    case OPT_QUIET: cli_verbosity = -1; break;
    case OPT_FORMAT:
      if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "json") == 0) {
        o.jsonl = 1;
      } else if (strcmp(optarg, "text") != 0) {
        cli_usage_error("ps ", "--format: '%s' is not text or jsonl", optarg);
        return EXIT_USAGE;
      }
      break;
    case OPT_PID:
      if (cli_parse_pid(optarg, &pid) != 0) {
        cli_usage_error("ps ", "--pid: '%s' is not a process id", optarg);
        return EXIT_USAGE;
      }
      break;
    case ':':
      cli_usage_error("ps ", "option '%s' needs an argument", argv[optind - 1]);
      return EXIT_USAGE;
    default:
      cli_usage_error("ps ", "unknown option '%s'", argv[optind - 1]);
      return EXIT_USAGE;
    }
  }
  if (optind < argc) {
    cli_usage_error("ps ", "unexpected argument '%s'", argv[optind]);
    return EXIT_USAGE;
  }
  crvi_buf_init(&o.b, 1u << 20);
  if (!o.jsonl)
    printf("%7s %-8s %-4s %-16s %s %s %s\n", "PID", "PYTHON", "FLAG", "COMM", "EXE",
           "LIBPYTHON", "CMDLINE");
  struct crv_proclist_stats st;
  crvi_proclist(pid, on_proc, &o, &st);
  crvi_buf_free(&o.b);
  if (fflush(stdout) != 0) {
    cli_error("writing standard output failed");
    return EXIT_OUTPUT;
  }
  if (st.unreadable)
    cli_warn("%u of %u processes could not be inspected (no permission to read their "
             "mappings%s)", st.unreadable, st.processes,
             geteuid() == 0 ? ": protected even from root here" : ": run as root");
  return st.python ? EXIT_FOUND : EXIT_NOTHING;
}
