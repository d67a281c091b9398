/* SPDX-License-Identifier: MIT */
/* carver grep: regular expressions over carved str/bytes values (decoded text), or over
 * the raw bytes of every readable region (--raw), or hex byte sequences (--hex). */
#define _POSIX_C_SOURCE 200809L /* fileno */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "search/grep.h"
#include "search/record.h"
#include "search/search.h"
#include "carve_session.h"
#include "source/dumpname.h"
#include "util/limits.h"

int cmd_grep(int argc, char **argv);

enum {
  OPT_REGEXP = 'e', OPT_FILE = 'f', OPT_ICASE = 'i', OPT_CONTEXT = 'C', OPT_MAX_COUNT = 'm',
  OPT_RAW = 256, OPT_HEX, OPT_LIBRARY, OPT_MAX_MATCH, OPT_MAX_TEXT, OPT_NO_JIT,
};

#define IND "\n                             "
static const struct cli_opt grep_own_opts[] = {
    {"regexp", 'e', "PATTERN", "a pattern (repeat for several); without -e and -f the first"
     IND "argument is the pattern", OPT_REGEXP},
    {"file", 'f', "FILE", "patterns from FILE, one per line (empty lines are skipped)",
     OPT_FILE},
    {"ignore-case", 'i', NULL, "regular expressions ignore case (Unicode case folding on"
     IND "text values)", OPT_ICASE},
    {"raw", 0, NULL, "search the bytes of every readable region instead of carved"
     IND "values (no interpreter needed)", OPT_RAW},
    {"hex", 0, NULL, "patterns are hex bytes (implies --raw): '48 8b ?? 30', nibbles"
     IND "'4?' '?f', jumps '[4]' '[2-8]', alternatives '( 41 | 42 43 )'", OPT_HEX},
    {"library", 0, "REGEX", "with --raw: only regions whose mapping path matches REGEX",
     OPT_LIBRARY},
    {"context", 'C', "N", "characters (text) or bytes of context on each side (default 32;"
     IND "0: none)", OPT_CONTEXT},
    {"max-count", 'm', "N", "stop after N matches", OPT_MAX_COUNT},
    {"max-match", 0, "SIZE", "with --raw: matches up to SIZE bytes are exact at any chunk"
     IND "size; longer ones are cut there (default 64K)", OPT_MAX_MATCH},
    {"max-text", 0, "N", "characters (text) or bytes of a match written to its record"
     IND "(default 4096); 'length' always tells the whole match", OPT_MAX_TEXT},
    {"no-jit", 0, NULL, "run PCRE2's interpreter even when JIT is available", OPT_NO_JIT},
};
#define N_OWN (sizeof grep_own_opts / sizeof grep_own_opts[0])

static void grep_help(const struct cli_opt *opts, size_t n)
{
  printf("Usage: %s grep [OPTIONS] PATTERN INPUT...\n"
         "       %s grep [OPTIONS] -e PATTERN... | -f FILE  INPUT...\n"
         "Search a process's memory with PCRE2 regular expressions.\n\n"
         "By default the str and bytes objects are carved first (as '%s scan' does) and\n"
         "every value is searched: text values (str, unicode) as text, whatever their kind\n"
         "(latin-1, UCS-2 and UCS-4 strings all match as UTF-8 text, \\w and -i follow\n"
         "Unicode), bytes values as bytes. With --raw the bytes of every readable region\n"
         "are searched instead, and addresses are the virtual addresses of the matches.\n\n"
         "INPUT is a directory of dump files, dump files, a core file or pid:PID, as for\n"
         "'%s scan'.\n\n"
         "Options:\n",
         cli_prog, cli_prog, cli_prog, cli_prog);
  cli_print_options(stdout, opts, n);
  printf("\nEach match is a \"match\" record: pattern, addr (the object's address; with --raw\n"
         "the match's own address), type (str, bytes, unicode, or raw), status, region,\n"
         "offset of the match in the value (characters for text, bytes otherwise; with\n"
         "--raw in the region), length, text, and the context before and after it.\n"
         "Matches of one pattern do not overlap; empty matches are not reported.\n"
         "Exit status 0 means something matched, 1 nothing.\n\n");
  cli_print_exit_codes(stdout);
}

