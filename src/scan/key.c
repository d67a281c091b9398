/* SPDX-License-Identifier: MIT */
/* Recovering _Py_HashSecret (§5.2). The hash is the strongest validator there is: 64 bits
 * (32 on i386) that must agree with the content. With no symbols the key is found by
 * trying every aligned window of the interpreter's writable data against a few carved
 * objects whose hash is cached; a key is accepted only when several agree. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "key.h"
#include "util/limits.h"
#include "util/span.h"

/* Bytes read at most to collect samples: first a short pass, which is enough when it
 * confirms a key from the symbols or the environment (or the user gave one); else the
 * longer one, which a search of the memory for the key needs. */
#define COLLECT_QUICK (32ull << 20)
#define COLLECT_BUDGET (256ull << 20)
#define SEARCH_CHUNK (1u << 20)
#define SEARCH_ALL_BUDGET (1ull << 30) /* bytes searched outside the image at most */

struct collect {
  struct crv_key_samples *out;   /* text objects: their state byte makes them surer */
  struct crv_key_samples bytes;  /* bytes objects, used only to fill up */
};

static int on_sample(void *user, const crv_object *o)
{
  struct collect *c = user;
  int text = crv_obj_type_is_text(o->type);
  struct crv_key_samples *smp = text ? c->out : &c->bytes;
  if (o->hash == -1 || o->data_len == 0 || o->data_len > CRV_KEY_SAMPLE_MAX ||
      smp->n >= CRV_KEY_SAMPLES)
    return 0;
  for (size_t i = 0; i < smp->n; i++) /* distinct values only: independent evidence */
    if (smp->s[i].len == o->data_len && smp->s[i].unit == o->kind &&
        memcmp(smp->s[i].data, o->data, o->data_len) == 0)
      return 0;
  smp->s[smp->n].hash = o->hash;
  smp->s[smp->n].unit = o->kind;
  smp->s[smp->n].len = o->data_len;
  memcpy(smp->s[smp->n].data, o->data, o->data_len);
  smp->n++;
  return c->out->n >= CRV_KEY_SAMPLES;
}

crv_err crvi_key_collect(struct crv_scan_cfg cfg, struct crv_key_samples *out)
{
  return crvi_key_collect_upto(cfg, COLLECT_BUDGET, out, NULL);
}

crv_err crvi_key_collect_upto(struct crv_scan_cfg cfg, uint64_t budget,
                              struct crv_key_samples *out, int *complete)
{
  struct collect *c = malloc(sizeof *c);
  crv_summary sum;
  if (!c)
    return CRV_ERR_NOMEM;
  memset(&sum, 0, sizeof sum);
  out->n = 0;
  c->out = out;
  c->bytes.n = 0;
  cfg.key = NULL;
  cfg.on_object = on_sample;
  cfg.on_reject = NULL;
  cfg.user = c;
  cfg.byte_budget = budget;
  cfg.progress.fn = NULL;
  crv_err e = crvi_scan(&cfg, &sum);
  if (complete) /* every sample there is to find here, or all that are wanted */
    *complete = sum.bytes_scanned < budget || out->n >= CRV_KEY_SAMPLES;
  for (size_t i = 0; i < c->bytes.n && out->n < CRV_KEY_SAMPLES; i++)
    out->s[out->n++] = c->bytes.s[i];
  free(c);
  return e == CRV_ERR_ABORTED ? e : CRV_OK;
}

unsigned crvi_key_agree(enum crv_hash_algo algo, unsigned ptr_size, const crv_hash_key *key,
                        const struct crv_key_samples *smp)
{
  unsigned agree = 0;
  for (size_t i = 0; i < smp->n; i++)
    if (crvi_pyhash(algo, key, ptr_size, smp->s[i].data, smp->s[i].len, smp->s[i].unit) ==
        smp->s[i].hash)
      agree++;
  return agree;
}

int crvi_key_confirmed(unsigned ptr_size, unsigned agree, size_t n)
{
  /* A chance match has odds 2^-64 per sample (2^-32 on 32-bit builds); a few stray
   * structurally valid non-objects may disagree, so 90% suffices. */
  /* On 32-bit builds a search tries ~2^28 windows per GiB against 32-bit hashes: three
   * agreeing samples are needed (fewer samples cannot confirm anything there). */
  unsigned need = ptr_size == 8 ? (n < 2 ? (unsigned)n : 2u) : 3u;
  return n > 0 && agree >= need && agree * 10 >= n * 9;
}

/* The window size the algorithm reads: k0,k1 for SipHash; prefix,suffix words for FNV. */
static size_t key_window(enum crv_hash_algo algo, unsigned ptr_size)
{
  return algo == CRV_HASHALG_FNV27 ? 2u * ptr_size : 16u;
}

