/* SPDX-License-Identifier: MIT */
/* Page blobs as an address space: a Rekall-style tree of compressed pages
 * (DIR/segmentN/slotM.dmp) or single blob files, decompressed into memory and laid out as
 * regions of the space (CRV_BACK_MEM), so that every scanner and detector runs unchanged.
 *
 * Pages carry no address of their own. A page keeps its original address when
 *   - a sidecar file DIR/wkdm-addresses.txt names it: lines "PATH ADDRESS [REGION]" (PATH
 *     relative to DIR, ADDRESS hex; REGION, e.g. the dump file the page came from, groups
 *     pages into regions; '#' starts a comment), or
 *   - its base name is the address: 0xADDRESS, optionally followed by ".extension".
 * Every other page gets a synthetic address: consecutive pages, in natural name order
 * (segment2 before segment10), from CRV_WKDM_SYNTH_BASE or above every known address.
 * Pages with consecutive addresses and the same REGION form one region, so objects that
 * straddle pages are read across them; with synthetic addresses that is right only when
 * the blobs happen to be stored in address order.
 *
 * Objects are reported by blob and offset: crvi_wkdm_page_at() maps an address back to the
 * blob (its path relative to the input directory) and the offset inside its page. */
#ifndef CARVER_WKDM_PAGES_H
#define CARVER_WKDM_PAGES_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "carver/error.h"
#include "scan/scan.h"
#include "source/space.h"
#include "wkdm.h"

#define CRV_WKDM_SIDECAR "wkdm-addresses.txt"
/* Synthetic page addresses start here (16 TiB): above the executable, heap and shared
 * library mappings of any 32-bit process and below the x86-64 mmap area (0x7f...). */
#define CRV_WKDM_SYNTH_BASE 0x100000000000ull

struct crv_wkdm_page {
  uint64_t addr;   /* original (when known) or synthetic address of the page */
  char *name;      /* blob path relative to its input directory, or the file as given */
  uint32_t label;  /* index into labels, or UINT32_MAX */
  uint8_t kind;    /* enum crv_wkdm_kind */
  uint8_t known;   /* addr came from the sidecar or the blob's name */
};

struct crv_wkdm_set {
  struct crv_wkdm_page *p; /* decoded pages, sorted by address */
  size_t n, cap;
  uint8_t *mem;            /* page k at mem + k * 4096 */
  char **labels;           /* REGION names from sidecars */
  size_t n_labels, labels_cap;
  size_t n_known;          /* pages with an original address */
  uint64_t by_kind[CRV_WKDM_KIND_COUNT];
  uint64_t failed;         /* blobs that did not decode (skipped) */
  uint64_t by_error[CRV_WKDM_E_COUNT];
  uint64_t blob_bytes;     /* compressed bytes read */
  char *maps;              /* DIR/maps of the first directory holding one, or NULL */
};

void crvi_wkdm_set_init(struct crv_wkdm_set *set);
void crvi_wkdm_set_free(struct crv_wkdm_set *set);

/* Reads every blob under the inputs (directories, walked recursively, or blob files),
 * decompresses them (variant as for crvi_wkdm_decode_slot; blobs that do not decode are
 * skipped with a warning and counted) and adds the pages to s as memory regions, then
 * crvi_space_finish(s). The set must outlive s. Errors: CRV_ERR_OPEN (an input or blob
 * unreadable), CRV_ERR_FORMAT (a malformed sidecar line, two blobs for one address, or
 * no page decoded), CRV_ERR_LIMIT, CRV_ERR_NOMEM; s->errmsg says which. */
crv_err crvi_wkdm_load(struct crv_wkdm_set *set, struct crv_space *s, char *const *inputs,
                       size_t n_inputs, int variant);

/* The interpreter's type objects in pages with synthetic addresses (pagetypes.c): the
 * page-relative search described there. CRV_ERR_UNSUPPORTED when none is recognised. */
crv_err crvi_wkdm_find_types(const struct crv_wkdm_set *set, struct crv_space *s,
                             struct crv_pytypes *out, const volatile sig_atomic_t *stop);

/* The page holding addr, or NULL. */
const struct crv_wkdm_page *crvi_wkdm_page_at(const struct crv_wkdm_set *set, uint64_t addr);
#endif
