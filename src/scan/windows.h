/* SPDX-License-Identifier: MIT */
/* The windows the carving pass reads, in address order: each region's bytes in chunks,
 * with a look-behind for object headers and a look-ahead for their values, together with
 * the pointer-aligned words of the chunk that equal one of the two type pointers.
 * With threads = 2, a reader thread reads the next window and finds its type words while
 * the caller validates the current one (dump files, cores, memory buffers and live
 * processes, each read through the reader's own descriptors or read state). Either way the
 * windows are the same (for a live process, as far as its memory stays the same). */
#ifndef CARVER_SCAN_WINDOWS_H
#define CARVER_SCAN_WINDOWS_H
#include "carver/error.h"
#include "source/space.h"
#include <stddef.h>
#include <stdint.h>

struct crv_window {
  size_t region;  /* index in the space */
  uint64_t base;  /* address of buf[0]: the chunk's start minus lb */
  size_t lb;      /* look-behind bytes before the chunk */
  size_t body;    /* bytes of the chunk (after a short read: those that were read) */
  size_t len;     /* bytes in buf: lb + body + look-ahead */
  int short_read; /* fewer than lb + body bytes could be read: a hole; the region's last */
  int region_end; /* the last window of its region */
  const uint8_t *buf;
  const uint64_t *hits; /* window offset << 1 | 1 for the text type, in address order */
  size_t n_hits;
  const void *judged; /* verdicts of hits[0 .. n_judged), from cfg->judge on the reader */
  size_t n_judged;
};

struct crv_windows;

struct crv_windows_cfg {
  struct crv_space *space;
  size_t chunk;      /* bytes per window body, a multiple of 8 */
  unsigned ptr_size; /* 4 or 8 */
  uint64_t text_type, bytes_type;
  int threads; /* 2: read ahead on a second thread; otherwise one thread */
  /* Optional, reader thread only: fill out[0 .. n) (verdict_size bytes each) for hits
   * first .. first + n - 1 of w. Must only read w and what judge_user points to. The reader
   * judges a window's hits in batches and stops early when the caller is waiting for that
   * window (the caller then judges the rest), so that the work splits by who has time. */
  void (*judge)(const void *judge_user, const struct crv_window *w, void *out, size_t first,
                size_t n);
  const void *judge_user;
  size_t verdict_size;
};

crv_err crvi_windows_open(struct crv_windows **out, const struct crv_windows_cfg *cfg);
/* The next window, or NULL after the last one or on failure (*err: CRV_OK at the end,
 * else CRV_ERR_NOMEM). The window stays valid until the next call or close. Regions
 * with no bytes present have no windows. */
const struct crv_window *crvi_windows_next(struct crv_windows *ws, crv_err *err);
/* 1 when a reader thread is running. */
int crvi_windows_threaded(const struct crv_windows *ws);
void crvi_windows_close(struct crv_windows *ws);
#endif
