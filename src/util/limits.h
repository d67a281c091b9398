/* SPDX-License-Identifier: MIT */
/* Every cap carver applies to untrusted input, in one place, each with its reason. */
#ifndef CARVER_LIMITS_H
#define CARVER_LIMITS_H

/* Default cap on an object's value in bytes (length * kind). Larger candidates are not
 * reported; the summary counts them (over_cap) so the user can raise --max-len. */
#define CRV_DEFAULT_MAX_VALUE (16u << 20)
/* Hard ceiling for --max-len: the value buffer is allocated up to this size. */
#define CRV_MAX_VALUE_CEILING (256u << 20)
/* Read granularity of the scanner; tests shrink it to exercise chunk boundaries. */
#define CRV_DEFAULT_CHUNK (4u << 20)
#define CRV_MIN_CHUNK 64u
/* Header bytes kept before a chunk so that an object whose type word opens a chunk
 * still sees its refcount (the largest header offset of ob_type is 24). */
#define CRV_CHUNK_LOOKBEHIND 64u
/* Bytes read past a chunk end in the same read, so most objects validate in place. */
#define CRV_CHUNK_LOOKAHEAD 4096u
/* Number of dump files / regions accepted in one address space. */
#define CRV_MAX_REGIONS 65536u
/* Longest line accepted in a /proc/PID/maps copy, and longest path kept from it. */
#define CRV_MAX_MAPS_LINE 8192u
/* Largest maps file read (a real one is well under 1 MiB even for huge processes). */
#define CRV_MAX_MAPS_FILE (64u << 20)
/* Longest tp_name read when checking a type object. */
#define CRV_MAX_TP_NAME 32u
/* Size of the neighbourhood around the interpreter's type objects searched for the
 * version text and the _Py_DebugOffsets cookie. */
#define CRV_MAX_IMAGE_SEARCH (64u << 20)
/* Regions larger than this are searched for PyType_Type only if smaller ones had none
 * (static type objects live in the interpreter image's small data mapping). */
#define CRV_TYPE_SEARCH_SMALL_REGION (64ull << 20)
/* Self-referential type-object candidates kept while searching for PyType_Type. */
#define CRV_MAX_TYPE_CANDIDATES 4096u
#endif
