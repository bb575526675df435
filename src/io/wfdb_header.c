/* WFDB header (.hea) parsing: the record line, one line per signal, and the
 * comment lines PhysioNet/CinC Challenge headers use for age, sex and
 * diagnoses. Every field is checked; an error names the file, the line and
 * the field. */
#include "core/alloc.h"
#include "core/strutil.h"
#include "io/io_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 10

typedef struct line_ctx {
    const char *src;
    int lineno;
} line_ctx;

/* Split a line into at most `max` blank-separated tokens; the last token
 * keeps the rest of the line (a signal's description may contain blanks).
 * Returns the token count. */
static int split_tokens(char *s, char **tok, int max)
{
    int n = 0;
    while (*s && n < max) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        if (n == max - 1) { tok[n++] = ecgx_trim(s); break; }
        tok[n++] = s;
        while (*s && *s != ' ' && *s != '\t') s++;
        if (*s) *s++ = '\0';
    }
    return n;
}

static int field_error(const line_ctx *c, const char *field, const char *value, const char *why)
{
    return ecgx_error(ECGX_ERR_FORMAT, "%s: line %d: %s '%.40s' %s", c->src, c->lineno, field, value, why);
}

/* "fs[/counter_freq[(base_counter)]]" */
static int parse_frequency(const line_ctx *c, char *tok, wfdb_header *h)
{
    char *slash = strchr(tok, '/');
    if (slash) {
        *slash = '\0';
        char *cf = slash + 1, *paren = strchr(cf, '(');
        if (paren) {
            char *close = strchr(paren, ')');
            if (!close || close[1]) return field_error(c, "base counter", paren, "is malformed");
            *close = '\0';
            if (ecgx_parse_double(paren + 1, &h->base_counter))
                return field_error(c, "base counter", paren + 1, "is not a number");
            *paren = '\0';
        }
        if (ecgx_parse_double(cf, &h->counter_freq) || h->counter_freq < 0)
            return field_error(c, "counter frequency", cf, "is not a non-negative number");
    }
    if (ecgx_parse_double(tok, &h->fs) || !(h->fs > 0) || h->fs > 1e6)
        return field_error(c, "sampling frequency", tok, "is not a number in (0, 1e6] Hz");
    return 0;
}

static int parse_record_line(const line_ctx *c, char *line, wfdb_header *h)
{
    char *tok[MAX_TOKENS];
    int n = split_tokens(line, tok, 7);
    if (n < 2) return ecgx_error(ECGX_ERR_FORMAT, "%s: line %d: record line needs a name and a signal count", c->src, c->lineno);
    if (strchr(tok[0], '/'))
        return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: line %d: record '%.40s' is a multi-segment record, which ecgx does not read",
                          c->src, c->lineno, tok[0]);
    if (strlen(tok[0]) >= sizeof h->name) return field_error(c, "record name", tok[0], "is too long");
    ecgx_strlcpy(h->name, tok[0], sizeof h->name);
    if (ecgx_parse_int(tok[1], &h->n_sig)) return field_error(c, "signal count", tok[1], "is not an integer");
    if (h->n_sig == 0) return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: line %d: record has no signals", c->src, c->lineno);
    if (h->n_sig < 0 || h->n_sig > ECGX_MAX_LEADS) return field_error(c, "signal count", tok[1], "is outside 1..256");
    h->fs = 250; /* WFDB's default when the header leaves it out */
    if (n > 2 && parse_frequency(c, tok[2], h)) return ECGX_ERR_FORMAT;
    if (n > 3 && (ecgx_parse_i64(tok[3], &h->n_samples) || h->n_samples < 0))
        return field_error(c, "sample count", tok[3], "is not a non-negative integer");
    /* base time and date; WFDB writes the time first, the Challenge headers
     * the date first ("12-May-2020 12:33:59"): a token with ':' is the time.
     * Anything after them is not WFDB and is ignored. */
    for (int k = 4; k < n && k < 6; k++) {
        char *d = tok[k], *sp = d;
        while (*sp && *sp != ' ' && *sp != '\t') sp++;
        *sp = '\0';
        if (strchr(d, ':')) ecgx_strlcpy(h->base_time, d, sizeof h->base_time);
        else ecgx_strlcpy(h->base_date, d, sizeof h->base_date);
    }
    return 0;
}

/* "format[xspf][:skew][+offset]" */
static int parse_format(const line_ctx *c, char *tok, wfdb_signal *s)
{
    char *plus = strchr(tok, '+');
    s->spf = 1;
    if (plus) {
        *plus = '\0';
        if (ecgx_parse_i64(plus + 1, &s->offset) || s->offset < 0)
            return field_error(c, "byte offset", plus + 1, "is not a non-negative integer");
    }
    char *colon = strchr(tok, ':');
    if (colon) {
        *colon = '\0';
        if (ecgx_parse_int(colon + 1, &s->skew) || s->skew < 0 || s->skew > 1000000)
            return field_error(c, "skew", colon + 1, "is not an integer in 0..1000000");
    }
    char *x = strchr(tok, 'x');
    if (x) {
        *x = '\0';
        if (ecgx_parse_int(x + 1, &s->spf) || s->spf < 1)
            return field_error(c, "samples per frame", x + 1, "is not a positive integer");
    }
    if (ecgx_parse_int(tok, &s->format)) return field_error(c, "format", tok, "is not an integer");
    if (!ecgx_wfdb_format_known(s->format))
        return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: line %d: signal format %d is not supported "
                          "(ecgx reads 8, 16, 24, 32, 61, 80, 160, 212, 310, 311)", c->src, c->lineno, s->format);
    if (s->spf != 1)
        return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: line %d: %d samples per frame: ecgx reads one sample per frame only",
                          c->src, c->lineno, s->spf);
    return 0;
}

