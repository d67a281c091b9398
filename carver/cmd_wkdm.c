/* SPDX-License-Identifier: MIT */
/* carver wkdm: compress and decompress 4 KiB pages with WKdm (classic 16-byte header or
 * xnu's 12-byte header), build and unpack Rekall-style trees of compressed pages
 * (DIR/segmentN/slotM.dmp), and carve str/bytes objects from such trees
 * ("carver wkdm scan", also reached as "carver scan --wkdm"). The format: src/wkdm/wkdm.h. */
#define _GNU_SOURCE /* O_CLOEXEC, strdup */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "carve_session.h"
#include "cli.h"
#include "inputs.h"
#include "source/dumpname.h"
#include "source/interp.h"
#include "util/limits.h"
#include "wkdm/pages.h"
#include "wkdm/wkdm.h"

int cmd_wkdm(int argc, char **argv);
int cmd_wkdm_scan(int argc, char **argv);

/* xnu packs compressed pages into segments of this many bytes (C_SEG_BUFSIZE); the tree
 * writer starts a new segmentN directory when one is full. */
#define SEGMENT_BYTES (256u << 10)

enum {
  OPT_CLASSIC = 256, OPT_APPLE, OPT_NO_SPARSE, OPT_TREE, OPT_NO_ADDRESSES, OPT_SHUFFLE,
  OPT_DUMPS, OPT_WFORCE, OPT_WKDM, OPT_TYPES, OPT_PTR_SIZE, OPT_TRUST_ORDER,
  OPT_WOUTPUT = 'o', OPT_WQUIET = 'q', OPT_WVERBOSE = 'v', OPT_WHELP = 'h',
};

#define VARIANT_OPTS                                                                         \
  {"classic", 0, NULL, "the 16-byte-header layout (Wilson-Kaplan; Rekall WKdm_decompress)",   \
   OPT_CLASSIC},                                                                             \
  {"apple", 0, NULL, "xnu's 12-byte-header layout (WKdm_new), and its sparse encoding",      \
   OPT_APPLE}

static const struct cli_opt compress_opts[] = {
    VARIANT_OPTS,
    {"no-sparse", 0, NULL, "with --apple: never xnu's sparse encoding, always the dense one",
     OPT_NO_SPARSE},
    {"output", 'o', "FILE", "write the blob to FILE ('-': standard output; created mode 0600)",
     OPT_WOUTPUT},
    {"force", 0, NULL, "overwrite an existing FILE", OPT_WFORCE},
    {"tree", 0, "DIR", "compress every page of the dump INPUTs into a new Rekall-style tree\n"
     "                             DIR/segmentN/slotM.dmp, with DIR/" CRV_WKDM_SIDECAR, OPT_TREE},
    {"no-addresses", 0, NULL, "with --tree: no " CRV_WKDM_SIDECAR " (pages lose their address)",
     OPT_NO_ADDRESSES},
    {"shuffle", 0, "SEED", "with --tree: store the pages in a pseudo-random order", OPT_SHUFFLE},
    {"quiet", 'q', NULL, "errors only on stderr", OPT_WQUIET},
    {"verbose", 'v', NULL, "sizes and kinds on stderr", OPT_WVERBOSE},
    {"help", 'h', NULL, "show this help and exit", OPT_WHELP},
};
#define N_COMPRESS_OPTS (sizeof compress_opts / sizeof compress_opts[0])

static const struct cli_opt decompress_opts[] = {
    VARIANT_OPTS,
    {"output", 'o', "FILE", "write the 4096-byte page to FILE ('-': standard output)",
     OPT_WOUTPUT},
    {"force", 0, NULL, "overwrite an existing FILE", OPT_WFORCE},
    {"dumps", 0, "DIR", "decompress every blob of the INPUT trees into a new directory of\n"
     "                             Volatility dump files (task.PID.0xADDR.vma), one per region",
     OPT_DUMPS},
    {"quiet", 'q', NULL, "errors only on stderr", OPT_WQUIET},
    {"verbose", 'v', NULL, "what the blob was, on stderr", OPT_WVERBOSE},
    {"help", 'h', NULL, "show this help and exit", OPT_WHELP},
};
#define N_DECOMPRESS_OPTS (sizeof decompress_opts / sizeof decompress_opts[0])

static const struct cli_opt scan_own_opts[] = {
    VARIANT_OPTS,
    {"wkdm", 0, NULL, "(accepted: the inputs are page blobs, as always here)", OPT_WKDM},
    {"types", 0, "STR,BYTES", "addresses of the str and bytes type objects (with --python),\n"
     "                             when the pages do not show them", OPT_TYPES},
    {"ptr-size", 0, "N", "with --types: 8 (default) or 4 (i386)", OPT_PTR_SIZE},
    {"trust-order", 0, NULL, "blobs without an address were stored in address order: an\n"
     "                             object may continue into the next one", OPT_TRUST_ORDER},
};
#define N_SCAN_OWN (sizeof scan_own_opts / sizeof scan_own_opts[0])

static void wkdm_help(void)
{
  printf("Usage: %s wkdm COMMAND [OPTIONS] ...\n"
         "WKdm page compression, as in macOS compressed memory.\n\n"
         "Commands:\n"
         "  compress PAGE -o BLOB        compress one 4096-byte page (classic layout unless\n"
         "                               --apple)\n"
         "  compress --tree DIR DUMP...  every page of dump files into a Rekall-style tree\n"
         "  decompress BLOB -o PAGE      decompress a blob or an xnu compressor slot (the\n"
         "                               layout is detected unless --classic or --apple)\n"
         "  decompress --dumps DIR TREE...   a tree into Volatility dump files\n"
         "  scan [OPTIONS] TREE...       carve str/bytes objects from page blobs (the same\n"
         "                               as '%s scan --wkdm')\n\n"
         "'%s wkdm COMMAND --help' describes each. Formats: README.md, \"Compressed memory\".\n\n",
         cli_prog, cli_prog, cli_prog);
  cli_print_exit_codes(stdout);
}

