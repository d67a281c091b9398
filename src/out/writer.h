/* SPDX-License-Identifier: MIT */
/* Findings writers: msgpack stream, JSON lines, text. One record per call; the writer
 * flushes after meta and summary and every CRV_WRITER_FLUSH_EVERY objects. */
#ifndef CARVER_WRITER_H
#define CARVER_WRITER_H
#include <stdio.h>
#include "carver/credential.h"
#include "carver/error.h"
#include "carver/object.h"

enum crv_format { CRV_FORMAT_TEXT = 0, CRV_FORMAT_JSONL = 1, CRV_FORMAT_MSGPACK = 2 };

struct crv_writer;

/* fp is borrowed; the writer never closes it. */
crv_err crvi_writer_open(struct crv_writer **out, enum crv_format fmt, FILE *fp);
crv_err crvi_writer_meta(struct crv_writer *w, const crv_meta *m);
crv_err crvi_writer_object(struct crv_writer *w, const crv_object *o);
crv_err crvi_writer_summary(struct crv_writer *w, const crv_summary *s);
/* A credential record (carver creds, scan --creds); its strings are borrowed. */
crv_err crvi_writer_credential(struct crv_writer *w, const crv_credential *c);
/* Declares that the stream carries credential records: the summary then also holds
 * "credentials", the number written (0 included). Without it nothing changes. */
void crvi_writer_enable_credentials(struct crv_writer *w);
/* Flushes; returns CRV_ERR_OUTPUT when any write failed (e.g. disk full). */
crv_err crvi_writer_close(struct crv_writer *w);

#define CRV_WRITER_FLUSH_EVERY 256
#endif
