/* SPDX-License-Identifier: MIT */
#include <string.h>
#include "util/hex.h"
#include "dumpname.h"

/* Parse hex digits at *p (no prefix) up to a non-hex char; at most 16 digits. */
static int take_hex(const char **p, uint64_t *out)
{
  uint64_t v = 0;
  int n = 0;
  while (crv_hexval((unsigned char)**p) >= 0) {
    if (++n > 16)
      return -1;
    v = (v << 4) | (uint64_t)crv_hexval((unsigned char)**p);
    (*p)++;
  }
  if (n == 0)
    return -1;
  *out = v;
  return 0;
}

static int take_dec(const char **p, uint64_t *out)
{
  uint64_t v = 0;
  int n = 0;
  while (**p >= '0' && **p <= '9') {
    unsigned d = (unsigned)(**p - '0');
    if (++n > 20 || v > (UINT64_MAX - d) / 10)
      return -1;
    v = v * 10 + d;
    (*p)++;
  }
  if (n == 0)
    return -1;
  *out = v;
  return 0;
}

static int take_lit(const char **p, const char *lit)
{
  size_t n = strlen(lit);
  if (strncmp(*p, lit, n) != 0)
    return -1;
  *p += n;
  return 0;
}

int crvi_parse_hex_u64(const char *s, uint64_t *out)
{
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    s += 2;
  return (take_hex(&s, out) == 0 && *s == '\0') ? 0 : -1;
}

int crvi_parse_dec_u64(const char *s, uint64_t *out)
{
  return (take_dec(&s, out) == 0 && *s == '\0') ? 0 : -1;
}

int crvi_dumpname_parse(const char *base, struct crv_dumpname *out)
{
  const char *p = base;
  uint64_t pid, start, end = 0;
  if (take_lit(&p, "task.") == 0) {
    if (take_dec(&p, &pid) || take_lit(&p, ".0x") || take_hex(&p, &start) ||
        strcmp(p, ".vma") != 0)
      return 0;
  } else if (take_lit(&p, "pid.") == 0) {
    if (take_dec(&p, &pid) || take_lit(&p, ".vma.0x") || take_hex(&p, &start) ||
        take_lit(&p, "-0x") || take_hex(&p, &end) || strcmp(p, ".dmp") != 0)
      return 0;
    if (end <= start)
      return 0;
  } else {
    return 0;
  }
  if (pid > INT64_MAX)
    return 0;
  out->pid = (int64_t)pid;
  out->start = start;
  out->end = end;
  return 1;
}
