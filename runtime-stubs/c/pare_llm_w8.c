/*
 * pare runtime: the int8 x int8 matrix product of SmoothQuant W8A8
 * (pare.matmul_w8a8); see pare_llm.h.
 *
 * The activations are quantized row by row into the caller's scratch, each
 * value by one float division, rounded half away from zero (C99's roundf,
 * computed exactly without the libm call) and clamped to [-127, 127]; the dot
 * products are exact int32 sums (so their order, and any vectorisation of
 * it, cannot change a bit), and the epilogue is two float multiplies in a
 * fixed order. The evaluator calls this same file, so it equals the compiled
 * model bit for bit on any compiler that does not contract the epilogue (it
 * has no addition to contract).
 *
 * Up to PARE_LLM_W8_ROWS rows are quantized together and multiplied in one
 * pass over the weights (prefill chunks and batched decode steps read each
 * weight block once per four rows, not once per row).
 * Two kernels compute the sums, with the same results:
 *  - portable C: four output channels at once (of four rows at once when
 *    there are four), so that each code is loaded once for four products;
 *    the loop over K has plain int32 accumulators, which gcc -O3 vectorises
 *    (SSE2 / AVX2 on x86);
 *  - Cortex-M with the DSP extension (__ARM_FEATURE_DSP: M4, M7, and M33 /
 *    M55 built with it):
 *    three channels at once, four codes per 32-bit load; SXTB16
 *    sign-extends bytes 0 and 2 (and, of the word rotated by 8, bytes 1 and
 *    3) into two int16 halves, and SMLAD adds both halves' products to the
 *    int32 sum in one instruction: 6 SMLAD per 12 multiply-adds.
 * Define PARE_LLM_W8_PORTABLE to build the portable kernel on a DSP core
 * (tests/unit/kernels/test_llm_w8_kernels.py compares the two there).
 */
#include "pare_llm.h"

#include <math.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && (defined(__GNUC__) || defined(__clang__)) &&                    \
    !defined(PARE_LLM_W8_PORTABLE)
#define PARE_W8_DSP 1
#include <arm_acle.h>
#else
#define PARE_W8_DSP 0
#endif

/* The block kernels are kept out of line: inlined into the row loop, their
 * pointers compete with its values for the registers (on Cortex-M, spills
 * in the inner loop). */
#if defined(__GNUC__) || defined(__clang__)
#define PARE_W8_NOINLINE __attribute__((noinline))
#else
#define PARE_W8_NOINLINE
#endif

/* The code of v = x / s: clamp(roundf(v), -127, 127), NaN -> 0. Past the
 * clamp (or NaN) one branch settles it; inside, trunc(2v) is exact (v + v
 * is), and (|trunc(2v)| + 1) / 2 with v's sign is v rounded half away from
 * zero, as roundf does: integer operations instead of a libm call and
 * float compares (a row of 128 codes on Cortex-M7: 3.4 K instructions
 * instead of 5.5 K). */
static int8_t pare_w8_code(float v)
{
  int32_t t, s;
  if (!(fabsf(v) <= 127.0f))
    return (int8_t)(v > 0.0f ? 127 : v < 0.0f ? -127 : 0);
  t = (int32_t)(v + v);
  s = -(int32_t)(t < 0); /* 0 or -1: (t ^ s) - s = |t| */
  t = (((t ^ s) - s) + 1) >> 1;
  return (int8_t)((t ^ s) - s);
}

float pare_quantize_row_s8(const float *x, int8_t *q, int32_t k, float act_scale)
{
  int32_t i;
  float scale = act_scale;
  if (scale <= 0.0f) {
    /* Per token: the row's largest magnitude maps to 127. */
    float m = 0.0f;
    for (i = 0; i < k; ++i) {
      float a = fabsf(x[i]);
      m = a > m ? a : m;
    }
    scale = m / 127.0f;
  }
  if (!(scale > 0.0f)) {
    /* A row of zeros (or an unusable scale): every code is 0 and so is y. */
    for (i = 0; i < k; ++i)
      q[i] = 0;
    return 0.0f;
  }
  for (i = 0; i < k; ++i)
    q[i] = pare_w8_code(x[i] / scale);
  return scale;
}

