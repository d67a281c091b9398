/* SPDX-License-Identifier: MIT */
/* Records of any shape (grep's match, sig's signature hits, their meta and summary) on a
 * findings stream, in the stream's format: a msgpack map, one JSON line, or one text line
 * of key=value pairs for people. Keys are written in call order; the top-level field count
 * is counted for the msgpack map header, nested maps and arrays state theirs.
 *
 * Text from memory goes through crvi_rec_utf8 (UTF-8, WTF-8 surrogates allowed) or
 * crvi_rec_bytes (binary), and is escaped as the object writers escape values: msgpack str
 * or bin; JSON string, or KEY_b64 (plus KEY when valid UTF-8) for binary; quoted and
 * terminal-safe in text. Errors are sticky and reported by crvi_rec_end. */
#ifndef CARVER_RECORD_H
#define CARVER_RECORD_H
#include <stddef.h>
#include <stdint.h>
#include "carver/error.h"
#include "out/writer.h"

#define CRVI_REC_MAX_DEPTH 8

struct crvi_rec;

/* Writes records onto w (borrowed) in format fmt (the format w was opened with). */
crv_err crvi_rec_open(struct crvi_rec **out, struct crv_writer *w, enum crv_format fmt);
void crvi_rec_close(struct crvi_rec *r); /* accepts NULL */

/* Starts a record {"record": name, ...}. */
void crvi_rec_begin(struct crvi_rec *r, const char *name);
/* Fields. key is NULL for an element of an array. */
void crvi_rec_str(struct crvi_rec *r, const char *key, const char *s); /* tool string; NULL: nil */
void crvi_rec_u64(struct crvi_rec *r, const char *key, uint64_t v);
void crvi_rec_i64(struct crvi_rec *r, const char *key, int64_t v);
void crvi_rec_addr(struct crvi_rec *r, const char *key, uint64_t v); /* text shows 0x hex */
void crvi_rec_bool(struct crvi_rec *r, const char *key, int v);
void crvi_rec_double(struct crvi_rec *r, const char *key, double v);
void crvi_rec_nil(struct crvi_rec *r, const char *key);
void crvi_rec_utf8(struct crvi_rec *r, const char *key, const uint8_t *s, size_t n);
void crvi_rec_bytes(struct crvi_rec *r, const char *key, const uint8_t *s, size_t n);
/* A nested map of n entries or array of n elements; end it with crvi_rec_pop. */
void crvi_rec_map(struct crvi_rec *r, const char *key, size_t n);
void crvi_rec_array(struct crvi_rec *r, const char *key, size_t n);
void crvi_rec_pop(struct crvi_rec *r);
/* Writes the record out. CRV_ERR_OUTPUT when writing failed, CRV_ERR_LIMIT when the
 * record outgrew the buffer, CRV_ERR_INVALID_ARG when the calls did not nest. */
crv_err crvi_rec_end(struct crvi_rec *r);
#endif
