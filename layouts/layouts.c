/* SPDX-License-Identifier: MIT */
/* The layout table: one entry per CPython version and architecture, built from shared
 * per-family offset blocks. Evidence tags refer to shared/reference/cpython-layouts.md:
 * [E] measured on real builds, [H] compiled offsetof against real headers, [S] source text. */
#include <string.h>
#include "layout.h"

/* ---- PyObject headers and PyTypeObject offsets (§1.1, §1.3, §7.1) ---- */
static const struct crv_header_layout hdr_gil_lp64 = {
    .name = "gil-lp64", .ptr_size = 8, .off_refcnt = 0, .off_type = 8, .off_size = 16,
    .tp_name = 24, .tp_basicsize = 32, .tp_itemsize = 40, .tp_flags = 168}; /* [E] */
static const struct crv_header_layout hdr_gil_ilp32 = {
    .name = "gil-ilp32", .ptr_size = 4, .off_refcnt = 0, .off_type = 4, .off_size = 8,
    .tp_name = 12, .tp_basicsize = 16, .tp_itemsize = 20, .tp_flags = 84}; /* [E] */
static const struct crv_header_layout hdr_trace_lp64 = {
    /* Py_TRACE_REFS (2.7 debug builds): _ob_next/_ob_prev precede the header [E 2.7d] */
    .name = "trace-refs-lp64", .ptr_size = 8, .off_refcnt = 16, .off_type = 24, .off_size = 32,
    .tp_name = 40, .tp_basicsize = 48, .tp_itemsize = 56, .tp_flags = 184};
static const struct crv_header_layout hdr_ft_lp64 = {
    .name = "ft-lp64", .ptr_size = 8, .off_refcnt = 0, .off_type = 24, .off_size = 32,
    .free_threaded = 1, .tp_name = 40, .tp_basicsize = 48, .tp_itemsize = 56,
    .tp_flags = 184}; /* [H] */
static const struct crv_header_layout hdr_ft_ilp32 = {
    .name = "ft-ilp32", .ptr_size = 4, .off_refcnt = 0, .off_type = 16, .off_size = 20,
    .free_threaded = 1, .tp_name = 24, .tp_basicsize = 28, .tp_itemsize = 32,
    .tp_flags = 96}; /* [H] */

static const struct crv_header_layout *const headers[] = {
    &hdr_gil_lp64, &hdr_gil_ilp32, &hdr_trace_lp64, &hdr_ft_lp64, &hdr_ft_ilp32,
};

/* ---- PEP 393 str (§4.1, §4.2) ---- */
#define GIL_STATE_BITS                                                                   \
  .interned_shift = 0, .interned_mask = 3, .kind_shift = 2, .compact_bit = 5, .ascii_bit = 6
static const struct crv_pep393_layout str_33_lp64 = { /* 3.3-3.11 [E 3.6-3.11] */
    .off_length = 16, .off_hash = 24, .off_state = 32, .off_wstr = 40, .off_wstr_length = 64,
    .off_utf8_length = 48, .off_utf8 = 56, .ascii_data = 48, .compact_data = 72,
    .off_data_any = 72, .basicsize = 80, GIL_STATE_BITS, .ready_bit = 7,
    .static_bit = CRV_NO_BIT};
static const struct crv_pep393_layout str_33_ilp32 = { /* [E 3.9 i386] */
    .off_length = 8, .off_hash = 12, .off_state = 16, .off_wstr = 20, .off_wstr_length = 32,
    .off_utf8_length = 24, .off_utf8 = 28, .ascii_data = 24, .compact_data = 36,
    .off_data_any = 36, .basicsize = 40, GIL_STATE_BITS, .ready_bit = 7,
    .static_bit = CRV_NO_BIT};
static const struct crv_pep393_layout str_312_lp64 = { /* 3.12-3.15 [E] */
    .off_length = 16, .off_hash = 24, .off_state = 32, .off_wstr = CRV_NO_FIELD,
    .off_wstr_length = CRV_NO_FIELD, .off_utf8_length = 40, .off_utf8 = 48, .ascii_data = 40,
    .compact_data = 56, .off_data_any = 56, .basicsize = 64, GIL_STATE_BITS,
    .ready_bit = CRV_NO_BIT, .static_bit = 7};
