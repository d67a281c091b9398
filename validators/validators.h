/* SPDX-License-Identifier: MIT */
/* Validators: small pure functions over bytes already read, each failing with a reason.
 * Header validators decide where an object's data is; data validators check the data.
 * Nothing here does I/O; every offset comes from the layout table. */
#ifndef CARVER_VALIDATORS_H
#define CARVER_VALIDATORS_H
#include <stdint.h>
#include <stddef.h>
#include "../layouts/layout.h"

enum crv_reason {
  CRV_VALID = 0,
  CRV_R_SHORT,          /* fewer header bytes readable than the layout needs */
  CRV_R_LENGTH,         /* negative length */
  CRV_R_OVER_CAP,       /* value larger than the configured cap */
  CRV_R_INTERNED,       /* interned state out of range */
  CRV_R_KIND,           /* kind not 1, 2 or 4 */
  CRV_R_NOT_READY,      /* 3.3-3.11 object without the ready bit */
  CRV_R_ASCII_KIND,     /* ascii flag with kind != 1 */
  CRV_R_WSTR,           /* wstr / wstr_length inconsistent */
  CRV_R_UTF8,           /* utf8 / utf8_length inconsistent */
  CRV_R_DATA_PTR,       /* separate data buffer pointer NULL or misaligned */
  CRV_R_NUL,            /* no NUL terminator after the value */
  CRV_R_NOT_CANONICAL,  /* characters do not fit / do not need the kind */
  CRV_R_CODEPOINT,      /* code unit above U+10FFFF */
  CRV_R_HASH,           /* cached hash differs from the recomputed one */
  CRV_R_SSTATE,         /* 2.7 str ob_sstate out of range */
  CRV_R_DATA_SHORT,     /* the value's bytes could not be read (hole) */
  CRV_R_HASH_ZERO,      /* cached hash 0 on a non-empty value (odds 2^-64 for a real one) */
  CRV_R_STATIC_FREED,   /* an object inside the interpreter image that is not live */
  CRV_R_CHUNK_SIZE,     /* clobbered object: its size does not give its malloc chunk's */
  CRV_R_HASH_POINTER,   /* cached "hash" equals a type pointer: a misread header */
  CRV_R_COUNT
};

/* Reason names: crv_reason_name() in carver/object.h. */

/* What a header validator learned about a candidate object. */
struct crv_obj_info {
  uint64_t length;    /* in units */
  unsigned unit;      /* bytes per unit: PEP 393 kind, Py_UNICODE size, or 1 */
  int ascii;          /* -1 when not applicable */
  int interned;       /* -1 when not applicable */
  int compact;        /* PEP 393 only */
  int64_t hash;       /* sign-extended */
  uint64_t data_addr; /* where the value's first unit is */
  uint64_t data_bytes; /* length * unit, excluding the terminating NUL unit */
};

/* h: bytes read at the object's address; avail: how many. max_value caps data_bytes. */
int crvi_check_pep393_header(const struct crv_layout *l, const uint8_t *h, size_t avail,
                             uint64_t obj, uint64_t max_value, struct crv_obj_info *out);
int crvi_check_ubuf_header(const struct crv_layout *l, const uint8_t *h, size_t avail,
                           uint64_t obj, uint64_t max_value, struct crv_obj_info *out);
int crvi_check_bytes_header(const struct crv_layout *l, const uint8_t *h, size_t avail,
                            uint64_t obj, uint64_t max_value, struct crv_obj_info *out);

/* d: data_bytes + unit bytes (the value and its NUL unit). pep393 selects the canonical
 * kind rules; otherwise units only need to be valid code points (text) or anything. */
int crvi_check_nul(const struct crv_obj_info *info, const uint8_t *d);
/* A cached hash is -1 (not computed) or the hash of the value: 0 only for empty values,
 * and never one of the type pointers (odds 2^-64, 2^-32 on 32-bit builds). */
int crvi_check_hash_plausible(const struct crv_obj_info *info, uint64_t type1, uint64_t type2);
int crvi_check_pep393_data(const struct crv_obj_info *info, const uint8_t *d);
int crvi_check_ubuf_data(const struct crv_obj_info *info, const uint8_t *d);

/* Clobbered headers (glibc-freed values over 512 bytes, §6.3). u: the chunk's user area
 * (avail bytes) at user_addr; cs: the chunk size from its size word, or 0 when it is
 * unknown (a merged free chunk; then CRV_R_CHUNK_SIZE is not checked). On success out
 * describes the object (data inside u) and *proof says what proved it. The caller still
 * checks a surviving hash (proof CRV_PROOF_HASH) against the key. */
enum crv_proof {
  CRV_PROOF_NONE = 0,
  CRV_PROOF_HASH,            /* length and hash survived; the hash matches the value */
  CRV_PROOF_STATE_NUL_SIZE,  /* state byte, first NUL and chunk size agree */
  CRV_PROOF_LENGTH_NUL_SIZE, /* surviving length, its NUL and the chunk size agree */
  CRV_PROOF_NUL_SIZE,        /* zeroed header: first NUL and chunk size agree */
  CRV_PROOF_STATE_NUL,       /* state byte and first NUL agree; the chunk was merged away */
  CRV_PROOF_COUNT
};
const char *crvi_proof_name(int proof);
int crvi_check_clobbered(const struct crv_layout *l, int is_text, const uint8_t *u, size_t avail,
                         uint64_t user_addr, uint64_t cs, uint64_t max_value,
                         struct crv_obj_info *out, int *proof);
/* glibc chunk size for a request (x86-64 and i386: 16-byte alignment, SIZE_SZ = ptr_size). */
uint64_t crvi_malloc_chunk_for(unsigned ptr_size, uint64_t request);
/* Could a request of this size have been given a chunk of size cs? */
int crvi_malloc_chunk_fits(unsigned ptr_size, uint64_t request, uint64_t cs);
/* A plausible chunk size word: aligned, at least MINSIZE, not mmapped. */
int crvi_malloc_size_valid(unsigned ptr_size, uint64_t size_word);

/* Type objects (§7). */
struct crv_typeobj_info {
  uint64_t ob_type, tp_name, tp_basicsize, tp_itemsize, tp_flags;
};
/* Reads the type-object fields of header variant h from t[0..avail). */
int crvi_read_type_object(const struct crv_header_layout *h, const uint8_t *t, size_t avail,
                          struct crv_typeobj_info *out);

/* Live or freed, from word 0 (and the free-threaded refcount fields). is_pointer tells
 * whether a value is an address inside the dumped memory. Returns enum crv_status. */
int crvi_classify_status(const struct crv_layout *l, const uint8_t *h, size_t avail,
                         int (*is_pointer)(void *user, uint64_t value), void *user,
                         uint64_t *refcnt_out);
#endif