struct grep {
  struct session *s;
  struct crvi_search *srch;
  struct crvi_search *lib;    /* --library */
  struct crvi_rec *rec;
  int raw, hex, icase;
  uint64_t context, max_count, max_text, max_match;
  uint64_t matches;
  uint64_t *by_pattern;
  uint64_t objects, by_type[CRV_OBJ_TYPE_COUNT], limited;
  struct crvi_stream_stats st;
  uint64_t regions;
  int count_reached;
  crv_err err;
  crvi_buf scratch;           /* UTF-8 subject of a text value */
  uint8_t *ctx;               /* raw: bytes read around a match */
  size_t ctx_cap;
  const struct crv_region *region;
};

/* Bytes of the first max code points of UTF-8 s[0..n). */
static size_t utf8_prefix(const uint8_t *s, size_t n, uint64_t max)
{
  size_t i = 0;
  uint64_t cps = 0;
  while (i < n) {
    if ((s[i] & 0xC0) != 0x80) {
      if (cps == max)
        break;
      cps++;
    }
    i++;
  }
  return i;
}

/* Start of the last max code points before s[end]. */
static size_t utf8_back(const uint8_t *s, size_t end, uint64_t max)
{
  size_t i = end;
  uint64_t cps = 0;
  while (i > 0 && cps < max) {
    i--;
    if ((s[i] & 0xC0) != 0x80)
      cps++;
  }
  return i;
}

static int on_value_match(void *user, const crv_object *o, const struct crvi_value_match *m)
{
  struct grep *g = user;
  struct crvi_rec *r = g->rec;
  crvi_rec_begin(r, "match");
  crvi_rec_str(r, "pattern", crvi_search_pattern(g->srch, m->pat));
  crvi_rec_addr(r, "addr", o->addr);
  crvi_rec_str(r, "type", crv_obj_type_name(o->type));
  crvi_rec_str(r, "status", crv_status_name(o->status));
  crvi_rec_str(r, "region", o->region);
  crvi_rec_u64(r, "offset", m->offset);
  crvi_rec_u64(r, "length", m->length);
  crvi_rec_u64(r, "value_length", o->length);
  const uint8_t *s = m->subj;
  if (m->text) {
    size_t cut = utf8_prefix(s + m->ms, m->me - m->ms, g->max_text);
    crvi_rec_utf8(r, "text", s + m->ms, cut);
    if (m->ms + cut < m->me)
      crvi_rec_bool(r, "text_truncated", 1);
    if (g->context) {
      size_t b = utf8_back(s, m->ms, g->context);
      size_t a = utf8_prefix(s + m->me, m->subj_len - m->me, g->context);
      crvi_rec_utf8(r, "before", s + b, m->ms - b);
      crvi_rec_utf8(r, "after", s + m->me, a);
    }
  } else {
    size_t len = m->me - m->ms, cut = len > g->max_text ? (size_t)g->max_text : len;
    crvi_rec_bytes(r, "text", s + m->ms, cut);
    if (cut < len)
      crvi_rec_bool(r, "text_truncated", 1);
    if (g->context) {
      size_t b = m->ms > g->context ? m->ms - (size_t)g->context : 0;
      size_t a = m->subj_len - m->me > g->context ? (size_t)g->context : m->subj_len - m->me;
      crvi_rec_bytes(r, "before", s + b, m->ms - b);
      crvi_rec_bytes(r, "after", s + m->me, a);
    }
  }
  crv_err e = crvi_rec_end(r);
  if (e != CRV_OK) {
    g->err = e;
    return 1;
  }
  g->matches++;
  g->by_pattern[m->pat]++;
  if (g->max_count && g->matches >= g->max_count) {
    g->count_reached = 1;
    return 1;
  }
  return 0;
}

static int on_object(void *user, const crv_object *o)
{
  struct grep *g = user;
  if (!g->rec) { /* session_scan opened the writer just before the scan */
    g->err = crvi_rec_open(&g->rec, g->s->w, g->s->o->fmt);
    if (g->err != CRV_OK)
      return 1;
  }
  g->objects++;
  if (o->type >= 0 && o->type < CRV_OBJ_TYPE_COUNT)
    g->by_type[o->type]++;
  crv_err e = crvi_grep_object(g->srch, &g->scratch, o, on_value_match, g, &g->limited);
  return e == CRV_ERR_ABORTED || g->err != CRV_OK;
}

/* ---- raw ----------------------------------------------------------------------------- */

static size_t read_space(void *user, uint64_t addr, void *buf, size_t len)
{
  struct grep *g = user;
  return crvi_space_read(&g->s->space, addr, buf, len);
}

