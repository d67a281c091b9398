/* SPDX-License-Identifier: MIT */
/* Triage: the msgpack walker and reader on well-formed, cut, malformed and oversized input;
 * the capped counting table; record filters; strings found inside values; the band
 * histogram; JSON/CSV escaping of records. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "triage/html.h"
#include "triage/out.h"
#include "triage/reader.h"
#include "triage/record.h"
#include "triage/summary.h"
#include "triage/topn.h"
#include "util/limits.h"

static const struct crvi_mpw_limits LIM = {1u << 20, 1000, 8};

/* ---- building streams ---------------------------------------------------------------- */

static void pk_str(msgpack_packer *pk, const char *s)
{
  msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void pk_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
  pk_str(pk, k);
  pk_str(pk, v);
}

static void pk_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
  pk_str(pk, k);
  msgpack_pack_uint64(pk, v);
}

static void pack_meta(msgpack_packer *pk)
{
  msgpack_pack_map(pk, 4);
  pk_kv_str(pk, "record", "meta");
  pk_kv_str(pk, "tool", "carver");
  pk_kv_str(pk, "python", "3.11");
  pk_str(pk, "sources");
  msgpack_pack_array(pk, 1);
  pk_str(pk, "dumps");
}

static void pack_object(msgpack_packer *pk, uint64_t addr, const char *status, const char *value,
                        size_t vlen)
{
  msgpack_pack_map(pk, 7);
  pk_kv_str(pk, "record", "object");
  pk_kv_u64(pk, "addr", addr);
  pk_kv_str(pk, "type", "str");
  pk_kv_u64(pk, "length", vlen);
  pk_kv_str(pk, "status", status);
  pk_kv_str(pk, "region", "task.1.0x7f0000000000.vma");
  pk_str(pk, "value");
  msgpack_pack_str_with_body(pk, value, vlen);
}

static FILE *file_of(const void *p, size_t n)
{
  FILE *f = tmpfile();
  if (!f)
    return NULL;
  if (n)
    fwrite(p, 1, n, f);
  rewind(f);
  return f;
}

/* Reads every record of p[0..n); returns the count and the final status. */
static uint64_t read_all(const void *p, size_t n, uint64_t max_record, struct crvi_trd_status *st)
{
  FILE *f = file_of(p, n);
  struct crvi_trd *r = NULL;
  uint64_t count = 0;
  CHECK(f != NULL);
  if (!f)
    return 0;
  CHECK(crvi_trd_open(&r, f, max_record) == CRV_OK);
  const msgpack_object *m;
  while (crvi_trd_next(r, &m, NULL)) {
    CHECK(m->type == MSGPACK_OBJECT_MAP);
    count++;
  }
  crvi_trd_status(r, st);
  crvi_trd_close(r);
  fclose(f);
  return count;
}

/* ---- walker ---------------------------------------------------------------------------- */

