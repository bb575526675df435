/* Rendering speed: a 12-lead 10 s record (synthetic, 500 Hz) on 3x4 paper at
 * 300 dpi, drawn to an RGB raster and encoded to PNG with several zlib
 * settings. Prints JSON. Median of repeated runs; the machine is shared, so
 * compare figures from the same run only. */
#include "ecgx/render.h"
#include "render/render_internal.h"

#include <spng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

static ecgx_record *synthetic(void)
{
    ecgx_record *r = ecgx_record_new(12, 5000, 500);
    const char *names[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
    for (int l = 0; l < 12; l++) {
        ecgx_record_set_lead(r, l, names[l], "mV");
        float *x = ecgx_record_lead(r, l);
        for (int i = 0; i < 5000; i++) {
            double t = fmod(i / 500.0, 0.8);
            x[i] = (float)(0.15 * exp(-pow(t - 0.1, 2) / 0.0008) + (1.0 - 0.1 * l) * exp(-pow(t - 0.25, 2) / 0.00008) -
                           0.2 * exp(-pow(t - 0.27, 2) / 0.0001) + 0.3 * exp(-pow(t - 0.5, 2) / 0.003) +
                           0.02 * sin(i * 0.37 * (l + 1)));
        }
    }
    snprintf(r->name, sizeof r->name, "bench");
    return r;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 15;
    if (reps < 1) reps = 1;
    ecgx_record *rec = synthetic();
    float *rel = malloc(60000 * sizeof *rel);
    for (int i = 0; i < 60000; i++) rel[i] = (float)sin(i * 0.01);
    ecgx_render_options o;
    ecgx_render_options_default(&o);
    double *t_draw = malloc(reps * sizeof(double)), *t_draw_rel = malloc(reps * sizeof(double));
    ecgx_figure *fig = NULL;
    for (int k = 0; k < reps; k++) {
        ecgx_figure_free(fig);
        double a = now_ms();
        ecgx_render_ecg(rec, &o, ECGX_RENDER_PNG, &fig);
        t_draw[k] = now_ms() - a;
    }
    o.relevance = rel;
    double *c_draw = malloc(reps * sizeof(double)), *c_draw_rel = malloc(reps * sizeof(double));
    for (int k = 0; k < reps; k++) {
        ecgx_figure *f2;
        double a = now_ms(), c = cpu_ms();
        ecgx_render_ecg(rec, &o, ECGX_RENDER_PNG, &f2);
        t_draw_rel[k] = now_ms() - a;
        c_draw_rel[k] = cpu_ms() - c;
        ecgx_figure_free(f2);
    }
    o.relevance = NULL;
    for (int k = 0; k < reps; k++) {
        ecgx_figure *f2;
        double c = cpu_ms();
        ecgx_render_ecg(rec, &o, ECGX_RENDER_PNG, &f2);
        c_draw[k] = cpu_ms() - c;
        ecgx_figure_free(f2);
    }
    struct { const char *name; int level, filter, strategy; } cfg[] = {
        {"ecgx_fast", -1, 0, 0},
        {"level1_up_default", 1, SPNG_FILTER_CHOICE_UP, Z_DEFAULT_STRATEGY},
        {"level1_up_rle", 1, SPNG_FILTER_CHOICE_UP, Z_RLE},
        {"level1_none_default", 1, SPNG_FILTER_CHOICE_NONE, Z_DEFAULT_STRATEGY},
        {"level1_sub_rle", 1, SPNG_FILTER_CHOICE_SUB, Z_RLE},
        {"level3_up_default", 3, SPNG_FILTER_CHOICE_UP, Z_DEFAULT_STRATEGY},
        {"level6_all_filtered", 6, SPNG_FILTER_CHOICE_ALL, Z_FILTERED},
    };
    int nc = (int)(sizeof cfg / sizeof *cfg);
    printf("{\n  \"record\": \"12 leads x 10 s at 500 Hz, 3x4 + rhythm strip\",\n  \"dpi\": 300,\n");
    printf("  \"width_px\": %d, \"height_px\": %d, \"reps\": %d,\n", fig->image.width, fig->image.height, reps);
    printf("  \"draw_ms_median\": %.2f,\n  \"draw_cpu_ms_median\": %.2f,\n  \"draw_with_relevance_ms_median\": %.2f,\n"
           "  \"draw_with_relevance_cpu_ms_median\": %.2f,\n  \"png\": [\n",
           median(t_draw, reps), median(c_draw, reps), median(t_draw_rel, reps), median(c_draw_rel, reps));
    for (int c = 0; c < nc; c++) {
        double *t = malloc(reps * sizeof(double));
        size_t len = 0;
        for (int k = 0; k < reps; k++) {
            void *png;
            double a = now_ms();
            if (cfg[c].level < 0) render_png_fast(&fig->image, 300, &png, &len);
            else render_encode_png(&fig->image, cfg[c].level, cfg[c].filter, cfg[c].strategy, 300, &png, &len);
            t[k] = now_ms() - a;
            free(png);
        }
        printf("    {\"config\": \"%s\", \"encode_ms_median\": %.2f, \"bytes\": %zu}%s\n", cfg[c].name, median(t, reps), len,
               c + 1 < nc ? "," : "");
        free(t);
    }
    /* end to end, as `ecgx render` does it: draw + encode with the default + write */
    double *t = malloc(reps * sizeof(double)), *tc = malloc(reps * sizeof(double));
    o.relevance = NULL;
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/bench_render.png", dir && *dir ? dir : "/tmp");
    for (int k = 0; k < reps; k++) {
        double a = now_ms(), c = cpu_ms();
        ecgx_render_ecg_file(rec, &o, path);
        t[k] = now_ms() - a;
        tc[k] = cpu_ms() - c;
    }
    remove(path);
    /* CPU time as well as wall time: on a shared machine the wall time also
     * counts the time other processes held the core */
    double la[1] = {0};
    FILE *fl = fopen("/proc/loadavg", "r");
    if (fl) { if (fscanf(fl, "%lf", &la[0]) != 1) la[0] = -1; fclose(fl); }
    printf("  ],\n  \"end_to_end_png_file_ms_median\": %.2f,\n  \"end_to_end_png_file_cpu_ms_median\": %.2f,\n"
           "  \"load_average_1min\": %.2f\n}\n", median(t, reps), median(tc, reps), la[0]);
    free(t);
    free(tc);
    free(t_draw);
    free(t_draw_rel);
    free(c_draw);
    free(c_draw_rel);
    free(rel);
    ecgx_figure_free(fig);
    ecgx_record_free(rec);
    return 0;
}
