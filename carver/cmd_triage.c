/* SPDX-License-Identifier: MIT */
/* carver triage: read findings streams back; summarize, filter and show them. */
#define _GNU_SOURCE /* O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "source/dumpname.h"
#include "triage/html.h"
#include "triage/out.h"
#include "triage/reader.h"
#include "triage/record.h"
#include "triage/summary.h"
#include "util/limits.h"

enum {
  OPT_OUTPUT = 'o', OPT_QUIET = 'q', OPT_HELP = 'h', OPT_GREP = 'e', OPT_ICASE = 'i',
  OPT_FORMAT = 256, OPT_HTML, OPT_FORCE, OPT_RECORD, OPT_TYPE, OPT_STATUS, OPT_REGION,
  OPT_MIN_LEN, OPT_MAX_LEN, OPT_TOP, OPT_MAX_RECORD,
};

#define IND "                             "
static const struct cli_opt triage_opts[] = {
    {"format", 0, "FMT", "summary, text, jsonl, csv, msgpack or summary-json (default:\n" IND
     "summary; text when a filter is given; with -o, from the\n" IND
     "extension .jsonl, .csv, .msgpack or .json)", OPT_FORMAT},
    {"output", 'o', "FILE", "write to FILE (created mode 0600; never overwritten\n" IND
     "without --force)", OPT_OUTPUT},
    {"html", 0, "FILE", "write a self-contained HTML report to FILE (then nothing\n" IND
     "goes to standard output unless --format or -o asks)", OPT_HTML},
    {"force", 0, NULL, "overwrite FILE; allow msgpack on a terminal", OPT_FORCE},
    {"record", 0, "LIST", "only records of these types (object, credential, ...)", OPT_RECORD},
    {"type", 0, "LIST", "only records whose type is listed (str, bytes, unicode)", OPT_TYPE},
    {"status", 0, "LIST", "only records whose status is listed (live, freed, unknown)",
     OPT_STATUS},
    {"region", 0, "TEXT", "only records whose region contains TEXT", OPT_REGION},
    {"grep", 'e', "REGEX", "only records whose value matches REGEX (PCRE2, UTF-8);\n" IND
     "records without a value: any of their text fields", OPT_GREP},
    {"ignore-case", 'i', NULL, "--grep ignores case", OPT_ICASE},
    {"min-length", 0, "N", "only records with a length of at least N (characters of\n" IND
     "text, bytes of bytes)", OPT_MIN_LEN},
    {"max-length", 0, "N", "only records with a length of at most N", OPT_MAX_LEN},
    {"top", 0, "N", "rows per summary table (default 20, at most 1000)", OPT_TOP},
    {"max-record", 0, "SIZE", "largest record read (default 33M, at most 513M); a\n" IND
     "larger one ends the usable stream", OPT_MAX_RECORD},
    {"quiet", 'q', NULL, "errors only on stderr", OPT_QUIET},
    {"help", 'h', NULL, "show this help and exit", OPT_HELP},
};
#define N_TRIAGE_OPTS (sizeof triage_opts / sizeof triage_opts[0])

enum tfmt { TF_NONE, TF_SUMMARY, TF_TEXT, TF_JSONL, TF_CSV, TF_MSGPACK, TF_SUMMARY_JSON };

static void triage_help(void)
{
  printf("Usage: %s triage [OPTIONS] FINDINGS...\n"
         "Read findings streams (carver scan --format msgpack) back: summarize, filter and\n"
         "show them. FINDINGS are msgpack files ('-' is standard input); several are merged.\n\n"
         "Options:\n",
         cli_prog);
  cli_print_options(stdout, triage_opts, N_TRIAGE_OPTS);
  printf("\nLISTs are comma-separated and the option may be repeated. Filters select data\n"
         "records (all but meta and summary) and combine with AND; the summary, the reports\n"
         "and every format show only what they select. Records without the field a filter\n"
         "looks at do not match it. Meta records are always kept in jsonl and msgpack\n"
         "output; summary records only when no filter is given.\n\n"
         "The summary lists what was scanned, object counts by type, status and region,\n"
         "credentials, then URLs, HTTP request lines and file paths found inside values, and\n"
         "the longest and most repeated values. A stream cut short or damaged yields every\n"
         "complete record before the damage, with a warning. Unknown record types and keys\n"
         "are passed through.\n\n"
         "Exit codes:\n"
         "  0    at least one data record selected\n"
         "  1    ran to completion, nothing selected (no data records, or no match)\n"
         "  2    usage error\n"
         "  3    an input could not be opened or read, or holds no complete record\n"
         "  5    output could not be written (disk full, file exists without --force)\n");
}

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int parse_format(const char *s, enum tfmt *out)
{
  static const struct {
    const char *name;
    enum tfmt f;
  } names[] = {{"summary", TF_SUMMARY}, {"text", TF_TEXT},       {"jsonl", TF_JSONL},
               {"csv", TF_CSV},         {"msgpack", TF_MSGPACK}, {"summary-json", TF_SUMMARY_JSON}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(s, names[i].name) == 0) {
      *out = names[i].f;
      return 0;
    }
  return -1;
}

