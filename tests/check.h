/* A minimal test harness. A test program runs its cases with RUN(fn), counts
 * failed checks, and exits 0 (pass), 1 (fail) or 77 (skipped: data or a tool
 * it needs is absent, and it says which). */
#ifndef ECGX_TEST_CHECK_H
#define ECGX_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecgx/common.h"

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        check_count++;                                                                       \
        if (!(cond)) {                                                                       \
            check_failures++;                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);         \
        }                                                                                    \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                 \
    do {                                                                                     \
        check_count++;                                                                       \
        if (!(cond)) {                                                                       \
            check_failures++;                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
        }                                                                                    \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                \
    do {                                                                                     \
        double check_a_ = (double)(a), check_b_ = (double)(b);                               \
        check_count++;                                                                       \
        if (!(fabs(check_a_ - check_b_) <= (tol))) {                                         \
            check_failures++;                                                                \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g, tol %g\n",       \
                    __FILE__, __LINE__, #a, check_a_, #b, check_b_, (double)(tol));          \
        }                                                                                    \
    } while (0)

/* A call that must succeed (return >= 0); prints ecgx_last_error() if not. */
#define CHECK_OK(call)                                                                       \
    do {                                                                                     \
        int check_rc_ = (call);                                                              \
        check_count++;                                                                       \
        if (check_rc_ < 0) {                                                                 \
            check_failures++;                                                                \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call,        \
                    check_rc_, ecgx_last_error());                                           \
        }                                                                                    \
    } while (0)

#define RUN(fn)                                                                              \
    do {                                                                                     \
        int before_ = check_failures;                                                        \
        fn();                                                                                \
        fprintf(stderr, "  %-40s %s\n", #fn, check_failures == before_ ? "ok" : "FAILED");  \
    } while (0)

static inline int check_finish(void)
{
    fprintf(stderr, "  %d checks, %d failed\n", check_count, check_failures);
    return check_failures ? 1 : 0;
}

/* Exit code that tells the runner the test was skipped. */
#define SKIP_EXIT 77
#define SKIP(...)                                                                            \
    do {                                                                                     \
        fprintf(stderr, "SKIP: ");                                                           \
        fprintf(stderr, __VA_ARGS__);                                                        \
        fputc('\n', stderr);                                                                 \
        exit(SKIP_EXIT);                                                                     \
    } while (0)

/* Path of the shared real-data folder (ECGX_DATA, else ../shared/data from
 * the repository root), or NULL when it is absent. */
static inline const char *shared_data_dir(void)
{
    static char buf[4096];
    const char *env = getenv("ECGX_DATA");
    const char *p = env && *env ? env : "../shared/data";
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    snprintf(buf, sizeof buf, "%s", p);
    return buf;
}

/* Path of a subfolder of the shared data; skips the whole test program when
 * it is absent. */
static inline const char *require_shared_data(const char *sub, char *buf, size_t n)
{
    const char *d = shared_data_dir();
    if (!d) SKIP("../shared/data is absent (set ECGX_DATA to the real-data folder)");
    snprintf(buf, n, "%s/%s", d, sub);
    struct stat st;
    if (stat(buf, &st) != 0) SKIP("%s is absent", buf);
    return buf;
}

/* A fresh scratch directory for a test's files (removed by the runner). */
static inline const char *test_tmpdir(void)
{
    static char dir[256];
    if (!dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/ecgx-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir)) { perror("mkdtemp"); exit(1); }
    }
    return dir;
}

/* A whole file as a NUL-terminated buffer (read with stdio, independently of
 * the library under test); NULL when it cannot be read. n may be NULL. */
static inline char *test_slurp(const char *path, size_t *n)
{
    if (n) *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = NULL;
    long sz = -1;
    if (fseek(f, 0, SEEK_END) == 0) sz = ftell(f);
    if (sz >= 0 && fseek(f, 0, SEEK_SET) == 0) b = malloc((size_t)sz + 1);
    if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) { free(b); b = NULL; }
    fclose(f);
    if (b) b[sz] = 0;
    if (n) *n = b ? (size_t)sz : 0;
    return b;
}

/* n float32 values from "<dir>/<name>.f32" (as the PyTorch reference scripts
 * write them); NULL when the file is missing or holds another count. */
static inline float *test_read_f32(const char *dir, const char *name, int64_t n)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s.f32", dir, name);
    size_t bytes = 0;
    char *b = test_slurp(p, &bytes);
    if (b && bytes != sizeof(float) * (size_t)n) {
        fprintf(stderr, "%s: %zu bytes, expected %lld floats\n", p, bytes, (long long)n);
        free(b);
        b = NULL;
    }
    return (float *)b;
}

/* `bin args` through the shell: its stdout (and stderr unless stdout_only)
 * into out (at most n - 1 bytes, 0-terminated); the exit status, -1 when it
 * did not run or ended on a signal. */
static inline int test_run_cmd(const char *bin, const char *args, char *out, size_t n, int stdout_only)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s %s", bin, args, stdout_only ? "2>/dev/null" : "2>&1");
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t k = fread(out, 1, n - 1, p);
    out[k] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* 1 when both files can be read and are byte for byte the same. */
static inline int test_same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = test_slurp(a, &na), *y = test_slurp(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* Runs `cmd` through /bin/sh and kills it (SIGKILL) as soon as `path`
 * exists, a checkpoint say, to test resuming after a crash: 1 when it was
 * killed, 0 when it ended first (or after 2 minutes of polling). */
static inline int test_kill_when_exists(const char *cmd, const char *path)
{
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 6000; i++) {
        if (access(path, R_OK) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return 1;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) return 0;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}

#endif
