/* SPDX-License-Identifier: MIT */
/* Dump file names that carry their address: Volatility 2 linux_dump_map
 * (task.PID.0xSTART.vma) and Volatility 3 linux.proc.Maps --dump
 * (pid.PID.vma.0xSTART-0xEND.dmp). */
#ifndef CARVER_DUMPNAME_H
#define CARVER_DUMPNAME_H
#include <stdint.h>

struct crv_dumpname {
  int64_t pid;
  uint64_t start;
  uint64_t end; /* 0 when the name does not give it */
};

/* Parse the base name (no directory). Returns 1 on a recognised name, 0 otherwise
 * (including impossible addresses: end <= start, or more than 16 hex digits). */
int crvi_dumpname_parse(const char *base, struct crv_dumpname *out);

/* Hex number with optional 0x prefix, whole string; 0 on success. Shared by option parsing. */
int crvi_parse_hex_u64(const char *s, uint64_t *out);
/* Decimal number, whole string, no sign; 0 on success. */
int crvi_parse_dec_u64(const char *s, uint64_t *out);
#endif
