/*
 * pare runtime: the weight-only 4-bit matrix product (pare.matmul_nbits) and
 * the packing of its weights; see pare_llm.h.
 *
 * Each weight is dequantized exactly as the op's definition says, one float
 * subtraction and one float multiply, ((float)q - (float)zero) * scale, a
 * group (at most PARE_W4_CHUNK weights) at a time into a float buffer on the
 * stack, by a loop over the packed bytes that compilers vectorise; the dot
 * products then run in pare_matmul_nt_f32's lanes: 16 independent lane sums
 * added pairwise at the end, the elements past the last whole block of 16 in
 * a separate tail sum, and never fmaf (the evaluator's build of this file
 * has no FMA, a -march=native one would). The order depends on K only (never on the number of
 * rows: one row, or four sharing each dequantized chunk), so a prefill row
 * equals the decode of that row, and the evaluator, which calls this
 * function, agrees with the compiled model bit for bit.
 */
#include "pare_llm.h"

/* Lanes of a dot product. A block of 16 never straddles two groups: a group
 * is a power of two >= 16 and blocks start at multiples of 16. */
#define PARE_W4_LANES 16
/* Rows sharing one dequantized block (a prefill chunk reads each weight
 * block once per PARE_W4_ROWS rows instead of once per row). */
#define PARE_W4_ROWS 4

void pare_pack_u4(const int8_t *values, uint8_t *packed, int32_t outs, int32_t k)
{
  int32_t o, i;
  size_t row = ((size_t)k + 1) / 2;
  for (o = 0; o < outs; ++o) {
    const int8_t *v = values + (size_t)o * (size_t)k;
    uint8_t *p = packed + (size_t)o * row;
    for (i = 0; i + 1 < k; i += 2)
      p[i / 2] = (uint8_t)((v[i] & 15) | ((v[i + 1] & 15) << 4));
    if (k % 2)
      p[k / 2] = (uint8_t)(v[k - 1] & 15);
  }
}

/* Weights dequantized at once: a run of whole lane blocks of one group. */
#define PARE_W4_CHUNK 256

/* The n (even) weights of bytes qb[0 .. n/2 - 1] with one scale and zero
 * point. */
static void pare_w4_dequant(const uint8_t *qb, int32_t n, float s, float z, float *w)
{
  int32_t j;
  for (j = 0; j < n / 2; ++j) {
    w[2 * j] = ((float)(qb[j] & 15) - z) * s;
    w[2 * j + 1] = ((float)(qb[j] >> 4) - z) * s;
  }
}

/* Weight k of output row qo (the tail past the last whole block). */
static float pare_w4_one(const uint8_t *qo, const float *so, const uint8_t *zo, int32_t k,
                         int32_t group)
{
  int q = k % 2 ? qo[k / 2] >> 4 : qo[k / 2] & 15;
  return ((float)q - (float)zo[k / group]) * so[k / group];
}

/* acc[0] + tail after the pairwise reduction of the lanes. */
static float pare_w4_reduce(float *acc, float tail)
{
  int32_t i, j;
  for (j = PARE_W4_LANES / 2; j > 0; j /= 2)
    for (i = 0; i < j; ++i)
      acc[i] += acc[i + j];
  return acc[0] + tail;
}

/* One row: the decode step's GEMV, accumulators in registers. */
static float pare_w4_row(const float *x, const uint8_t *qo, const float *so, const uint8_t *zo,
                         int32_t k, int32_t group)
{
  float acc[PARE_W4_LANES] = {0.0f}, w[PARE_W4_CHUNK], tail = 0.0f;
  int32_t whole = k - k % PARE_W4_LANES, g, c0, end, n, i, j;
  /* Group by group (no division in the loop), in chunks of the buffer. */
  for (g = 0, c0 = 0; c0 < whole; ++g)
    for (end = c0 + group < whole ? c0 + group : whole; c0 < end; c0 += n) {
      n = end - c0 < PARE_W4_CHUNK ? end - c0 : PARE_W4_CHUNK;
      pare_w4_dequant(qo + c0 / 2, n, so[g], (float)zo[g], w);
      for (i = 0; i < n; i += PARE_W4_LANES)
        for (j = 0; j < PARE_W4_LANES; ++j)
          acc[j] += x[c0 + i + j] * w[i + j];
    }
  for (i = whole; i < k; ++i)
    tail += x[i] * pare_w4_one(qo, so, zo, i, group);
  return pare_w4_reduce(acc, tail);
}

