/* SPDX-License-Identifier: MIT */
/* What the commands that carve objects and then report something else share (carver
 * creds; usable by carver scan): the input, output and scanning options, and the sequence
 * open inputs -> output -> interpreter types -> version -> hash key -> writer + meta ->
 * scan (objects to a callback, not to the output) -> the command's own records ->
 * summary -> exit code.
 *
 * A command:
 *   struct session_opts so;  session_opts_init(&so);
 *   getopt loop: the command's own options first, then
 *                r = session_parse_shared(&so, "creds ", c, optarg, argv[optind - 1]);
 *                SESSION_OPT_HELP -> print help, SESSION_OPT_USAGE -> return EXIT_USAGE
 *   if (session_check(&so, "creds ", argc - optind) != 0) return EXIT_USAGE;
 *   struct session s;
 *   int rc = session_open(&s, &so, argv + optind, argc - optind);
 *   if (rc == EXIT_FOUND) {
 *     crv_err e = session_scan(&s, on_object, user, 1);  // meta, then objects to on_object
 *     ... more records through s.w when s.w && (e is CRV_OK or CRV_ERR_ABORTED) ...
 *     rc = session_finish(&s, e, found, "credentials");  // summary, close, exit code
 *   }
 *   return session_close(&s, rc);                        // always */
#ifndef CARVER_CARVE_SESSION_H
#define CARVER_CARVE_SESSION_H
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "cli.h"
#include "hash/pyhash.h"
#include "out/writer.h"
#include "scan/key.h"
#include "scan/scan.h"

struct crvi_rec;

/* Option ids of the shared options: the short ones are their letters, the rest from 0x1000
 * (a command's own long options take ids from 256 to 0xfff). */
enum {
  SOPT_OUTPUT = 'o', SOPT_QUIET = 'q', SOPT_VERBOSE = 'v', SOPT_HELP = 'h',
  SOPT_FORMAT = 0x1000, SOPT_FORCE, SOPT_PID, SOPT_BASE, SOPT_MAPS, SOPT_PYTHON, SOPT_MAX_LEN,
  SOPT_CHUNK, SOPT_HASH_KEY, SOPT_HASH_SEED, SOPT_KEEP_MISMATCH, SOPT_NO_CLOBBERED,
  SOPT_NO_PROGRESS, SOPT_NO_SYMBOLS, SOPT_THREADS,
};

/* The shared option table, in --help order. */
extern const struct cli_opt session_opt_table[];
extern const size_t session_n_opts;
#define SESSION_MAX_OPTS 32

/* Appends the shared options after a command's own into dst (room for cap); returns the
 * number of entries, or 0 when they do not fit. */
size_t session_opts_merge(struct cli_opt *dst, size_t cap, const struct cli_opt *own,
                          size_t n_own);

#define SESSION_MAX_BASES 64

struct session_opts {
  const char *format, *out_path, *maps_path, *python;
  uint64_t bases[SESSION_MAX_BASES];
  size_t n_bases;
  uint64_t max_value, chunk;
  int threads;            /* 1 or 2 */
  int force, keep_mismatch, no_progress, no_clobbered, no_symbols;
  crv_hash_key key;
  const char *key_source; /* "option", "seed" or NULL */
  int64_t pid;
  enum crv_format fmt;    /* set by session_check */
};

void session_opts_init(struct session_opts *o);

enum { SESSION_OPT_DONE = 0, SESSION_OPT_NOT_MINE = 1, SESSION_OPT_HELP = 2,
       SESSION_OPT_USAGE = -1 };
/* Handles getopt result id. cmd is "scan " style (for the Try line); cur is the argv
 * element being parsed (for messages). Usage errors are printed. */
int session_parse_opt(struct session_opts *o, const char *cmd, int id, const char *arg,
                      const char *cur);
/* session_parse_opt for the options a command has not handled itself: an id that is no
 * shared option either is an unknown option (printed). Returns SESSION_OPT_DONE,
 * SESSION_OPT_HELP or SESSION_OPT_USAGE. */
int session_parse_shared(struct session_opts *o, const char *cmd, int id, const char *arg,
                         const char *cur);
