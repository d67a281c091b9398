/* SPDX-License-Identifier: MIT */
/* The interpreter's object layout read from its own code: the exported accessors
 * PyBytes_AsString, PyBytes_Size and PyUnicode_GetLength (2.7: PyString_AsString,
 * PyString_Size, PyUnicodeUCS4_GetSize) read the very fields carver needs, and the
 * displacements of those reads are the offsets of that build. The signatures are
 * signatures/cpython-layout.sig, compiled into the library.
 *
 * For carver scan when the version is unknown (or to check a guess):
 *   struct crv_code_layout f;
 *   if (crvi_code_layout(space, &f, stop) == CRV_OK && f.found) {
 *     const struct crv_layout *l = crvi_code_layout_pick(&f, types.candidates,
 *                                                         types.n_candidates);
 *     l: the first candidate every fact agrees with (NULL: none does; see
 *        crvi_code_layout_check for why)
 *   }
 * It needs the interpreter's executable mapping and its ELF headers (live processes,
 * dumps that include them, or a core whose interpreter file is on this machine). */
#ifndef CARVER_PYLAYOUT_H
#define CARVER_PYLAYOUT_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "carver/error.h"
#include "disasm/sigscan.h"
#include "layouts/layout.h"
#include "source/space.h"

enum crv_code_fact {
  CRV_FACT_OB_TYPE = 0,   /* "object.ob_type": offsetof(PyObject, ob_type) */
  CRV_FACT_TP_FLAGS,      /* "type.tp_flags": offsetof(PyTypeObject, tp_flags) */
  CRV_FACT_BYTES_OB_SIZE, /* "bytes.ob_size": offsetof(PyBytesObject / PyStringObject, ob_size) */
  CRV_FACT_BYTES_OB_SVAL, /* "bytes.ob_sval": offsetof(PyBytesObject / PyStringObject, ob_sval) */
  CRV_FACT_STR_LENGTH,    /* "str.length": offset of the text object's length */
  CRV_FACT_STR_STATE,     /* "str.state": PEP 393 state byte tested for "ready" (3.3-3.11) */
  CRV_FACT_STR_READY,     /* "str.ready_check": 1 when the accessor checks readiness */
  CRV_FACT_COUNT
};

struct crv_code_layout {
  unsigned ptr_size;                 /* 4 or 8 from the matched code; 0 when none matched */
  int64_t value[CRV_FACT_COUNT];     /* valid where have[] */
  uint8_t have[CRV_FACT_COUNT];
  unsigned found;                    /* facts known */
  unsigned conflicts;                /* facts two signatures gave different values for */
  char evidence[256];                /* the accessors that matched, e.g. "PyBytes_AsString@0x53ff40" */
};

/* The name of a fact ("bytes.ob_sval"), or NULL. */
const char *crvi_code_fact_name(int fact);

void crvi_code_layout_init(struct crv_code_layout *f);
/* Folds the facts of one signature hit into f (unknown keys are ignored). */
void crvi_code_layout_add(struct crv_code_layout *f, const struct crvi_sig_hit *h);

/* Runs the built-in layout signatures over s. Returns CRV_OK (f->found may be 0: no
 * accessor found), CRV_ERR_ABORTED, CRV_ERR_NOMEM. */
crv_err crvi_code_layout(struct crv_space *s, struct crv_code_layout *f,
                         const volatile sig_atomic_t *stop);

/* 1 when every fact agrees with l, 0 when one contradicts it (why says which), -1 when
 * there is nothing to compare (no fact, or another pointer size). */
int crvi_code_layout_check(const struct crv_code_layout *f, const struct crv_layout *l,
                           char *why, size_t why_cap);
/* The first of cands that every fact agrees with; NULL when none (or no facts). */
const struct crv_layout *crvi_code_layout_pick(const struct crv_code_layout *f,
                                               const struct crv_layout *const *cands, size_t n);

/* The built-in signature text (signatures/cpython-layout.sig). */
extern const unsigned char crvi_sig_builtin_layout[];
extern const size_t crvi_sig_builtin_layout_len;
#endif
