/* ecgx_train_run: the PTB-XL benchmark's training recipe (include/ecgx/train.h),
 * moved here from the ecgx train command so that programs other than the CLI
 * can train, and so that the data-parallel variant shares one loop. Notes
 * and progress go to the caller's callback; nothing here prints. */
#include "ecgx/train.h"

#include "ecgx/eval.h"
#include "ecgx/nn.h"
#include "ecgx/outfile.h"
#include "ecgx/progress.h"
#include "nn/dist.h"
#include "nn/model_internal.h"
#include "nn/nn_data.h"
#include "nn/nn_metrics.h"
#include "nn/nn_regression.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The callback and whether it asked to stop. */
typedef struct notes {
    ecgx_train_progress_fn cb;
    void *user;
    int stop;
} notes;

static void emit(notes *nt, const ecgx_train_event *ev)
{
    if (nt->cb && nt->cb(ev, nt->user)) nt->stop = 1;
}

__attribute__((format(printf, 2, 3))) static void note(notes *nt, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ecgx_train_event ev = {.kind = ECGX_TRAIN_NOTE, .text = text};
    emit(nt, &ev);
}

void ecgx_train_options_default(ecgx_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->labels = "superdiagnostic";
    o->arch = "resnet1d_wang";
    o->epochs = 50;
    o->batch = 128;
    o->seed = 1;
    o->lr = 1e-2;
    o->wd = 1e-2;
    o->fs = 100;
    o->window_s = 2.5;
    ecgx_threshold_spec_parse("f1", &o->rule, &o->rule_target);
}

int ecgx_train_parallel_available(void) { return nn_dist_available(); }

/* Batch-norm sums over the ranks (nn_model_set_shard's reduce). */
static void reduce_ranks(double *buf, int n, void *user)
{
    (void)user;
    nn_dist_sum_f64(buf, n);
}