/* Same file (an output must never be one of the inputs). */
static int same_file(const struct stat *a, const char *path)
{
  struct stat b;
  return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

struct input {
  const char *name;
  FILE *fp;
  struct stat st;
};

static void close_inputs(struct input *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (in[i].fp && in[i].fp != stdin)
      fclose(in[i].fp);
  free(in);
}

static void warn_end(const char *name, const struct crvi_trd_status *st)
{
  switch (st->end) {
  case CRVI_TRD_TRUNCATED:
    cli_warn("%s: the stream is cut short at byte %llu, inside a record of at least %llu bytes; "
             "using the %llu complete records before it",
             name, (unsigned long long)st->good_bytes, (unsigned long long)st->need,
             (unsigned long long)st->records);
    break;
  case CRVI_TRD_MALFORMED:
    cli_warn("%s: malformed record at byte %llu; using the %llu complete records before it",
             name, (unsigned long long)st->good_bytes, (unsigned long long)st->records);
    break;
  case CRVI_TRD_TOO_BIG:
    if (st->walk == CRVI_MPW_TOO_LONG)
      cli_warn("%s: the record at byte %llu is larger than the record size cap (%llu bytes at "
               "least; --max-record); using the %llu complete records before it",
               name, (unsigned long long)st->good_bytes, (unsigned long long)st->need,
               (unsigned long long)st->records);
    else
      cli_warn("%s: the record at byte %llu %s (%u objects, %u levels); using the %llu complete "
               "records before it",
               name, (unsigned long long)st->good_bytes, crvi_mpw_name(st->walk),
               CRV_TRIAGE_MAX_NODES, CRV_TRIAGE_MAX_DEPTH, (unsigned long long)st->records);
    break;
  case CRVI_TRD_READ_ERROR:
    cli_warn("%s: read error after byte %llu (%s); using the %llu complete records before it",
             name, (unsigned long long)st->bytes_read, strerror(st->err_no),
             (unsigned long long)st->records);
    break;
  case CRVI_TRD_NOMEM:
    cli_warn("%s: out of memory at byte %llu; using the %llu complete records before it", name,
             (unsigned long long)st->good_bytes, (unsigned long long)st->records);
    break;
  default:
    break;
  }
}

int cmd_triage(int argc, char **argv)
{
  struct option longopts[N_TRIAGE_OPTS + 1];
  char shortopts[64];
  const char *format = NULL, *out_path = NULL, *html_path = NULL, *grep = NULL;
  int force = 0, icase = 0, c;
  uint64_t top = CRV_TRIAGE_TOP_DEFAULT, max_record = CRV_TRIAGE_MAX_RECORD;
  uint64_t min_len = 0, max_len = 0;
  int has_min = 0, has_max = 0;
  struct crvi_filter filt;
  crvi_filter_init(&filt);

  cli_build_getopt(triage_opts, N_TRIAGE_OPTS, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    crv_err e = CRV_OK;
    const char *opt = NULL;
    switch (c) {
    case OPT_HELP: triage_help(); crvi_filter_free(&filt); return EXIT_FOUND;
    case OPT_FORMAT: format = optarg; break;
    case OPT_OUTPUT: out_path = optarg; break;
    case OPT_HTML: html_path = optarg; break;
    case OPT_FORCE: force = 1; break;
    case OPT_QUIET: cli_verbosity = -1; break;
    case OPT_ICASE: icase = 1; break;
    case OPT_GREP: grep = optarg; break;
    case OPT_RECORD:
      opt = "--record";
      e = crvi_filter_add_list(&filt, CRVI_FL_RECORD, optarg);
      break;
    case OPT_TYPE:
      opt = "--type";
      e = crvi_filter_add_list(&filt, CRVI_FL_TYPE, optarg);
      break;
    case OPT_STATUS:
      opt = "--status";
      e = crvi_filter_add_list(&filt, CRVI_FL_STATUS, optarg);
      break;
    case OPT_REGION: opt = "--region"; e = crvi_filter_set_region(&filt, optarg); break;
    case OPT_MIN_LEN:
    case OPT_MAX_LEN: {
      uint64_t v;
      if (crvi_parse_dec_u64(optarg, &v) != 0) {
        cli_usage_error("triage ", "%s: '%s' is not a number",
                        c == OPT_MIN_LEN ? "--min-length" : "--max-length", optarg);
        crvi_filter_free(&filt);
        return EXIT_USAGE;
      }
      if (c == OPT_MIN_LEN)
        has_min = 1, min_len = v;
      else
        has_max = 1, max_len = v;
      break;
    }
    case OPT_TOP:
      if (crvi_parse_dec_u64(optarg, &top) != 0 || top == 0 || top > CRV_TRIAGE_TOP_MAX) {
        cli_usage_error("triage ", "--top: '%s' is not a number between 1 and %u", optarg,
                        CRV_TRIAGE_TOP_MAX);
        crvi_filter_free(&filt);
        return EXIT_USAGE;
      }
      break;
    case OPT_MAX_RECORD:
      if (cli_parse_size(optarg, &max_record) != 0 || max_record < 1024 ||
          max_record > CRV_TRIAGE_MAX_RECORD_CEILING) {
        cli_usage_error("triage ", "--max-record: '%s' is not a size between 1K and 513M",
                        optarg);
        crvi_filter_free(&filt);
        return EXIT_USAGE;
      }
      break;
    case ':':
      cli_usage_error("triage ", "option '%s' needs an argument", argv[optind - 1]);
      crvi_filter_free(&filt);
      return EXIT_USAGE;
    default:
      cli_usage_error("triage ", "unknown option '%s'", argv[optind - 1]);
      crvi_filter_free(&filt);
      return EXIT_USAGE;
    }
    if (e != CRV_OK) {
      cli_usage_error("triage ", "%s: '%s': %s", opt, optarg,
                      e == CRV_ERR_LIMIT ? "too many names" : "an empty name");
      crvi_filter_free(&filt);
      return EXIT_USAGE;
    }
  }
  if (optind >= argc) {
    cli_usage_error("triage ", "no findings file given");
    crvi_filter_free(&filt);
    return EXIT_USAGE;
  }
  if (has_min && has_max && min_len > max_len) {
    cli_usage_error("triage ", "--min-length is larger than --max-length");
    crvi_filter_free(&filt);
    return EXIT_USAGE;
  }
  crvi_filter_set_length(&filt, has_min, min_len, has_max, max_len);
  if (grep) {
    char msg[256];
    if (crvi_filter_set_regex(&filt, grep, icase, msg, sizeof msg) != CRV_OK) {
      cli_usage_error("triage ", "--grep: '%s': %s", grep, msg);
      crvi_filter_free(&filt);
      return EXIT_USAGE;
    }
  } else if (icase) {
    cli_usage_error("triage ", "--ignore-case needs --grep");
    crvi_filter_free(&filt);
    return EXIT_USAGE;
  }

  enum tfmt fmt = TF_NONE;
  if (format && parse_format(format, &fmt) != 0) {
    cli_usage_error("triage ", "--format: '%s' is not summary, text, jsonl, csv, msgpack or "
                    "summary-json", format);
    crvi_filter_free(&filt);
    return EXIT_USAGE;
  }
  if (fmt == TF_NONE && out_path) {
    fmt = ends_with(out_path, ".jsonl")     ? TF_JSONL
          : ends_with(out_path, ".csv")     ? TF_CSV
          : ends_with(out_path, ".msgpack") ? TF_MSGPACK
          : ends_with(out_path, ".json")    ? TF_SUMMARY_JSON
                                            : TF_NONE;
  }
  if (fmt == TF_NONE && (out_path || !html_path))
    fmt = filt.active ? TF_TEXT : TF_SUMMARY;
  if (fmt == TF_MSGPACK && !out_path && isatty(STDOUT_FILENO) && !force) {
    cli_usage_error("triage ", "refusing to write msgpack to a terminal (use -o FILE or --force)");
    crvi_filter_free(&filt);
    return EXIT_USAGE;
  }
  if (out_path && html_path && strcmp(out_path, html_path) == 0) {
    cli_usage_error("triage ", "-o and --html name the same file");
    crvi_filter_free(&filt);
    return EXIT_USAGE;
  }

  /* Open every input first, so a typo fails before any output exists. */
  size_t n_in = (size_t)(argc - optind);
  struct input *in = calloc(n_in, sizeof *in);
  if (!in) {
    cli_error("%s", crv_strerror(CRV_ERR_NOMEM));
    crvi_filter_free(&filt);
    return EXIT_OUTPUT;
  }
  int rc = EXIT_FOUND, used_stdin = 0;
  for (size_t i = 0; i < n_in; i++) {
    const char *p = argv[optind + (int)i];
    in[i].name = p;
    if (strcmp(p, "-") == 0) {
      if (used_stdin++) {
        cli_usage_error("triage ", "standard input ('-') given twice");
        rc = EXIT_USAGE;
        goto out_inputs;
      }
      in[i].name = "(stdin)";
      in[i].fp = stdin;
      fstat(STDIN_FILENO, &in[i].st);
      continue;
    }
    in[i].fp = fopen(p, "rb");
    if (!in[i].fp) {
      cli_error("%s: %s", p, strerror(errno));
      rc = EXIT_SOURCE;
      goto out_inputs;
    }
    if (fstat(fileno(in[i].fp), &in[i].st) == 0 && S_ISDIR(in[i].st.st_mode)) {
      cli_error("%s: is a directory (give the findings files)", p);
      rc = EXIT_SOURCE;
      goto out_inputs;
    }
  }
  for (size_t i = 0; i < n_in; i++) {
    if (!S_ISREG(in[i].st.st_mode))
      continue;
    const char *outs[] = {out_path, html_path};
    for (size_t k = 0; k < 2; k++)
      if (outs[k] && same_file(&in[i].st, outs[k])) {
        cli_usage_error("triage ", "%s is also an input", outs[k]);
        rc = EXIT_USAGE;
        goto out_inputs;
      }
  }

  signal(SIGPIPE, SIG_IGN); /* a closed pipe becomes a write error, reported */
  FILE *out = NULL, *hf = NULL;
  struct crvi_tally tally;
  struct crvi_html html;
  struct crvi_tout o;
  int tally_ok = 0, tout_ok = 0;
  crvi_html_init(&html);
  if (fmt != TF_NONE) {
    out = out_path ? cli_open_output(out_path, force, NULL) : stdout;
    if (!out) {
      rc = EXIT_OUTPUT;
      goto done;
    }
  }
  if (html_path && !(hf = cli_open_output(html_path, force, NULL))) {
    rc = EXIT_OUTPUT;
    goto done;
  }
  crv_err e = crvi_tally_init(&tally, (size_t)top);
  if (e != CRV_OK) {
    cli_error("%s", crv_strerror(e));
    rc = EXIT_OUTPUT;
    goto done;
  }
  tally_ok = 1;
  int streamed = fmt == TF_TEXT || fmt == TF_JSONL || fmt == TF_CSV || fmt == TF_MSGPACK;
  if (streamed) {
    crvi_tout_init(&o, out);
    tout_ok = 1;
  }
  int csv_header = 0; /* written before the first row, or at the end when there is none */

  uint64_t usable_inputs = 0;
  for (size_t i = 0; i < n_in && !(tout_ok && o.failed); i++) {
    struct crvi_trd *rd;
    struct crvi_trd_status st;
    if ((e = crvi_tally_begin_input(&tally, in[i].name)) != CRV_OK ||
        (e = crvi_trd_open(&rd, in[i].fp, max_record)) != CRV_OK) {
      cli_error("%s", crv_strerror(e));
      rc = EXIT_OUTPUT;
      goto done;
    }
    const msgpack_object *m;
    while (crvi_trd_next(rd, &m, NULL)) {
      struct crvi_rec r;
      crvi_rec_view(&r, m);
      int data = r.kind != CRVI_REC_META && r.kind != CRVI_REC_SUMMARY;
      int sel = crvi_filter_match(&filt, &r);
      if ((e = crvi_tally_record(&tally, &r, sel)) != CRV_OK) {
        crvi_trd_close(rd);
        cli_error("%s", crv_strerror(e));
        rc = EXIT_OUTPUT;
        goto done;
      }
      if (hf && data && sel)
        crvi_html_record(&html, &r);
      if (!streamed)
        continue;
      /* jsonl and msgpack keep the meta records (context), and the summaries when the
       * records are not filtered; text and csv show data records only. */
      int keep = data ? sel
                      : (fmt == TF_JSONL || fmt == TF_MSGPACK) &&
                            (r.kind == CRVI_REC_META || !filt.active);
      if (!keep)
        continue;
      if (fmt == TF_JSONL) {
        crvi_emit_jsonl(&o, m);
      } else if (fmt == TF_CSV) {
        if (!csv_header++)
          crvi_emit_csv_header(&o);
        crvi_emit_csv(&o, in[i].name, &r);
      } else if (fmt == TF_TEXT) {
        crvi_emit_text(&o, &r);
      } else {
        const uint8_t *raw;
        size_t n;
        crvi_trd_raw(rd, &raw, &n);
        crvi_tout_flush(&o, 1);
        if (!o.failed && n && fwrite(raw, 1, n, o.fp) != n)
          o.failed = 1;
      }
      if (o.failed)
        break;
    }
    crvi_trd_status(rd, &st);
    crvi_trd_close(rd);
    crvi_tally_end_input(&tally, &st);
    warn_end(in[i].name, &st);
    if (st.records)
      usable_inputs++;
    else if (n_in > 1)
      cli_warn("%s: no complete record", in[i].name);
  }
  if (!usable_inputs) { /* nothing to report: no output at all */
    cli_error("no input holds a complete findings record");
    rc = EXIT_SOURCE;
    goto done;
  }
  if (fmt == TF_CSV && !csv_header)
    crvi_emit_csv_header(&o);
  if (tout_ok) {
    tout_ok = 0;
    if (crvi_tout_finish(&o) != CRV_OK) {
      cli_error("%s: %s", out_path ? out_path : "standard output", crv_strerror(CRV_ERR_OUTPUT));
      rc = EXIT_OUTPUT;
      goto done;
    }
  }
  if (filt.match_errors)
    cli_warn("--grep: %llu values hit the PCRE2 match limit and were taken as no match",
             (unsigned long long)filt.match_errors);
  crvi_tally_finish(&tally);
  if (fmt == TF_SUMMARY || fmt == TF_SUMMARY_JSON) {
    e = fmt == TF_SUMMARY ? crvi_report_text(&tally, out) : crvi_report_json(&tally, out);
    if (e != CRV_OK) {
      cli_error("%s: %s", out_path ? out_path : "standard output", crv_strerror(e));
      rc = EXIT_OUTPUT;
      goto done;
    }
  }
  if (hf && (e = crvi_html_write(&html, &tally, hf)) != CRV_OK) {
    cli_error("%s: %s", html_path, crv_strerror(e));
    rc = EXIT_OUTPUT;
    goto done;
  }
  rc = tally.selected ? EXIT_FOUND : EXIT_NOTHING;

done:
  if (tout_ok)
    crvi_tout_finish(&o);
  if (tally_ok)
    crvi_tally_free(&tally);
  crvi_html_free(&html);
  if (out && out != stdout && fclose(out) != 0 && rc != EXIT_OUTPUT) {
    cli_error("%s: %s", out_path, strerror(errno));
    rc = EXIT_OUTPUT;
  }
  if (out == stdout && fflush(stdout) != 0 && rc != EXIT_OUTPUT) {
    cli_error("standard output: %s", strerror(errno));
    rc = EXIT_OUTPUT;
  }
  if (hf && fclose(hf) != 0 && rc != EXIT_OUTPUT) {
    cli_error("%s: %s", html_path, strerror(errno));
    rc = EXIT_OUTPUT;
  }
out_inputs:
  close_inputs(in, n_in);
  crvi_filter_free(&filt);
  return rc;
}
