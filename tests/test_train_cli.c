/* ecgx train end to end on a researcher's kind of folder, built here from
 * ecgx synth records (ECGX_BIN, set by tests/run.sh): one 0/1 class column
 * is a binary task (its 0 rows are negatives, not "unlabelled"); a class
 * without negatives, or a validation split where no epoch gets a defined
 * score, is an error with a non-zero exit, not "best epoch -1" and exit 0;
 * the dropped partial batch is warned about; the log names the real label
 * set; the finished model carries F1 thresholds chosen on validation and
 * leaves no checkpoint behind unless --keep-checkpoints; range errors name
 * the option and its range. */
#include "check.h"

static const char *bin, *tmp;

static int run(const char *args, char *out, size_t n) { return test_run_cmd(bin, args, out, n, 0); }

/* 40 records (normal and AF, 3 s at 100 Hz) with synth's labels.csv rewritten
 * as record,split,filename,AF; `val_af` 0 drops every AF record from the
 * validation split (they move to train), `all_af` makes every row positive. */
static void write_folder(const char *dir, int val_af, int all_af)
{
    char args[2048], out[8192], p[1024];
    snprintf(args, sizeof args, "synth --n 40 --condition normal,af --fs 100 --duration 3 --seed 4 -o %s", dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/labels.csv", dir);
    char *orig = test_slurp(p, NULL);
    CHECK(orig != NULL);
    if (!orig) return;
    FILE *f = fopen(p, "w");
    fprintf(f, "record,split,filename,AF\n");
    char *save = NULL, *line = strtok_r(orig, "\n", &save); /* header: record,split,filename,NORMAL,AF */
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char rec[64], split[16], file[64];
        int norm, af;
        if (sscanf(line, "%63[^,],%15[^,],%63[^,],%d,%d", rec, split, file, &norm, &af) != 5) continue;
        if (!val_af && af && strcmp(split, "test")) snprintf(split, sizeof split, "train");
        fprintf(f, "%s,%s,%s,%d\n", rec, split, file, all_af ? 1 : af);
    }
    fclose(f);
    free(orig);
}

static void test_binary_column(void)
{
    char dir[600], model[700], args[4096], out[16384], ck[800];
    snprintf(dir, sizeof dir, "%s/binary", tmp);
    snprintf(model, sizeof model, "%s/binary.safetensors", tmp);
    write_folder(dir, 1, 0);
    /* 32 training records in batches of 6: 2 left out each epoch, said so */
    snprintf(args, sizeof args, "train --data %s -o %s --epochs 2 --batch 6 --seed 2", dir, model);
    int st = run(args, out, sizeof out);
    CHECK_MSG(st == 0, "%s", out);
    CHECK_MSG(strstr(out, "40 records (32 train, 4 val"), "negatives dropped as unlabelled?\n%s", out);
    CHECK_MSG(strstr(out, "label set labels: 1 class (AF), a binary task") && !strstr(out, "superdiagnostic"), "%s", out);
    CHECK_MSG(strstr(out, "warning: 32 training records in batches of 6: 5 steps per epoch, the last 2"), "%s", out);
    CHECK_MSG(!strstr(out, "best epoch -1") && strstr(out, "thresholds (f1 on the validation split, 4 records): AF "),
              "%s", out);
    snprintf(ck, sizeof ck, "%s.ckpt", model);
    CHECK(access(ck, F_OK) != 0);
    snprintf(ck, sizeof ck, "%s.ckpt.optim", model);
    CHECK(access(ck, F_OK) != 0);
    /* the stored thresholds are the model's: eval on the test split alone uses them */
    snprintf(args, sizeof args, "eval --model %s --data %s --split test --json --bootstrap 0", model, dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"thresholds_from\":\"the model's (f1 on the validation split, 4 records)\""), "%s", out);
    /* --keep-checkpoints keeps them; --json names the label set and the thresholds */
    snprintf(args, sizeof args, "train --data %s -o %s --epochs 1 --batch 8 --keep-checkpoints --json --quiet", dir, model);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"label_set\":\"labels\"") && strstr(out, "\"thresholds\":{\"AF\":"), "%s", out);
    snprintf(ck, sizeof ck, "%s.ckpt", model);
    CHECK(access(ck, R_OK) == 0);
}

static void test_nothing_to_learn(void)
{
    char dir[600], model[700], args[4096], out[16384];
    /* every row positive: no negative to learn from */
    snprintf(dir, sizeof dir, "%s/allpos", tmp);
    snprintf(model, sizeof model, "%s/allpos.safetensors", tmp);
    write_folder(dir, 1, 1);
    snprintf(args, sizeof args, "train --data %s -o %s --epochs 1 --batch 8 --quiet", dir, model);
    CHECK_MSG(run(args, out, sizeof out) == 1 && strstr(out, "class AF has no negative in the training split"), "%s", out);
    CHECK(access(model, F_OK) != 0);
    /* no AF record in the validation split: no epoch has a defined validation AUROC */
    snprintf(dir, sizeof dir, "%s/noval", tmp);
    snprintf(model, sizeof model, "%s/noval.safetensors", tmp);
    write_folder(dir, 0, 0);
    snprintf(args, sizeof args, "train --data %s -o %s --epochs 1 --batch 8 --quiet", dir, model);
    CHECK_MSG(run(args, out, sizeof out) == 1 && strstr(out, "best epoch -1") && strstr(out, "no model written"), "%s", out);
    CHECK(access(model, F_OK) != 0);
}

static void test_ranges(void)
{
    char out[4096];
    CHECK(run("train --data x -o y --epochs 0", out, sizeof out) == 2);
    CHECK_MSG(strstr(out, "ecgx train: --epochs 0: must be in 1..100000"), "%s", out);
    CHECK(run("train --data x -o y --lr -1", out, sizeof out) == 2);
    CHECK_MSG(strstr(out, "--lr -1: must be > 0"), "%s", out);
    CHECK(run("train --data x -o y --window 0.05", out, sizeof out) == 2);
    CHECK_MSG(strstr(out, "--window 0.05: must be in (0.1, 600)"), "%s", out);
    CHECK(run("train --data x -o y --threshold-rule best", out, sizeof out) == 2);
    CHECK_MSG(strstr(out, "threshold rule 'best'"), "%s", out);
    CHECK(run("eval --model m --data d --bootstrap -1", out, sizeof out) == 2);
    CHECK_MSG(strstr(out, "--bootstrap -1: must be in 0..100000"), "%s", out);
    CHECK(run("info --fs 0 x.csv", out, sizeof out) == 2);
    CHECK_MSG(strstr(out, "--fs 0: must be in (0, 1e+06]"), "%s", out);
    CHECK(run("render --png-level 12 x -o y.png", out, sizeof out) == 2);
    CHECK_MSG(strstr(out, "--png-level 12: must be in -1..9"), "%s", out);
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK)) SKIP("ECGX_BIN is not set (run through make test)");
    tmp = test_tmpdir();
    RUN(test_ranges);
    RUN(test_binary_column);
    RUN(test_nothing_to_learn);
    return check_finish();
}