static int search_range(struct crv_space *s, uint64_t start, uint64_t end,
                        const struct crv_layout *l, const struct crv_key_samples *smp,
                        const size_t *first, size_t n_first, crv_hash_key *key, uint64_t *at,
                        uint8_t *buf,
                        const volatile sig_atomic_t *stop)
{
  const unsigned w = l->hdr->ptr_size;
  const size_t win = key_window(l->hash, w);
  for (uint64_t pos = start; pos < end; pos += SEARCH_CHUNK) {
    if (stop && *stop)
      return 0;
    size_t want = (size_t)((end - pos) < SEARCH_CHUNK + 32 ? (end - pos) : SEARCH_CHUNK + 32);
    size_t got = crvi_space_read(s, pos, buf, want);
    for (size_t o = (size_t)((w - (pos & (w - 1))) & (w - 1)); o + win <= got && o < SEARCH_CHUNK;
         o += w) {
      crv_hash_key k;
      memset(&k, 0, sizeof k);
      memcpy(k.bytes, buf + o, win);
      /* Cheap filter: a window must reproduce one of the first samples (a stray sample
       * that is not a real object must not hide the key). */
      size_t j = 0;
      for (; j < n_first; j++) {
        const struct crv_key_sample *f = &smp->s[first[j]];
        if (crvi_pyhash(l->hash, &k, w, f->data, f->len, f->unit) == f->hash)
          break;
      }
      if (j == n_first)
        continue;
      unsigned agree = crvi_key_agree(l->hash, w, &k, smp);
      if (crvi_key_confirmed(w, agree, smp->n)) {
        *key = k;
        *at = pos + o;
        return 1;
      }
    }
    if (got < want)
      break;
  }
  return 0;
}

int crvi_key_search(struct crv_space *s, const struct crv_pytypes *t,
                    const struct crv_layout *l, const struct crv_key_samples *smp,
                    crv_hash_key *key, uint64_t *at, const volatile sig_atomic_t *stop)
{
  if (smp->n == 0 || l->hash == CRV_HASHALG_NONE)
    return 0;
  /* Filter windows with the three shortest samples (cheapest to hash). */
  size_t first[3], n_first = 0;
  for (size_t k = 0; k < 3 && k < smp->n; k++) {
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < smp->n; i++) {
      int used = 0;
      for (size_t j = 0; j < n_first; j++)
        used |= first[j] == i;
      if (!used && (best == SIZE_MAX || smp->s[i].len < smp->s[best].len))
        best = i;
    }
    first[n_first++] = best;
  }
  uint8_t *buf = malloc(SEARCH_CHUNK + 32);
  int found = 0;
  if (!buf)
    return 0;
  for (size_t i = t->image_first; i <= t->image_last && !found; i++)
    found = search_range(s, s->r[i].start, s->r[i].end, l, smp, first, n_first, key, at, buf, stop);
  /* Outside the image: every other region, smallest first would be nicer, but address
   * order keeps it simple; bounded so a huge heap cannot stall the scan. */
  uint64_t spent = 0;
  for (size_t i = 0; i < s->n && !found && spent < SEARCH_ALL_BUDGET; i++) {
    if (i >= t->image_first && i <= t->image_last)
      continue;
    uint64_t len = s->r[i].end - s->r[i].start;
    if (len > SEARCH_ALL_BUDGET - spent)
      len = SEARCH_ALL_BUDGET - spent;
    found = search_range(s, s->r[i].start, s->r[i].start + len, l, smp, first, n_first, key,
                         at, buf, stop);
    spent += len;
  }
  free(buf);
  return found;
}

int crvi_key_env_seed(struct crv_space *s, uint32_t *seed)
{
  static const char needle[] = "PYTHONHASHSEED=";
  int result = 0;
  for (size_t i = 0; i < s->n && !result; i++) {
    const struct crv_region *r = &s->r[i];
    uint64_t len = r->end - r->start;
    if (!r->path || strcmp(r->path, "[stack]") != 0 || len > (64u << 20))
      continue;
    uint8_t *buf = malloc((size_t)len + 1);
    if (!buf)
      return 0;
    size_t got = crvi_space_read(s, r->start, buf, (size_t)len);
    buf[got] = 0;
    const uint8_t *p = buf, *end = buf + got;
    while (!result && (p = memmem(p, (size_t)(end - p), needle, sizeof needle - 1)) != NULL) {
      const char *v = (const char *)p + sizeof needle - 1;
      /* An environment string starts after a NUL (or at the region start). */
      if (p == buf || p[-1] == 0) {
        if (strcmp(v, "random") == 0) {
          result = 2;
        } else {
          uint64_t n = 0;
          int digits = 0;
          while (v[digits] >= '0' && v[digits] <= '9' && digits < 11)
            n = n * 10 + (uint64_t)(v[digits++] - '0');
          if (digits > 0 && v[digits] == 0 && n <= 4294967295u) {
            *seed = (uint32_t)n;
            result = 1;
          }
        }
      }
      p++;
    }
    free(buf);
  }
  return result;
}