static void test_walker(void)
{
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  pack_object(&pk, 0x1000, "live", "hello", 5);
  uint64_t len, nodes;
  CHECK(crvi_mpw_extent((const uint8_t *)sb.data, sb.size, &LIM, &len, &nodes) == CRVI_MPW_OK);
  CHECK_EQ_U64(len, sb.size);
  CHECK_EQ_U64(nodes, 15); /* the map and 7 keys and 7 values */
  /* Every strict prefix is SHORT, never OK or BAD. */
  for (size_t cut = 0; cut < sb.size; cut++) {
    int rc = crvi_mpw_extent((const uint8_t *)sb.data, cut, &LIM, &len, &nodes);
    CHECK(rc == CRVI_MPW_SHORT);
    CHECK(len > cut);
  }
  msgpack_sbuffer_destroy(&sb);

  /* Every msgpack type: nil, bools, ints of each width, floats, bin, ext, fixext. */
  const uint8_t all[] = {0xdc, 0x00, 0x12, 0xc0, 0xc2, 0xc3, 0xcc, 1, 0xcd, 0, 1, 0xce, 0, 0, 0, 1,
                         0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0xd0, 0xff, 0xd3, 1, 2, 3, 4, 5, 6, 7, 8,
                         0xca, 0, 0, 0, 0, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0xc4, 2, 'a', 'b',
                         0xc7, 1, 5, 'x', 0xd4, 1, 'y', 0xd8, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                         10, 11, 12, 13, 14, 15, 0xd9, 1, 'z', 0xe0, 0x7f};
  CHECK(crvi_mpw_extent(all, sizeof all, &LIM, &len, &nodes) == CRVI_MPW_OK);
  CHECK_EQ_U64(len, sizeof all);
  CHECK_EQ_U64(nodes, 19);

  const uint8_t bad[] = {0x81, 0xa1, 'k', 0xc1};
  CHECK(crvi_mpw_extent(bad, sizeof bad, &LIM, &len, &nodes) == CRVI_MPW_BAD);
  /* A 5-byte array header claiming 4 billion items is refused before anything allocates. */
  const uint8_t huge_array[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
  CHECK(crvi_mpw_extent(huge_array, sizeof huge_array, &LIM, &len, &nodes) == CRVI_MPW_TOO_MANY);
  const uint8_t huge_map[] = {0xdf, 0x00, 0x01, 0x00, 0x00};
  CHECK(crvi_mpw_extent(huge_map, sizeof huge_map, &LIM, &len, &nodes) == CRVI_MPW_TOO_MANY);
  const uint8_t huge_str[] = {0xdb, 0xff, 0xff, 0xff, 0xff, 'a'};
  CHECK(crvi_mpw_extent(huge_str, sizeof huge_str, &LIM, &len, &nodes) == CRVI_MPW_TOO_LONG);
  const uint8_t huge_ext[] = {0xc9, 0x10, 0x00, 0x00, 0x00, 1};
  CHECK(crvi_mpw_extent(huge_ext, sizeof huge_ext, &LIM, &len, &nodes) == CRVI_MPW_TOO_LONG);
  uint8_t deep[32];
  memset(deep, 0x91, sizeof deep); /* fixarray of 1, nested */
  CHECK(crvi_mpw_extent(deep, sizeof deep, &LIM, &len, &nodes) == CRVI_MPW_TOO_DEEP);
  /* Exactly the depth cap is fine. */
  uint8_t ok_deep[9];
  memset(ok_deep, 0x91, 8);
  ok_deep[8] = 0x01;
  CHECK(crvi_mpw_extent(ok_deep, sizeof ok_deep, &LIM, &len, &nodes) == CRVI_MPW_OK);
  CHECK(crvi_mpw_extent(NULL, 0, &LIM, &len, &nodes) == CRVI_MPW_SHORT);
}

/* ---- reader ---------------------------------------------------------------------------- */

static void test_reader(void)
{
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  pack_meta(&pk);
  size_t after_meta = sb.size;
  pack_object(&pk, 0x1000, "live", "first", 5);
  size_t after_first = sb.size;
  /* A value longer than a read chunk: the record spans several reads. */
  size_t big = CRV_TRIAGE_READ_CHUNK * 3 + 17;
  char *bigv = malloc(big);
  CHECK(bigv != NULL);
  memset(bigv, 'x', big);
  pack_object(&pk, 0x2000, "freed", bigv, big);
  size_t after_big = sb.size;
  pack_object(&pk, 0x3000, "live", "last", 4);
  struct crvi_trd_status st;

  CHECK_EQ_U64(read_all(sb.data, sb.size, CRV_TRIAGE_MAX_RECORD, &st), 4);
  CHECK(st.end == CRVI_TRD_COMPLETE);
  CHECK_EQ_U64(st.good_bytes, sb.size);

  /* Cut inside the big record: the two before it, a warning-worthy TRUNCATED. */
  CHECK_EQ_U64(read_all(sb.data, after_big - 100, CRV_TRIAGE_MAX_RECORD, &st), 2);
  CHECK(st.end == CRVI_TRD_TRUNCATED);
  CHECK_EQ_U64(st.good_bytes, after_first);
  CHECK(st.need >= after_big - after_first);
  /* Cut at every byte of the first object. */
  for (size_t cut = after_meta + 1; cut < after_first; cut++) {
    CHECK_EQ_U64(read_all(sb.data, cut, CRV_TRIAGE_MAX_RECORD, &st), 1);
    CHECK(st.end == CRVI_TRD_TRUNCATED);
    CHECK_EQ_U64(st.good_bytes, after_meta);
  }
  /* A record over --max-record ends the stream; the ones before stay usable. */
  CHECK_EQ_U64(read_all(sb.data, sb.size, 64 * 1024, &st), 2);
  CHECK(st.end == CRVI_TRD_TOO_BIG);
  CHECK(st.walk == CRVI_MPW_TOO_LONG);
  /* Empty input: complete, no records. */
  CHECK_EQ_U64(read_all("", 0, CRV_TRIAGE_MAX_RECORD, &st), 0);
  CHECK(st.end == CRVI_TRD_COMPLETE);

  /* Garbage after two records. */
  char *g = malloc(after_first + 3);
  CHECK(g != NULL);
  memcpy(g, sb.data, after_first);
  memcpy(g + after_first, "\xc1\x00\x00", 3);
  CHECK_EQ_U64(read_all(g, after_first + 3, CRV_TRIAGE_MAX_RECORD, &st), 2);
  CHECK(st.end == CRVI_TRD_MALFORMED);
  CHECK_EQ_U64(st.good_bytes, after_first);
  /* A top-level item that is not a map. */
  memcpy(g + after_first, "\x92\x01\x02", 3);
  CHECK_EQ_U64(read_all(g, after_first + 3, CRV_TRIAGE_MAX_RECORD, &st), 2);
  CHECK(st.end == CRVI_TRD_MALFORMED);
  /* A header claiming a huge array right after good records. */
  memcpy(g + after_first, "\xdd\xff\xff", 3);
  CHECK_EQ_U64(read_all(g, after_first + 3, CRV_TRIAGE_MAX_RECORD, &st), 2);
  CHECK(st.end == CRVI_TRD_TRUNCATED); /* the count itself is cut short */
  free(g);
  free(bigv);
  msgpack_sbuffer_destroy(&sb);
}

/* ---- topn -------------------------------------------------------------------------------- */

static void test_topn(void)
{
  struct crvi_topn t;
  CHECK(crvi_topn_init(&t, 8, 4) == CRV_OK);
  /* Under the cap: exact. Keys longer than keep still compare in full. */
  for (int i = 0; i < 5; i++)
    crvi_topn_add(&t, "aaaaaaX", 7, 1, NULL);
  for (int i = 0; i < 3; i++)
    crvi_topn_add(&t, "aaaaaaY", 7, 1, NULL);
  crvi_topn_add(&t, "b", 1, 2, NULL);
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(&t, &n);
  CHECK_EQ_U64(n, 3);
  CHECK_EQ_U64(a[0]->count, 5);
  CHECK_EQ_U64(a[0]->keylen, 7);
  CHECK_EQ_U64(a[0]->textlen, 4);
  CHECK_EQ_U64(a[1]->count, 3);
  CHECK_EQ_U64(a[2]->count, 2);
  CHECK_EQ_U64(a[0]->err + a[1]->err + a[2]->err, 0);
  free(a);
  crvi_topn_free(&t);

  /* Past the cap (Space-Saving): frequent keys survive a stream of many rare ones, every
   * count is within [truth, truth + err], and counts sum to the total. */
  CHECK(crvi_topn_init(&t, 16, 32) == CRV_OK);
  uint64_t truth[3] = {0, 0, 0};
  unsigned seed = 12345;
  for (int i = 0; i < 20000; i++) {
    char key[32];
    seed = seed * 1103515245u + 12345u;
    unsigned r = (seed >> 16) % 100;
    if (r < 20) {
      crvi_topn_add(&t, "hot-0", 5, 1, NULL);
      truth[0]++;
    } else if (r < 35) {
      crvi_topn_add(&t, "hot-1", 5, 1, NULL);
      truth[1]++;
    } else if (r < 45) {
      crvi_topn_add(&t, "hot-2", 5, 1, NULL);
      truth[2]++;
    } else {
      int kl = snprintf(key, sizeof key, "rare-%u", (seed >> 4) % 5000);
      crvi_topn_add(&t, key, (size_t)kl, 1, NULL);
    }
  }
  CHECK(t.evictions > 0);
  a = crvi_topn_sorted(&t, &n);
  CHECK_EQ_U64(n, 16);
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += a[i]->count;
  CHECK_EQ_U64(sum, t.total);
  CHECK_EQ_U64(t.total, 20000);
  for (int h = 0; h < 3; h++) {
    char key[8];
    snprintf(key, sizeof key, "hot-%d", h);
    CHECK_STR((const char *)a[h]->text, key);
    CHECK(a[h]->count >= truth[h]);
    CHECK(a[h]->count - a[h]->err <= truth[h]);
  }
  free(a);
  /* Every key in the table is found again (slot deletion kept the probe chains intact). */
  for (size_t i = 0; i < t.n; i++) {
    char key[40];
    size_t kl = t.ents[i].textlen;
    memcpy(key, t.ents[i].text, kl);
    uint64_t before = t.ents[i].count;
    int is_new = 1;
    struct crvi_topn_ent *e = crvi_topn_add(&t, key, kl, 0, &is_new);
    CHECK(e != NULL && !is_new && e->count == before);
  }
  crvi_topn_free(&t);
}

/* ---- records and filters ------------------------------------------------------------------ */

static msgpack_object *unpack(msgpack_sbuffer *sb, msgpack_unpacked *up)
{
  size_t off = 0;
  msgpack_unpacked_init(up);
  CHECK(msgpack_unpack_next(up, sb->data, sb->size, &off) == MSGPACK_UNPACK_SUCCESS);
  return &up->data;
}

static void test_filters(void)
{
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_unpacked up;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  /* Invalid UTF-8 and a WTF-8 surrogate inside a str value must be safe to grep. */
  const char val[] = "see https://example.org/x \xff\xed\xa0\x80 end";
  pack_object(&pk, 0x1000, "freed", val, sizeof val - 1);
  struct crvi_rec r;
  crvi_rec_view(&r, unpack(&sb, &up));
  CHECK(r.kind == CRVI_REC_OBJECT);
  CHECK(r.has_addr && r.addr == 0x1000);
  CHECK(r.has_length && r.length == sizeof val - 1);
  CHECK(crvi_bytes_eq(r.status, "freed"));
  CHECK(r.value && r.value_is_text);

  struct crvi_filter f;
  char msg[128];
  crvi_filter_init(&f);
  CHECK(crvi_filter_match(&f, &r));
  CHECK(crvi_filter_add_list(&f, CRVI_FL_STATUS, "live,freed") == CRV_OK);
  CHECK(crvi_filter_match(&f, &r));
  CHECK(crvi_filter_add_list(&f, CRVI_FL_TYPE, "bytes") == CRV_OK);
  CHECK(!crvi_filter_match(&f, &r));
  crvi_filter_free(&f);

  crvi_filter_init(&f);
  CHECK(crvi_filter_add_list(&f, CRVI_FL_TYPE, "a,,b") == CRV_ERR_INVALID_ARG);
  crvi_filter_free(&f);

  crvi_filter_init(&f);
  CHECK(crvi_filter_set_regex(&f, "https?://", 0, msg, sizeof msg) == CRV_OK);
  crvi_filter_set_length(&f, 1, 20, 0, 0);
  CHECK(crvi_filter_match(&f, &r));
  crvi_filter_set_length(&f, 1, 2000, 0, 0);
  CHECK(!crvi_filter_match(&f, &r));
  crvi_filter_free(&f);

  crvi_filter_init(&f);
  CHECK(crvi_filter_set_regex(&f, "END", 1, msg, sizeof msg) == CRV_OK); /* after the junk */
  CHECK(crvi_filter_match(&f, &r));
  CHECK(crvi_filter_set_regex(&f, "([", 0, msg, sizeof msg) == CRV_ERR_REGEX);
  CHECK(strlen(msg) > 0);
  crvi_filter_free(&f);

  crvi_filter_init(&f);
  CHECK(crvi_filter_set_region(&f, "0x7f00") == CRV_OK);
  CHECK(crvi_filter_match(&f, &r));
  CHECK(crvi_filter_set_region(&f, "heap") == CRV_OK);
  CHECK(!crvi_filter_match(&f, &r));
  crvi_filter_free(&f);
  msgpack_unpacked_destroy(&up);
  msgpack_sbuffer_destroy(&sb);
}

/* ---- the tally --------------------------------------------------------------------------- */

static void feed(struct crvi_tally *t, uint64_t addr, const char *status, const char *value)
{
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_unpacked up;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  pack_object(&pk, addr, status, value, strlen(value));
  struct crvi_rec r;
  crvi_rec_view(&r, unpack(&sb, &up));
  CHECK(crvi_tally_record(t, &r, 1) == CRV_OK);
  msgpack_unpacked_destroy(&up);
  msgpack_sbuffer_destroy(&sb);
}

static const struct crvi_topn_ent *find(const struct crvi_topn *t, const char *key)
{
  for (size_t i = 0; i < t->n; i++)
    if (t->ents[i].textlen == strlen(key) && memcmp(t->ents[i].text, key, t->ents[i].textlen) == 0)
      return &t->ents[i];
  return NULL;
}

static void test_tally(void)
{
  struct crvi_tally t;
  CHECK(crvi_tally_init(&t, 5) == CRV_OK);
  CHECK(crvi_tally_begin_input(&t, "x.msgpack") == CRV_OK);
  feed(&t, 0x7f0000001000, "live",
       "GET /api/v1/items?id=3 HTTP/1.1\r\nHost: example.org\r\n\r\n");
  feed(&t, 0x7f0000002000, "freed",
       "fetch https://user@example.org/a/b?c=1. then read /etc/ssl/certs/ca.pem, ~/.ssh/id_rsa");
  feed(&t, 0x7f0000003000, "freed", "not a path: a/b/c nor /x nor http:/x; url ftp://h/f)");
  feed(&t, 0x7f0000004000, "live", "GET /api/v1/items?id=3 HTTP/1.1\r\nHost: example.org\r\n\r\n");
  feed(&t, 0x7f0000900000, "live", "short");
  CHECK_EQ_U64(t.objects, 5);
  CHECK_EQ_U64(t.by_status[CRVI_ST_LIVE], 3);
  CHECK_EQ_U64(t.by_status[CRVI_ST_FREED], 2);
  const struct crvi_topn_ent *e = find(&t.requests, "GET /api/v1/items?id=3 HTTP/1.1");
  CHECK(e && e->count == 2 && e->sub[CRVI_ST_LIVE] == 2);
  CHECK_EQ_U64(t.requests.n, 1);
  CHECK(find(&t.urls, "https://user@example.org/a/b?c=1") != NULL);
  CHECK(find(&t.urls, "ftp://h/f") != NULL);
  CHECK_EQ_U64(t.urls.n, 2);
  CHECK(find(&t.paths, "/etc/ssl/certs/ca.pem") != NULL);
  CHECK(find(&t.paths, "~/.ssh/id_rsa") != NULL);
  CHECK_EQ_U64(t.paths.n, 2); /* not /api/... (inside the request), a/b/c, /x, http:/x */
  e = find(&t.repeated, "GET /api/v1/items?id=3 HTTP/1.1\r\nHost: example.org\r\n\r\n");
  CHECK(e && e->count == 2);
  CHECK_EQ_U64(t.n_longest, 4); /* the two equal requests are one entry */
  /* One band (one region name), with every object in it, the histogram exact. */
  CHECK_EQ_U64(t.n_bands, 1);
  const struct crvi_band *b = &t.bands[0];
  CHECK(b->has_extent && b->start == 0x7f0000000000);
  CHECK_EQ_U64(b->n[CRVI_ST_LIVE] + b->n[CRVI_ST_FREED], 5);
  uint64_t sum = 0;
  for (size_t i = 0; i < (CRVI_ST_COUNT + 1) * CRV_TRIAGE_BAND_BUCKETS; i++)
    sum += b->buckets[i];
  CHECK_EQ_U64(sum, 5);
  CHECK(b->lo == 0x7f0000001000 && b->hi == 0x7f0000900000);
  /* Extremes of the address space keep the histogram exact too. */
  feed(&t, 0, "live", "zero");
  feed(&t, UINT64_MAX - 7, "live", "top");
  sum = 0;
  for (size_t i = 0; i < (CRVI_ST_COUNT + 1) * CRV_TRIAGE_BAND_BUCKETS; i++)
    sum += b->buckets[i];
  CHECK_EQ_U64(sum, 7);
  crvi_tally_free(&t);
}

/* ---- output ------------------------------------------------------------------------------ */

static void test_output(void)
{
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_unpacked up;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, 6);
  pk_kv_str(&pk, "record", "future");
  pk_str(&pk, "value");
  msgpack_pack_bin_with_body(&pk, "\x00\xff", 2);
  pk_str(&pk, "note");
  msgpack_pack_bin_with_body(&pk, "ok", 2);
  msgpack_pack_int64(&pk, 7); /* a non-str key */
  msgpack_pack_array(&pk, 2);
  msgpack_pack_true(&pk);
  msgpack_pack_int64(&pk, -5);
  pk_kv_str(&pk, "text", "=1+2 \"q\"\x1b[31m");
  pk_kv_str(&pk, "lone", "\xed\xa0\x80");
  FILE *f = tmpfile();
  CHECK(f != NULL);
  struct crvi_tout o;
  crvi_tout_init(&o, f);
  crvi_emit_jsonl(&o, unpack(&sb, &up));
  struct crvi_rec r;
  crvi_rec_view(&r, &up.data);
  CHECK(r.kind == CRVI_REC_OTHER);
  crvi_emit_csv_header(&o);
  crvi_emit_csv(&o, "in.msgpack", &r);
  crvi_emit_text(&o, &r);
  CHECK(crvi_tout_finish(&o) == CRV_OK);
  char got[2048];
  rewind(f);
  size_t n = fread(got, 1, sizeof got - 1, f);
  got[n] = 0;
  fclose(f);
  const char *want_json =
      "{\"record\":\"future\",\"value_b64\":\"AP8=\",\"note_b64\":\"b2s=\",\"note\":\"ok\","
      "\"7\":[true,-5],\"text\":\"=1+2 \\\"q\\\"\\u001b[31m\",\"lone\":\"\\ud800\"}\n";
  CHECK(strncmp(got, want_json, strlen(want_json)) == 0);
  if (strncmp(got, want_json, strlen(want_json)) != 0)
    fprintf(stderr, "got: %s\n", got);
  /* CSV: value_b64 for bytes, the unknown keys in "other", formulas defused, ESC replaced. */
  CHECK(strstr(got, "\"in.msgpack\",\"future\",,,,,,,,\"AP8=\",,,,,,,,,") != NULL);
  CHECK(strstr(got, "\"\"text\"\":\"\"=1+2") != NULL); /* inside the JSON of "other" */
  CHECK(strchr(got, 0x1b) == NULL);
  /* Text: terminal-safe. */
  CHECK(strstr(got, "future value=b\"\\x00\\xff\"") != NULL);
  CHECK(strstr(got, "text=\"=1+2 \\\"q\\\"\\x1b[31m\"") != NULL);
  msgpack_unpacked_destroy(&up);
  msgpack_sbuffer_destroy(&sb);

  /* A CSV value cell that starts like a formula gets a leading quote. */
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  pack_object(&pk, 1, "live", "=HYPERLINK(\"x\")", 15);
  f = tmpfile();
  crvi_tout_init(&o, f);
  crvi_rec_view(&r, unpack(&sb, &up));
  crvi_emit_csv(&o, "f", &r);
  CHECK(crvi_tout_finish(&o) == CRV_OK);
  rewind(f);
  n = fread(got, 1, sizeof got - 1, f);
  got[n] = 0;
  fclose(f);
  CHECK(strstr(got, ",\"'=HYPERLINK(\"\"x\"\")\",") != NULL);
  msgpack_unpacked_destroy(&up);
  msgpack_sbuffer_destroy(&sb);
}

