/* Helpers shared by the dataset tests. */
#ifndef ECGX_TEST_DATASET_TEST_H
#define ECGX_TEST_DATASET_TEST_H

#include "check.h"
#include "ecgx/dataset.h"

/* The folders `dirs` with label set `set` (NULL: the default), keeping
 * unlabelled records when `keep`, without a cache; checks that it opened. */
static inline ecgx_dataset *test_open_dataset(const char *dirs, const char *set, int keep)
{
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.label_set = set;
    o.keep_unlabeled = keep;
    o.cache = "none";
    ecgx_dataset *ds = NULL;
    int rc = ecgx_dataset_open(dirs, &o, &ds);
    CHECK_MSG(rc == 0, "open %s (%s): %s", dirs, set ? set : "default", ecgx_last_error());
    return ds;
}

#endif
