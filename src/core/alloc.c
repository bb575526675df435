#include "core/alloc.h"
#include "ecgx/common.h"

#include <stdint.h>
#include <stdlib.h>

static int size_ok(size_t n, size_t size, const char *what)
{
    if (size && n > ECGX_ALLOC_LIMIT / size) {
        ecgx_error(ECGX_ERR_NOMEM, "%s: %zu x %zu bytes is more than ecgx will allocate", what, n, size);
        return 0;
    }
    return 1;
}

void *ecgx_malloc_array(size_t n, size_t size, const char *what)
{
    if (!size_ok(n, size, what)) return NULL;
    size_t bytes = n * size;
    void *p = malloc(bytes ? bytes : 1);
    if (!p) ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory (%zu bytes)", what, n * size);
    return p;
}

void *ecgx_calloc_array(size_t n, size_t size, const char *what)
{
    if (!size_ok(n, size, what)) return NULL;
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory (%zu bytes)", what, n * size);
    return p;
}