static int try_key(struct crv_key_choice *out, const struct crv_layout *l,
                   const struct crv_key_samples *smp, const crv_hash_key *k, const char *src)
{
  unsigned agree = crvi_key_agree(l->hash, l->hdr->ptr_size, k, smp);
  if (!crvi_key_confirmed(l->hdr->ptr_size, agree, smp->n))
    return 0;
  out->known = 1;
  out->key = *k;
  out->source = src;
  out->agree = agree;
  return 1;
}

/* The keys the process itself names (its symbols, its environment), tried in turn.
 * *env: crvi_key_env_seed's answer (seed in *seed), or -1 before it was asked; it reads the
 * stack, so it is asked at most once across calls. */
static int try_named_keys(struct crv_key_choice *out, struct crv_space *s,
                          const struct crv_layout *l, const struct crv_key_samples *smp, int *env,
                          uint32_t *seed)
{
  crv_hash_key k;
  if (smp->n == 0)
    return 0;
  if (s->hints.have_key) {
    memset(&k, 0, sizeof k);
    memcpy(k.bytes, s->hints.hash_secret, sizeof k.bytes);
    if (try_key(out, l, smp, &k, "dynsym"))
      return 1;
  }
  if (s->hints.have_seed) {
    crvi_hash_key_from_seed(&k, s->hints.seed, l->bytes_is_str27 ? 2u * l->hdr->ptr_size : 24u);
    if (try_key(out, l, smp, &k, "environ"))
      return 1;
  }
  if (*env < 0)
    *env = crvi_key_env_seed(s, seed);
  if (*env == 1) {
    crvi_hash_key_from_seed(&k, *seed, l->bytes_is_str27 ? 2u * l->hdr->ptr_size : 24u);
    if (try_key(out, l, smp, &k, "env-string"))
      return 1;
  }
  return 0;
}

crv_err crvi_key_choose(struct crv_space *s, const struct crv_pytypes *t,
                        struct crv_scan_cfg cfg, const crv_hash_key *given,
                        const char *given_source, struct crv_key_choice *out)
{
  const struct crv_layout *l = cfg.layout;
  struct crv_key_samples *smp = malloc(sizeof *smp);
  crv_hash_key k;
  int complete = 0, env = -1;
  uint32_t seed = 0;
  memset(out, 0, sizeof *out);
  if (!smp)
    return CRV_ERR_NOMEM;
  crv_err e = crvi_key_collect_upto(cfg, COLLECT_QUICK, smp, &complete);
  if (e == CRV_OK && given && smp->n == 0 && !complete) /* something to check it against */
    e = crvi_key_collect_upto(cfg, COLLECT_BUDGET, smp, &complete);
  if (e != CRV_OK)
    goto done;
  if (given) {
    /* The user's word wins, but say so when the memory disagrees. */
    out->known = 1;
    out->key = *given;
    out->source = given_source;
    out->agree = crvi_key_agree(l->hash, l->hdr->ptr_size, given, smp);
    if (smp->n && !crvi_key_confirmed(l->hdr->ptr_size, out->agree, smp->n))
      snprintf(out->note, sizeof out->note,
               "the given hash key reproduces only %u of %zu cached hashes; objects whose "
               "hash mismatches are dropped (see --keep-unverified)", out->agree, smp->n);
    goto done;
  }
  if (try_named_keys(out, s, l, smp, &env, &seed))
    goto done;
  if (!complete) {
    if ((e = crvi_key_collect_upto(cfg, COLLECT_BUDGET, smp, &complete)) != CRV_OK)
      goto done;
    if (try_named_keys(out, s, l, smp, &env, &seed))
      goto done;
  }
  if (smp->n == 0)
    goto done;
  memset(&k, 0, sizeof k);
  if (try_key(out, l, smp, &k, "zero"))
    goto done;
  if (crvi_key_search(s, t, l, smp, &k, &out->found_at, cfg.stop)) {
    try_key(out, l, smp, &k, "search");
    goto done;
  }
done:
  out->samples = smp->n;
  free(smp);
  return e;
}
