/* SPDX-License-Identifier: MIT */
/* Turning command-line inputs into one address space. */
#ifndef CARVER_INPUTS_H
#define CARVER_INPUTS_H
#include <stddef.h>
#include <stdint.h>
#include "source/space.h"

struct cli_inputs {
  char **paths;           /* directories and files, as given */
  size_t n_paths;
  const uint64_t *bases;  /* --base values, applied to plain files in order */
  size_t n_bases;
  const char *maps_path;  /* --maps, or NULL */
};

/* Adds every input, sorts, applies the maps file (--maps, else DIR/maps). On error the
 * space's errmsg says what went wrong. */
crv_err cli_open_inputs(struct crv_space *s, const struct cli_inputs *in);
/* The warning sink the CLI installs on every space. */
void space_warn(void *user, const char *msg);
#endif
