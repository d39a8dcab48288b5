/*
 * Instructions per runtime kernel of a decoder step (w8a8_cortex_m.py
 * --profile): linked with -Wl,--wrap=<kernel> for each kernel below, so the
 * decoder's calls land here, are counted with the MPS2 counter
 * (examples/cortex-m/cycles.h; exact under qemu -icount shift=7) and passed
 * on to the real kernel (__real_<kernel>). Each wrapper reads the counter
 * twice, so a kernel's figure includes a few instructions of the call. The
 * wrappers restart the counter, so a profiled build's per-step totals in
 * decoder_main.c mean nothing: the script reads only these lines from it.
 */
#include "cycles.h"
#include "pare_kernels.h"
#include "pare_llm.h"

#include <stdio.h>

enum {
  K_W8A8, K_NT, K_ATTN, K_NORM, K_ROT, K_ACT, K_BIN, K_KV, K_EMBED, K_COUNT
};
static const char *const kernel_names[K_COUNT] = {
    "pare_matmul_w8a8_f32 (int8 linears)", "pare_matmul_nt_f32 (float LM head)",
    "pare_attention_f32", "pare_rms_norm_f32", "pare_rotary_f32",
    "pare_activation_f32 (SiLU)", "pare_binary_f32 (residual, gate * up)", "pare_kv_store_f32",
    "pare_embed_f32"};
static uint64_t kernel_instr[K_COUNT];
static unsigned long kernel_calls[K_COUNT];

#define PARE_PROFILE_CALL(k, call)                                                                 \
  do {                                                                                             \
    pare_count_begin();                                                                            \
    call;                                                                                          \
    kernel_instr[k] += pare_count_end();                                                           \
    ++kernel_calls[k];                                                                             \
  } while (0)

void __real_pare_matmul_w8a8_f32(const float *x, const int8_t *weight, const float *weight_scales,
                                 float *y, int32_t rows, int32_t k, int32_t outs, float act_scale,
                                 int8_t *scratch);
void __wrap_pare_matmul_w8a8_f32(const float *x, const int8_t *weight, const float *weight_scales,
                                 float *y, int32_t rows, int32_t k, int32_t outs, float act_scale,
                                 int8_t *scratch);
void __wrap_pare_matmul_w8a8_f32(const float *x, const int8_t *weight, const float *weight_scales,
                                 float *y, int32_t rows, int32_t k, int32_t outs, float act_scale,
                                 int8_t *scratch)
{
  PARE_PROFILE_CALL(K_W8A8, __real_pare_matmul_w8a8_f32(x, weight, weight_scales, y, rows, k,
                                                        outs, act_scale, scratch));
}

void __real_pare_matmul_nt_f32(const float *x, const float *w, float *y, int32_t rows, int32_t k,
                               int32_t outs, pare_act_t act, float act_a, float act_b);
void __wrap_pare_matmul_nt_f32(const float *x, const float *w, float *y, int32_t rows, int32_t k,
                               int32_t outs, pare_act_t act, float act_a, float act_b);
void __wrap_pare_matmul_nt_f32(const float *x, const float *w, float *y, int32_t rows, int32_t k,
                               int32_t outs, pare_act_t act, float act_a, float act_b)
{
  PARE_PROFILE_CALL(K_NT, __real_pare_matmul_nt_f32(x, w, y, rows, k, outs, act, act_a, act_b));
}

void __real_pare_attention_f32(const float *q, const float *k, const float *v, float *out,
                               int32_t rows, int32_t keys, int64_t row_stride, int64_t head_stride,
                               int32_t heads, int32_t kv_heads, int32_t head_dim, float scale,
                               int causal, int32_t first_pos, float *scratch);
void __wrap_pare_attention_f32(const float *q, const float *k, const float *v, float *out,
                               int32_t rows, int32_t keys, int64_t row_stride, int64_t head_stride,
                               int32_t heads, int32_t kv_heads, int32_t head_dim, float scale,
                               int causal, int32_t first_pos, float *scratch);
void __wrap_pare_attention_f32(const float *q, const float *k, const float *v, float *out,
                               int32_t rows, int32_t keys, int64_t row_stride, int64_t head_stride,
                               int32_t heads, int32_t kv_heads, int32_t head_dim, float scale,
                               int causal, int32_t first_pos, float *scratch)
{
  PARE_PROFILE_CALL(K_ATTN, __real_pare_attention_f32(q, k, v, out, rows, keys, row_stride,
                                                      head_stride, heads, kv_heads, head_dim,
                                                      scale, causal, first_pos, scratch));
}

void __real_pare_rms_norm_f32(const float *x, const float *w, float *y, int32_t rows,
                              int32_t features, float eps);
