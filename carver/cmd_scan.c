/* SPDX-License-Identifier: MIT */
/* carver scan: carve str/bytes objects from dump files. */
#define _GNU_SOURCE /* O_CLOEXEC, strdup */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "hash/pyhash.h"
#include "out/writer.h"
#include "scan/key.h"
#include "scan/scan.h"
#include "source/dumpname.h"
#include "inputs.h"
#include "util/limits.h"

enum {
  OPT_FORMAT = 'F', OPT_OUTPUT = 'o', OPT_QUIET = 'q', OPT_VERBOSE = 'v', OPT_HELP = 'h',
  OPT_FORCE = 256, OPT_BASE, OPT_MAPS, OPT_PYTHON, OPT_MAX_LEN, OPT_CHUNK, OPT_HASH_KEY,
  OPT_HASH_SEED, OPT_KEEP_MISMATCH, OPT_NO_PROGRESS, OPT_NO_CLOBBERED, OPT_PID,
};

static const struct cli_opt scan_opts[] = {
    {"format", 0, "FMT", "text, jsonl or msgpack (default: text on a terminal, else msgpack;\n"
     "                             with -o, from the file extension .txt/.jsonl/.msgpack)", OPT_FORMAT},
    {"output", 'o', "FILE", "write findings to FILE (created mode 0600; never overwritten\n"
     "                             without --force)", OPT_OUTPUT},
    {"force", 0, NULL, "overwrite FILE; allow msgpack on a terminal", OPT_FORCE},
    {"pid", 0, "PID", "scan the live process PID (also: INPUT pid:PID); it keeps running",
     OPT_PID},
    {"base", 0, "ADDR", "start address of a plain dump file (repeat for several, in order)",
     OPT_BASE},
    {"maps", 0, "FILE", "copy of /proc/PID/maps: names regions, helps tell the version\n"
     "                             (default: DIR/maps when a directory holds one)", OPT_MAPS},
    {"python", 0, "X.Y", "CPython version (2.7, 3.0 ... 3.15, 3.13t ...; default: detected)",
     OPT_PYTHON},
    {"max-len", 0, "SIZE", "largest value carved, in bytes (default 16M; K/M/G suffixes)",
     OPT_MAX_LEN},
    {"chunk-size", 0, "SIZE", "read granularity (default 4M); results never depend on it",
     OPT_CHUNK},
    {"hash-key", 0, "HEX", "the process's _Py_HashSecret: 32 or 48 hex digits", OPT_HASH_KEY},
    {"hash-seed", 0, "N", "the process ran with PYTHONHASHSEED=N", OPT_HASH_SEED},
    {"keep-unverified", 0, NULL, "also report objects whose cached hash does not match",
     OPT_KEEP_MISMATCH},
    {"no-clobbered", 0, NULL, "skip recovering freed values whose header malloc clobbered",
     OPT_NO_CLOBBERED},
    {"no-progress", 0, NULL, "no progress line on stderr (shown only on a terminal)",
     OPT_NO_PROGRESS},
    {"quiet", 'q', NULL, "errors only on stderr", OPT_QUIET},
    {"verbose", 'v', NULL, "more detail on stderr: detection steps; twice: every rejected\n"
     "                             candidate with its reason", OPT_VERBOSE},
    {"help", 'h', NULL, "show this help and exit", OPT_HELP},
};
#define N_SCAN_OPTS (sizeof scan_opts / sizeof scan_opts[0])

static void scan_help(void)
{
  printf("Usage: %s scan [OPTIONS] INPUT...\n"
         "Carve CPython str and bytes objects, live and freed, from a process's memory.\n\n"
         "INPUT is a directory of dump files, or dump files: Volatility 2 linux_dump_map\n"
         "(task.PID.0xSTART.vma) or Volatility 3 linux.proc.Maps --dump\n"
         "(pid.PID.vma.0xSTART-0xEND.dmp); a file with any other name needs --base ADDR.\n"
         "All inputs form one address space.\n\n"
         "Options:\n",
         cli_prog);
  cli_print_options(stdout, scan_opts, N_SCAN_OPTS);
  printf("\nThe interpreter is recognised from its type objects (PyType_Type, str, bytes),\n"
         "its version from _Py_DebugOffsets (3.13+), the Py_GetVersion() text or --maps.\n"
         "Hashes are verified when the key is known (--hash-key, --hash-seed, or a zero key\n"
         "confirmed by the objects themselves); otherwise hash_check is \"unverified\".\n\n");
  cli_print_exit_codes(stdout);
}

