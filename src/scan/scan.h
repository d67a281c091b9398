/* SPDX-License-Identifier: MIT */
/* The carving pipeline: find the interpreter's type objects, tell its version, then scan
 * every pointer-aligned word once for the str/bytes type pointers and validate the hits. */
#ifndef CARVER_SCAN_H
#define CARVER_SCAN_H
#include <signal.h>
#include <stdint.h>
#include "carver/error.h"
#include "carver/object.h"
#include "source/space.h"
#include "layouts/layout.h"
#include "hash/pyhash.h"

#define CRV_MAX_LAYOUT_CANDIDATES 16

/* The interpreter found in the memory. */
struct crv_pytypes {
  const struct crv_header_layout *hdr; /* header variant that found PyType_Type */
  uint64_t type_type;                  /* &PyType_Type */
  uint64_t text_type, bytes_type;      /* str/bytes (2.7: unicode/str); 0 when absent */
  uint64_t text_basicsize, bytes_basicsize;
  int py2;                             /* the text type is named "unicode" */
  size_t image_first, image_last;      /* region index range around the type objects */
  /* Layouts whose offsets fit what was found (one family). */
  const struct crv_layout *candidates[CRV_MAX_LAYOUT_CANDIDATES];
  size_t n_candidates;
};

struct crv_progress {
  void (*fn)(void *user, const char *phase, uint64_t done, uint64_t total);
  void *user;
};

/* Finds PyType_Type (self-referential, tp_name "type"), then the str/bytes types next to it.
 * Returns CRV_ERR_UNSUPPORTED when no interpreter is recognised. */
crv_err crvi_find_types(struct crv_space *s, struct crv_pytypes *out,
                        const volatile sig_atomic_t *stop, const struct crv_progress *pr);

struct crv_version {
  const struct crv_layout *layout;
  char python[16];      /* "3.11", or the family "3.3-3.11" */
  char python_full[32]; /* "3.11.2" when the version text was found */
  const char *source;   /* "option", "xdebugpy", "version-text", "maps", "layout" */
};

/* Chooses the layout among t->candidates. forced: "--python" value or NULL.
 * Returns CRV_ERR_INVALID_ARG (with msg) when forced names no version of that family. */
crv_err crvi_detect_version(struct crv_space *s, const struct crv_pytypes *t,
                            const char *forced, struct crv_version *out, char *msg,
                            size_t msg_len);

typedef int (*crv_object_fn)(void *user, const crv_object *o); /* non-zero stops */

struct crv_scan_cfg {
  struct crv_space *space;
  const struct crv_layout *layout;
  uint64_t text_type, bytes_type;
  /* The interpreter image's data mapping (where PyType_Type is): objects there are static
   * and must be live; 0,0 when unknown. */
  uint64_t image_start, image_end;
  const crv_hash_key *key; /* NULL: hashes are "unverified" */
  uint64_t max_value;      /* cap on length*unit */
  size_t chunk;            /* read granularity */
  int threads;             /* 2: a reader thread reads ahead; 0 or 1: everything on the
                              calling thread */
  int keep_mismatch;       /* report objects whose hash mismatches */
  int clobbered;           /* also recover values whose header free() clobbered */
  uint64_t byte_budget;    /* stop after this many bytes (0: no limit) */
  const volatile sig_atomic_t *stop;
  crv_object_fn on_object;
  /* Optional: told of every rejected candidate (addr of the would-be object, reason). */
  void (*on_reject)(void *user, uint64_t addr, int is_text, int reason);
  void *user;
  struct crv_progress progress;
};

/* Scans the whole address space once. sum is filled (counts added). */
crv_err crvi_scan(const struct crv_scan_cfg *cfg, crv_summary *sum);
#endif
