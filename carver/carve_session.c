/* SPDX-License-Identifier: MIT */
/* The shared carving session (see carve_session.h): options, inputs, interpreter, key, writer. */
#define _GNU_SOURCE /* O_CLOEXEC, sched_getaffinity */
#include "carve_session.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "inputs.h"
#include "search/record.h"
#include "source/dumpname.h"
#include "util/limits.h"

#define INDENT "\n                             "

const struct cli_opt session_opt_table[] = {
    {"format", 0, "FMT", "text, jsonl or msgpack (default: text on a terminal, else msgpack;"
     INDENT "with -o, from the file extension .txt/.jsonl/.msgpack)", SOPT_FORMAT},
    {"output", 'o', "FILE", "write findings to FILE (created mode 0600; never overwritten"
     INDENT "without --force; a device or FIFO is written to)", SOPT_OUTPUT},
    {"force", 0, NULL, "overwrite FILE; allow msgpack on a terminal", SOPT_FORCE},
    {"pid", 0, "PID", "read the live process PID (also: INPUT pid:PID); it keeps running",
     SOPT_PID},
    {"base", 0, "ADDR", "start address of a plain dump file (repeat for several, in order)",
     SOPT_BASE},
    {"maps", 0, "FILE", "copy of /proc/PID/maps: names regions, helps tell the version"
     INDENT "(default: DIR/maps when a directory holds one)", SOPT_MAPS},
    {"python", 0, "X.Y", "CPython version (2.7, 3.0 ... 3.15, 3.13t ...; default: detected)",
     SOPT_PYTHON},
    {"max-len", 0, "SIZE", "largest value carved, in bytes (default 16M; K/M/G suffixes)",
     SOPT_MAX_LEN},
    {"chunk-size", 0, "SIZE", "read granularity (default 4M); results never depend on it",
     SOPT_CHUNK},
    {"threads", 0, "N", "2: a second thread reads the memory ahead, finds and checks the"
     INDENT "candidates (default when carver may use more than one CPU; about"
     INDENT "4 MiB more memory, or two chunks); 1: one thread. The findings"
     INDENT "are the same either way", SOPT_THREADS},
    {"hash-key", 0, "HEX", "the process's _Py_HashSecret: 32 or 48 hex digits", SOPT_HASH_KEY},
    {"hash-seed", 0, "N", "the process ran with PYTHONHASHSEED=N", SOPT_HASH_SEED},
    {"keep-unverified", 0, NULL, "also use objects whose cached hash does not match",
     SOPT_KEEP_MISMATCH},
    {"no-clobbered", 0, NULL, "skip recovering freed values whose header malloc clobbered",
     SOPT_NO_CLOBBERED},
    {"no-symbols", 0, NULL, "do not use the interpreter's ELF file from this machine"
     INDENT "(type symbols, _Py_HashSecret): find everything in the memory", SOPT_NO_SYMBOLS},
    {"no-progress", 0, NULL, "no progress line on stderr (shown only on a terminal)",
     SOPT_NO_PROGRESS},
    {"quiet", 'q', NULL, "errors only on stderr", SOPT_QUIET},
    {"verbose", 'v', NULL, "more detail on stderr: detection steps; twice: every rejected"
     INDENT "candidate with its reason", SOPT_VERBOSE},
    {"help", 'h', NULL, "show this help and exit", SOPT_HELP},
};
const size_t session_n_opts = sizeof session_opt_table / sizeof session_opt_table[0];

size_t session_opts_merge(struct cli_opt *dst, size_t cap, const struct cli_opt *own,
                          size_t n_own)
{
  if (n_own + session_n_opts > cap)
    return 0;
  for (size_t i = 0; i < n_own; i++)
    dst[i] = own[i];
  for (size_t i = 0; i < session_n_opts; i++)
    dst[n_own + i] = session_opt_table[i];
  return n_own + session_n_opts;
}

