/*
 * pare runtime kernels for transformer decoders (float32); see pare_llm.h.
 * Straightforward loops: the decode step's speed is the next issue's; these
 * fix the semantics every faster kernel is checked against.
 */
#include "pare_llm.h"

#include <math.h>
#include <string.h>

void pare_embed_f32(const float *table, const int32_t *ids, float *y, int32_t rows,
                    int32_t features)
{
  int32_t r;
  for (r = 0; r < rows; ++r)
    memcpy(y + (size_t)r * (size_t)features, table + (size_t)ids[r] * (size_t)features,
           (size_t)features * sizeof(float));
}

void pare_rms_norm_f32(const float *x, const float *w, float *y, int32_t rows, int32_t features,
                       float eps)
{
  int32_t r, f;
  for (r = 0; r < rows; ++r) {
    const float *xr = x + (size_t)r * (size_t)features;
    float *yr = y + (size_t)r * (size_t)features;
    float sum = 0.0f, inv;
    for (f = 0; f < features; ++f)
      sum += xr[f] * xr[f];
    inv = 1.0f / sqrtf(sum / (float)features + eps);
    for (f = 0; f < features; ++f)
      yr[f] = xr[f] * inv * w[f];
  }
}

/* Lanes of the dot products: 16 independent partial sums (one or two SIMD
 * registers, a compiler vectorises the lane loop without reassociating any
 * sum), added pairwise at the end. The order depends only on k, never on
 * the number of rows, so a prefill row equals the decode of that row. */
#define PARE_LLM_LANES 16

void pare_matmul_nt_f32(const float *x, const float *w, float *y, int32_t rows, int32_t k,
                        int32_t outs, pare_act_t act, float act_a, float act_b)
{
  int32_t o, r, i, j;
  /* Output-major: each weight row is read once per call and stays in cache
   * for every row of the chunk. */
  for (o = 0; o < outs; ++o) {
    const float *wo = w + (size_t)o * (size_t)k;
    for (r = 0; r < rows; ++r) {
      const float *xr = x + (size_t)r * (size_t)k;
      float acc[PARE_LLM_LANES] = {0.0f};
      float tail = 0.0f;
      for (i = 0; i + PARE_LLM_LANES <= k; i += PARE_LLM_LANES)
        for (j = 0; j < PARE_LLM_LANES; ++j)
          acc[j] += xr[i + j] * wo[i + j];
      for (; i < k; ++i)
        tail += xr[i] * wo[i];
      for (j = PARE_LLM_LANES / 2; j > 0; j /= 2)
        for (i = 0; i < j; ++i)
          acc[i] += acc[i + j];
      y[(size_t)r * (size_t)outs + (size_t)o] = pare_activation(acc[0] + tail, act, act_a, act_b);
    }
  }
}

void pare_rotary_f32(const float *x, float *y, const int64_t *positions, int32_t rows,
                     int32_t heads, int32_t head_dim, const float *inv_freq, int32_t n_freq,
                     int interleaved)
{
  int32_t r, h, i, d;
  int32_t width = heads * head_dim;
  for (r = 0; r < rows; ++r) {
    float pos = (float)positions[r];
    for (h = 0; h < heads; ++h) {
      const float *xh = x + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim;
      float *yh = y + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim;
      for (i = 0; i < n_freq; ++i) {
        float angle = pos * inv_freq[i];
        float c = cosf(angle), s = sinf(angle);
        int32_t ia = interleaved ? 2 * i : i;
        int32_t ib = interleaved ? 2 * i + 1 : i + n_freq;
        float a = xh[ia], b = xh[ib];
        yh[ia] = a * c - b * s;
        yh[ib] = b * c + a * s;
      }
      if (yh != xh)
        for (d = 2 * n_freq; d < head_dim; ++d)
          yh[d] = xh[d];
    }
  }
}

void pare_attention_f32(const float *q, const float *k, const float *v, float *out, int32_t rows,
                        int32_t keys, int64_t row_stride, int64_t head_stride, int32_t heads,
                        int32_t kv_heads, int32_t head_dim, float scale, int causal,
                        int32_t first_pos, float *scratch)
{
  int32_t r, h, t, d;
  int32_t group = heads / kv_heads;
  int32_t width = heads * head_dim;
  for (r = 0; r < rows; ++r) {
    int32_t seen = keys;
    if (causal && first_pos + r + 1 < seen)
      seen = first_pos + r + 1;
    for (h = 0; h < heads; ++h) {
      const float *qh = q + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim;
      float *oh = out + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim;
      const float *kg = k + (size_t)(h / group) * (size_t)head_stride;
      const float *vg = v + (size_t)(h / group) * (size_t)head_stride;
      float max = -INFINITY, sum = 0.0f, inv;
      for (t = 0; t < seen; ++t) {
        const float *kt = kg + (size_t)t * (size_t)row_stride;
        float s = 0.0f;
        for (d = 0; d < head_dim; ++d)
          s += qh[d] * kt[d];
        s *= scale;
        scratch[t] = s;
        if (s > max)
          max = s;
      }
      for (d = 0; d < head_dim; ++d)
        oh[d] = 0.0f;
      for (t = 0; t < seen; ++t) {
        const float *vt = vg + (size_t)t * (size_t)row_stride;
        float p = expf(scratch[t] - max);
        sum += p;
        for (d = 0; d < head_dim; ++d)
          oh[d] += p * vt[d];
      }
      /* A row that sees no key (only possible with keys == 0) stays zero. */
      inv = sum > 0.0f ? 1.0f / sum : 0.0f;
      for (d = 0; d < head_dim; ++d)
        oh[d] *= inv;
    }
  }
}

void pare_kv_store_f32(const float *k, const float *v, float *k_cache, float *v_cache,
                       int32_t rows, int32_t kv_heads, int32_t head_dim, int32_t max_context,
                       int32_t first_pos)
{
  int32_t r, g;
  size_t bytes = (size_t)head_dim * sizeof(float);
  for (r = 0; r < rows; ++r)
    for (g = 0; g < kv_heads; ++g) {
      size_t src = ((size_t)r * (size_t)kv_heads + (size_t)g) * (size_t)head_dim;
      size_t dst = ((size_t)g * (size_t)max_context + (size_t)(first_pos + r)) * (size_t)head_dim;
      memcpy(k_cache + dst, k + src, bytes);
      memcpy(v_cache + dst, v + src, bytes);
    }
}