void ecgx_train_result_free(ecgx_train_result *r)
{
    if (!r) return;
    for (int c = 0; r->classes && c < r->n_classes; c++) free(r->classes[c]);
    free(r->classes);
    free(r->best_auc);
    free(r->thresholds);
    memset(r, 0, sizeof *r);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Validation: probabilities of every record of idx by sliding windows
 * (for a regression: the standardised output, mean over windows). */
static int predict_set(ecgx_model *m, const nn_data *d, const int *idx, int n, int win, int stride, float *probs)
{
    int K = d->n_classes;
    for (int i = 0; i < n; i++) {
        int r = idx[i];
        const float *x = d->x + d->offset[r];
        int rc = d->regression ? nn_predict_windows_mean(m, x, d->length[r], win, stride, probs + (size_t)i * K)
                               : ecgx_model_predict_windows(m, x, d->length[r], win, stride, probs + (size_t)i * K, NULL);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Mean and SD (population) of the training targets: the standardisation. */
static void target_scale(const nn_data *d, const int *tr, int ntr, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < ntr; i++) s += d->y[tr[i]];
    *mean = ntr ? s / ntr : 0;
    for (int i = 0; i < ntr; i++) ss += (d->y[tr[i]] - *mean) * (d->y[tr[i]] - *mean);
    *sd = ntr ? sqrt(ss / ntr) : 0;
    if (!(*sd > 1e-6)) *sd = 1; /* a constant target: nothing to scale */
}

/* Validation MAE and RMSE in years of standardised predictions z. */
static void val_errors(const float *z, const float *truth, int n, double mean, double sd, double *mae, double *rmse)
{
    double a = 0, q = 0;
    for (int i = 0; i < n; i++) {
        double e = mean + sd * z[i] - truth[i];
        a += fabs(e);
        q += e * e;
    }
    *mae = n ? a / n : NAN;
    *rmse = n ? sqrt(q / n) : NAN;
}


static int write_optim(const char *path, const ecgx_optim *o, int epoch)
{
    size_t n = (size_t)o->n;
    size_t bytes = 32 + 8 * n;
    unsigned char *b = malloc(bytes);
    if (!b) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path);
    memcpy(b, "ECGXOPT1", 8);
    int64_t h[3] = {(int64_t)o->n, o->step, epoch};
    memcpy(b + 8, h, 24);
    memcpy(b + 32, o->m, 4 * n);
    memcpy(b + 32 + 4 * n, o->v, 4 * n);
    int rc = ecgx_write_file_atomic(path, b, bytes);
    free(b);
    return rc;
}

static int read_optim(const char *path, ecgx_optim *o, int epoch)
{
    char *b = NULL;
    size_t len = 0;
    int rc = ecgx_read_file(path, (size_t)1 << 31, &b, &len);
    if (rc < 0) return rc;
    int64_t h[3];
    if (len < 32 || memcmp(b, "ECGXOPT1", 8) != 0) {
        free(b);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: not an ecgx optimiser checkpoint", path);
    }
    memcpy(h, b + 8, 24);
    if (h[0] != o->n || len != 32 + 8 * (size_t)o->n || h[2] != epoch) {
        free(b);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: does not match the model checkpoint (size or epoch)", path);
    }
    o->step = h[1];
    memcpy(o->m, b + 32, 4 * (size_t)o->n);
    memcpy(o->v, b + 32 + 4 * (size_t)o->n, 4 * (size_t)o->n);
    free(b);
    return 0;
}

static int export_data(const char *dir, const nn_data *d)
{
    char p[4200];
    /* one file of all records (each [12][length]), lengths, labels, splits */
    snprintf(p, sizeof p, "%s/x.f32", dir);
    int rc = ecgx_write_file_atomic(p, d->x, sizeof(float) * (size_t)(d->offset[d->n - 1] + 12 * (int64_t)d->length[d->n - 1]));
    if (rc < 0) return rc;
    snprintf(p, sizeof p, "%s/y.f32", dir);
    if ((rc = ecgx_write_file_atomic(p, d->y, sizeof(float) * (size_t)d->n * d->n_classes)) < 0) return rc;
    snprintf(p, sizeof p, "%s/index.csv", dir);
    ecgx_outfile f;
    if ((rc = ecgx_outfile_open(&f, p)) < 0) return rc;
    fprintf(f.fp, "id,split,offset,length\n");
    for (int i = 0; i < d->n; i++)
        fprintf(f.fp, "%s,%d,%lld,%d\n", d->ids[i], d->split[i], (long long)d->offset[i], d->length[i]);
    if ((rc = ecgx_outfile_commit(&f)) < 0) return rc;
    snprintf(p, sizeof p, "%s/classes.txt", dir);
    if ((rc = ecgx_outfile_open(&f, p)) < 0) return rc;
    for (int c = 0; c < d->n_classes; c++) fprintf(f.fp, "%s\n", d->classes[c]);
    return ecgx_outfile_commit(&f);
}

/* Metadata from a format, as ecgx_model_set_meta takes strings. */
__attribute__((format(printf, 3, 4))) static void meta_printf(ecgx_model *m, const char *key, const char *fmt, ...)
{
    char v[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    ecgx_model_set_meta(m, key, v);
}

/* The batch size nearest to `batch` (not above it, at least half of it)
 * that divides n, so that no record is left out; `batch` when none does. */
static int best_batch(int n, int batch)
{
    for (int b = batch; b >= batch / 2 && b >= 2; b--)
        if (n % b == 0) return b;
    int steps = (n + batch - 1) / batch; /* else the even split: ceil(n / steps) leaves the fewest out */
    return (n + steps - 1) / steps;
}

/* Decision thresholds for the finished model (the best epoch's, in `out`):
 * its validation predictions, a threshold per class by `rule`
 * (ecgx_eval_choose_thresholds), stored in the file. No validation split or
 * a class without a positive there: nothing stored, and said so (not an
 * error: the model is still the best one). */
static int store_thresholds(const char *out, const nn_data *d, const int *va, int nva, int win, int stride,
                            ecgx_threshold_rule rule, double target, notes *nt, double *thr, char *desc, size_t desc_n)
{
    int K = d->n_classes, rc = 0;
    char rule_text[64];
    ecgx_threshold_spec_format(rule, target, rule_text, sizeof rule_text);
    if (nva == 0) {
        note(nt, "no validation split: no decision thresholds stored in %s", out);
        return 0;
    }
    ecgx_model *m = NULL;
    float *p = malloc(sizeof(float) * (size_t)nva * K);
    double *s = malloc(sizeof(double) * (size_t)nva * K);
    uint8_t *y = malloc((size_t)nva * K);
    if (!p || !s || !y) rc = ecgx_error(ECGX_ERR_NOMEM, "thresholds: out of memory");
    if (!rc) rc = ecgx_model_load(out, &m);
    if (!rc) rc = predict_set(m, d, va, nva, win, stride, p);
    int chosen = 0;
    for (int i = 0; i < nva && !rc; i++)
        for (int c = 0; c < K; c++) {
            s[(size_t)i * K + c] = p[(size_t)i * K + c];
            y[(size_t)i * K + c] = d->y[(size_t)va[i] * K + c] > 0.5f;
        }
    if (!rc) rc = ecgx_eval_choose_thresholds(s, y, nva, K, rule, target, thr, &chosen);
    if (!rc && chosen < K) {
        for (int c = 0; c < K; c++)
            if (!isfinite(thr[c]))
                note(nt, "class %s: no threshold can be chosen on the validation split (no positive%s "
                        "there): no decision thresholds stored in %s (ecgx eval --thresholds sets them at evaluation)",
                        d->classes[c], rule == ECGX_THRESHOLD_YOUDEN ? " or no negative" : "", out);
    } else if (!rc) {
        snprintf(desc, desc_n, "%s on the validation split, %d records", rule_text, nva);
        rc = ecgx_model_set_thresholds(m, thr, desc);
        if (!rc) rc = ecgx_model_save(m, out);
        if (rc) desc[0] = 0;
    }
    ecgx_model_free(m);
    free(p);
    free(s);
    free(y);
    return rc;
}


/* Validation of the arguments the CLI also checks, so that a library caller
 * gets the same refusals. */
static int check_options(const ecgx_train_options *o)
{
    if (!o || !o->data) return ecgx_error(ECGX_ERR_ARG, "train: no data folder given");
    if (!o->out && !o->export_dir) return ecgx_error(ECGX_ERR_ARG, "train: no output model given");
    if (o->epochs < 1 || o->batch < 2) return ecgx_error(ECGX_ERR_ARG, "train: epochs must be >= 1 and batch >= 2");
    if (!(o->lr > 0) || !(o->wd >= 0) || !(o->fs >= 10 && o->fs <= 10000) || !(o->window_s > 0.1 && o->window_s < 600))
        return ecgx_error(ECGX_ERR_ARG, "train: lr, wd, fs or window out of range");
    return 0;
}

static int train(const ecgx_train_options *o, ecgx_train_progress_fn cb, void *user, ecgx_train_result *res, int rank,
                 int size)
{
    memset(res, 0, sizeof *res);
    res->best_epoch = -1;
    res->best = res->best_rmse = res->mean_mae = NAN;
    int rc = check_options(o);
    if (rc < 0) return rc;
    /* ranks other than 0 train their shard silently: rank 0 speaks and writes */
    notes nt = {rank == 0 ? cb : NULL, user, 0};
    const char *data = o->data, *out = o->out, *labels = o->labels ? o->labels : "superdiagnostic";
    const char *arch = o->arch ? o->arch : "resnet1d_wang";
    int epochs = o->epochs, batch = o->batch, seed = o->seed, quiet = o->quiet || rank > 0;
    if (size > 1 && o->export_dir)
        return ecgx_error(ECGX_ERR_ARG, "train: --export-data runs in one process, not under mpirun");
    if (batch % size)
        return ecgx_error(ECGX_ERR_ARG, "train: batch %d does not split evenly over %d ranks", batch, size);
    int nb = batch / size, b0 = rank * nb; /* this rank's part of each global batch */
    double lr = o->lr, wd = o->wd, fs = o->fs, window_s = o->window_s;
    int win = (int)lrint(window_s * fs), stride = win / 2;

    nn_data d;
    double t0 = ecgx_now();
    note(&nt, "loading %s at %g Hz", data, fs);
    if (nn_data_load_ex(data, labels, o->labels_file, o->label_column, fs, win, quiet, &d) < 0) return -1;
    if (o->export_dir && rank == 0) {
        rc = export_data(o->export_dir, &d);
        nn_data_free(&d);
        if (rc < 0) return rc;
        note(&nt, "wrote the preprocessed data to %s", o->export_dir);
        if (!out) {
            res->exported_only = 1;
            return 0;
        }
        if (nn_data_load_ex(data, labels, o->labels_file, o->label_column, fs, win, 1, &d) < 0) return -1;
    }
    int *tr = NULL, *va = NULL, ntr = 0, nva = 0;
    nn_data_split(&d, "train", &tr, &ntr);
    nn_data_split(&d, "val", &va, &nva);
    int K = d.n_classes, reg = d.regression;
    res->regression = reg;
    res->n_classes = K;
    res->classes = calloc((size_t)K, sizeof(char *));
    res->best_auc = malloc(sizeof(double) * K);
    res->thresholds = calloc((size_t)K, sizeof(double));
    if (!res->classes || !res->best_auc || !res->thresholds) {
        rc = ecgx_error(ECGX_ERR_NOMEM, "train: out of memory");
        goto early;
    }
    for (int c = 0; c < K; c++) {
        res->best_auc[c] = NAN;
        if (!(res->classes[c] = strdup(d.classes[c]))) {
            rc = ecgx_error(ECGX_ERR_NOMEM, "train: out of memory");
            goto early;
        }
    }
    snprintf(res->label_set, sizeof res->label_set, "%s", d.label_set);
    res->n_records = d.n;
    res->n_train = ntr;
    res->n_val = nva;
    res->n_skipped = d.n_skipped;
    memcpy(res->n_no_target, d.n_no_target, sizeof res->n_no_target);
    res->load_seconds = ecgx_now() - t0;
    if (reg)
        note(&nt,
             "%d records (%d train, %d val, %d skipped), regression on %s, loaded in %.1f s; left out "
             "for an unknown age: %d train, %d val, %d test",
             d.n, ntr, nva, d.n_skipped, d.classes[0], res->load_seconds, d.n_no_target[0], d.n_no_target[1],
             d.n_no_target[2]);
    else {
        /* the set the labels really are (a labels.csv of other classes is not "superdiagnostic") */
        char names[512] = "";
        for (int c = 0; c < K; c++) {
            size_t l = strlen(names);
            if (l > sizeof names - 80) { snprintf(names + l, sizeof names - l, ", ..."); break; }
            snprintf(names + l, sizeof names - l, "%s%s", c ? ", " : "", d.classes[c]);
        }
        note(&nt, "%d records (%d train, %d val, %d skipped), label set %s: %d class%s (%s)%s, loaded in %.1f s",
             d.n, ntr, nva, d.n_skipped, d.label_set, K, K == 1 ? "" : "es", names, K == 1 ? ", a binary task" : "",
             res->load_seconds);
    }
    if (ntr < batch) {
        rc = ecgx_error(ECGX_ERR_RANGE, "%s: %d training records, fewer than one batch of %d", data, ntr, batch);
        goto early;
    }
    /* a class with no positive (or no negative) in training has nothing to
     * learn: the run would end with "best epoch -1" and a useless model */
    for (int c = 0; c < K && !reg; c++) {
        int pos = 0;
        for (int i = 0; i < ntr; i++) pos += d.y[(size_t)tr[i] * K + c] > 0.5f;
        if (pos == 0 || pos == ntr) {
            rc = ecgx_error(ECGX_ERR_RANGE, "%s: class %s has %s in the training split (%d records): nothing to learn%s", data,
                            d.classes[c], pos == 0 ? "no positive" : "no negative", ntr,
                            pos == ntr && K == 1 ? " (a one-column labels.csv is a binary task: give its negatives as 0 rows)" : "");
            goto early;
        }
    }
    if (ntr % batch)
        note(&nt,
             "warning: %d training records in batches of %d: %d steps per epoch, the last %d records of "
             "each epoch's shuffle are left out (a different %d each epoch, as the PTB-XL benchmark does); --batch "
             "%d would use them all",
             ntr, batch, ntr / batch, ntr % batch, ntr % batch, best_batch(ntr, batch));

    /* the metadata names the set the labels are (eval reloads the data with it) */
    const char *set_name = d.label_set[0] && strcmp(d.label_set, "mixed") ? d.label_set : labels;
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, K, (uint64_t)seed};
    rc = ecgx_model_create(arch, &cfg, &m);
    if (rc < 0) goto early;
    ecgx_optim opt;
    ecgx_optim_init(&opt, ECGX_OPTIM_ADAMW, ecgx_model_n_trainable(m), lr, wd);
    int steps_per_epoch = ntr / batch;
    ecgx_onecycle sched;
    ecgx_onecycle_default(&sched, lr, (int64_t)epochs * steps_per_epoch);

    char ckpt[4200], ckopt[4300], buf[4096];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
    snprintf(ckopt, sizeof ckopt, "%s.ckpt.optim", out);
    int start_epoch = 0, best_epoch = -1;
    /* best: the highest val macro AUROC, or for a regression the lowest val MAE */
    double best = reg ? INFINITY : -1, tmean = 0, tsd = 1;
    if (reg) target_scale(&d, tr, ntr, &tmean, &tsd);
    if (o->resume && access(ckpt, R_OK) == 0) {
        ecgx_model *r = NULL;
        if (ecgx_model_load(ckpt, &r) < 0) { rc = -1; goto fail; }
        const char *e = ecgx_model_meta(r, "train_epoch"),
                   *b = ecgx_model_meta(r, reg ? "train_best_mae" : "train_best_auroc"),
                   *be = ecgx_model_meta(r, "train_best_epoch"), *lb = ecgx_model_meta(r, "labels");
        if (!e || strcmp(ecgx_model_arch(r), arch) || ecgx_model_n_classes(r) != K ||
            nn_model_is_regression(r) != reg || (lb && strcmp(lb, set_name))) {
            ecgx_model_free(r);
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: checkpoint does not match this run (architecture, classes, labels)", ckpt);
            goto fail;
        }
        ecgx_model_free(m);
        m = r;
        start_epoch = atoi(e);
        best = b ? atof(b) : best;
        best_epoch = be ? atoi(be) : -1;
        /* continue with the standardisation the checkpoint was trained with */
        if (reg && nn_model_target_scale(m, ckpt, &tmean, &tsd) < 0) { rc = -1; goto fail; }
        if (read_optim(ckopt, &opt, start_epoch) < 0) { rc = -1; goto fail; }
        if (reg) note(&nt, "resuming after epoch %d (best val MAE %.3f)", start_epoch, best);
        else note(&nt, "resuming after epoch %d (best val AUROC %.4f)", start_epoch, best);
    } else if (o->resume) {
        note(&nt, "no checkpoint %s, starting from scratch", ckpt);
    }

    if (size > 1) { /* every rank starts from rank 0's weights, buffers and optimiser state */
        nn_dist_bcast_f32(ecgx_model_flat_params(m), (long)ecgx_model_n_trainable(m));
        nn_dist_bcast_f32(m->bdata, (long)m->n_buffer);
        nn_dist_bcast_f32(opt.m, (long)opt.n);
        nn_dist_bcast_f32(opt.v, (long)opt.n);
        double st = (double)opt.step;
        nn_dist_bcast_f64(&st, 1);
        opt.step = (int64_t)st;
        nn_model_set_shard(m, rank, size, reduce_ranks, NULL);
    }

    /* metadata the predict/eval/explain commands read */
    {
        char cl[4096] = "";
        for (int c = 0; c < K; c++) {
            size_t l = strlen(cl);
            snprintf(cl + l, sizeof cl - l, "%s%s", c ? "," : "", d.classes[c]);
        }
        ecgx_model_set_meta(m, "classes", cl);
        meta_printf(m, "fs", "%g", fs);
        meta_printf(m, "input_length", "%d", win);
        meta_printf(m, "window_stride", "%d", stride);
        ecgx_model_set_meta(m, "aggregation", reg ? "mean" : "max");
        ecgx_model_set_meta(m, "preprocessing", ECGX_NN_PREPROCESSING);
        ecgx_model_set_meta(m, "labels", set_name);
        if (o->label_column) ecgx_model_set_meta(m, "label_column", o->label_column); /* eval's default */
        ecgx_model_set_meta(m, "leads", "I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6");
        ecgx_model_set_meta(m, "train_data", data);
        meta_printf(m, "train_recipe", "AdamW lr %g wd %g one-cycle, batch %d, %d epochs, random %g s crops, %s, seed %d", lr,
                    wd, batch, epochs, window_s, reg ? "MSE on the standardised target" : "BCE", seed);
        if (reg) {
            ecgx_model_set_meta(m, "task", "regression");
            ecgx_model_set_meta(m, "target_unit", "years");
            meta_printf(m, "target_mean", "%.17g", tmean);
            meta_printf(m, "target_sd", "%.17g", tsd);
        }
    }

    size_t xb_n = (size_t)nb * 12 * win;
    float *xb = malloc(sizeof(float) * xb_n), *yb = malloc(sizeof(float) * nb * K);
    float *lg = malloc(sizeof(float) * nb * K), *dl = malloc(sizeof(float) * nb * K);
    float *vp = malloc(sizeof(float) * (size_t)(nva + 1) * K), *vy = malloc(sizeof(float) * (size_t)(nva + 1) * K);
    double *auc = malloc(sizeof(double) * K), *best_auc = res->best_auc;
    int *perm = malloc(sizeof(int) * ntr);
    if (!xb || !yb || !lg || !dl || !vp || !vy || !auc || !perm) {
        rc = ecgx_error(ECGX_ERR_NOMEM, "train: out of memory for batches of %d", batch);
        goto loop_done;
    }
    for (int i = 0; i < nva; i++) memcpy(vy + (size_t)i * K, d.y + (size_t)va[i] * K, sizeof(float) * K);
    /* the yardstick for a regression: every val record predicted as the training mean */
    double mean_mae = NAN, best_rmse = NAN;
    if (reg && nva > 0) {
        mean_mae = 0;
        for (int i = 0; i < nva; i++) mean_mae += fabs(tmean - vy[i]);
        mean_mae /= nva;
    }
    if (reg && ecgx_model_meta(m, "val_rmse")) best_rmse = atof(ecgx_model_meta(m, "val_rmse")); /* resumed */
    double last_loss = 0, t_train = ecgx_now(), t_data = 0, t_val = 0, comm0 = nn_dist_seconds();
    for (int ep = start_epoch; ep < epochs; ep++) {
        uint64_t rs = (uint64_t)seed * 1000003ull + (uint64_t)ep;
        ecgx_model_seed(m, rs ^ 0xD1B54A32D192ED03ull);
        for (int i = 0; i < ntr; i++) perm[i] = tr[i];
        for (int i = ntr - 1; i > 0; i--) {
            int j = (int)(rng_next(&rs) % (uint64_t)(i + 1));
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        ecgx_train_event ev = {.kind = ECGX_TRAIN_EPOCH_BEGIN, .epoch = ep + 1, .epochs = epochs, .steps = steps_per_epoch,
                               .regression = reg};
        emit(&nt, &ev);
        ecgx_model_set_training(m, 1);
        double loss_sum = 0;
        for (int s = 0; s < steps_per_epoch; s++) {
            double td = ecgx_now();
            /* every rank draws the whole global batch's crops (the same
             * random sequence as one process) and copies its own part */
            for (int gb = 0; gb < batch; gb++) {
                int r = perm[s * batch + gb], L = d.length[r], b = gb - b0;
                int st = L > win ? (int)(rng_next(&rs) % (uint64_t)(L - win + 1)) : 0;
                if (b < 0 || b >= nb) continue;
                for (int c = 0; c < 12; c++)
                    memcpy(xb + ((size_t)b * 12 + c) * win, d.x + d.offset[r] + (size_t)c * L + st, sizeof(float) * win);
                memcpy(yb + (size_t)b * K, d.y + (size_t)r * K, sizeof(float) * K);
                if (reg) yb[b] = (float)((yb[b] - tmean) / tsd);
            }
            t_data += ecgx_now() - td;
            int64_t step = opt.step;
            opt.lr = ecgx_onecycle_lr(&sched, step);
            opt.beta1 = ecgx_onecycle_momentum(&sched, step);
            ecgx_model_zero_grad(m);
            if (ecgx_model_forward(m, xb, nb, win, lg) < 0) { rc = -1; break; }
            double loss = reg ? ecgx_loss_mse(lg, yb, nb, K, dl) : ecgx_loss_bce_logits(lg, yb, nb, K, NULL, NULL, dl);
            if (size > 1) {
                /* the global batch's mean loss, and its gradient: each
                 * rank's mean over its part weighs 1/size */
                for (int j = 0; j < nb * K; j++) dl[j] /= (float)size;
                loss /= size;
                nn_dist_sum_f64(&loss, 1);
            }
            if (!isfinite(loss)) {
                rc = ecgx_error(ECGX_ERR_RANGE, "training diverged at epoch %d step %d (loss %g)", ep + 1, s + 1, loss);
                break;
            }
            if (ecgx_model_backward(m, dl, NULL, 0) < 0) { rc = -1; break; }
            if (size > 1) nn_dist_sum_f32(ecgx_model_flat_grads(m), (long)ecgx_model_n_trainable(m));
            ecgx_optim_step(&opt, ecgx_model_flat_params(m), ecgx_model_flat_grads(m));
            loss_sum += loss;
            ev.kind = ECGX_TRAIN_STEP;
            ev.step = s + 1;
            ev.loss = loss_sum / (s + 1);
            emit(&nt, &ev);
            if (size > 1) { /* a stop asked on rank 0 stops every rank at the same step */
                double st = nt.stop;
                nn_dist_bcast_f64(&st, 1);
                nt.stop = st > 0;
            }
            if (nt.stop) {
                rc = ecgx_error(ECGX_ERR_STATE, "training stopped by the caller at epoch %d step %d", ep + 1, s + 1);
                break;
            }
        }
        if (rc < 0) break;
        last_loss = loss_sum / steps_per_epoch;
        double macro = NAN, mae = NAN, rmse = NAN;
        double tv = ecgx_now();
        if (nva > 0 && rank == 0) { /* rank 0 alone validates, keeps and checkpoints */
            if (predict_set(m, &d, va, nva, win, stride, vp) < 0) { rc = -1; break; }
            if (reg) val_errors(vp, vy, nva, tmean, tsd, &mae, &rmse);
            else macro = nn_macro_auroc(vp, vy, nva, K, auc);
        }
        t_val += ecgx_now() - tv;
        if (rank == 0) {
            ev.kind = ECGX_TRAIN_EPOCH_END;
            ev.loss = last_loss;
            ev.val = reg ? mae : macro;
            ev.val_rmse = rmse;
            emit(&nt, &ev);
            int improved = nva == 0 ? 1 : reg ? (!isnan(mae) && mae < best) : (!isnan(macro) && macro > best);
            if (improved) {
                best = nva == 0 ? best : reg ? mae : macro;
                best_epoch = ep + 1;
                if (nva > 0 && !reg) memcpy(best_auc, auc, sizeof(double) * K);
                if (reg) {
                    best_rmse = rmse;
                    meta_printf(m, "val_mae", "%.6f", mae);
                    meta_printf(m, "val_rmse", "%.6f", rmse);
                    meta_printf(m, "val_mae_mean_predictor", "%.6f", mean_mae);
                } else {
                    meta_printf(m, "val_macro_auroc", "%.6f", macro);
                }
                for (int c = 0; c < K && !reg; c++) {
                    char key[128];
                    snprintf(key, sizeof key, "val_auroc_%s", d.classes[c]);
                    snprintf(buf, sizeof buf, "%.6f", auc[c]);
                    if (nva > 0) ecgx_model_set_meta(m, key, buf);
                }
                meta_printf(m, "best_epoch", "%d", ep + 1);
                if (ecgx_model_save(m, out) < 0) { rc = -1; break; }
            }
            /* checkpoint: optimiser state first, then the model naming the epoch */
            meta_printf(m, "train_epoch", "%d", ep + 1);
            snprintf(buf, sizeof buf, reg ? "%.17g" : "%.6f", best); /* reg: exact, so that --resume compares alike */
            ecgx_model_set_meta(m, reg ? "train_best_mae" : "train_best_auroc", buf);
            meta_printf(m, "train_best_epoch", "%d", best_epoch);
            if (write_optim(ckopt, &opt, ep + 1) < 0 || ecgx_model_save(m, ckpt) < 0) { rc = -1; break; }
        }
        if (size > 1) { /* the others wait here for rank 0's checkpoint and its callback's word */
            double st = nt.stop;
            nn_dist_bcast_f64(&st, 1);
            nt.stop = st > 0;
        }
        if (nt.stop) {
            rc = ecgx_error(ECGX_ERR_STATE, "training stopped by the caller after epoch %d", ep + 1);
            break;
        }
    }
    res->train_seconds = ecgx_now() - t_train;
    res->n_ranks = size;
    res->rank = rank;
    res->data_seconds = t_data;
    res->comm_seconds = nn_dist_seconds() - comm0;
    res->val_seconds = t_val;
    if (rank > 0) goto loop_done; /* rank 0 alone judges and writes */
    /* no epoch with a defined validation score: the run learnt nothing usable */
    if (rc >= 0 && best_epoch < 0)
        rc = ecgx_error(ECGX_ERR_RANGE,
                        "%s: no epoch had a defined validation %s (best epoch -1): the validation split (%d records) lacks "
                        "positives or negatives of every class; no model written",
                        data, reg ? "MAE" : "macro AUROC", nva);
    if (rc >= 0 && !reg)
        rc = store_thresholds(out, &d, va, nva, win, stride, o->rule, o->rule_target, &nt, res->thresholds,
                              res->thresholds_rule, sizeof res->thresholds_rule);
    if (rc >= 0 && !o->keep_checkpoints) { /* finished: the checkpoint is only for --resume */
        remove(ckpt);
        remove(ckopt);
    }
    res->best_epoch = best_epoch;
    res->best = best;
    res->best_rmse = best_rmse;
    res->mean_mae = mean_mae;
    res->target_mean = tmean;
    res->target_sd = tsd;
    res->final_loss = last_loss;
loop_done:
    free(xb); free(yb); free(lg); free(dl); free(vp); free(vy); free(auc); free(perm);
fail:
    ecgx_optim_free(&opt);
    ecgx_model_free(m);
early:
    nn_data_free(&d);
    free(tr);
    free(va);
    return rc < 0 ? rc : 0;
}

int ecgx_train_run(const ecgx_train_options *o, ecgx_train_progress_fn cb, void *user, ecgx_train_result *res)
{
    int rank = 0, size = 1;
    memset(res, 0, sizeof *res);
    int rc = nn_dist_begin(&rank, &size);
    if (rc < 0) return rc;
    rc = train(o, cb, user, res, rank, size);
    if (rc < 0 && size > 1) { /* the others would wait for this rank forever */
        fprintf(stderr, "ecgx train: rank %d of %d failed: %s; ending the job\n", rank, size, ecgx_last_error());
        fflush(stderr);
        nn_dist_abort(1);
    }
    nn_dist_end();
    return rc;
}