/* Reads [a, b) (within the region) into g->ctx; returns the bytes read. */
static size_t read_ctx(struct grep *g, uint64_t a, uint64_t b, size_t at)
{
  size_t n = (size_t)(b - a);
  if (n == 0)
    return 0;
  return crvi_space_read(&g->s->space, a, g->ctx + at, n);
}

static int on_raw_hit(void *user, size_t pat, uint64_t addr, uint64_t len)
{
  struct grep *g = user;
  const struct crv_region *reg = g->region;
  uint64_t rend = reg->start + (reg->present < reg->end - reg->start ? reg->present
                                                                      : reg->end - reg->start);
  uint64_t show = len > g->max_text ? g->max_text : len;
  uint64_t b0 = addr - reg->start > g->context ? addr - g->context : reg->start;
  uint64_t a1 = rend - (addr + len) > g->context ? addr + len + g->context : rend;
  size_t need = (size_t)(2 * g->context + show);
  if (need > g->ctx_cap) {
    uint8_t *p = realloc(g->ctx, need);
    if (!p) {
      g->err = CRV_ERR_NOMEM;
      return 1;
    }
    g->ctx = p;
    g->ctx_cap = need;
  }
  struct crvi_rec *r = g->rec;
  crvi_rec_begin(r, "match");
  crvi_rec_str(r, "pattern", crvi_search_pattern(g->srch, pat));
  crvi_rec_addr(r, "addr", addr);
  crvi_rec_str(r, "type", "raw");
  crvi_rec_str(r, "region", reg->name);
  crvi_rec_addr(r, "region_start", reg->start);
  crvi_rec_u64(r, "offset", addr - reg->start);
  crvi_rec_u64(r, "length", len);
  size_t got = read_ctx(g, addr, addr + show, 0);
  crvi_rec_bytes(r, "text", g->ctx, got);
  if (show < len)
    crvi_rec_bool(r, "text_truncated", 1);
  if (g->context) {
    got = read_ctx(g, b0, addr, 0);
    crvi_rec_bytes(r, "before", g->ctx, got);
    got = read_ctx(g, addr + len, a1, 0);
    crvi_rec_bytes(r, "after", g->ctx, got);
  }
  crv_err e = crvi_rec_end(r);
  if (e != CRV_OK) {
    g->err = e;
    return 1;
  }
  g->matches++;
  g->by_pattern[pat]++;
  if (g->max_count && g->matches >= g->max_count) {
    g->count_reached = 1;
    return 1;
  }
  return 0;
}

static int library_ok(struct grep *g, const struct crv_region *reg)
{
  if (!g->lib)
    return 1;
  return reg->path && crvi_search_filter_match(g->lib, reg->path);
}

static crv_err grep_raw(struct grep *g)
{
  struct crv_space *sp = &g->s->space;
  crv_err e = CRV_OK;
  for (size_t i = 0; i < sp->n && e == CRV_OK; i++) {
    const struct crv_region *reg = &sp->r[i];
    uint64_t size = reg->end - reg->start;
    uint64_t avail = reg->present < size ? reg->present : size;
    if (avail == 0 || !library_ok(g, reg))
      continue;
    g->regions++;
    g->region = reg;
    struct crvi_stream st = {.start = reg->start, .end = reg->start + avail,
                             .chunk = (size_t)g->s->o->chunk, .max_match = (size_t)g->max_match,
                             .read = read_space, .read_user = g, .hit = on_raw_hit,
                             .hit_user = g, .stop = &session_stop_signal};
    e = crvi_search_stream(g->srch, &st, &g->st);
  }
  return e;
}

/* ---- meta and summary ----------------------------------------------------------------- */

static crv_err write_meta(struct grep *g)
{
  struct session *s = g->s;
  struct crvi_rec *r = g->rec;
  crvi_rec_begin(r, "meta");
  crvi_rec_str(r, "tool", "carver");
  crvi_rec_str(r, "tool_version", CARVER_VERSION);
  crvi_rec_str(r, "command", "grep");
  crvi_rec_str(r, "mode", g->hex ? "hex" : "raw");
  crvi_rec_nil(r, "python");
  if (s->space.pid >= 0)
    crvi_rec_u64(r, "pid", (uint64_t)s->space.pid);
  if (s->space.comm[0])
    crvi_rec_str(r, "process", s->space.comm);
  session_rec_sources(s, r);
  size_t np = crvi_search_count(g->srch);
  crvi_rec_array(r, "patterns", np);
  for (size_t i = 0; i < np; i++)
    crvi_rec_str(r, NULL, crvi_search_pattern(g->srch, i));
  crvi_rec_pop(r);
  crvi_rec_bool(r, "ignore_case", g->icase);
  return crvi_rec_end(r);
}

