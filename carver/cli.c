/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* O_CLOEXEC, fdopen */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

const char *cli_prog = "carver";
int cli_verbosity = 0;

void cli_build_getopt(const struct cli_opt *specs, size_t n, struct option *longopts,
                      char *shortopts, size_t shortopts_len)
{
  size_t k = 0;
  if (shortopts_len > 0)
    shortopts[k++] = ':'; /* report a missing argument as ':' */
  for (size_t i = 0; i < n; i++) {
    longopts[i].name = specs[i].name;
    longopts[i].has_arg = specs[i].arg ? required_argument : no_argument;
    longopts[i].flag = NULL;
    longopts[i].val = specs[i].id;
    if (specs[i].short_name && k + 3 < shortopts_len) {
      shortopts[k++] = (char)specs[i].short_name;
      if (specs[i].arg)
        shortopts[k++] = ':';
    }
  }
  memset(&longopts[n], 0, sizeof longopts[n]);
  shortopts[k] = '\0';
}

void cli_print_options(FILE *f, const struct cli_opt *specs, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char left[64];
    if (specs[i].short_name)
      snprintf(left, sizeof left, "-%c, --%s%s%s", specs[i].short_name, specs[i].name,
               specs[i].arg ? " " : "", specs[i].arg ? specs[i].arg : "");
    else
      snprintf(left, sizeof left, "    --%s%s%s", specs[i].name, specs[i].arg ? " " : "",
               specs[i].arg ? specs[i].arg : "");
    fprintf(f, "  %-26s %s\n", left, specs[i].help);
  }
}

void cli_print_exit_codes(FILE *f)
{
  fputs("Exit codes:\n"
        "  0    objects found\n"
        "  1    ran to completion, nothing found\n"
        "  2    usage error\n"
        "  3    an input could not be opened, read or parsed, or exceeds a limit\n"
        "  4    no CPython interpreter recognised in the input\n"
        "  5    output could not be written (disk full, file exists without --force)\n"
        "  6    the live process does not exist, or exited during the scan (findings so\n"
        "       far are flushed)\n"
        "  128+N  interrupted by signal N (130 SIGINT, 143 SIGTERM); findings so far are\n"
        "       flushed and the output stays decodable\n",
        f);
}

int cli_parse_size(const char *s, uint64_t *out)
{
  uint64_t v = 0;
  int digits = 0;
  while (*s >= '0' && *s <= '9') {
    if (v > (UINT64_MAX - 9) / 10)
      return -1;
    v = v * 10 + (uint64_t)(*s++ - '0');
    digits++;
  }
  if (!digits)
    return -1;
  unsigned shift = 0;
  switch (*s) {
  case 'k': case 'K': shift = 10; s++; break;
  case 'm': case 'M': shift = 20; s++; break;
  case 'g': case 'G': shift = 30; s++; break;
  default: break;
  }
  if (shift && (*s == 'i' || *s == 'I'))
    s++;
  if (shift && (*s == 'b' || *s == 'B'))
    s++;
  if (*s != '\0')
    return -1;
  if (shift && v > (UINT64_MAX >> shift))
    return -1;
  *out = v << shift;
  return 0;
}

int cli_open_output_fd(const char *path, int force, int *created)
{
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
  int fd = open(path, flags, 0600);
  int made = fd >= 0 && !force;
  struct stat st;
  if (fd < 0 && errno == EEXIST) {
    /* A device or FIFO (/dev/null, a pipe to another tool) is written to, not replaced;
     * opening a regular file write-only without O_TRUNC leaves it as it was. */
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && (fstat(fd, &st) != 0 || S_ISREG(st.st_mode))) {
      close(fd);
      fd = -1;
      errno = EEXIST;
    }
  }
  if (fd < 0) {
    if (errno == EEXIST)
      cli_error("%s exists; use --force to overwrite it", path);
    else
      cli_error("%s: %s", path, strerror(errno));
    return -1;
  }
  if (force && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    fchmod(fd, 0600); /* findings hold secrets, also when replacing a file */
  if (created)
    *created = made;
  return fd;
}

FILE *cli_open_output(const char *path, int force, int *created)
{
  int fd = cli_open_output_fd(path, force, created);
  if (fd < 0)
    return NULL;
  FILE *f = fdopen(fd, "wb");
  if (!f) {
    cli_error("%s: %s", path, strerror(errno));
    close(fd);
  }
  return f;
}

int cli_exit_for(crv_err e)
{
  switch (e) {
  case CRV_OK:
    return EXIT_FOUND;
  case CRV_ERR_INVALID_ARG:
    return EXIT_USAGE;
  case CRV_ERR_OPEN:
  case CRV_ERR_ATTACH:
  case CRV_ERR_READ:
  case CRV_ERR_FORMAT:
    return EXIT_SOURCE;
  case CRV_ERR_UNSUPPORTED:
    return EXIT_NO_PYTHON;
  case CRV_ERR_VANISHED:
    return EXIT_VANISHED;
  case CRV_ERR_LIMIT: /* every cap applies to input: too many files, a giant maps file */
    return EXIT_SOURCE;
  case CRV_ERR_OUTPUT:
  case CRV_ERR_NOMEM:
  default:
    return EXIT_OUTPUT;
  }
}

void cli_usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "%s: ", cli_prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry '%s %s--help'.\n", cli_prog, cmd ? cmd : "");
}

/* Messages quote file names and paths from the input: escape every control byte so that
 * nothing read from evidence can drive the terminal. */
__attribute__((format(printf, 2, 0))) static void print_message(const char *prefix,
                                                                 const char *fmt, va_list ap)
{
  char msg[2048];
  vsnprintf(msg, sizeof msg, fmt, ap);
  fprintf(stderr, "%s: %s", cli_prog, prefix);
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
    if (*p < 0x20 || *p == 0x7f)
      fprintf(stderr, "\\x%02x", *p);
    else
      fputc(*p, stderr);
  }
  fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  print_message("error: ", fmt, ap);
  va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
  va_list ap;
  if (cli_verbosity < 0)
    return;
  va_start(ap, fmt);
  print_message("warning: ", fmt, ap);
  va_end(ap);
}
