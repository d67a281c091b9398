/* SPDX-License-Identifier: MIT */
/* Bounded msgpack record reader (see reader.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "triage/reader.h"
#include "util/limits.h"

/* ---- walker -------------------------------------------------------------------------- */

static uint64_t be(const uint8_t *p, unsigned n)
{
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

/* Items still owed after the current one; each takes a byte at least, so a cut item's
 * size is at least this much more (a better lower bound for the warning). Counts are
 * capped by max_nodes, so the sum cannot overflow. */
static uint64_t owed(const uint64_t *left, unsigned depth)
{
  uint64_t sum = 0;
  for (unsigned d = 0; d <= depth; d++)
    sum += left[d];
  return sum;
}

int crvi_mpw_extent(const uint8_t *p, size_t n, const struct crvi_mpw_limits *lim, uint64_t *len,
                    uint64_t *nodes)
{
  /* left[d]: items still to read at depth d. Depth 0 is the record itself. */
  uint64_t left[CRV_TRIAGE_MAX_DEPTH + 1];
  unsigned depth = 0, max_depth = lim->max_depth;
  uint64_t pos = 0, count = 0;
  if (max_depth > CRV_TRIAGE_MAX_DEPTH)
    max_depth = CRV_TRIAGE_MAX_DEPTH;
  left[0] = 1;
  *len = 0;
  *nodes = 0;
  for (;;) {
    while (left[depth] == 0) {
      if (depth == 0) {
        *len = pos;
        *nodes = count;
        return CRVI_MPW_OK;
      }
      depth--;
    }
    left[depth]--;
    if (++count > lim->max_nodes)
      return CRVI_MPW_TOO_MANY;
    if (pos >= n) {
      *len = pos + 1 + owed(left, depth);
      return *len > lim->max_bytes ? CRVI_MPW_TOO_LONG : CRVI_MPW_SHORT;
    }
    uint8_t b = p[pos];
    unsigned hdr = 1;    /* bytes of the type byte and its fixed fields */
    unsigned lenw = 0;   /* width of a big-endian length/count field after the type byte */
    uint64_t body = 0;   /* payload bytes after the header */
    uint64_t kids = 0;   /* child items (a map's keys and values) */
    int kids_per = 0;    /* 1 array, 2 map (count field read below) */
    unsigned extra = 0;  /* ext: the type byte after the length field */
    if (b <= 0x7f || b >= 0xe0) {
      /* positive / negative fixint */
    } else if (b <= 0x8f) {
      kids = 2u * (b & 0x0fu);
    } else if (b <= 0x9f) {
      kids = b & 0x0fu;
    } else if (b <= 0xbf) {
      body = b & 0x1fu;
    } else {
      switch (b) {
      case 0xc0: case 0xc2: case 0xc3: break;
      case 0xc1: return CRVI_MPW_BAD;
      case 0xc4: case 0xd9: lenw = 1; break;          /* bin8, str8 */
      case 0xc5: case 0xda: lenw = 2; break;          /* bin16, str16 */
      case 0xc6: case 0xdb: lenw = 4; break;          /* bin32, str32 */
      case 0xc7: lenw = 1; extra = 1; break;          /* ext8 */
      case 0xc8: lenw = 2; extra = 1; break;          /* ext16 */
      case 0xc9: lenw = 4; extra = 1; break;          /* ext32 */
      case 0xca: hdr = 5; break;                      /* float32 */
      case 0xcb: hdr = 9; break;                      /* float64 */
      case 0xcc: case 0xd0: hdr = 2; break;           /* uint8, int8 */
      case 0xcd: case 0xd1: hdr = 3; break;
      case 0xce: case 0xd2: hdr = 5; break;
      case 0xcf: case 0xd3: hdr = 9; break;
      case 0xd4: hdr = 2; body = 1; break;            /* fixext 1..16: type byte + data */
      case 0xd5: hdr = 2; body = 2; break;
      case 0xd6: hdr = 2; body = 4; break;
      case 0xd7: hdr = 2; body = 8; break;
      case 0xd8: hdr = 2; body = 16; break;
      case 0xdc: lenw = 2; kids_per = 1; break;       /* array16 */
      case 0xdd: lenw = 4; kids_per = 1; break;       /* array32 */
      case 0xde: lenw = 2; kids_per = 2; break;       /* map16 */
      default:   lenw = 4; kids_per = 2; break;       /* 0xdf map32 */
      }
      hdr = lenw ? 1u + lenw + extra : hdr;
    }
    if (n - pos < hdr) {
      *len = pos + hdr + owed(left, depth);
      return *len > lim->max_bytes ? CRVI_MPW_TOO_LONG : CRVI_MPW_SHORT;
    }
    if (lenw) {
      uint64_t v = be(p + pos + 1, lenw);
      if (kids_per)
        kids = v * (uint64_t)kids_per; /* at most 2 * (2^32 - 1): no overflow */
      else
        body = v;
    }
    pos += hdr;
    if (body > lim->max_bytes || pos + body > lim->max_bytes) {
      *len = pos + body;
      return CRVI_MPW_TOO_LONG;
    }
    if (body > n - pos) {
      *len = pos + body + owed(left, depth);
      return *len > lim->max_bytes ? CRVI_MPW_TOO_LONG : CRVI_MPW_SHORT;
    }
    pos += body;
    if (kids) {
      /* Each child is one more object: refuse a count the budget cannot hold before
       * anything could allocate for it. */
      if (kids > lim->max_nodes - count)
        return CRVI_MPW_TOO_MANY;
      if (depth + 1 > max_depth)
        return CRVI_MPW_TOO_DEEP;
      left[++depth] = kids;
    }
  }
}

const char *crvi_mpw_name(int rc)
{
  switch (rc) {
  case CRVI_MPW_OK: return "is whole";
  case CRVI_MPW_SHORT: return "is cut short";
  case CRVI_MPW_BAD: return "is malformed (type byte 0xc1)";
  case CRVI_MPW_TOO_LONG: return "is larger than the record size cap";
  case CRVI_MPW_TOO_MANY: return "holds more msgpack objects than the per-record cap";
  case CRVI_MPW_TOO_DEEP: return "is nested deeper than the per-record cap";
  default: return "is unreadable";
  }
}

/* ---- reader -------------------------------------------------------------------------- */

struct crvi_trd {
  FILE *fp;             /* borrowed */
  uint8_t *buf;         /* buf[start..len) holds unconsumed input */
  size_t start, len, alloc;
  uint64_t base;        /* input offset of buf[0] */
  int eof;
  struct crvi_mpw_limits lim;
  msgpack_unpacked up;  /* the current record (its str/bin point into buf) */
  int have_up;
  size_t cur_start, cur_len; /* its bytes in buf */
  struct crvi_trd_status st;
};

crv_err crvi_trd_open(struct crvi_trd **out, FILE *fp, uint64_t max_record)
{
  if (!out || !fp || max_record == 0)
    return CRV_ERR_INVALID_ARG;
  struct crvi_trd *r = calloc(1, sizeof *r);
  if (!r)
    return CRV_ERR_NOMEM;
  r->fp = fp;
  r->lim.max_bytes = max_record;
  r->lim.max_nodes = CRV_TRIAGE_MAX_NODES;
  r->lim.max_depth = CRV_TRIAGE_MAX_DEPTH;
  msgpack_unpacked_init(&r->up);
  *out = r;
  return CRV_OK;
}

void crvi_trd_close(struct crvi_trd *r)
{
  if (!r)
    return;
  msgpack_unpacked_destroy(&r->up);
  free(r->buf);
  free(r);
}

static void end_at(struct crvi_trd *r, enum crvi_trd_end e)
{
  r->st.end = e;
}

/* Reads one more chunk. 0 on progress, 1 at end of input, -1 on error (end set). */
static int fill(struct crvi_trd *r)
{
  if (r->start > 0) { /* the previous record is released: move the tail to the front */
    memmove(r->buf, r->buf + r->start, r->len - r->start);
    r->base += r->start;
    r->len -= r->start;
    r->start = 0;
  }
  size_t chunk = CRV_TRIAGE_READ_CHUNK;
  /* Room for one chunk; a record longer than a chunk grows the buffer geometrically as its
   * bytes actually arrive, so a claimed length alone never allocates. */
  if (r->alloc - r->len < chunk) {
    size_t na = r->alloc ? r->alloc : chunk;
    while (na - r->len < chunk)
      na *= 2;
    uint8_t *nb = realloc(r->buf, na);
    if (!nb) {
      end_at(r, CRVI_TRD_NOMEM);
      return -1;
    }
    r->buf = nb;
    r->alloc = na;
  }
  size_t got = fread(r->buf + r->len, 1, r->alloc - r->len < chunk ? r->alloc - r->len : chunk,
                     r->fp);
  r->len += got;
  r->st.bytes_read += got;
  if (got == 0) {
    if (ferror(r->fp)) {
      r->st.err_no = errno;
      end_at(r, CRVI_TRD_READ_ERROR);
      return -1;
    }
    r->eof = 1;
    return 1;
  }
  return 0;
}

int crvi_trd_next(struct crvi_trd *r, const msgpack_object **rec, uint64_t *offset)
{
  if (r->have_up) {
    msgpack_unpacked_destroy(&r->up);
    r->have_up = 0;
  }
  *rec = NULL;
  while (r->st.end == CRVI_TRD_MORE) {
    uint64_t len = 0, nodes = 0;
    size_t avail = r->len - r->start;
    int w = avail ? crvi_mpw_extent(r->buf + r->start, avail, &r->lim, &len, &nodes)
                  : CRVI_MPW_SHORT;
    if (w == CRVI_MPW_SHORT) {
      if (r->eof) {
        if (avail == 0) {
          end_at(r, CRVI_TRD_COMPLETE);
        } else {
          r->st.need = len;
          r->st.walk = w;
          end_at(r, CRVI_TRD_TRUNCATED);
        }
        break;
      }
      if (fill(r) < 0)
        break;
      continue;
    }
    if (w != CRVI_MPW_OK) {
      r->st.need = len;
      r->st.walk = w;
      end_at(r, w == CRVI_MPW_BAD ? CRVI_TRD_MALFORMED : CRVI_TRD_TOO_BIG);
      break;
    }
    size_t off = 0;
    msgpack_unpack_return ur =
        msgpack_unpack_next(&r->up, (const char *)r->buf + r->start, (size_t)len, &off);
    if (ur != MSGPACK_UNPACK_SUCCESS || off != len) {
      /* The walker accepted it, so only an allocation can fail here; anything else would
       * mean the two disagree, which ends the stream just the same. */
      msgpack_unpacked_destroy(&r->up);
      r->st.walk = CRVI_MPW_BAD;
      end_at(r, ur == MSGPACK_UNPACK_NOMEM_ERROR ? CRVI_TRD_NOMEM : CRVI_TRD_MALFORMED);
      break;
    }
    r->have_up = 1;
    if (r->up.data.type != MSGPACK_OBJECT_MAP) { /* every record is a map */
      msgpack_unpacked_destroy(&r->up);
      r->have_up = 0;
      r->st.walk = CRVI_MPW_OK;
      end_at(r, CRVI_TRD_MALFORMED);
      break;
    }
    if (offset)
      *offset = r->base + r->start;
    r->cur_start = r->start;
    r->cur_len = (size_t)len;
    r->start += (size_t)len;
    r->st.records++;
    r->st.good_bytes = r->base + r->start;
    *rec = &r->up.data;
    return 1;
  }
  return 0;
}

void crvi_trd_raw(const struct crvi_trd *r, const uint8_t **p, size_t *n)
{
  *p = r->have_up ? r->buf + r->cur_start : NULL;
  *n = r->have_up ? r->cur_len : 0;
}

void crvi_trd_status(const struct crvi_trd *r, struct crvi_trd_status *out)
{
  *out = r->st;
}

const char *crvi_trd_end_name(enum crvi_trd_end e)
{
  switch (e) {
  case CRVI_TRD_MORE: return "reading";
  case CRVI_TRD_COMPLETE: return "complete";
  case CRVI_TRD_TRUNCATED: return "truncated";
  case CRVI_TRD_MALFORMED: return "malformed";
  case CRVI_TRD_TOO_BIG: return "over-cap";
  case CRVI_TRD_READ_ERROR: return "read-error";
  case CRVI_TRD_NOMEM: return "out-of-memory";
  default: return "unknown";
  }
}
