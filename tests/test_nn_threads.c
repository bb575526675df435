/* The thread count for a short job on a loaded machine
 * (ecgx_nn_threads_for_load): the cores not taken by the other runnable
 * tasks, capped by the threads wanted, at least one; no opinion on a line
 * that does not parse. Cases worked out by hand from /proc/loadavg lines. */
#include "check.h"
#include "ecgx/nn.h"

static void test_rule(void)
{
    /* idle 2-core machine: only the caller runs */
    CHECK(ecgx_nn_threads_for_load("0.10 0.20 0.30 1/120 999", 2, 2, 0) == 2);
    /* one other busy process: one core left */
    CHECK(ecgx_nn_threads_for_load("1.00 0.80 0.50 2/120 999", 2, 2, 0) == 1);
    /* more runnable than cores: still one thread */
    CHECK(ecgx_nn_threads_for_load("7.50 3.00 1.00 9/140 999", 2, 2, 0) == 1);
    /* 16 cores, 5 others: 11 free, capped by 8 wanted */
    CHECK(ecgx_nn_threads_for_load("5.0 5.0 5.0 6/300 1", 16, 8, 0) == 8);
    CHECK(ecgx_nn_threads_for_load("5.0 5.0 5.0 6/300 1", 16, 16, 0) == 11);
    /* the caller's own spinning worker is not another job: idle 2 cores */
    CHECK(ecgx_nn_threads_for_load("0.9 0.5 0.3 2/120 999", 2, 2, 1) == 2);
    /* ... but does not hide one: 14 others besides caller and worker */
    CHECK(ecgx_nn_threads_for_load("12.0 12.0 10.0 16/150 999", 2, 2, 1) == 1);
    /* unreadable or absent: what was wanted */
    CHECK(ecgx_nn_threads_for_load(NULL, 4, 3, 0) == 3);
    CHECK(ecgx_nn_threads_for_load("garbage", 4, 3, 0) == 3);
    CHECK(ecgx_nn_threads_for_load("0.1 0.1 0.1 0/10 1", 4, 3, 0) == 3);
    CHECK(ecgx_nn_threads_for_load("0.1 0.1 0.1 1/10 1", 4, 0, 0) == 1);
    /* the live value is a usable thread count */
    int t = ecgx_nn_threads_available();
    CHECK(t >= 1 && t <= 4096);
}

int main(void)
{
    RUN(test_rule);
    return check_finish();
}