/* After parsing: an input is given, the format resolves, msgpack is not sent to a
 * terminal. Returns 0, or -1 after printing the usage error. */
int session_check(struct session_opts *o, const char *cmd, size_t n_paths);

struct session_progress {
  int enabled;
  int shown;
  struct timespec last;
};

struct session {
  const struct session_opts *o;
  struct crv_space space;
  struct crv_pytypes types;
  struct crv_version ver;
  struct crv_scan_cfg cfg;
  struct crv_key_choice kc;
  crv_hash_key key;
  const char *key_source;
  FILE *out;
  int out_created; /* out is a file this run created: unlinked again if nothing was carved */
  struct crv_writer *w;
  int wrote_meta;
  int inputs_open; /* cli_open_inputs succeeded */
  crv_summary sum;
  struct session_progress ps;
  struct timespec t0;
  char **paths;
  size_t n_paths;
};

/* The signal that stopped the run (0 while none). */
extern volatile sig_atomic_t session_stop_signal;

/* Opens the inputs and the output file, finds the interpreter, its version and the hash
 * key. Returns EXIT_FOUND to go on, else the exit code (the error is printed). Call
 * session_close(s, rc) in every case. */
int session_open(struct session *s, const struct session_opts *o, char **paths, size_t n_paths);
/* The first half of session_open, for commands that need no interpreter (grep --raw,
 * sig): opens the inputs and the output file and installs the signal handlers. Returns
 * EXIT_FOUND to go on, else the exit code (the error is printed). Call session_close(s, rc)
 * in every case. */
int session_open_memory(struct session *s, const struct session_opts *o, char **paths,
                        size_t n_paths);
/* The pieces of session_open, for a command that fills the address space itself (wkdm
 * scan: decompressed pages). session_init sets s up for paths (nothing opened; call
 * session_close in every case from here on). session_start installs the signal handlers,
 * starts the clock and the progress line and opens the output file: EXIT_FOUND to go on,
 * else EXIT_OUTPUT (printed). With s->types found, session_interpreter detects the version
 * (--python), configures the scan and chooses the hash key: EXIT_FOUND, else the exit code
 * (printed); how, when not NULL, says in the -v line where the types came from;
 * image_bounds: the region holding PyType_Type bounds the interpreter's image (not when
 * its address may be synthetic). */
void session_init(struct session *s, const struct session_opts *o, char **paths, size_t n_paths);
int session_start(struct session *s);
int session_interpreter(struct session *s, const char *how, int image_bounds);

/* For commands that write records of their own (grep --raw, sig): session_rec_open opens
 * the writer and a record writer *rec on it (release with crvi_rec_close; from here on the
 * output file is kept); session_rec_sources writes the "sources" array of a meta record
 * (pid:PID first, then the paths; as session_scan's meta). */
crv_err session_rec_open(struct session *s, struct crvi_rec **rec);
void session_rec_sources(const struct session *s, struct crvi_rec *r);
/* Closes the writer (when open); returns e, or the closing's error when e is CRV_OK. */
crv_err session_close_writer(struct session *s, crv_err e);
/* Seconds since session_start. */
double session_elapsed(const struct session *s);

/* Opens the writer, writes meta and scans, calling on_object (may be NULL) for every
 * object. s->sum holds the counts. Returns CRV_OK, CRV_ERR_ABORTED (signal; more records
 * may still be written) or an error. enable_credentials: the summary will carry
 * "credentials" (see crvi_writer_enable_credentials). */
crv_err session_scan(struct session *s, crv_object_fn on_object, void *user,
                     int enable_credentials);
/* Writes the summary (unless e is a hard error), closes the writer and maps the outcome to
 * an exit code: found > 0 -> EXIT_FOUND, 0 -> EXIT_NOTHING; signals, output errors. what
 * names the findings in the "interrupted" warning ("objects", "credentials"). */
int session_finish(struct session *s, crv_err e, uint64_t found, const char *what);
/* Closes the output file, removes it when nothing was written, reports a live process that
 * exited, frees the address space. Returns the final exit code. */
int session_close(struct session *s, int rc);

#endif
