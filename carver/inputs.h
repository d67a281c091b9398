/* SPDX-License-Identifier: MIT */
/* Turning command-line inputs into one address space. */
#ifndef CARVER_INPUTS_H
#define CARVER_INPUTS_H
#include <stddef.h>
#include <stdint.h>
#include "source/space.h"

struct cli_inputs {
  char **paths;           /* directories, files and "pid:N", as given */
  size_t n_paths;
  const uint64_t *bases;  /* --base values, applied to plain files in order */
  size_t n_bases;
  const char *maps_path;  /* --maps, or NULL */
  int64_t pid;            /* --pid, or 0 */
  int no_symbols;         /* --no-symbols: fill no hints from ELF files or the environment */
};

/* Adds every input (a live process, an ELF core, dump directories and files), sorts,
 * applies the maps file (--maps, else DIR/maps), then looks for the interpreter's ELF file
 * to fill s->hints. On error the space's errmsg says what went wrong. */
crv_err cli_open_inputs(struct crv_space *s, const struct cli_inputs *in);
/* "pid:1234" -> 1234; 0 when arg is no such input. */
int64_t cli_parse_pid_input(const char *arg);
/* Parses a --pid value; 0 on success. */
int cli_parse_pid(const char *arg, int64_t *pid);
/* After a scan: reports a live process that exited meanwhile (returns EXIT_VANISHED) and
 * pages zero-filled because they were no longer resident; otherwise returns rc. */
int cli_inputs_finish(struct crv_space *s, int rc);
/* Reports e, a failure of an operation on s, as one error line (the space's errmsg when it
 * has one) and returns the exit code for it. */
int cli_space_error(const struct crv_space *s, crv_err e);
/* The warning sink the CLI installs on every space. */
void space_warn(void *user, const char *msg);
#endif
