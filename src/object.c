/* SPDX-License-Identifier: MIT */
/* Names of the object enums, as they appear in every output format. */
#include "carver/object.h"

static const char *const type_names[CRV_OBJ_TYPE_COUNT] = {
    [CRV_OBJ_STR] = "str",
    [CRV_OBJ_BYTES] = "bytes",
    [CRV_OBJ_STR27] = "str",
    [CRV_OBJ_UNICODE27] = "unicode",
};

static const unsigned char type_is_text[CRV_OBJ_TYPE_COUNT] = {
    [CRV_OBJ_STR] = 1,
    [CRV_OBJ_BYTES] = 0,
    [CRV_OBJ_STR27] = 0,
    [CRV_OBJ_UNICODE27] = 1,
};

static const char *const hash_check_names[CRV_HASH_CHECK_COUNT] = {
    [CRV_HASH_UNVERIFIED] = "unverified",
    [CRV_HASH_MATCH] = "match",
    [CRV_HASH_MISMATCH] = "mismatch",
    [CRV_HASH_UNSET] = "unset",
};

static const char *const status_names[CRV_STATUS_COUNT] = {
    [CRV_STATUS_UNKNOWN] = "unknown",
    [CRV_STATUS_LIVE] = "live",
    [CRV_STATUS_FREED] = "freed",
};

/* Out-of-range values never index the tables; they get "?" (never NULL). */
const char *crv_obj_type_name(int type)
{
  if (type < 0 || type >= CRV_OBJ_TYPE_COUNT)
    return "?";
  return type_names[type];
}

int crv_obj_type_is_text(int type)
{
  if (type < 0 || type >= CRV_OBJ_TYPE_COUNT)
    return 0;
  return type_is_text[type];
}

const char *crv_hash_check_name(int check)
{
  if (check < 0 || check >= CRV_HASH_CHECK_COUNT)
    return "?";
  return hash_check_names[check];
}

const char *crv_status_name(int status)
{
  if (status < 0 || status >= CRV_STATUS_COUNT)
    return "?";
  return status_names[status];
}
