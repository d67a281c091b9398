/* SPDX-License-Identifier: MIT */
/* ELF core files (gcore, kernel cores, decompressed systemd-coredump files) as a memory
 * source. Each readable PT_LOAD segment becomes a region whose bytes are read from the core
 * at p_offset; the part of a segment the file does not hold (p_filesz < p_memsz, or a core
 * cut short) is a hole. NT_FILE names the mapped files; NT_PRPSINFO / NT_PRSTATUS give
 * the pid, command and the stack pointer (whose segment is named [stack]). */
#ifndef CARVER_CORE_H
#define CARVER_CORE_H
#include <stddef.h>
#include "space.h"

enum crv_sniff {
  CRV_SNIFF_OTHER = 0,    /* none of the below (a raw dump, or garbage) */
  CRV_SNIFF_CORE,         /* an ELF core */
  CRV_SNIFF_ELF_OTHER,    /* an ELF file that is not a core (msg says which kind) */
  CRV_SNIFF_COMPRESSED,   /* zstd, lz4, xz, gzip or bzip2 (msg says how to decompress) */
  CRV_SNIFF_UNREADABLE,   /* could not be opened or read (msg says why) */
};

/* Looks at the first bytes of path; msg gets a one-line explanation for the last three. */
enum crv_sniff crvi_core_sniff(const char *path, char *msg, size_t cap);

/* Adds the core's segments as regions, its mappings to s->maps and its pid/comm/args.
 * CRV_ERR_FORMAT when the file is no usable core (header or program headers cut off);
 * a core whose segments are cut off is accepted with holes and a warning. */
crv_err crvi_space_add_core(struct crv_space *s, const char *path);
#endif
