/*
 * pare runtime: the int8 x int8 matrix product of SmoothQuant W8A8
 * (pare.matmul_w8a8); see pare_llm.h.
 *
 * The activations are quantized row by row into the caller's scratch, each
 * value by one float division and C99's roundf (half away from zero), then
 * clamped to [-127, 127]; the dot products are exact int32 sums (so their
 * order, and any vectorisation of it, cannot change a bit), and the epilogue
 * is two float multiplies in a fixed order. The evaluator calls this same
 * file, so it equals the compiled model bit for bit on any compiler that
 * does not contract the epilogue (it has no addition to contract).
 */
#include "pare_llm.h"

#include <math.h>

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
  for (i = 0; i < k; ++i) {
    float v = roundf(x[i] / scale);
    v = v > 127.0f ? 127.0f : v;
    v = v < -127.0f ? -127.0f : v;
    /* NaN input compares false on both sides and would be undefined to
     * convert: it quantizes to 0. */
    q[i] = (int8_t)(v == v ? (int)v : 0);
  }
  return scale;
}

static int32_t pare_dot_s8(const int8_t *a, const int8_t *b, int32_t k)
{
  int32_t i, acc = 0;
  for (i = 0; i < k; ++i)
    acc += (int32_t)a[i] * (int32_t)b[i];
  return acc;
}

void pare_matmul_w8a8_f32(const float *x, const int8_t *weight, const float *weight_scales,
                          float *y, int32_t rows, int32_t k, int32_t outs, float act_scale,
                          int8_t *scratch)
{
  int32_t r, o;
  for (r = 0; r < rows; ++r) {
    const int8_t *xq = scratch;
    float sx = pare_quantize_row_s8(x + (size_t)r * (size_t)k, scratch, k, act_scale);
    float *yr = y + (size_t)r * (size_t)outs;
    for (o = 0; o < outs; ++o) {
      int32_t acc = pare_dot_s8(xq, weight + (size_t)o * (size_t)k, k);
      yr[o] = ((float)acc * sx) * weight_scales[o];
    }
  }
}
