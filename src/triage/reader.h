/* SPDX-License-Identifier: MIT */
/* Reading a findings stream back: a bounded, hostile-input-safe msgpack record reader.
 *
 * The stream is a sequence of msgpack items (README.md, "Output schema"). The reader holds
 * at most one record plus one read chunk: before msgpack-c sees any bytes, a walker that
 * decodes nothing finds the extent of the next item and checks it against the caps (bytes,
 * objects, depth), because msgpack-c allocates an array's or map's slots as soon as it
 * reads the claimed count. Only a complete, checked item is handed to msgpack-c's
 * unpacker (msgpack_unpack_next). Anything malformed, over a cap, or cut short ends the
 * usable stream: every complete record before it is still returned. */
#ifndef CARVER_TRIAGE_READER_H
#define CARVER_TRIAGE_READER_H
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "carver/error.h"

/* ---- the walker (a pure function over a span; fuzzed) ---------------------------------- */

enum crvi_mpw {
  CRVI_MPW_OK = 0,       /* a whole item: *len bytes, *nodes objects */
  CRVI_MPW_SHORT = 1,    /* the item runs past the bytes given; *len is a lower bound of its size */
  CRVI_MPW_BAD = 2,      /* malformed: the never-used type byte 0xc1 */
  CRVI_MPW_TOO_LONG = 3, /* more than max_bytes */
  CRVI_MPW_TOO_MANY = 4, /* more than max_nodes objects */
  CRVI_MPW_TOO_DEEP = 5  /* nested deeper than max_depth */
};

struct crvi_mpw_limits {
  uint64_t max_bytes;
  uint64_t max_nodes;
  unsigned max_depth; /* at most CRV_TRIAGE_MAX_DEPTH */
};

/* Finds the extent of the msgpack item at p[0..n) without decoding or allocating. Every
 * count and length is checked against the limits before it is used, so no claim in the
 * input can make a caller allocate more than max_bytes (plus msgpack-c's slots for at most
 * max_nodes objects). @return enum crvi_mpw; *len and *nodes are set for OK and SHORT. */
int crvi_mpw_extent(const uint8_t *p, size_t n, const struct crvi_mpw_limits *lim, uint64_t *len,
                    uint64_t *nodes);
/* What a walker result says about a record: "is cut short", "is malformed ...", ... */
const char *crvi_mpw_name(int rc);

/* ---- the streaming reader -------------------------------------------------------------- */

enum crvi_trd_end {
  CRVI_TRD_MORE = 0,      /* not at the end yet */
  CRVI_TRD_COMPLETE = 1,  /* the input ended after a whole record (or was empty) */
  CRVI_TRD_TRUNCATED = 2, /* the input ended inside a record */
  CRVI_TRD_MALFORMED = 3, /* bytes that are not msgpack, or a record that is not a map */
  CRVI_TRD_TOO_BIG = 4,   /* a record over a cap (bytes, objects or depth) */
  CRVI_TRD_READ_ERROR = 5,
  CRVI_TRD_NOMEM = 6
};

struct crvi_trd;

/* fp is borrowed (never closed). max_record: cap on one record's bytes (see
 * CRV_TRIAGE_MAX_RECORD). The caller owns *out; release it with crvi_trd_close. */
crv_err crvi_trd_open(struct crvi_trd **out, FILE *fp, uint64_t max_record);
/* Accepts NULL. */
void crvi_trd_close(struct crvi_trd *r);

/* The next record: 1 and *rec (a msgpack map, borrowed: valid until the next call or
 * close), or 0 at the end of the usable stream (see crvi_trd_end). *offset (may be NULL)
 * gets the record's byte offset in the input. */
int crvi_trd_next(struct crvi_trd *r, const msgpack_object **rec, uint64_t *offset);

/* The encoded bytes of the record last returned (valid like the record itself). */
void crvi_trd_raw(const struct crvi_trd *r, const uint8_t **p, size_t *n);

struct crvi_trd_status {
  enum crvi_trd_end end;
  uint64_t records;     /* complete records returned */
  uint64_t good_bytes;  /* bytes up to the end of the last complete record */
  uint64_t bytes_read;  /* bytes read from the input */
  uint64_t need;        /* TRUNCATED / TOO_BIG: the size the record claims, at least */
  int walk;             /* enum crvi_mpw of the record that ended the stream */
  int err_no;           /* READ_ERROR: errno */
};
void crvi_trd_status(const struct crvi_trd *r, struct crvi_trd_status *out);
/* One line describing why the stream ended ("cut short inside a record of at least N
 * bytes", ...); static storage or out. */
const char *crvi_trd_end_name(enum crvi_trd_end e);

#endif
