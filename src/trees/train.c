/* Training: one binary XGBoost model per class, class weights, early
 * stopping on the validation split, and recursive feature elimination by
 * mean |SHAP| scored by validation AUROC. */
#include "trees/internal.h"
#include "ecgx/eval.h"
#include "core/alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecgx_trees_options_default(ecgx_trees_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->num_rounds = 1000;
    opt->early_stopping = 50;
    opt->class_weights = 1;
    opt->rfe = 1;
    opt->rfe_drop = 0.3;
    opt->rfe_min = 1;
    opt->rfe_tolerance = 0.005;
    opt->train_split = "train";
    opt->val_split = "val";
}

int ecgx_trees_options_set(ecgx_trees_options *opt, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || !eq[1]) return ecgx_error(ECGX_ERR_ARG, "trees: parameter '%s' is not key=value", kv);
    size_t kl = (size_t)(eq - kv);
    if (kl >= 64 || strlen(eq + 1) >= 64) return ecgx_error(ECGX_ERR_ARG, "trees: parameter '%s' is too long", kv);
    int k = 0;
    while (k < opt->n_params && (strlen(opt->params[k][0]) != kl || strncmp(opt->params[k][0], kv, kl))) k++;
    if (k == ECGX_TREES_MAX_PARAMS) return ecgx_error(ECGX_ERR_ARG, "trees: more than %d parameters", ECGX_TREES_MAX_PARAMS);
    snprintf(opt->params[k][0], 64, "%.*s", (int)kl, kv);
    snprintf(opt->params[k][1], 64, "%s", eq + 1);
    if (k == opt->n_params) opt->n_params++;
    return 0;
}

double ecgx_trees_target(const ecgx_trees *m, int c, const ecgx_trees_table *t, int row)
{
    const trees_class *k = &m->cls[c];
    if (k->source_class < 0 || k->source_class >= t->n_classes) return NAN;
    double v = t->y[(size_t)row * t->n_classes + k->source_class];
    if (!isfinite(v)) return NAN;
    if (isfinite(m->age_threshold)) return v >= m->age_threshold ? 1.0 : 0.0;
    return v;
}

/* A feature may not be the target itself (sex from sex, age from age). */
static int excluded(const char *label_set, const char *col)
{
    if (label_set && !strcmp(label_set, "sex") && !strcmp(col, "sex_female")) return 1;
    if (label_set && !strcmp(label_set, "age") && !strcmp(col, "age_years")) return 1;
    return 0;
}

typedef struct fit_result {
    BoosterHandle bst;
    int best_iteration;
    double auroc;
    int nf;
    int *feat;
} fit_result;

/* Train on the feature subset feat and score on validation. */
static int fit_subset(const ecgx_trees_table *t, const ecgx_trees_options *opt, double spw, const int *tr, int ntr,
                      const float *ytr, const int *va, int nva, const float *yva, const int *feat, int nf,
                      fit_result *r)
{
    char **names = malloc(sizeof *names * (size_t)nf);
    if (!names) return ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
    for (int j = 0; j < nf; j++) names[j] = t->cols[feat[j]];
    DMatrixHandle dtr = NULL, dva = NULL;
    int rc = trees_dmatrix(t->x, t->n_cols, tr, ntr, feat, nf, ytr, names, &dtr);
    if (!rc) rc = trees_dmatrix(t->x, t->n_cols, va, nva, feat, nf, yva, names, &dva);
    if (!rc) rc = trees_fit(opt, spw, dtr, dva, &r->bst, &r->best_iteration);
    double *p = NULL;
    uint8_t *lab = NULL;
    if (!rc) {
        p = malloc(sizeof *p * (size_t)nva);
        lab = malloc((size_t)nva);
        if (!p || !lab) rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
    }
    if (!rc) rc = trees_predict_dm(r->bst, dva, 1, (size_t)nva, p);
    if (!rc) {
        for (int i = 0; i < nva; i++) lab[i] = yva[i] > 0.5f;
        rc = ecgx_eval_auroc(p, lab, nva, &r->auroc);
    }
    free(p);
    free(lab);
    free(names);
    if (dtr) XGDMatrixFree(dtr);
    if (dva) XGDMatrixFree(dva);
    if (rc && r->bst) { XGBoosterFree(r->bst); r->bst = NULL; }
    return rc;
}