/* CPUs this process may run on (its affinity mask, e.g. under taskset or a cpuset). */
static int usable_cpus(void)
{
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

void session_opts_init(struct session_opts *o)
{
  memset(o, 0, sizeof *o);
  o->max_value = CRV_DEFAULT_MAX_VALUE;
  o->chunk = CRV_DEFAULT_CHUNK;
  o->threads = usable_cpus() > 1 ? 2 : 1;
}

static int known_python(const char *v)
{
  for (size_t i = 0; i < crvi_layout_count(); i++)
    if (strcmp(crvi_layout_at(i)->python, v) == 0)
      return 1;
  return 0;
}

int session_parse_opt(struct session_opts *o, const char *cmd, int id, const char *arg,
                      const char *cur)
{
  uint64_t v;
  switch (id) {
  case SOPT_HELP: return SESSION_OPT_HELP;
  case SOPT_FORMAT: o->format = arg; break;
  case SOPT_OUTPUT: o->out_path = arg; break;
  case SOPT_FORCE: o->force = 1; break;
  case SOPT_MAPS: o->maps_path = arg; break;
  case SOPT_PID:
    if (cli_parse_pid(arg, &o->pid) != 0) {
      cli_usage_error(cmd, "--pid: '%s' is not a process id", arg);
      return SESSION_OPT_USAGE;
    }
    break;
  case SOPT_PYTHON:
    if (!known_python(arg)) {
      cli_usage_error(cmd, "--python: '%s' is no CPython version carver knows (see '%s "
                      "layouts')", arg, cli_prog);
      return SESSION_OPT_USAGE;
    }
    o->python = arg;
    break;
  case SOPT_KEEP_MISMATCH: o->keep_mismatch = 1; break;
  case SOPT_NO_PROGRESS: o->no_progress = 1; break;
  case SOPT_NO_SYMBOLS: o->no_symbols = 1; break;
  case SOPT_NO_CLOBBERED: o->no_clobbered = 1; break;
  case SOPT_QUIET: cli_verbosity = -1; break;
  case SOPT_VERBOSE: cli_verbosity++; break;
  case SOPT_BASE:
    if (crvi_parse_hex_u64(arg, &v) != 0) {
      cli_usage_error(cmd, "--base: '%s' is not a hex address", arg);
      return SESSION_OPT_USAGE;
    }
    if (o->n_bases == SESSION_MAX_BASES) {
      cli_usage_error(cmd, "--base: at most %d plain files", SESSION_MAX_BASES);
      return SESSION_OPT_USAGE;
    }
    o->bases[o->n_bases++] = v;
    break;
  case SOPT_MAX_LEN:
    if (cli_parse_size(arg, &o->max_value) != 0 || o->max_value == 0 ||
        o->max_value > CRV_MAX_VALUE_CEILING) {
      cli_usage_error(cmd, "--max-len: '%s' is not a size between 1 and 256M", arg);
      return SESSION_OPT_USAGE;
    }
    break;
  case SOPT_CHUNK:
    if (cli_parse_size(arg, &o->chunk) != 0 || o->chunk < CRV_MIN_CHUNK || o->chunk > (1u << 30)) {
      cli_usage_error(cmd, "--chunk-size: '%s' is not a size between 64 and 1G", arg);
      return SESSION_OPT_USAGE;
    }
    break;
  case SOPT_THREADS:
    if (strcmp(arg, "1") != 0 && strcmp(arg, "2") != 0) {
      cli_usage_error(cmd, "--threads: '%s' is not 1 or 2", arg);
      return SESSION_OPT_USAGE;
    }
    o->threads = arg[0] - '0';
    break;
  case SOPT_HASH_KEY:
    if (crvi_hash_key_parse_hex(&o->key, arg) != 0) {
      cli_usage_error(cmd, "--hash-key: '%s' is not 32 or 48 hex digits", arg);
      return SESSION_OPT_USAGE;
    }
    o->key_source = "option";
    break;
  case SOPT_HASH_SEED:
    if (crvi_parse_dec_u64(arg, &v) != 0 || v > 4294967295u) {
      cli_usage_error(cmd, "--hash-seed: '%s' is not a number 0..4294967295", arg);
      return SESSION_OPT_USAGE;
    }
    crvi_hash_key_from_seed(&o->key, (uint32_t)v, sizeof o->key.bytes);
    o->key_source = "seed";
    break;
  case ':':
    cli_usage_error(cmd, "option '%s' needs an argument", cur);
    return SESSION_OPT_USAGE;
  case '?':
    cli_usage_error(cmd, "unknown option '%s'", cur);
    return SESSION_OPT_USAGE;
  default:
    return SESSION_OPT_NOT_MINE;
  }
  return SESSION_OPT_DONE;
}

int session_parse_shared(struct session_opts *o, const char *cmd, int id, const char *arg,
                         const char *cur)
{
  int r = session_parse_opt(o, cmd, id, arg, cur);
  if (r == SESSION_OPT_NOT_MINE) {
    cli_usage_error(cmd, "unknown option '%s'", cur);
    return SESSION_OPT_USAGE;
  }
  return r;
}

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

int session_check(struct session_opts *o, const char *cmd, size_t n_paths)
{
  if (n_paths == 0 && !o->pid) {
    cli_usage_error(cmd, "no input given");
    return -1;
  }
  if (o->format) {
    if (strcmp(o->format, "text") == 0)
      o->fmt = CRV_FORMAT_TEXT;
    else if (strcmp(o->format, "jsonl") == 0 || strcmp(o->format, "json") == 0)
      o->fmt = CRV_FORMAT_JSONL;
    else if (strcmp(o->format, "msgpack") == 0)
      o->fmt = CRV_FORMAT_MSGPACK;
    else {
      cli_usage_error(cmd, "--format: '%s' is not text, jsonl or msgpack", o->format);
      return -1;
    }
  } else if (o->out_path) {
    o->fmt = ends_with(o->out_path, ".jsonl") || ends_with(o->out_path, ".json") ? CRV_FORMAT_JSONL
             : ends_with(o->out_path, ".txt") ? CRV_FORMAT_TEXT
                                              : CRV_FORMAT_MSGPACK;
  } else {
    o->fmt = isatty(STDOUT_FILENO) ? CRV_FORMAT_TEXT : CRV_FORMAT_MSGPACK;
  }
  if (!o->out_path && o->fmt == CRV_FORMAT_MSGPACK && isatty(STDOUT_FILENO) && !o->force) {
    cli_usage_error(cmd, "refusing to write msgpack to a terminal (use -o FILE or --force)");
    return -1;
  }
  return 0;
}

/* ---- signals and progress ------------------------------------------------------------- */

volatile sig_atomic_t session_stop_signal;

static void on_signal(int sig)
{
  session_stop_signal = sig;
}

static void install_signals(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN); /* a closed pipe becomes a write error, reported */
}

