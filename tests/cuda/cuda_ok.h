/* CUDA_OK(call): the CUDA kernel tests' check of a runtime call; on an error it prints the file,
 * line and CUDA's message and exits 2 (the tests' "could not run" status, apart from a failed check). */
#ifndef PARE_TESTS_CUDA_CUDA_OK_H
#define PARE_TESTS_CUDA_CUDA_OK_H

#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>

#define CUDA_OK(call)                                                                   \
  do {                                                                                  \
    cudaError_t e_ = (call);                                                            \
    if (e_ != cudaSuccess) {                                                            \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, cudaGetErrorString(e_));       \
      exit(2);                                                                          \
    }                                                                                   \
  } while (0)

#endif /* PARE_TESTS_CUDA_CUDA_OK_H */
