/* SPDX-License-Identifier: MIT */
/* Inside the findings writers: the per-format vtable and the helpers writer.c shares with
 * writer_msgpack.c, writer_jsonl.c and writer_text.c. Not a public header. */
#ifndef CARVER_WRITER_IMPL_H
#define CARVER_WRITER_IMPL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "carver/error.h"
#include "carver/object.h"
#include "out/textenc.h"
#include "out/writer.h"

/* Converters append up to about this many bytes before the writer hands them to the
 * stream, so no value's whole encoding is ever held in memory. */
#define CRVI_WRITER_CHUNK (64u << 10)
/* Hard cap of the scratch buffer: a chunk plus the longest escape plus a record's small
 * fields leave a wide margin. */
#define CRVI_WRITER_BUF_CAP (1u << 20)
/* Characters of a value shown by the text writer before "...". */
#define CRVI_TEXT_REPR_MAX 100u
/* Characters of a tool string (path, name) shown by the text writer. */
#define CRVI_TEXT_META_MAX 1024u

struct crv_writer;

/* Every record has been validated by writer.c before it reaches a format. The callbacks
 * return CRV_OK or an error of their own (CRV_ERR_LIMIT, CRV_ERR_NOMEM); write failures are
 * recorded in w->failed by crvi_w_write and reported by writer.c. */
struct crvi_writer_ops {
  crv_err (*meta)(struct crv_writer *w, const crv_meta *m);
  crv_err (*object)(struct crv_writer *w, const crv_object *o);
  crv_err (*summary)(struct crv_writer *w, const crv_summary *s);
  void (*fini)(struct crv_writer *w); /* may be NULL */
};

struct crv_writer {
  const struct crvi_writer_ops *ops;
  FILE *fp;         /* borrowed */
  int failed;       /* a write or flush failed, or a record was cut short */
  uint64_t objects; /* object records written */
  crvi_buf buf;     /* scratch, capped at CRVI_WRITER_BUF_CAP */
  void *impl;       /* format state, owned by the format (freed in fini) */
};

/* Per-format set-up: sets w->ops (and w->impl). */
crv_err crvi_writer_msgpack_init(struct crv_writer *w);
crv_err crvi_writer_jsonl_init(struct crv_writer *w);
crv_err crvi_writer_text_init(struct crv_writer *w);

/* fwrite that records a short count in w->failed. Does nothing once failed. */
void crvi_w_write(struct crv_writer *w, const void *p, size_t n);
/* Writes w->buf out and empties it. Returns the buffer's error (and marks the writer
 * failed: the record on the stream is incomplete) if it had one. */
crv_err crvi_w_drain(struct crv_writer *w);
/* fflush, recording failure (or an earlier ferror) in w->failed. */
void crvi_w_flush(struct crv_writer *w);

/* How to read an object's value. Text types: kind 1/2/4, nunits = data_len / kind and
 * flags CRVI_TEXT_UTF16 for narrow-build UTF-16 (2.7 unicode, and 3.0-3.2 str, which has
 * ascii == -1, with kind 2). Binary types: kind 1, nunits = data_len, flags 0. */
typedef struct crvi_value {
  int text;
  unsigned kind;
  unsigned flags;
  size_t nunits;
  const uint8_t *data; /* never NULL */
} crvi_value;
/* Fills v; CRV_ERR_INVALID_ARG for an object no writer can describe (enum out of range,
 * text kind not 1/2/4, data NULL with data_len > 0). */
crv_err crvi_w_value(const crv_object *o, crvi_value *v);

/* The summary's by_type counts keyed by output name: types sharing a name (str, 2.7 str)
 * are merged, in enum order of first appearance. Returns the number of names. */
size_t crvi_w_by_type(const crv_summary *s, const char *names[CRV_OBJ_TYPE_COUNT],
                      uint64_t counts[CRV_OBJ_TYPE_COUNT]);

/* Formats a finite double with '.' as decimal point whatever the locale: the shortest of
 * %.15g..%.17g that reads back exactly, with ".0" added when it would look like an integer
 * (decimals < 0), or "%.*f" with the given decimals. "null" when not finite. */
void crvi_w_format_double(char *out, size_t n, double d, int decimals);

#endif
