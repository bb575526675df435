/* Checked allocation. Sizes in ECG files are untrusted: a header that claims
 * 10^12 samples must produce an error, not an attempt to allocate 4 TB. */
#ifndef ECGX_CORE_ALLOC_H
#define ECGX_CORE_ALLOC_H

#include <stddef.h>

/* Largest single allocation ecgx makes on behalf of file content (8 GiB). */
#define ECGX_ALLOC_LIMIT ((size_t)8 << 30)

/* malloc/calloc of n*size bytes, refusing overflow and sizes above the
 * limit; on failure set ecgx_last_error (naming `what`) and return NULL. */
void *ecgx_malloc_array(size_t n, size_t size, const char *what);
void *ecgx_calloc_array(size_t n, size_t size, const char *what);

#endif
