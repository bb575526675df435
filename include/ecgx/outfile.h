/* Crash-safe output files: everything is written to a temporary file beside
 * the target and renamed over it only when complete, so a crash, a full disk
 * or an error never leaves half a file under the real name. */
#ifndef ECGX_OUTFILE_H
#define ECGX_OUTFILE_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ecgx_outfile {
    FILE *fp;
    char path[4096];
    char tmp[4096];
} ecgx_outfile;

/* Open a temporary file next to `path` for writing. */
int ecgx_outfile_open(ecgx_outfile *f, const char *path);
/* Flush, check every write succeeded, close and rename onto the target. On
 * failure the temporary is removed and the target left untouched. */
int ecgx_outfile_commit(ecgx_outfile *f);
/* Discard: close and remove the temporary (safe to call after commit). */
void ecgx_outfile_abort(ecgx_outfile *f);

/* Write a whole buffer to `path` atomically. */
int ecgx_write_file_atomic(const char *path, const void *data, size_t n);
/* Read a whole file (at most max_bytes) into a malloc'd, NUL-terminated
 * buffer. */
int ecgx_read_file(const char *path, size_t max_bytes, char **data, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
