/* The CUDA kernel benchmarks' timing scaffolding: microseconds of a launch replayed from a CUDA
 * graph (so launch overheads are a decoder's, not the host's), and enough device copies of a
 * weight buffer to exceed the L2 cache, so that every timed call streams its weights from memory
 * as a decode step does. Header-only, for the standalone nvcc-built tests of tests/cuda. */
#ifndef PARE_TESTS_CUDA_BENCH_SUPPORT_H
#define PARE_TESTS_CUDA_BENCH_SUPPORT_H

#include "cuda_ok.h"

#include <cuda_runtime.h>

#include <functional>
#include <vector>

/* Microseconds a call of launch(i, stream) takes on the GPU: `per` calls (i = 0 .. per - 1)
 * captured into one CUDA graph, replayed `reps` times after a warm-up replay. */
static double graph_time_us(const std::function<cudaError_t(int, cudaStream_t)> &launch, int per,
                            int reps = 5)
{
  cudaStream_t s;
  CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  CUDA_OK(launch(0, s)); /* outside the capture: first-use setup */
  CUDA_OK(cudaStreamSynchronize(s));
  cudaGraph_t g;
  cudaGraphExec_t ge;
  CUDA_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int i = 0; i < per; ++i)
    CUDA_OK(launch(i, s));
  CUDA_OK(cudaStreamEndCapture(s, &g));
  CUDA_OK(cudaGraphInstantiate(&ge, g, 0));
  CUDA_OK(cudaGraphLaunch(ge, s));
  cudaEvent_t a, b;
  CUDA_OK(cudaEventCreate(&a));
  CUDA_OK(cudaEventCreate(&b));
  CUDA_OK(cudaEventRecord(a, s));
  for (int r = 0; r < reps; ++r)
    CUDA_OK(cudaGraphLaunch(ge, s));
  CUDA_OK(cudaEventRecord(b, s));
  CUDA_OK(cudaEventSynchronize(b));
  float ms = 0;
  CUDA_OK(cudaEventElapsedTime(&ms, a, b));
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  cudaGraphExecDestroy(ge);
  cudaGraphDestroy(g);
  cudaStreamDestroy(s);
  return ms * 1000.0 / ((double)reps * per);
}

/* Copies of `bytes` of host data on the device, at least two and together >= 256 MiB (several
 * times the L2 cache of an H100 / H200); copy i % count serves call i. */
struct DeviceCopies {
  std::vector<void *> copies;
  DeviceCopies(const void *host, size_t bytes)
  {
    size_t count = ((size_t)256 << 20) / bytes + 1;
    if (count < 2)
      count = 2;
    for (size_t c = 0; c < count; ++c) {
      void *p;
      CUDA_OK(cudaMalloc(&p, bytes));
      CUDA_OK(cudaMemcpy(p, host, bytes, cudaMemcpyHostToDevice));
      copies.push_back(p);
    }
  }
  ~DeviceCopies()
  {
    for (void *p : copies)
      cudaFree(p);
  }
  DeviceCopies(const DeviceCopies &) = delete;
  DeviceCopies &operator=(const DeviceCopies &) = delete;
  template <typename T> T *at(int i) const { return static_cast<T *>(copies[(size_t)i % copies.size()]); }
};

#endif /* PARE_TESTS_CUDA_BENCH_SUPPORT_H */