/* "gain[(baseline)][/units]" */
static int parse_gain(const line_ctx *c, char *tok, wfdb_signal *s, int *has_baseline)
{
    char *slash = strchr(tok, '/');
    if (slash) {
        *slash = '\0';
        const char *u = slash + 1;
        if (!*u || strlen(u) >= sizeof s->units) return field_error(c, "units", u, "is empty or too long");
        /* "mv" (as some Challenge headers write it) is the same unit as "mV" */
        ecgx_strlcpy(s->units, strcasecmp_ascii(u, "mv") == 0 ? "mV" : u, sizeof s->units);
    }
    char *paren = strchr(tok, '(');
    if (paren) {
        char *close = strchr(paren, ')');
        if (!close || close[1]) return field_error(c, "baseline", paren, "is malformed");
        *close = '\0';
        int b;
        if (ecgx_parse_int(paren + 1, &b)) return field_error(c, "baseline", paren + 1, "is not an integer");
        s->baseline = b;
        *has_baseline = 1;
        *paren = '\0';
    }
    if (ecgx_parse_double(tok, &s->gain)) return field_error(c, "gain", tok, "is not a number");
    if (s->gain == 0) s->gain = 200; /* WFDB: an unspecified gain means 200 adc units per mV */
    return 0;
}

static int parse_signal_line(const line_ctx *c, char *line, wfdb_signal *s)
{
    char *tok[MAX_TOKENS];
    int n = split_tokens(line, tok, 9);
    memset(s, 0, sizeof *s);
    s->gain = 200;
    s->spf = 1;
    ecgx_strlcpy(s->units, "mV", sizeof s->units);
    s->adc_res = 0;
    if (n < 2) return ecgx_error(ECGX_ERR_FORMAT, "%s: line %d: signal line needs a file name and a format", c->src, c->lineno);
    if (strlen(tok[0]) >= sizeof s->file) return field_error(c, "file name", tok[0], "is too long");
    if (strcmp(tok[0], "-") == 0)
        return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: line %d: signals on standard input ('-') are not supported", c->src, c->lineno);
    ecgx_strlcpy(s->file, tok[0], sizeof s->file);
    int rc = parse_format(c, tok[1], s);
    if (rc) return rc;
    int has_baseline = 0;
    if (n > 2 && parse_gain(c, tok[2], s, &has_baseline)) return ECGX_ERR_FORMAT;
    if (n > 3 && (ecgx_parse_int(tok[3], &s->adc_res) || s->adc_res < 0 || s->adc_res > 32))
        return field_error(c, "adc resolution", tok[3], "is not an integer in 0..32");
    if (n > 4 && ecgx_parse_int(tok[4], &s->adc_zero)) return field_error(c, "adc zero", tok[4], "is not an integer");
    if (n > 5 && ecgx_parse_int(tok[5], &s->init)) return field_error(c, "initial value", tok[5], "is not an integer");
    if (n <= 5) s->init = s->adc_zero; /* WFDB: the initial value defaults to adc zero */
    if (n > 6) {
        if (ecgx_parse_int(tok[6], &s->checksum)) return field_error(c, "checksum", tok[6], "is not an integer");
        s->has_checksum = 1;
    }
    if (n > 7 && (ecgx_parse_int(tok[7], &s->block_size) || s->block_size < 0))
        return field_error(c, "block size", tok[7], "is not a non-negative integer");
    if (n > 8) ecgx_strlcpy(s->desc, tok[8], sizeof s->desc);
    if (!has_baseline) s->baseline = s->adc_zero;
    return 0;
}

static int add_label(wfdb_header *h, const char *label)
{
    for (int i = 0; i < h->n_labels; i++)
        if (strcmp(h->labels[i], label) == 0) return 0;
    if (h->n_labels >= 4096) return 0; /* a header with more diagnoses is not a clinical record */
    char **l = realloc(h->labels, sizeof *l * (size_t)(h->n_labels + 1));
    if (!l) return ecgx_error(ECGX_ERR_NOMEM, "header: out of memory");
    h->labels = l;
    size_t n = strlen(label);
    char *copy = malloc(n + 1);
    if (!copy) return ecgx_error(ECGX_ERR_NOMEM, "header: out of memory");
    memcpy(copy, label, n + 1);
    h->labels[h->n_labels++] = copy;
    return 0;
}

