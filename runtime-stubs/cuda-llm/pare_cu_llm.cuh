/*
 * pare CUDA decoder kernels: the launch functions of the LLM decoder that
 * `pare compile --max-context N --target cuda` emits (issue 16). Copied
 * verbatim next to the generated <name>.cu; they need only the CUDA runtime.
 *
 * Conventions
 *  - Every tensor is [rows][features], row-major, contiguous; rows is the
 *    run-time row count of the step (1 for decode, up to the prefill chunk).
 *  - Every entry point exists for float (`_f32`) and half (`_f16`) storage;
 *    every sum, norm, softmax and rotation is computed in float.
 *  - Matmul weights are stored transposed, [N][K]: one row per output, what a
 *    GEMV streams (the weights file's "transposed" layout).
 *  - The KV cache of one layer is [kv_heads][max_context][head_dim], K and V
 *    in two such arrays; token ids and positions are int32 in device memory,
 *    so a captured decode step reads them there and depends on no host value.
 *  - KV-cache slots (batched decode: several sequences, each in its own slot
 *    of the caches). Every entry point that reads or writes a KV cache
 *    (kv_write, attention, qkv, qkv_w4, decode_attention, and
 *    pare_llm_blas_qkv) takes `const int32_t *slots, long long slot_stride`
 *    right after `positions`:
 *      slots NULL: every row uses k_cache / v_cache as given (rows of one
 *        sequence: a decode step or a prefill chunk); slot_stride unused;
 *      slots non-NULL: int32 device memory, one slot a row; row r is its own
 *        sequence: it uses k_cache + slots[r] * slot_stride and v_cache +
 *        slots[r] * slot_stride (slot_stride in elements of T), is written
 *        at positions[r] of that slot and attends to that slot's positions
 *        0 .. positions[r]. Rows may share a slot at different positions
 *        (several tokens of one sequence); a call that writes the caches
 *        must not write one (slot, position) twice.
 *    Slots are read like positions: in device memory, after the PDL wait
 *    below, through loads the memory model orders. The cache layout of one
 *    slot is the one above; slot s of a layer starts s * slot_stride
 *    elements past the layer's slot-0 cache (the decoder's caches are
 *    [slot][layer][...], so slot_stride is one slot's elements; a multiple
 *    of 16 bytes keeps decode_attention on its 16-byte loads).
 *  - Launch functions are asynchronous on `stream`, never allocate, never
 *    synchronise, and return cudaGetLastError() after the launch (so they can
 *    be captured into a CUDA graph).
 *  - On compute capability 9.0+ (code built for sm_90 or later) the kernels a
 *    decode step runs (embed, rms_norm, the decode GEMVs of matmul / linear /
 *    gated / qkv, of their int4 forms and of matmul_w4, rotary, kv_write,
 *    attention and decode_attention, binary, activation, logits, sample) are
 *    launched with programmatic dependent launch: one may start while its
 *    predecessor in the stream (or graph) drains, streaming its weights in,
 *    and waits for that predecessor's completion before it reads anything
 *    else or writes anything, so stream order means what it always did.
 *    Prefill GEMMs (and the int4 forms' dequantization) and prefill
 *    attention launch as before. -DPARE_CU_NO_PDL turns it off (see
 *    pare_cu_llm_device.cuh).
 */
#ifndef PARE_CU_LLM_CUH
#define PARE_CU_LLM_CUH

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

/* pare_act_t and the activation formulas, shared with the C kernels. */
#include "pare_activation.h"

typedef __half pare_half;

/* Elementwise binary operations of the decoder. */
typedef enum {
  PARE_LLM_ADD = 0,
  PARE_LLM_SUB = 1,
  PARE_LLM_MUL = 2,
  PARE_LLM_DIV = 3
} pare_llm_binop_t;

/* Head dims the attention kernel takes (it keeps head_dim / 32 values a lane). */
#define PARE_LLM_MAX_HEAD_DIM 256

/* Rows (sequences) a pare_llm_decode_attention call with slots takes at most. */
#define PARE_LLM_MAX_BATCH_ROWS 256

