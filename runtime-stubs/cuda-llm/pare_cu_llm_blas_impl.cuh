/*
 * Internal to the library-GEMM prefill path (pare_cu_llm_blas.cu and
 * pare_cu_llm_blas_w8.cu): the context behind pare_llm_blas. Not part of the
 * generated decoder's API.
 */
#ifndef PARE_CU_LLM_BLAS_IMPL_CUH
#define PARE_CU_LLM_BLAS_IMPL_CUH

#include <cublasLt.h>
#include <cublas_v2.h>

#include "pare_cu_llm_blas.cuh"

struct pare_llm_blas {
  cublasHandle_t handle;    /* bound to `stream`, workspace set to lt_workspace */
  cublasLtHandle_t lt;      /* the int8 products */
  cudaStream_t stream;
  int max_rows, max_k, max_n;
  void *scratch;            /* activations between the library GEMM and pare's kernels */
  size_t scratch_bytes;
  void *lt_workspace;       /* the libraries' own workspace */
  size_t lt_workspace_bytes;
  void *w4_scratch;         /* one dequantized int4 weight (NULL without w4) */
  size_t w4_scratch_bytes;
  int32_t *acc;             /* int32 sums of one int8 product (NULL without w8) */
  size_t acc_elems;
};

#endif /* PARE_CU_LLM_BLAS_IMPL_CUH */
