/* SPDX-License-Identifier: MIT */
/* What the scanner reports: one carved object, and the stream's meta and summary. */
#ifndef CARVER_OBJECT_H
#define CARVER_OBJECT_H
#include <stdint.h>
#include <stddef.h>

/* Object kinds. The output name is crv_obj_type_name(). */
enum crv_obj_type {
  CRV_OBJ_STR = 0,       /* Python 3 str (PEP 393 or 3.0-3.2 unicode): text   */
  CRV_OBJ_BYTES = 1,     /* Python 3 bytes: binary                            */
  CRV_OBJ_STR27 = 2,     /* Python 2 str (PyStringObject): binary, named "str" */
  CRV_OBJ_UNICODE27 = 3, /* Python 2 unicode: text                            */
  CRV_OBJ_TYPE_COUNT
};

enum crv_hash_check {
  CRV_HASH_UNVERIFIED = 0, /* a hash is cached but the key is unknown          */
  CRV_HASH_MATCH = 1,      /* cached hash equals the recomputed one            */
  CRV_HASH_MISMATCH = 2,   /* cached hash differs (only with --keep-unverified) */
  CRV_HASH_UNSET = 3,      /* cached hash is -1: never computed                */
  CRV_HASH_CHECK_COUNT
};

enum crv_status {
  CRV_STATUS_UNKNOWN = 0,
  CRV_STATUS_LIVE = 1,  /* refcount word holds a plausible count or immortal mark */
  CRV_STATUS_FREED = 2, /* refcount word holds NULL or an allocator free-list link */
  CRV_STATUS_COUNT
};

typedef struct crv_object {
  uint64_t addr;     /* address of the object header (refcount word) */
  uint64_t ob_type;  /* type pointer read from the object */
  int type;          /* enum crv_obj_type */
  uint64_t length;   /* characters (str, unicode) or bytes (bytes, 2.7 str) */
  unsigned kind;     /* 1, 2 or 4 for PEP 393 str; 4 or 2 for 2.7 unicode units; else 1 */
  int ascii;         /* 1/0 for PEP 393 str, -1 when not applicable */
  int interned;      /* interned state, -1 when not applicable */
  int64_t hash;      /* cached hash as read (sign-extended on 32-bit builds) */
  int hash_check;    /* enum crv_hash_check */
  int status;        /* enum crv_status */
  uint64_t refcnt;   /* word 0 as read: a count, an immortal mark or a free-list link */
  const char *region; /* borrowed: name of the region holding the object */
  const char *proof;  /* NULL for an intact header; for a header clobbered by free(), what
                         proved the object (e.g. "state+nul+chunk-size") */
  int has_offset;     /* 1: offset is reported (objects carved from page blobs, whose region
                         is the blob's path) */
  uint64_t offset;    /* where addr lies inside that blob's decompressed page */
  const uint8_t *data; /* borrowed, valid during the callback: length*kind bytes,
                          code units little-endian for text types */
  size_t data_len;
} crv_object;

const char *crv_obj_type_name(int type);
/* 1 when the type's value is text (code points), 0 when binary. */
int crv_obj_type_is_text(int type);
const char *crv_hash_check_name(int check);
const char *crv_status_name(int status);
/* Name of a validator reason code (see validators/validators.h); "unknown" when out of range. */
const char *crv_reason_name(int reason);

#define CRV_MAX_SOURCES_LISTED 64
#define CRV_MAX_REASONS 32

typedef struct crv_meta {
  const char *tool_version;
  const char *python;          /* "3.11", or "3.3-3.11" when only the family is known */
  const char *python_full;     /* "3.11.2" when the version text was found, else NULL */
  const char *version_source;  /* "option", "xdebugpy", "version-text", "maps", "layout" */
  const char *layout;          /* layout id, e.g. "cpython-3.11-x86_64" */
  const char *hash_key_source; /* see README: "option", "seed", "search", ... or NULL */
  const char *hash_key;        /* the key as hex (NULL when unknown) */
  uint64_t hash_key_addr;      /* where the search found it in memory, 0 otherwise */
  int64_t pid;                 /* -1 when unknown */
  const char *const *sources;  /* input paths */
  size_t n_sources;
  uint64_t str_type, bytes_type; /* addresses of the type objects used */
} crv_meta;

typedef struct crv_summary {
  uint64_t objects;
  uint64_t by_type[CRV_OBJ_TYPE_COUNT];
  uint64_t by_status[CRV_STATUS_COUNT];
  uint64_t by_hash_check[CRV_HASH_CHECK_COUNT];
  uint64_t candidates;      /* type-pointer hits examined */
  uint64_t rejected;        /* candidates that failed a validator */
  uint64_t rejected_by[CRV_MAX_REASONS]; /* per validator reason (crv_reason_name) */
  uint64_t over_cap;        /* candidates rejected only for exceeding --max-len */
  uint64_t clobbered;       /* objects recovered with a header clobbered by free() */
  uint64_t bytes_scanned;
  uint64_t regions;
  uint64_t holes;           /* regions or parts of regions that could not be read */
  double elapsed_seconds;
  int interrupted;          /* 1 when a signal stopped the scan early */
} crv_summary;

#endif
