/* SPDX-License-Identifier: MIT */
/* WKdm: the Wilson-Kaplan direct-mapped page compressor (1997), in the two layouts found in
 * the wild, plus the other ways the macOS (xnu) compressor stores a 4 KiB page.
 *
 * A page is 1024 little-endian 32-bit words. Each word is classified against a 16-word
 * dictionary; the dictionary slot of a word is HASH[(word >> 10) & 0xFF], a fixed table of
 * 256 slot numbers in 0..15 (only index 0 maps to slot 0; xnu keeps the same table as byte
 * offsets, i.e. times 4):
 *   tag 0 ZERO     the word is 0                              (nothing else stored)
 *   tag 3 EXACT    the word equals its dictionary slot        (4-bit slot number)
 *   tag 1 PARTIAL  bits 10-31 equal those of the slot's word  (slot number + low 10 bits)
 *   tag 2 MISS     anything else                              (the whole word)
 * PARTIAL and MISS store the word into its slot; ZERO and EXACT leave the dictionary alone.
 * Every slot starts as 1 in the classic layout and as 0 in xnu's (a PARTIAL against an
 * untouched slot decodes the same either way; only a classic EXACT of the word 1 needs 1).
 *
 * Dense layout, all offsets in 32-bit words from the start of the blob, H = header words:
 *   header    classic (H = 4, 16 bytes): [0] unused (written 0), [1] qpos start,
 *                                        [2] low-bits start, [3] low-bits end
 *             xnu WKdm_new (H = 3, 12 bytes): [0] qpos start, [1] low-bits start,
 *                                        [2] low-bits end
 *   tags      words H .. H+63: 1024 2-bit tags, 16 per word; in each group of 16 tags
 *             t0..t15 packed into 4 bytes, byte j (0..3) = t[j] | t[j+4] << 2 |
 *             t[j+8] << 4 | t[j+12] << 6
 *   full      words H+64 .. qpos start - 1: the MISS words in page order
 *   qpos      qpos start .. low-bits start - 1: the 4-bit slot numbers of EXACT and
 *             PARTIAL words in page order, 8 per word: in each group q0..q7, byte j (0..3)
 *             = q[j] | q[j+4] << 4; the last group is padded with zeros
 *   low bits  low-bits start .. low-bits end - 1: the low 10 bits of PARTIAL words, 3 per
 *             word: l0 | l1 << 10 | l2 << 20 (bits 30-31 zero; the last word zero-padded)
 *   The blob ends at the low-bits end: its size is 4 * low-bits end. Worst case (1023 MISS
 *   words and one PARTIAL): 16 + 256 + 4092 + 4 + 4 = 4372 bytes.
 *
 * xnu's sparse ("mostly zero") layout: word 0 is 17185 (0x4321), then one 6-byte record per
 * non-zero page word in page order: the word (4 bytes) and its byte offset in the page (2
 * bytes). Size 4 + 6n; xnu chooses it when it is no larger than the dense blob.
 *
 * xnu compressor slots (what Rekall-style segmentN/slotM.dmp files hold) are one of: a WKdm
 * blob (dense xnu or sparse), 4 bytes (a page filled with one 32-bit value), or 4096 bytes
 * (a page xnu could not compress, stored as is).
 *
 * The decompressor trusts nothing: every header offset is checked against the blob size,
 * the section sizes must be exactly what the tags call for, padding must be zero, and bytes
 * after the declared end are rejected. It never reads or writes outside either buffer. */
#ifndef CARVER_WKDM_H
#define CARVER_WKDM_H
#include <stddef.h>
#include <stdint.h>

#define CRV_WKDM_PAGE 4096u
#define CRV_WKDM_WORDS 1024u
/* The largest dense blob (classic header, 1023 MISS words and one PARTIAL, whose slot number
 * and low bits take a word each); compress needs this much room. */
#define CRV_WKDM_MAX_BLOB (16u + 256u + 4096u + 4u)
/* The first word of xnu's sparse encoding. */
#define CRV_WKDM_SPARSE_MAGIC 17185u

enum crv_wkdm_variant {
  CRV_WKDM_AUTO = 0,    /* decompress: tell from the blob */
  CRV_WKDM_CLASSIC = 1, /* 16-byte header (Wilson-Kaplan WKdm.c, Rekall WKdm_decompress) */
  CRV_WKDM_APPLE = 2,   /* 12-byte header (xnu WKdm_new), or xnu's sparse encoding */
};

/* What a blob turned out to be. */
enum crv_wkdm_kind {
  CRV_WKDM_KIND_NONE = 0,
  CRV_WKDM_KIND_CLASSIC = 1, /* dense, 16-byte header */
  CRV_WKDM_KIND_APPLE = 2,   /* dense, 12-byte header */
  CRV_WKDM_KIND_SPARSE = 3,  /* xnu mostly-zero records */
  CRV_WKDM_KIND_SINGLE = 4,  /* 4-byte xnu slot: one value repeated */
  CRV_WKDM_KIND_RAW = 5,     /* 4096-byte xnu slot: the page as is */
  CRV_WKDM_KIND_COUNT
};

/* Decompression results: 0 or why the blob was refused. Never renumber. */
enum crv_wkdm_status {
  CRV_WKDM_OK = 0,
  CRV_WKDM_E_SIZE = 1,     /* size impossible for the format */
  CRV_WKDM_E_HEADER = 2,   /* section offsets out of order or past the end of the blob */
  CRV_WKDM_E_TRAILING = 3, /* bytes after the end the header declares */
  CRV_WKDM_E_COUNTS = 4,   /* a section's size disagrees with the tags */
  CRV_WKDM_E_PADDING = 5,  /* non-zero padding bits */
  CRV_WKDM_E_SPARSE = 6,   /* sparse record: offset out of the page, unaligned or out of
                              order, or a zero word */
  CRV_WKDM_E_COUNT
};

/* Compression flags. */
#define CRV_WKDM_F_SPARSE 1u /* APPLE: the sparse encoding when no larger (as xnu does),
                                except for an all-zero page */

/* Compresses one page (4096 bytes) into out (CRV_WKDM_MAX_BLOB bytes); variant CLASSIC or
 * APPLE. Returns the blob's size, 0 for an unknown variant. */
size_t crvi_wkdm_compress(const uint8_t *page, uint8_t *out, int variant, unsigned flags);

/* Decompresses a WKdm blob of len bytes into page (4096 bytes). variant AUTO tells the
 * layout from the blob; *kind (may be NULL) receives what it was. On error page holds
 * garbage and *kind is NONE. Returns an enum crv_wkdm_status. */
int crvi_wkdm_decompress(const uint8_t *blob, size_t len, uint8_t *page, int variant, int *kind);

/* Decodes an xnu compressor slot: 4 bytes (single value), 4096 bytes that are no valid
 * WKdm blob (stored page), or a WKdm blob as crvi_wkdm_decompress. */
int crvi_wkdm_decode_slot(const uint8_t *blob, size_t len, uint8_t *page, int variant, int *kind);

const char *crvi_wkdm_strerror(int status);
const char *crvi_wkdm_kind_name(int kind);
#endif
