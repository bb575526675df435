/* ecgx — status codes, error reporting and small shared conventions.
 *
 * Every fallible function returns 0 on success or a negative ecgx_status.
 * The message that explains a failure (naming the file, field and value that
 * were wrong) is kept per thread and read with ecgx_last_error(). */
#ifndef ECGX_COMMON_H
#define ECGX_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ECGX_VERSION_MAJOR 0
#define ECGX_VERSION_MINOR 1
#define ECGX_VERSION_PATCH 0
#define ECGX_VERSION_STRING "0.1.0"

/* Marks a function as part of libecgx's public ABI. The library is built
 * with -fvisibility=hidden, so anything without this mark stays internal. */
#if defined(__GNUC__)
#define ECGX_API __attribute__((visibility("default")))
#else
#define ECGX_API
#endif

typedef enum ecgx_status {
    ECGX_OK = 0,
    ECGX_ERR_IO = -1,          /* a file could not be opened, read or written */
    ECGX_ERR_FORMAT = -2,      /* a file's content is malformed */
    ECGX_ERR_UNSUPPORTED = -3, /* well-formed, but a feature ecgx does not handle */
    ECGX_ERR_NOMEM = -4,       /* allocation failed or a size was absurd */
    ECGX_ERR_ARG = -5,         /* a caller passed an invalid argument */
    ECGX_ERR_RANGE = -6,       /* a value lies outside what makes sense */
    ECGX_ERR_STATE = -7        /* the call does not fit the object's state */
} ecgx_status;

/* The message describing the most recent failure on this thread ("" if none). */
const char *ecgx_last_error(void);

/* Set the thread's error message (printf-style) and return `status`, so a
 * failing path reads: return ecgx_error(ECGX_ERR_FORMAT, "%s: bad gain '%s'", path, s); */
int ecgx_error(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Clear the thread's error message. */
void ecgx_clear_error(void);

/* A short name for a status code ("format error", ...). */
const char *ecgx_status_name(int status);

const char *ecgx_version(void);

#ifdef __cplusplus
}
#endif
#endif
