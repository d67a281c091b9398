/* SPDX-License-Identifier: MIT */
/* The CLI: the only code that parses argv, prints, or chooses an exit code. */
#ifndef CARVER_CLI_H
#define CARVER_CLI_H
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include "carver/error.h"

/* Exit codes, documented in --help and README.md. */
enum cli_exit {
  EXIT_FOUND = 0,     /* ran to completion, found at least one object */
  EXIT_NOTHING = 1,   /* ran to completion, found nothing */
  EXIT_USAGE = 2,     /* bad option or missing input */
  EXIT_SOURCE = 3,    /* an input could not be opened, read or parsed */
  EXIT_NO_PYTHON = 4, /* no CPython interpreter recognised in the input */
  EXIT_OUTPUT = 5,    /* the output could not be written, or a limit was hit */
  EXIT_VANISHED = 6,  /* the live process does not exist or exited; findings so far flushed */
  EXIT_SIGNAL_BASE = 128 /* interrupted by signal N: 128 + N, findings so far flushed */
};

/* One option: drives getopt_long and the --help text. */
struct cli_opt {
  const char *name; /* long name */
  int short_name;   /* 0 when none */
  const char *arg;  /* argument placeholder, NULL for a flag */
  const char *help;
  int id;           /* value returned by getopt_long */
};

/* Fill a getopt_long option array (n + 1 entries) and short-option string from specs. */
void cli_build_getopt(const struct cli_opt *specs, size_t n, struct option *longopts,
                      char *shortopts, size_t shortopts_len);
void cli_print_options(FILE *f, const struct cli_opt *specs, size_t n);
void cli_print_exit_codes(FILE *f);
/* "16M", "4096", "64K", "1G" (binary multiples); 0 on success. */
int cli_parse_size(const char *s, uint64_t *out);
int cli_exit_for(crv_err e);
/* Output files hold secrets: created mode 0600, never replaced without force (then only a
 * regular file is chmod'ed, never a device). An existing device or FIFO is written to
 * without force. *created (may be NULL) says whether this call made a new file, the only
 * kind the caller may unlink again. -1 or NULL after printing the error. */
int cli_open_output_fd(const char *path, int force, int *created);
FILE *cli_open_output(const char *path, int force, int *created);

extern const char *cli_prog;
void cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int cli_verbosity; /* -1 quiet, 0 default, 1 verbose */

int cmd_scan(int argc, char **argv);
int cmd_layouts(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_dump(int argc, char **argv);
#endif