/* Mean |SHAP| of each feature over the training rows. */
static int mean_abs_shap(const ecgx_trees_table *t, BoosterHandle bst, const int *tr, int ntr, const int *feat, int nf,
                         double *imp)
{
    DMatrixHandle d = NULL;
    int rc = trees_dmatrix(t->x, t->n_cols, tr, ntr, feat, nf, NULL, NULL, &d);
    double *phi = rc ? NULL : malloc(sizeof *phi * (size_t)ntr * (nf + 1));
    if (!rc && !phi) rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
    if (!rc) rc = trees_predict_dm(bst, d, 2, (size_t)ntr * (nf + 1), phi);
    for (int j = 0; !rc && j < nf; j++) {
        double s = 0;
        for (int i = 0; i < ntr; i++) s += fabs(phi[(size_t)i * (nf + 1) + j]);
        imp[j] = s / ntr;
    }
    free(phi);
    if (d) XGDMatrixFree(d);
    return rc;
}

typedef struct ranked { int col; double imp; } ranked;
static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->imp != y->imp) return x->imp > y->imp ? -1 : 1;
    return x->col - y->col; /* stable: table order among ties */
}

static int train_class(const ecgx_trees *m, const ecgx_trees_table *t, const ecgx_trees_options *opt, int src,
                       trees_class *k)
{
    int n = t->n_rows, K = t->n_classes, rc = 0;
    int *tr = malloc(sizeof *tr * (size_t)n), *va = malloc(sizeof *va * (size_t)n);
    float *ytr = malloc(sizeof *ytr * (size_t)n), *yva = malloc(sizeof *yva * (size_t)n);
    int *feat = malloc(sizeof *feat * (size_t)(t->n_cols + 1));
    fit_result *steps = calloc((size_t)t->n_cols + 2, sizeof *steps);
    ranked *rk = malloc(sizeof *rk * (size_t)(t->n_cols + 1));
    double *imp = malloc(sizeof *imp * (size_t)(t->n_cols + 1));
    int ntr = 0, nva = 0, npos = 0, nvpos = 0, nsteps = 0;
    if (!tr || !va || !ytr || !yva || !feat || !steps || !rk || !imp) { rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); goto done; }
    int split_tr = !strcmp(opt->train_split, "val") ? ECGX_SPLIT_VAL : !strcmp(opt->train_split, "test") ? ECGX_SPLIT_TEST : ECGX_SPLIT_TRAIN;
    int split_va = !strcmp(opt->val_split, "train") ? ECGX_SPLIT_TRAIN : !strcmp(opt->val_split, "test") ? ECGX_SPLIT_TEST : ECGX_SPLIT_VAL;
    for (int i = 0; i < n; i++) {
        double v = t->y[(size_t)i * K + src];
        if (!isfinite(v)) continue; /* unknown label: not in this class's data */
        float y = isfinite(m->age_threshold) ? (v >= m->age_threshold) : (float)v;
        if (t->split[i] == split_tr) { tr[ntr] = i; ytr[ntr++] = y; npos += y > 0.5f; }
        else if (t->split[i] == split_va) { va[nva] = i; yva[nva++] = y; nvpos += y > 0.5f; }
    }
    if (npos == 0 || npos == ntr || nvpos == 0 || nvpos == nva) {
        rc = ecgx_error(ECGX_ERR_ARG, "trees: class %s has %d of %d positives in %s and %d of %d in %s: needs both kinds in each",
                        k->name, npos, ntr, opt->train_split, nvpos, nva, opt->val_split);
        goto done;
    }
    k->n_pos = npos;
    k->n_neg = ntr - npos;
    k->scale_pos_weight = (double)(ntr - npos) / npos;
    /* start from every column measured in at least one training record */
    int nf = 0;
    for (int c = 0; c < t->n_cols; c++) {
        if (excluded(m->label_set, t->cols[c])) continue;
        int any = 0;
        for (int i = 0; i < ntr && !any; i++) any = isfinite(t->x[(size_t)tr[i] * t->n_cols + c]);
        if (any) feat[nf++] = c;
    }
    if (nf == 0) { rc = ecgx_error(ECGX_ERR_ARG, "trees: class %s: no feature is measured in any training record", k->name); goto done; }
    for (;;) {
        fit_result *r = &steps[nsteps];
        r->nf = nf;
        r->feat = malloc(sizeof *r->feat * (size_t)nf);
        if (!r->feat) { rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); goto done; }
        memcpy(r->feat, feat, sizeof *feat * (size_t)nf);
        if ((rc = fit_subset(t, opt, k->scale_pos_weight, tr, ntr, ytr, va, nva, yva, feat, nf, r))) goto done;
        nsteps++;
        if (!opt->quiet)
            fprintf(stderr, "trees: %s: %d features, val AUROC %.4f, best iteration %d\n", k->name, nf, r->auroc,
                    r->best_iteration);
        if (!opt->rfe || nf <= (opt->rfe_min > 1 ? opt->rfe_min : 1)) break;
        if ((rc = mean_abs_shap(t, r->bst, tr, ntr, feat, nf, imp))) goto done;
        for (int j = 0; j < nf; j++) rk[j] = (ranked){feat[j], imp[j]};
        qsort(rk, (size_t)nf, sizeof *rk, cmp_ranked);
        int drop = (int)ceil(opt->rfe_drop * nf);
        if (drop < 1) drop = 1;
        int keep = nf - drop;
        if (keep < (opt->rfe_min > 1 ? opt->rfe_min : 1)) keep = opt->rfe_min > 1 ? opt->rfe_min : 1;
        /* keep the survivors in table order so the file reads like the table */
        nf = 0;
        for (int c = 0; c < t->n_cols; c++)
            for (int j = 0; j < keep; j++) if (rk[j].col == c) { feat[nf++] = c; break; }
    }
    /* the chosen subset: the smallest within tolerance of the best AUROC */
    double best = -1;
    for (int s = 0; s < nsteps; s++) if (steps[s].auroc > best) best = steps[s].auroc;
    int pick = 0;
    for (int s = 0; s < nsteps; s++)
        if (steps[s].auroc >= best - opt->rfe_tolerance && steps[s].nf <= steps[pick].nf) pick = s;
    fit_result *r = &steps[pick];
    k->bst = r->bst;
    r->bst = NULL;
    k->best_iteration = r->best_iteration;
    k->val_auroc = r->auroc;
    k->nf = r->nf;
    k->features = calloc((size_t)r->nf, sizeof *k->features);
    k->n_rfe = nsteps;
    k->rfe_nf = malloc(sizeof *k->rfe_nf * (size_t)nsteps);
    k->rfe_auroc = malloc(sizeof *k->rfe_auroc * (size_t)nsteps);
    if (!k->features || !k->rfe_nf || !k->rfe_auroc) { rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); goto done; }
    for (int j = 0; j < r->nf; j++)
        if (!(k->features[j] = strdup(t->cols[r->feat[j]]))) { rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); goto done; }
    for (int s = 0; s < nsteps; s++) { k->rfe_nf[s] = steps[s].nf; k->rfe_auroc[s] = steps[s].auroc; }
    /* names inside XGBoost's own model too, for anyone who loads it elsewhere */
    if (XGBoosterSetStrFeatureInfo(k->bst, "feature_name", (const char **)k->features, (bst_ulong)k->nf)) {
        rc = trees_xgb_error("feature names");
        goto done;
    }
    /* the decision threshold: Youden's on the validation probabilities */
    {
        DMatrixHandle d = NULL;
        double *p = malloc(sizeof *p * (size_t)nva);
        uint8_t *lab = malloc((size_t)nva);
        if (!p || !lab) rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
        if (!rc) rc = trees_dmatrix(t->x, t->n_cols, va, nva, r->feat, r->nf, NULL, NULL, &d);
        if (!rc) rc = trees_predict_dm(k->bst, d, 0, (size_t)nva, p);
        for (int i = 0; !rc && i < nva; i++) lab[i] = yva[i] > 0.5f;
        if (!rc) rc = ecgx_eval_choose_threshold(p, lab, nva, ECGX_THRESHOLD_YOUDEN, 0, &k->threshold);
        if (d) XGDMatrixFree(d);
        free(p);
        free(lab);
    }
