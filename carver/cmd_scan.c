/* SPDX-License-Identifier: MIT */
/* carver scan: carve str/bytes objects from dump files, cores and live processes. The
 * shared sequence (inputs, interpreter, version, key, writer) is carve_session.c; this
 * file writes every object and, with --creds, the credentials found in them. */
#include <string.h>
#include "carve_session.h"
#include "creds/creds.h"

enum { OPT_CREDS = 256, OPT_WKDM };

static const struct cli_opt scan_own_opts[] = {
    {"creds", 0, NULL, "also report the credentials found in the objects (as 'carver creds'"
     "\n                             does), after the objects", OPT_CREDS},
    {"wkdm", 0, NULL, "the INPUTs are WKdm-compressed page blobs, e.g. Rekall's"
     "\n                             segmentN/slotM.dmp (see 'carver wkdm scan --help')", OPT_WKDM},
};
#define N_OWN (sizeof scan_own_opts / sizeof scan_own_opts[0])

static void scan_help(const struct cli_opt *opts, size_t n)
{
  printf("Usage: %s scan [OPTIONS] INPUT...\n"
         "Carve CPython str and bytes objects, live and freed, from a process's memory.\n\n"
         "INPUT is a directory of dump files, dump files, an ELF core file, or pid:PID (a\n"
         "live process, read without stopping it). Dump files are Volatility 2\n"
         "linux_dump_map (task.PID.0xSTART.vma) or Volatility 3 linux.proc.Maps --dump\n"
         "(pid.PID.vma.0xSTART-0xEND.dmp) files, or 'carver dump' output; a file with any\n"
         "other name needs --base ADDR. All inputs form one address space.\n\n"
         "Options:\n",
         cli_prog);
  cli_print_options(stdout, opts, n);
  printf("\nThe interpreter is recognised from its type objects (PyType_Type, str, bytes), or\n"
         "from its ELF symbols for live processes and cores; its version from\n"
         "_Py_DebugOffsets (3.13+), the Py_GetVersion() text or file names. The hash key is\n"
         "taken from --hash-key/--hash-seed, the process's symbols or environment, or found\n"
         "in the memory itself; objects whose cached hash disagrees are dropped unless\n"
         "--keep-unverified. Freed values over 512 bytes whose header malloc overwrote are\n"
         "recovered when their remaining fields prove them (header \"clobbered\").\n\n");
  cli_print_exit_codes(stdout);
}

struct emit {
  struct session *s;
  struct crv_creds *creds; /* NULL without --creds */
  crv_err err;
};

static int emit_object(void *user, const crv_object *o)
{
  struct emit *em = user;
  if (em->err == CRV_OK)
    em->err = crvi_writer_object(em->s->w, o);
  if (em->err == CRV_OK && em->creds && crvi_creds_feed_object(em->creds, o) == -CRV_ERR_NOMEM)
    em->err = CRV_ERR_NOMEM;
  return em->err != CRV_OK; /* stop on a write error: nothing more could be saved */
}

int cmd_wkdm_scan(int argc, char **argv); /* cmd_wkdm.c */

int cmd_scan(int argc, char **argv)
{
  /* Compressed pages have no addresses of their own: their own driver carves them. */
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--wkdm") == 0)
      return cmd_wkdm_scan(argc, argv);

  struct cli_opt opts[SESSION_MAX_OPTS];
  size_t n_opts = session_opts_merge(opts, SESSION_MAX_OPTS, scan_own_opts, N_OWN);
  struct option longopts[SESSION_MAX_OPTS + 1];
  char shortopts[64];
  struct session_opts so;
  int want_creds = 0, c;

  session_opts_init(&so);
  cli_build_getopt(opts, n_opts, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    if (c == OPT_CREDS) {
      want_creds = 1;
      continue;
    }
    if (c == OPT_WKDM)
      continue; /* handled above */
    int r = session_parse_opt(&so, "scan ", c, optarg, argv[optind - 1]);
    if (r == SESSION_OPT_HELP) {
      scan_help(opts, n_opts);
      return EXIT_FOUND;
    }
    if (r == SESSION_OPT_USAGE)
      return EXIT_USAGE;
    if (r == SESSION_OPT_NOT_MINE) {
      cli_usage_error("scan ", "unknown option '%s'", argv[optind - 1]);
      return EXIT_USAGE;
    }
  }
  if (session_check(&so, "scan ", (size_t)(argc - optind)) != 0)
    return EXIT_USAGE;

  struct session s;
  struct emit em = {.s = &s};
  crv_err e;
  if (want_creds && (e = crvi_creds_open(&em.creds)) != CRV_OK) {
    cli_error("credential patterns: %s", crv_strerror(e));
    return cli_exit_for(e);
  }
  int rc = session_open(&s, &so, argv + optind, (size_t)(argc - optind));
  if (rc == EXIT_FOUND) {
    e = session_scan(&s, emit_object, &em, want_creds);
    if (em.err != CRV_OK && (e == CRV_OK || e == CRV_ERR_ABORTED))
      e = em.err;
    if (em.creds && s.w && (e == CRV_OK || e == CRV_ERR_ABORTED)) {
      crvi_creds_finish(em.creds); /* interrupted: the credentials so far are written too */
      crv_err we = crvi_creds_write(em.creds, s.w, CRV_CONF_LOW, NULL);
      if (we != CRV_OK)
        e = we;
    }
    rc = session_finish(&s, e, s.sum.objects, "objects");
  }
  rc = session_close(&s, rc);
  crvi_creds_free(em.creds);
  return rc;
}
