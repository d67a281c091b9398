/* SPDX-License-Identifier: MIT */
/* grep over carved objects (see grep.h). */
#include "search/grep.h"

#include <string.h>

uint64_t crvi_utf8_count(const uint8_t *s, size_t n)
{
  uint64_t c = 0;
  for (size_t i = 0; i < n; i++)
    c += (s[i] & 0xC0) != 0x80;
  return c;
}

struct ctx {
  const crv_object *o;
  const uint8_t *subj;
  size_t len;
  int text;
  size_t cur_byte;   /* code-point cursor: bytes before it hold cur_cp code points */
  uint64_t cur_cp;
  crvi_value_match_fn fn;
  void *user;
};

static int on_span(void *user, size_t pat, size_t ms, size_t me)
{
  struct ctx *c = user;
  struct crvi_value_match m = {.pat = pat, .text = c->text, .subj = c->subj,
                               .subj_len = c->len, .ms = ms, .me = me};
  if (c->text) {
    if (ms < c->cur_byte) { /* never: matches of one pattern only move forward */
      c->cur_byte = 0;
      c->cur_cp = 0;
    }
    c->cur_cp += crvi_utf8_count(c->subj + c->cur_byte, ms - c->cur_byte);
    c->cur_byte = ms;
    m.offset = c->cur_cp;
    m.length = crvi_utf8_count(c->subj + ms, me - ms);
  } else {
    m.offset = ms;
    m.length = me - ms;
  }
  return c->fn(c->user, c->o, &m);
}

crv_err crvi_grep_object(struct crvi_search *s, crvi_buf *scratch, const crv_object *o,
                         crvi_value_match_fn fn, void *user, uint64_t *limited)
{
  static const uint8_t empty[1];
  if (!s || !scratch || !o || !fn || (!o->data && o->data_len) || o->type < 0 ||
      o->type >= CRV_OBJ_TYPE_COUNT)
    return CRV_ERR_INVALID_ARG;
  struct ctx c = {.o = o, .fn = fn, .user = user};
  c.text = crv_obj_type_is_text(o->type);
  const uint8_t *data = o->data ? o->data : empty;
  if (c.text) {
    unsigned kind = o->kind, flags = 0;
    if (kind != 1 && kind != 2 && kind != 4)
      return CRV_ERR_INVALID_ARG;
    /* narrow builds (2.7 unicode, 3.0-3.2 str) hold UTF-16: pairs are one code point */
    if (kind == 2 && (o->type == CRV_OBJ_UNICODE27 || (o->type == CRV_OBJ_STR && o->ascii < 0)))
      flags = CRVI_TEXT_UTF16;
    size_t nunits = o->data_len / kind, pos = 0;
    crvi_buf_reset(scratch);
    while (pos < nunits && !scratch->err)
      crvi_text_utf8_step(scratch, data, nunits, kind, flags, &pos, scratch->cap);
    if (scratch->err)
      return CRV_ERR_LIMIT;
    c.subj = scratch->p ? (const uint8_t *)scratch->p : empty;
    c.len = scratch->len;
  } else {
    c.subj = data;
    c.len = o->data_len;
  }
  crv_err ret = CRV_OK;
  for (size_t p = 0; p < crvi_search_count(s); p++) {
    c.cur_byte = 0;
    c.cur_cp = 0;
    crv_err e = crvi_search_value(s, p, c.subj, c.len, c.text, on_span, &c);
    if (e == CRV_ERR_ABORTED)
      return e;
    if (e == CRV_ERR_LIMIT) {
      if (limited)
        (*limited)++;
      ret = CRV_ERR_LIMIT;
    } else if (e != CRV_OK) {
      return e;
    }
  }
  return ret;
}
