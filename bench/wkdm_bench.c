/* SPDX-License-Identifier: MIT */
/* WKdm codec benchmark (bench/wkdm.sh builds and runs it): every whole 4 KiB page of the
 * given dump files, compressed and decompressed on one core, timed against memcpy of the
 * same pages in the same run. Output goes to a buffer as large as the input, as when a
 * compressed-memory tree is unpacked for carving. Checks every round trip. Each step is
 * timed twice over: wall clock, and the thread's CPU time (what one core delivers even
 * when other jobs share the machine); MB/s figures are 10^6 bytes of pages per second.
 *
 * Usage: wkdm_bench [--reps N] [--min-mb M] FILE...
 *   --reps N    timed runs of each step; the median is reported (default 5)
 *   --min-mb M  repeat the page set until at least M MB are processed per run (default 256)
 * Exit status: 0 when every page round-tripped, 1 when one did not, 2 on usage/IO errors. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, CLOCK_THREAD_CPUTIME_ID */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "wkdm/wkdm.h"

static double clk(clockid_t id)
{
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One timed run: wall and CPU seconds. */
struct tm2 {
  double w0, c0;
};
static void t_start(struct tm2 *t)
{
  t->w0 = clk(CLOCK_MONOTONIC);
  t->c0 = clk(CLOCK_THREAD_CPUTIME_ID);
}
static void t_stop(const struct tm2 *t, double *wall, double *cpu)
{
  *cpu = clk(CLOCK_THREAD_CPUTIME_ID) - t->c0;
  *wall = clk(CLOCK_MONOTONIC) - t->w0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Keeps the optimiser from dropping work whose result is unused. */
static volatile uint64_t sink;

int main(int argc, char **argv)
{
  int reps = 5;
  double min_mb = 256;
  int first = 1;
  while (first < argc && argv[first][0] == '-') {
    if (strcmp(argv[first], "--reps") == 0 && first + 1 < argc) {
      reps = atoi(argv[first + 1]);
      first += 2;
    } else if (strcmp(argv[first], "--min-mb") == 0 && first + 1 < argc) {
      min_mb = atof(argv[first + 1]);
      first += 2;
    } else {
      fprintf(stderr, "usage: wkdm_bench [--reps N] [--min-mb M] FILE...\n");
      return 2;
    }
  }
  if (first >= argc || reps < 1 || reps > 101) {
    fprintf(stderr, "usage: wkdm_bench [--reps N] [--min-mb M] FILE...\n");
    return 2;
  }
  /* Load every whole page. */
  size_t cap = 1 << 14, n = 0;
  uint8_t *pages = malloc(cap * CRV_WKDM_PAGE);
  if (!pages)
    return 2;
  for (int i = first; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      perror(argv[i]);
      return 2;
    }
    for (;;) {
      if (n == cap) {
        uint8_t *p = realloc(pages, 2 * cap * CRV_WKDM_PAGE);
        if (!p)
          return 2;
        pages = p;
        cap *= 2;
      }
      if (fread(pages + n * CRV_WKDM_PAGE, 1, CRV_WKDM_PAGE, f) != CRV_WKDM_PAGE)
        break;
      n++;
    }
    fclose(f);
  }
  if (n == 0) {
    fprintf(stderr, "wkdm_bench: no whole page in the input\n");
    return 2;
  }
  size_t zero = 0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = pages + i * CRV_WKDM_PAGE;
    size_t k = 0;
    while (k < CRV_WKDM_PAGE && p[k] == 0)
      k++;
    zero += k == CRV_WKDM_PAGE;
  }
  /* Repeat the set so that each timed run is long enough to measure. */
  size_t per_run = n;
  while ((double)per_run * CRV_WKDM_PAGE < min_mb * 1e6)
    per_run += n;
  const double mb = (double)per_run * CRV_WKDM_PAGE / 1e6;

  const struct { const char *name; int variant; unsigned flags; } v[3] = {
      {"classic", CRV_WKDM_CLASSIC, 0},
      {"apple", CRV_WKDM_APPLE, 0},
      {"apple+sparse", CRV_WKDM_APPLE, CRV_WKDM_F_SPARSE},
  };
  uint8_t *blobs = malloc(n * CRV_WKDM_MAX_BLOB);
  size_t *len = malloc(n * sizeof *len);
  uint8_t *out = malloc(n * CRV_WKDM_PAGE);
  double *t = malloc((size_t)reps * sizeof *t), *tc = malloc((size_t)reps * sizeof *tc);
  struct tm2 tm;
  if (!blobs || !len || !out || !t || !tc)
    return 2;
  memset(out, 0, n * CRV_WKDM_PAGE); /* fault the output in before timing */

  printf("pages: %zu (%.1f MB), %zu all-zero; %zu page-operations (%.1f MB) per timed run, "
         "median of %d runs\n", n, (double)n * CRV_WKDM_PAGE / 1e6, zero, per_run, mb, reps);

  /* memcpy baseline: the same pages, the same destination. */
  for (int r = 0; r < reps; r++) {
    t_start(&tm);
    for (size_t k = 0; k < per_run; k++) {
      size_t i = k % n;
      memcpy(out + i * CRV_WKDM_PAGE, pages + i * CRV_WKDM_PAGE, CRV_WKDM_PAGE);
    }
    t_stop(&tm, &t[r], &tc[r]);
    sink += out[(size_t)r % n * CRV_WKDM_PAGE];
  }
  const double t_memcpy = median(t, reps), c_memcpy = median(tc, reps);
  printf("%-24s %9s %9s   %s\n", "", "wall", "CPU", "CPU time / memcpy CPU time");
  printf("%-24s %9.1f %9.1f MB/s\n", "memcpy", mb / t_memcpy, mb / c_memcpy);

  int bad = 0;
  for (int vi = 0; vi < 3; vi++) {
    /* compress */
    for (int r = 0; r < reps; r++) {
      t_start(&tm);
      for (size_t k = 0; k < per_run; k++) {
        size_t i = k % n;
        len[i] = crvi_wkdm_compress(pages + i * CRV_WKDM_PAGE, blobs + i * CRV_WKDM_MAX_BLOB,
                                    v[vi].variant, v[vi].flags);
      }
      t_stop(&tm, &t[r], &tc[r]);
    }
    const double t_c = median(t, reps), c_c = median(tc, reps);
    uint64_t total = 0;
    size_t n_sparse = 0;
    for (size_t i = 0; i < n; i++) {
      total += len[i];
      n_sparse += len[i] >= 4 && memcmp(blobs + i * CRV_WKDM_MAX_BLOB, "\x21\x43\0\0", 4) == 0;
    }
    /* decompress */
    int bad_status = 0;
    for (int r = 0; r < reps; r++) {
      t_start(&tm);
      for (size_t k = 0; k < per_run; k++) {
        size_t i = k % n;
        bad_status |= crvi_wkdm_decompress(blobs + i * CRV_WKDM_MAX_BLOB, len[i],
                                           out + i * CRV_WKDM_PAGE, v[vi].variant, NULL);
      }
      t_stop(&tm, &t[r], &tc[r]);
    }
    const double t_d = median(t, reps), c_d = median(tc, reps);
    size_t mism = 0;
    for (size_t i = 0; i < n; i++)
      mism += memcmp(out + i * CRV_WKDM_PAGE, pages + i * CRV_WKDM_PAGE, CRV_WKDM_PAGE) != 0;
    if (mism || bad_status)
      bad = 1;
    char name[64];
    snprintf(name, sizeof name, "compress %s", v[vi].name);
    printf("%-24s %9.1f %9.1f MB/s  %.2fx\n", name, mb / t_c, mb / c_c, c_c / c_memcpy);
    snprintf(name, sizeof name, "decompress %s", v[vi].name);
    printf("%-24s %9.1f %9.1f MB/s  %.2fx\n", name, mb / t_d, mb / c_d, c_d / c_memcpy);
    printf("  %s: compressed %.1f%% of the input (%.1f bytes per page, ratio %.2f:1)%s; "
           "round trip: %s\n", v[vi].name, 100.0 * (double)total / ((double)n * CRV_WKDM_PAGE),
           (double)total / (double)n, (double)n * CRV_WKDM_PAGE / (double)total,
           n_sparse ? "" : "", mism || bad_status ? "MISMATCH" : "all pages identical");
    if (n_sparse)
      printf("  %s: %zu pages used the sparse encoding\n", v[vi].name, n_sparse);
  }
  free(pages);
  free(blobs);
  free(len);
  free(out);
  free(t);
  free(tc);
  return bad;
}
