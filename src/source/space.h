/* SPDX-License-Identifier: MIT */
/* An address space: regions sorted by address, each backed by a dump file, a segment of
 * an ELF core, or a live process's memory. Bytes a region does not have are a hole: past
 * the end of its dump file or core segment (present). In a live process, pages that are
 * not resident are never read from the process (nothing is faulted in): they read as the
 * mapped file's bytes when the page was never written (as the kernel would fault it in),
 * else as zeros, as Volatility pads them; a very large non-resident run is a region of its
 * own with present == 0. Reads are bounded and never trust the input. */
#ifndef CARVER_SPACE_H
#define CARVER_SPACE_H
#include <stdint.h>
#include <stddef.h>
#include "carver/error.h"
#include "maps_parse.h"

/* Where a region's bytes come from. */
enum crv_backing {
  CRV_BACK_FILE = 0, /* its own dump file (file, fd) */
  CRV_BACK_CORE = 1, /* a PT_LOAD segment of the space's core file (core_fd) */
  CRV_BACK_PROC = 2, /* the live process (proc) */
  CRV_BACK_MEM = 3,  /* a caller-owned buffer (mem), e.g. decompressed WKdm pages */
};

struct crv_region {
  uint64_t start, end;  /* [start, end) in the target */
  char *file;           /* dump or core file path (owned); "pid:N" for a live process */
  char *name;           /* display name: mapping path when known, else the file's base name */
  char *path;           /* mapping path (--maps, NT_FILE, /proc/PID/maps), NULL when unknown */
  uint64_t file_offset; /* where start lives in the file */
  uint64_t present;     /* bytes available from file_offset; the rest is a hole */
  unsigned prot;        /* CRV_PROT_* or CRV_PROT_UNKNOWN */
  int fd;               /* opened on demand, -1 when closed (CRV_BACK_FILE only) */
  unsigned backing;     /* enum crv_backing */
  int fill_fd;          /* CRV_BACK_PROC: the mapped file (owned by the process source), read
                           for pages that are not resident and never were written, else -1;
                           file_offset is then the file offset of start */
  const uint8_t *mem;   /* CRV_BACK_MEM: present bytes from start; owned by the caller and
                           kept until the space is freed (set after crvi_space_add_region) */
};

/* A mapping as the process listed it (/proc/PID/maps, a maps copy, a core's NT_FILE and
 * PT_LOAD headers): kept whole, also when the space splits it into regions or leaves it
 * out (unreadable). */
struct crv_map {
  uint64_t start, end, offset; /* offset: in the mapped file, bytes */
  uint64_t inode;              /* 0 when unknown (cores) */
  unsigned prot;               /* CRV_PROT_* or CRV_PROT_UNKNOWN */
  char *path;                  /* owned; NULL for an anonymous mapping */
  uint64_t resident;           /* bytes read from the memory (live: resident pages; core:
                                  bytes the core holds); 0 for a maps copy */
  uint64_t from_file;          /* bytes read from the mapped file instead (never written) */
};

/* What a source learned from outside the dumped memory: the interpreter's ELF .dynsym
 * (live processes, cores whose interpreter file is present) and the process environment.
 * Zeroed by crvi_space_init; filled by sources that can. */
struct crv_hints {
  int have_types;                  /* type addresses below come from .dynsym */
  uint64_t type_type, text_type, bytes_type; /* PyType_Type, PyUnicode_Type, PyBytes_Type
                                              (2.7: PyString_Type as bytes) */
  int have_key;                    /* hash_secret holds _Py_HashSecret as read */
  uint8_t hash_secret[24];
  int have_seed;                   /* PYTHONHASHSEED from /proc/PID/environ */
  uint32_t seed;
  int seed_random;                 /* PYTHONHASHSEED=random or unset */
  char version[16];                /* "3.11", "3.13t": the interpreter file's name, else its
                                      Py_Version (3.11+); "" when unknown */
  char interpreter[256];           /* path of the ELF file the symbols came from */
  /* Details of the above (0 / "" when unknown). */
  unsigned ptr_size;               /* 4 or 8: ELF class of the interpreter */
  int py2;                         /* PyString_Type exported: text_type is unicode */
  unsigned hash_secret_len;        /* bytes of hash_secret that are the key (24; 2.7: 16 or 8);
                                      the rest of hash_secret is zero */
  uint64_t hash_secret_addr;       /* where _Py_HashSecret was read */
  uint64_t load_base;              /* added to .dynsym values (0 for ET_EXEC) */
  char version_full[16];           /* "3.11.2" from Py_Version (3.11+), or "" */
  char verified[48];               /* how the file was matched to the memory: "map_files",
                                      "inode", "build-id", "types" */
};

