/*
 * pare CUDA kernels: softmax, layer / RMS normalisation, general reductions
 * and global pooling. See pare_cuda.cuh for the contract; the semantics
 * follow the C kernels (runtime-stubs/c/pare_k_reduce.c, pare_k_conv.c).
 *
 * Row-wise kernels (softmax over the innermost axis, layernorm) give each
 * row one warp (rows up to kWarpRowMax elements) or one block of kRowBlock
 * threads, reduce with warp shuffles (plus shared memory across warps) and
 * move 16-byte packs when the row length and the pointers allow. All
 * arithmetic is float; half tensors are converted on load and store.
 */
#include "pare_cuda.cuh"
#include "pare_cu_common.cuh"

#include <float.h>
#include <math.h>

namespace {

constexpr int kRowBlock = 256;    /* threads per row for long rows */
constexpr int kWarpRowMax = 1024; /* longest row handled by one warp */
constexpr int kWarpRowsPerBlock = 4;



template <typename T, int N>
__device__ __forceinline__ Pack<T, N> load_pack(const T *p, int i)
{
  return reinterpret_cast<const Pack<T, N> *>(p)[i];
}

/* NaN-propagating max / min (numpy.maximum), as the C reductions. */
__device__ __forceinline__ float max_nan(float a, float v) { return (v > a || v != v) ? v : a; }
__device__ __forceinline__ float min_nan(float a, float v) { return (v < a || v != v) ? v : a; }

__device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

/* Sum over the G threads of a row group (G = 32: one warp; G > 32: the
 * whole block, which then holds one row). Every thread gets the result. */
template <int G> __device__ __forceinline__ float group_sum(float v)
{
  v = warp_sum(v);
  if (G == 32) return v;
  __shared__ float part[G / 32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) part[warp] = v;
  __syncthreads();
  v = 0.0f;
#pragma unroll
  for (int w = 0; w < G / 32; w++) v += part[w];
  __syncthreads(); /* part may be reused by the next call */
  return v;
}

/* Running softmax state: max m and sum s of exp(x - m). s == 0 means no
 * finite contribution yet (m may be -inf). */
struct MaxSum {
  float m, s;
};

__device__ __forceinline__ MaxSum ms_combine(MaxSum a, MaxSum b)
{
  const float m = fmaxf(a.m, b.m);
  const float s = (a.s == 0.0f ? 0.0f : a.s * expf(a.m - m)) +
                  (b.s == 0.0f ? 0.0f : b.s * expf(b.m - m));
  return {m, s};
}

/* Folds n values into the running state (one rescale per call). */
__device__ __forceinline__ MaxSum ms_fold(MaxSum st, const float *v, int n)
{
  float pm = v[0];
  for (int k = 1; k < n; k++) pm = fmaxf(pm, v[k]);
  if (pm > st.m) {
    st.s = st.s == 0.0f ? 0.0f : st.s * expf(st.m - pm);
    st.m = pm;
  }
  if (st.m != -INFINITY) /* all -inf so far: nothing to add */
    for (int k = 0; k < n; k++) st.s += expf(v[k] - st.m);
  return st;
}

template <int G> __device__ __forceinline__ MaxSum group_maxsum(MaxSum st)
{
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    MaxSum other = {__shfl_xor_sync(0xffffffffu, st.m, o),
                    __shfl_xor_sync(0xffffffffu, st.s, o)};
    st = ms_combine(st, other);
  }
  if (G == 32) return st;
  __shared__ MaxSum part[G / 32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) part[warp] = st;
  __syncthreads();
  st = part[0];
#pragma unroll
  for (int w = 1; w < G / 32; w++) st = ms_combine(st, part[w]);
  __syncthreads();
  return st;
}

/* ------------------------------------------------------------- softmax -- */

/* Softmax over rows of `len` contiguous elements, G threads per row, packs
 * of N elements (len % N == 0 when N > 1). */