#define PARE_LLM_DECLARE_KERNELS(SUF, T)                                        \
  /* y[r] = table[ids[r]]: rows of a [vocab][features] table (ids checked by  \
   * the caller). */                                                          \
  cudaError_t pare_llm_embed_##SUF(const T *table, const int32_t *ids, T *y,  \
                                   int rows, int features,                    \
                                   cudaStream_t stream);                      \
  /* y = x / sqrt(mean(x^2) + epsilon) * w, per row. */                       \
  cudaError_t pare_llm_rms_norm_##SUF(const T *x, const T *w, T *y, int rows, \
                                      int features, float epsilon,            \
                                      cudaStream_t stream);                   \
  /* y[r][j] = act(sum_k x[r][k] * wt[j][k]): x [rows][k], wt [n][k]. */      \
  cudaError_t pare_llm_matmul_##SUF(const T *x, const T *wt, T *y, int rows,  \
                                    int k, int n, pare_act_t act, float act_a,\
                                    float act_b, cudaStream_t stream);        \
  /* Rotary embedding of x [rows][heads * head_dim] (y may be x): per head,   \
   * pairs (i, i + rotary_dim / 2) (interleaved: (2i, 2i + 1)) for i <        \
   * rotary_dim / 2 turn by positions[r] * inv_freq[i]; other dims are        \
   * copied. */                                                               \
  cudaError_t pare_llm_rotary_##SUF(const T *x, const int32_t *positions,     \
                                    const float *inv_freq, T *y, int rows,    \
                                    int heads, int head_dim, int rotary_dim,  \
                                    int interleaved, cudaStream_t stream);    \
  /* The same with int64 positions (a graph's position tensor). */           \
  cudaError_t pare_llm_rotary_pos64_##SUF(const T *x, const int64_t *positions,\
                                          const float *inv_freq, T *y,        \
                                          int rows, int heads, int head_dim,  \
                                          int rotary_dim, int interleaved,    \
                                          cudaStream_t stream);               \
  /* Writes k and v [rows][kv_heads * head_dim] into one layer's caches at    \
   * row positions[r] (of slot slots[r] when slots is non-NULL). */           \
  cudaError_t pare_llm_kv_write_##SUF(const T *k, const T *v,                 \
                                      const int32_t *positions,               \
                                      const int32_t *slots,                   \
                                      long long slot_stride, T *k_cache,      \
                                      T *v_cache, int rows, int kv_heads,     \
                                      int head_dim, int max_context,          \
                                      cudaStream_t stream);                   \
  /* y [rows][heads * head_dim]: row r, head h attends to the cache positions \
   * 0 .. positions[r] of kv head h / (heads / kv_heads) (of its own slot     \
   * with slots): softmax(scale * q k^T) v, the softmax in float with max     \
   * subtraction. A block per (row, head): any rows, with slots or not. */    \
  cudaError_t pare_llm_attention_##SUF(                                       \
      const T *q, const T *k_cache, const T *v_cache,                         \
      const int32_t *positions, const int32_t *slots, long long slot_stride,  \
      T *y, int rows, int heads, int kv_heads, int head_dim, int max_context, \
      float scale, cudaStream_t stream);                                      \
  /* Attention of a whole sequence (a graph not derived into a decoder): key \
   * t of kv head g at k[t * key_stride + g * head_stride]; row r sees keys   \
   * 0 .. keys - 1, or with `causal` 0 .. first_pos + r. */                   \
  cudaError_t pare_llm_attention_seq_##SUF(                                   \
      const T *q, const T *k, const T *v, T *y, int rows, int keys,           \
      int key_stride, int head_stride, int heads, int kv_heads, int head_dim, \
      float scale, int causal, int first_pos, cudaStream_t stream);           \
  /* y[r][c] = act(a[r * a_rs + c * a_cs] op b[r * b_rs + c * b_cs]) for      \
   * [rows][features]; a stride 0 broadcasts (a [features] constant: row      \
   * stride 0; a scalar: both 0). */                                          \
  cudaError_t pare_llm_binary_##SUF(                                          \
      pare_llm_binop_t op, const T *a, int a_rs, int a_cs, const T *b,        \
      int b_rs, int b_cs, T *y, int rows, int features, pare_act_t act,       \
      float act_a, float act_b, cudaStream_t stream);                         \
  /* y = act(x), `count` elements (y may be x). */                            \
  cudaError_t pare_llm_activation_##SUF(const T *x, T *y, size_t count,       \
                                        pare_act_t act, float act_a,          \
                                        float act_b, cudaStream_t stream);    \
  /* logits[i] = (float)x[i], i < count: the last row of the step's result. */\
  cudaError_t pare_llm_logits_##SUF(const T *x, float *logits, int count,     \
                                    cudaStream_t stream);

