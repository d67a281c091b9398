/* SPDX-License-Identifier: MIT */
/* Windows of memory for the carving pass, read on the caller's thread or ahead of it on a
 * reader thread: a ring of slots, the reader filling the next free ones while the caller
 * uses the oldest. Small chunks get more slots, so that the two threads seldom wait for
 * each other; either side wakes the other only when it sleeps. */
#define _GNU_SOURCE /* O_CLOEXEC */
#include "windows.h"
#include "simd.h"
#include "source/pid.h"
#include "util/limits.h"
#include "util/span.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SLOTS 64u
/* Hits the reader judges between looks at whether the caller is waiting for the window. */
#define JUDGE_BATCH 256u

struct slot {
  struct crv_window w;
  uint8_t *buf;
  size_t buf_cap;
  uint64_t *hits;
  size_t hits_cap;
  void *judged;      /* verdicts (threaded mode with cfg.judge) */
  size_t judged_cap; /* in verdicts */
  int ready;         /* filled and not yet released by the caller (threaded mode) */
};

struct crv_windows {
  struct crv_windows_cfg cfg;
  /* the next window to produce (touched only by the producer) */
  size_t region;
  uint64_t off;
  int fd; /* reader thread: its own descriptor for region fd_region's dump file */
  size_t fd_region;
  struct crv_proc_reader *proc; /* reader thread: its reads from a live process */
  crvi_skip_words_fn skip;      /* finds blocks with type words (AVX2 when the CPU has it) */
  struct slot slot[MAX_SLOTS];
  size_t n_slots;
  /* threaded mode */
  int threaded;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int quit, done;
  int reader_sleeps, caller_sleeps;
  atomic_int caller_waiting; /* caller_sleeps, for the reader to read without the lock */
  crv_err err;
  size_t consumed;  /* windows handed to the caller */
  size_t judge_max; /* verdicts per slot at most (CRV_JUDGE_AHEAD_BYTES over the ring) */
  int holding;      /* the caller holds slot (consumed - 1) % n_slots */
};

static int push_hit(struct slot *sl, size_t *n, uint64_t h)
{
  if (*n == sl->hits_cap) {
    size_t cap = sl->hits_cap ? sl->hits_cap * 2 : 4096;
    uint64_t *p = realloc(sl->hits, cap * sizeof *p);
    if (!p)
      return -1;
    sl->hits = p;
    sl->hits_cap = cap;
  }
  sl->hits[(*n)++] = h;
  return 0;
}

/* Every pointer-aligned word that starts in the body and equals a type pointer. A word that
 * starts in the body belongs to this window even when it ends past the body (a region that
 * starts unaligned has bodies that end mid-word): the look-ahead holds the rest. */
static int find_hits(struct slot *sl, const struct crv_windows_cfg *c, crvi_skip_words_fn skip)
{
  const unsigned w = c->ptr_size;
  const uint64_t t1 = c->text_type, t2 = c->bytes_type;
  const uint8_t *b = sl->buf;
  const size_t to = sl->w.lb + sl->w.body, len = sl->w.len;
  size_t o = sl->w.lb + (size_t)((w - ((sl->w.base + sl->w.lb) & (w - 1))) & (w - 1));
  size_t n = 0;
  for (;;) {
    o = skip(b, o, to, t1, t2);
    /* the 64-byte block skip stopped at, or what is left of the body after the last one */
    const size_t end = o + 64 <= to ? o + 64 : to;
    for (; o < end && o + w <= len; o += w) {
      uint64_t v = span_word(b + o, w);
      if ((v == t1 || v == t2) && push_hit(sl, &n, (uint64_t)o << 1 | (v == t1)))
        return -1;
    }
    if (end == to)
      break;
  }
  sl->w.hits = sl->hits;
  sl->w.n_hits = n;
  return 0;
}

/* The reader thread's read: its own descriptor for dump files, the core's for cores. */
static size_t read_ahead(struct crv_windows *ws, size_t i, uint64_t at, uint8_t *buf, size_t len)
{
  struct crv_space *s = ws->cfg.space;
  const struct crv_region *r = &s->r[i];
  int fd = -1;
  if (r->backing == CRV_BACK_PROC)
    return crvi_proc_reader_read(ws->proc, r, at, buf, len);
  if (r->backing == CRV_BACK_CORE) {
    fd = s->core_fd;
  } else if (r->backing == CRV_BACK_FILE) {
    if (ws->fd < 0 || ws->fd_region != i) {
      if (ws->fd >= 0)
        close(ws->fd);
      ws->fd = open(r->file, O_RDONLY | O_CLOEXEC);
      ws->fd_region = i;
    }
    fd = ws->fd;
  }
  if (fd < 0 && r->backing != CRV_BACK_MEM)
    return 0; /* as crvi_space_read: a file that cannot be opened reads as a hole */
  return crvi_space_read_in(r, fd, at, buf, len);
}