static const struct crv_pep393_layout str_312_ilp32 = { /* [E 3.14/3.15 i386] */
    .off_length = 8, .off_hash = 12, .off_state = 16, .off_wstr = CRV_NO_FIELD,
    .off_wstr_length = CRV_NO_FIELD, .off_utf8_length = 20, .off_utf8 = 24, .ascii_data = 20,
    .compact_data = 28, .off_data_any = 28, .basicsize = 32, GIL_STATE_BITS,
    .ready_bit = CRV_NO_BIT, .static_bit = 7};
/* Free-threaded: 3.13t keeps the GIL bit masks; 3.14t+ makes `interned` a whole byte and
 * moves the bit fields to bits 8-13 [H]. */
#define FT_LP64_OFFSETS                                                                  \
  .off_length = 32, .off_hash = 40, .off_state = 48, .off_wstr = CRV_NO_FIELD,           \
  .off_wstr_length = CRV_NO_FIELD, .off_utf8_length = 56, .off_utf8 = 64, .ascii_data = 56, \
  .compact_data = 72, .off_data_any = 72, .basicsize = 80
#define FT_ILP32_OFFSETS                                                                 \
  .off_length = 20, .off_hash = 24, .off_state = 28, .off_wstr = CRV_NO_FIELD,           \
  .off_wstr_length = CRV_NO_FIELD, .off_utf8_length = 32, .off_utf8 = 36, .ascii_data = 32, \
  .compact_data = 40, .off_data_any = 40, .basicsize = 44
#define FT314_STATE_BITS                                                                 \
  .interned_shift = 0, .interned_mask = 0xFF, .kind_shift = 8, .compact_bit = 11,        \
  .ascii_bit = 12, .ready_bit = CRV_NO_BIT, .static_bit = 13
static const struct crv_pep393_layout str_313t_lp64 = {
    FT_LP64_OFFSETS, GIL_STATE_BITS, .ready_bit = CRV_NO_BIT, .static_bit = 7};
static const struct crv_pep393_layout str_314t_lp64 = {FT_LP64_OFFSETS, FT314_STATE_BITS};
static const struct crv_pep393_layout str_313t_ilp32 = {
    FT_ILP32_OFFSETS, GIL_STATE_BITS, .ready_bit = CRV_NO_BIT, .static_bit = 7};
static const struct crv_pep393_layout str_314t_ilp32 = {FT_ILP32_OFFSETS, FT314_STATE_BITS};

/* ---- Buffered unicode: 2.7 unicode, 3.0-3.2 str (§2.2, §2.3) ---- */
static const struct crv_ubuf_layout ubuf_27_lp64 = { /* [E] */
    .off_length = 16, .off_str = 24, .off_hash = 32, .off_defenc = 40,
    .off_state = CRV_NO_FIELD, .basicsize = 48, .unit = 4};
static const struct crv_ubuf_layout ubuf_27_ilp32 = { /* [E] */
    .off_length = 8, .off_str = 12, .off_hash = 16, .off_defenc = 20,
    .off_state = CRV_NO_FIELD, .basicsize = 24, .unit = 4};
static const struct crv_ubuf_layout ubuf_27d_lp64 = { /* TRACE_REFS: every offset +16 [E] */
    .off_length = 32, .off_str = 40, .off_hash = 48, .off_defenc = 56,
    .off_state = CRV_NO_FIELD, .basicsize = 64, .unit = 4};
static const struct crv_ubuf_layout ubuf_30_lp64 = { /* [S], not run */
    .off_length = 16, .off_str = 24, .off_hash = 32, .off_defenc = 48, .off_state = 40,
    .basicsize = 56, .unit = 4};
static const struct crv_ubuf_layout ubuf_30_ilp32 = { /* [S], not run */
    .off_length = 8, .off_str = 12, .off_hash = 16, .off_defenc = 24, .off_state = 20,
    .basicsize = 28, .unit = 4};