PARE_LLM_DECLARE_KERNELS(f32, float)
PARE_LLM_DECLARE_KERNELS(f16, pare_half)

#undef PARE_LLM_DECLARE_KERNELS

/* ---- Fused decode-step kernels (issue 17) --------------------------------
 * The decode step of a small model is launch bound and that of a large one
 * bandwidth bound: these entry points do in one launch what the plain ones
 * above do in several, reading each weight once. They take `rows` like
 * pare_llm_matmul: rows <= PARE_LLM_GEMV_ROWS runs the fused GEMV (the decode
 * step), more rows the tiled GEMM (tensor cores for f16) with the same
 * prologue and epilogue, so one call serves decode and prefill.
 *
 * Norm prologue: when norm_w is non-NULL the product reads, instead of x,
 *   xn[r][k] = (T)(x[r][k] / sqrt(mean_k x[r][k]^2 + norm_eps) * norm_w[k])
 * (what pare_llm_rms_norm stores); NULL reads x as it is. x is [rows][k].
 * The sm_90a prefill GEMM (built with PARE_CU_SM90A) rounds x * norm_w to T
 * instead and applies 1 / rms to the float sums: the same relative rounding,
 * not bit-equal to pare_llm_rms_norm followed by pare_llm_matmul. */
#define PARE_LLM_GEMV_ROWS 4

