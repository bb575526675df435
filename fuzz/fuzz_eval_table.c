/* libFuzzer target: prediction/truth CSV tables (ecgx_eval_table_read) and
 * their alignment, and the relevance CSV reader of render. Input: bytes
 * written to a temporary file; the first byte picks the parser. */
#include "ecgx/eval.h"
#include "ecgx/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    char path[] = "/tmp/ecgx-fuzz-table-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) { close(fd); unlink(path); return 0; }
    close(fd);
    if (data[0] & 1) {
        ecgx_eval_table *t = NULL;
        if (ecgx_eval_table_read(path, &t) == 0) {
            double *s = NULL;
            uint8_t *l = NULL;
            if (ecgx_eval_align(t, path, t, path, &s, &l) == 0) {
                ecgx_eval_options o;
                ecgx_eval_options_default(&o);
                o.n_bootstrap = 3;
                ecgx_eval_result *r = NULL;
                if (ecgx_eval_multilabel(s, l, t->n_rows, t->n_classes, &o, &r) == 0) ecgx_eval_result_free(r);
            }
            free(s);
            free(l);
            ecgx_eval_table_free(t);
        }
    } else {
        ecgx_record *rec = ecgx_record_new(3, 4, 100);
        if (rec) {
            ecgx_record_set_lead(rec, 0, "I", "mV");
            ecgx_record_set_lead(rec, 1, "II", "mV");
            ecgx_record_set_lead(rec, 2, "V1", "mV");
            float *rel = NULL;
            if (ecgx_relevance_read_csv(path, rec, &rel) == 0) free(rel);
            ecgx_record_free(rec);
        }
    }
    unlink(path);
    return 0;
}
