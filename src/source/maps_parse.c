/* SPDX-License-Identifier: MIT */
#include "maps_parse.h"
#include "util/hex.h"

struct cursor {
  const char *p, *end;
};

static int hex_field(struct cursor *c, uint64_t *out)
{
  uint64_t v = 0;
  int n = 0;
  while (c->p < c->end && crv_hexval((unsigned char)*c->p) >= 0) {
    if (++n > 16)
      return -1;
    v = (v << 4) | (uint64_t)crv_hexval((unsigned char)*c->p++);
  }
  if (n == 0)
    return -1;
  *out = v;
  return 0;
}

static int dec_field(struct cursor *c, uint64_t *out)
{
  uint64_t v = 0;
  int n = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    if (++n > 19)
      return -1;
    v = v * 10 + (uint64_t)(*c->p++ - '0');
  }
  if (n == 0)
    return -1;
  *out = v;
  return 0;
}

static int expect(struct cursor *c, char ch)
{
  if (c->p >= c->end || *c->p != ch)
    return -1;
  c->p++;
  return 0;
}

static void skip_spaces(struct cursor *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
    c->p++;
}

int crvi_maps_parse_line(const char *line, size_t len, struct crv_maps_line *out)
{
  struct cursor c = {line, line + len};
  uint64_t dev_major, dev_minor;
  if (hex_field(&c, &out->start) || expect(&c, '-') || hex_field(&c, &out->end) ||
      expect(&c, ' '))
    return -1;
  if (out->end <= out->start)
    return -1;
  if (c.end - c.p < 4)
    return -1;
  out->prot = 0;
  if (c.p[0] == 'r')
    out->prot |= CRV_PROT_R;
  else if (c.p[0] != '-')
    return -1;
  if (c.p[1] == 'w')
    out->prot |= CRV_PROT_W;
  else if (c.p[1] != '-')
    return -1;
  if (c.p[2] == 'x')
    out->prot |= CRV_PROT_X;
  else if (c.p[2] != '-')
    return -1;
  if (c.p[3] == 's')
    out->prot |= CRV_PROT_SHARED;
  else if (c.p[3] != 'p')
    return -1;
  c.p += 4;
  if (expect(&c, ' ') || hex_field(&c, &out->offset) || expect(&c, ' ') ||
      hex_field(&c, &dev_major) || expect(&c, ':') || hex_field(&c, &dev_minor) ||
      expect(&c, ' ') || dec_field(&c, &out->inode))
    return -1;
  if (c.p < c.end && *c.p != ' ' && *c.p != '\t')
    return -1;
  skip_spaces(&c);
  out->path = c.p;
  out->path_len = (size_t)(c.end - c.p);
  return 0;
}
