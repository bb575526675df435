/* ecgx compare — two models' predictions on the same records: per class
 * AUROC of each with bootstrap intervals, their difference and DeLong's test. */
#include "cli.h"
#include "ecgx/eval.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ecgx compare --a PRED.csv --b PRED.csv --truth LABELS.csv [options]\n\n"
            "Compare two models' predictions on the same records: per class the AUROC of A and\n"
            "of B with bootstrap percentile intervals, the difference A - B with DeLong's 95 %%\n"
            "interval and two-sided p-value (correlated ROC curves, Sun & Xu's fast algorithm).\n\n"
            "  --a FILE          predictions of model A: header record,<class>,... then one row per record\n"
            "  --b FILE          predictions of model B (same form; rows and columns in any order)\n"
            "  --truth FILE      truth: header record,<class>,... then 0/1 per class; every truth record\n"
            "                    and class must be present in both prediction files\n"
            "  --bootstrap N     bootstrap resamples (default 1000, 0 for none)\n"
            "  --seed N          PRNG seed for the resampling (default 1)\n"
            "  --json            machine-readable output\n");
}

/* "0.912 [0.880, 0.941]", or "n/a" when the class lacks positives or negatives */
static void fmt_auc(char *buf, size_t n, double auc, ecgx_interval ci)
{
    if (!isfinite(auc)) snprintf(buf, n, "n/a");
    else if (!isfinite(ci.lo)) snprintf(buf, n, "%.3f", auc);
    else snprintf(buf, n, "%.3f [%.3f, %.3f]", auc, ci.lo, ci.hi);
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

int cmd_compare(int argc, char **argv)
{
    const char *pa = NULL, *pb = NULL, *pt = NULL;
    int json = 0, nboot = 1000, seed = 1, err = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if ((r = cli_opt("compare", argc, argv, &i, "--a", &pa))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("compare", argc, argv, &i, "--b", &pb))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("compare", argc, argv, &i, "--truth", &pt))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("compare", argc, argv, &i, "--bootstrap", &nboot, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("compare", argc, argv, &i, "--seed", &seed, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if (strcmp(argv[i], "--json") == 0) { json = 1; continue; }
        return cli_usage_error("compare", "unknown argument '%s'", argv[i]);
    }
    if (!pa || !pb || !pt) return cli_usage_error("compare", "--a, --b and --truth are required");
    if (cli_check_int("compare", "--bootstrap", nboot, 0, 100000)) return EXIT_USAGE;

    int rc = EXIT_BAD_INPUT;
    ecgx_eval_table *ta = NULL, *tb = NULL, *tt = NULL;
    double *sa = NULL, *sb = NULL;
    uint8_t *la = NULL, *lb = NULL;
    ecgx_eval_result *ra = NULL, *rb = NULL;
    ecgx_delong *dl = NULL;
    if (ecgx_eval_table_read(pa, &ta) || ecgx_eval_table_read(pb, &tb) || ecgx_eval_table_read(pt, &tt) ||
        ecgx_eval_align(ta, pa, tt, pt, &sa, &la) || ecgx_eval_align(tb, pb, tt, pt, &sb, &lb)) {
        rc = cli_fail("compare");
        goto done;
    }
    int C = tt->n_classes;
    int64_t n = tt->n_rows;
    ecgx_eval_options opt;
    ecgx_eval_options_default(&opt);
    opt.n_bootstrap = nboot;
    opt.seed = (uint64_t)seed;
    if (ecgx_eval_multilabel(sa, la, n, C, &opt, &ra) || ecgx_eval_multilabel(sb, lb, n, C, &opt, &rb)) {
        rc = cli_fail("compare");
        goto done;
    }
    dl = calloc((size_t)C, sizeof *dl);
    double *ca = malloc((size_t)n * sizeof *ca), *cb = malloc((size_t)n * sizeof *cb);
    uint8_t *cl = malloc((size_t)n);
    if (!dl || !ca || !cb || !cl) { free(ca); free(cb); free(cl); fprintf(stderr, "ecgx compare: out of memory\n"); goto done; }
    for (int c = 0; c < C; c++) {
        for (int64_t i = 0; i < n; i++) {
            ca[i] = sa[(size_t)i * C + c];
            cb[i] = sb[(size_t)i * C + c];
            cl[i] = la[(size_t)i * C + c];
        }
        if (ecgx_eval_delong(ca, cb, cl, n, &dl[c])) {
            dl[c].auc_a = dl[c].auc_b = dl[c].diff = dl[c].z = dl[c].p_value = NAN;
            dl[c].var_a = dl[c].var_b = dl[c].cov_ab = NAN;
        }
    }
    free(ca); free(cb); free(cl);

    if (json) {
        cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "classes");
        cJSON_AddNumberToObject(root, "records", (double)n);
        cJSON_AddNumberToObject(root, "bootstrap", nboot);
        cJSON_AddNumberToObject(root, "seed", seed);
        for (int c = 0; c < C; c++) {
            cJSON *o = cJSON_CreateObject();
            const ecgx_eval_class *A = &ra->classes[c], *B = &rb->classes[c];
            double se = sqrt(dl[c].var_a + dl[c].var_b - 2 * dl[c].cov_ab);
            cJSON_AddStringToObject(o, "class", tt->classes[c]);
            cJSON_AddNumberToObject(o, "positives", (double)A->n_pos);
            cJSON_AddNumberToObject(o, "negatives", (double)A->n_neg);
            cJSON_AddItemToObject(o, "auroc_a", num(A->s.auroc));
            cJSON_AddItemToObject(o, "auroc_a_ci", cJSON_CreateDoubleArray((double[]){A->s.auroc_ci.lo, A->s.auroc_ci.hi}, 2));
            cJSON_AddItemToObject(o, "auroc_b", num(B->s.auroc));
            cJSON_AddItemToObject(o, "auroc_b_ci", cJSON_CreateDoubleArray((double[]){B->s.auroc_ci.lo, B->s.auroc_ci.hi}, 2));
            cJSON_AddItemToObject(o, "difference", num(dl[c].diff));
            cJSON_AddItemToObject(o, "difference_ci", cJSON_CreateDoubleArray((double[]){dl[c].diff - 1.959963984540054 * se, dl[c].diff + 1.959963984540054 * se}, 2));
            cJSON_AddItemToObject(o, "delong_z", num(dl[c].z));
            cJSON_AddItemToObject(o, "delong_p", num(dl[c].p_value));
            cJSON_AddNumberToObject(o, "bootstrap_skipped", A->n_skipped);
            cJSON_AddItemToArray(arr, o);
        }
        cJSON_AddItemToObject(root, "macro_auroc_a", num(ra->macro.auroc));
        cJSON_AddItemToObject(root, "macro_auroc_a_ci", cJSON_CreateDoubleArray((double[]){ra->macro.auroc_ci.lo, ra->macro.auroc_ci.hi}, 2));
        cJSON_AddItemToObject(root, "macro_auroc_b", num(rb->macro.auroc));
        cJSON_AddItemToObject(root, "macro_auroc_b_ci", cJSON_CreateDoubleArray((double[]){rb->macro.auroc_ci.lo, rb->macro.auroc_ci.hi}, 2));
        char *s = cJSON_Print(root);
        if (s) { puts(s); free(s); }
        cJSON_Delete(root);
    } else {
        printf("%lld records, %d classes; A = %s, B = %s; bootstrap %d resamples (seed %d)\n\n", (long long)n, C, pa,
               pb, nboot, seed);
        printf("%-16s %6s  %-22s %-22s %8s  %-18s %9s\n", "class", "pos", "AUROC A [95% CI]", "AUROC B [95% CI]",
               "A - B", "DeLong 95% CI", "p");
        for (int c = 0; c < C; c++) {
            const ecgx_eval_class *A = &ra->classes[c], *B = &rb->classes[c];
            double se = sqrt(dl[c].var_a + dl[c].var_b - 2 * dl[c].cov_ab);
            char p[32];
            if (isnan(dl[c].p_value)) snprintf(p, sizeof p, "n/a");
            else if (dl[c].p_value < 1e-4) snprintf(p, sizeof p, "<0.0001");
            else snprintf(p, sizeof p, "%.4f", dl[c].p_value);
            char sa_[40], sb_[40], sd_[40];
            fmt_auc(sa_, sizeof sa_, A->s.auroc, A->s.auroc_ci);
            fmt_auc(sb_, sizeof sb_, B->s.auroc, B->s.auroc_ci);
            if (isfinite(dl[c].diff) && isfinite(se))
                snprintf(sd_, sizeof sd_, "%+7.3f  [%+.3f, %+.3f]", dl[c].diff, dl[c].diff - 1.959964 * se, dl[c].diff + 1.959964 * se);
            else
                snprintf(sd_, sizeof sd_, "%7s  %-16s", "n/a", "");
            printf("%-16s %6lld  %-22s %-22s %s  %9s\n", tt->classes[c], (long long)A->n_pos, sa_, sb_, sd_, p);
        }
        char ma[40], mb[40];
        fmt_auc(ma, sizeof ma, ra->macro.auroc, ra->macro.auroc_ci);
        fmt_auc(mb, sizeof mb, rb->macro.auroc, rb->macro.auroc_ci);
        printf("%-16s %6s  %-22s %-22s %+7.3f\n", "macro", "", ma, mb, ra->macro.auroc - rb->macro.auroc);
        int skipped = 0;
        for (int c = 0; c < C; c++) skipped += ra->classes[c].n_skipped;
        if (skipped)
            printf("\nbootstrap resamples without a positive or a negative were skipped: %d (class-resample pairs)\n",
                   skipped);
    }
    rc = EXIT_OK;
done:
    ecgx_eval_table_free(ta); ecgx_eval_table_free(tb); ecgx_eval_table_free(tt);
    free(sa); free(sb); free(la); free(lb); free(dl);
    ecgx_eval_result_free(ra); ecgx_eval_result_free(rb);
    return rc;
}
