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

/* Output buffering: records are built in w->buf and handed to the stream in blocks of
 * about CRVI_WRITER_OUT bytes, one fwrite each (stdio copies nothing of writes that
 * large), and at every flush point: after meta and summary, every CRV_WRITER_FLUSH_EVERY
 * objects, at close. No value's whole encoding is held in memory: values longer than
 * CRVI_WRITER_WHOLE are converted in steps and written out whenever the buffer holds a
 * block. Formats append to w->buf and never reset it (writer.c frames each record). */
#define CRVI_WRITER_OUT (1u << 20)
/* Values whose encoding is at most this long (by its bound: nunits times the most bytes a
 * unit can need) are converted in one piece. */
#define CRVI_WRITER_WHOLE (256u << 10)
/* Hard cap of the buffer: a block (plus one step's overshoot), a whole value, and a
 * record's fields (tool strings longer than a few KiB go in steps too) with a wide margin. */
#define CRVI_WRITER_BUF_CAP (CRVI_WRITER_OUT + CRVI_WRITER_WHOLE + (64u << 10))
/* Tool strings (paths, names) up to this long are written in one piece. */
#define CRVI_WRITER_SHORT 4096u
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
  crv_err (*credential)(struct crv_writer *w, const crv_credential *c);
  void (*fini)(struct crv_writer *w); /* may be NULL */
};

struct crv_writer {
  const struct crvi_writer_ops *ops;
  FILE *fp;         /* borrowed */
  int failed;       /* a write or flush failed, or a record was cut short */
  uint64_t objects; /* object records written */
  uint64_t credentials;  /* credential records written */
  int with_credentials;  /* crvi_writer_enable_credentials was called */
  crvi_buf buf;     /* output not yet handed to fp, capped at CRVI_WRITER_BUF_CAP */
  size_t rec_start; /* where the current record starts in buf; SIZE_MAX once part of it
                       has been written out */
  int interactive;  /* fp is a terminal: records are handed to stdio one by one */
  void *impl;       /* format state, owned by the format (freed in fini) */
};

/* Per-format set-up: sets w->ops (and w->impl). */
crv_err crvi_writer_msgpack_init(struct crv_writer *w);
crv_err crvi_writer_jsonl_init(struct crv_writer *w);
crv_err crvi_writer_text_init(struct crv_writer *w);

/* fwrite that records a short count in w->failed. Does nothing once failed. Callers
 * drain w->buf first. */
void crvi_w_write(struct crv_writer *w, const void *p, size_t n);
/* Writes w->buf out and empties it. Returns the buffer's error (and marks the writer
 * failed: the record on the stream is incomplete) if it had one. */
crv_err crvi_w_drain(struct crv_writer *w);
/* Inside a record, after appending a step: writes the buffer out once it holds a block.
 * Returns the buffer's error, if any. */
static inline crv_err crvi_w_maybe_drain(struct crv_writer *w)
{
  if (w->buf.err || w->buf.len >= CRVI_WRITER_OUT)
    return crvi_w_drain(w);
  return CRV_OK;
}
/* Writes the buffer out, then fflush, recording failure (or an earlier ferror) in
 * w->failed. */
void crvi_w_flush(struct crv_writer *w);

/* Decimal digits of v / of signed v at o; returns the end (at most 20 bytes). */
char *crvi_w_u64_dec(char *o, uint64_t v);
char *crvi_w_i64_dec(char *o, int64_t v);
/* 1 when s[0..n) can be copied into a JSON string (or msgpack str) as it is: printable
 * ASCII without '"' and '\\'. */
int crvi_w_plain(const char *s, size_t n);

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

/* The key of a credential's secret: "password" (basic, url) or "token". */
const char *crvi_w_secret_key(int scheme);

/* Formats a finite double with '.' as decimal point whatever the locale: the shortest of
 * %.15g..%.17g that reads back exactly, with ".0" added when it would look like an integer
 * (decimals < 0), or "%.*f" with the given decimals. "null" when not finite. */
void crvi_w_format_double(char *out, size_t n, double d, int decimals);

#endif
