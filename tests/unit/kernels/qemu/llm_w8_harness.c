/*
 * pare_matmul_w8a8_f32 (runtime-stubs/c/pare_llm_w8.c): the kernel this
 * build selects (the DSP path on Cortex-M4 / M7) against the portable one,
 * compiled from the same file a second time with -DPARE_LLM_W8_PORTABLE and
 * its two functions renamed pare_ref_* (see test_llm_w8_kernels.py).
 * Deterministic data from an LCG, so every build sees the same cases; per
 * case it prints "case I ROWSxKxN ok|FAIL", then "hash 0x..." over the bits
 * of every y (equal on the host and on the cores), and with -DPARE_W8_COUNT
 * (an MPS2 board under qemu -icount shift=7, examples/cortex-m/cycles.c)
 * the instructions of one decode row of two shapes.
 */
#include "pare_llm.h"

#include <stdio.h>
#include <string.h>

#ifdef PARE_W8_COUNT
#include "cycles.h"
#endif

float pare_ref_quantize_row_s8(const float *x, int8_t *q, int32_t k, float act_scale);
void pare_ref_matmul_w8a8_f32(const float *x, const int8_t *weight, const float *weight_scales,
                              float *y, int32_t rows, int32_t k, int32_t outs, float act_scale,
                              int8_t *scratch);

#define MAX_X 2048
#define MAX_W (576 * 576)
#define MAX_Y 1024

static float xs[MAX_X], ys[MAX_Y], yr[MAX_Y], sw[576];
static int8_t ws[MAX_W], scratch[1536]; /* PARE_LLM_W8_SCRATCH of every case */
static uint32_t state = 20261207u;

static uint32_t next(void)
{
  state = state * 1664525u + 1013904223u;
  return state >> 8;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
  const unsigned char *b = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; ++i) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static void fill(int32_t rows, int32_t k, int32_t n, int zero_row)
{
  int32_t i;
  for (i = 0; i < rows * k; ++i)
    xs[i] = (float)((int32_t)(next() % 20001u) - 10000) / 1000.0f;
  xs[next() % (uint32_t)(rows * k)] *= 40.0f; /* an outlier */
  if (zero_row && rows > 1)
    memset(xs + k, 0, sizeof(float) * (size_t)k);
  for (i = 0; i < n * k; ++i)
    ws[i] = (int8_t)((int32_t)(next() % 255u) - 127);
  /* The extremes, so that SMLAD sees -127 * -127 and 127 * -127. */
  ws[0] = -127;
  ws[n * k - 1] = 127;
  for (i = 0; i < n; ++i)
    sw[i] = 1e-3f * (float)(1 + next() % 100u);
}

int main(void)
{
  static const int32_t cases[][4] = {
      /* rows, K, N, per-tensor (act scale 0.05) */
      {1, 1, 1, 0},   {1, 3, 5, 0},    {1, 4, 4, 0},     {1, 7, 9, 1},    {2, 16, 8, 0},
      {3, 33, 5, 0},  {1, 64, 64, 0},  {4, 64, 192, 1},  {1, 65, 67, 0},  {2, 128, 256, 0},
      {1, 255, 3, 1}, {5, 200, 11, 0}, {1, 576, 192, 0}, {1, 1536, 64, 0}, {8, 67, 12, 0},
      {9, 129, 13, 1}};
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t c;
  int failures = 0;
  for (c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    int32_t rows = cases[c][0], k = cases[c][1], n = cases[c][2], i;
    float act = cases[c][3] ? 0.05f : 0.0f;
    int ok;
    fill(rows, k, n, 1);
    for (i = 0; i < rows * n; ++i)
      ys[i] = yr[i] = -1.0f;
    pare_matmul_w8a8_f32(xs, ws, sw, ys, rows, k, n, act, scratch);
    pare_ref_matmul_w8a8_f32(xs, ws, sw, yr, rows, k, n, act, scratch);
    ok = memcmp(ys, yr, sizeof(float) * (size_t)(rows * n)) == 0;
    failures += !ok;
    h = fnv(h, ys, sizeof(float) * (size_t)(rows * n));
    printf("case %u %ldx%ldx%ld %s\n", (unsigned)c, (long)rows, (long)k, (long)n,
           ok ? "ok" : "FAIL");
  }
  printf("hash 0x%08lx%08lx\n", (unsigned long)(h >> 32), (unsigned long)(h & 0xffffffffu));
#ifdef PARE_W8_COUNT
  {
    /* K x N: the demo model's linears (benchmarks/llm/w8a8_cortex_m.py), SmolLM2's q. */
    static const int32_t shapes[][2] = {{128, 64}, {128, 128}, {128, 320}, {320, 128}, {576, 576}};
    for (c = 0; c < sizeof shapes / sizeof shapes[0]; ++c) {
      int32_t k = shapes[c][0], n = shapes[c][1];
      unsigned long mine, ref;
      fill(1, k, n, 0);
      pare_count_begin();
      pare_matmul_w8a8_f32(xs, ws, sw, ys, 1, k, n, 0.0f, scratch);
      mine = (unsigned long)pare_count_end();
      pare_count_begin();
      pare_ref_matmul_w8a8_f32(xs, ws, sw, yr, 1, k, n, 0.0f, scratch);
      ref = (unsigned long)pare_count_end();
      printf("count %ldx%ld: %lu instructions, %lu.%02lu a multiply-add (portable %lu)\n",
             (long)k, (long)n, mine, mine / (unsigned long)(k * n),
             mine * 100u / (unsigned long)(k * n) % 100u, ref);
    }
  }
#endif
  printf("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