#define PARE_LLM_DECLARE_FUSED(SUF, T)                                         \
  /* y[r][j] = act(sum_k xn[r][k] * wt[j][k]) (+ residual[r][j] when          \
   * residual is non-NULL; residual may be y, y must not be x). */            \
  cudaError_t pare_llm_linear_##SUF(const T *x, const T *norm_w,              \
                                    float norm_eps, const T *wt,              \
                                    const T *residual, T *y, int rows, int k, \
                                    int n, pare_act_t act, float act_a,       \
                                    float act_b, cudaStream_t stream);        \
  /* The gated MLP's first half: y[r][j] = act(xn[r] . wg[j]) * (xn[r] .      \
   * wu[j]), wg and wu [n][k] (SwiGLU: act PARE_ACT_SILU). */                 \
  cudaError_t pare_llm_gated_##SUF(const T *x, const T *norm_w,               \
                                   float norm_eps, const T *wg, const T *wu,  \
                                   T *y, int rows, int k, int n,              \
                                   pare_act_t act, float act_a, float act_b,  \
                                   cudaStream_t stream);                      \
  /* The attention inputs of one layer: q = rotary(xn . wq) into q_out        \
   * [rows][heads * head_dim]; k = rotary(xn . wk) and v = xn . wv written    \
   * straight into the layer's caches at positions[r] (as                     \
   * pare_llm_kv_write, into row r's slot with slots, on the GEMV and the     \
   * GEMM alike). wq [heads * head_dim][k], wk and wv                         \
   * [kv_heads * head_dim][k]. The rotation is pare_llm_rotary's (pairs i,    \
   * i + rotary_dim / 2, or 2i, 2i + 1 when interleaved; dims past rotary_dim \
   * unturned); inv_freq NULL: no rotation. */                                \
  cudaError_t pare_llm_qkv_##SUF(                                             \
      const T *x, const T *norm_w, float norm_eps, const T *wq, const T *wk,  \
      const T *wv, const int32_t *positions, const int32_t *slots,            \
      long long slot_stride, const float *inv_freq, int rotary_dim,           \
      int interleaved, T *q_out, T *k_cache, T *v_cache, int rows, int k,     \
      int heads, int kv_heads, int head_dim, int max_context,                 \
      cudaStream_t stream);                                                   \
  /* pare_llm_attention with long contexts split across blocks (flash-        \
   * decoding) and, without slots, a tiled causal kernel for more than        \
   * PARE_LLM_GEMV_ROWS rows (prefill: the rows are one sequence). With       \
   * slots every row count 1 .. PARE_LLM_MAX_BATCH_ROWS runs the split        \
   * kernel, each row on its own slot and position (more rows:                \
   * cudaErrorInvalidValue). workspace: floats of device memory the caller    \
   * owns, PARE_LLM_ATTN_WORKSPACE_FLOATS_ROWS(rows, heads, head_dim) for     \
   * calls of up to `rows` rows (PARE_LLM_ATTN_WORKSPACE_FLOATS(heads,        \
   * head_dim) for up to PARE_LLM_GEMV_ROWS), ZEROED ONCE before its first    \
   * use: it holds the splits' partial softmaxes and merge tickets, which     \
   * every call leaves at zero (so graph replays need no reset). One          \
   * workspace serves calls of one (heads, head_dim) and any row count up to  \
   * its size, in stream order; same semantics and arguments as               \
   * pare_llm_attention otherwise. */                                         \
  cudaError_t pare_llm_decode_attention_##SUF(                                \
      const T *q, const T *k_cache, const T *v_cache,                         \
      const int32_t *positions, const int32_t *slots, long long slot_stride,  \
      T *y, int rows, int heads, int kv_heads, int head_dim, int max_context, \
      float scale, float *workspace, cudaStream_t stream);                    \
  /* Next token from the logits of one row (x: [vocab] of T, on the device):  \
   * temperature <= 0 takes the argmax (lowest id on ties); otherwise it      \
   * samples softmax(x / temperature) restricted to the top_k largest (0: no  \
   * limit) and to the smallest set whose probability reaches top_p (>= 1:    \
   * no limit), with the counter-based generator seeded by seed and           \
   * *step (a device counter the call increments, so a captured graph draws  \
   * a new number each replay). Writes the id to *out (device memory).        \
   * workspace: PARE_LLM_SAMPLE_WORKSPACE_BYTES(vocab) bytes of device        \
   * memory (reserved: the one-block kernel of pare_cu_llm_attn.cu uses       \
   * none and accepts NULL). The draw, exactly: top_k 1 is the argmax; the    \
   * top-k cut is the k-th largest logit value (ties with it kept), the       \
   * top-p cut the largest value v whose kept logits >= v have a mass         \
   * sum e^((x - max) / T) (each rounded to 2^-40) reaching ceil(top_p x the  \
   * kept total); the id is the argmax over kept i (lowest id on ties) of     \
   * (x[i] - max) / T - log(-log u_i), u_i = ((h_i >> 41) + 0.5) 2^-23, h_i = \
   * m(m(m(seed) ^ *step * 0x9E3779B97F4A7C15) + i * 0xD1B54A32D192ED03),     \
   * m = the splitmix64 finaliser (Gumbel-max: a draw from the softmax). */   \
  cudaError_t pare_llm_sample_##SUF(const T *x, int vocab, float temperature, \
                                    int top_k, float top_p,                   \
                                    unsigned long long seed,                  \
                                    unsigned long long *step, int32_t *out,   \
                                    void *workspace, cudaStream_t stream);

/* Split-attention workspace: a fixed part per row, so that row r's partials
 * and tickets are at the same place whatever the call's row count: for each
 * row, PARE_LLM_ATTN_MAX_SPLITS - 1 split partials per head (a running max, a
 * sum and head_dim values each), then one more such slot per head whose
 * first words are the row's merge tickets. _ROWS(rows, ...) covers calls of
 * up to `rows` rows; the plain macro the decode step's PARE_LLM_GEMV_ROWS. */
#define PARE_LLM_ATTN_MAX_SPLITS 64
#define PARE_LLM_ATTN_WORKSPACE_FLOATS_ROWS(rows, heads, head_dim)               \
  ((size_t)(rows) * (heads) * PARE_LLM_ATTN_MAX_SPLITS * ((head_dim) + 2))
#define PARE_LLM_ATTN_WORKSPACE_FLOATS(heads, head_dim)                         \
  PARE_LLM_ATTN_WORKSPACE_FLOATS_ROWS(PARE_LLM_GEMV_ROWS, heads, head_dim)
