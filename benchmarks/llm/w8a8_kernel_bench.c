/*
 * Speed of pare_matmul_w8a8_f32 (runtime-stubs/c/pare_llm_w8.c) on the
 * linears of SmolLM2-135M (hidden 576, MLP 1536): one decode row and a
 * 16-row prefill chunk, median of repeated runs, and a checksum of y so that
 * two builds of the kernel can be compared for identical results.
 *
 *   cc -std=c99 -O3 [-march=native] -Iruntime-stubs/c \
 *      benchmarks/llm/w8a8_kernel_bench.c runtime-stubs/c/pare_llm_w8.c -lm
 *   ./a.out [seconds per shape, default 0.3]
 *
 * To compare two versions of the kernel, build it once with each (e.g.
 * `git show REV:runtime-stubs/c/pare_llm_w8.c > old.c` in place of the
 * file) and run them alternately on a quiet machine: the checksums must be
 * equal. The Cortex-M counts are tests/unit/kernels/qemu/llm_w8_harness.c's.
 */
#define _POSIX_C_SOURCE 199309L
#include "pare_llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint32_t rng = 19u;
static uint32_t next(void)
{
  rng = rng * 1664525u + 1013904223u;
  return rng >> 8;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
  /* rows, K, N: q (576 -> 576), k / v (576 -> 192), gate / up (576 -> 1536),
   * down (1536 -> 576). */
  static const int32_t shapes[][3] = {{1, 576, 576}, {1, 576, 192}, {1, 576, 1536},
                                      {1, 1536, 576}, {16, 576, 1536}, {16, 1536, 576}};
  double budget = argc > 1 ? atof(argv[1]) : 0.3;
  size_t s;
  for (s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
    int32_t rows = shapes[s][0], k = shapes[s][1], n = shapes[s][2], i;
    float *x = malloc(sizeof(float) * (size_t)rows * (size_t)k);
    float *y = malloc(sizeof(float) * (size_t)rows * (size_t)n);
    float *sw = malloc(sizeof(float) * (size_t)n);
    int8_t *w = malloc((size_t)n * (size_t)k), *scratch = malloc(PARE_LLM_W8_SCRATCH(rows, k));
    double times[64], t0, sum = 0;
    int reps = 0, calls = 1, c;
    for (i = 0; i < rows * k; ++i)
      x[i] = (float)((int32_t)(next() % 2001u) - 1000) / 100.0f;
    for (i = 0; i < n * k; ++i)
      w[i] = (int8_t)((int32_t)(next() % 255u) - 127);
    for (i = 0; i < n; ++i)
      sw[i] = 1e-3f * (float)(1 + next() % 10u);
    /* Calls per timed batch: about 1 ms. */
    t0 = now();
    pare_matmul_w8a8_f32(x, w, sw, y, rows, k, n, 0.0f, scratch);
    calls = (int)(1e-3 / (now() - t0 + 1e-9)) + 1;
    t0 = now();
    while (reps < 64 && (now() - t0 < budget || reps < 5)) {
      double b = now();
      for (c = 0; c < calls; ++c)
        pare_matmul_w8a8_f32(x, w, sw, y, rows, k, n, 0.0f, scratch);
      times[reps++] = (now() - b) / calls;
    }
    qsort(times, (size_t)reps, sizeof times[0], cmp);
    for (i = 0; i < rows * n; ++i)
      sum += (double)y[i] * (double)(i % 7 + 1);
    printf("rows %2d K %4d N %4d: %9.2f us  %6.2f GMAC/s  checksum %.9g\n", (int)rows, (int)k,
           (int)n, times[reps / 2] * 1e6, (double)rows * k * n / times[reps / 2] * 1e-9, sum);
    free(x);
    free(y);
    free(sw);
    free(w);
    free(scratch);
  }
  return 0;
}
