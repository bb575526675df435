/* Choosing a reader or writer from the path: ".csv" is CSV, anything else
 * is a WFDB record ("rec", "rec.hea", "rec.dat"; a Challenge "rec.mat" is
 * read through its header). */
#include "core/strutil.h"
#include "io/io_internal.h"

#include <string.h>

static int has_ext(const char *path, const char *ext)
{
    size_t a = strlen(path), b = strlen(ext);
    return a > b && strcasecmp_ascii(path + a - b, ext) == 0;
}

int ecgx_record_read_ex(const char *path, double csv_fs, ecgx_record **out, ecgx_read_info *info)
{
    if (!out) return ecgx_error(ECGX_ERR_ARG, "ecgx_record_read: out is NULL");
    *out = NULL;
    if (!path || !*path) return ecgx_error(ECGX_ERR_ARG, "ecgx_record_read: empty path");
    if (has_ext(path, ".csv")) {
        if (info) {
            memset(info, 0, sizeof *info);
            ecgx_strlcpy(info->format, "csv", sizeof info->format);
        }
        return ecgx_csv_read(path, csv_fs, out);
    }
    return ecgx_wfdb_read(path, out, info);
}

int ecgx_record_read(const char *path, ecgx_record **out)
{
    return ecgx_record_read_ex(path, 0, out, NULL);
}

int ecgx_record_write(const char *path, const ecgx_record *rec)
{
    if (!path || !*path) return ecgx_error(ECGX_ERR_ARG, "ecgx_record_write: empty path");
    if (has_ext(path, ".csv")) return ecgx_csv_write(path, rec);
    return ecgx_wfdb_write(path, rec, 0);
}
