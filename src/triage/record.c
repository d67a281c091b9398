/* SPDX-License-Identifier: MIT */
/* Record fields and filters (see record.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage/record.h"

const msgpack_object *crvi_mp_get(const msgpack_object *map, const char *key)
{
  if (!map || map->type != MSGPACK_OBJECT_MAP)
    return NULL;
  size_t kl = strlen(key);
  for (uint32_t i = 0; i < map->via.map.size; i++) {
    const msgpack_object *k = &map->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
        (kl == 0 || memcmp(k->via.str.ptr, key, kl) == 0))
      return &map->via.map.ptr[i].val;
  }
  return NULL;
}

int crvi_mp_str(const msgpack_object *o, struct crvi_bytes *out)
{
  if (!o || o->type != MSGPACK_OBJECT_STR)
    return 0;
  out->p = (const uint8_t *)o->via.str.ptr;
  out->n = o->via.str.size;
  if (!out->p) /* msgpack-c leaves ptr NULL for an empty str */
    out->p = (const uint8_t *)"";
  return 1;
}

int crvi_mp_blob(const msgpack_object *o, struct crvi_bytes *out, int *is_text)
{
  if (crvi_mp_str(o, out)) {
    if (is_text)
      *is_text = 1;
    return 1;
  }
  if (!o || o->type != MSGPACK_OBJECT_BIN)
    return 0;
  out->p = (const uint8_t *)o->via.bin.ptr;
  out->n = o->via.bin.size;
  if (!out->p)
    out->p = (const uint8_t *)"";
  if (is_text)
    *is_text = 0;
  return 1;
}

int crvi_mp_u64(const msgpack_object *o, uint64_t *v)
{
  if (!o)
    return 0;
  if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
    *v = o->via.u64;
    return 1;
  }
  if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && o->via.i64 >= 0) {
    *v = (uint64_t)o->via.i64;
    return 1;
  }
  return 0;
}

int crvi_bytes_eq(struct crvi_bytes b, const char *s)
{
  size_t n = strlen(s);
  return b.p && b.n == n && (n == 0 || memcmp(b.p, s, n) == 0);
}

int crvi_status_index(struct crvi_bytes status)
{
  if (crvi_bytes_eq(status, "live"))
    return CRVI_ST_LIVE;
  if (crvi_bytes_eq(status, "freed"))
    return CRVI_ST_FREED;
  return CRVI_ST_OTHER;
}

void crvi_rec_view(struct crvi_rec *r, const msgpack_object *map)
{
  memset(r, 0, sizeof *r);
  r->map = map;
  if (!crvi_mp_str(crvi_mp_get(map, "record"), &r->rtype))
    r->rtype.p = (const uint8_t *)"", r->rtype.n = 0;
  if (crvi_bytes_eq(r->rtype, "object"))
    r->kind = CRVI_REC_OBJECT;
  else if (crvi_bytes_eq(r->rtype, "meta"))
    r->kind = CRVI_REC_META;
  else if (crvi_bytes_eq(r->rtype, "summary"))
    r->kind = CRVI_REC_SUMMARY;
  else if (crvi_bytes_eq(r->rtype, "credential"))
    r->kind = CRVI_REC_CREDENTIAL;
  else
    r->kind = CRVI_REC_OTHER;
  r->has_addr = crvi_mp_u64(crvi_mp_get(map, "addr"), &r->addr);
  crvi_mp_str(crvi_mp_get(map, "type"), &r->type);
  crvi_mp_str(crvi_mp_get(map, "status"), &r->status);
  crvi_mp_str(crvi_mp_get(map, "region"), &r->region);
  r->has_length = crvi_mp_u64(crvi_mp_get(map, "length"), &r->length);
  const msgpack_object *v = crvi_mp_get(map, "value");
  struct crvi_bytes b;
  if (crvi_mp_blob(v, &b, &r->value_is_text))
    r->value = v;
}

/* ---- filters ----------------------------------------------------------------------------- */

void crvi_filter_init(struct crvi_filter *f)
{
  memset(f, 0, sizeof *f);
}

static void list_free(struct crvi_strlist *l)
{
  for (size_t i = 0; i < l->n_owned; i++)
    free(l->owned[i]);
  l->n_owned = 0;
  l->n = 0;
}

void crvi_filter_free(struct crvi_filter *f)
{
  list_free(&f->records);
  list_free(&f->types);
  list_free(&f->statuses);
  free(f->region);
  pcre2_match_data_free(f->md);
  pcre2_code_free(f->re);
  memset(f, 0, sizeof *f);
}

crv_err crvi_filter_add_list(struct crvi_filter *f, enum crvi_filter_list which, const char *arg)
{
  struct crvi_strlist *l = which == CRVI_FL_RECORD ? &f->records
                           : which == CRVI_FL_TYPE ? &f->types
                                                   : &f->statuses;
  if (l->n_owned == CRVI_FILTER_MAX_ITEMS)
    return CRV_ERR_LIMIT;
  char *copy = strdup(arg);
  if (!copy)
    return CRV_ERR_NOMEM;
  l->owned[l->n_owned++] = copy;
  char *p = copy;
  for (;;) {
    char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == 0)
      return CRV_ERR_INVALID_ARG;
    if (l->n == CRVI_FILTER_MAX_ITEMS)
      return CRV_ERR_LIMIT;
    l->items[l->n].p = (const uint8_t *)p;
    l->items[l->n].n = n;
    l->n++;
    if (!comma)
      break;
    p = comma + 1;
  }
  f->active = 1;
  return CRV_OK;
}

