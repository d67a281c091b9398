/* SPDX-License-Identifier: MIT */
/* The interpreter's own ELF file (python3.X, or libpython3.X.so for shared builds): its
 * .dynsym gives PyType_Type, PyUnicode_Type, PyBytes_Type (2.7: PyString_Type) and
 * _Py_HashSecret (cpython-layouts.md §5.2, §7.2). The file is matched to the memory before
 * its symbols are trusted: /proc/PID/map_files (live), the inode from the maps, or the
 * GNU build id of the file against the copy of its first page in memory; the type objects
 * at the computed addresses must then point to PyType_Type. */
#ifndef CARVER_INTERP_H
#define CARVER_INTERP_H
#include <stddef.h>
#include <stdint.h>
#include "elf.h"
#include "space.h"

/* What an ELF file says about itself as a CPython interpreter. */
struct crv_interp_file {
  unsigned ptr_size, elf_type, machine;
  int exports_python;      /* defines PyUnicode_Type or Py_GetVersion */
  int has_types;           /* PyType_Type, PyUnicode_Type and the bytes type all defined */
  int py2;                 /* defines PyString_Type */
  uint64_t type_type, text_type, bytes_type; /* link-time addresses */
  uint64_t hash_secret, hash_secret_size;    /* 0 when not exported */
  uint64_t link_base;      /* first PT_LOAD p_vaddr, page-aligned */
  char version[16];        /* "3.11", "3.13t" (file name, else Py_Version), or "" */
  char version_full[16];   /* "3.11.2" from Py_Version (3.11+), or "" */
  uint8_t build_id[CRV_ELF_MAX_BUILD_ID];
  size_t build_id_len;
};

/* Reads the ELF behind fd. Returns 0 when it parsed (then see exports_python), -1 with why
 * filled when it is no usable ELF. name: the file's path, for the version in its name. */
int crvi_interp_probe(int fd, const char *name, struct crv_interp_file *out, char *why,
                      size_t why_cap);

/* "3.11" from ".../python3.11", "libpython3.13t.so.1.0", "python2.7-dbg"; 0 when found. */
int crvi_interp_name_version(const char *path, char *out, size_t cap);

/* Whether a mapped file's base name looks like an interpreter (python*, libpython*). */
int crvi_interp_name_is_python(const char *path);

/* Whether the ELF file behind fd is the one mapped at path in s (its GNU build id equals
 * the one in the memory copy of its first page): 1 yes, -1 no, 0 cannot tell. */
int crvi_file_matches_memory(struct crv_space *s, const char *path, int fd);

/* Fills s->hints from the interpreter file among s->maps, opened as fits the source
 * (live: /proc/PID/map_files or /proc/PID/root; dumps and cores: the path on this machine,
 * checked by inode or build id). Returns 1 when the types (and perhaps the key) were
 * filled, 0 when not; why says what happened either way. Never fails the scan. */
int crvi_space_find_interpreter(struct crv_space *s, char *why, size_t why_cap);
#endif