static int parse_variant(int c, int *variant)
{
  int v = c == OPT_CLASSIC ? CRV_WKDM_CLASSIC : CRV_WKDM_APPLE;
  if (*variant != CRV_WKDM_AUTO && *variant != v)
    return -1;
  *variant = v;
  return 0;
}

/* ---- files ---------------------------------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n)
{
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Writes n bytes to path (created 0600, never over an existing file unless force). */
static int write_file(const char *path, const void *p, size_t n, int force)
{
  if (strcmp(path, "-") == 0) {
    if (isatty(STDOUT_FILENO) && !force) {
      cli_error("refusing to write binary data to a terminal (use -o FILE or --force)");
      return -1;
    }
    if (write_all(STDOUT_FILENO, p, n) != 0) {
      cli_error("standard output: %s", strerror(errno));
      return -1;
    }
    return 0;
  }
  int fd = cli_open_output_fd(path, force, NULL);
  if (fd < 0)
    return -1;
  int r = write_all(fd, p, n);
  int saved = errno;
  if (close(fd) != 0 && r == 0) {
    r = -1;
    saved = errno;
  }
  if (r != 0)
    cli_error("%s: %s", path, strerror(saved));
  return r;
}

/* Reads at most cap bytes of path; *len = cap + 1 when the file is larger. */
static int read_small(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
  int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  size_t got = 0;
  if (fd < 0) {
    cli_error("%s: %s", path, strerror(errno));
    return -1;
  }
  for (;;) {
    uint8_t extra;
    uint8_t *dst = got < cap ? buf + got : &extra;
    ssize_t r = read(fd, dst, got < cap ? cap - got : 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      cli_error("%s: %s", path, strerror(errno));
      if (fd != STDIN_FILENO)
        close(fd);
      return -1;
    }
    if (r == 0)
      break;
    got += (size_t)r;
    if (got > cap)
      break;
  }
  if (fd != STDIN_FILENO)
    close(fd);
  *len = got;
  return 0;
}

static char *path_join(const char *a, const char *b)
{
  size_t n = strlen(a) + strlen(b) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", a, b);
  return p;
}

static int make_dir(const char *path)
{
  if (mkdir(path, 0700) != 0) {
    cli_error("%s: %s%s", path, strerror(errno),
              errno == EEXIST ? " (the output directory must not exist yet)" : "");
    return -1;
  }
  return 0;
}

static int copy_file(const char *from, const char *to)
{
  FILE *in = fopen(from, "rb");
  if (!in)
    return -1;
  int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), r = 0;
  if (fd < 0) {
    fclose(in);
    return -1;
  }
  char buf[1 << 14];
  size_t n, total = 0;
  while (r == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0) {
    total += n;
    if (total > CRV_MAX_MAPS_FILE || write_all(fd, buf, n) != 0)
      r = -1;
  }
  fclose(in);
  if (close(fd) != 0)
    r = -1;
  return r;
}

/* ---- compress ------------------------------------------------------------------------- */