/* Fill sl with the next window. 1: done; 0: no more windows; -1: out of memory. */
static int produce(struct crv_windows *ws, struct slot *sl)
{
  struct crv_space *s = ws->cfg.space;
  const struct crv_region *r;
  uint64_t present;
  for (;; ws->region++, ws->off = 0) {
    if (ws->region >= s->n)
      return 0;
    r = &s->r[ws->region];
    present = r->present < r->end - r->start ? r->present : r->end - r->start;
    if (ws->off < present)
      break;
  }
  const uint64_t off = ws->off, chunk = ws->cfg.chunk;
  const uint64_t lb = off < CRV_CHUNK_LOOKBEHIND ? off : CRV_CHUNK_LOOKBEHIND;
  const uint64_t body = present - off < chunk ? present - off : chunk;
  uint64_t la = present - off - body;
  if (la > CRV_CHUNK_LOOKAHEAD)
    la = CRV_CHUNK_LOOKAHEAD;
  const size_t want = (size_t)(lb + body + la);
  if (sl->buf_cap < want) {
    uint8_t *p = realloc(sl->buf, want);
    if (!p)
      return -1;
    sl->buf = p;
    sl->buf_cap = want;
  }
  const uint64_t at = r->start + off - lb;
  size_t got = ws->threaded ? read_ahead(ws, ws->region, at, sl->buf, want)
                            : crvi_space_read(s, at, sl->buf, want);
  sl->w.region = ws->region;
  sl->w.base = at;
  sl->w.lb = (size_t)lb;
  sl->w.body = (size_t)body;
  sl->w.len = got;
  sl->w.buf = sl->buf;
  sl->w.short_read = got < lb + body;
  if (sl->w.short_read)
    sl->w.body = got > lb ? got - (size_t)lb : 0;
  sl->w.region_end = sl->w.short_read || off + body >= present;
  if (sl->w.region_end) {
    ws->region++;
    ws->off = 0;
  } else {
    ws->off = off + chunk;
  }
  sl->w.hits = NULL;
  sl->w.n_hits = 0;
  sl->w.judged = NULL;
  sl->w.n_judged = 0;
  if (find_hits(sl, &ws->cfg, ws->skip) != 0)
    return -1;
  if (ws->threaded && ws->cfg.judge && sl->w.n_hits) {
    size_t n = sl->w.n_hits < ws->judge_max ? sl->w.n_hits : ws->judge_max;
    if (n > sl->judged_cap) {
      size_t cap = sl->judged_cap ? sl->judged_cap : 256;
      while (cap < n)
        cap *= 2;
      if (cap > ws->judge_max)
        cap = ws->judge_max;
      void *p = realloc(sl->judged, cap * ws->cfg.verdict_size);
      if (!p)
        return 1; /* no verdicts ahead: the caller judges every hit itself */
      sl->judged = p;
      sl->judged_cap = cap;
    }
    size_t done = 0;
    while (done < n) {
      size_t batch = n - done < JUDGE_BATCH ? n - done : JUDGE_BATCH;
      ws->cfg.judge(ws->cfg.judge_user, &sl->w, (char *)sl->judged + done * ws->cfg.verdict_size,
                    done, batch);
      done += batch;
      if (atomic_load_explicit(&ws->caller_waiting, memory_order_relaxed))
        break; /* the caller has nothing else to do: it judges the rest */
    }
    sl->w.judged = sl->judged;
    sl->w.n_judged = done;
  }
  return 1;
}

static void *reader_main(void *arg)
{
  struct crv_windows *ws = arg;
  pthread_mutex_lock(&ws->mu);
  for (size_t k = 0;; k++) {
    struct slot *sl = &ws->slot[k % ws->n_slots];
    while (sl->ready && !ws->quit) {
      ws->reader_sleeps = 1;
      pthread_cond_wait(&ws->cv, &ws->mu);
      ws->reader_sleeps = 0;
    }
    if (ws->quit)
      break;
    pthread_mutex_unlock(&ws->mu);
    int r = produce(ws, sl);
    pthread_mutex_lock(&ws->mu);
    if (r <= 0) {
      ws->err = r < 0 ? CRV_ERR_NOMEM : CRV_OK;
      ws->done = 1;
      pthread_cond_broadcast(&ws->cv);
      break;
    }
    sl->ready = 1;
    if (ws->caller_sleeps)
      pthread_cond_broadcast(&ws->cv);
  }
  pthread_mutex_unlock(&ws->mu);
  return NULL;
}

