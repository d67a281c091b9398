/* SPDX-License-Identifier: MIT */
/* CPython object layouts as data: one table entry per CPython version and architecture.
 * Facts and their evidence: shared/reference/cpython-layouts.md (sections cited below).
 * No code here branches on a version number; scanners and validators read these fields. */
#ifndef CARVER_LAYOUT_H
#define CARVER_LAYOUT_H
#include <stdint.h>
#include <stddef.h>
#include "hash/pyhash.h"

#define CRV_NO_FIELD 0xFFFFu /* an absent field offset */
#define CRV_NO_BIT 0xFFu     /* an absent state bit */

/* PyObject header and the PyTypeObject fields used to recognise type objects (§1, §7.1). */
struct crv_header_layout {
  const char *name; /* "gil-lp64", "gil-ilp32", "ft-lp64", ... */
  uint8_t ptr_size;
  uint8_t off_refcnt;  /* the word that tells live from freed */
  uint8_t off_type;    /* ob_type */
  uint8_t off_size;    /* ob_size, first field after the header */
  uint8_t free_threaded;
  uint16_t tp_name, tp_basicsize, tp_itemsize, tp_flags;
};

/* PEP 393 str (§4). The state word is read as 32 bits; only the bits named here are
 * defined (bits 8-31 of GIL builds are uninitialised garbage). */
struct crv_pep393_layout {
  uint16_t off_length, off_hash, off_state;
  uint16_t off_wstr, off_wstr_length; /* CRV_NO_FIELD from 3.12 */
  uint16_t off_utf8_length, off_utf8;
  uint16_t ascii_data;   /* sizeof(PyASCIIObject): data of compact ASCII strings */
  uint16_t compact_data; /* sizeof(PyCompactUnicodeObject): data of other compact strings */
  uint16_t off_data_any; /* data pointer of non-compact (legacy / subclass) strings */
  uint16_t basicsize;    /* str.__basicsize__ */
  uint8_t interned_shift, interned_mask, kind_shift, compact_bit, ascii_bit;
  uint8_t ready_bit;  /* must be set (3.3-3.11), CRV_NO_BIT otherwise */
  uint8_t static_bit; /* statically_allocated (3.12+), CRV_NO_BIT otherwise */
};

/* 2.7 unicode and 3.0-3.2 str: header plus a separate buffer of Py_UNICODE units (§2.2, §2.3). */
struct crv_ubuf_layout {
  uint16_t off_length, off_str, off_hash, off_defenc;
  uint16_t off_state; /* 3.0-3.2 interned state (int); CRV_NO_FIELD in 2.7 */
  uint16_t basicsize;
  uint8_t unit; /* sizeof(Py_UNICODE): 4 on Linux builds */
};

/* 3.x bytes and 2.7 str: one allocation, NUL-terminated (§2.1, §3). */
struct crv_bytes_layout {
  uint16_t off_size, off_hash, off_sval;
  uint16_t off_sstate; /* 2.7 str interned state (int, 0..2); CRV_NO_FIELD for bytes */
  uint16_t basicsize;
};

/* How a live object's refcount word looks when the object is immortal (§1.2). */
enum crv_immortal {
  CRV_IMMORTAL_NONE = 0,  /* <= 3.11: plain counts */
  CRV_IMMORTAL_LOW32 = 1, /* 3.12-3.13: saturated low 32 bits (0xFFFFFFFF LP64, 0x3FFFFFFF ILP32) */
  CRV_IMMORTAL_FLAGS = 2, /* 3.14+: 3<<30 with ob_flags (LP64); 5<<28 / 7<<28 (ILP32) */
  CRV_IMMORTAL_FT = 3,    /* free-threaded: ob_ref_local == 0xFFFFFFFF */
};

struct crv_layout {
  const char *id;      /* "cpython-3.11-x86_64" */
  const char *python;  /* "3.11" */
  const char *arch;    /* "x86_64" or "i386" */
  uint16_t version;    /* 0x030b: major << 8 | minor */
  const struct crv_header_layout *hdr;
  const char *str_name;   /* tp_name of the text type: "str" (3.x) or "unicode" (2.7) */
  const char *bytes_name; /* tp_name of the bytes type: "bytes" (3.x) or "str" (2.7) */
  const struct crv_pep393_layout *pep393; /* text type when PEP 393, else NULL */
  const struct crv_ubuf_layout *ubuf;     /* text type when buffered, else NULL */
  const struct crv_bytes_layout *bytes;
  int bytes_is_str27;     /* the bytes type is 2.7's str */
  enum crv_hash_algo hash;
  uint8_t interned_max;   /* 2 up to 3.11, 3 from 3.12 */
  uint8_t immortal;       /* enum crv_immortal */
  uint8_t family;         /* layouts with the same family share every offset */
  const char *family_name; /* "3.3-3.11", reported when only the family is known */
};

/* Subclass flag bits of tp_flags (§7.2). */
#define CRV_TPFLAGS_BYTES_SUBCLASS (1ull << 27) /* 2.7: Py_TPFLAGS_STRING_SUBCLASS */
#define CRV_TPFLAGS_UNICODE_SUBCLASS (1ull << 28)
#define CRV_TPFLAGS_TYPE_SUBCLASS (1ull << 31)

size_t crvi_layout_count(void);
const struct crv_layout *crvi_layout_at(size_t i);
/* By version name as in the table ("3.11", "3.13t"), pointer size and header kind.
 * NULL if none. */
const struct crv_layout *crvi_layout_find(const char *python, unsigned ptr_size, int free_threaded);
/* Every distinct header variant, for type-object discovery. */
size_t crvi_header_count(void);
const struct crv_header_layout *crvi_header_at(size_t i);
/* Largest header byte count any validator reads for the text/bytes object of layout l. */
size_t crvi_layout_text_header_len(const struct crv_layout *l);
size_t crvi_layout_bytes_header_len(const struct crv_layout *l);
/* Does some layout with header h have a text (text = 1) or bytes type object of this
 * tp_basicsize and tp_itemsize? 0 none, 1 a 3.x layout, 2 a 2.7 layout. */
int crvi_layout_basicsize_family(const struct crv_header_layout *h, int text, uint64_t basicsize,
                                 uint64_t itemsize);
#endif
