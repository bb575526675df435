#include "ecgx/outfile.h"
#include "ecgx/common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ecgx_outfile_open(ecgx_outfile *f, const char *path)
{
    memset(f, 0, sizeof *f);
    if (snprintf(f->path, sizeof f->path, "%s", path) >= (int)sizeof f->path ||
        snprintf(f->tmp, sizeof f->tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof f->tmp)
        return ecgx_error(ECGX_ERR_ARG, "%s: path too long", path);
    int fd = mkstemp(f->tmp);
    if (fd < 0) {
        f->tmp[0] = '\0';
        return ecgx_error(ECGX_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    }
    /* mkstemp creates 0600; output files should be as readable as any other. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        close(fd);
        unlink(f->tmp);
        f->tmp[0] = '\0';
        return ecgx_error(ECGX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    return 0;
}

int ecgx_outfile_commit(ecgx_outfile *f)
{
    if (!f->fp) return ecgx_error(ECGX_ERR_STATE, "%s: output not open", f->path);
    int bad = ferror(f->fp) || fflush(f->fp) != 0;
    int err = errno;
    if (fclose(f->fp) != 0 && !bad) { bad = 1; err = errno; }
    f->fp = NULL;
    if (!bad && rename(f->tmp, f->path) != 0) { bad = 1; err = errno; }
    if (bad) {
        unlink(f->tmp);
        f->tmp[0] = '\0';
        return ecgx_error(ECGX_ERR_IO, "%s: write failed: %s", f->path, strerror(err));
    }
    f->tmp[0] = '\0';
    return 0;
}

void ecgx_outfile_abort(ecgx_outfile *f)
{
    if (f->fp) fclose(f->fp);
    f->fp = NULL;
    if (f->tmp[0]) unlink(f->tmp);
    f->tmp[0] = '\0';
}

int ecgx_write_file_atomic(const char *path, const void *data, size_t n)
{
    ecgx_outfile f;
    int rc = ecgx_outfile_open(&f, path);
    if (rc) return rc;
    if (n && fwrite(data, 1, n, f.fp) != n) {
        ecgx_outfile_abort(&f);
        return ecgx_error(ECGX_ERR_IO, "%s: write failed", path);
    }
    return ecgx_outfile_commit(&f);
}

int ecgx_read_file(const char *path, size_t max_bytes, char **data, size_t *n)
{
    *data = NULL;
    if (n) *n = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ecgx_error(ECGX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return ecgx_error(ECGX_ERR_IO, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        fclose(fp);
        return ecgx_error(ECGX_ERR_RANGE, "%s: file is %lld bytes, more than the %zu allowed", path,
                          (long long)st.st_size, max_bytes);
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    if (!buf) { fclose(fp); return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path); }
    size_t got = fread(buf, 1, size, fp);
    int bad = ferror(fp);
    fclose(fp);
    if (bad || got != size) { free(buf); return ecgx_error(ECGX_ERR_IO, "%s: read failed", path); }
    buf[size] = '\0';
    *data = buf;
    if (n) *n = size;
    return 0;
}