crv_err crvi_windows_open(struct crv_windows **out, const struct crv_windows_cfg *cfg)
{
  struct crv_windows *ws = calloc(1, sizeof *ws);
  *out = NULL;
  if (!ws)
    return CRV_ERR_NOMEM;
  ws->cfg = *cfg;
  ws->fd = -1;
  atomic_init(&ws->caller_waiting, 0);
  ws->skip = crvi_skip_words_for(cfg->ptr_size);
  ws->n_slots = 1;
  int threads = cfg->threads;
  for (size_t i = 0; i < cfg->space->n && threads > 1 && !ws->proc; i++)
    if (cfg->space->r[i].backing == CRV_BACK_PROC && !(ws->proc = crvi_proc_reader_new(cfg->space)))
      threads = 1; /* no memory for the reader's own state: read on the caller's thread */
  if (threads > 1) {
    /* about CRV_READAHEAD_BYTES of windows in all, and at least two */
    ws->n_slots = CRV_READAHEAD_BYTES / (cfg->chunk ? cfg->chunk : 1);
    ws->n_slots = ws->n_slots < 2 ? 2 : ws->n_slots > MAX_SLOTS ? MAX_SLOTS : ws->n_slots;
    ws->judge_max = cfg->verdict_size ? CRV_JUDGE_AHEAD_BYTES / ws->n_slots / cfg->verdict_size : 0;
  }
  if (threads > 1 && pthread_mutex_init(&ws->mu, NULL) == 0) {
    if (pthread_cond_init(&ws->cv, NULL) == 0) {
      ws->threaded = 1;
      /* Signals (SIGINT, SIGTERM, SIGPIPE ...) go to the caller's thread, which checks
       * the stop flag and owns the output: the reader blocks them. */
      sigset_t async, old;
      sigemptyset(&async);
      static const int sigs[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGPIPE,
                                 SIGALRM, SIGUSR1, SIGUSR2, SIGCHLD};
      for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&async, sigs[i]);
      pthread_sigmask(SIG_BLOCK, &async, &old);
      int rc = pthread_create(&ws->thread, NULL, reader_main, ws);
      pthread_sigmask(SIG_SETMASK, &old, NULL);
      if (rc != 0) {
        ws->threaded = 0; /* no thread: read on the caller's thread */
        ws->n_slots = 1;
        pthread_cond_destroy(&ws->cv);
        pthread_mutex_destroy(&ws->mu);
      }
    } else {
      pthread_mutex_destroy(&ws->mu);
    }
  }
  *out = ws;
  return CRV_OK;
}

const struct crv_window *crvi_windows_next(struct crv_windows *ws, crv_err *err)
{
  *err = CRV_OK;
  if (!ws->threaded) {
    int r = produce(ws, &ws->slot[0]);
    if (r < 0)
      *err = CRV_ERR_NOMEM;
    return r > 0 ? &ws->slot[0].w : NULL;
  }
  pthread_mutex_lock(&ws->mu);
  if (ws->holding) {
    ws->slot[(ws->consumed - 1) % ws->n_slots].ready = 0;
    ws->holding = 0;
    if (ws->reader_sleeps)
      pthread_cond_broadcast(&ws->cv);
  }
  struct slot *sl = &ws->slot[ws->consumed % ws->n_slots];
  while (!sl->ready && !ws->done) {
    ws->caller_sleeps = 1;
    atomic_store_explicit(&ws->caller_waiting, 1, memory_order_relaxed);
    pthread_cond_wait(&ws->cv, &ws->mu);
    ws->caller_sleeps = 0;
    atomic_store_explicit(&ws->caller_waiting, 0, memory_order_relaxed);
  }
  const struct crv_window *w = NULL;
  if (sl->ready) {
    w = &sl->w;
    ws->consumed++;
    ws->holding = 1;
  } else {
    *err = ws->err;
  }
  pthread_mutex_unlock(&ws->mu);
  return w;
}

int crvi_windows_threaded(const struct crv_windows *ws)
{
  return ws->threaded;
}

void crvi_windows_close(struct crv_windows *ws)
{
  if (!ws)
    return;
  if (ws->threaded) {
    pthread_mutex_lock(&ws->mu);
    ws->quit = 1;
    pthread_cond_broadcast(&ws->cv);
    pthread_mutex_unlock(&ws->mu);
    pthread_join(ws->thread, NULL);
    pthread_cond_destroy(&ws->cv);
    pthread_mutex_destroy(&ws->mu);
  }
  crvi_proc_reader_free(ws->cfg.space, ws->proc); /* its hole bytes, whether the process exited */
  if (ws->fd >= 0)
    close(ws->fd);
  for (size_t i = 0; i < MAX_SLOTS; i++) {
    free(ws->slot[i].buf);
    free(ws->slot[i].hits);
    free(ws->slot[i].judged);
  }
  free(ws);
}