static void progress(void *user, const char *phase, uint64_t done, uint64_t total)
{
  struct session_progress *p = user;
  struct timespec now;
  if (!p->enabled)
    return;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double dt = (double)(now.tv_sec - p->last.tv_sec) + (double)(now.tv_nsec - p->last.tv_nsec) / 1e9;
  if (dt < 0.2 && done < total)
    return;
  p->last = now;
  p->shown = 1;
  fprintf(stderr, "\r%s: %s %3u%% (%llu / %llu MiB)", cli_prog, phase,
          total ? (unsigned)(done * 100 / total) : 100u, (unsigned long long)(done >> 20),
          (unsigned long long)(total >> 20));
}

static void progress_end(struct session_progress *p)
{
  if (p->shown)
    fputs("\r\033[K", stderr);
  p->shown = 0;
}

static void report_reject(void *user, uint64_t addr, int is_text, int reason)
{
  (void)user;
  fprintf(stderr, "%s: rejected %s candidate at 0x%llx: %s\n", cli_prog,
          is_text ? "text" : "bytes", (unsigned long long)addr, crv_reason_name(reason));
}

/* ---- the session ---------------------------------------------------------------------- */

void session_init(struct session *s, const struct session_opts *o, char **paths, size_t n_paths)
{
  memset(s, 0, sizeof *s);
  s->o = o;
  s->paths = paths;
  s->n_paths = n_paths;
  crvi_space_init(&s->space);
  s->space.warn = space_warn;
}

int session_start(struct session *s)
{
  const struct session_opts *o = s->o;
  install_signals();
  s->ps.enabled = !o->no_progress && cli_verbosity >= 0 && isatty(STDERR_FILENO);
  clock_gettime(CLOCK_MONOTONIC, &s->ps.last);
  clock_gettime(CLOCK_MONOTONIC, &s->t0);
  /* Refuse an existing output file before reading gigabytes of input. */
  s->out = o->out_path ? cli_open_output(o->out_path, o->force, &s->out_created) : stdout;
  if (!s->out)
    return EXIT_OUTPUT;
  return EXIT_FOUND;
}

int session_open_memory(struct session *s, const struct session_opts *o, char **paths,
                        size_t n_paths)
{
  session_init(s, o, paths, n_paths);
  struct cli_inputs in = {.paths = paths, .n_paths = n_paths, .bases = o->bases,
                          .n_bases = o->n_bases, .maps_path = o->maps_path, .pid = o->pid,
                          .no_symbols = o->no_symbols};
  crv_err e = cli_open_inputs(&s->space, &in);
  if (e != CRV_OK) {
    return cli_space_error(&s->space, e);
  }
  s->inputs_open = 1;
  return session_start(s);
}