/* Comment lines: "#Age: 63", "#Sex: Male", "#Dx: 164889003,59118001"
 * (Challenge), "#<age>: 51", "#<sex>: F" (LUDB). Others are free text. */
static int parse_comment(char *text, wfdb_header *h)
{
    char *colon = strchr(text, ':');
    if (!colon) {
        /* MIT-BIH style: "# 69 M 1085 1629 x1" (age, sex, then other codes) */
        int age;
        char sex[4], rest;
        if (h->age < 0 && h->sex == ECGX_SEX_UNKNOWN && sscanf(text, "%d %3s%c", &age, sex, &rest) == 3 &&
            (rest == ' ' || rest == '\t') && age > 0 && age < 120 && (!strcmp(sex, "M") || !strcmp(sex, "F"))) {
            h->age = age;
            h->sex = sex[0] == 'M' ? ECGX_SEX_MALE : ECGX_SEX_FEMALE;
        }
        return 0;
    }
    *colon = '\0';
    char key[32];
    size_t k = 0;
    for (const char *p = text; *p && k + 1 < sizeof key; p++)
        if (*p != '<' && *p != '>' && *p != ' ' && *p != '\t') key[k++] = (char)tolower((unsigned char)*p);
    key[k] = '\0';
    char *value = ecgx_trim(colon + 1);
    if (strcmp(key, "age") == 0) {
        double a;
        if (ecgx_parse_double(value, &a) == 0 && a >= 0 && a <= 150) h->age = a;
    } else if (strcmp(key, "sex") == 0) {
        if (strcasecmp_ascii(value, "male") == 0 || strcasecmp_ascii(value, "m") == 0) h->sex = ECGX_SEX_MALE;
        else if (strcasecmp_ascii(value, "female") == 0 || strcasecmp_ascii(value, "f") == 0) h->sex = ECGX_SEX_FEMALE;
    } else if (strcmp(key, "dx") == 0) {
        char *save = NULL;
        for (char *t = strtok_r(value, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            t = ecgx_trim(t);
            if (*t && add_label(h, t)) return ECGX_ERR_NOMEM;
        }
    }
    return 0;
}

void ecgx_wfdb_header_free(wfdb_header *h)
{
    if (!h) return;
    free(h->sig);
    for (int i = 0; i < h->n_labels; i++) free(h->labels[i]);
    free(h->labels);
    memset(h, 0, sizeof *h);
    h->age = -1;
}

/* Signals that share a file must be listed together and share a format:
 * that is how WFDB interleaves them into frames. */
static int check_groups(const char *src, const wfdb_header *h)
{
    for (int i = 1; i < h->n_sig; i++) {
        const wfdb_signal *s = &h->sig[i];
        if (strcmp(s->file, h->sig[i - 1].file) == 0) {
            if (s->format != h->sig[i - 1].format)
                return ecgx_error(ECGX_ERR_FORMAT, "%s: signal %d: format %d differs from format %d of the other signals in %s",
                                  src, i + 1, s->format, h->sig[i - 1].format, s->file);
            continue;
        }
        for (int j = 0; j < i - 1; j++)
            if (strcmp(h->sig[j].file, s->file) == 0)
                return ecgx_error(ECGX_ERR_FORMAT, "%s: signal %d: signals of file %s are not listed together",
                                  src, i + 1, s->file);
    }
    return 0;
}

int ecgx_wfdb_header_parse(const char *text, size_t len, const char *src, wfdb_header *h)
{
    memset(h, 0, sizeof *h);
    h->age = -1;
    if (len > ((size_t)1 << 24))
        return ecgx_error(ECGX_ERR_RANGE, "%s: %zu bytes is too long for a header", src, len);
    char *buf = malloc(len + 1);
    if (!buf) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", src);
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        free(buf);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: header contains a NUL byte (not a text file?)", src);
    }
    int rc = 0, have_record = 0, n_read = 0;
    line_ctx c = {src, 0};
    for (char *p = buf; p && !rc;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        c.lineno++;
        char *line = ecgx_trim(p);
        p = nl ? nl + 1 : NULL;
        if (!*line) continue;
        if (*line == '#') {
            if ((rc = parse_comment(line + 1, h))) break;
            continue;
        }
        if (!have_record) {
            if ((rc = parse_record_line(&c, line, h))) break;
            have_record = 1;
            h->sig = ecgx_calloc_array((size_t)h->n_sig, sizeof *h->sig, "header signals");
            if (!h->sig) { rc = ECGX_ERR_NOMEM; break; }
        } else if (n_read < h->n_sig) {
            rc = parse_signal_line(&c, line, &h->sig[n_read]);
            if (!rc) n_read++;
        }
        /* further non-comment lines: WFDB ignores them (segment lists only in multi-segment headers) */
    }
    free(buf);
    if (!rc && !have_record) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: no record line (empty header?)", src);
    if (!rc && n_read < h->n_sig)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: record line says %d signals, header has %d signal lines", src, h->n_sig, n_read);
    if (!rc) rc = check_groups(src, h);
    if (rc) {
        ecgx_wfdb_header_free(h);
        return rc < 0 ? rc : ECGX_ERR_FORMAT;
    }
    return 0;
}
