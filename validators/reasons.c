/* SPDX-License-Identifier: MIT */
#include "validators.h"
#include "carver/object.h"

_Static_assert(CRV_R_COUNT <= CRV_MAX_REASONS, "reason codes must fit crv_summary");

static const char *const names[CRV_R_COUNT] = {
    [CRV_VALID] = "valid",
    [CRV_R_SHORT] = "header-unreadable",
    [CRV_R_LENGTH] = "length-negative",
    [CRV_R_OVER_CAP] = "length-over-cap",
    [CRV_R_INTERNED] = "interned-range",
    [CRV_R_KIND] = "kind",
    [CRV_R_NOT_READY] = "not-ready",
    [CRV_R_ASCII_KIND] = "ascii-kind",
    [CRV_R_WSTR] = "wstr",
    [CRV_R_UTF8] = "utf8",
    [CRV_R_DATA_PTR] = "data-pointer",
    [CRV_R_NUL] = "nul-terminator",
    [CRV_R_NOT_CANONICAL] = "kind-not-canonical",
    [CRV_R_CODEPOINT] = "code-point-range",
    [CRV_R_HASH] = "hash-mismatch",
    [CRV_R_SSTATE] = "sstate-range",
    [CRV_R_DATA_SHORT] = "data-unreadable",
    [CRV_R_HASH_ZERO] = "hash-zero",
    [CRV_R_STATIC_FREED] = "image-object-not-live",
    [CRV_R_CHUNK_SIZE] = "chunk-size",
    [CRV_R_HASH_POINTER] = "hash-is-type-pointer",
};

const char *crv_reason_name(int reason)
{
  if (reason < 0 || reason >= CRV_R_COUNT || !names[reason])
    return "unknown";
  return names[reason];
}