int session_open(struct session *s, const struct session_opts *o, char **paths, size_t n_paths)
{
  int rc = session_open_memory(s, o, paths, n_paths);
  if (rc != EXIT_FOUND)
    return rc;
  struct crv_progress pr = {progress, &s->ps};
  crv_err e = crvi_find_types(&s->space, &s->types, &session_stop_signal, &pr);
  progress_end(&s->ps);
  if (e == CRV_ERR_ABORTED)
    return EXIT_SIGNAL_BASE + session_stop_signal;
  if (e != CRV_OK) {
    cli_error("no CPython interpreter recognised: no PyType_Type with str and bytes types in "
              "%llu bytes of input (a dump must include the interpreter's data mapping)",
              (unsigned long long)crvi_space_total(&s->space));
    return cli_exit_for(e);
  }
  return session_interpreter(s, NULL, 1);
}

int session_interpreter(struct session *s, const char *how, int image_bounds)
{
  const struct session_opts *o = s->o;
  char msg[256];
  crv_err e = crvi_detect_version(&s->space, &s->types, o->python, &s->ver, msg, sizeof msg);
  if (e != CRV_OK) {
    cli_error("%s", msg);
    return EXIT_USAGE;
  }
  if (cli_verbosity > 0)
    fprintf(stderr, "%s: %s%s%sPyType_Type at 0x%llx, %s type at 0x%llx, bytes type at "
            "0x%llx; CPython %s (%s), layout %s\n", cli_prog, how ? "from " : "",
            how ? how : "", how ? ": " : "", (unsigned long long)s->types.type_type,
            s->types.py2 ? "unicode" : "str", (unsigned long long)s->types.text_type,
            (unsigned long long)s->types.bytes_type, s->ver.python, s->ver.source,
            s->ver.layout->id);

  struct crv_scan_cfg *cfg = &s->cfg;
  cfg->space = &s->space;
  cfg->layout = s->ver.layout;
  cfg->text_type = s->types.text_type;
  cfg->bytes_type = s->types.bytes_type;
  cfg->max_value = o->max_value;
  cfg->chunk = (size_t)o->chunk;
  cfg->threads = o->threads;
  cfg->keep_mismatch = o->keep_mismatch;
  cfg->clobbered = !o->no_clobbered;
  cfg->stop = &session_stop_signal;
  cfg->progress = (struct crv_progress){progress, &s->ps};
  const struct crv_region *image =
      image_bounds ? crvi_space_find(&s->space, s->types.type_type) : NULL;
  if (image) {
    cfg->image_start = image->start;
    cfg->image_end = image->end;
  }
  s->key = o->key;
  s->key_source = o->key_source;
  e = crvi_key_choose(&s->space, &s->types, *cfg, s->key_source ? &s->key : NULL, s->key_source,
                      &s->kc);
  if (e == CRV_ERR_ABORTED)
    return EXIT_SIGNAL_BASE + session_stop_signal;
  if (s->kc.note[0])
    cli_warn("%s", s->kc.note);
  if (s->kc.known) {
    s->key = s->kc.key;
    cfg->key = &s->key;
    s->key_source = s->kc.source;
  }
  if (cli_verbosity > 0) {
    if (s->kc.known)
      fprintf(stderr, "%s: hash key from %s (confirmed by %u of %zu cached hashes%s)\n",
              cli_prog, s->kc.source, s->kc.agree, s->kc.samples,
              s->kc.found_at ? ", found in memory" : "");
    else
      fprintf(stderr, "%s: hash key unknown (%zu cached hashes tried); hash_check is "
              "\"unverified\"\n", cli_prog, s->kc.samples);
  }
  return EXIT_FOUND;
}

/* The inputs as a meta record lists them: pid:PID first, then the paths, at most
 * CRV_MAX_SOURCES_LISTED. v may point into pid: do not copy the struct. */
struct session_sources {
  const char *v[CRV_MAX_SOURCES_LISTED];
  size_t n;
  char pid[32];
};

static void list_sources(const struct session *s, struct session_sources *out)
{
  out->n = 0;
  if (s->o->pid) {
    snprintf(out->pid, sizeof out->pid, "pid:%lld", (long long)s->o->pid);
    out->v[out->n++] = out->pid;
  }
  for (size_t i = 0; i < s->n_paths && out->n < CRV_MAX_SOURCES_LISTED; i++)
    out->v[out->n++] = s->paths[i];
}

void session_rec_sources(const struct session *s, struct crvi_rec *r)
{
  struct session_sources src;
  list_sources(s, &src);
  crvi_rec_array(r, "sources", src.n);
  for (size_t i = 0; i < src.n; i++)
    crvi_rec_str(r, NULL, src.v[i]);
  crvi_rec_pop(r);
}

