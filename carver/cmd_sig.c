/* SPDX-License-Identifier: MIT */
/* carver sig: code signatures over the executable mappings of a process, core or dump. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "carve_session.h"
#include "cli.h"
#include "disasm/pylayout.h"
#include "disasm/sig.h"
#include "disasm/sigscan.h"
#include "search/record.h"
#include "search/search.h"
#include "util/limits.h"

int cmd_sig(int argc, char **argv);

enum { OPT_NAME = 256, OPT_NO_FILES, OPT_LIST };

#define IND "\n                             "
static const struct cli_opt sig_own_opts[] = {
    {"name", 0, "REGEX", "only the signatures whose name matches REGEX", OPT_NAME},
    {"no-files", 0, NULL, "never read code or symbols from files on this machine (by"
     IND "default code missing from the input is read from the mapped"
     IND "file when its build id or inode proves it is that file)", OPT_NO_FILES},
    {"list", 0, NULL, "check and list the signatures, then exit (no INPUT needed)", OPT_LIST},
};
#define N_OWN (sizeof sig_own_opts / sizeof sig_own_opts[0])

static void sig_help(const struct cli_opt *opts, size_t n)
{
  printf("Usage: %s sig [OPTIONS] SIGNATURES INPUT...\n"
         "Match code signatures against the executable mappings of a process's memory:\n"
         "each signature is a sequence of instruction patterns (mnemonics, operands with\n"
         "wildcards and variables for registers, immediates and displacements, gaps),\n"
         "optionally tied to a library (regex on the mapping path) or to exported\n"
         "functions. Mappings are disassembled with capstone (x86-64 and x86-32).\n\n"
         "SIGNATURES is a signature file or a directory of *.sig files (the format is in\n"
         "signatures/README.md); '@layout' names the CPython layout signatures built into\n"
         "carver. INPUT is pid:PID (or --pid PID), a core file, or dump files with their\n"
         "maps file (the executable mappings must be among them, or on this machine).\n\n"
         "Options:\n",
         cli_prog);
  cli_print_options(stdout, opts, n);
  printf("\nEach match is a \"sig\" record: signature, severity, addr, mapping, file_offset,\n"
         "symbol, the matched instructions (addr, bytes, asm, pattern line), captures and\n"
         "facts. When signatures state layout facts (signatures/cpython-layout.sig), a\n"
         "\"layout\" record lists them and the built-in layouts they agree with.\n"
         "Exit status 0 means a signature matched, 1 none.\n\n");
  cli_print_exit_codes(stdout);
}

struct sig_run {
  struct session *s;
  struct crvi_sigset *set;
  struct crvi_rec *rec;
  uint64_t *by_sig;
  uint64_t matches;
  struct crv_code_layout layout;
  crv_err err;
};

static void hexbytes(char *out, size_t cap, const uint8_t *b, size_t n)
{
  size_t o = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && o + 3 < cap; i++)
    o += (size_t)snprintf(out + o, cap - o, "%s%02x", i ? " " : "", b[i]);
}

static int on_hit(void *user, const struct crvi_sig_hit *h)
{
  struct sig_run *r = user;
  struct crvi_rec *w = r->rec;
  struct crv_space *sp = &r->s->space;
  const struct crvi_sig_info *in = h->info;
  crvi_code_layout_add(&r->layout, h);
  crvi_rec_begin(w, "sig");
  crvi_rec_str(w, "signature", in->name);
  crvi_rec_str(w, "severity", in->severity);
  if (in->description)
    crvi_rec_str(w, "description", in->description);
  crvi_rec_addr(w, "addr", h->addr);
  crvi_rec_str(w, "arch", crvi_arch_name(h->arch));
  if (sp->pid >= 0)
    crvi_rec_u64(w, "pid", (uint64_t)sp->pid);
  if (sp->comm[0])
    crvi_rec_str(w, "process", sp->comm);
  crvi_rec_str(w, "mapping", h->mapping);
  crvi_rec_addr(w, "mapping_start", h->map_start);
  crvi_rec_addr(w, "mapping_end", h->map_end);
  if (h->has_file_offset)
    crvi_rec_addr(w, "file_offset", h->file_offset);
  if (h->symbol) {
    crvi_rec_str(w, "symbol", h->symbol);
    crvi_rec_addr(w, "symbol_addr", h->symbol_addr);
  }
  crvi_rec_str(w, "code_source", h->code_source);
  crvi_rec_array(w, "insns", h->n_insns);
  for (size_t i = 0; i < h->n_insns; i++) {
    const struct crvi_sig_insn_view *v = &h->insns[i];
    char hex[64];
    hexbytes(hex, sizeof hex, v->bytes, v->size);
    crvi_rec_map(w, NULL, v->line ? 4 : 3);
    crvi_rec_addr(w, "addr", v->addr);
    crvi_rec_str(w, "bytes", hex);
    crvi_rec_str(w, "asm", v->text);
    if (v->line)
      crvi_rec_u64(w, "line", v->line);
    crvi_rec_pop(w);
  }
  crvi_rec_pop(w);
  if (in->n_num_vars) {
    crvi_rec_map(w, "captures", in->n_num_vars);
    for (size_t k = 0; k < in->n_num_vars; k++)
      crvi_rec_i64(w, in->num_var[k], h->m->num[k]);
    crvi_rec_pop(w);
  }
  if (in->n_reg_vars) {
    crvi_rec_map(w, "registers", in->n_reg_vars);
    for (size_t k = 0; k < in->n_reg_vars; k++)
      crvi_rec_str(w, in->reg_var[k], h->reg_names[k]);
    crvi_rec_pop(w);
  }
  if (in->n_facts) {
    crvi_rec_map(w, "facts", in->n_facts);
    for (size_t k = 0; k < in->n_facts; k++)
      crvi_rec_i64(w, in->fact_key[k], h->m->fact[k]);
    crvi_rec_pop(w);
  }
  crv_err e = crvi_rec_end(w);
  if (e != CRV_OK) {
    r->err = e;
    return 1;
  }
  r->matches++;
  r->by_sig[h->sig]++;
  return 0;
}

static void warn_sink(void *user, const char *msg)
{
  (void)user;
  cli_warn("%s", msg);
}

static crv_err write_meta(struct sig_run *r, const char *sigpath)
{
  struct session *s = r->s;
  struct crvi_rec *w = r->rec;
  crvi_rec_begin(w, "meta");
  crvi_rec_str(w, "tool", "carver");
  crvi_rec_str(w, "tool_version", CARVER_VERSION);
  crvi_rec_str(w, "command", "sig");
  crvi_rec_nil(w, "python");
  if (s->space.pid >= 0)
    crvi_rec_u64(w, "pid", (uint64_t)s->space.pid);
  if (s->space.comm[0])
    crvi_rec_str(w, "process", s->space.comm);
  crvi_rec_str(w, "arch", crvi_arch_name(crvi_sig_space_arch(&s->space)));
  session_rec_sources(s, w);
  crvi_rec_str(w, "signature_source", sigpath);
  crvi_rec_u64(w, "signatures", crvi_sigset_count(r->set));
  return crvi_rec_end(w);
}

static crv_err write_layout(struct sig_run *r)
{
  const struct crv_code_layout *f = &r->layout;
  struct crvi_rec *w = r->rec;
  size_t agree = 0;
  for (size_t i = 0; i < crvi_layout_count(); i++)
    agree += crvi_code_layout_check(f, crvi_layout_at(i), NULL, 0) == 1;
  crvi_rec_begin(w, "layout");
  crvi_rec_u64(w, "ptr_size", f->ptr_size);
  crvi_rec_map(w, "facts", f->found);
  for (int i = 0; i < CRV_FACT_COUNT; i++)
    if (f->have[i])
      crvi_rec_i64(w, crvi_code_fact_name(i), f->value[i]);
  crvi_rec_pop(w);
  crvi_rec_u64(w, "conflicts", f->conflicts);
  crvi_rec_str(w, "evidence", f->evidence);
  crvi_rec_array(w, "agrees_with", agree);
  for (size_t i = 0; i < crvi_layout_count(); i++)
    if (crvi_code_layout_check(f, crvi_layout_at(i), NULL, 0) == 1)
      crvi_rec_str(w, NULL, crvi_layout_at(i)->id);
  crvi_rec_pop(w);
  return crvi_rec_end(w);
}

static crv_err write_summary(struct sig_run *r, const struct crvi_sig_stats *st, int interrupted)
{
  double secs = session_elapsed(r->s);
  struct crvi_rec *w = r->rec;
  size_t n = crvi_sigset_count(r->set), shown = 0;
  for (size_t i = 0; i < n; i++)
    shown += r->by_sig[i] != 0;
  crvi_rec_begin(w, "summary");
  crvi_rec_u64(w, "matches", r->matches);
  crvi_rec_map(w, "by_signature", shown);
  for (size_t i = 0; i < n; i++)
    if (r->by_sig[i])
      crvi_rec_u64(w, crvi_sigset_info(r->set, i)->name, r->by_sig[i]);
  crvi_rec_pop(w);
  crvi_rec_u64(w, "signatures", n);
  crvi_rec_u64(w, "mappings", st->mappings);
  crvi_rec_u64(w, "bytes_disassembled", st->bytes);
  crvi_rec_u64(w, "instructions", st->insns);
  crvi_rec_u64(w, "symbols", st->symbols);
  crvi_rec_u64(w, "anchors_not_found", st->symbols_missing);
  crvi_rec_u64(w, "code_from_files", st->from_file);
  crvi_rec_u64(w, "pages_from_files", st->pages_from_file);
  crvi_rec_u64(w, "mappings_without_code", st->no_code);
  crvi_rec_u64(w, "capped", st->capped);
  crvi_rec_double(w, "elapsed_seconds", secs);
  crvi_rec_bool(w, "interrupted", interrupted);
  return crvi_rec_end(w);
}

static int list_sigs(const struct crvi_sigset *set, const unsigned char *skip)
{
  for (size_t i = 0; i < crvi_sigset_count(set); i++) {
    const struct crvi_sig_info *in = crvi_sigset_info(set, i);
    if (skip[i])
      continue;
    printf("%-44s %-8s %s%s%s  %s:%u\n", in->name, in->severity,
           (in->arch_mask & CRVI_ARCH_MASK(CRVI_ARCH_X86_64)) ? "x86-64" : "",
           (in->arch_mask & CRVI_ARCH_MASK(CRVI_ARCH_X86_64)) &&
                   (in->arch_mask & CRVI_ARCH_MASK(CRVI_ARCH_X86_32)) ? "," : "",
           (in->arch_mask & CRVI_ARCH_MASK(CRVI_ARCH_X86_32)) ? "x86-32" : "", in->file,
           in->line);
  }
  return EXIT_FOUND;
}

int cmd_sig(int argc, char **argv)
{
  struct cli_opt opts[SESSION_MAX_OPTS];
  size_t n_opts = session_opts_merge(opts, SESSION_MAX_OPTS, sig_own_opts, N_OWN);
  struct option longopts[SESSION_MAX_OPTS + 1];
  char shortopts[64];
  struct session_opts so;
  const char *name_re = NULL;
  int no_files = 0, list = 0, c;

  session_opts_init(&so);
  cli_build_getopt(opts, n_opts, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    if (c == OPT_NAME) {
      name_re = optarg;
      continue;
    }
    if (c == OPT_NO_FILES) {
      no_files = 1;
      continue;
    }
    if (c == OPT_LIST) {
      list = 1;
      continue;
    }
    int r = session_parse_shared(&so, "sig ", c, optarg, argv[optind - 1]);
    if (r == SESSION_OPT_HELP) {
      sig_help(opts, n_opts);
      return EXIT_FOUND;
    }
    if (r == SESSION_OPT_USAGE)
      return EXIT_USAGE;
  }
  if (optind >= argc) {
    cli_usage_error("sig ", "no signature file or directory given");
    return EXIT_USAGE;
  }
  const char *sigpath = argv[optind++];

  struct sig_run r;
  memset(&r, 0, sizeof r);
  crvi_code_layout_init(&r.layout);
  crv_err e = crvi_sigset_create(&r.set);
  if (e != CRV_OK) {
    cli_error("capstone: %s", crv_strerror(e));
    return cli_exit_for(e);
  }
  int rc = EXIT_USAGE;
  struct crvi_search *name_filter = NULL;
  unsigned char *skip = NULL;
  if (strcmp(sigpath, "@layout") == 0)
    e = crvi_sigset_parse(r.set, "<built-in cpython-layout.sig>",
                          (const char *)crvi_sig_builtin_layout, crvi_sig_builtin_layout_len);
  else
    e = crvi_sigset_load(r.set, sigpath);
  if (e != CRV_OK) {
    /* a signature that does not parse is a usage error, like a bad regex */
    if (e == CRV_ERR_FORMAT || e == CRV_ERR_LIMIT) {
      cli_usage_error("sig ", "%s", crvi_sigset_errmsg(r.set));
    } else {
      cli_error("%s", crvi_sigset_errmsg(r.set)[0] ? crvi_sigset_errmsg(r.set)
                                                    : crv_strerror(e));
      rc = cli_exit_for(e);
    }
    goto out;
  }
  size_t nsig = crvi_sigset_count(r.set);
  skip = calloc(nsig ? nsig : 1, 1);
  r.by_sig = calloc(nsig ? nsig : 1, sizeof *r.by_sig);
  if (!skip || !r.by_sig) {
    cli_error("%s", crv_strerror(CRV_ERR_NOMEM));
    rc = EXIT_OUTPUT;
    goto out;
  }
  if (name_re) {
    if (crvi_search_filter(&name_filter, name_re) != CRV_OK) {
      cli_usage_error("sig ", "--name: %s",
                      name_filter ? crvi_search_errmsg(name_filter) : "no memory");
      goto out;
    }
    size_t kept = 0;
    for (size_t i = 0; i < nsig; i++) {
      skip[i] = !crvi_search_filter_match(name_filter, crvi_sigset_info(r.set, i)->name);
      kept += !skip[i];
    }
    if (!kept) {
      cli_usage_error("sig ", "--name: no signature name matches '%s'", name_re);
      goto out;
    }
  }
  if (list) {
    rc = list_sigs(r.set, skip);
    goto out;
  }
  if (session_check(&so, "sig ", (size_t)(argc - optind)) != 0)
    goto out;

  struct session s;
  r.s = &s;
  rc = session_open_memory(&s, &so, argv + optind, (size_t)(argc - optind));
  if (rc == EXIT_FOUND) {
    struct crvi_sig_stats st;
    memset(&st, 0, sizeof st);
    e = session_rec_open(&s, &r.rec);
    if (e == CRV_OK)
      e = write_meta(&r, sigpath);
    if (e == CRV_OK) {
      struct crvi_sig_scan sc = {.space = &s.space, .set = r.set, .skip = skip,
                                 .code_from_files = !no_files, .stop = &session_stop_signal,
                                 .hit = on_hit, .user = &r, .warn = warn_sink};
      e = crvi_sig_scan_run(&sc, &st);
      if (r.err != CRV_OK)
        e = r.err;
    }
    int interrupted = e == CRV_ERR_ABORTED;
    if (s.w && (e == CRV_OK || interrupted)) {
      crv_err we = CRV_OK;
      if (r.layout.found)
        we = write_layout(&r);
      if (we == CRV_OK)
        we = write_summary(&r, &st, interrupted);
      if (we != CRV_OK)
        e = we;
    }
    if (cli_verbosity > 0)
      fprintf(stderr, "%s: %llu executable mappings, %llu bytes, %llu instructions; %llu anchor "
              "symbols found, %llu anchored signatures without one; %llu mappings read "
              "from files, %llu without code\n",
              cli_prog, (unsigned long long)st.mappings, (unsigned long long)st.bytes,
              (unsigned long long)st.insns, (unsigned long long)st.symbols,
              (unsigned long long)st.symbols_missing, (unsigned long long)st.from_file,
              (unsigned long long)st.no_code);
    if (st.capped)
      cli_warn("%llu matches not reported: more than %u for one signature in one mapping",
               (unsigned long long)st.capped, CRV_SIG_MAX_HITS);
    e = session_close_writer(&s, e);
    if (interrupted && (e == CRV_OK || e == CRV_ERR_ABORTED)) {
      cli_warn("interrupted by signal %d after %llu matches; findings so far are written",
               (int)session_stop_signal, (unsigned long long)r.matches);
      rc = EXIT_SIGNAL_BASE + session_stop_signal;
    } else if (e != CRV_OK) {
      cli_error("%s", e == CRV_ERR_OUTPUT ? "writing the output failed" : crv_strerror(e));
      rc = cli_exit_for(e);
    } else {
      rc = r.matches ? EXIT_FOUND : EXIT_NOTHING;
    }
  }
  rc = session_close(&s, rc);
out:
  crvi_rec_close(r.rec);
  crvi_search_destroy(name_filter);
  free(skip);
  free(r.by_sig);
  crvi_sigset_destroy(r.set);
  return rc;
}
