/* SPDX-License-Identifier: MIT */
/* carver creds: credentials in HTTP requests and responses, header values, URLs and
 * base64(user:password) values among the carved str/bytes objects. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "creds/creds.h"
#include "carve_session.h"
#include "util/limits.h"

int cmd_creds(int argc, char **argv);

enum { OPT_MIN_CONFIDENCE = 256 };

static const struct cli_opt creds_own_opts[] = {
    {"min-confidence", 0, "LEVEL", "report credentials of at least LEVEL: low (default),"
     "\n                             medium or high", OPT_MIN_CONFIDENCE},
};
#define N_OWN (sizeof creds_own_opts / sizeof creds_own_opts[0])

static void creds_help(const struct cli_opt *opts, size_t n)
{
  printf("Usage: %s creds [OPTIONS] INPUT...\n"
         "Recover credentials from a process's memory: carve its str and bytes objects, live\n"
         "and freed, and look in each for HTTP request and response heads, header lines and\n"
         "header values (Authorization and Proxy-Authorization: Basic and Bearer, Cookie,\n"
         "Set-Cookie), URLs with user:password@, and values that are exactly the base64 of\n"
         "user:password. Identical credentials are merged, with a count and every address.\n\n"
         "INPUT is a directory of dump files, dump files, a core file or pid:PID, as for\n"
         "'%s scan'.\n\n"
         "Options:\n",
         cli_prog, cli_prog);
  cli_print_options(stdout, opts, n);
  printf("\nConfidence: high for a header line, request head or a value that is a URL;\n"
         "medium for a header value alone (\"Basic ...\") or a URL inside longer text; low for\n"
         "a value that is only base64(user:password) and for URLs on documentation hosts\n"
         "(example.com, .invalid, ...).\n"
         "Text output is a table; jsonl and msgpack carry meta, one \"credential\" record per\n"
         "credential and the summary (see README.md).\n"
         "Exit status 0 means credentials were found, 1 none.\n\n");
  cli_print_exit_codes(stdout);
}

struct feed {
  struct crv_creds *creds;
  crv_err err;
};

static int feed_object(void *user, const crv_object *o)
{
  struct feed *f = user;
  int r = crvi_creds_feed_object(f->creds, o);
  if (r == -CRV_ERR_NOMEM) {
    f->err = CRV_ERR_NOMEM;
    return 1; /* stop: nothing more could be kept */
  }
  return 0;
}

int cmd_creds(int argc, char **argv)
{
  struct cli_opt opts[SESSION_MAX_OPTS];
  size_t n_opts = session_opts_merge(opts, SESSION_MAX_OPTS, creds_own_opts, N_OWN);
  struct option longopts[SESSION_MAX_OPTS + 1];
  char shortopts[64];
  struct session_opts so;
  int min_conf = CRV_CONF_LOW, c;

  session_opts_init(&so);
  cli_build_getopt(opts, n_opts, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    if (c == OPT_MIN_CONFIDENCE) {
      min_conf = crvi_cred_confidence_parse(optarg);
      if (min_conf < 0) {
        cli_usage_error("creds ", "--min-confidence: '%s' is not low, medium or high", optarg);
        return EXIT_USAGE;
      }
      continue;
    }
    int r = session_parse_shared(&so, "creds ", c, optarg, argv[optind - 1]);
    if (r == SESSION_OPT_HELP) {
      creds_help(opts, n_opts);
      return EXIT_FOUND;
    }
    if (r == SESSION_OPT_USAGE)
      return EXIT_USAGE;
  }
  if (session_check(&so, "creds ", (size_t)(argc - optind)) != 0)
    return EXIT_USAGE;

  struct feed f = {0};
  crv_err e = crvi_creds_open(&f.creds);
  if (e != CRV_OK) {
    cli_error("credential patterns: %s", crv_strerror(e));
    return cli_exit_for(e);
  }
  struct session s;
  uint64_t written = 0;
  int rc = session_open(&s, &so, argv + optind, (size_t)(argc - optind));
  if (rc == EXIT_FOUND) {
    e = session_scan(&s, feed_object, &f, 1);
    if (f.err != CRV_OK && (e == CRV_OK || e == CRV_ERR_ABORTED))
      e = f.err;
    if (s.w && (e == CRV_OK || e == CRV_ERR_ABORTED)) {
      /* interrupted: the credentials found so far are still written */
      crvi_creds_finish(f.creds);
      crv_err we = crvi_creds_write(f.creds, s.w, min_conf, &written);
      if (we != CRV_OK)
        e = we;
    }
    struct crv_creds_stats st;
    crvi_creds_stats(f.creds, &st);
    if (st.dropped || st.over_cap)
      cli_warn("%llu credential occurrences not kept (more than %u distinct credentials, or "
               "fields longer than %u bytes)", (unsigned long long)(st.dropped + st.over_cap),
               CRV_CREDS_MAX_ENTRIES, CRV_CREDS_MAX_FIELD);
    if (cli_verbosity > 0)
      fprintf(stderr, "%s: %llu values examined (%llu truncated), %llu occurrences of %zu "
              "credentials, %llu candidates rejected, %llu match errors\n", cli_prog,
              (unsigned long long)st.values, (unsigned long long)st.truncated,
              (unsigned long long)st.occurrences, crvi_creds_count(f.creds),
              (unsigned long long)st.rejected, (unsigned long long)st.match_errors);
    rc = session_finish(&s, e, written, "credentials");
  }
  rc = session_close(&s, rc);
  crvi_creds_free(f.creds);
  return rc;
}