struct crv_proc; /* a live process (pid.c) */

struct crv_space {
  struct crv_region *r;
  size_t n, cap;
  int64_t pid;        /* -1 when unknown */
  int maps_applied;
  struct crv_hints hints;
  unsigned open_fds;
  char errmsg[512];   /* detail of the last error */
  void (*warn)(void *user, const char *msg); /* optional warning sink */
  void *warn_user;
  /* Mappings as listed by the source, in address order (live, --maps, core). */
  struct crv_map *maps;
  size_t n_maps, maps_cap;
  char *maps_text;             /* live: /proc/PID/maps as read (for carver dump), or NULL */
  size_t maps_text_len;
  /* Core file (one per space). */
  int core_fd;
  char *core_path;
  /* Live process. */
  struct crv_proc *proc;
  int vanished;                /* the live process exited (reads after that are holes) */
  uint64_t hole_bytes;         /* live: bytes of non-resident anonymous or swapped-out pages
                                  when the process was opened (zero-filled or present == 0) */
  uint64_t late_hole_bytes;    /* live: resident bytes that could not be read (zero-filled) */
  char comm[32];               /* process name (/proc/PID/comm, NT_PRPSINFO), or "" */
  char args[256];              /* command line, spaces between arguments, or "" */
};

void crvi_space_init(struct crv_space *s);
void crvi_space_free(struct crv_space *s);
/* A dump file. have_base: the file's start address is base (plain file); otherwise the
 * name must be a Volatility dump name. */
crv_err crvi_space_add_file(struct crv_space *s, const char *path, int have_base, uint64_t base);
/* Every Volatility-named dump file in a directory; other files are skipped with a warning.
 * *maps_out receives DIR/maps when such a file exists (caller frees), else NULL. */
crv_err crvi_space_add_dir(struct crv_space *s, const char *dir, char **maps_out);
/* Sort, reject overlaps. Call once after all files are added. */
crv_err crvi_space_finish(struct crv_space *s);
/* Name regions and set permissions from a copy of /proc/PID/maps (also kept in s->maps). */
crv_err crvi_space_apply_maps(struct crv_space *s, const char *maps_path);

/* Adding regions and mappings (for the sources in core.c and pid.c). The region's name is
 * path when given, else the base name of file. */
crv_err crvi_space_add_region(struct crv_space *s, unsigned backing, const char *file,
                              const char *path, uint64_t start, uint64_t end,
                              uint64_t file_offset, uint64_t present, unsigned prot);
crv_err crvi_space_add_map(struct crv_space *s, uint64_t start, uint64_t end, uint64_t offset,
                           uint64_t inode, unsigned prot, const char *path, size_t path_len);
/* Record the error detail (printf-style) and return e. */
crv_err crvi_space_fail(struct crv_space *s, crv_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void crvi_space_warn(struct crv_space *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The region containing addr, or NULL. */
const struct crv_region *crvi_space_find(const struct crv_space *s, uint64_t addr);
/* Index of the region containing addr, or s->n. */
size_t crvi_space_index(const struct crv_space *s, uint64_t addr);
/* Read up to len bytes at addr, continuing into an adjacent region when regions touch.
 * Returns the number of bytes read; fewer than len means a hole or the end of memory. */
size_t crvi_space_read(struct crv_space *s, uint64_t addr, void *buf, size_t len);
/* Read up to len bytes at addr from region r alone (a dump file or core segment through
 * fd, or CRV_BACK_MEM; not CRV_BACK_PROC). Changes nothing, so another thread may call it
 * with its own fd while the space is in use. Fewer than len: a hole or the region's end. */
size_t crvi_space_read_in(const struct crv_region *r, int fd, uint64_t at, void *buf, size_t len);
/* Bytes of the address space that are backed by data. */
uint64_t crvi_space_total(const struct crv_space *s);
#endif
