/*
 * pare CUDA decoder, optional library GEMMs for prefill (`pare compile ...
 * --target cuda --cuda-gemm cublas`). The default output needs only the CUDA
 * runtime; with this option the generated decoder also links cuBLAS and
 * cuBLASLt (-lcublas -lcublasLt) and sends the products of steps with more
 * than the GEMV's rows (prefill chunks) to them. Steps of PARE_LLM_GEMV_ROWS
 * rows or fewer (decode, the captured graph) call pare's own kernels, so the
 * decode path is the same with either option.
 *
 * Each entry point has the semantics and arguments of the pare_llm_* function
 * it names (pare_cu_llm.cuh), with a leading `blas` context: the norm
 * prologue, activation, gate product, rotary + KV-cache write and residual
 * epilogue are done by small pare kernels around the library GEMM, in the
 * context's workspace. pare_llm_blas_qkv takes pare_llm_qkv's KV-cache slots
 * (`slots`, `slot_stride` after `positions`): with slots each row's k and v
 * go to its own slot, on the library path as on pare's kernels. Everything is asynchronous on `stream`; nothing is
 * allocated after pare_llm_blas_create.
 */
#ifndef PARE_CU_LLM_BLAS_CUH
#define PARE_CU_LLM_BLAS_CUH

#include "pare_cu_llm.cuh"

typedef struct pare_llm_blas pare_llm_blas;

/* Creates the cuBLAS / cuBLASLt handles bound to `stream` and one device
 * workspace sized for steps of up to max_rows rows whose products have at most
 * max_k inputs and max_n outputs (a gated pair counts 2 * n; q, k and v
 * together count their sum), plus w4_bytes of scratch for one dequantized
 * int4 weight (its largest k * n * sizeof(T); 0 without int4 products), and
 * the int32 sums of one int8 product when w8 is non-zero. A later step beyond
 * these sizes runs pare's own kernels. Before it returns it runs one half and
 * one float product of a prefill's size and synchronizes `stream` (cuBLAS's
 * one-time start, so the first prefill does not pay it). Returns a CUDA error, or
 * cudaErrorUnknown when a cuBLAS call fails (*blas is NULL then). */
cudaError_t pare_llm_blas_create(pare_llm_blas **blas, int max_rows, int max_k, int max_n,
                                 size_t w4_bytes, int w8, cudaStream_t stream);
void pare_llm_blas_destroy(pare_llm_blas *blas);

#define PARE_LLM_DECLARE_BLAS(SUF, T)                                               \
  cudaError_t pare_llm_blas_matmul_##SUF(pare_llm_blas *blas, const T *x, const T *wt, \
                                         T *y, int rows, int k, int n, pare_act_t act,  \
                                         float act_a, float act_b, cudaStream_t stream); \
  cudaError_t pare_llm_blas_linear_##SUF(pare_llm_blas *blas, const T *x,              \
                                         const T *norm_w, float norm_eps, const T *wt,  \
                                         const T *residual, T *y, int rows, int k, int n,\
                                         pare_act_t act, float act_a, float act_b,      \
                                         cudaStream_t stream);                          \
  cudaError_t pare_llm_blas_gated_##SUF(pare_llm_blas *blas, const T *x,               \
                                        const T *norm_w, float norm_eps, const T *wg,   \
                                        const T *wu, T *y, int rows, int k, int n,      \
                                        pare_act_t act, float act_a, float act_b,       \
                                        cudaStream_t stream);                           \
  cudaError_t pare_llm_blas_qkv_##SUF(                                                 \
      pare_llm_blas *blas, const T *x, const T *norm_w, float norm_eps, const T *wq,   \
      const T *wk, const T *wv, const int32_t *positions, const int32_t *slots,        \
      long long slot_stride, const float *inv_freq, int rotary_dim, int interleaved,   \
      T *q_out, T *k_cache, T *v_cache, int rows, int k, int heads, int kv_heads,      \
      int head_dim, int max_context, cudaStream_t stream);

PARE_LLM_DECLARE_BLAS(f32, float)
PARE_LLM_DECLARE_BLAS(f16, pare_half)
#undef PARE_LLM_DECLARE_BLAS

/* int4 weights (pare_llm_matmul_w4_*): prefill dequantizes the weight into
 * the context's scratch (as T: fp16, or float for _f32) and multiplies with
 * cuBLAS (what llm-awq does for many rows). */
cudaError_t pare_llm_blas_matmul_w4_f32(pare_llm_blas *blas, const float *x, const uint8_t *qw,
                                        const float *sz, float *y, int rows, int k, int n,
                                        int group, pare_act_t act, float act_a, float act_b,
                                        cudaStream_t stream);
cudaError_t pare_llm_blas_matmul_w4_f16(pare_llm_blas *blas, const pare_half *x,
                                        const uint8_t *qw, const pare_half *sz, pare_half *y,
                                        int rows, int k, int n, int group, pare_act_t act,
                                        float act_a, float act_b, cudaStream_t stream);

/* ---- int8 (pare_llm_linear_w8a8_*, pare_cu_llm_blas_w8.cu) ----------------
 * prefill: pare's quantize pass (norm prologue, per-token or per-tensor
 * scales) into `workspace`, a cuBLASLt int8 x int8 -> int32 product into the
 * context, and pare's dequantizing epilogue (scales, activation, residual). */
cudaError_t pare_llm_blas_linear_w8a8_f32(pare_llm_blas *blas, const float *x,
                                          const float *norm_w, float norm_eps, const int8_t *w,
                                          const float *w_scale, const float *residual, float *y,
                                          int rows, int k, int n, float act_scale, pare_act_t act,
                                          float act_a, float act_b, void *workspace,
                                          cudaStream_t stream);
cudaError_t pare_llm_blas_linear_w8a8_f16(pare_llm_blas *blas, const pare_half *x,
                                          const pare_half *norm_w, float norm_eps,
                                          const int8_t *w, const float *w_scale,
                                          const pare_half *residual, pare_half *y, int rows,
                                          int k, int n, float act_scale, pare_act_t act,
                                          float act_a, float act_b, void *workspace,
                                          cudaStream_t stream);

#endif /* PARE_CU_LLM_BLAS_CUH */
