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

#endif /* PARE_CU_LLM_W8_IMPL_CUH */
