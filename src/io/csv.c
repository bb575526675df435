/* CSV records: a header row of lead names, then one row per sample with one
 * value per lead, in mV. A leading time column (t, time, time_s, sample) is
 * recognised and skipped; the rate is not in the file and is passed in.
 * Lines starting with '#' are comments. Empty fields and "nan" are missing
 * samples (NaN). Values are written with the fewest digits that read back as
 * the same float32, so a WFDB -> CSV -> WFDB trip loses nothing. */
#include "core/alloc.h"
#include "core/strutil.h"
#include "ecgx/outfile.h"
#include "io/io_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line of the input: [p, end) without the newline. */
typedef struct cursor {
    const char *p, *end;
    int lineno;
} cursor;

/* Next non-blank, non-comment line; 0 at the end of the text. */
static int next_line(cursor *c, const char *text_end, const char **ls, const char **le)
{
    while (c->p < text_end) {
        const char *s = c->p;
        const char *nl = memchr(s, '\n', (size_t)(text_end - s));
        const char *e = nl ? nl : text_end;
        c->p = nl ? nl + 1 : text_end;
        c->lineno++;
        while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) e--;
        const char *q = s;
        while (q < e && (*q == ' ' || *q == '\t')) q++;
        if (q == e || *q == '#') continue;
        *ls = s;
        *le = e;
        return 1;
    }
    return 0;
}

/* Copy field [s, e) trimmed and unquoted into out (size n). */
static void field_copy(const char *s, const char *e, char *out, size_t n)
{
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if (e - s >= 2 && *s == '"' && e[-1] == '"') { s++; e--; }
    size_t k = 0;
    for (; s < e && k + 1 < n; s++) {
        if (*s == '"' && s + 1 < e && s[1] == '"') s++; /* "" inside quotes */
        out[k++] = *s;
    }
    out[k] = '\0';
}

/* Split [s, e) at `sep` outside double quotes; calls back per field. Returns
 * the field count. */
static int split_fields(const char *s, const char *e, char sep, const char **fs, const char **fe, int max)
{
    int n = 0, quoted = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (p == e || (*p == sep && !quoted)) {
            if (n < max) { fs[n] = start; fe[n] = p; }
            n++;
            if (p == e) break;
            start = p + 1;
        } else if (*p == '"') {
            quoted = !quoted;
        }
    }
    return n;
}

static int is_time_column(const char *name)
{
    static const char *const names[] = {"t", "time", "time_s", "time(s)", "time [s]", "sample", "samples", "index"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcasecmp_ascii(name, names[i]) == 0) return 1;
    return 0;
}