done:
    for (int s = 0; s < nsteps + 1 && steps; s++) {
        if (steps[s].bst) XGBoosterFree(steps[s].bst);
        free(steps[s].feat);
    }
    free(tr); free(va); free(ytr); free(yva); free(feat); free(steps); free(rk); free(imp);
    return rc;
}

int ecgx_trees_train(const ecgx_trees_table *t, const ecgx_trees_options *opt_in, double age_threshold,
                     ecgx_trees **out)
{
    *out = NULL;
    ecgx_trees_options opt;
    if (opt_in) opt = *opt_in;
    else ecgx_trees_options_default(&opt);
    if (!opt.train_split) opt.train_split = "train";
    if (!opt.val_split) opt.val_split = "val";
    if (!t || t->n_rows < 1 || t->n_classes < 1) return ecgx_error(ECGX_ERR_ARG, "trees: an empty table");
    if (opt.num_rounds < 1 || opt.num_rounds > 100000) return ecgx_error(ECGX_ERR_ARG, "trees: num_rounds %d outside 1..100000", opt.num_rounds);
    if (!(opt.rfe_drop > 0 && opt.rfe_drop < 1)) return ecgx_error(ECGX_ERR_ARG, "trees: rfe drop fraction %g outside (0, 1)", opt.rfe_drop);
    int is_age = t->label_set && !strcmp(t->label_set, "age");
    if (is_age && !isfinite(age_threshold))
        return ecgx_error(ECGX_ERR_ARG, "trees: the label set 'age' is a number; give an age threshold (years) for a binary target");
    ecgx_trees *m = calloc(1, sizeof *m);
    if (!m) return ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
    m->opt = opt;
    m->opt.train_split = m->opt.val_split = NULL;
    m->age_threshold = is_age ? age_threshold : NAN;
    m->label_set = strdup(t->label_set ? t->label_set : "");
    m->n_classes = t->n_classes;
    m->cls = calloc((size_t)t->n_classes, sizeof *m->cls);
    int rc = !m->label_set || !m->cls ? ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory") : 0;
    for (int c = 0; !rc && c < t->n_classes; c++) {
        char nm[96];
        if (is_age) snprintf(nm, sizeof nm, "age>=%g", age_threshold);
        else snprintf(nm, sizeof nm, "%s", t->classes[c]);
        m->cls[c].name = strdup(nm);
        m->cls[c].source_class = c;
        if (!m->cls[c].name) rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
    }
    /* classes are independent: one per thread (each booster single-threaded
     * unless nthread says otherwise); the first failure's message is kept */
    int first_bad = -1;
    char msg[512] = "";
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < t->n_classes; c++) {
        int failed;
#pragma omp atomic read
        failed = rc;
        if (failed) continue; /* one class failed: the others need not finish */
        int r = train_class(m, t, &opt, c, &m->cls[c]);
        if (r) {
#pragma omp critical(trees_train_error)
            if (first_bad < 0 || c < first_bad) {
                first_bad = c;
                snprintf(msg, sizeof msg, "%s", ecgx_last_error());
#pragma omp atomic write
                rc = r;
            }
        }
    }
    if (rc) {
        if (msg[0]) ecgx_error(rc, "%s", msg);
        ecgx_trees_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