static uint64_t xorshift(uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

struct tree_page {
  uint64_t addr;
  uint32_t region;
};

/* The xnu slot for a page: 4 bytes for a single-value page, the page itself when the blob
 * would not be smaller (xnu stores such pages uncompressed), else the blob. */
static size_t apple_slot(const uint8_t *page, uint8_t *blob, int sparse)
{
  uint32_t first;
  memcpy(&first, page, 4);
  size_t i = 4;
  while (i < CRV_WKDM_PAGE && memcmp(page + i, &first, 4) == 0)
    i += 4;
  if (i == CRV_WKDM_PAGE) {
    memcpy(blob, &first, 4);
    return 4;
  }
  size_t n = crvi_wkdm_compress(page, blob, CRV_WKDM_APPLE, sparse ? CRV_WKDM_F_SPARSE : 0);
  if (n >= CRV_WKDM_PAGE) {
    memcpy(blob, page, CRV_WKDM_PAGE);
    return CRV_WKDM_PAGE;
  }
  return n;
}

/* The REGION field of the sidecar: the dump file's name (one field: blanks and '#' become
 * '_'), or the region's range when it has no file of its own. */
static const char *region_label(const struct crv_region *r, char *buf, size_t cap)
{
  if (r->backing == CRV_BACK_FILE) {
    const char *slash = strrchr(r->file, '/');
    snprintf(buf, cap, "%s", slash ? slash + 1 : r->file);
    for (char *c = buf; *c; c++)
      if (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n' || *c == '#')
        *c = '_';
  } else {
    snprintf(buf, cap, "0x%llx-0x%llx", (unsigned long long)r->start,
             (unsigned long long)r->end);
  }
  return buf;
}

static int compress_tree(const char *dir, char **inputs, size_t n_inputs, int variant, int sparse,
                         int addresses, int shuffle, uint64_t seed)
{
  struct crv_space s;
  struct cli_inputs in = {.paths = inputs, .n_paths = n_inputs};
  struct tree_page *pages = NULL;
  size_t n = 0, cap = 0;
  int rc = EXIT_FOUND;
  FILE *side = NULL;
  char *side_path = NULL;
  uint8_t page[CRV_WKDM_PAGE], blob[CRV_WKDM_MAX_BLOB];
  uint64_t by_size = 0, holes = 0, kinds[CRV_WKDM_KIND_COUNT] = {0};

  crvi_space_init(&s);
  s.warn = space_warn;
  crv_err e = cli_open_inputs(&s, &in);
  if (e != CRV_OK) {
    rc = cli_space_error(&s, e);
    crvi_space_free(&s);
    return rc;
  }
  for (size_t ri = 0; ri < s.n; ri++) {
    const struct crv_region *r = &s.r[ri];
    uint64_t first = (r->start + CRV_WKDM_PAGE - 1) & ~(uint64_t)(CRV_WKDM_PAGE - 1);
    for (uint64_t a = first; a < r->end && r->end - a >= CRV_WKDM_PAGE; a += CRV_WKDM_PAGE) {
      if (n == cap) {
        size_t c = cap ? 2 * cap : 1024;
        struct tree_page *p = c <= CRV_MAX_WKDM_PAGES ? realloc(pages, c * sizeof *p) : NULL;
        if (!p) {
          cli_error(c <= CRV_MAX_WKDM_PAGES ? "out of memory" : "more than %u pages",
                    CRV_MAX_WKDM_PAGES);
          rc = c <= CRV_MAX_WKDM_PAGES ? EXIT_OUTPUT : EXIT_SOURCE;
          goto out;
        }
        pages = p;
        cap = c;
      }
      pages[n].addr = a;
      pages[n].region = (uint32_t)ri;
      n++;
    }
  }
  if (n == 0) {
    cli_error("no whole 4 KiB page in the input");
    rc = EXIT_SOURCE;
    goto out;
  }
  if (shuffle) {
    for (size_t i = n - 1; i > 0; i--) {
      size_t j = (size_t)(xorshift(&seed) % (i + 1));
      struct tree_page t = pages[i];
      pages[i] = pages[j];
      pages[j] = t;
    }
  }
  if (make_dir(dir) != 0) {
    rc = EXIT_OUTPUT;
    goto out;
  }
  if (addresses) {
    side_path = path_join(dir, CRV_WKDM_SIDECAR);
    int fd = side_path ? open(side_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    if (fd < 0 || !(side = fdopen(fd, "w"))) {
      cli_error("%s: %s", side_path ? side_path : dir, strerror(errno));
      if (fd >= 0)
        close(fd);
      rc = EXIT_OUTPUT;
      goto out;
    }
    fprintf(side, "# carver wkdm tree: one line per page blob: PATH ADDRESS REGION\n");
  }
  unsigned seg = 0, slot = 0;
  uint64_t seg_bytes = 0;
  char seg_dir[64], rel[96], label_buf[256];
  for (size_t i = 0; i < n; i++) {
    if (crvi_space_read(&s, pages[i].addr, page, CRV_WKDM_PAGE) < CRV_WKDM_PAGE) {
      holes++; /* past the end of a truncated dump file */
      continue;
    }
    size_t len = variant == CRV_WKDM_APPLE
                     ? apple_slot(page, blob, sparse)
                     : crvi_wkdm_compress(page, blob, CRV_WKDM_CLASSIC, 0);
    int kind = CRV_WKDM_KIND_NONE;
    uint8_t check[CRV_WKDM_PAGE];
    if (crvi_wkdm_decode_slot(blob, len, check, variant, &kind) != CRV_WKDM_OK ||
        memcmp(check, page, CRV_WKDM_PAGE) != 0) {
      cli_error("page 0x%llx did not decompress to itself", (unsigned long long)pages[i].addr);
      rc = EXIT_OUTPUT;
      goto out;
    }
    kinds[kind]++;
    if (slot == 0 || seg_bytes + len > SEGMENT_BYTES) {
      if (slot != 0) {
        seg++;
        slot = 0;
      }
      seg_bytes = 0;
      snprintf(seg_dir, sizeof seg_dir, "segment%u", seg);
      char *full = path_join(dir, seg_dir);
      int bad = !full || make_dir(full) != 0;
      free(full);
      if (bad) {
        rc = EXIT_OUTPUT;
        goto out;
      }
    }
    snprintf(rel, sizeof rel, "%s/slot%u.dmp", seg_dir, slot);
    char *full = path_join(dir, rel);
    if (!full || write_file(full, blob, len, 0) != 0) {
      free(full);
      rc = EXIT_OUTPUT;
      goto out;
    }
    free(full);
    slot++;
    seg_bytes += len;
    by_size += len;
    if (side)
      fprintf(side, "%s 0x%llx %s\n", rel, (unsigned long long)pages[i].addr,
              region_label(&s.r[pages[i].region], label_buf, sizeof label_buf));
  }
  if (side) {
    int bad = ferror(side);
    if (fclose(side) != 0 || bad) {
      cli_error("%s: %s", side_path, strerror(errno));
      rc = EXIT_OUTPUT;
    }
    side = NULL;
  }
  /* The maps file of a dump directory names the regions when the tree is scanned. */
  for (size_t i = 0; i < n_inputs && rc == EXIT_FOUND && addresses; i++) {
    struct stat st;
    char *m = path_join(inputs[i], "maps"), *to = path_join(dir, "maps");
    if (m && to && stat(inputs[i], &st) == 0 && S_ISDIR(st.st_mode) && stat(m, &st) == 0) {
      if (copy_file(m, to) != 0)
        cli_warn("%s: not copied into the tree", m);
      free(m);
      free(to);
      break;
    }
    free(m);
    free(to);
  }
  if (cli_verbosity >= 0)
    fprintf(stderr, "%s: %zu pages (%.1f MB) -> %u segments, %.1f MB of blobs (%.1f%%); "
            "%llu dense, %llu sparse, %llu single-value, %llu stored%s\n", cli_prog,
            n - (size_t)holes, (double)(n - holes) * CRV_WKDM_PAGE / 1e6, seg + 1,
            (double)by_size / 1e6, 100.0 * (double)by_size / ((double)(n - holes) * CRV_WKDM_PAGE),
            (unsigned long long)(kinds[CRV_WKDM_KIND_CLASSIC] + kinds[CRV_WKDM_KIND_APPLE]),
            (unsigned long long)kinds[CRV_WKDM_KIND_SPARSE],
            (unsigned long long)kinds[CRV_WKDM_KIND_SINGLE],
            (unsigned long long)kinds[CRV_WKDM_KIND_RAW],
            addresses ? "" : "; no addresses kept");
out:
  if (side)
    fclose(side);
  free(side_path);
  free(pages);
  crvi_space_free(&s);
  return rc;
}

static int wkdm_compress(int argc, char **argv)
{
  struct option longopts[N_COMPRESS_OPTS + 1];
  char shortopts[32];
  const char *out = NULL, *tree = NULL;
  int variant = CRV_WKDM_AUTO, sparse = 1, force = 0, addresses = 1, shuffle = 0, c;
  uint64_t seed = 0;
  cli_build_getopt(compress_opts, N_COMPRESS_OPTS, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    switch (c) {
    case OPT_WHELP:
      printf("Usage: %s wkdm compress [OPTIONS] PAGE -o BLOB\n"
             "       %s wkdm compress [OPTIONS] --tree DIR DUMP...\n"
             "Compress a 4096-byte page with WKdm: the classic layout (16-byte header) unless\n"
             "--apple (xnu's 12-byte header; like xnu, its sparse encoding when that is no\n"
             "larger). With --tree, every whole page of the dump files or directories DUMP (as\n"
             "for '%s scan') becomes one blob DIR/segmentN/slotM.dmp; with --apple the slots\n"
             "are what xnu stores: 4 bytes for a page of one repeated 32-bit value, the page\n"
             "itself when it does not compress. DIR/" CRV_WKDM_SIDECAR " keeps each page's\n"
             "address and source file, and DIR/maps is copied from a dump directory.\n\n"
             "Options:\n", cli_prog, cli_prog, cli_prog);
      cli_print_options(stdout, compress_opts, N_COMPRESS_OPTS);
      printf("\nExit status: 0 written, 2 usage, 3 input unreadable, 5 output not written.\n");
      return EXIT_FOUND;
    case OPT_CLASSIC:
    case OPT_APPLE:
      if (parse_variant(c, &variant) != 0) {
        cli_usage_error("wkdm compress ", "--classic and --apple exclude each other");
        return EXIT_USAGE;
      }
      break;
    case OPT_NO_SPARSE: sparse = 0; break;
    case OPT_WOUTPUT: out = optarg; break;
    case OPT_WFORCE: force = 1; break;
    case OPT_TREE: tree = optarg; break;
    case OPT_NO_ADDRESSES: addresses = 0; break;
    case OPT_SHUFFLE:
      if (crvi_parse_dec_u64(optarg, &seed) != 0) {
        cli_usage_error("wkdm compress ", "--shuffle: '%s' is not a number", optarg);
        return EXIT_USAGE;
      }
      shuffle = 1;
      seed = seed * 0x9E3779B97F4A7C15ull + 1;
      break;
    case OPT_WQUIET: cli_verbosity = -1; break;
    case OPT_WVERBOSE: cli_verbosity++; break;
    case ':':
      cli_usage_error("wkdm compress ", "option '%s' needs an argument", argv[optind - 1]);
      return EXIT_USAGE;
    default:
      cli_usage_error("wkdm compress ", "unknown option '%s'", argv[optind - 1]);
      return EXIT_USAGE;
    }
  }
  if (variant == CRV_WKDM_AUTO)
    variant = CRV_WKDM_CLASSIC;
  if (tree) {
    if (out || optind >= argc) {
      cli_usage_error("wkdm compress ", out ? "--tree and -o exclude each other"
                                            : "--tree needs dump files or directories");
      return EXIT_USAGE;
    }
    return compress_tree(tree, argv + optind, (size_t)(argc - optind), variant, sparse,
                         addresses, shuffle, seed);
  }
  if (!addresses || shuffle) {
    cli_usage_error("wkdm compress ", "--no-addresses and --shuffle go with --tree");
    return EXIT_USAGE;
  }
  if (argc - optind != 1 || !out) {
    cli_usage_error("wkdm compress ", "expected one PAGE file and -o BLOB");
    return EXIT_USAGE;
  }
  uint8_t page[CRV_WKDM_PAGE], blob[CRV_WKDM_MAX_BLOB];
  size_t len;
  if (read_small(argv[optind], page, CRV_WKDM_PAGE, &len) != 0)
    return EXIT_SOURCE;
  if (len != CRV_WKDM_PAGE) {
    cli_error("%s: a page is exactly 4096 bytes, this is %s%zu", argv[optind],
              len > CRV_WKDM_PAGE ? "more than " : "", len > CRV_WKDM_PAGE ? len - 1 : len);
    return EXIT_SOURCE;
  }
  size_t n = crvi_wkdm_compress(page, blob, variant, sparse ? CRV_WKDM_F_SPARSE : 0);
  if (cli_verbosity > 0)
    fprintf(stderr, "%s: %s, %zu bytes (%.1f%% of the page)\n", cli_prog,
            variant == CRV_WKDM_CLASSIC ? "classic" : (n >= 4 && memcmp(blob, "\x21\x43\0\0", 4) == 0
                                                           ? "apple-sparse" : "apple"),
            n, 100.0 * (double)n / CRV_WKDM_PAGE);
  return write_file(out, blob, n, force) == 0 ? EXIT_FOUND : EXIT_OUTPUT;
}

/* ---- decompress ----------------------------------------------------------------------- */

static int decompress_dumps(const char *dir, char **inputs, size_t n_inputs, int variant)
{
  struct crv_space s;
  struct crv_wkdm_set set;
  int rc = EXIT_FOUND;
  crvi_space_init(&s);
  s.warn = space_warn;
  crvi_wkdm_set_init(&set);
  crv_err e = crvi_wkdm_load(&set, &s, inputs, n_inputs, variant);
  if (e != CRV_OK) {
    rc = cli_space_error(&s, e);
    goto out;
  }
  if (make_dir(dir) != 0) {
    rc = EXIT_OUTPUT;
    goto out;
  }
  long long pid = s.pid >= 0 ? (long long)s.pid : 0;
  for (size_t i = 0; i < s.n && rc == EXIT_FOUND; i++) {
    char name[64];
    snprintf(name, sizeof name, "task.%lld.0x%llx.vma", pid, (unsigned long long)s.r[i].start);
    char *full = path_join(dir, name);
    if (!full || write_file(full, s.r[i].mem, (size_t)s.r[i].present, 0) != 0)
      rc = EXIT_OUTPUT;
    free(full);
  }
  char *list = path_join(dir, CRV_WKDM_SIDECAR);
  int fd = list && rc == EXIT_FOUND ? open(list, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (rc == EXIT_FOUND && !f) {
    cli_error("%s: %s", list ? list : dir, strerror(errno));
    if (fd >= 0)
      close(fd);
    rc = EXIT_OUTPUT;
  }
  if (f) {
    /* the same format as a tree's sidecar: where each page came from */
    fprintf(f, "# carver wkdm decompress: the blob each page of the dump files came from\n"
               "# BLOB ADDRESS REGION (addresses are %s)\n",
            set.n_known == set.n ? "the original ones" : "synthetic where unknown");
    for (size_t k = 0; k < set.n; k++) {
      const struct crv_region *r = crvi_space_find(&s, set.p[k].addr);
      fprintf(f, "%s 0x%llx task.%lld.0x%llx.vma\n", set.p[k].name,
              (unsigned long long)set.p[k].addr, pid, (unsigned long long)(r ? r->start : 0));
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
      cli_error("%s: %s", list, strerror(errno));
      rc = EXIT_OUTPUT;
    }
  }
  free(list);
  if (rc == EXIT_FOUND && set.maps && set.n_known) {
    char *to = path_join(dir, "maps");
    if (!to || copy_file(set.maps, to) != 0)
      cli_warn("%s: not copied", set.maps);
    free(to);
  }
  if (rc == EXIT_FOUND && cli_verbosity >= 0)
    fprintf(stderr, "%s: %zu pages in %zu dump files (%zu with their original address); "
            "%llu blobs skipped\n", cli_prog, set.n, s.n, set.n_known,
            (unsigned long long)set.failed);
out:
  crvi_space_free(&s);
  crvi_wkdm_set_free(&set);
  return rc;
}

static int wkdm_decompress(int argc, char **argv)
{
  struct option longopts[N_DECOMPRESS_OPTS + 1];
  char shortopts[32];
  const char *out = NULL, *dumps = NULL;
  int variant = CRV_WKDM_AUTO, force = 0, c;
  cli_build_getopt(decompress_opts, N_DECOMPRESS_OPTS, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    switch (c) {
    case OPT_WHELP:
      printf("Usage: %s wkdm decompress [OPTIONS] BLOB -o PAGE\n"
             "       %s wkdm decompress [OPTIONS] --dumps DIR TREE...\n"
             "Decompress a WKdm blob into its 4096-byte page. The layout (classic 16-byte\n"
             "header, xnu 12-byte header or xnu sparse) is detected unless --classic or\n"
             "--apple is given. Without either, a blob is read as an xnu compressor slot:\n"
             "4 bytes are a page of one repeated value and 4096 bytes that are no WKdm blob\n"
             "are the page itself. A blob is refused, with the reason, when its header does not\n"
             "fit its size, its sections disagree with its tags, padding is not zero or bytes\n"
             "follow its end. With --dumps, every blob under the TREE directories (or blob files)\n"
             "is decompressed into DIR as Volatility dump files at the pages' addresses (from\n"
             "the tree's " CRV_WKDM_SIDECAR ", else synthetic), with DIR/" CRV_WKDM_SIDECAR
             " naming the blob of every page.\n\nOptions:\n", cli_prog, cli_prog);
      cli_print_options(stdout, decompress_opts, N_DECOMPRESS_OPTS);
      printf("\nExit status: 0 written, 2 usage, 3 input unreadable or not a valid blob,\n"
             "5 output not written.\n");
      return EXIT_FOUND;
    case OPT_CLASSIC:
    case OPT_APPLE:
      if (parse_variant(c, &variant) != 0) {
        cli_usage_error("wkdm decompress ", "--classic and --apple exclude each other");
        return EXIT_USAGE;
      }
      break;
    case OPT_WOUTPUT: out = optarg; break;
    case OPT_WFORCE: force = 1; break;
    case OPT_DUMPS: dumps = optarg; break;
    case OPT_WQUIET: cli_verbosity = -1; break;
    case OPT_WVERBOSE: cli_verbosity++; break;
    case ':':
      cli_usage_error("wkdm decompress ", "option '%s' needs an argument", argv[optind - 1]);
      return EXIT_USAGE;
    default:
      cli_usage_error("wkdm decompress ", "unknown option '%s'", argv[optind - 1]);
      return EXIT_USAGE;
    }
  }
  if (dumps) {
    if (out || optind >= argc) {
      cli_usage_error("wkdm decompress ", out ? "--dumps and -o exclude each other"
                                              : "--dumps needs trees or blob files");
      return EXIT_USAGE;
    }
    return decompress_dumps(dumps, argv + optind, (size_t)(argc - optind), variant);
  }
  if (argc - optind != 1 || !out) {
    cli_usage_error("wkdm decompress ", "expected one BLOB file and -o PAGE");
    return EXIT_USAGE;
  }
  uint8_t blob[CRV_WKDM_MAX_BLOB], page[CRV_WKDM_PAGE];
  size_t len;
  int kind;
  if (read_small(argv[optind], blob, CRV_WKDM_MAX_BLOB, &len) != 0)
    return EXIT_SOURCE;
  int st = len > CRV_WKDM_MAX_BLOB ? CRV_WKDM_E_SIZE
           : variant == CRV_WKDM_AUTO ? crvi_wkdm_decode_slot(blob, len, page, variant, &kind)
                                      : crvi_wkdm_decompress(blob, len, page, variant, &kind);
  if (st != CRV_WKDM_OK) {
    cli_error("%s: not a %sWKdm blob: %s", argv[optind],
              variant == CRV_WKDM_CLASSIC ? "classic " : variant == CRV_WKDM_APPLE ? "xnu " : "",
              crvi_wkdm_strerror(st));
    return EXIT_SOURCE;
  }
  if (cli_verbosity > 0)
    fprintf(stderr, "%s: %s, %zu bytes\n", cli_prog, crvi_wkdm_kind_name(kind),
            len > CRV_WKDM_MAX_BLOB ? (size_t)0 : len);
  return write_file(out, page, CRV_WKDM_PAGE, force) == 0 ? EXIT_FOUND : EXIT_OUTPUT;
}

/* ---- scan ----------------------------------------------------------------------------- */

struct wscan {
  struct session *s;
  const struct crv_wkdm_set *set;
  crv_err err;
  int trust_order;
  uint64_t dropped; /* objects continuing into a blob not known to be the next page */
  /* --types */
  int have_types;
  uint64_t str_type, bytes_type;
  unsigned ptr_size;
};

/* Where the object's value ends (its NUL unit included); for values kept in a separate
 * buffer (2.7 unicode, 3.0-3.2 str), where its header ends. */
static uint64_t object_end(const struct crv_layout *l, const crv_object *o)
{
  if (o->type == CRV_OBJ_BYTES || o->type == CRV_OBJ_STR27)
    return o->addr + l->bytes->off_sval + o->data_len + 1;
  if (l->pep393)
    return o->addr + (o->ascii == 1 ? l->pep393->ascii_data : l->pep393->compact_data) +
           o->data_len + o->kind;
  return o->addr + l->ubuf->basicsize;
}

/* Does the object continue into a page that may not follow its first one? Two pages with
 * synthetic addresses are adjacent only by the order their blobs were found in. */
static int crosses_unknown(const struct wscan *w, const crv_object *o)
{
  uint64_t end = object_end(w->s->ver.layout, o);
  if (w->trust_order || end <= o->addr)
    return 0;
  for (uint64_t a = o->addr & ~(uint64_t)(CRV_WKDM_PAGE - 1); a + CRV_WKDM_PAGE < end;
       a += CRV_WKDM_PAGE) {
    const struct crv_wkdm_page *p = crvi_wkdm_page_at(w->set, a);
    const struct crv_wkdm_page *q = crvi_wkdm_page_at(w->set, a + CRV_WKDM_PAGE);
    if (!p || !q || !p->known || !q->known)
      return 1;
  }
  return 0;
}

static int wkdm_object(void *user, const crv_object *o)
{
  struct wscan *w = user;
  crv_object a = *o;
  /* A value read across into an unrelated page would be a made-up value: keep it only
   * when its cached hash proves it (a non-empty value; the empty one's hash is fixed). */
  if (!(o->hash_check == CRV_HASH_MATCH && o->length > 0) && crosses_unknown(w, o)) {
    crv_summary *sum = &w->s->sum;
    sum->objects--;
    sum->by_type[o->type]--;
    sum->by_status[o->status]--;
    sum->by_hash_check[o->hash_check]--;
    if (o->proof)
      sum->clobbered--;
    sum->rejected++;
    w->dropped++;
    return 0;
  }
  const struct crv_wkdm_page *pg = crvi_wkdm_page_at(w->set, o->addr);
  if (pg) {
    a.region = pg->name;
    a.has_offset = 1;
    a.offset = o->addr - pg->addr;
  }
  if (w->err == CRV_OK)
    w->err = crvi_writer_object(w->s->w, &a);
  return w->err != CRV_OK;
}

/* The interpreter from --types and --python. */
static crv_err given_types(struct wscan *w, const char *python, struct crv_pytypes *t)
{
  size_t len = strlen(python);
  int ft = len > 0 && python[len - 1] == 't';
  char base[16];
  snprintf(base, sizeof base, "%.*s", (int)(ft ? len - 1 : len), python);
  const struct crv_layout *l = crvi_layout_find(python, w->ptr_size, ft);
  if (!l)
    l = crvi_layout_find(base, w->ptr_size, ft);
  if (!l)
    return CRV_ERR_INVALID_ARG;
  memset(t, 0, sizeof *t);
  t->hdr = l->hdr;
  t->text_type = w->str_type;
  t->bytes_type = w->bytes_type;
  t->text_basicsize = l->pep393 ? l->pep393->basicsize : l->ubuf->basicsize;
  t->bytes_basicsize = l->bytes->basicsize;
  t->py2 = l->bytes_is_str27;
  t->image_first = 0;
  t->image_last = w->s->space.n ? w->s->space.n - 1 : 0;
  t->candidates[0] = l;
  t->n_candidates = 1;
  return CRV_OK;
}

/* Interpreter, version and hash key for the page space: the types as session_open finds
 * them, page by page when the pages' addresses are synthetic, or from --types; then the
 * shared version and key step. */
static int wkdm_interpreter(struct wscan *w, const struct session_opts *o)
{
  struct session *s = w->s;
  crv_err e;
  const char *how = "type objects";
  if (w->have_types) {
    e = given_types(w, o->python, &s->types);
    how = "--types";
  } else {
    e = crvi_find_types(&s->space, &s->types, &session_stop_signal, NULL);
    if (e == CRV_ERR_UNSUPPORTED && w->set->n_known < w->set->n) {
      e = crvi_wkdm_find_types(w->set, &s->space, &s->types, &session_stop_signal);
      how = "type objects, page-relative (synthetic addresses)";
    }
  }
  if (e == CRV_ERR_ABORTED || session_stop_signal)
    return EXIT_SIGNAL_BASE + session_stop_signal;
  if (e == CRV_ERR_INVALID_ARG) {
    cli_error("--python %s: no layout of that version with %u-byte pointers", o->python,
              w->ptr_size);
    return EXIT_USAGE;
  }
  if (e != CRV_OK) {
    cli_error("no CPython interpreter recognised in %zu decompressed pages: no PyType_Type "
              "with str and bytes types (the interpreter's data pages must be among them; "
              "else give --types STR,BYTES and --python)", w->set->n);
    return cli_exit_for(e);
  }
  /* With synthetic addresses the region holding PyType_Type is no image of the file. */
  return session_interpreter(s, how, s->types.type_type && w->set->n_known == w->set->n);
}

static int parse_types(const char *arg, uint64_t *a, uint64_t *b)
{
  const char *comma = strchr(arg, ',');
  char first[32];
  if (!comma || (size_t)(comma - arg) >= sizeof first)
    return -1;
  memcpy(first, arg, (size_t)(comma - arg));
  first[comma - arg] = '\0';
  return crvi_parse_hex_u64(first, a) != 0 || crvi_parse_hex_u64(comma + 1, b) != 0 || !*a ||
                 !*b
             ? -1
             : 0;
}

static void scan_help(const struct cli_opt *opts, size_t n)
{
  printf("Usage: %s wkdm scan [OPTIONS] TREE...\n"
         "       %s scan --wkdm [OPTIONS] TREE...\n"
         "Carve CPython str and bytes objects from compressed memory pages: every blob under\n"
         "the TREE directories (a Rekall-style DIR/segmentN/slotM.dmp tree) or every blob file\n"
         "given is decompressed (classic, xnu or xnu sparse WKdm, 4-byte single-value and\n"
         "4096-byte stored slots; --classic or --apple insists on one) and carved.\n\n"
         "Pages have no address of their own. A tree's " CRV_WKDM_SIDECAR " (PATH ADDRESS\n"
         "[REGION] per line) or a blob named 0xADDRESS gives a page its original address;\n"
         "other pages get consecutive synthetic addresses from 0x%llx in natural name\n"
         "order. Objects are reported with region = the blob holding their first byte (its\n"
         "path under TREE) and offset = their offset in its page; addr is the original or\n"
         "synthetic address. With synthetic addresses the interpreter's type objects are\n"
         "found page by page (or given with --types and --python), and an object that\n"
         "continues into the next page is reported only when its cached hash proves its\n"
         "value (or with --trust-order).\n\n"
         "Options:\n",
         cli_prog, cli_prog, (unsigned long long)CRV_WKDM_SYNTH_BASE);
  cli_print_options(stdout, opts, n);
  printf("\n");
  cli_print_exit_codes(stdout);
}

int cmd_wkdm_scan(int argc, char **argv)
{
  struct cli_opt opts[SESSION_MAX_OPTS];
  size_t n_all = session_opts_merge(opts, SESSION_MAX_OPTS, scan_own_opts, N_SCAN_OWN), n_opts = 0;
  for (size_t i = 0; i < n_all; i++) /* no live process, no plain dump files here */
    if (opts[i].id != SOPT_PID && opts[i].id != SOPT_BASE)
      opts[n_opts++] = opts[i];
  struct option longopts[SESSION_MAX_OPTS + 1];
  char shortopts[64];
  struct session_opts so;
  struct wscan w = {.ptr_size = 8};
  int variant = CRV_WKDM_AUTO, c;

  session_opts_init(&so);
  cli_build_getopt(opts, n_opts, longopts, shortopts, sizeof shortopts);
  optind = 1;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    uint64_t v;
    switch (c) {
    case OPT_CLASSIC:
    case OPT_APPLE:
      if (parse_variant(c, &variant) != 0) {
        cli_usage_error("wkdm scan ", "--classic and --apple exclude each other");
        return EXIT_USAGE;
      }
      continue;
    case OPT_WKDM: continue;
    case OPT_TRUST_ORDER: w.trust_order = 1; continue;
    case OPT_TYPES:
      if (parse_types(optarg, &w.str_type, &w.bytes_type) != 0) {
        cli_usage_error("wkdm scan ", "--types: '%s' is not STR,BYTES (two hex addresses)",
                        optarg);
        return EXIT_USAGE;
      }
      w.have_types = 1;
      continue;
    case OPT_PTR_SIZE:
      if (crvi_parse_dec_u64(optarg, &v) != 0 || (v != 4 && v != 8)) {
        cli_usage_error("wkdm scan ", "--ptr-size: '%s' is not 4 or 8", optarg);
        return EXIT_USAGE;
      }
      w.ptr_size = (unsigned)v;
      continue;
    default:
      break;
    }
    int r = session_parse_shared(&so, "wkdm scan ", c, optarg, argv[optind - 1]);
    if (r == SESSION_OPT_HELP) {
      scan_help(opts, n_opts);
      return EXIT_FOUND;
    }
    if (r == SESSION_OPT_USAGE)
      return EXIT_USAGE;
  }
  if (so.pid || so.n_bases) {
    cli_usage_error("wkdm scan ", "--pid and --base do not apply to page blobs");
    return EXIT_USAGE;
  }
  if (w.have_types && !so.python) {
    cli_usage_error("wkdm scan ", "--types needs --python X.Y (the layout to read objects with)");
    return EXIT_USAGE;
  }
  if (session_check(&so, "wkdm scan ", (size_t)(argc - optind)) != 0)
    return EXIT_USAGE;

  /* The session, opened on the page space instead of dump files. */
  struct session s;
  struct crv_wkdm_set set;
  session_init(&s, &so, argv + optind, (size_t)(argc - optind));
  crvi_wkdm_set_init(&set);
  w.s = &s;
  w.set = &set;
  /* Refuse an existing output file before decompressing anything. */
  int rc = session_start(&s);
  s.ps.enabled = 0; /* wkdm scan shows no progress line */
  if (rc != EXIT_FOUND)
    goto close;
  crv_err e = crvi_wkdm_load(&set, &s.space, s.paths, s.n_paths, variant);
  if (e != CRV_OK) {
    rc = cli_space_error(&s.space, e);
    goto close;
  }
  const char *maps = so.maps_path ? so.maps_path : set.maps;
  if (maps && set.n_known) {
    if ((e = crvi_space_apply_maps(&s.space, maps)) != CRV_OK) {
      rc = cli_space_error(&s.space, e);
      goto close;
    }
    char why[600];
    int found = crvi_space_find_interpreter(&s.space, why, sizeof why);
    if (cli_verbosity > 0)
      fprintf(stderr, "%s: interpreter file: %s%s\n", cli_prog, found ? "" : "none used: ", why);
  } else if (so.maps_path) {
    cli_warn("--maps ignored: the pages have synthetic addresses");
  }
  if (cli_verbosity > 0)
    fprintf(stderr, "%s: %zu pages from %.1f MB of blobs (%llu dense, %llu sparse, %llu "
            "single-value, %llu stored; %llu skipped), %zu with their original address, "
            "%zu regions\n", cli_prog, set.n, (double)set.blob_bytes / 1e6,
            (unsigned long long)(set.by_kind[CRV_WKDM_KIND_CLASSIC] + set.by_kind[CRV_WKDM_KIND_APPLE]),
            (unsigned long long)set.by_kind[CRV_WKDM_KIND_SPARSE],
            (unsigned long long)set.by_kind[CRV_WKDM_KIND_SINGLE],
            (unsigned long long)set.by_kind[CRV_WKDM_KIND_RAW], (unsigned long long)set.failed,
            set.n_known, s.space.n);
  if ((rc = wkdm_interpreter(&w, &so)) != EXIT_FOUND)
    goto close;
  e = session_scan(&s, wkdm_object, &w, 0);
  if (w.err != CRV_OK && (e == CRV_OK || e == CRV_ERR_ABORTED))
    e = w.err;
  if (w.dropped && cli_verbosity >= 0)
    cli_warn("%llu objects continue into a blob that is not known to hold the next page "
             "(synthetic addresses) and have no cached hash to prove their value: not "
             "reported (--trust-order keeps them)", (unsigned long long)w.dropped);
  rc = session_finish(&s, e, s.sum.objects, "objects");
close:
  rc = session_close(&s, rc);
  crvi_wkdm_set_free(&set);
  return rc;
}

int cmd_wkdm(int argc, char **argv)
{
  if (argc < 2) {
    cli_usage_error("wkdm ", "no command given (compress, decompress, scan)");
    return EXIT_USAGE;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
    wkdm_help();
    return EXIT_FOUND;
  }
  if (strcmp(sub, "compress") == 0)
    return wkdm_compress(argc - 1, argv + 1);
  if (strcmp(sub, "decompress") == 0)
    return wkdm_decompress(argc - 1, argv + 1);
  if (strcmp(sub, "scan") == 0)
    return cmd_wkdm_scan(argc - 1, argv + 1);
  cli_usage_error("wkdm ", "unknown command '%s' (compress, decompress, scan)", sub);
  return EXIT_USAGE;
}
