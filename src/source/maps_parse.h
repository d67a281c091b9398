/* SPDX-License-Identifier: MIT */
/* A hand-written parser for one /proc/PID/maps line (no sscanf: every field is bounded). */
#ifndef CARVER_MAPS_PARSE_H
#define CARVER_MAPS_PARSE_H
#include <stdint.h>
#include <stddef.h>

#define CRV_PROT_R 1u
#define CRV_PROT_W 2u
#define CRV_PROT_X 4u
#define CRV_PROT_SHARED 8u
#define CRV_PROT_UNKNOWN 0x100u

struct crv_maps_line {
  uint64_t start, end, offset, inode;
  unsigned prot;
  const char *path; /* points into the line; "" when anonymous */
  size_t path_len;
};

/* Parse line[0..len) (without the newline). 0 on success, -1 on a malformed line. */
int crvi_maps_parse_line(const char *line, size_t len, struct crv_maps_line *out);
#endif
