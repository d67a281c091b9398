/* SPDX-License-Identifier: MIT */
/* The triage summary: everything counted while records stream by, in bounded memory.
 *
 * Per input: its meta records (what was scanned), how the stream ended, its scan summary.
 * Over the selected records (those that passed the filters): counts by record type, object
 * type, status, region and hash check; credentials; URLs, HTTP request lines and file paths
 * found inside values; the longest and the most repeated values; and, for the HTML
 * picture, where in each region live and freed objects and credentials lie. Every table is
 * capped (src/util/limits.h); counts stay exact while a table holds fewer distinct keys than
 * its cap, and are marked approximate past it (see topn.h). */
#ifndef CARVER_TRIAGE_SUMMARY_H
#define CARVER_TRIAGE_SUMMARY_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "carver/error.h"
#include "triage/reader.h"
#include "triage/record.h"
#include "triage/topn.h"
#include "util/limits.h"

/* A string field copied out of a record (raw bytes, capped, NUL-terminated); NULL: absent. */
struct crvi_field {
  char *p;
  size_t n;
};

struct crvi_meta_info {
  struct crvi_field tool_version, python, python_full, version_source, layout, hash_key_source,
      hash_key, sources;   /* sources: the list joined with ", " */
  int has_pid;
  uint64_t pid;
  char *json;              /* the whole record as JSON (capped at CRV_TRIAGE_META_JSON) */
};

struct crvi_scan_sum {     /* the stream's own summary record (the last one seen) */
  int present;
  int has_objects, has_bytes, has_regions, has_holes, has_elapsed, interrupted;
  uint64_t objects, bytes_scanned, regions, holes;
  double elapsed;
  char *json;
};

struct crvi_input {
  char *name;
  struct crvi_trd_status st;
  uint64_t records;        /* every complete record */
  uint64_t object_records; /* object records, before filtering (checked against summary) */
  uint64_t metas;          /* meta records (the first CRV_TRIAGE_MAX_METAS are described) */
  size_t n_meta_info;
  struct crvi_meta_info meta[CRV_TRIAGE_MAX_METAS];
  uint64_t summaries;
  struct crvi_scan_sum sum;
};

struct crvi_long_ent {     /* one of the longest values */
  uint8_t *text;           /* first CRV_TRIAGE_KEEP_BYTES bytes */
  size_t textlen;
  uint64_t bytes, length, h, count, addr;
  int has_addr, is_text, status;
  char type[16];
  char region[64];
};

struct crvi_band {         /* one region of the address-space picture */
  char *name;
  int has_extent;          /* start/end known from a dump file name */
  uint64_t start, end;
  int seen;                /* lo/hi valid */
  uint64_t lo, hi;         /* lowest and highest object address seen */
  uint64_t base;           /* histogram: bucket i covers base + [i, i+1) << shift */
  unsigned shift;
  uint64_t n[CRVI_ST_COUNT + 1];  /* objects per status, then credentials */
  uint32_t *buckets;       /* (CRVI_ST_COUNT + 1) * CRV_TRIAGE_BAND_BUCKETS counters */
};

struct crvi_point {
  uint64_t addr;
  int band;                /* resolved by crvi_tally_finish; -1 when outside every band */
};

struct crvi_tally {
  size_t top;              /* rows per table in reports */
  struct crvi_input *inputs;
  size_t n_inputs, inputs_alloc;
  uint64_t records;        /* every complete record of every input */
  uint64_t data_records;   /* records other than meta and summary */
  uint64_t selected;       /* data records that passed the filters */
  uint64_t objects;        /* selected object records */
  uint64_t credentials;    /* selected credential records */
  uint64_t by_status[CRVI_ST_COUNT];
  struct crvi_topn all_rtypes;     /* every record by "record" */
  struct crvi_topn rtypes;         /* selected data records by "record" */
  struct crvi_topn types;          /* selected objects by "type" (sub: by status) */
  struct crvi_topn regions;        /* selected objects by "region" (sub: by status) */
  struct crvi_topn hash_checks;    /* selected objects by "hash_check" */
  struct crvi_topn creds;          /* key: scheme \x1f user \x1f secret */
  struct crvi_topn urls, requests, paths, repeated;
  uint64_t values;                 /* values examined for strings */
  struct crvi_long_ent longest[CRV_TRIAGE_TOP_MAX];
  size_t n_longest;
  struct crvi_band bands[CRV_TRIAGE_MAX_BANDS];
  size_t n_bands, last_band;
  uint64_t unbanded;               /* objects in regions beyond CRV_TRIAGE_MAX_BANDS */
  struct crvi_point points[CRV_TRIAGE_MAX_POINTS];
  size_t n_points;
  uint64_t points_dropped;
  crv_err err;                     /* sticky: CRV_ERR_NOMEM */
};

/* top: rows per table (1..CRV_TRIAGE_TOP_MAX). */
crv_err crvi_tally_init(struct crvi_tally *t, size_t top);
void crvi_tally_free(struct crvi_tally *t);
/* Starts the next input; name is copied. */
crv_err crvi_tally_begin_input(struct crvi_tally *t, const char *name);
/* Every complete record of the current input, selected or not (meta and summary records
 * describe the input either way). */
crv_err crvi_tally_record(struct crvi_tally *t, const struct crvi_rec *r, int selected);
void crvi_tally_end_input(struct crvi_tally *t, const struct crvi_trd_status *st);
/* Places the credential addresses on the bands. */
void crvi_tally_finish(struct crvi_tally *t);
/* The longest values, longest first (then by address), in a malloc'ed array of
 * t->n_longest; NULL when there are none or out of memory. */
const struct crvi_long_ent **crvi_tally_longest(const struct crvi_tally *t);

/* Credential fields as stored in the creds table key. */
struct crvi_cred_view {
  struct crvi_bytes scheme, user, secret;
  const char *secret_key;  /* "password", "token" or "secret" */
};
void crvi_cred_split(const struct crvi_topn_ent *e, struct crvi_cred_view *v);
const char *crvi_conf_name(uint64_t rank);

/* ---- reports (report.c, html.c) ------------------------------------------------------ */

/* The summary for a person, terminal-safe. */
crv_err crvi_report_text(const struct crvi_tally *t, FILE *fp);
/* The same as one JSON document (counts exact unless "approximate" says otherwise). */
crv_err crvi_report_json(const struct crvi_tally *t, FILE *fp);

#endif
