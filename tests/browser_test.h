/* Headless Chromium for the tests that look at a report page as a person
 * would: a screenshot of the page, decoded to RGB pixels. */
#ifndef ECGX_TEST_BROWSER_TEST_H
#define ECGX_TEST_BROWSER_TEST_H

#include "check.h"

#include <spng.h>
#include <stdint.h>

#define TEST_CHROMIUM "/usr/bin/chromium"
#define TEST_CHROMIUM_FLAGS                                                                                            \
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "            \
    "--disable-component-update --disable-sync --hide-scrollbars"

/* 1 when the browser check can run here; 0 (saying why) when Chromium is
 * absent or this is a sanitizer run. */
static inline int test_browser_usable(void)
{
    if (access(TEST_CHROMIUM, X_OK) != 0) {
        fprintf(stderr, "  (chromium absent: browser check skipped; install it with `sh scripts/setup-deps.sh test`, as make test does)\n");
        return 0;
    }
    if (getenv("ECGX_SANITIZER")) {
        fprintf(stderr, "  (sanitizer run: browser check skipped)\n");
        return 0;
    }
    return 1;
}

/* A w x h screenshot of file `html` into `shot`, with Chromium's profile in
 * `profile`: 1 when taken, 0 (saying so) when Chromium could not run. */
static inline int test_screenshot(const char *html, int w, int h, const char *profile, const char *shot)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "timeout 120 " TEST_CHROMIUM " " TEST_CHROMIUM_FLAGS
             " --user-data-dir=%s --screenshot=%s --window-size=%d,%d file://%s >/dev/null 2>&1",
             profile, shot, w, h, html);
    int s = system(cmd);
    if (!WIFEXITED(s) || WEXITSTATUS(s) != 0 || access(shot, R_OK) != 0) {
        fprintf(stderr, "  (chromium could not run here: browser check skipped)\n");
        return 0;
    }
    return 1;
}

/* The RGB8 pixels of a PNG file (*n bytes, *w x *h); NULL when it cannot be
 * read or decoded. */
static inline uint8_t *test_png_rgb(const char *path, uint32_t *w, uint32_t *h, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    spng_ctx *ctx = spng_ctx_new(0);
    struct spng_ihdr ihdr;
    uint8_t *img = NULL;
    *n = 0;
    if (ctx && spng_set_png_file(ctx, fp) == 0 && spng_get_ihdr(ctx, &ihdr) == 0 &&
        spng_decoded_image_size(ctx, SPNG_FMT_RGB8, n) == 0 && *n > 0 && (img = malloc(*n)) &&
        spng_decode_image(ctx, img, *n, SPNG_FMT_RGB8, 0) != 0) {
        free(img);
        img = NULL;
    }
    if (img) {
        *w = ihdr.width;
        *h = ihdr.height;
    }
    spng_ctx_free(ctx);
    fclose(fp);
    return img;
}

#endif