template <typename T, int N, int G>
__global__ void softmax_rows_kernel(const T *__restrict__ x, T *__restrict__ y, int rows,
                                    int len, int log_softmax)
{
  const int row = blockIdx.x * (blockDim.x / G) + threadIdx.x / G;
  const int lane = threadIdx.x % G;
  if (row >= rows) return; /* whole warps only: G == 32 when rows don't divide */
  const T *xr = x + (size_t)row * len;
  T *yr = y + (size_t)row * len;
  const int npacks = len / N;

  MaxSum st = {-INFINITY, 0.0f};
  for (int i = lane; i < npacks; i += G) {
    Pack<T, N> p = load_pack<T, N>(xr, i);
    float v[N];
#pragma unroll
    for (int k = 0; k < N; k++) v[k] = to_f(p.v[k]);
    st = ms_fold(st, v, N);
  }
  st = group_maxsum<G>(st);

  /* log_softmax keeps log(sum) apart from the max: (x - max) - log(sum). */
  const float f = log_softmax ? logf(st.s) : 1.0f / st.s;
  for (int i = lane; i < npacks; i += G) {
    Pack<T, N> p = load_pack<T, N>(xr, i);
#pragma unroll
    for (int k = 0; k < N; k++) {
      const float d = to_f(p.v[k]) - st.m;
      p.v[k] = from_f<T>(log_softmax ? d - f : expf(d) * f);
    }
    reinterpret_cast<Pack<T, N> *>(yr)[i] = p;
  }
}

/* Softmax along a strided axis: one thread per (outer, inner) column,
 * consecutive threads on consecutive (coalesced) columns. */
template <typename T>
__global__ void softmax_cols_kernel(const T *__restrict__ x, T *__restrict__ y, int outer,
                                    int len, int inner, int log_softmax)
{
  const size_t cols = (size_t)outer * inner;
  for (size_t c = (size_t)blockIdx.x * blockDim.x + threadIdx.x; c < cols;
       c += (size_t)gridDim.x * blockDim.x) {
    const size_t o = c / inner, base = o * len * inner + (c - o * inner);
    MaxSum st = {-INFINITY, 0.0f};
    for (int l = 0; l < len; l++) {
      const float v = to_f(x[base + (size_t)l * inner]);
      st = ms_fold(st, &v, 1);
    }
    const float f = log_softmax ? logf(st.s) : 1.0f / st.s;
    for (int l = 0; l < len; l++) {
      const float d = to_f(x[base + (size_t)l * inner]) - st.m;
      y[base + (size_t)l * inner] = from_f<T>(log_softmax ? d - f : expf(d) * f);
    }
  }
}