/* Four rows (x0 .. x3, some may repeat: their results are dropped) sharing
 * each dequantized block, each with the lane order of pare_w4_row. */
static void pare_w4_rows4(const float *x0, const float *x1, const float *x2, const float *x3,
                          const uint8_t *qo, const float *so, const uint8_t *zo, int32_t k,
                          int32_t group, float *out)
{
  float a0[PARE_W4_LANES] = {0.0f}, a1[PARE_W4_LANES] = {0.0f}, a2[PARE_W4_LANES] = {0.0f},
        a3[PARE_W4_LANES] = {0.0f}, w[PARE_W4_CHUNK];
  float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
  int32_t whole = k - k % PARE_W4_LANES, g, c0, end, n, i, j;
  for (g = 0, c0 = 0; c0 < whole; ++g)
    for (end = c0 + group < whole ? c0 + group : whole; c0 < end; c0 += n) {
      n = end - c0 < PARE_W4_CHUNK ? end - c0 : PARE_W4_CHUNK;
      pare_w4_dequant(qo + c0 / 2, n, so[g], (float)zo[g], w);
      for (i = 0; i < n; i += PARE_W4_LANES)
        for (j = 0; j < PARE_W4_LANES; ++j) {
          a0[j] += x0[c0 + i + j] * w[i + j];
          a1[j] += x1[c0 + i + j] * w[i + j];
          a2[j] += x2[c0 + i + j] * w[i + j];
          a3[j] += x3[c0 + i + j] * w[i + j];
        }
    }
  for (i = whole; i < k; ++i) {
    float wi = pare_w4_one(qo, so, zo, i, group);
    t0 += x0[i] * wi;
    t1 += x1[i] * wi;
    t2 += x2[i] * wi;
    t3 += x3[i] * wi;
  }
  out[0] = pare_w4_reduce(a0, t0);
  out[1] = pare_w4_reduce(a1, t1);
  out[2] = pare_w4_reduce(a2, t2);
  out[3] = pare_w4_reduce(a3, t3);
}

void pare_matmul_nbits_f32(const float *x, const uint8_t *qweight, const float *scales,
                           const uint8_t *zeros, float *y, int32_t rows, int32_t k, int32_t outs,
                           int32_t group, pare_act_t act, float act_a, float act_b)
{
  int32_t o, r0, r;
  size_t qrow = ((size_t)k + 1) / 2;
  int32_t groups = (k + group - 1) / group;
  for (o = 0; o < outs; ++o) {
    const uint8_t *qo = qweight + (size_t)o * qrow;
    const float *so = scales + (size_t)o * (size_t)groups;
    const uint8_t *zo = zeros + (size_t)o * (size_t)groups;
    for (r0 = 0; r0 < rows; r0 += PARE_W4_ROWS) {
      int32_t nr = rows - r0 < PARE_W4_ROWS ? rows - r0 : PARE_W4_ROWS;
      float v[PARE_W4_ROWS];
      const float *xr[PARE_W4_ROWS];
      if (nr == 1) {
        v[0] = pare_w4_row(x + (size_t)r0 * (size_t)k, qo, so, zo, k, group);
      } else {
        /* Missing rows of the last chunk repeat its last row. */
        for (r = 0; r < PARE_W4_ROWS; ++r)
          xr[r] = x + (size_t)(r0 + (r < nr ? r : nr - 1)) * (size_t)k;
        pare_w4_rows4(xr[0], xr[1], xr[2], xr[3], qo, so, zo, k, group, v);
      }
      for (r = 0; r < nr; ++r)
        y[(size_t)(r0 + r) * (size_t)outs + (size_t)o] = pare_activation(v[r], act, act_a, act_b);
    }
  }
}