static int known_python(const char *v)
{
  for (size_t i = 0; i < crvi_layout_count(); i++)
    if (strcmp(crvi_layout_at(i)->python, v) == 0)
      return 1;
  return 0;
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
  stop_signal = sig;
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

struct progress_state {
  int enabled;
  struct timespec last;
  int shown;
};

static void progress(void *user, const char *phase, uint64_t done, uint64_t total)
{
  struct progress_state *p = user;
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

static void progress_end(struct progress_state *p)
{
  if (p->shown)
    fputs("\r\033[K", stderr);
  p->shown = 0;
}

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

struct emit {
  struct crv_writer *w;
  crv_err err;
};

static int emit_object(void *user, const crv_object *o)
{
  struct emit *em = user;
  if (em->err == CRV_OK)
    em->err = crvi_writer_object(em->w, o);
  return em->err != CRV_OK; /* stop on a write error: nothing more could be saved */
}

static void report_reject(void *user, uint64_t addr, int is_text, int reason)
{
  (void)user;
  fprintf(stderr, "%s: rejected %s candidate at 0x%llx: %s\n", cli_prog,
          is_text ? "text" : "bytes", (unsigned long long)addr, crv_reason_name(reason));
}

static FILE *open_output(const char *path, int force)
{
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
  int fd = open(path, flags, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      cli_error("%s exists; use --force to overwrite it", path);
    else
      cli_error("%s: %s", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  if (force && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    fchmod(fd, 0600); /* findings hold secrets, also when replacing a file (never a device) */
  FILE *f = fdopen(fd, "wb");
  if (!f)
    close(fd);
  return f;
}

int cmd_scan(int argc, char **argv)
{
  struct option longopts[N_SCAN_OPTS + 1];
  char shortopts[64];
  const char *format = NULL, *out_path = NULL, *maps_path = NULL, *python = NULL;
  uint64_t bases[64];
  size_t n_bases = 0;
  uint64_t max_value = CRV_DEFAULT_MAX_VALUE, chunk = CRV_DEFAULT_CHUNK;
  int force = 0, keep_mismatch = 0, no_progress = 0, no_clobbered = 0;
  crv_hash_key key;
  const char *key_source = NULL;
  int64_t pid = 0;
  int c;

  cli_build_getopt(scan_opts, N_SCAN_OPTS, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    uint64_t v;
    switch (c) {
    case OPT_HELP: scan_help(); return EXIT_FOUND;
    case OPT_FORMAT: format = optarg; break;
    case OPT_OUTPUT: out_path = optarg; break;
    case OPT_FORCE: force = 1; break;
    case OPT_MAPS: maps_path = optarg; break;
    case OPT_PID:
      if (cli_parse_pid(optarg, &pid) != 0) {
        cli_usage_error("scan ", "--pid: '%s' is not a process id", optarg);
        return EXIT_USAGE;
      }
      break;
    case OPT_PYTHON:
      python = optarg;
      if (!known_python(python)) {
        cli_usage_error("scan ", "--python: '%s' is no CPython version carver knows "
                        "(see '%s layouts')", optarg, cli_prog);
        return EXIT_USAGE;
      }
      break;
    case OPT_KEEP_MISMATCH: keep_mismatch = 1; break;
    case OPT_NO_PROGRESS: no_progress = 1; break;
    case OPT_NO_CLOBBERED: no_clobbered = 1; break;
    case OPT_QUIET: cli_verbosity = -1; break;
    case OPT_VERBOSE: cli_verbosity++; break;
    case OPT_BASE:
      if (crvi_parse_hex_u64(optarg, &v) != 0) {
        cli_usage_error("scan ", "--base: '%s' is not a hex address", optarg);
        return EXIT_USAGE;
      }
      if (n_bases == sizeof bases / sizeof bases[0]) {
        cli_usage_error("scan ", "--base: at most 64 plain files");
        return EXIT_USAGE;
      }
      bases[n_bases++] = v;
      break;
    case OPT_MAX_LEN:
      if (cli_parse_size(optarg, &max_value) != 0 || max_value == 0 ||
          max_value > CRV_MAX_VALUE_CEILING) {
        cli_usage_error("scan ", "--max-len: '%s' is not a size between 1 and 256M", optarg);
        return EXIT_USAGE;
      }
      break;
    case OPT_CHUNK:
      if (cli_parse_size(optarg, &chunk) != 0 || chunk < CRV_MIN_CHUNK || chunk > (1u << 30)) {
        cli_usage_error("scan ", "--chunk-size: '%s' is not a size between 64 and 1G", optarg);
        return EXIT_USAGE;
      }
      break;
    case OPT_HASH_KEY:
      if (crvi_hash_key_parse_hex(&key, optarg) != 0) {
        cli_usage_error("scan ", "--hash-key: '%s' is not 32 or 48 hex digits", optarg);
        return EXIT_USAGE;
      }
      key_source = "option";
      break;
    case OPT_HASH_SEED:
      if (crvi_parse_dec_u64(optarg, &v) != 0 || v > 4294967295u) {
        cli_usage_error("scan ", "--hash-seed: '%s' is not a number 0..4294967295", optarg);
        return EXIT_USAGE;
      }
      crvi_hash_key_from_seed(&key, (uint32_t)v, sizeof key.bytes);
      key_source = "seed";
      break;
    case ':':
      cli_usage_error("scan ", "option '%s' needs an argument", argv[optind - 1]);
      return EXIT_USAGE;
    default:
      cli_usage_error("scan ", "unknown option '%s'", argv[optind - 1]);
      return EXIT_USAGE;
    }
  }
  if (optind >= argc && !pid) {
    cli_usage_error("scan ", "no input given");
    return EXIT_USAGE;
  }

  enum crv_format fmt;
  if (format) {
    if (strcmp(format, "text") == 0) fmt = CRV_FORMAT_TEXT;
    else if (strcmp(format, "jsonl") == 0 || strcmp(format, "json") == 0) fmt = CRV_FORMAT_JSONL;
    else if (strcmp(format, "msgpack") == 0) fmt = CRV_FORMAT_MSGPACK;
    else {
      cli_usage_error("scan ", "--format: '%s' is not text, jsonl or msgpack", format);
      return EXIT_USAGE;
    }
  } else if (out_path) {
    fmt = ends_with(out_path, ".jsonl") || ends_with(out_path, ".json") ? CRV_FORMAT_JSONL
          : ends_with(out_path, ".txt")                                 ? CRV_FORMAT_TEXT
                                                                        : CRV_FORMAT_MSGPACK;
  } else {
    fmt = isatty(STDOUT_FILENO) ? CRV_FORMAT_TEXT : CRV_FORMAT_MSGPACK;
  }
  if (!out_path && fmt == CRV_FORMAT_MSGPACK && isatty(STDOUT_FILENO) && !force) {
    cli_usage_error("scan ", "refusing to write msgpack to a terminal (use -o FILE or --force)");
    return EXIT_USAGE;
  }

  /* The address space. */
  struct crv_space space;
  struct cli_inputs in = {.paths = argv + optind, .n_paths = (size_t)(argc - optind),
                          .bases = bases, .n_bases = n_bases, .maps_path = maps_path,
                          .pid = pid};
  crvi_space_init(&space);
  space.warn = space_warn;
  crv_err e = cli_open_inputs(&space, &in);
  if (e != CRV_OK) {
    cli_error("%s", space.errmsg[0] ? space.errmsg : crv_strerror(e));
    crvi_space_free(&space);
    return cli_exit_for(e);
  }

  install_signals();
  struct progress_state ps = {.enabled = !no_progress && cli_verbosity >= 0 && isatty(STDERR_FILENO)};
  clock_gettime(CLOCK_MONOTONIC, &ps.last);
  struct crv_progress pr = {progress, &ps};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);

  int rc = EXIT_FOUND;
  struct crv_pytypes types;
  struct crv_version ver;
  FILE *out = NULL;
  struct crv_writer *w = NULL;
  crv_summary sum;
  int wrote_meta = 0;
  memset(&sum, 0, sizeof sum);

  /* Refuse an existing output file before reading gigabytes of input. */
  out = out_path ? open_output(out_path, force) : stdout;
  if (!out) {
    rc = EXIT_OUTPUT;
    goto done;
  }
  e = crvi_find_types(&space, &types, &stop_signal, &pr);
  progress_end(&ps);
  if (e == CRV_ERR_ABORTED) {
    rc = EXIT_SIGNAL_BASE + stop_signal;
    goto done;
  }
  if (e != CRV_OK) {
    cli_error("no CPython interpreter recognised: no PyType_Type with str and bytes types in "
              "%llu bytes of input (a dump must include the interpreter's data mapping)",
              (unsigned long long)crvi_space_total(&space));
    rc = cli_exit_for(e);
    goto done;
  }
  char msg[256];
  e = crvi_detect_version(&space, &types, python, &ver, msg, sizeof msg);
  if (e != CRV_OK) {
    cli_error("%s", msg);
    rc = EXIT_USAGE;
    goto done;
  }
  if (cli_verbosity > 0)
    fprintf(stderr, "%s: PyType_Type at 0x%llx, %s type at 0x%llx, bytes type at 0x%llx; "
            "CPython %s (%s), layout %s\n", cli_prog, (unsigned long long)types.type_type,
            types.py2 ? "unicode" : "str", (unsigned long long)types.text_type,
            (unsigned long long)types.bytes_type, ver.python, ver.source, ver.layout->id);

  struct crv_scan_cfg cfg = {
      .space = &space, .layout = ver.layout, .text_type = types.text_type,
      .bytes_type = types.bytes_type, .max_value = max_value, .chunk = (size_t)chunk,
      .keep_mismatch = keep_mismatch, .clobbered = !no_clobbered, .stop = &stop_signal, .progress = pr};
  const struct crv_region *image = crvi_space_find(&space, types.type_type);
  if (image) {
    cfg.image_start = image->start;
    cfg.image_end = image->end;
  }
  struct crv_key_choice kc;
  e = crvi_key_choose(&space, &types, cfg, key_source ? &key : NULL, key_source, &kc);
  if (e == CRV_ERR_ABORTED) {
    rc = EXIT_SIGNAL_BASE + stop_signal;
    goto done;
  }
  if (kc.note[0])
    cli_warn("%s", kc.note);
  if (kc.known) {
    key = kc.key;
    cfg.key = &key;
    key_source = kc.source;
  }
  if (cli_verbosity > 0) {
    if (kc.known)
      fprintf(stderr, "%s: hash key from %s (confirmed by %u of %zu cached hashes%s)\n",
              cli_prog, kc.source, kc.agree, kc.samples, kc.found_at ? ", found in memory" : "");
    else
      fprintf(stderr, "%s: hash key unknown (%zu cached hashes tried); hash_check is "
              "\"unverified\"\n", cli_prog, kc.samples);
  }

  wrote_meta = 1; /* from here on the output holds (or will hold) findings */
  if ((e = crvi_writer_open(&w, fmt, out)) != CRV_OK) {
    cli_error("%s", crv_strerror(e));
    rc = EXIT_OUTPUT;
    goto done;
  }
  const char *sources[CRV_MAX_SOURCES_LISTED];
  size_t n_sources = 0;
  char pid_source[32];
  if (pid) {
    snprintf(pid_source, sizeof pid_source, "pid:%lld", (long long)pid);
    sources[n_sources++] = pid_source;
  }
  for (int i = optind; i < argc && n_sources < CRV_MAX_SOURCES_LISTED; i++)
    sources[n_sources++] = argv[i];
  char key_hex[2 * sizeof key.bytes + 1] = "";
  if (cfg.key) {
    /* 3.x uses 16 bytes (k0, k1); 2.7 two pointer-sized words */
    size_t n = ver.layout->bytes_is_str27 ? 2u * ver.layout->hdr->ptr_size : 16u;
    for (size_t i = 0; i < n; i++)
      snprintf(key_hex + 2 * i, 3, "%02x", key.bytes[i]);
  }
  crv_meta meta = {
      .tool_version = CARVER_VERSION, .python = ver.python,
      .python_full = ver.python_full[0] ? ver.python_full : NULL,
      .version_source = ver.source, .layout = ver.layout->id, .hash_key_source = key_source,
      .hash_key = cfg.key ? key_hex : NULL, .hash_key_addr = kc.found_at,
      .pid = space.pid, .sources = sources, .n_sources = n_sources,
      .str_type = types.text_type, .bytes_type = types.bytes_type};
  struct emit em = {.w = w};
  e = crvi_writer_meta(w, &meta);
  if (e == CRV_OK) {
    cfg.on_object = emit_object;
    if (cli_verbosity > 1)
      cfg.on_reject = report_reject;
    cfg.user = &em;
    e = crvi_scan(&cfg, &sum);
    progress_end(&ps);
    if (em.err != CRV_OK)
      e = em.err;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  sum.elapsed_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  if (e == CRV_OK || e == CRV_ERR_ABORTED) {
    crv_err se = crvi_writer_summary(w, &sum);
    if (se != CRV_OK)
      e = se;
  }
  crv_err ce = crvi_writer_close(w);
  w = NULL;
  if (e == CRV_OK)
    e = ce;
  if (e == CRV_ERR_ABORTED) {
    cli_warn("interrupted by signal %d after %llu objects; findings so far are written",
             (int)stop_signal, (unsigned long long)sum.objects);
    rc = EXIT_SIGNAL_BASE + stop_signal;
  } else if (e != CRV_OK) {
    cli_error("writing %s: %s", out_path ? out_path : "standard output", crv_strerror(e));
    rc = cli_exit_for(e);
  } else {
    if (sum.over_cap)
      cli_warn("%llu candidates longer than --max-len were skipped",
               (unsigned long long)sum.over_cap);
    rc = sum.objects ? EXIT_FOUND : EXIT_NOTHING;
  }
done:
  if (out && out != stdout && fclose(out) != 0 && rc == EXIT_FOUND) {
    cli_error("%s: %s", out_path, strerror(errno));
    rc = EXIT_OUTPUT;
  }
  if (out && out != stdout && !wrote_meta && !force)
    unlink(out_path); /* nothing was carved: leave no empty file behind */
  rc = cli_inputs_finish(&space, rc); /* a live process that exited meanwhile */
  crvi_space_free(&space);
  return rc;
}