/* Sampling scratch: a float and an int per logit, plus 4 KiB. */
#define PARE_LLM_SAMPLE_WORKSPACE_BYTES(vocab) ((size_t)(vocab) * 8 + 4096)

PARE_LLM_DECLARE_FUSED(f32, float)
PARE_LLM_DECLARE_FUSED(f16, pare_half)

#undef PARE_LLM_DECLARE_FUSED

/* pare.matmul_nbits with 4-bit weights (pare_cu_llm_w4.cu):
 *   y[r][j] = act(sum_k x[r][k] * (q[j][k] - zero[j][k / group]) * scale[j][k / group])
 * for x [rows][k], y [rows][n], in float whatever T. Weights as the CUDA
 * decoder stores them (its weights file tags them "u4", "rows-padded-32"):
 *  - qw: n rows of PARE_LLM_W4_ROW_BYTES(k) bytes, 16-byte aligned: two
 *    weights a byte along k, the low nibble first (weight k of a row in byte
 *    k / 2, bits 4 (k % 2) ..), each row zero-padded to a multiple of 32
 *    weights: one 16-byte load is 32 weights of one output;
 *  - sz: [n][PARE_LLM_W4_GROUPS(k, group)][2] of T: each group's scale, then
 *    its zero point (an integer 0..15 held in T); the groups of a row cover
 *    its padding too (zeros there: x is taken as 0 past k).
 * group: a power of two >= 16. Rows <= PARE_LLM_W4_GEMV_ROWS run the GEMV,
 * more the tiled GEMM (tensor cores for f16). */
#define PARE_LLM_W4_GEMV_ROWS 4
#define PARE_LLM_W4_ROW_BYTES(k) ((((k) + 31) / 32) * 16)
#define PARE_LLM_W4_GROUPS(k, group) ((((k) + 31) / 32 * 32 + (group) - 1) / (group))
cudaError_t pare_llm_matmul_w4_f32(const float *x, const uint8_t *qw, const float *sz, float *y,
                                   int rows, int k, int n, int group, pare_act_t act, float act_a,
                                   float act_b, cudaStream_t stream);
cudaError_t pare_llm_matmul_w4_f16(const pare_half *x, const uint8_t *qw, const pare_half *sz,
                                   pare_half *y, int rows, int k, int n, int group, pare_act_t act,
                                   float act_a, float act_b, cudaStream_t stream);

/* The fused decode-step kernels with int4 weights (issue 18): pare_llm_linear
 * / gated / qkv where each weight is a pare.matmul_nbits of 4 bits in the
 * layout above (qw, sz; one group size for all of a call's matrices). Same
 * norm prologue, epilogues and arguments otherwise (qkv_w4's slots as
 * pare_llm_qkv's, on the GEMV and the prefill path), each product
 *   sum_k xn[r][k] * ((q[j][k] - zero[j][k / group]) * scale[j][k / group])
 * dequantized in float as pare_llm_matmul_w4 does. Rows <= PARE_LLM_GEMV_ROWS
 * run the fused GEMV on the packed weights (workspace unused, may be NULL).
 * More rows dequantize the call's matrices into `workspace` (rounded to T,
 * as pare_llm_matmul_w4's tiled GEMM does) and run the dense fused GEMM:
 * workspace is PARE_LLM_W4_FUSED_WORKSPACE_BYTES(k, outputs, sizeof(T))
 * bytes of device memory, 16-byte aligned, outputs = n (linear), 2 n
 * (gated), (heads + 2 kv_heads) head_dim (qkv); calls on one stream may
 * share it. */
#define PARE_LLM_W4_FUSED_WORKSPACE_BYTES(k, outputs, elem) \
  ((size_t)(outputs) * (size_t)(k) * (size_t)(elem) + 48)