/* ---- bytes and 2.7 str (§2.1, §3) ---- */
static const struct crv_bytes_layout str27_lp64 = {
    .off_size = 16, .off_hash = 24, .off_sval = 36, .off_sstate = 32, .basicsize = 37}; /* [E] */
static const struct crv_bytes_layout str27_ilp32 = {
    .off_size = 8, .off_hash = 12, .off_sval = 20, .off_sstate = 16, .basicsize = 21}; /* [E] */
static const struct crv_bytes_layout str27d_lp64 = {
    .off_size = 32, .off_hash = 40, .off_sval = 52, .off_sstate = 48, .basicsize = 53}; /* [E] */
static const struct crv_bytes_layout bytes_lp64 = {
    .off_size = 16, .off_hash = 24, .off_sval = 32, .off_sstate = CRV_NO_FIELD,
    .basicsize = 33}; /* [E] */
static const struct crv_bytes_layout bytes_ilp32 = {
    .off_size = 8, .off_hash = 12, .off_sval = 16, .off_sstate = CRV_NO_FIELD,
    .basicsize = 17}; /* [E] */
static const struct crv_bytes_layout bytes_ft_lp64 = {
    .off_size = 32, .off_hash = 40, .off_sval = 48, .off_sstate = CRV_NO_FIELD,
    .basicsize = 49}; /* [H] */
static const struct crv_bytes_layout bytes_ft_ilp32 = {
    .off_size = 20, .off_hash = 24, .off_sval = 28, .off_sstate = CRV_NO_FIELD,
    .basicsize = 29}; /* [H] */

enum family {
  FAM_27_LP64 = 1, FAM_27_ILP32, FAM_27D_LP64, FAM_30_LP64, FAM_30_ILP32, FAM_33_LP64,
  FAM_33_ILP32, FAM_312_LP64, FAM_312_ILP32, FAM_313T_LP64, FAM_314T_LP64, FAM_313T_ILP32,
  FAM_314T_ILP32,
};

#define PY2(idv, pyv, archv, ver, hdrv, ubufv, bytesv, fam, famname)                      \
  {.id = idv, .python = pyv, .arch = archv, .version = ver, .hdr = hdrv,                   \
   .str_name = "unicode", .bytes_name = "str", .ubuf = ubufv, .bytes = bytesv,             \
   .bytes_is_str27 = 1, .hash = CRV_HASHALG_FNV27, .interned_max = 2,                      \
   .immortal = CRV_IMMORTAL_NONE, .family = fam, .family_name = famname}
#define PY30(idv, pyv, archv, ver, hdrv, ubufv, bytesv, fam)                                \
  {.id = idv, .python = pyv, .arch = archv, .version = ver, .hdr = hdrv, .str_name = "str", \
   .bytes_name = "bytes", .ubuf = ubufv, .bytes = bytesv, .hash = CRV_HASHALG_FNV27,        \
   .interned_max = 2, .immortal = CRV_IMMORTAL_NONE, .family = fam,                         \
   .family_name = "3.0-3.2"}
#define PY3(idv, pyv, archv, ver, hdrv, strv, bytesv, hashv, imax, imm, fam, famname)       \
  {.id = idv, .python = pyv, .arch = archv, .version = ver, .hdr = hdrv, .str_name = "str", \
   .bytes_name = "bytes", .pep393 = strv, .bytes = bytesv, .hash = hashv,                   \
   .interned_max = imax, .immortal = imm, .family = fam, .family_name = famname}

#define X64 "x86_64"
#define X86 "i386"
#define SIP24 CRV_HASHALG_SIP24
#define SIP13 CRV_HASHALG_SIP13
#define FNV CRV_HASHALG_FNV27
#define NOIMM CRV_IMMORTAL_NONE
#define LOW32 CRV_IMMORTAL_LOW32
#define FLAGS CRV_IMMORTAL_FLAGS
#define FTIMM CRV_IMMORTAL_FT

