/* SPDX-License-Identifier: MIT */
/* The only place carver's error strings live. */
#include "carver/error.h"

static const char *const messages[CRV_ERR_LAST] = {
    [CRV_OK] = "no error",
    [CRV_ERR_NOMEM] = "out of memory",
    [CRV_ERR_INVALID_ARG] = "invalid argument",
    [CRV_ERR_OPEN] = "cannot open input",
    [CRV_ERR_ATTACH] = "no permission to read the process",
    [CRV_ERR_READ] = "read error",
    [CRV_ERR_FORMAT] = "malformed input",
    [CRV_ERR_UNSUPPORTED] = "no CPython interpreter recognised in the input",
    [CRV_ERR_REGEX] = "bad regular expression",
    [CRV_ERR_OUTPUT] = "cannot write output",
    [CRV_ERR_LIMIT] = "a limit was hit",
    [CRV_ERR_ABORTED] = "interrupted",
    [CRV_ERR_VANISHED] = "the process does not exist or exited",
};

const char *crv_strerror(crv_err e)
{
  if ((unsigned)e >= CRV_ERR_LAST || messages[e] == 0)
    return "unknown error";
  return messages[e];
}
