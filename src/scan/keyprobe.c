/* SPDX-License-Identifier: MIT */
/* Is the hash key zero? 2.7 runs unkeyed unless -R, and PYTHONHASHSEED=0 zeroes the key
 * of every version (§5.2). A short carving pass collects objects with a cached hash and
 * recomputes their hashes with the zero key; the key is accepted only when several
 * independent objects agree. */
#include <stdlib.h>
#include <string.h>
#include "scan.h"

#define PROBE_OBJECTS 24u           /* hashed objects examined */
#define PROBE_MIN_AGREE 3u          /* agreeing objects needed to accept the key */
#define PROBE_BUDGET (256ull << 20) /* bytes read at most */

struct probe {
  const struct crv_layout *layout;
  crv_hash_key zero;
  unsigned seen, agree;
};

static int on_object(void *user, const crv_object *o)
{
  struct probe *p = user;
  if (o->hash == -1 || o->length == 0)
    return 0;
  int64_t h = crvi_pyhash(p->layout->hash, &p->zero, p->layout->hdr->ptr_size, o->data,
                          o->data_len, o->kind);
  p->seen++;
  if (h == o->hash)
    p->agree++;
  return p->seen >= PROBE_OBJECTS;
}

int crvi_probe_zero_key(struct crv_scan_cfg cfg, crv_hash_key *key)
{
  struct probe p;
  crv_summary sum;
  memset(&p, 0, sizeof p);
  memset(&sum, 0, sizeof sum);
  p.layout = cfg.layout;
  cfg.key = NULL;
  cfg.on_object = on_object;
  cfg.user = &p;
  cfg.byte_budget = PROBE_BUDGET;
  cfg.progress.fn = NULL;
  if (crvi_scan(&cfg, &sum) != CRV_OK)
    return 0;
  /* With a random key a chance agreement has odds of 2^-64 (2^-32 on 32-bit builds). */
  if (p.agree >= PROBE_MIN_AGREE && p.agree * 10 >= p.seen * 9) {
    memset(key, 0, sizeof *key);
    return 1;
  }
  return 0;
}
