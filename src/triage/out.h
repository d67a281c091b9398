/* SPDX-License-Identifier: MIT */
/* Triage output: a buffered stream with escaping for each format, and one record as a JSON
 * line, a CSV row or a text line. Every byte from the input is escaped for its format:
 * JSON (lone surrogates as \udXXX), CSV (strict UTF-8, terminal controls replaced, formula
 * prefixes defused), text (terminal-safe repr), HTML (entities on top of the repr). */
#ifndef CARVER_TRIAGE_OUT_H
#define CARVER_TRIAGE_OUT_H
#include <msgpack.h>
#include <stdio.h>
#include "carver/error.h"
#include "out/textenc.h"
#include "triage/record.h"

/* Bytes gathered before a write; hard cap of the scratch buffer. */
#define CRVI_TOUT_CHUNK (64u << 10)
#define CRVI_TOUT_CAP (1u << 20)

struct crvi_tout {
  FILE *fp;     /* borrowed */
  crvi_buf b;
  int failed;   /* a write failed or a piece did not fit */
};

/* fp NULL makes a memory sink: nothing is written, the buffer (capped) is the result. */
void crvi_tout_init(struct crvi_tout *o, FILE *fp);
/* The limit to pass to a stepwise converter (textenc.h) appending to o->b: a file sink
 * drains between steps, a memory sink grows by a chunk per step until its cap. */
size_t crvi_tout_step_limit(const struct crvi_tout *o);
/* Writes the buffer out when it holds a chunk (always when force). */
void crvi_tout_flush(struct crvi_tout *o, int force);
/* Writes everything, fflush; CRV_ERR_OUTPUT when any write failed. Frees the buffer. */
crv_err crvi_tout_finish(struct crvi_tout *o);
void crvi_tout_puts(struct crvi_tout *o, const char *s);
void crvi_tout_printf(struct crvi_tout *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A quoted JSON string of UTF-8 text (WTF-8 surrogates become \udXXX, invalid bytes U+FFFD). */
void crvi_tout_json_str(struct crvi_tout *o, const uint8_t *p, size_t n);
void crvi_tout_json_cstr(struct crvi_tout *o, const char *s); /* "null" for NULL */
/* Bytes as a quoted base64 JSON string (drained step by step on a file sink). */
void crvi_tout_json_b64(struct crvi_tout *o, const uint8_t *p, size_t n);
/* Any msgpack object as JSON. A bin is a base64 string (map values are written by
 * crvi_tout_json_map, which names them KEY_b64 as the scan's JSON lines do). */
void crvi_tout_json_value(struct crvi_tout *o, const msgpack_object *v, unsigned depth);
/* A map as a JSON object; keys in skip (NULL-terminated list, may be NULL) are left out. A
 * bin under key K becomes "K_b64" (base64) plus "K" when it is valid UTF-8. Non-str keys
 * are written as the JSON string of their value. */
void crvi_tout_json_map(struct crvi_tout *o, const msgpack_object *map, const char *const *skip,
                        unsigned depth);

/* Terminal-safe repr of a value (no quotes): text is UTF-8/WTF-8, else bytes. At most
 * max_cps code points (bytes); returns 1 when cut short. Appends to b. */
int crvi_repr_value(crvi_buf *b, const uint8_t *p, size_t n, int is_text, size_t max_cps);
/* The same; quote is the character escaped as \quote (0: none, for HTML). */
int crvi_repr_value_q(crvi_buf *b, const uint8_t *p, size_t n, int is_text, size_t max_cps,
                      char quote);
/* The repr, quoted ("..." or b"..."), followed by "..." when cut short. */
void crvi_tout_repr(struct crvi_tout *o, const uint8_t *p, size_t n, int is_text, size_t max_cps);
/* HTML-escapes s[0..n) (already terminal-safe text) into o. */
void crvi_tout_html_raw(struct crvi_tout *o, const char *s, size_t n);
/* The repr of a value, HTML-escaped; "..." when cut short. */
void crvi_tout_html_value(struct crvi_tout *o, const uint8_t *p, size_t n, int is_text,
                          size_t max_cps);
/* A tool string (may be NULL: nothing), repr'd and HTML-escaped. */
void crvi_tout_html_str(struct crvi_tout *o, const char *s);

/* ---- records ----------------------------------------------------------------------------- */

void crvi_emit_jsonl(struct crvi_tout *o, const msgpack_object *map);
void crvi_emit_csv_header(struct crvi_tout *o);
/* A data record as a CSV row; file is the input's name. */
void crvi_emit_csv(struct crvi_tout *o, const char *file, const struct crvi_rec *r);
/* A data record as one terminal-safe text line. */
void crvi_emit_text(struct crvi_tout *o, const struct crvi_rec *r);

#endif
