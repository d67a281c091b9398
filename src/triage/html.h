/* SPDX-License-Identifier: MIT */
/* The HTML triage report: one self-contained page (no network, no external files; a
 * Content-Security-Policy forbids both) with the summary tables, the credentials, the
 * address-space picture (one band per region; where live and freed objects and
 * credentials lie) and a searchable table of the selected objects. Every string from the
 * input is shown as a terminal-safe repr, HTML-escaped. */
#ifndef CARVER_TRIAGE_HTML_H
#define CARVER_TRIAGE_HTML_H
#include <stdio.h>
#include "carver/error.h"
#include "out/textenc.h"
#include "triage/record.h"
#include "triage/summary.h"

struct crvi_html {
  crvi_buf rows;       /* the object table's rows, capped (CRV_TRIAGE_HTML_BYTES) */
  uint64_t n_rows;     /* rows held */
  uint64_t objects;    /* selected object records offered */
};

void crvi_html_init(struct crvi_html *h);
void crvi_html_free(struct crvi_html *h);
/* A selected data record: objects become rows of the searchable table (up to
 * CRV_TRIAGE_HTML_ROWS rows and CRV_TRIAGE_HTML_BYTES bytes). */
void crvi_html_record(struct crvi_html *h, const struct crvi_rec *r);
/* Writes the page. */
crv_err crvi_html_write(const struct crvi_html *h, const struct crvi_tally *t, FILE *fp);
#endif
