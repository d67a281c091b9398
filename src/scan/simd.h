/* SPDX-License-Identifier: MIT */
/* The two loops that touch every word of a dump, as a portable version and, on x86-64, an
 * AVX2 version chosen at run time (CARVER_NO_SIMD=1 in the environment forces the portable
 * one, for tests; util/cpu.h). Both versions return the same offsets. */
#ifndef CARVER_SCAN_SIMD_H
#define CARVER_SCAN_SIMD_H
#include <stddef.h>
#include <stdint.h>

/* The first 64-byte block b[o, o + 64), stepping o by 64, holding a word equal to t1 or t2
 * (words of the width the function was chosen for, starting at o), or the first o whose
 * block would end past end. */
typedef size_t (*crvi_skip_words_fn)(const uint8_t *b, size_t o, size_t end, uint64_t t1,
                                     uint64_t t2);
crvi_skip_words_fn crvi_skip_words_for(unsigned ptr_size);

/* Free malloc memory, 16 bytes per possible chunk: the first k' in k, k + 16, ... (at most
 * stop) where the chunk at b + k' may have a plausible size word (at b + k' + w: not
 * mmapped, 16-aligned, at least 4 * w and at most room - k'); k' may be a block of up to
 * four positions early (check each); a value > stop - 48 means "check the rest one by one".
 * b[k .. stop + 2w) must be readable. */
typedef size_t (*crvi_skip_sizes_fn)(const uint8_t *b, size_t k, size_t stop, uint64_t room);
/* NULL for 4-byte pointers (no vector version): check every position. */
crvi_skip_sizes_fn crvi_skip_sizes_for(unsigned ptr_size);
#endif