#if PARE_W8_DSP

static int32_t pare_w8_ld32(const int8_t *p)
{
  int32_t v;
  memcpy(&v, p, 4); /* LDR: Cortex-M3 and later load unaligned words */
  return v;
}

/* SXTB16 of the word rotated by 8 (bytes 1 and 3) in one instruction: gcc
 * does not fold __ror into __sxtb16. */
static inline int32_t pare_w8_sxtb16_ror8(int32_t x)
{
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

/* One channel: sum_i x[i] * w[i]. */
static int32_t pare_w8_dot1(const int8_t *x, const int8_t *w, int32_t k)
{
  int32_t i, s = 0;
  for (i = 0; i + 3 < k; i += 4) {
    int32_t v = pare_w8_ld32(x + i), u = pare_w8_ld32(w + i);
    s = __smlad(__sxtb16(v), __sxtb16(u), s);
    s = __smlad(pare_w8_sxtb16_ror8(v), pare_w8_sxtb16_ror8(u), s);
  }
  for (; i < k; ++i)
    s += (int32_t)x[i] * (int32_t)w[i];
  return s;
}

/* Three channels, rows w .. w + 2k: acc[j] = sum_i x[i] * w[j * k + i]. The
 * halves of x are extended once for the three SMLAD pairs. Three, not four:
 * with four, the pointers and sums no longer fit the registers and gcc
 * spills in the loop (measured under QEMU on Cortex-M4 / M7, K = N = 576:
 * 1.77 instructions per multiply-add with three, 2.1 with four, 2.2 with
 * three unrolled by two). */
#define PARE_W8_BLOCK 3
static PARE_W8_NOINLINE void pare_w8_block(const int8_t *x, const int8_t *w, int32_t k,
                                           int32_t *acc)
{
  const int8_t *w0 = w, *w1 = w0 + k, *w2 = w1 + k;
  const int8_t *xp = x, *xe = x + (k & ~3);
  int32_t s0 = 0, s1 = 0, s2 = 0;
  while (xp != xe) {
    int32_t v = pare_w8_ld32(xp);
    int32_t xa = __sxtb16(v), xb = pare_w8_sxtb16_ror8(v);
    int32_t u0 = pare_w8_ld32(w0), u1 = pare_w8_ld32(w1), u2 = pare_w8_ld32(w2);
    xp += 4;
    w0 += 4;
    w1 += 4;
    w2 += 4;
    s0 = __smlad(xa, __sxtb16(u0), s0);
    s0 = __smlad(xb, pare_w8_sxtb16_ror8(u0), s0);
    s1 = __smlad(xa, __sxtb16(u1), s1);
    s1 = __smlad(xb, pare_w8_sxtb16_ror8(u1), s1);
    s2 = __smlad(xa, __sxtb16(u2), s2);
    s2 = __smlad(xb, pare_w8_sxtb16_ror8(u2), s2);
  }
  for (; xp != x + k; ++xp) {
    int32_t xv = *xp;
    s0 += xv * *w0++;
    s1 += xv * *w1++;
    s2 += xv * *w2++;
  }
  acc[0] = s0;
  acc[1] = s1;
  acc[2] = s2;
}

#else /* !PARE_W8_DSP */

static int32_t pare_w8_dot1(const int8_t *x, const int8_t *w, int32_t k)
{
  int32_t i, acc = 0;
  for (i = 0; i < k; ++i)
    acc += (int32_t)x[i] * (int32_t)w[i];
  return acc;
}

/* Four channels: one pass over x, four independent int32 reductions (which
 * the vectoriser keeps in four vector registers). */
#define PARE_W8_BLOCK 4
static PARE_W8_NOINLINE void pare_w8_block(const int8_t *x, const int8_t *w, int32_t k,
                                           int32_t *acc)
{
  const int8_t *w0 = w, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
  int32_t i, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (i = 0; i < k; ++i) {
    int32_t xv = x[i];
    s0 += xv * w0[i];
    s1 += xv * w1[i];
    s2 += xv * w2[i];
    s3 += xv * w3[i];
  }
  acc[0] = s0;
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
}

/* PARE_LLM_W8_ROWS rows by four channels: each weight code loaded once for
 * the four rows, each activation code once for the four channels (16 int32
 * sums; gcc -O3 keeps them in vector registers). */
static PARE_W8_NOINLINE void pare_w8_tile(const int8_t *x, const int8_t *w, int32_t k,
                                          int32_t acc[PARE_LLM_W8_ROWS][PARE_W8_BLOCK])
{
  const int8_t *x0 = x, *x1 = x0 + k, *x2 = x1 + k, *x3 = x2 + k;
  const int8_t *w0 = w, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
  int32_t i, s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  int32_t s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  for (i = 0; i < k; ++i) {
    int32_t a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
    int32_t b0 = w0[i], b1 = w1[i], b2 = w2[i], b3 = w3[i];
    s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
    s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
    s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
    s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
  }
  acc[0][0] = s00; acc[0][1] = s01; acc[0][2] = s02; acc[0][3] = s03;
  acc[1][0] = s10; acc[1][1] = s11; acc[1][2] = s12; acc[1][3] = s13;
  acc[2][0] = s20; acc[2][1] = s21; acc[2][2] = s22; acc[2][3] = s23;
  acc[3][0] = s30; acc[3][1] = s31; acc[3][2] = s32; acc[3][3] = s33;
}

#endif /* PARE_W8_DSP */

void pare_matmul_w8a8_f32(const float *x, const int8_t *weight, const float *weight_scales,
                          float *y, int32_t rows, int32_t k, int32_t outs, float act_scale,
                          int8_t *scratch)
{
  int32_t r0, o, j, g;
  const int32_t blocked = outs - outs % PARE_W8_BLOCK;
  /* Up to PARE_LLM_W8_ROWS rows at a time, quantized into the scratch first,
   * so that a block of weight rows is read once for all of them (prefill and
   * batched decoding). The sums are exact: grouping cannot change a bit. */
  for (r0 = 0; r0 < rows; r0 += PARE_LLM_W8_ROWS) {
    const int32_t nr = rows - r0 < PARE_LLM_W8_ROWS ? rows - r0 : PARE_LLM_W8_ROWS;
    float sx[PARE_LLM_W8_ROWS];
    float *yr = y + (size_t)r0 * (size_t)outs;
    for (g = 0; g < nr; ++g)
      sx[g] = pare_quantize_row_s8(x + (size_t)(r0 + g) * (size_t)k, scratch + (size_t)g * (size_t)k,
                                   k, act_scale);
    for (o = 0; o < blocked; o += PARE_W8_BLOCK) {
      const int8_t *w = weight + (size_t)o * (size_t)k;
      int32_t acc[PARE_LLM_W8_ROWS][PARE_W8_BLOCK];
#if !PARE_W8_DSP
      if (nr == PARE_LLM_W8_ROWS)
        pare_w8_tile(scratch, w, k, acc);
      else
#endif
        for (g = 0; g < nr; ++g)
          pare_w8_block(scratch + (size_t)g * (size_t)k, w, k, acc[g]);
      for (g = 0; g < nr; ++g)
        for (j = 0; j < PARE_W8_BLOCK; ++j)
          yr[(size_t)g * (size_t)outs + (size_t)(o + j)] =
              ((float)acc[g][j] * sx[g]) * weight_scales[o + j];
    }
    for (; o < outs; ++o)
      for (g = 0; g < nr; ++g) {
        int32_t acc = pare_w8_dot1(scratch + (size_t)g * (size_t)k, weight + (size_t)o * (size_t)k, k);
        yr[(size_t)g * (size_t)outs + (size_t)o] = ((float)acc * sx[g]) * weight_scales[o];
      }
  }
}
