/* SPDX-License-Identifier: MIT */
/* A live Linux process as a memory source. /proc/PID/maps (the hand parser) gives the
 * mappings; memory is read with process_vm_readv, falling back to pread on /proc/PID/mem
 * opened O_RDONLY. The target is never ptrace-stopped, signalled or written. Pages that
 * /proc/PID/pagemap says are not resident (bit 63 clear) are never read from the process,
 * so nothing is faulted back in: like YARA, carver reads them from the mapped file when
 * they were never written (not swapped: bit 62 clear; the kernel would fault in exactly
 * those bytes) and the mapping is non-executable ELF data, and as zero-filled holes
 * otherwise (anonymous, swapped out, code, other files). Unreadable
 * mappings (no 'r') and [vvar]/[vsyscall] are left out. */
#ifndef CARVER_PID_H
#define CARVER_PID_H
#include <stddef.h>
#include <stdint.h>
#include "space.h"

/* Makes the live process pid the space's source: mappings into s->maps, readable mappings
 * into regions (very large holes as present == 0 regions), comm/args, and
 * PYTHONHASHSEED from /proc/PID/environ into s->hints. Errors: CRV_ERR_VANISHED (no such
 * process, or a zombie), CRV_ERR_ATTACH (no permission; errmsg says what to do). */
crv_err crvi_space_open_pid(struct crv_space *s, int64_t pid);

/* Reads [addr, addr+len) of region r. Resident pages come from the process; pages that
 * are not resident come from the mapped file when never written, else read as zeros;
 * resident pages that cannot be read are zero-filled (s->late_hole_bytes). Returns fewer
 * than len only when the process is gone (s->vanished is then set). */
size_t crvi_proc_read(struct crv_space *s, const struct crv_region *r, uint64_t addr, void *buf,
                      size_t len);

/* Reads for another thread (the scanner's reader thread): its own pagemap buffer and
 * flags, the process's descriptors shared (pread and process_vm_readv only). new and free
 * on the space's thread; free adds its hole bytes and vanished flag to the space. read
 * works as crvi_proc_read without the small-read cache, and may run while the space's
 * thread reads too. */
struct crv_proc_reader;
struct crv_proc_reader *crvi_proc_reader_new(struct crv_space *s);
size_t crvi_proc_reader_read(struct crv_proc_reader *rd, const struct crv_region *r,
                             uint64_t addr, void *buf, size_t len);
void crvi_proc_reader_free(struct crv_space *s, struct crv_proc_reader *rd);

/* 1 while the process runs; 0 (and s->vanished set) once it exited. */
int crvi_proc_alive(struct crv_space *s);

void crvi_proc_close(struct crv_space *s);

/* Reads /proc/PID/NAME (at most cap - 1 bytes, NUL added); returns the length or -1 with
 * errno set. */
long crvi_proc_file(int64_t pid, const char *name, char *buf, size_t cap);

/* Why access to pid was refused, and what to do: one line into buf. */
void crvi_proc_perm_advice(int64_t pid, const char *what, int err, char *buf, size_t cap);

/* PYTHONHASHSEED from an environment block (NUL-separated "K=V"): fills the seed fields
 * of h (have_seed / seed, or seed_random for "random" and when unset). */
void crvi_hints_from_environ(struct crv_hints *h, const char *env, size_t len);

/* Whether a maps line path is one of the kernel's special mappings that are never read. */
int crvi_proc_skip_path(const char *path, size_t len);
#endif
