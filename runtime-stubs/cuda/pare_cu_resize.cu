/*
 * pare CUDA kernels: resize (ONNX Resize / Upsample), as the C kernels of
 * runtime-stubs/c/pare_k_resize.c compute it. The compiler computes every
 * dim's sampling tables (the input coordinates each output coordinate reads
 * and their weights, dialects/Pare/IR/ResizeTaps.cpp) into the weights blob;
 * one thread per output element sums the products of the taps' weights times
 * the input there (float accumulation for half storage). See pare_cuda.cuh
 * for the contract.
 */
#include "pare_cuda.cuh"
#include "pare_cu_common.cuh"

#include <string.h>

namespace {

/* The geometry with input strides (elements), computed on the host. */
struct ResizeGeom {
  pare_cu_resize_geom g;
  long long in_stride[PARE_CU_MAX_RANK];
};

ResizeGeom with_strides(const pare_cu_resize_geom &g, long long *total)
{
  ResizeGeom r;
  r.g = g;
  long long s = g.inner, n = g.inner;
  for (int d = g.rank - 1; d >= 0; d--) {
    r.in_stride[d] = s;
    s *= g.in_size[d];
    n *= g.out_size[d];
  }
  *total = n;
  return r;
}

/* Output coordinates of position `t` (the output element index divided by
 * inner); true when one of them lies outside tf_crop_and_resize's crop. */
__device__ __forceinline__ bool resize_coords(const ResizeGeom &r, const int *__restrict__ index,
                                              long long t, int *coord)
{
  bool outside = false;
  for (int d = r.g.rank - 1; d >= 0; d--) {
    const long long q = t / r.g.out_size[d];
    coord[d] = (int)(t - q * r.g.out_size[d]);
    t = q;
    if (r.g.taps[d] > 0 && index[r.g.offset[d] + coord[d] * r.g.taps[d]] < 0)
      outside = true;
  }
  return outside;
}

template <typename T>
__global__ void resize_kernel(const T *__restrict__ x, T *__restrict__ y, ResizeGeom r,
                              const int *__restrict__ index, const float *__restrict__ weight,
                              float extrapolation, long long total)
{
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    int coord[PARE_CU_MAX_RANK], tap[PARE_CU_MAX_RANK];
    const long long c = i % r.g.inner;
    if (resize_coords(r, index, i / r.g.inner, coord)) {
      y[i] = from_f<T>(extrapolation);
      continue;
    }
    for (int d = 0; d < r.g.rank; d++)
      tap[d] = 0;
    float acc = 0.0f;
    for (;;) {
      /* One combination of a tap per interpolated dim. */
      float w = 1.0f;
      long long off = c;
      for (int d = 0; d < r.g.rank; d++) {
        if (r.g.taps[d] == 0) {
          off += coord[d] * r.in_stride[d];
        } else {
          const int k = r.g.offset[d] + coord[d] * r.g.taps[d] + tap[d];
          off += index[k] * r.in_stride[d];
          w *= weight[k];
        }
      }
      if (w != 0.0f)
        acc += w * to_f(x[off]);
      int d = r.g.rank - 1;
      for (; d >= 0; d--) {
        if (++tap[d] < r.g.taps[d])
          break;
        tap[d] = 0;
      }
      if (d < 0)
        break;
    }
    y[i] = from_f<T>(acc);
  }
}

template <typename E>
__global__ void resize_nearest_kernel(const E *__restrict__ x, E *__restrict__ y, ResizeGeom r,
                                      const int *__restrict__ index, E extrapolation,
                                      long long total)
{
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    int coord[PARE_CU_MAX_RANK];
    if (resize_coords(r, index, i / r.g.inner, coord)) {
      y[i] = extrapolation;
      continue;
    }
    long long off = i % r.g.inner;
    for (int d = 0; d < r.g.rank; d++)
      off += (r.g.taps[d] == 0 ? coord[d] : index[r.g.offset[d] + coord[d]]) * r.in_stride[d];
    y[i] = x[off];
  }
}

template <typename T>
cudaError_t resize_float(const T *x, T *y, pare_cu_resize_geom g, const int *index,
                         const float *weight, float extrapolation, cudaStream_t stream)
{
  long long total;
  const ResizeGeom r = with_strides(g, &total);
  if (total == 0) return cudaSuccess;
  resize_kernel<T><<<grid_for((size_t)total), kBlock, 0, stream>>>(x, y, r, index, weight,
                                                                   extrapolation, total);
  return cudaGetLastError();
}

template <typename E>
cudaError_t resize_nearest(const void *x, void *y, const ResizeGeom &r, const int *index,
                           const void *extrapolation, long long total, cudaStream_t stream)
{
  E v;
  memcpy(&v, extrapolation, sizeof v);
  resize_nearest_kernel<E><<<grid_for((size_t)total), kBlock, 0, stream>>>(
      (const E *)x, (E *)y, r, index, v, total);
  return cudaGetLastError();
}

} // namespace

cudaError_t pare_cu_resize_f32(const float *x, float *y, pare_cu_resize_geom g, const int *index,
                               const float *weight, float extrapolation, cudaStream_t stream)
{
  return resize_float(x, y, g, index, weight, extrapolation, stream);
}

cudaError_t pare_cu_resize_f16(const pare_half *x, pare_half *y, pare_cu_resize_geom g,
                               const int *index, const float *weight, float extrapolation,
                               cudaStream_t stream)
{
  return resize_float(x, y, g, index, weight, extrapolation, stream);
}

cudaError_t pare_cu_resize_nearest(size_t elem_size, const void *x, void *y,
                                   pare_cu_resize_geom g, const int *index,
                                   const void *extrapolation, cudaStream_t stream)
{
  long long total;
  const ResizeGeom r = with_strides(g, &total);
  if (total == 0) return cudaSuccess;
  switch (elem_size) {
  case 1: return resize_nearest<uint8_t>(x, y, r, index, extrapolation, total, stream);
  case 2: return resize_nearest<uint16_t>(x, y, r, index, extrapolation, total, stream);
  case 4: return resize_nearest<uint32_t>(x, y, r, index, extrapolation, total, stream);
  case 8: return resize_nearest<unsigned long long>(x, y, r, index, extrapolation, total, stream);
  default: return cudaErrorInvalidValue;
  }
}
