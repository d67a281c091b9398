/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "inputs.h"
#include "source/core.h"
#include "source/dumpname.h"
#include "source/interp.h"
#include "source/pid.h"

int cli_space_error(const struct crv_space *s, crv_err e)
{
  cli_error("%s", s->errmsg[0] ? s->errmsg : crv_strerror(e));
  return cli_exit_for(e);
}

void space_warn(void *user, const char *msg)
{
  (void)user;
  cli_warn("%s", msg);
}

int cli_parse_pid(const char *arg, int64_t *pid)
{
  uint64_t v;
  if (crvi_parse_dec_u64(arg, &v) != 0 || v == 0 || v > 0x7fffffff)
    return -1;
  *pid = (int64_t)v;
  return 0;
}

int64_t cli_parse_pid_input(const char *arg)
{
  int64_t pid;
  if (strncmp(arg, "pid:", 4) != 0 || cli_parse_pid(arg + 4, &pid) != 0)
    return 0;
  return pid;
}

/* --no-symbols: drop what came from ELF files (types, key, version); keep what the
 * process environment said (PYTHONHASHSEED), which is not a symbol. */
static void forget_symbols(struct crv_hints *h)
{
  struct crv_hints keep = *h;
  memset(h, 0, sizeof *h);
  h->have_seed = keep.have_seed;
  h->seed = keep.seed;
  h->seed_random = keep.seed_random;
}

static void find_interpreter(struct crv_space *s)
{
  char why[600];
  int found = crvi_space_find_interpreter(s, why, sizeof why);
  if (cli_verbosity > 0)
    fprintf(stderr, "%s: interpreter file: %s%s\n", cli_prog, found ? "" : "none used: ", why);
}

crv_err cli_open_inputs(struct crv_space *s, const struct cli_inputs *in)
{
  char *dir_maps = NULL;
  size_t used_bases = 0;
  crv_err e = CRV_OK;
  int64_t pid = in->pid;
  size_t pid_inputs = 0;
  struct stat st;
  for (size_t i = 0; i < in->n_paths; i++) {
    const char *path = in->paths[i];
    if (strncmp(path, "pid:", 4) != 0 || stat(path, &st) == 0)
      continue; /* a file that happens to be named pid:... is a file */
    int64_t p = cli_parse_pid_input(path);
    if (!p)
      return crvi_space_fail(s, CRV_ERR_INVALID_ARG, "%s: not a process id (pid:N) nor a file",
                             path);
    if (pid && pid != p)
      return crvi_space_fail(s, CRV_ERR_INVALID_ARG, "one process per scan (%lld and %lld)",
                             (long long)pid, (long long)p);
    pid = p;
    pid_inputs++;
  }
  if (pid) {
    if (in->n_paths > pid_inputs || in->n_bases || in->maps_path)
      return crvi_space_fail(s, CRV_ERR_INVALID_ARG,
                             "a live process must be the only input (no files, --base or "
                             "--maps with it)");
    e = crvi_space_open_pid(s, pid);
    if (e == CRV_OK && !in->no_symbols)
      find_interpreter(s);
    if (e == CRV_OK && in->no_symbols)
      forget_symbols(&s->hints); /* the environment read from /proc stays */
    return e;
  }
  for (size_t i = 0; i < in->n_paths && e == CRV_OK; i++) {
    const char *path = in->paths[i];
    struct crv_dumpname dn;
    const char *slash = strrchr(path, '/');
    char msg[sizeof s->errmsg];
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      char *m = NULL;
      e = crvi_space_add_dir(s, path, &m);
      if (m && !dir_maps)
        dir_maps = m;
      else
        free(m);
      continue;
    }
    if (crvi_dumpname_parse(slash ? slash + 1 : path, &dn)) {
      e = crvi_space_add_file(s, path, 0, 0);
      continue;
    }
    enum crv_sniff k = crvi_core_sniff(path, msg, sizeof msg);
    if (k == CRV_SNIFF_CORE) {
      if (in->n_paths > 1 || in->n_bases)
        return crvi_space_fail(s, CRV_ERR_INVALID_ARG,
                               "%s: a core file must be the only input", path);
      e = crvi_space_add_core(s, path);
    } else if (used_bases < in->n_bases) {
      e = crvi_space_add_file(s, path, 1, in->bases[used_bases++]);
    } else if (k == CRV_SNIFF_COMPRESSED || k == CRV_SNIFF_ELF_OTHER) {
      e = crvi_space_fail(s, CRV_ERR_FORMAT, "%s", msg);
    } else if (k == CRV_SNIFF_UNREADABLE) {
      e = crvi_space_fail(s, CRV_ERR_OPEN, "%s", msg);
    } else {
      struct stat fst;
      if (stat(path, &fst) == 0 && S_ISREG(fst.st_mode) && fst.st_size == 0)
        e = crvi_space_fail(s, CRV_ERR_FORMAT, "%s: empty file", path);
      else if (stat(path, &fst) == 0 && S_ISREG(fst.st_mode))
        e = crvi_space_fail(s, CRV_ERR_FORMAT,
                            "%s: not an ELF core, and its name gives no address (dump files "
                            "are named task.PID.0xSTART.vma or pid.PID.vma.0xSTART-0xEND.dmp); "
                            "use --base ADDR for a plain memory image",
                            path);
      else
        e = crvi_space_add_file(s, path, 0, 0); /* its error says what is wrong */
    }
  }
  if (e == CRV_OK && used_bases < in->n_bases)
    cli_warn("%zu --base value(s) left unused: each applies to one plain file, in order",
             in->n_bases - used_bases);
  if (e == CRV_OK)
    e = crvi_space_finish(s);
  if (e == CRV_OK && (in->maps_path || dir_maps) && s->core_fd < 0)
    e = crvi_space_apply_maps(s, in->maps_path ? in->maps_path : dir_maps);
  free(dir_maps);
  if (e == CRV_OK && s->n_maps && !in->no_symbols)
    find_interpreter(s);
  if (e == CRV_OK && in->no_symbols)
    forget_symbols(&s->hints);
  return e;
}

int cli_inputs_finish(struct crv_space *s, int rc)
{
  if (s->proc && cli_verbosity > 0)
    fprintf(stderr, "%s: %llu bytes were not resident (anonymous or swapped out) and read as "
            "zeros, without faulting them in\n", cli_prog, (unsigned long long)s->hole_bytes);
  if (s->late_hole_bytes)
    cli_warn("%llu bytes were no longer resident or readable when read; scanned as zeros "
             "(holes)", (unsigned long long)s->late_hole_bytes);
  if (s->proc && (s->vanished || !crvi_proc_alive(s)) && rc != EXIT_USAGE &&
      rc < EXIT_SIGNAL_BASE) {
    cli_error("process %lld exited during the scan; the findings so far are written",
              (long long)s->pid);
    return EXIT_VANISHED;
  }
  return rc;
}