/* Values longer than a chunk inside memory sinks (the CSV "other" cell, a meta record's
 * JSON): converted completely, or dropped at the cap, never a hang. */
static void test_memory_sinks(void)
{
  size_t big = 3 * CRVI_TOUT_CHUNK + 5;
  char *v = malloc(big + 1);
  CHECK(v != NULL);
  memset(v, 'q', big);
  v[big] = 0;
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_unpacked up;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, 3);
  pk_kv_str(&pk, "record", "object");
  pk_str(&pk, "renamed");
  msgpack_pack_map(&pk, 2);
  pk_kv_str(&pk, "text", v);
  pk_str(&pk, "bin");
  msgpack_pack_bin_with_body(&pk, v, big);
  pk_kv_str(&pk, "sources", v);
  struct crvi_rec r;
  crvi_rec_view(&r, unpack(&sb, &up));
  FILE *f = tmpfile();
  CHECK(f != NULL);
  struct crvi_tout o;
  crvi_tout_init(&o, f);
  crvi_emit_csv(&o, "f", &r);
  CHECK(crvi_tout_finish(&o) == CRV_OK);
  long size = ftell(f);
  CHECK(size > (long)(2 * big)); /* the text, and the base64 of the bin, in "other" */
  fclose(f);
  /* The same record as a meta record: its JSON is over CRV_TRIAGE_META_JSON, dropped. */
  struct crvi_tally t;
  CHECK(crvi_tally_init(&t, 3) == CRV_OK);
  CHECK(crvi_tally_begin_input(&t, "m") == CRV_OK);
  r.kind = CRVI_REC_META;
  CHECK(crvi_tally_record(&t, &r, 1) == CRV_OK);
  CHECK(t.inputs[0].n_meta_info == 1);
  CHECK(t.inputs[0].meta[0].json == NULL);
  CHECK(t.inputs[0].meta[0].sources.n == 0); /* not an array: ignored */
  crvi_tally_free(&t);
  msgpack_unpacked_destroy(&up);
  msgpack_sbuffer_destroy(&sb);
  free(v);
}

int main(void)
{
  test_walker();
  test_reader();
  test_topn();
  test_filters();
  test_tally();
  test_output();
  test_memory_sinks();
  return CHECK_DONE();
}