#define PARE_LLM_DECLARE_FUSED_W4(SUF, T)                                                     \
  cudaError_t pare_llm_linear_w4_##SUF(const T *x, const T *norm_w, float norm_eps,           \
                                       const uint8_t *qw, const T *sz, int group,             \
                                       const T *residual, T *y, int rows, int k, int n,       \
                                       pare_act_t act, float act_a, float act_b,              \
                                       void *workspace, cudaStream_t stream);                 \
  cudaError_t pare_llm_gated_w4_##SUF(const T *x, const T *norm_w, float norm_eps,            \
                                      const uint8_t *qg, const T *szg, const uint8_t *qu,     \
                                      const T *szu, int group, T *y, int rows, int k, int n,  \
                                      pare_act_t act, float act_a, float act_b,               \
                                      void *workspace, cudaStream_t stream);                  \
  cudaError_t pare_llm_qkv_w4_##SUF(                                                          \
      const T *x, const T *norm_w, float norm_eps, const uint8_t *qq, const T *szq,           \
      const uint8_t *qk, const T *szk, const uint8_t *qv, const T *szv, int group,            \
      const int32_t *positions, const int32_t *slots, long long slot_stride,                  \
      const float *inv_freq, int rotary_dim, int interleaved, T *q_out, T *k_cache,           \
      T *v_cache, int rows, int k, int heads, int kv_heads, int head_dim, int max_context,    \
      void *workspace, cudaStream_t stream);

PARE_LLM_DECLARE_FUSED_W4(f32, float)
PARE_LLM_DECLARE_FUSED_W4(f16, pare_half)

#undef PARE_LLM_DECLARE_FUSED_W4

/* pare.matmul_w8a8, SmoothQuant W8A8 (pare_cu_llm_w8.cu, issue 19): the same
 * arithmetic as the C target's pare_matmul_w8a8_f32 (pare_llm.h), with the
 * fused linear's norm prologue and residual epilogue:
 *   xn      = x, or its RMS norm times norm_w when norm_w is non-NULL (as
 *             pare_llm_linear_*, computed in float, rounded to T);
 *   s_r     = act_scale when act_scale > 0 (per tensor, from calibration),
 *             else max_k |xn[r][k]| / 127 (per token, at run time);
 *   q_r[k]  = clamp(roundf(xn[r][k] / s_r), -127, 127) (half away from zero;
 *             a row of zeros gives s_r = 0 and codes 0);
 *   y[r][j] = act((float)acc * s_r * w_scale[j]) (+ residual[r][j] when
 *             residual is non-NULL; residual may be y, y must not be x),
 *             acc = sum_k q_r[k] * w[j][k] in int32.
 * Weights as the CUDA decoder stores them (weights file tag "s8",
 * "rows-padded-32"): w is n rows of PARE_LLM_W8_ROW_BYTES(k) int8, 16-byte
 * aligned, each row zero-padded past k; w_scale float [n] (per output
 * channel, symmetric). workspace: PARE_LLM_W8_WORKSPACE_BYTES(rows, k) bytes
 * of device memory the caller owns (the quantized rows and their scales),
 * rows <= the step's largest row count. Rows <= PARE_LLM_W8_GEMV_ROWS run a
 * GEMV (dp4a), more the int8 tensor-core GEMM (mma.sync s8, sm_80+). */
#define PARE_LLM_W8_GEMV_ROWS 4
#define PARE_LLM_W8_ROW_BYTES(k) ((((size_t)(k) + 31) / 32) * 32)
#define PARE_LLM_W8_WORKSPACE_BYTES(rows, k) \
  ((size_t)(rows) * PARE_LLM_W8_ROW_BYTES(k) + (size_t)(rows) * sizeof(float) + 256)
cudaError_t pare_llm_linear_w8a8_f32(const float *x, const float *norm_w, float norm_eps,
                                     const int8_t *w, const float *w_scale, const float *residual,
                                     float *y, int rows, int k, int n, float act_scale,
                                     pare_act_t act, float act_a, float act_b, void *workspace,
                                     cudaStream_t stream);
cudaError_t pare_llm_linear_w8a8_f16(const pare_half *x, const pare_half *norm_w, float norm_eps,
                                     const int8_t *w, const float *w_scale,
                                     const pare_half *residual, pare_half *y, int rows, int k,
                                     int n, float act_scale, pare_act_t act, float act_a,
                                     float act_b, void *workspace, cudaStream_t stream);

#endif /* PARE_CU_LLM_CUH */