static const struct crv_layout layouts[] = {
    PY2("cpython-2.7-x86_64", "2.7", X64, 0x0207, &hdr_gil_lp64, &ubuf_27_lp64, &str27_lp64,
        FAM_27_LP64, "2.7"),
    PY2("cpython-2.7-i386", "2.7", X86, 0x0207, &hdr_gil_ilp32, &ubuf_27_ilp32, &str27_ilp32,
        FAM_27_ILP32, "2.7"),
    PY2("cpython-2.7d-x86_64", "2.7", X64, 0x0207, &hdr_trace_lp64, &ubuf_27d_lp64,
        &str27d_lp64, FAM_27D_LP64, "2.7 (debug)"),
    PY30("cpython-3.0-x86_64", "3.0", X64, 0x0300, &hdr_gil_lp64, &ubuf_30_lp64, &bytes_lp64,
         FAM_30_LP64),
    PY30("cpython-3.1-x86_64", "3.1", X64, 0x0301, &hdr_gil_lp64, &ubuf_30_lp64, &bytes_lp64,
         FAM_30_LP64),
    PY30("cpython-3.2-x86_64", "3.2", X64, 0x0302, &hdr_gil_lp64, &ubuf_30_lp64, &bytes_lp64,
         FAM_30_LP64),
    PY30("cpython-3.0-i386", "3.0", X86, 0x0300, &hdr_gil_ilp32, &ubuf_30_ilp32, &bytes_ilp32,
         FAM_30_ILP32),
    PY30("cpython-3.1-i386", "3.1", X86, 0x0301, &hdr_gil_ilp32, &ubuf_30_ilp32, &bytes_ilp32,
         FAM_30_ILP32),
    PY30("cpython-3.2-i386", "3.2", X86, 0x0302, &hdr_gil_ilp32, &ubuf_30_ilp32, &bytes_ilp32,
         FAM_30_ILP32),
#define PY33_64(v, s, h) PY3("cpython-" v "-x86_64", v, X64, s, &hdr_gil_lp64, &str_33_lp64, \
                             &bytes_lp64, h, 2, NOIMM, FAM_33_LP64, "3.3-3.11")
#define PY33_32(v, s, h) PY3("cpython-" v "-i386", v, X86, s, &hdr_gil_ilp32, &str_33_ilp32, \
                             &bytes_ilp32, h, 2, NOIMM, FAM_33_ILP32, "3.3-3.11")
    PY33_64("3.3", 0x0303, FNV),   PY33_64("3.4", 0x0304, SIP24), PY33_64("3.5", 0x0305, SIP24),
    PY33_64("3.6", 0x0306, SIP24), PY33_64("3.7", 0x0307, SIP24), PY33_64("3.8", 0x0308, SIP24),
    PY33_64("3.9", 0x0309, SIP24), PY33_64("3.10", 0x030a, SIP24),
    PY33_64("3.11", 0x030b, SIP13),
    PY33_32("3.3", 0x0303, FNV),   PY33_32("3.4", 0x0304, SIP24), PY33_32("3.5", 0x0305, SIP24),
    PY33_32("3.6", 0x0306, SIP24), PY33_32("3.7", 0x0307, SIP24), PY33_32("3.8", 0x0308, SIP24),
    PY33_32("3.9", 0x0309, SIP24), PY33_32("3.10", 0x030a, SIP24),
    PY33_32("3.11", 0x030b, SIP13),
#define PY312_64(v, s, imm) PY3("cpython-" v "-x86_64", v, X64, s, &hdr_gil_lp64,          \
                                &str_312_lp64, &bytes_lp64, SIP13, 3, imm, FAM_312_LP64,   \
                                "3.12-3.15")
