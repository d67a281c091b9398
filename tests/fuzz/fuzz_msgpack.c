/* SPDX-License-Identifier: MIT */
/* The bounded msgpack reader of carver triage (src/triage/reader.c): the extent walker
 * crvi_mpw_extent, then the streaming record reader over the same bytes. Input: byte 0
 * picks the limits (small ones reach every cap), the rest is the stream.
 * Properties: a whole item lies inside the bytes given and within every limit, and
 * msgpack-c decodes exactly those bytes; a cut item claims more bytes than were given and
 * msgpack-c (which only ever sees checked items) decodes nothing from them either; the reader returns
 * maps only, back to back from offset 0, and a complete stream is consumed to its end. */
#define _GNU_SOURCE /* fmemopen */
#include <msgpack.h>
#include <stdio.h>
#include <string.h>
#include "fuzz.h"
#include "triage/reader.h"
#include "util/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const struct crvi_mpw_limits lims[4] = {
      {CRV_TRIAGE_MAX_RECORD, CRV_TRIAGE_MAX_NODES, CRV_TRIAGE_MAX_DEPTH},
      {64, 16, 2},
      {4096, 256, 4},
      {1, 1, 0},
  };
  if (size < 1)
    return 0;
  const struct crvi_mpw_limits *lim = &lims[data[0] & 3];
  const uint8_t *p = data + 1;
  const size_t n = size - 1;

  uint64_t len = 0, nodes = 0;
  int rc = crvi_mpw_extent(p, n, lim, &len, &nodes);
  FUZZ_ASSERT(rc >= CRVI_MPW_OK && rc <= CRVI_MPW_TOO_DEEP);
  FUZZ_ASSERT(crvi_mpw_name(rc) != NULL);
  if (rc == CRVI_MPW_OK) {
    FUZZ_ASSERT(len >= 1 && len <= n && len <= lim->max_bytes);
    FUZZ_ASSERT(nodes >= 1 && nodes <= lim->max_nodes && nodes <= len);
    msgpack_unpacked up;
    size_t off = 0;
    msgpack_unpacked_init(&up);
    FUZZ_ASSERT(msgpack_unpack_next(&up, (const char *)p, (size_t)len, &off) ==
                MSGPACK_UNPACK_SUCCESS);
    FUZZ_ASSERT(off == len);
    msgpack_unpacked_destroy(&up);
  } else if (rc == CRVI_MPW_SHORT) {
    FUZZ_ASSERT(len > n && len <= lim->max_bytes);
    msgpack_unpacked up;
    size_t off = 0;
    msgpack_unpacked_init(&up);
    /* msgpack-c wants more bytes, or refuses early (it rejects an ext32 length of
     * 0xffffffff as soon as it reads it): it never decodes a whole item from them */
    int ur = msgpack_unpack_next(&up, (const char *)p, n, &off);
    FUZZ_ASSERT(ur == MSGPACK_UNPACK_CONTINUE || ur == MSGPACK_UNPACK_PARSE_ERROR);
    msgpack_unpacked_destroy(&up);
  }

  static uint8_t one[1];
  FILE *fp = fmemopen(n ? (void *)p : one, n ? n : 1, "rb");
  if (!fp)
    return 0;
  if (n == 0)
    fgetc(fp); /* fmemopen needs a size of 1 at least: read it away */
  struct crvi_trd *r;
  FUZZ_ASSERT(crvi_trd_open(&r, fp, lim->max_bytes) == CRV_OK);
  const msgpack_object *rec;
  uint64_t at, expect = 0, records = 0;
  while (crvi_trd_next(r, &rec, &at) == 1) {
    const uint8_t *raw;
    size_t raw_len;
    FUZZ_ASSERT(rec && rec->type == MSGPACK_OBJECT_MAP);
    FUZZ_ASSERT(at == expect);
    crvi_trd_raw(r, &raw, &raw_len);
    FUZZ_ASSERT(raw_len >= 1 && at + raw_len <= n && memcmp(raw, p + at, raw_len) == 0);
    expect = at + raw_len;
    records++;
  }
  struct crvi_trd_status st;
  crvi_trd_status(r, &st);
  FUZZ_ASSERT(st.records == records && st.good_bytes == expect);
  FUZZ_ASSERT(st.end == CRVI_TRD_COMPLETE || st.end == CRVI_TRD_TRUNCATED ||
              st.end == CRVI_TRD_MALFORMED || st.end == CRVI_TRD_TOO_BIG);
  if (st.end == CRVI_TRD_COMPLETE)
    FUZZ_ASSERT(expect == n);
  else
    FUZZ_ASSERT(expect < n);
  crvi_trd_close(r);
  fclose(fp);
  return 0;
}