crv_err crvi_filter_set_region(struct crvi_filter *f, const char *sub)
{
  free(f->region);
  f->region = strdup(sub);
  if (!f->region)
    return CRV_ERR_NOMEM;
  f->active = 1;
  return CRV_OK;
}

void crvi_filter_set_length(struct crvi_filter *f, int has_min, uint64_t min, int has_max,
                            uint64_t max)
{
  if (has_min) {
    f->has_min = 1;
    f->min_len = min;
    f->active = 1;
  }
  if (has_max) {
    f->has_max = 1;
    f->max_len = max;
    f->active = 1;
  }
}

crv_err crvi_filter_set_regex(struct crvi_filter *f, const char *pattern, int caseless, char *msg,
                              size_t msg_len)
{
  int errcode = 0;
  PCRE2_SIZE erroff = 0;
  uint32_t opts = PCRE2_UTF | (caseless ? PCRE2_CASELESS : 0u);
#ifdef PCRE2_MATCH_INVALID_UTF
  /* Values are hostile: invalid UTF-8 (and WTF-8 surrogates) must be safe to match, and
   * simply never match a character. */
  opts |= PCRE2_MATCH_INVALID_UTF;
#else
  opts &= ~(uint32_t)PCRE2_UTF; /* old pcre2: match bytes */
#endif
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &errcode,
                                 &erroff, NULL);
  if (!re) {
    PCRE2_UCHAR buf[160];
    pcre2_get_error_message(errcode, buf, sizeof buf);
    snprintf(msg, msg_len, "%s at offset %zu", (const char *)buf, (size_t)erroff);
    return CRV_ERR_REGEX;
  }
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* optional: interpreted when it fails */
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  if (!md) {
    pcre2_code_free(re);
    return CRV_ERR_NOMEM;
  }
  pcre2_match_data_free(f->md);
  pcre2_code_free(f->re);
  f->re = re;
  f->md = md;
  f->active = 1;
  return CRV_OK;
}

int crvi_filter_grep(struct crvi_filter *f, struct crvi_bytes b)
{
  if (!f->re)
    return 1;
  int rc = pcre2_match(f->re, (PCRE2_SPTR)b.p, b.n, 0, 0, f->md, NULL);
  if (rc >= 0)
    return 1;
  if (rc != PCRE2_ERROR_NOMATCH)
    f->match_errors++;
  return 0;
}

static int in_list(const struct crvi_strlist *l, struct crvi_bytes b)
{
  if (!b.p)
    return 0;
  for (size_t i = 0; i < l->n; i++)
    if (l->items[i].n == b.n && memcmp(l->items[i].p, b.p, b.n) == 0)
      return 1;
  return 0;
}

static int region_has(const char *sub, struct crvi_bytes region)
{
  size_t m = strlen(sub);
  if (!region.p || m > region.n)
    return 0;
  for (size_t i = 0; i + m <= region.n; i++)
    if (memcmp(region.p + i, sub, m) == 0)
      return 1;
  return 0;
}

/* --grep on a record without a value: any top-level str or bin field except "record". */
static int grep_fields(struct crvi_filter *f, const msgpack_object *map)
{
  for (uint32_t i = 0; i < map->via.map.size; i++) {
    const msgpack_object_kv *kv = &map->via.map.ptr[i];
    struct crvi_bytes k, v;
    if (crvi_mp_str(&kv->key, &k) && crvi_bytes_eq(k, "record"))
      continue;
    if (crvi_mp_blob(&kv->val, &v, NULL) && crvi_filter_grep(f, v))
      return 1;
  }
  return 0;
}

int crvi_filter_match(struct crvi_filter *f, const struct crvi_rec *r)
{
  if (!f->active || r->kind == CRVI_REC_META || r->kind == CRVI_REC_SUMMARY)
    return 1;
  if (f->records.n && !in_list(&f->records, r->rtype))
    return 0;
  if (f->types.n && !in_list(&f->types, r->type))
    return 0;
  if (f->statuses.n && !in_list(&f->statuses, r->status))
    return 0;
  if (f->region && !region_has(f->region, r->region))
    return 0;
  if ((f->has_min || f->has_max) && !r->has_length)
    return 0;
  if (f->has_min && r->length < f->min_len)
    return 0;
  if (f->has_max && r->length > f->max_len)
    return 0;
  if (f->re) {
    struct crvi_bytes v;
    if (r->value) {
      crvi_mp_blob(r->value, &v, NULL);
      if (!crvi_filter_grep(f, v))
        return 0;
    } else if (!grep_fields(f, r->map)) {
      return 0;
    }
  }
  return 1;
}