static crv_err write_summary(struct grep *g, int interrupted)
{
  double secs = session_elapsed(g->s);
  struct crvi_rec *r = g->rec;
  size_t np = crvi_search_count(g->srch);
  crvi_rec_begin(r, "summary");
  crvi_rec_u64(r, "matches", g->matches);
  crvi_rec_map(r, "by_pattern", np);
  for (size_t i = 0; i < np; i++)
    crvi_rec_u64(r, crvi_search_pattern(g->srch, i), g->by_pattern[i]);
  crvi_rec_pop(r);
  if (g->raw) {
    crvi_rec_u64(r, "regions", g->regions);
    crvi_rec_u64(r, "bytes_scanned", g->st.bytes);
    crvi_rec_u64(r, "holes", g->st.holes);
    crvi_rec_u64(r, "truncated", g->st.truncated);
    crvi_rec_u64(r, "match_errors", g->st.errors);
  } else {
    const crv_summary *sum = &g->s->sum;
    crvi_rec_u64(r, "objects", g->objects);
    crvi_rec_map(r, "by_type", 3);
    crvi_rec_u64(r, "str", g->by_type[CRV_OBJ_STR] + g->by_type[CRV_OBJ_STR27]);
    crvi_rec_u64(r, "bytes", g->by_type[CRV_OBJ_BYTES]);
    crvi_rec_u64(r, "unicode", g->by_type[CRV_OBJ_UNICODE27]);
    crvi_rec_pop(r);
    crvi_rec_u64(r, "match_errors", g->limited);
    crvi_rec_u64(r, "bytes_scanned", sum->bytes_scanned);
    crvi_rec_u64(r, "regions", sum->regions);
    crvi_rec_u64(r, "holes", sum->holes);
  }
  crvi_rec_bool(r, "max_count_reached", g->count_reached);
  crvi_rec_bool(r, "jit", crvi_search_jit(g->srch));
  crvi_rec_double(r, "elapsed_seconds", secs);
  crvi_rec_bool(r, "interrupted", interrupted);
  return crvi_rec_end(r);
}

/* ---- patterns ------------------------------------------------------------------------- */

static int add_pattern(struct grep *g, const char *p, size_t len)
{
  for (size_t i = 0; i < crvi_search_count(g->srch); i++) {
    const char *q = crvi_search_pattern(g->srch, i);
    if (strlen(q) == len && memcmp(q, p, len) == 0)
      return 0; /* given twice: searched once */
  }
  crv_err e = crvi_search_add(g->srch, p, len, g->hex ? CRVI_PAT_HEX : CRVI_PAT_REGEX);
  if (e == CRV_ERR_NOMEM) {
    cli_error("%s", crv_strerror(e));
    return -1;
  }
  if (e != CRV_OK) {
    cli_usage_error("grep ", "%s", crvi_search_errmsg(g->srch));
    return -1;
  }
  return 0;
}

static int add_pattern_file(struct grep *g, const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    cli_usage_error("grep ", "-f %s: %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
      (uint64_t)st.st_size > CRV_MAX_PATTERN_FILE) {
    cli_usage_error("grep ", "-f %s: not a regular file of at most %u bytes", path,
                    CRV_MAX_PATTERN_FILE);
    fclose(f);
    return -1;
  }
  char *buf = malloc((size_t)st.st_size + 1);
  size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
  fclose(f);
  if (!buf) {
    cli_error("%s", crv_strerror(CRV_ERR_NOMEM));
    return -1;
  }
  int rc = 0, any = 0;
  for (size_t o = 0; o < n && rc == 0;) {
    char *nl = memchr(buf + o, '\n', n - o);
    size_t len = nl ? (size_t)(nl - (buf + o)) : n - o;
    size_t l = len;
    if (l && buf[o + l - 1] == '\r')
      l--;
    if (l) {
      rc = add_pattern(g, buf + o, l);
      any = 1;
    }
    o += len + 1;
  }
  free(buf);
  if (rc == 0 && !any) {
    cli_usage_error("grep ", "-f %s: no pattern in the file", path);
    return -1;
  }
  return rc;
}

