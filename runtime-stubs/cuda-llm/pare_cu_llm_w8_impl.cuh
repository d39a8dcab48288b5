/*
 * Internal to the int8 kernels (pare_cu_llm_w8.cu) and the cuBLASLt int8
 * prefill path (pare_cu_llm_blas_w8.cu): the quantize pass of
 * pare_llm_linear_w8a8_* on its own, so that another GEMM can multiply the
 * very codes pare's own kernels would. Not part of the generated decoder's
 * API.
 */
#ifndef PARE_CU_LLM_W8_IMPL_CUH
#define PARE_CU_LLM_W8_IMPL_CUH

#include "pare_cu_llm.cuh"

/* pare_llm_linear_w8a8_*'s first launch (see pare_cu_llm.cuh for xn, s_r and
 * the codes): for each of the rows of x [rows][k], the codes q_r
 * into q[r * PARE_LLM_W8_ROW_BYTES(k) ..], zero past k up to the padded row,
 * and the row scale s_r (0 for a row of zeros) into sx[r]. q 16-byte
 * aligned, sx 4-byte aligned. Asynchronous on `stream`; cudaErrorInvalidValue
 * for k <= 0, a NULL or misaligned pointer; nothing for rows <= 0. */
cudaError_t pare_llm_w8_quantize_f32(const float *x, const float *norm_w, float norm_eps,
                                     int rows, int k, float act_scale, int8_t *q, float *sx,
                                     cudaStream_t stream);
cudaError_t pare_llm_w8_quantize_f16(const pare_half *x, const pare_half *norm_w, float norm_eps,
                                     int rows, int k, float act_scale, int8_t *q, float *sx,
                                     cudaStream_t stream);

/* The dequantizing epilogue of one output, in two halves because pare's GEMM
 * stages the scaled sums in shared memory between them. Every int8 path
 * (pare's GEMV and GEMMs, the cuBLASLt prefill) calls these, so they round
 * the same float operations in the same order and agree bit for bit:
 * w8_scaled: (float)acc * s_r * w_scale[j], the two products rounded one by
 * one; w8_finish: act(v), then + the residual (has_residual) with no
 * contraction into the add. */
#ifdef __CUDACC__
static __device__ __forceinline__ float w8_scaled(int32_t acc, float s_r, float w_scale)
{
  return __fmul_rn(__fmul_rn((float)acc, s_r), w_scale);
}
static __device__ __forceinline__ float w8_finish(float v, pare_act_t act, float act_a,
                                                  float act_b, bool has_residual, float residual)
{
  const float o = pare_activation(v, act, act_a, act_b);
  return has_residual ? __fadd_rn(o, residual) : o;
}
#endif

#endif /* PARE_CU_LLM_W8_IMPL_CUH */