crv_err session_rec_open(struct session *s, struct crvi_rec **rec)
{
  s->wrote_meta = 1; /* from here on the output holds (or will hold) findings */
  crv_err e = crvi_writer_open(&s->w, s->o->fmt, s->out);
  if (e == CRV_OK)
    e = crvi_rec_open(rec, s->w, s->o->fmt);
  return e;
}

double session_elapsed(const struct session *s)
{
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - s->t0.tv_sec) + (double)(t1.tv_nsec - s->t0.tv_nsec) / 1e9;
}

crv_err session_scan(struct session *s, crv_object_fn on_object, void *user,
                     int enable_credentials)
{
  crv_err e;
  s->wrote_meta = 1; /* from here on the output holds (or will hold) findings */
  if ((e = crvi_writer_open(&s->w, s->o->fmt, s->out)) != CRV_OK)
    return e;
  if (enable_credentials)
    crvi_writer_enable_credentials(s->w);
  struct session_sources src;
  list_sources(s, &src);
  char key_hex[2 * sizeof s->key.bytes + 1] = "";
  if (s->cfg.key) {
    /* 3.x uses 16 bytes (k0, k1); 2.7 two pointer-sized words */
    size_t n = s->ver.layout->bytes_is_str27 ? 2u * s->ver.layout->hdr->ptr_size : 16u;
    for (size_t i = 0; i < n; i++)
      snprintf(key_hex + 2 * i, 3, "%02x", s->key.bytes[i]);
  }
  crv_meta meta = {
      .tool_version = CARVER_VERSION, .python = s->ver.python,
      .python_full = s->ver.python_full[0] ? s->ver.python_full : NULL,
      .version_source = s->ver.source, .layout = s->ver.layout->id,
      .hash_key_source = s->key_source, .hash_key = s->cfg.key ? key_hex : NULL,
      .hash_key_addr = s->kc.found_at, .pid = s->space.pid, .sources = src.v,
      .n_sources = src.n, .str_type = s->types.text_type, .bytes_type = s->types.bytes_type};
  e = crvi_writer_meta(s->w, &meta);
  if (e != CRV_OK)
    return e;
  s->cfg.on_object = on_object;
  s->cfg.user = user;
  if (cli_verbosity > 1)
    s->cfg.on_reject = report_reject;
  e = crvi_scan(&s->cfg, &s->sum);
  progress_end(&s->ps);
  return e;
}

crv_err session_close_writer(struct session *s, crv_err e)
{
  if (!s->w)
    return e;
  crv_err ce = crvi_writer_close(s->w);
  s->w = NULL;
  return e == CRV_OK ? ce : e;
}

int session_finish(struct session *s, crv_err e, uint64_t found, const char *what)
{
  int rc;
  if (!s->w) { /* the writer could not be opened */
    cli_error("%s", crv_strerror(e));
    return EXIT_OUTPUT;
  }
  s->sum.elapsed_seconds = session_elapsed(s);
  if (e == CRV_OK || e == CRV_ERR_ABORTED) {
    crv_err se = crvi_writer_summary(s->w, &s->sum);
    if (se != CRV_OK)
      e = se;
  }
  e = session_close_writer(s, e);
  if (e == CRV_ERR_ABORTED) {
    cli_warn("interrupted by signal %d after %llu %s; findings so far are written",
             (int)session_stop_signal, (unsigned long long)found, what);
    rc = EXIT_SIGNAL_BASE + session_stop_signal;
  } else if (e != CRV_OK) {
    cli_error("writing %s: %s", s->o->out_path ? s->o->out_path : "standard output",
              crv_strerror(e));
    rc = cli_exit_for(e);
  } else {
    if (s->sum.over_cap)
      cli_warn("%llu candidates longer than --max-len were skipped",
               (unsigned long long)s->sum.over_cap);
    rc = found ? EXIT_FOUND : EXIT_NOTHING;
  }
  return rc;
}

int session_close(struct session *s, int rc)
{
  if (s->w) { /* session_finish was not reached */
    crvi_writer_close(s->w);
    s->w = NULL;
  }
  if (s->out && s->out != stdout && fclose(s->out) != 0 && rc == EXIT_FOUND) {
    cli_error("%s: %s", s->o->out_path, strerror(errno));
    rc = EXIT_OUTPUT;
  }
  if (s->out && s->out != stdout && !s->wrote_meta && s->out_created)
    unlink(s->o->out_path); /* nothing was carved: leave no empty file behind */
  s->out = NULL;
  if (s->inputs_open)
    rc = cli_inputs_finish(&s->space, rc); /* a live process that exited meanwhile */
  crvi_space_free(&s->space);
  return rc;
}
