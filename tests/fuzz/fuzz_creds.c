/* SPDX-License-Identifier: MIT */
/* The HTTP/credential detector (src/creds) on one value, then its records through the
 * msgpack writer. Input: byte 0 says how the rest is fed (0: raw bytes; 1, 2, 4: a text
 * object of that kind, code units little-endian; 3: a bytes object), the rest is the value.
 * Properties: every credential has its required fields, fields and context within their
 * caps, valid UTF-8, counts that add up; at most one table entry per occurrence; the
 * written records decode as msgpack maps with valid UTF-8 strings, and nothing follows the
 * last one. */
#define _GNU_SOURCE /* open_memstream */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "creds/creds.h"
#include "out/textenc.h"
#include "out/writer.h"
#include "triage/reader.h"
#include "util/limits.h"

/* A field within its cap; user and secret are documented as UTF-8 (carver/credential.h). */
static void check_field(const char *s, size_t cap, int utf8)
{
  if (!s)
    return;
  size_t n = strlen(s);
  FUZZ_ASSERT(n <= cap);
  FUZZ_ASSERT(!utf8 || crvi_utf8_valid((const uint8_t *)s, n));
}

/* Every str in o is valid UTF-8. */
static void check_strings(const msgpack_object *o)
{
  switch (o->type) {
  case MSGPACK_OBJECT_STR:
    FUZZ_ASSERT(crvi_utf8_valid((const uint8_t *)o->via.str.ptr, o->via.str.size));
    break;
  case MSGPACK_OBJECT_ARRAY:
    for (uint32_t i = 0; i < o->via.array.size; i++)
      check_strings(&o->via.array.ptr[i]);
    break;
  case MSGPACK_OBJECT_MAP:
    for (uint32_t i = 0; i < o->via.map.size; i++) {
      FUZZ_ASSERT(o->via.map.ptr[i].key.type == MSGPACK_OBJECT_STR);
      check_strings(&o->via.map.ptr[i].key);
      check_strings(&o->via.map.ptr[i].val);
    }
    break;
  default:
    break;
  }
}

/* buf holds n whole records, each a map; nothing after them. */
static void check_stream(const uint8_t *buf, size_t len, uint64_t n)
{
  const struct crvi_mpw_limits lim = {CRV_TRIAGE_MAX_RECORD, CRV_TRIAGE_MAX_NODES,
                                      CRV_TRIAGE_MAX_DEPTH};
  size_t pos = 0;
  uint64_t records = 0;
  while (pos < len) {
    uint64_t rl, nodes;
    FUZZ_ASSERT(crvi_mpw_extent(buf + pos, len - pos, &lim, &rl, &nodes) == CRVI_MPW_OK);
    msgpack_unpacked up;
    size_t off = 0;
    msgpack_unpacked_init(&up);
    FUZZ_ASSERT(msgpack_unpack_next(&up, (const char *)buf + pos, (size_t)rl, &off) ==
                MSGPACK_UNPACK_SUCCESS);
    FUZZ_ASSERT(off == rl && up.data.type == MSGPACK_OBJECT_MAP);
    check_strings(&up.data);
    msgpack_unpacked_destroy(&up);
    pos += (size_t)rl;
    records++;
  }
  FUZZ_ASSERT(records == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct crv_creds *c;
  if (size < 1)
    return 0;
  FUZZ_ASSERT(crvi_creds_open(&c) == CRV_OK);
  const uint8_t mode = data[0] & 7;
  const uint8_t *v = data + 1;
  size_t n = size - 1;
  const struct crv_cred_origin origin = {0x7f0000001000ull, CRV_STATUS_LIVE};
  int found;
  if (mode == 1 || mode == 2 || mode == 4 || mode == 3) {
    crv_object o;
    memset(&o, 0, sizeof o);
    o.addr = origin.addr;
    o.type = mode == 3 ? CRV_OBJ_BYTES : CRV_OBJ_STR;
    o.kind = mode == 3 ? 1 : mode;
    o.length = n / o.kind;
    o.data = v;
    o.data_len = (size_t)o.length * o.kind;
    o.status = mode == 2 ? CRV_STATUS_FREED : CRV_STATUS_LIVE;
    found = crvi_creds_feed_object(c, &o);
  } else {
    found = crvi_creds_feed_value(c, v, n, &origin);
  }
  FUZZ_ASSERT(found >= 0);
  crvi_creds_finish(c);
  size_t count = crvi_creds_count(c);
  struct crv_creds_stats st;
  crvi_creds_stats(c, &st);
  FUZZ_ASSERT(st.values == 1 && st.occurrences == (uint64_t)found);
  FUZZ_ASSERT(count <= (size_t)found && count <= CRV_CREDS_MAX_ENTRIES);
  for (size_t i = 0; i < count; i++) {
    crv_credential cr;
    FUZZ_ASSERT(crvi_creds_get(c, i, &cr) == CRV_OK);
    FUZZ_ASSERT(cr.scheme >= 0 && cr.scheme < CRV_CRED_SCHEME_COUNT);
    FUZZ_ASSERT(cr.confidence >= 0 && cr.confidence < CRV_CONF_COUNT);
    FUZZ_ASSERT(cr.found_as >= 0 && cr.found_as < CRV_FOUND_COUNT);
    FUZZ_ASSERT(cr.secret != NULL);
    FUZZ_ASSERT(cr.scheme != CRV_CRED_BEARER || cr.user == NULL);
    check_field(cr.user, CRV_CREDS_MAX_FIELD, 1);
    check_field(cr.secret, CRV_CREDS_MAX_FIELD, 1);
    check_field(cr.request, CRV_CREDS_MAX_CONTEXT, 0);
    check_field(cr.response, CRV_CREDS_MAX_CONTEXT, 0);
    check_field(cr.host, CRV_CREDS_MAX_CONTEXT, 0);
    check_field(cr.url, CRV_CREDS_MAX_CONTEXT, 0);
    FUZZ_ASSERT(cr.count >= 1 && cr.live + cr.freed <= cr.count);
    FUZZ_ASSERT(cr.n_addrs >= 1 && cr.n_addrs <= CRV_CREDS_MAX_ADDRS && cr.addrs[0] == origin.addr);
  }
  if (count) {
    char *out = NULL;
    size_t out_len = 0;
    FILE *fp = open_memstream(&out, &out_len);
    FUZZ_ASSERT(fp);
    struct crv_writer *w;
    FUZZ_ASSERT(crvi_writer_open(&w, CRV_FORMAT_MSGPACK, fp) == CRV_OK);
    uint64_t written = 0;
    FUZZ_ASSERT(crvi_creds_write(c, w, CRV_CONF_LOW, &written) == CRV_OK);
    FUZZ_ASSERT(written == count);
    FUZZ_ASSERT(crvi_writer_close(w) == CRV_OK);
    fclose(fp);
    check_stream((const uint8_t *)out, out_len, written);
    free(out);
  }
  crvi_creds_free(c);
  return 0;
}
