/* Small locale-independent string helpers used by the parsers. */
#ifndef ECGX_CORE_STRUTIL_H
#define ECGX_CORE_STRUTIL_H

#include <stddef.h>
#include <stdint.h>

int strncasecmp_ascii(const char *a, const char *b, size_t n);
int strcasecmp_ascii(const char *a, const char *b);

/* Strict numeric parsing of a whole token: no trailing garbage, no overflow,
 * finite values only. Return 0 on success, -1 otherwise. */
int ecgx_parse_i64(const char *s, int64_t *out);
int ecgx_parse_int(const char *s, int *out);
int ecgx_parse_double(const char *s, double *out);

/* Trim leading and trailing blanks (space, tab, CR, LF) in place. */
char *ecgx_trim(char *s);

/* Copy at most n-1 bytes and always terminate. */
void ecgx_strlcpy(char *dst, const char *src, size_t n);

/* Final path component without extension: "/a/b/rec.hea" -> "rec". */
void ecgx_path_stem(const char *path, char *out, size_t n);
/* Directory part of a path: "/a/b/rec.hea" -> "/a/b", "rec" -> ".". */
void ecgx_path_dir(const char *path, char *out, size_t n);
/* Join dir and name into out (name absolute: name alone). -1 if too long. */
int ecgx_path_join(char *out, size_t n, const char *dir, const char *name);
int ecgx_ends_with(const char *s, const char *suffix);

#endif
