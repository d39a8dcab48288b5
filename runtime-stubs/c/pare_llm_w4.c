/*
 * pare runtime: the weight-only 4-bit matrix product (pare.matmul_nbits) and
 * the packing of its weights; see pare_llm.h.
 *
 * Each weight is dequantized exactly as the op's definition says, one float
 * subtraction and one float multiply, ((float)q - (float)zero) * scale, into
 * a block of PARE_W4_LANES floats on the stack; the dot products then run as
 * pare_matmul_nt_f32's: 16 independent lane sums added pairwise at the end,
 * the elements past the last whole block in a separate tail sum. The order
 * depends on K only (never on the number of rows), so a prefill row equals
 * the decode of that row, and the evaluator, which calls this function,
 * agrees with the compiled model bit for bit.
 */
#include "pare_llm.h"

/* Lanes of a dot product (and weights dequantized at once). A block of 16
 * never straddles two groups: a group is a power of two >= 16 and blocks
 * start at multiples of 16. */
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

void pare_matmul_nbits_f32(const float *x, const uint8_t *qweight, const float *scales,
                           const uint8_t *zeros, float *y, int32_t rows, int32_t k, int32_t outs,
                           int32_t group, pare_act_t act, float act_a, float act_b)
{
  int32_t o, r0, r, i, j;
  size_t qrow = ((size_t)k + 1) / 2;
  int32_t groups = (k + group - 1) / group;
  int32_t whole = k - k % PARE_W4_LANES;
  for (o = 0; o < outs; ++o) {
    const uint8_t *qo = qweight + (size_t)o * qrow;
    const float *so = scales + (size_t)o * (size_t)groups;
    const uint8_t *zo = zeros + (size_t)o * (size_t)groups;
    for (r0 = 0; r0 < rows; r0 += PARE_W4_ROWS) {
      int32_t nr = rows - r0 < PARE_W4_ROWS ? rows - r0 : PARE_W4_ROWS;
      float acc[PARE_W4_ROWS][PARE_W4_LANES];
      float tail[PARE_W4_ROWS];
      for (r = 0; r < PARE_W4_ROWS; ++r) {
        tail[r] = 0.0f;
        for (j = 0; j < PARE_W4_LANES; ++j)
          acc[r][j] = 0.0f;
      }
      for (i = 0; i < whole; i += PARE_W4_LANES) {
        float w[PARE_W4_LANES];
        const uint8_t *qb = qo + i / 2; /* i is even: whole bytes */
        float s = so[i / group], z = (float)zo[i / group];
        for (j = 0; j < PARE_W4_LANES / 2; ++j) {
          w[2 * j] = ((float)(qb[j] & 15) - z) * s;
          w[2 * j + 1] = ((float)(qb[j] >> 4) - z) * s;
        }
        for (r = 0; r < nr; ++r) {
          const float *xr = x + (size_t)(r0 + r) * (size_t)k + i;
          for (j = 0; j < PARE_W4_LANES; ++j)
            acc[r][j] += xr[j] * w[j];
        }
      }
      for (i = whole; i < k; ++i) {
        int q = i % 2 ? qo[i / 2] >> 4 : qo[i / 2] & 15;
        float w = ((float)q - (float)zo[i / group]) * so[i / group];
        for (r = 0; r < nr; ++r)
          tail[r] += x[(size_t)(r0 + r) * (size_t)k + i] * w;
      }
      for (r = 0; r < nr; ++r) {
        for (j = PARE_W4_LANES / 2; j > 0; j /= 2)
          for (i = 0; i < j; ++i)
            acc[r][i] += acc[r][i + j];
        y[(size_t)(r0 + r) * (size_t)outs + (size_t)o] =
            pare_activation(acc[r][0] + tail[r], act, act_a, act_b);
      }
    }
  }
}
