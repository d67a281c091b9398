/* SPDX-License-Identifier: MIT */
/* carver: recover CPython str and bytes objects from process memory. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <capstone/capstone.h>
#include <msgpack.h>
#include <pcre2.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "layouts/layout.h"

int cmd_creds(int argc, char **argv); /* cmd_creds.c */
int cmd_grep(int argc, char **argv);  /* cmd_grep.c */
int cmd_sig(int argc, char **argv);   /* cmd_sig.c */
int cmd_triage(int argc, char **argv); /* cmd_triage.c */
int cmd_wkdm(int argc, char **argv);   /* cmd_wkdm.c */

static void main_help(FILE *f)
{
  fprintf(f,
          "Usage: %s COMMAND [OPTIONS] ...\n"
          "Recover CPython str and bytes objects, live and garbage-collected, from memory.\n\n"
          "Commands:\n"
          "  scan INPUT...    carve objects from dump files, a core file or a live process\n"
          "                   (--pid PID); see '%s scan --help'\n"
          "  creds INPUT...   credentials (HTTP Basic/Bearer, cookies, URL user:password)\n"
          "                   in carved objects; see '%s creds --help'\n"
          "  grep PATTERN INPUT...   regular expressions over carved values, or raw memory\n"
          "                   (--raw, --hex); see '%s grep --help'\n"
          "  sig SIGNATURES INPUT...   code signatures over executable mappings (x86-64,\n"
          "                   x86-32); see '%s sig --help'\n"
          "  triage FINDINGS...   summarize, filter and show findings files (summary,\n"
          "                   text, jsonl, csv, --html report); see '%s triage --help'\n"
          "  wkdm compress|decompress|scan   WKdm compressed pages (macOS compressed memory):\n"
          "                   codec, Rekall-style trees, carving; see '%s wkdm --help'\n"
          "  dump --pid PID -o DIR   save a live process's memory as Volatility 2 dump files\n"
          "  maps --pid PID   a process's readable regions, loaded libraries and interpreter\n"
          "  ps               processes running CPython, flagging renamed ones\n"
          "  layouts          list the built-in CPython layouts\n\n"
          "Options:\n"
          "  -h, --help       show this help and exit\n"
          "  -V, --version    show versions of carver and its libraries\n\n",
          cli_prog, cli_prog, cli_prog, cli_prog, cli_prog, cli_prog, cli_prog);
  cli_print_exit_codes(f);
}

static void print_version(void)
{
  char pcre[64] = "";
  int major, minor;
  pcre2_config(PCRE2_CONFIG_VERSION, pcre);
  cs_version(&major, &minor);
  printf("carver %s (output schema 1)\n", CARVER_VERSION);
  printf("pcre2 %s, capstone %d.%d, msgpack-c %s\n", pcre, major, minor, msgpack_version());
  printf("layouts: %zu (CPython 2.7, 3.0-3.15, free-threaded 3.13t-3.15t; x86_64, i386)\n",
         crvi_layout_count());
}

int cmd_layouts(int argc, char **argv)
{
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("Usage: %s layouts\nList the built-in CPython layouts: one per version and "
           "architecture.\n", cli_prog);
    return EXIT_FOUND;
  }
  if (argc > 1) {
    cli_usage_error("layouts ", "unexpected argument '%s'", argv[1]);
    return EXIT_USAGE;
  }
  printf("%-24s %-7s %-7s %-12s %s\n", "layout", "python", "arch", "header", "family");
  for (size_t i = 0; i < crvi_layout_count(); i++) {
    const struct crv_layout *l = crvi_layout_at(i);
    printf("%-24s %-7s %-7s %-12s %s\n", l->id, l->python, l->arch, l->hdr->name, l->family_name);
  }
  return EXIT_FOUND;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    cli_usage_error(NULL, "no command given (scan, layouts)");
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    main_help(stdout);
    return EXIT_FOUND;
  }
  if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
    print_version();
    return EXIT_FOUND;
  }
  if (strcmp(cmd, "scan") == 0)
    return cmd_scan(argc - 1, argv + 1);
  if (strcmp(cmd, "creds") == 0)
    return cmd_creds(argc - 1, argv + 1);
  if (strcmp(cmd, "grep") == 0)
    return cmd_grep(argc - 1, argv + 1);
  if (strcmp(cmd, "sig") == 0)
    return cmd_sig(argc - 1, argv + 1);
  if (strcmp(cmd, "triage") == 0)
    return cmd_triage(argc - 1, argv + 1);
  if (strcmp(cmd, "wkdm") == 0)
    return cmd_wkdm(argc - 1, argv + 1);
  if (strcmp(cmd, "layouts") == 0)
    return cmd_layouts(argc - 1, argv + 1);
  if (strcmp(cmd, "ps") == 0)
    return cmd_ps(argc - 1, argv + 1);
  if (strcmp(cmd, "maps") == 0)
    return cmd_maps(argc - 1, argv + 1);
  if (strcmp(cmd, "dump") == 0)
    return cmd_dump(argc - 1, argv + 1);
  cli_usage_error(NULL, "unknown command '%s'", cmd);
  return EXIT_USAGE;
}
