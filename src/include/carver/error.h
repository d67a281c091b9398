/* SPDX-License-Identifier: MIT */
/* carver error codes. Append only: never renumber or reuse a value. */
#ifndef CARVER_ERROR_H
#define CARVER_ERROR_H

typedef enum crv_err {
  CRV_OK = 0,
  CRV_ERR_NOMEM = 1,       /* an allocation failed                          */
  CRV_ERR_INVALID_ARG = 2, /* a caller passed a bad value                   */
  CRV_ERR_OPEN = 3,        /* a dump file could not be opened or read       */
  CRV_ERR_ATTACH = 4,      /* a live process's memory may not be read       */
  CRV_ERR_READ = 5,        /* a read failed inside a region                 */
  CRV_ERR_FORMAT = 6,      /* malformed dump name, maps line or input       */
  CRV_ERR_UNSUPPORTED = 7, /* no CPython interpreter recognised             */
  CRV_ERR_REGEX = 8,       /* a regular expression failed to compile        */
  CRV_ERR_OUTPUT = 9,      /* writing findings failed (disk full, EPIPE)    */
  CRV_ERR_LIMIT = 10,      /* a cap from src/util/limits.h was hit          */
  CRV_ERR_ABORTED = 11,    /* interrupted (signal) or stopped by a callback */
  CRV_ERR_VANISHED = 12,   /* the live process is gone or never existed    */
  CRV_ERR_LAST             /* never use */
} crv_err;

/* A one-line description of e; static storage, never NULL. */
const char *crv_strerror(crv_err e);

#endif
