/* SPDX-License-Identifier: MIT */
/* The exported (dynamic) symbols of an ELF object mapped in an address space, for
 * signatures anchored to a function. Read from the mapped image itself: ELF header and
 * program headers in the object's first mapping, PT_DYNAMIC, then DT_GNU_HASH or DT_HASH
 * lookups into DT_SYMTAB/DT_STRTAB, every read bounded. When the image is not in the
 * memory (a dump without the object's first page, most cores), the file of that path is
 * used instead (live: /proc/PID/map_files; dumps and cores: the same path here, refused
 * when its GNU build id differs from the one in memory). */
#ifndef CARVER_ELFSYM_H
#define CARVER_ELFSYM_H
#include <stddef.h>
#include <stdint.h>
#include "source/elf.h"
#include "source/space.h"

struct crvi_elfimg {
  const char *path;     /* borrowed from the space's mappings */
  uint64_t base;        /* the object's first mapping (file offset 0) */
  uint64_t bias;        /* run-time address = bias + symbol value */
  unsigned ptr_size;    /* 4 or 8 (ELF class) */
  unsigned machine;     /* 3 i386, 62 x86-64 */
  int from_memory;      /* symbols come from the mapped image */
  uint64_t symtab, strtab, strsz, gnu_hash, sysv_hash; /* run-time addresses (memory) */
  int fd;               /* the file, when symbols (or code) come from it; else -1 */
  int fd_user;
  struct crv_elf elf;
  struct crv_elf_symtab syms;
  int have_file_syms;
  char how[24];         /* "memory", "map_files", "file", "file (build id)" */
  struct crvi_elfload { /* the PT_LOAD segments (the first CRVI_ELF_MAX_LOADS) */
    uint64_t offset, filesz, vaddr;
    uint32_t flags;     /* CRV_PF_* */
  } load[8];
  unsigned n_load;
};

/* Whether the file bytes at offset of the object are code (in a PT_LOAD with PF_X):
 * 1 yes, 0 no, -1 unknown. For mappings whose permissions a core does not tell. */
int crvi_elfimg_offset_is_code(const struct crvi_elfimg *img, uint64_t offset);

/* Opens the object mapped from path (a path of s->maps). 0 on success; -1 when neither
 * the memory nor (allow_file) the file gives its ELF headers. */
int crvi_elfimg_open(struct crv_space *s, const char *path, struct crvi_elfimg *img,
                     int allow_file);
void crvi_elfimg_close(struct crvi_elfimg *img);

/* A defined function or object named name: its run-time address and size (0 unknown).
 * 0 when found. */
int crvi_elfimg_lookup(struct crv_space *s, struct crvi_elfimg *img, const char *name,
                       uint64_t *addr, uint64_t *size);

/* The ELF class of the object mapped from path, read from its first mapping in memory
 * (4 or 8), or 0 when unknown. */
unsigned crvi_elfimg_class(struct crv_space *s, const char *path);

/* Opens the file behind mapping m as the source allows (live: map_files, else the path),
 * checking a dump's or core's file against the build id in memory. Returns an fd or -1;
 * how says how it was found. */
int crvi_elfimg_open_file(struct crv_space *s, const struct crv_map *m, char *how,
                          size_t how_cap);
#endif
