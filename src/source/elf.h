/* SPDX-License-Identifier: MIT */
/* A bounded ELF reader for hostile input: interpreter executables and libraries (their
 * .dynsym), and core files (program headers, notes). Every size and offset read from the
 * file is checked against the bytes available and against the caps below before use; the
 * bytes come through a read callback, so the same code parses a file on disk or an ELF
 * image in a target's memory. Little-endian (x86, x86-64) only. */
#ifndef CARVER_ELF_H
#define CARVER_ELF_H
#include <stddef.h>
#include <stdint.h>

/* Caps, each larger than any real file needs. */
#define CRV_ELF_MAX_PHNUM (1u << 20)      /* program headers (gcore: one per mapping) */
#define CRV_ELF_MAX_SHNUM 65536u           /* section headers */
#define CRV_ELF_MAX_DYNSYM (64u << 20)     /* bytes of .dynsym plus .dynstr */
#define CRV_ELF_MAX_NOTES (64u << 20)      /* bytes of one PT_NOTE segment */
#define CRV_ELF_MAX_BUILD_ID 64u           /* a GNU build id is 20 bytes (sha1) */

#define CRV_ET_EXEC 2u
#define CRV_ET_DYN 3u
#define CRV_ET_CORE 4u
#define CRV_PT_LOAD 1u
#define CRV_PT_DYNAMIC 2u
#define CRV_PT_NOTE 4u
#define CRV_PF_X 1u
#define CRV_PF_W 2u
#define CRV_PF_R 4u
#define CRV_NT_PRSTATUS 1u
#define CRV_NT_PRPSINFO 3u
#define CRV_NT_AUXV 6u
#define CRV_NT_FILE 0x46494c45u
#define CRV_NT_GNU_BUILD_ID 3u

/* Reads up to len bytes at off; returns how many were read (short at the end or a hole). */
typedef size_t (*crv_elf_read_fn)(void *user, uint64_t off, void *buf, size_t len);

struct crv_elf {
  crv_elf_read_fn read;
  void *user;
  uint64_t size;        /* bytes that may be read (file size); UINT64_MAX when unknown */
  unsigned ptr_size;    /* 4 (ELFCLASS32) or 8 (ELFCLASS64) */
  unsigned type;        /* e_type: CRV_ET_* */
  unsigned machine;     /* e_machine: 3 i386, 62 x86-64 */
  uint64_t phoff, shoff;
  unsigned phentsize, shentsize;
  uint32_t phnum, shnum, shstrndx;
  char err[160];        /* why the last call failed */
};

struct crv_phdr {
  uint32_t type, flags;
  uint64_t offset, vaddr, filesz, memsz, align;
};

struct crv_shdr {
  uint32_t name, type, link, info;
  uint64_t flags, addr, offset, size, entsize;
};

struct crv_sym {
  uint64_t value, size;
  unsigned type;  /* STT_*: 1 object, 2 function */
  uint16_t shndx; /* 0 (SHN_UNDEF) for an import */
};

/* .dynsym and .dynstr, loaded. */
struct crv_elf_symtab {
  uint8_t *syms, *strs;
  size_t syms_len, strs_len, entsize;
  unsigned ptr_size;
};

/* Opens path read-only if it is a regular file, without blocking on a FIFO or touching a
 * device (paths come from hostile maps copies and cores). -1 with errno otherwise
 * (EINVAL: not a regular file). */
int crvi_open_regular(const char *path);

/* Checks the header. 0 on success, -1 with e->err set (not ELF, big-endian, truncated,
 * header tables out of bounds). */
int crvi_elf_open(struct crv_elf *e, crv_elf_read_fn read, void *user, uint64_t size);
/* A file descriptor as the byte source (pread); size from fstat. */
int crvi_elf_open_fd(struct crv_elf *e, int *fd_user, int fd);

int crvi_elf_phdr(struct crv_elf *e, uint32_t i, struct crv_phdr *out);
int crvi_elf_shdr(struct crv_elf *e, uint32_t i, struct crv_shdr *out);
/* The first section of that name; 0 when found. */
int crvi_elf_section(struct crv_elf *e, const char *name, struct crv_shdr *out);

/* Loads .dynsym/.dynstr (via the section headers). 0 on success. */
int crvi_elf_load_dynsym(struct crv_elf *e, struct crv_elf_symtab *t);
void crvi_elf_symtab_free(struct crv_elf_symtab *t);
/* A defined symbol (not an import) of that name; 0 when found. */
int crvi_elf_lookup(const struct crv_elf_symtab *t, const char *name, struct crv_sym *out);

/* The NT_GNU_BUILD_ID of the file: from PT_NOTE segments (as file offsets), else
 * SHT_NOTE sections. Returns its length (0 when none). */
size_t crvi_elf_build_id(struct crv_elf *e, uint8_t *id, size_t cap);

/* Lowest PT_LOAD p_vaddr rounded down to a page (the link-time base), and the file offset
 * of a virtual address (0 when some PT_LOAD maps it from the file). */
int crvi_elf_first_load(struct crv_elf *e, uint64_t *vaddr);
int crvi_elf_vaddr_to_offset(struct crv_elf *e, uint64_t vaddr, uint64_t *off);

/* One note of a note buffer. name is not NUL-terminated (namesz bytes, trailing NULs kept). */
struct crv_note {
  uint32_t type;
  const uint8_t *name;
  size_t namesz;
  const uint8_t *desc;
  size_t descsz;
};
/* Walks the notes in buf[0..len); align is 4 or 8 (p_align of the PT_NOTE). fn returns
 * non-zero to stop. Returns -1 when the buffer ends inside a note (what came before was
 * delivered), 0 otherwise. */
int crvi_elf_notes(const uint8_t *buf, size_t len, unsigned align,
                   int (*fn)(void *user, const struct crv_note *n), void *user);
/* A note name equals s (with its NUL). */
int crvi_note_named(const struct crv_note *n, const char *s);
#endif