static int parse_value(const char *s, const char *e, float *out)
{
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if (s == e) { *out = NAN; return 0; }
    char buf[64];
    size_t n = (size_t)(e - s);
    if (n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (strcasecmp_ascii(buf, "nan") == 0) { *out = NAN; return 0; }
    double v;
    /* doubles from FLT_MAX + half a float ulp up would become inf as a float */
    if (ecgx_parse_double(buf, &v) || fabs(v) >= 3.4028235677973366e+38) return -1;
    *out = (float)v;
    return 0;
}

int ecgx_csv_parse(const char *text, size_t len, double fs, const char *src, ecgx_record **out)
{
    *out = NULL;
    if (!(fs > 0) || fs > 1e6)
        return ecgx_error(ECGX_ERR_ARG, "%s: a CSV file carries no sampling rate; pass one in (0, 1e6] Hz (--fs)", src);
    const char *end = text + len;
    if (memchr(text, '\0', len)) return ecgx_error(ECGX_ERR_FORMAT, "%s: contains a NUL byte (not a text file?)", src);
    cursor c = {text, end, 0};
    const char *ls, *le;
    if (!next_line(&c, end, &ls, &le)) return ecgx_error(ECGX_ERR_FORMAT, "%s: empty CSV (no header row)", src);
    /* separator: comma, else tab, else semicolon */
    char sep = memchr(ls, ',', (size_t)(le - ls)) ? ',' : memchr(ls, '\t', (size_t)(le - ls)) ? '\t'
             : memchr(ls, ';', (size_t)(le - ls)) ? ';' : ',';
    enum { MAXF = ECGX_MAX_LEADS + 1 };
    const char *fs_[MAXF], *fe_[MAXF];
    int nf = split_fields(ls, le, sep, fs_, fe_, MAXF);
    if (nf > MAXF) return ecgx_error(ECGX_ERR_RANGE, "%s: line %d: %d columns, more than %d leads", src, c.lineno, nf, ECGX_MAX_LEADS);
    char names[MAXF][ECGX_NAME_MAX];
    for (int i = 0; i < nf; i++) field_copy(fs_[i], fe_[i], names[i], ECGX_NAME_MAX);
    for (int i = 0; i < nf; i++) {
        double dummy;
        if (!names[i][0]) return ecgx_error(ECGX_ERR_FORMAT, "%s: line %d: column %d has an empty name", src, c.lineno, i + 1);
        if (ecgx_parse_double(names[i], &dummy) == 0)
            return ecgx_error(ECGX_ERR_FORMAT, "%s: line %d: header row expected (lead names), found number '%s'",
                              src, c.lineno, names[i]);
    }
    int skip = is_time_column(names[0]) ? 1 : 0;
    int n_leads = nf - skip;
    if (n_leads < 1) return ecgx_error(ECGX_ERR_FORMAT, "%s: line %d: no lead columns", src, c.lineno);
    int header_line = c.lineno;
    /* count rows, then fill */
    cursor c2 = c;
    int64_t rows = 0;
    while (next_line(&c2, end, &ls, &le)) rows++;
    ecgx_record *rec = ecgx_record_new(n_leads, rows, fs);
    if (!rec) return ECGX_ERR_NOMEM;
    ecgx_path_stem(src, rec->name, sizeof rec->name);
    for (int i = 0; i < n_leads; i++) ecgx_record_set_lead(rec, i, names[i + skip], "mV");
    (void)header_line;
    for (int64_t r = 0; r < rows; r++) {
        next_line(&c, end, &ls, &le);
        int n = split_fields(ls, le, sep, fs_, fe_, MAXF);
        if (n != nf) {
            ecgx_record_free(rec);
            return ecgx_error(ECGX_ERR_FORMAT, "%s: line %d: %d fields, the header row has %d", src, c.lineno, n, nf);
        }
        for (int i = 0; i < n_leads; i++) {
            float v;
            if (parse_value(fs_[i + skip], fe_[i + skip], &v)) {
                char bad[48];
                field_copy(fs_[i + skip], fe_[i + skip], bad, sizeof bad);
                ecgx_record_free(rec);
                return ecgx_error(ECGX_ERR_FORMAT, "%s: line %d: column '%s': '%s' is not a number", src, c.lineno,
                                  names[i + skip], bad);
            }
            ecgx_record_lead(rec, i)[r] = v;
        }
    }
    *out = rec;
    return 0;
}

int ecgx_csv_read(const char *path, double fs, ecgx_record **out)
{
    *out = NULL;
    if (!(fs > 0) || fs > 1e6)
        return ecgx_error(ECGX_ERR_ARG, "%s: a CSV file carries no sampling rate; pass one in (0, 1e6] Hz (--fs)", path);
    char *text;
    size_t len;
    int rc = ecgx_read_file(path, ECGX_IO_TEXT_LIMIT, &text, &len);
    if (rc) return rc;
    rc = ecgx_csv_parse(text, len, fs, path, out);
    free(text);
    return rc;
}

/* Shortest %g form that reads back as the same float. */
static int format_float(char *buf, size_t n, float v)
{
    if (isnan(v)) return snprintf(buf, n, "NaN");
    for (int prec = 6; prec < 9; prec++) {
        int w = snprintf(buf, n, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v) return w;
    }
    return snprintf(buf, n, "%.9g", (double)v);
}

static void write_name(FILE *fp, const char *name)
{
    if (strpbrk(name, ",\"\n\r")) {
        fputc('"', fp);
        for (const char *p = name; *p; p++) {
            if (*p == '"') fputc('"', fp);
            fputc(*p, fp);
        }
        fputc('"', fp);
    } else {
        fputs(name, fp);
    }
}

int ecgx_csv_write(const char *path, const ecgx_record *rec)
{
    if (!rec || rec->n_leads < 1) return ecgx_error(ECGX_ERR_ARG, "%s: no record to write", path);
    ecgx_outfile f;
    int rc = ecgx_outfile_open(&f, path);
    if (rc) return rc;
    for (int i = 0; i < rec->n_leads; i++) {
        if (i) fputc(',', f.fp);
        char nm[ECGX_NAME_MAX];
        if (rec->leads[i].name[0]) ecgx_strlcpy(nm, rec->leads[i].name, sizeof nm);
        else snprintf(nm, sizeof nm, "sig%d", i);
        write_name(f.fp, nm);
    }
    fputc('\n', f.fp);
    char line[64];
    for (int64_t t = 0; t < rec->n_samples; t++) {
        for (int i = 0; i < rec->n_leads; i++) {
            int w = format_float(line, sizeof line, ecgx_record_lead(rec, i)[t]);
            if (i) fputc(',', f.fp);
            fwrite(line, 1, (size_t)w, f.fp);
        }
        fputc('\n', f.fp);
    }
    return ecgx_outfile_commit(&f);
}
