#include "core/strutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

int strncasecmp_ascii(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = lower((unsigned char)a[i]), cb = lower((unsigned char)b[i]);
        if (ca != cb) return ca - cb;
        if (!ca) return 0;
    }
    return 0;
}

int strcasecmp_ascii(const char *a, const char *b) { return strncasecmp_ascii(a, b, (size_t)-1); }

int ecgx_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

int ecgx_parse_int(const char *s, int *out)
{
    int64_t v;
    if (ecgx_parse_i64(s, &v) || v < -2147483647LL || v > 2147483647LL) return -1;
    *out = (int)v;
    return 0;
}

int ecgx_parse_double(const char *s, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

char *ecgx_trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = '\0';
    return s;
}

void ecgx_strlcpy(char *dst, const char *src, size_t n)
{
    if (!n) return;
    size_t k = strlen(src);
    if (k >= n) k = n - 1;
    memcpy(dst, src, k);
    dst[k] = '\0';
}

void ecgx_path_stem(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    ecgx_strlcpy(out, base, n);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = '\0';
}

void ecgx_path_dir(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash) { ecgx_strlcpy(out, ".", n); return; }
    size_t k = (size_t)(slash - path);
    if (k == 0) k = 1; /* "/rec" -> "/" */
    if (k >= n) k = n - 1;
    memcpy(out, path, k);
    out[k] = '\0';
}

int ecgx_path_join(char *out, size_t n, const char *dir, const char *name)
{
    int w = name[0] == '/' || !dir || !*dir ? snprintf(out, n, "%s", name)
                                             : snprintf(out, n, "%s/%s", dir, name);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int ecgx_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}
