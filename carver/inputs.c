/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "inputs.h"
#include "source/dumpname.h"

void space_warn(void *user, const char *msg)
{
  (void)user;
  cli_warn("%s", msg);
}

crv_err cli_open_inputs(struct crv_space *s, const struct cli_inputs *in)
{
  char *dir_maps = NULL;
  size_t used_bases = 0;
  crv_err e = CRV_OK;
  for (size_t i = 0; i < in->n_paths && e == CRV_OK; i++) {
    const char *path = in->paths[i];
    struct stat st;
    struct crv_dumpname dn;
    const char *slash = strrchr(path, '/');
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      char *m = NULL;
      e = crvi_space_add_dir(s, path, &m);
      if (m && !dir_maps)
        dir_maps = m;
      else
        free(m);
    } else if (crvi_dumpname_parse(slash ? slash + 1 : path, &dn)) {
      e = crvi_space_add_file(s, path, 0, 0);
    } else if (used_bases < in->n_bases) {
      e = crvi_space_add_file(s, path, 1, in->bases[used_bases++]);
    } else {
      e = crvi_space_add_file(s, path, 0, 0); /* its error explains the naming rules */
    }
  }
  if (e == CRV_OK && used_bases < in->n_bases)
    cli_warn("%zu --base value(s) left unused: each applies to one plain file, in order",
             in->n_bases - used_bases);
  if (e == CRV_OK)
    e = crvi_space_finish(s);
  if (e == CRV_OK && (in->maps_path || dir_maps))
    e = crvi_space_apply_maps(s, in->maps_path ? in->maps_path : dir_maps);
  free(dir_maps);
  return e;
}