/* ---- the command ---------------------------------------------------------------------- */

/* The writer could not be opened (or the meta record written before it was). */
static int writer_failed(crv_err e)
{
  cli_error("%s", crv_strerror(e));
  return cli_exit_for(e);
}

static int finish(struct grep *g, crv_err e)
{
  struct session *s = g->s;
  int interrupted = e == CRV_ERR_ABORTED && !g->count_reached && g->err == CRV_OK;
  if (e == CRV_ERR_ABORTED)
    e = CRV_OK; /* a signal (interrupted), --max-count, or a write error that g->err holds */
  if (g->err != CRV_OK)
    e = g->err;
  if (e == CRV_OK) {
    crv_err se = write_summary(g, interrupted);
    if (se != CRV_OK)
      e = se;
  }
  e = session_close_writer(s, e);
  if (interrupted && e == CRV_OK) {
    cli_warn("interrupted by signal %d after %llu matches; findings so far are written",
             (int)session_stop_signal, (unsigned long long)g->matches);
    return EXIT_SIGNAL_BASE + session_stop_signal;
  }
  if (e != CRV_OK) {
    cli_error("writing %s: %s", s->o->out_path ? s->o->out_path : "standard output",
              crv_strerror(e));
    return cli_exit_for(e);
  }
  if (g->st.truncated)
    cli_warn("%llu matches were cut at --max-match %llu bytes", (unsigned long long)g->st.truncated,
             (unsigned long long)g->max_match);
  if (g->limited || g->st.errors)
    cli_warn("%llu searches gave up at the PCRE2 match limit (catastrophic backtracking?)",
             (unsigned long long)(g->limited + g->st.errors));
  return g->matches ? EXIT_FOUND : EXIT_NOTHING;
}

