/* Thread-local error messages: the library never prints, it explains. */
#include "ecgx/common.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

const char *ecgx_last_error(void) { return last_error; }

void ecgx_clear_error(void) { last_error[0] = '\0'; }

int ecgx_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

const char *ecgx_status_name(int status)
{
    switch (status) {
    case ECGX_OK: return "ok";
    case ECGX_ERR_IO: return "I/O error";
    case ECGX_ERR_FORMAT: return "format error";
    case ECGX_ERR_UNSUPPORTED: return "unsupported";
    case ECGX_ERR_NOMEM: return "out of memory";
    case ECGX_ERR_ARG: return "invalid argument";
    case ECGX_ERR_RANGE: return "out of range";
    case ECGX_ERR_STATE: return "invalid state";
    default: return "unknown error";
    }
}

const char *ecgx_version(void) { return ECGX_VERSION_STRING; }
