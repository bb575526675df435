/* ecgx_train_run, the library's training call (include/ecgx/train.h), on
 * ecgx synth records (ECGX_BIN, set by tests/run.sh, makes them): the CLI
 * is a thin layer over it, so the same options give the same model file
 * byte for byte; the callback sees every epoch and step in order, and the
 * kept epoch is the one with the best validation AUROC it was told; a
 * callback that stops the run leaves the last epoch's checkpoint, and
 * resuming from it gives the model of the uninterrupted run; options out
 * of range are refused before any data is read. */
#include "check.h"
#include "ecgx/nn.h"
#include "ecgx/train.h"

#include <math.h>

static const char *bin, *tmp;

typedef struct seen {
    int notes, begins, steps, ends, bad_order, last_epoch, last_step;
    double val[16];
    int stop_epoch, stop_step; /* stop when this step of this epoch is done (0: never) */
} seen;

static int on_event(const ecgx_train_event *ev, void *user)
{
    seen *s = user;
    switch (ev->kind) {
    case ECGX_TRAIN_NOTE: s->notes++; break;
    case ECGX_TRAIN_EPOCH_BEGIN:
        if (ev->epoch != s->last_epoch + 1) s->bad_order++;
        s->begins++;
        s->last_epoch = ev->epoch;
        s->last_step = 0;
        break;
    case ECGX_TRAIN_STEP:
        if (ev->step != s->last_step + 1 || ev->epoch != s->last_epoch || !(ev->loss > 0)) s->bad_order++;
        s->steps++;
        s->last_step = ev->step;
        break;
    case ECGX_TRAIN_EPOCH_END:
        if (ev->epoch != s->last_epoch || s->last_step != ev->steps) s->bad_order++;
        if (ev->epoch >= 1 && ev->epoch <= 16) s->val[ev->epoch - 1] = ev->val;
        s->ends++;
        break;
    }
    return ev->kind == ECGX_TRAIN_STEP && ev->epoch == s->stop_epoch && ev->step == s->stop_step;
}

static void options(ecgx_train_options *o, const char *dir, const char *out)
{
    ecgx_train_options_default(o);
    o->data = dir;
    o->out = out;
    o->epochs = 3;
    o->batch = 8;
    o->seed = 2;
    o->quiet = 1;
}

static void test_same_as_cli_and_events(const char *dir)
{
    char lib[700], cli[700], args[2048], out[16384];
    snprintf(lib, sizeof lib, "%s/lib.safetensors", tmp);
    snprintf(cli, sizeof cli, "%s/cli.safetensors", tmp);
    snprintf(args, sizeof args, "train --data %s -o %s --epochs 3 --batch 8 --seed 2 --quiet", dir, cli);
    CHECK_MSG(test_run_cmd(bin, args, out, sizeof out, 0) == 0, "%s", out);

    ecgx_train_options o;
    options(&o, dir, lib);
    seen s = {0};
    ecgx_train_result r;
    CHECK_OK(ecgx_train_run(&o, on_event, &s, &r));
    CHECK(test_same_file(lib, cli) == 1);
    /* 32 training records in batches of 8: 4 steps in each of 3 epochs */
    CHECK(s.begins == 3 && s.ends == 3 && s.steps == 12 && s.bad_order == 0);
    CHECK(s.notes >= 2); /* loading, the records' summary: told even when quiet (the caller filters) */
    CHECK(r.n_classes == 2 && r.n_train == 32 && r.n_val == 4 && !r.regression);
    /* the kept epoch: the first with the highest validation AUROC reported */
    int arg = 0;
    for (int e = 1; e < 3; e++)
        if (s.val[e] > s.val[arg]) arg = e;
    CHECK(r.best_epoch == arg + 1);
    CHECK(r.best == s.val[arg]);
    ecgx_model *m = NULL;
    CHECK_OK(ecgx_model_load(lib, &m));
    if (m) {
        const char *be = ecgx_model_meta(m, "best_epoch");
        CHECK(be && atoi(be) == r.best_epoch);
        const char *v = ecgx_model_meta(m, "val_macro_auroc");
        CHECK(v && fabs(atof(v) - r.best) < 1e-6);
    }
    ecgx_model_free(m);
    ecgx_train_result_free(&r);
}

static void test_stop_and_resume(const char *dir)
{
    char full[700], cut[700], ck[800];
    snprintf(full, sizeof full, "%s/full.safetensors", tmp);
    snprintf(cut, sizeof cut, "%s/cut.safetensors", tmp);
    snprintf(ck, sizeof ck, "%s.ckpt", cut);
    ecgx_train_options o;
    ecgx_train_result r;
    options(&o, dir, full);
    CHECK_OK(ecgx_train_run(&o, NULL, NULL, &r));
    ecgx_train_result_free(&r);

    options(&o, dir, cut);
    seen s = {.stop_epoch = 2, .stop_step = 2};
    int rc = ecgx_train_run(&o, on_event, &s, &r);
    CHECK(rc < 0 && strstr(ecgx_last_error(), "stopped"));
    CHECK(s.begins == 2 && s.steps == 6);
    ecgx_train_result_free(&r);
    CHECK(access(ck, R_OK) == 0); /* epoch 1's checkpoint */

    o.resume = 1;
    seen s2 = {0};
    s2.last_epoch = 1; /* resumes with epoch 2 */
    CHECK_OK(ecgx_train_run(&o, on_event, &s2, &r));
    CHECK(s2.begins == 2 && s2.bad_order == 0);
    CHECK(test_same_file(full, cut) == 1);
    CHECK(access(ck, R_OK) != 0); /* a finished run removes it */
    ecgx_train_result_free(&r);
}

static void test_refused(const char *dir)
{
    ecgx_train_options o;
    ecgx_train_result r;
    options(&o, dir, "/nonexistent/x.safetensors");
    o.epochs = 0;
    CHECK(ecgx_train_run(&o, NULL, NULL, &r) == ECGX_ERR_ARG);
    options(&o, dir, NULL);
    CHECK(ecgx_train_run(&o, NULL, NULL, &r) == ECGX_ERR_ARG);
    options(&o, dir, "/nonexistent/x.safetensors");
    o.batch = 64; /* more than the 32 training records */
    CHECK(ecgx_train_run(&o, NULL, NULL, &r) < 0 && strstr(ecgx_last_error(), "fewer than one batch"));
    ecgx_train_result_free(&r);
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK) != 0) SKIP("ECGX_BIN (the ecgx binary) is not set; run through make test");
    tmp = test_tmpdir();
    char dir[600], args[2048], out[8192];
    snprintf(dir, sizeof dir, "%s/d", tmp);
    snprintf(args, sizeof args, "synth --n 40 --condition normal,af --fs 100 --duration 3 --seed 4 -o %s", dir);
    CHECK_MSG(test_run_cmd(bin, args, out, sizeof out, 0) == 0, "%s", out);
    test_same_as_cli_and_events(dir);
    test_stop_and_resume(dir);
    test_refused(dir);
    return check_finish();
}