int cmd_grep(int argc, char **argv)
{
  struct cli_opt opts[SESSION_MAX_OPTS];
  size_t n_opts = session_opts_merge(opts, SESSION_MAX_OPTS, grep_own_opts, N_OWN);
  struct option longopts[SESSION_MAX_OPTS + 1];
  char shortopts[64];
  struct session_opts so;
  const char *exprs[CRV_MAX_PATTERNS], *files[16], *library = NULL;
  size_t n_exprs = 0, n_files = 0;
  struct grep g;
  unsigned flags = 0;
  int c, rc;
  uint64_t v;

  memset(&g, 0, sizeof g);
  g.context = 32;
  g.max_text = CRV_GREP_DEFAULT_TEXT;
  g.max_match = CRV_GREP_DEFAULT_MAX_MATCH;
  session_opts_init(&so);
  cli_build_getopt(opts, n_opts, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    switch (c) {
    case OPT_REGEXP:
      if (n_exprs == CRV_MAX_PATTERNS) {
        cli_usage_error("grep ", "-e: at most %u patterns", CRV_MAX_PATTERNS);
        return EXIT_USAGE;
      }
      exprs[n_exprs++] = optarg;
      continue;
    case OPT_FILE:
      if (n_files == sizeof files / sizeof files[0]) {
        cli_usage_error("grep ", "-f: at most 16 files");
        return EXIT_USAGE;
      }
      files[n_files++] = optarg;
      continue;
    case OPT_ICASE: g.icase = 1; continue;
    case OPT_RAW: g.raw = 1; continue;
    case OPT_HEX: g.hex = g.raw = 1; continue;
    case OPT_NO_JIT: flags |= CRVI_SEARCH_NO_JIT; continue;
    case OPT_LIBRARY: library = optarg; continue;
    case OPT_CONTEXT:
      if (crvi_parse_dec_u64(optarg, &v) != 0 || v > CRV_GREP_MAX_CONTEXT) {
        cli_usage_error("grep ", "--context: '%s' is not a number 0..%u", optarg,
                        CRV_GREP_MAX_CONTEXT);
        return EXIT_USAGE;
      }
      g.context = v;
      continue;
    case OPT_MAX_COUNT:
      if (crvi_parse_dec_u64(optarg, &v) != 0 || v == 0) {
        cli_usage_error("grep ", "--max-count: '%s' is not a positive number", optarg);
        return EXIT_USAGE;
      }
      g.max_count = v;
      continue;
    case OPT_MAX_TEXT:
      if (crvi_parse_dec_u64(optarg, &v) != 0 || v == 0 || v > CRV_GREP_MAX_TEXT) {
        cli_usage_error("grep ", "--max-text: '%s' is not a number 1..%u", optarg,
                        CRV_GREP_MAX_TEXT);
        return EXIT_USAGE;
      }
      g.max_text = v;
      continue;
    case OPT_MAX_MATCH:
      if (cli_parse_size(optarg, &v) != 0 || v == 0 || v > CRV_GREP_MAX_MATCH_CEILING) {
        cli_usage_error("grep ", "--max-match: '%s' is not a size between 1 and 16M", optarg);
        return EXIT_USAGE;
      }
      g.max_match = v;
      continue;
    default:
      break;
    }
    int r = session_parse_shared(&so, "grep ", c, optarg, argv[optind - 1]);
    if (r == SESSION_OPT_HELP) {
      grep_help(opts, n_opts);
      return EXIT_FOUND;
    }
    if (r == SESSION_OPT_USAGE)
      return EXIT_USAGE;
  }
  if (!n_exprs && !n_files) {
    if (optind >= argc) {
      cli_usage_error("grep ", "no pattern given");
      return EXIT_USAGE;
    }
    exprs[n_exprs++] = argv[optind++];
  }
  if (library && !g.raw) {
    cli_usage_error("grep ", "--library applies to --raw (and --hex) searches only");
    return EXIT_USAGE;
  }
  if (g.hex && g.icase) {
    cli_usage_error("grep ", "-i does not apply to --hex patterns");
    return EXIT_USAGE;
  }
  if (session_check(&so, "grep ", (size_t)(argc - optind)) != 0)
    return EXIT_USAGE;

  if (g.icase)
    flags |= CRVI_SEARCH_CASELESS;
  if (g.raw)
    flags |= CRVI_SEARCH_NO_TEXT;
  crv_err e = crvi_search_create(&g.srch, flags);
  if (e != CRV_OK) {
    cli_error("%s", crv_strerror(e));
    return cli_exit_for(e);
  }
  rc = EXIT_USAGE;
  for (size_t i = 0; i < n_exprs; i++)
    if (add_pattern(&g, exprs[i], strlen(exprs[i])) != 0)
      goto out;
  for (size_t i = 0; i < n_files; i++)
    if (add_pattern_file(&g, files[i]) != 0)
      goto out;
  if (library) {
    if (crvi_search_filter(&g.lib, library) != CRV_OK) {
      cli_usage_error("grep ", "--library: %s", g.lib ? crvi_search_errmsg(g.lib) : "no memory");
      goto out;
    }
  }
  g.by_pattern = calloc(crvi_search_count(g.srch), sizeof *g.by_pattern);
  if (!g.by_pattern) {
    rc = EXIT_OUTPUT;
    cli_error("%s", crv_strerror(CRV_ERR_NOMEM));
    goto out;
  }
  crvi_buf_init(&g.scratch, (size_t)(2 * so.max_value + 16));
  if (cli_verbosity > 0)
    fprintf(stderr, "%s: %zu pattern%s, PCRE2 JIT %s\n", cli_prog, crvi_search_count(g.srch),
            crvi_search_count(g.srch) == 1 ? "" : "s", crvi_search_jit(g.srch) ? "on" : "off");

  struct session s;
  g.s = &s;
  if (g.raw) {
    rc = session_open_memory(&s, &so, argv + optind, (size_t)(argc - optind));
    if (rc == EXIT_FOUND) {
      e = session_rec_open(&s, &g.rec);
      if (e == CRV_OK)
        e = write_meta(&g);
      if (e == CRV_OK)
        e = grep_raw(&g);
      rc = s.w ? finish(&g, e) : writer_failed(e);
    }
  } else {
    rc = session_open(&s, &so, argv + optind, (size_t)(argc - optind));
    if (rc == EXIT_FOUND) {
      e = session_scan(&s, on_object, &g, 0);
      if (s.w && !g.rec && (e == CRV_OK || e == CRV_ERR_ABORTED)) {
        crv_err re = crvi_rec_open(&g.rec, s.w, so.fmt); /* no object at all */
        if (re != CRV_OK)
          e = re;
      }
      rc = s.w ? finish(&g, e) : writer_failed(e);
    }
  }
  rc = session_close(&s, rc);
out:
  crvi_rec_close(g.rec);
  crvi_buf_free(&g.scratch);
  free(g.ctx);
  free(g.by_pattern);
  crvi_search_destroy(g.lib);
  crvi_search_destroy(g.srch);
  return rc;
}