#define PY312_32(v, s, imm) PY3("cpython-" v "-i386", v, X86, s, &hdr_gil_ilp32,           \
                                &str_312_ilp32, &bytes_ilp32, SIP13, 3, imm, FAM_312_ILP32, \
                                "3.12-3.15")
    PY312_64("3.12", 0x030c, LOW32), PY312_64("3.13", 0x030d, LOW32),
    PY312_64("3.14", 0x030e, FLAGS), PY312_64("3.15", 0x030f, FLAGS),
    PY312_32("3.12", 0x030c, LOW32), PY312_32("3.13", 0x030d, LOW32),
    PY312_32("3.14", 0x030e, FLAGS), PY312_32("3.15", 0x030f, FLAGS),
    PY3("cpython-3.13t-x86_64", "3.13t", X64, 0x030d, &hdr_ft_lp64, &str_313t_lp64,
        &bytes_ft_lp64, SIP13, 3, FTIMM, FAM_313T_LP64, "3.13t"),
    PY3("cpython-3.14t-x86_64", "3.14t", X64, 0x030e, &hdr_ft_lp64, &str_314t_lp64,
        &bytes_ft_lp64, SIP13, 3, FTIMM, FAM_314T_LP64, "3.14t-3.15t"),
    PY3("cpython-3.15t-x86_64", "3.15t", X64, 0x030f, &hdr_ft_lp64, &str_314t_lp64,
        &bytes_ft_lp64, SIP13, 3, FTIMM, FAM_314T_LP64, "3.14t-3.15t"),
    PY3("cpython-3.13t-i386", "3.13t", X86, 0x030d, &hdr_ft_ilp32, &str_313t_ilp32,
        &bytes_ft_ilp32, SIP13, 3, FTIMM, FAM_313T_ILP32, "3.13t"),
    PY3("cpython-3.14t-i386", "3.14t", X86, 0x030e, &hdr_ft_ilp32, &str_314t_ilp32,
        &bytes_ft_ilp32, SIP13, 3, FTIMM, FAM_314T_ILP32, "3.14t-3.15t"),
    PY3("cpython-3.15t-i386", "3.15t", X86, 0x030f, &hdr_ft_ilp32, &str_314t_ilp32,
        &bytes_ft_ilp32, SIP13, 3, FTIMM, FAM_314T_ILP32, "3.14t-3.15t"),
};

size_t crvi_layout_count(void)
{
  return sizeof layouts / sizeof layouts[0];
}

const struct crv_layout *crvi_layout_at(size_t i)
{
  return i < crvi_layout_count() ? &layouts[i] : NULL;
}

size_t crvi_header_count(void)
{
  return sizeof headers / sizeof headers[0];
}

const struct crv_header_layout *crvi_header_at(size_t i)
{
  return i < crvi_header_count() ? headers[i] : NULL;
}

const struct crv_layout *crvi_layout_find(const char *python, unsigned ptr_size, int free_threaded)
{
  for (size_t i = 0; i < crvi_layout_count(); i++) {
    const struct crv_layout *l = &layouts[i];
    if (strcmp(l->python, python) != 0 || l->hdr->ptr_size != ptr_size)
      continue;
    if (!!l->hdr->free_threaded != !!free_threaded)
      continue;
    if (l->hdr == &hdr_trace_lp64)
      continue; /* debug builds are chosen from their type objects, never by name */
    return l;
  }
  return NULL;
}

int crvi_layout_basicsize_family(const struct crv_header_layout *h, int text, uint64_t basicsize,
                                 uint64_t itemsize)
{
  for (size_t i = 0; i < crvi_layout_count(); i++) {
    const struct crv_layout *l = &layouts[i];
    if (l->hdr->ptr_size != h->ptr_size || l->hdr->off_type != h->off_type)
      continue;
    uint64_t want = text ? (l->pep393 ? l->pep393->basicsize : l->ubuf->basicsize)
                         : l->bytes->basicsize;
    if (want == basicsize && itemsize == (text ? 0u : 1u))
      return l->bytes_is_str27 ? 2 : 1;
  }
  return 0;
}

size_t crvi_layout_text_header_len(const struct crv_layout *l)
{
  if (l->pep393)
    return l->pep393->basicsize; /* covers every field up to data.any */
  return l->ubuf->basicsize;
}

size_t crvi_layout_bytes_header_len(const struct crv_layout *l)
{
  return l->bytes->off_sval;
}