void __wrap_pare_rms_norm_f32(const float *x, const float *w, float *y, int32_t rows,
                              int32_t features, float eps);
void __wrap_pare_rms_norm_f32(const float *x, const float *w, float *y, int32_t rows,
                              int32_t features, float eps)
{
  PARE_PROFILE_CALL(K_NORM, __real_pare_rms_norm_f32(x, w, y, rows, features, eps));
}

void __real_pare_rotary_f32(const float *x, float *y, const int64_t *positions, int32_t rows,
                            int32_t heads, int32_t head_dim, const float *inv_freq, int32_t n_freq,
                            int interleaved);
void __wrap_pare_rotary_f32(const float *x, float *y, const int64_t *positions, int32_t rows,
                            int32_t heads, int32_t head_dim, const float *inv_freq, int32_t n_freq,
                            int interleaved);
void __wrap_pare_rotary_f32(const float *x, float *y, const int64_t *positions, int32_t rows,
                            int32_t heads, int32_t head_dim, const float *inv_freq, int32_t n_freq,
                            int interleaved)
{
  PARE_PROFILE_CALL(K_ROT, __real_pare_rotary_f32(x, y, positions, rows, heads, head_dim, inv_freq,
                                                  n_freq, interleaved));
}

void __real_pare_activation_f32(const float *x, float *y, size_t count, pare_act_t act,
                                float act_a, float act_b);
void __wrap_pare_activation_f32(const float *x, float *y, size_t count, pare_act_t act,
                                float act_a, float act_b);
void __wrap_pare_activation_f32(const float *x, float *y, size_t count, pare_act_t act,
                                float act_a, float act_b)
{
  PARE_PROFILE_CALL(K_ACT, __real_pare_activation_f32(x, y, count, act, act_a, act_b));
}

void __real_pare_binary_f32(pare_binop_t op, const float *a, const int32_t *a_strides,
                            const float *b, const int32_t *b_strides, float *y,
                            const int32_t *shape, int rank, pare_act_t act, float act_a,
                            float act_b);
void __wrap_pare_binary_f32(pare_binop_t op, const float *a, const int32_t *a_strides,
                            const float *b, const int32_t *b_strides, float *y,
                            const int32_t *shape, int rank, pare_act_t act, float act_a,
                            float act_b);
void __wrap_pare_binary_f32(pare_binop_t op, const float *a, const int32_t *a_strides,
                            const float *b, const int32_t *b_strides, float *y,
                            const int32_t *shape, int rank, pare_act_t act, float act_a,
                            float act_b)
{
  PARE_PROFILE_CALL(K_BIN, __real_pare_binary_f32(op, a, a_strides, b, b_strides, y, shape, rank,
                                                  act, act_a, act_b));
}

void __real_pare_kv_store_f32(const float *k, const float *v, float *k_cache, float *v_cache,
                              int32_t rows, int32_t kv_heads, int32_t head_dim,
                              int32_t max_context, int32_t first_pos);
void __wrap_pare_kv_store_f32(const float *k, const float *v, float *k_cache, float *v_cache,
                              int32_t rows, int32_t kv_heads, int32_t head_dim,
                              int32_t max_context, int32_t first_pos);
void __wrap_pare_kv_store_f32(const float *k, const float *v, float *k_cache, float *v_cache,
                              int32_t rows, int32_t kv_heads, int32_t head_dim,
                              int32_t max_context, int32_t first_pos)
{
  PARE_PROFILE_CALL(K_KV, __real_pare_kv_store_f32(k, v, k_cache, v_cache, rows, kv_heads,
                                                   head_dim, max_context, first_pos));
}

void __real_pare_embed_f32(const float *table, const int32_t *ids, float *y, int32_t rows,
                           int32_t features);
void __wrap_pare_embed_f32(const float *table, const int32_t *ids, float *y, int32_t rows,
                           int32_t features);
void __wrap_pare_embed_f32(const float *table, const int32_t *ids, float *y, int32_t rows,
                           int32_t features)
{
  PARE_PROFILE_CALL(K_EMBED, __real_pare_embed_f32(table, ids, y, rows, features));
}

/* Clears the totals (decoder_main.c: after the prefill). */
void pare_demo_profile_reset(void)
{
  int i;
  for (i = 0; i < K_COUNT; ++i) {
    kernel_instr[i] = 0;
    kernel_calls[i] = 0;
  }
}

/* "profile <kernel>: <instructions> instructions, <calls> calls" a kernel. */
void pare_demo_profile_print(void)
{
  int i;
  for (i = 0; i < K_COUNT; ++i)
    printf("profile %s: %lu instructions, %lu calls\n", kernel_names[i],
           (unsigned long)kernel_instr[i], kernel_calls[i]);
}