template <typename T, int N>
cudaError_t launch_softmax_rows(const T *x, T *y, int rows, int len, int log_softmax,
                                cudaStream_t stream)
{
  if (len <= kWarpRowMax) {
    const int blocks = (rows + kWarpRowsPerBlock - 1) / kWarpRowsPerBlock;
    softmax_rows_kernel<T, N, 32><<<blocks, 32 * kWarpRowsPerBlock, 0, stream>>>(
        x, y, rows, len, log_softmax);
  } else {
    softmax_rows_kernel<T, N, kRowBlock><<<rows, kRowBlock, 0, stream>>>(x, y, rows, len,
                                                                         log_softmax);
  }
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch_softmax(const T *x, T *y, int outer, int len, int inner,
                           int log_softmax, cudaStream_t stream)
{
  constexpr int V = vec_width<T>();
  if ((size_t)outer * len * inner == 0) return cudaSuccess;
  if (inner == 1) {
    if (len % V == 0 && aligned16(x) && aligned16(y))
      return launch_softmax_rows<T, V>(x, y, outer, len, log_softmax, stream);
    return launch_softmax_rows<T, 1>(x, y, outer, len, log_softmax, stream);
  }
  softmax_cols_kernel<T><<<grid_for((size_t)outer * inner), kBlock, 0, stream>>>(
      x, y, outer, len, inner, log_softmax);
  return cudaGetLastError();
}

/* ----------------------------------------------------------- layernorm --
 * Two-pass statistics (mean, then the sum of squared deviations) with the
 * row re-read from L1 / L2, then the normalised write. */
template <typename T, int N, int G>
__global__ void layernorm_kernel(const T *__restrict__ x, const T *__restrict__ scale,
                                 const T *__restrict__ bias, T *__restrict__ y, int rows,
                                 int inner, float epsilon, int rms)
{
  const int row = blockIdx.x * (blockDim.x / G) + threadIdx.x / G;
  const int lane = threadIdx.x % G;
  if (row >= rows) return;
  const T *xr = x + (size_t)row * inner;
  T *yr = y + (size_t)row * inner;
  const int npacks = inner / N;

  float mean = 0.0f;
  if (!rms) {
    float s = 0.0f;
    for (int i = lane; i < npacks; i += G) {
      Pack<T, N> p = load_pack<T, N>(xr, i);
#pragma unroll
      for (int k = 0; k < N; k++) s += to_f(p.v[k]);
    }
    mean = group_sum<G>(s) / (float)inner;
  }
  float q = 0.0f;
  for (int i = lane; i < npacks; i += G) {
    Pack<T, N> p = load_pack<T, N>(xr, i);
#pragma unroll
    for (int k = 0; k < N; k++) {
      const float d = to_f(p.v[k]) - mean;
      q += d * d;
    }
  }
  const float inv = 1.0f / sqrtf(group_sum<G>(q) / (float)inner + epsilon);

  for (int i = lane; i < npacks; i += G) {
    Pack<T, N> p = load_pack<T, N>(xr, i);
    const Pack<T, N> sc = load_pack<T, N>(scale, i);
    if (bias && !rms) {
      const Pack<T, N> bi = load_pack<T, N>(bias, i);
#pragma unroll
      for (int k = 0; k < N; k++)
        p.v[k] = from_f<T>((to_f(p.v[k]) - mean) * inv * to_f(sc.v[k]) + to_f(bi.v[k]));
    } else {
#pragma unroll
      for (int k = 0; k < N; k++)
        p.v[k] = from_f<T>((to_f(p.v[k]) - mean) * inv * to_f(sc.v[k]));
    }
    reinterpret_cast<Pack<T, N> *>(yr)[i] = p;
  }
}

template <typename T, int N>
cudaError_t launch_layernorm_n(const T *x, const T *scale, const T *bias, T *y, int rows,
                               int inner, float epsilon, int rms, cudaStream_t stream)
{
  if (inner <= kWarpRowMax) {
    const int blocks = (rows + kWarpRowsPerBlock - 1) / kWarpRowsPerBlock;
    layernorm_kernel<T, N, 32><<<blocks, 32 * kWarpRowsPerBlock, 0, stream>>>(
        x, scale, bias, y, rows, inner, epsilon, rms);
  } else {
    layernorm_kernel<T, N, kRowBlock><<<rows, kRowBlock, 0, stream>>>(
        x, scale, bias, y, rows, inner, epsilon, rms);
  }
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch_layernorm(const T *x, const T *scale, const T *bias, T *y, int outer,
                             int inner, float epsilon, int rms, cudaStream_t stream)
{
  constexpr int V = vec_width<T>();
  if ((size_t)outer * inner == 0) return cudaSuccess;
  const bool vec = inner % V == 0 && aligned16(x) && aligned16(y) && aligned16(scale) &&
                   (bias == nullptr || aligned16(bias));
  if (vec) return launch_layernorm_n<T, V>(x, scale, bias, y, outer, inner, epsilon, rms, stream);
  return launch_layernorm_n<T, 1>(x, scale, bias, y, outer, inner, epsilon, rms, stream);
}

/* ----------------------------------------------------------- reductions --
 * x's dims are coalesced (size-1 dims dropped, neighbours of the same kind
 * merged) into kept and reduced groups, as in the C kernel. */

struct DimSet {
  int n;
  long long shape[PARE_CU_MAX_RANK], st[PARE_CU_MAX_RANK];
};

struct RedPlan {
  DimSet keep, red;      /* red.n >= 1 */
  long long count, nout; /* reduced elements per output; outputs */
  bool last_reduced;     /* the innermost input group is reduced */
};

/* Returns false when the output is empty. */
static bool plan_reduce(const pare_cu_shape &shape, unsigned mask, RedPlan *p)
{
  long long gshape[PARE_CU_MAX_RANK], gst[PARE_CU_MAX_RANK], stride = 1;
  bool kind[PARE_CU_MAX_RANK];
  int n = 0;
  p->count = 1;
  p->nout = 1;
  for (int d = shape.rank - 1; d >= 0; d--) { /* innermost first */
    const bool r = (mask >> d) & 1u;
    const long long len = shape.dims[d];
    if (len == 0 && !r) return false;
    (r ? p->count : p->nout) *= len;
    if (len != 1) {
      if (n > 0 && kind[n - 1] == r) {
        gshape[n - 1] *= len;
      } else {
        gshape[n] = len;
        gst[n] = stride;
        kind[n] = r;
        n++;
      }
    }
    stride *= len;
  }
  p->keep.n = p->red.n = 0;
  for (int d = n - 1; d >= 0; d--) { /* back to outermost first */
    DimSet &t = kind[d] ? p->red : p->keep;
    t.shape[t.n] = gshape[d];
    t.st[t.n] = gst[d];
    t.n++;
  }
  if (p->red.n == 0) { /* nothing reduced: a one-element reduction */
    p->red.shape[0] = 1;
    p->red.st[0] = 0;
    p->red.n = 1;
  }
  p->last_reduced = n > 0 && kind[0];
  return true;
}

/* Element offset of row-major index i over the dim set. */
__device__ __forceinline__ long long dim_offset(const DimSet &s, long long i)
{
  long long off = 0;
  for (int d = s.n - 1; d >= 0; d--) {
    const long long q = i / s.shape[d];
    off += (i - q * s.shape[d]) * s.st[d];
    i = q;
  }
  return off;
}

__device__ __forceinline__ float red_init(pare_redop_t op)
{
  switch (op) {
  case PARE_RED_MAX: return -INFINITY;
  case PARE_RED_MIN: return INFINITY;
  case PARE_RED_PROD: return 1.0f;
  default: return 0.0f;
  }
}

/* acc (+)= v; LOG_SUM_EXP sums exp(v - m). Also merges two partial
 * accumulators (then LOG_SUM_EXP must be folded as SUM). */
__device__ __forceinline__ float red_fold(pare_redop_t op, float acc, float v, float m)
{
  switch (op) {
  case PARE_RED_MAX: return max_nan(acc, v);
  case PARE_RED_MIN: return min_nan(acc, v);
  case PARE_RED_PROD: return acc * v;
  case PARE_RED_L1: return acc + fabsf(v);
  case PARE_RED_L2:
  case PARE_RED_SUM_SQUARE: return acc + v * v;
  case PARE_RED_LOG_SUM_EXP: return acc + expf(v - m);
  default: return acc + v; /* SUM, MEAN */
  }
}

/* How partial accumulators of `op` merge. */
__device__ __forceinline__ pare_redop_t red_merge_op(pare_redop_t op)
{
  return (op == PARE_RED_MAX || op == PARE_RED_MIN || op == PARE_RED_PROD) ? op : PARE_RED_SUM;
}

__device__ __forceinline__ float red_final(pare_redop_t op, float acc, float m, long long count)
{
  switch (op) {
  case PARE_RED_MEAN: return count > 0 ? acc / (float)count : NAN;
  case PARE_RED_L2: return sqrtf(acc);
  case PARE_RED_LOG_SUM_EXP: return count > 0 ? m + logf(acc) : -INFINITY;
  default: return acc;
  }
}

/* Merges accumulators across the G threads of a group (warp or block). */
template <int G> __device__ __forceinline__ float group_merge(pare_redop_t mop, float v)
{
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = red_fold(mop, v, __shfl_xor_sync(0xffffffffu, v, o), 0.0f);
  if (G == 32) return v;
  __shared__ float part[G / 32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) part[warp] = v;
  __syncthreads();
  v = part[0];
#pragma unroll
  for (int w = 1; w < G / 32; w++) v = red_fold(mop, v, part[w], 0.0f);
  __syncthreads();
  return v;
}

/* Innermost group reduced: G threads per output, striding over the
 * reduced set (its innermost group is contiguous, so reads coalesce). */
template <typename T, int G>
__global__ void reduce_inner_kernel(pare_redop_t op, const T *__restrict__ x,
                                    T *__restrict__ y, RedPlan p)
{
  const long long out = (long long)blockIdx.x * (blockDim.x / G) + threadIdx.x / G;
  const int lane = threadIdx.x % G;
  if (out >= p.nout) return; /* whole warps only (G == 32 when partial) */
  const T *xo = x + dim_offset(p.keep, out);
  const bool flat = p.red.n == 1;
  float m = 0.0f;
  if (op == PARE_RED_LOG_SUM_EXP) {
    float mx = -INFINITY;
    for (long long r = lane; r < p.count; r += G)
      mx = max_nan(mx, to_f(xo[flat ? r * p.red.st[0] : dim_offset(p.red, r)]));
    m = group_merge<G>(PARE_RED_MAX, mx);
  }
  float acc = red_init(op);
  for (long long r = lane; r < p.count; r += G)
    acc = red_fold(op, acc, to_f(xo[flat ? r * p.red.st[0] : dim_offset(p.red, r)]), m);
  acc = group_merge<G>(red_merge_op(op), acc);
  if (lane == 0) y[out] = from_f<T>(red_final(op, acc, m, p.count));
}

/* Innermost group kept: one thread per output walks the reduced set, with
 * consecutive threads on consecutive (coalesced) outputs. */
template <typename T>
__global__ void reduce_outer_kernel(pare_redop_t op, const T *__restrict__ x,
                                    T *__restrict__ y, RedPlan p)
{
  for (long long out = (long long)blockIdx.x * blockDim.x + threadIdx.x; out < p.nout;
       out += (long long)gridDim.x * blockDim.x) {
    const T *xo = x + dim_offset(p.keep, out);
    const bool flat = p.red.n == 1;
    float m = 0.0f;
    if (op == PARE_RED_LOG_SUM_EXP) {
      m = -INFINITY;
      for (long long r = 0; r < p.count; r++)
        m = max_nan(m, to_f(xo[flat ? r * p.red.st[0] : dim_offset(p.red, r)]));
    }
    float acc = red_init(op);
    for (long long r = 0; r < p.count; r++)
      acc = red_fold(op, acc, to_f(xo[flat ? r * p.red.st[0] : dim_offset(p.red, r)]), m);
    y[out] = from_f<T>(red_final(op, acc, m, p.count));
  }
}

template <typename T>
cudaError_t launch_reduce(pare_redop_t op, const T *x, const pare_cu_shape &shape,
                          unsigned mask, T *y, cudaStream_t stream)
{
  RedPlan p;
  if (!plan_reduce(shape, mask, &p) || p.nout == 0) return cudaSuccess;
  if (p.last_reduced && p.count > kWarpRowMax) {
    reduce_inner_kernel<T, kRowBlock><<<(unsigned)p.nout, kRowBlock, 0, stream>>>(op, x, y, p);
  } else if (p.last_reduced) {
    const unsigned blocks = (unsigned)((p.nout + kWarpRowsPerBlock - 1) / kWarpRowsPerBlock);
    reduce_inner_kernel<T, 32><<<blocks, 32 * kWarpRowsPerBlock, 0, stream>>>(op, x, y, p);
  } else {
    reduce_outer_kernel<T><<<grid_for((size_t)p.nout), kBlock, 0, stream>>>(op, x, y, p);
  }
  return cudaGetLastError();
}

/* ------------------------------------------------------- global pooling --
 * x [n][spatial][c] -> y [n][c]. A block is kPoolX channel packs wide and
 * `by` spatial positions tall; the `by` partial results of a column meet
 * in shared memory. by adapts to `spatial`, so 1x1 inputs use every thread
 * on channels and 7x7 inputs split the positions across threads. */
constexpr int kPoolThreads = 256;

template <typename T, int N, bool IS_MAX>
__global__ void global_pool_kernel(const T *__restrict__ x, int n, int spatial, int cpacks,
                                   T *__restrict__ y)
{
  __shared__ float part[kPoolThreads * N];
  const int bx = blockDim.x, tx = threadIdx.x, ty = threadIdx.y;
  const int cp = blockIdx.x * bx + tx;
  for (int b = blockIdx.y; b < n; b += gridDim.y) {
    float acc[N];
#pragma unroll
    for (int k = 0; k < N; k++) acc[k] = IS_MAX ? -FLT_MAX : 0.0f;
    if (cp < cpacks) {
      const T *xb = x + (size_t)b * spatial * cpacks * N;
      for (int s = ty; s < spatial; s += blockDim.y) {
        const Pack<T, N> p = load_pack<T, N>(xb + (size_t)s * cpacks * N, cp);
#pragma unroll
        for (int k = 0; k < N; k++) {
          const float v = to_f(p.v[k]);
          acc[k] = IS_MAX ? (v > acc[k] ? v : acc[k]) : acc[k] + v;
        }
      }
    }
#pragma unroll
    for (int k = 0; k < N; k++) part[(ty * bx + tx) * N + k] = acc[k];
    __syncthreads();
    if (ty == 0 && cp < cpacks) {
      for (int j = 1; j < (int)blockDim.y; j++)
#pragma unroll
        for (int k = 0; k < N; k++) {
          const float v = part[(j * bx + tx) * N + k];
          acc[k] = IS_MAX ? (v > acc[k] ? v : acc[k]) : acc[k] + v;
        }
      const float scale = IS_MAX ? 1.0f : (spatial > 0 ? 1.0f / (float)spatial : 0.0f);
      Pack<T, N> out;
#pragma unroll
      for (int k = 0; k < N; k++) out.v[k] = from_f<T>(IS_MAX ? acc[k] : acc[k] * scale);
      reinterpret_cast<Pack<T, N> *>(y + (size_t)b * cpacks * N)[cp] = out;
    }
    __syncthreads();
  }
}

template <typename T, int N, bool IS_MAX>
cudaError_t launch_global_pool_n(const T *x, int n, int spatial, int c, T *y,
                                 cudaStream_t stream)
{
  int by = 1;
  while (by < 8 && by * 2 <= spatial) by *= 2;
  const int bx = kPoolThreads / by, cpacks = c / N;
  const dim3 block(bx, by);
  const dim3 grid((cpacks + bx - 1) / bx, n < 65535 ? n : 65535);
  global_pool_kernel<T, N, IS_MAX><<<grid, block, 0, stream>>>(x, n, spatial, cpacks, y);
  return cudaGetLastError();
}

template <typename T, bool IS_MAX>
cudaError_t launch_global_pool(const T *x, int n, int spatial, int c, T *y,
                               cudaStream_t stream)
{
  constexpr int V = vec_width<T>();
  if (n == 0 || c == 0) return cudaSuccess;
  if (c % V == 0 && aligned16(x) && aligned16(y))
    return launch_global_pool_n<T, V, IS_MAX>(x, n, spatial, c, y, stream);
  return launch_global_pool_n<T, 1, IS_MAX>(x, n, spatial, c, y, stream);
}

} // namespace

/* ------------------------------------------------------------ entry points */

#define PARE_CU_REDUCE(SUF, T)                                                          \
  cudaError_t pare_cu_softmax_##SUF(const T *x, T *y, int outer, int len, int inner,    \
                                    int log_softmax, cudaStream_t stream)               \
  {                                                                                     \
    return launch_softmax(x, y, outer, len, inner, log_softmax, stream);                \
  }                                                                                     \
  cudaError_t pare_cu_layernorm_##SUF(const T *x, const T *scale, const T *bias, T *y,  \
                                      int outer, int inner, float epsilon, int rms,     \
                                      cudaStream_t stream)                              \
  {                                                                                     \
    return launch_layernorm(x, scale, bias, y, outer, inner, epsilon, rms, stream);     \
  }                                                                                     \
  cudaError_t pare_cu_reduce_##SUF(pare_redop_t op, const T *x, pare_cu_shape shape,    \
                                   unsigned reduce_mask, T *y, cudaStream_t stream)     \
  {                                                                                     \
    return launch_reduce(op, x, shape, reduce_mask, y, stream);                         \
  }                                                                                     \
  cudaError_t pare_cu_global_avgpool_##SUF(const T *x, int n, int spatial, int c, T *y, \
                                           cudaStream_t stream)                         \
  {                                                                                     \
    return launch_global_pool<T, false>(x, n, spatial, c, y, stream);                   \
  }                                                                                     \
  cudaError_t pare_cu_global_maxpool_##SUF(const T *x, int n, int spatial, int c, T *y, \
                                           cudaStream_t stream)                         \
  {                                                                                     \
    return launch_global_pool<T, true>(x, n, spatial, c, y, stream);                    \
  }

PARE_CU_REDUCE(f32, float)
PARE_CU_REDUCE(f16, pare_half)
