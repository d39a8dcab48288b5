/*
 * pare runtime kernels for transformer decoders (float32), plain C99.
 *
 * Row kernels on [rows, features] tensors: the embedding gather, RMS norm,
 * the matrix product with a weight stored one row per output (what a GEMV
 * reads), rotary position embedding and attention, the last over either a
 * whole sequence or a KV cache. The decoder emitter calls them on every
 * prefill chunk and decode step; the plain full-sequence path of pare.rms_norm
 * / pare.rotary / pare.attention calls the same three kernels. No allocation,
 * no stdio; <math.h>, <stddef.h>, <stdint.h> only.
 *
 * Threads only on request: built with -DPARE_LLM_THREADS=N (N > 1) and
 * -pthread, pare_matmul_nt_f32 splits large products over N threads (N - 1
 * workers started once, kept waiting between calls), with the results of
 * one thread bit for bit; one call at a time. Without the macro, no pthreads.
 */
#ifndef PARE_LLM_H
#define PARE_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "pare_activation.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y[r,:] = table[ids[r],:] for r < rows; ids are checked by the caller. */
void pare_embed_f32(const float *table, const int32_t *ids, float *y, int32_t rows,
                    int32_t features);

/* y[r,:] = x[r,:] / sqrtf(mean(x[r,:]^2) + eps) * w; y may alias x. The sum of
 * squares is in float, in order f = 0 .. features-1. */
void pare_rms_norm_f32(const float *x, const float *w, float *y, int32_t rows, int32_t features,
                       float eps);

/* y[r][o] = act(sum_k x[r][k] * w[o][k]) for r < rows, o < outs: w is the
 * [K, N] weight of an ONNX MatMul stored transposed, [N][K], so that each
 * output reads one contiguous row. y must not alias x. */
void pare_matmul_nt_f32(const float *x, const float *w, float *y, int32_t rows, int32_t k,
                        int32_t outs, pare_act_t act, float act_a, float act_b);

/* x, y [rows, heads * head_dim] (y may alias x). Per row and head the first
 * 2 * n_freq dims are rotated in pairs (a, b) by the angle
 * (float)positions[r] * inv_freq[i] (the float product, then cosf / sinf, as
 * HF's float32 tables): a' = a cos - b sin, b' = b cos + a sin. interleaved 0
 * pairs (i, i + n_freq) (HF rotate_half), 1 pairs (2i, 2i + 1) (GPT-J). Dims
 * from 2 * n_freq on pass through. */
void pare_rotary_f32(const float *x, float *y, const int64_t *positions, int32_t rows,
                     int32_t heads, int32_t head_dim, const float *inv_freq, int32_t n_freq,
                     int interleaved);

/* q, out [rows, heads * head_dim] (out must not alias q). Key / value element
 * (t, g, d) is k[g * head_stride + t * row_stride + d] (a whole sequence:
 * row_stride = kv_heads * head_dim, head_stride = head_dim; one KV cache
 * layer [kv_heads][max_context][head_dim]: row_stride = head_dim,
 * head_stride = max_context * head_dim). Row r sees keys t < keys and, when
 * causal, only t <= first_pos + r (a whole sequence: first_pos = keys - rows;
 * a decoder chunk: the position of its first row). Query head h uses kv head
 * h / (heads / kv_heads). softmax(scale * q k^T) v in float with the maximum
 * subtracted; scratch holds at least `keys` floats. */
void pare_attention_f32(const float *q, const float *k, const float *v, float *out, int32_t rows,
                        int32_t keys, int64_t row_stride, int64_t head_stride, int32_t heads,
                        int32_t kv_heads, int32_t head_dim, float scale, int causal,
                        int32_t first_pos, float *scratch);

/* Writes rows [rows, kv_heads * head_dim] of k and v into one cache layer
 * [kv_heads][max_context][head_dim] at positions first_pos .. first_pos +
 * rows - 1 (the caller has checked that they fit). */
void pare_kv_store_f32(const float *k, const float *v, float *k_cache, float *v_cache,
                       int32_t rows, int32_t kv_heads, int32_t head_dim, int32_t max_context,
                       int32_t first_pos);

/* The weight-only 4-bit matrix product of pare.matmul_nbits (pare_llm_w4.c):
 * y[r][o] = act(sum_k x[r][k] * W[k][o]) for r < rows, o < outs, where
 *   W[k][o] = ((float)q(o, k) - (float)zeros[o * groups + k / group])
 *             * scales[o * groups + k / group],   groups = ceil(k / group).
 * qweight holds q packed two per byte along K, low nibble first (even k),
 * each output row padded to whole bytes: [outs][(k + 1) / 2], as
 * onnxruntime's MatMulNBits stores B. zeros are one per byte (0 .. 15),
 * [outs][groups]; scales float [outs][groups]. group is a power of two
 * >= 16. Float32 accumulation in 16 lanes (lane j sums the products of k = j
 * mod 16 in order, the lanes are added pairwise, then the products past the
 * last whole block of 16): the order depends on k only, so a prefill row
 * equals its decode, and the evaluator, which calls this function, equals
 * the compiled model as long as neither contracts a * b + c into an FMA (ISO
 * C modes such as -std=c99 do not). y must not alias x. */
void pare_matmul_nbits_f32(const float *x, const uint8_t *qweight, const float *scales,
                           const uint8_t *zeros, float *y, int32_t rows, int32_t k, int32_t outs,
                           int32_t group, pare_act_t act, float act_a, float act_b);

/* Packs values [outs][k] (0 .. 15, one per byte) as pare_matmul_nbits_f32
 * reads them: [outs][(k + 1) / 2] bytes, low nibble = even k, an odd k's
 * last nibble zero. */
void pare_pack_u4(const int8_t *values, uint8_t *packed, int32_t outs, int32_t k);

/* SmoothQuant W8A8 (pare.matmul_w8a8, pare_llm_w8.c).
 * pare_quantize_row_s8 quantizes one row x[k] into q[k]: with act_scale > 0
 * (per tensor) s = act_scale, otherwise (per token) s = max |x| / 127.0f;
 * q = clamp(roundf(x / s), -127, 127) (half away from zero; NaN -> 0). It
 * returns s (0 for a row of zeros, whose codes are all 0).
 * pare_matmul_w8a8_f32: for r < rows, o < outs,
 *   y[r][o] = ((float)acc * s_r) * weight_scales[o],
 *   acc = sum_i q_r[i] * weight[o][i] in int32 (exact for k <= 133000),
 * weight int8 [outs][k] (row o = output channel o, symmetric, in
 * [-127, 127]); scratch holds PARE_LLM_W8_SCRATCH(rows, k) bytes (the codes
 * of up to PARE_LLM_W8_ROWS rows, multiplied together). y must not alias x. */
#define PARE_LLM_W8_ROWS 4
#define PARE_LLM_W8_SCRATCH(rows, k)                                              \
  ((size_t)((rows) < PARE_LLM_W8_ROWS ? (rows) : PARE_LLM_W8_ROWS) * (size_t)(k))
float pare_quantize_row_s8(const float *x, int8_t *q, int32_t k, float act_scale);
void pare_matmul_w8a8_f32(const float *x, const int8_t *weight, const float *weight_scales,
                          float *y, int32_t rows, int32_t k, int32_t outs, float act_scale,
                          int8_t *scratch);

#ifdef __cplusplus
}
#endif

#endif /* PARE_LLM_H */
