/* SPDX-License-Identifier: MIT */
/* Processes running CPython. A process runs CPython when it maps an ELF file that exports
 * PyUnicode_Type or Py_GetVersion (whatever the file is called: a renamed copy of the
 * interpreter counts). Its name is checked against that interpreter: a comm changed with
 * prctl(PR_SET_NAME) or an argv[0] rewritten (exec -a, setproctitle) is flagged. */
#ifndef CARVER_PROCLIST_H
#define CARVER_PROCLIST_H
#include <stddef.h>
#include <stdint.h>

struct crv_procinfo {
  int64_t pid;
  char comm[32];
  char cmdline[1024];     /* arguments separated by spaces (truncated) */
  char argv0[256];
  char exe[1024];         /* /proc/PID/exe target, "" when unreadable */
  char interpreter[1024]; /* the mapped file exporting the CPython API */
  char libpython[1024];   /* interpreter when it is a shared library, else "" */
  char version[16];       /* "3.11" (file name or Py_Version), "" when unknown */
  char version_full[16];  /* "3.11.2" (Py_Version, 3.11+), "" when unknown */
  unsigned ptr_size;      /* 4 or 8 */
  int disguised;          /* comm or argv[0] do not name the interpreter */
  char why[320];          /* why disguised */
};

struct crv_proclist_stats {
  unsigned processes;  /* numeric /proc entries seen */
  unsigned unreadable; /* whose mappings could not be read (permission) */
  unsigned python;     /* reported */
};

/* Calls fn for every process running CPython (pid order). only_pid > 0 looks at that
 * process alone. */
void crvi_proclist(int64_t only_pid, void (*fn)(void *user, const struct crv_procinfo *p),
                   void *user, struct crv_proclist_stats *st);

/* The name check alone (for tests): fills p->disguised and p->why from p->comm, argv
 * (NUL-separated, len bytes), p->exe and p->interpreter. */
void crvi_proc_check_names(struct crv_procinfo *p, const char *argv, size_t len);
#endif
