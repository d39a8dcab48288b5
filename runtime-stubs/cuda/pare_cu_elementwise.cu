/*
 * pare CUDA kernels: activations, unary and broadcasting binary ops, Where,
 * broadcast copy, per-channel affine and float <-> half conversion.
 * See pare_cuda.cuh for the contract; the semantics follow the C kernels
 * (runtime-stubs/c/pare_k_elementwise.c).
 *
 * Contiguous kernels move 16-byte packs (float4 / 8 halves) per thread when
 * every pointer is 16-byte aligned, else one element at a time. All index
 * math on the fast paths is 32-bit; tensors of 2^31 elements or more take
 * the general N-d path, which indexes with 64 bits.
 */
#include "pare_cuda.cuh"
#include "pare_cu_common.cuh"

#include <math.h>

namespace {




struct ActFn {
  pare_act_t act;
  float a, b;
  __device__ float operator()(float x) const { return act_f(x, act, a, b); }
};

struct UnaryFn {
  pare_unop_t op;
  __device__ float operator()(float v) const
  {
    switch (op) {
    case PARE_UN_SQRT: return sqrtf(v);
    case PARE_UN_EXP: return expf(v);
    case PARE_UN_ERF: return erff(v);
    case PARE_UN_NEG: return -v;
    case PARE_UN_RECIPROCAL: return 1.0f / v;
    case PARE_UN_ABS: return fabsf(v);
    case PARE_UN_LOG: return logf(v);
    case PARE_UN_FLOOR: return floorf(v);
    case PARE_UN_CEIL: return ceilf(v);
    case PARE_UN_SIN: return sinf(v);
    case PARE_UN_COS: return cosf(v);
    case PARE_UN_ROUND: return rintf(v); /* half to even */
    case PARE_UN_SIGN: return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : v);
    case PARE_UN_TAN: return tanf(v);
    case PARE_UN_ATAN: return atanf(v);
    case PARE_UN_ASIN: return asinf(v);
    case PARE_UN_ACOS: return acosf(v);
    case PARE_UN_SINH: return sinhf(v);
    case PARE_UN_COSH: return coshf(v);
    case PARE_UN_ASINH: return asinhf(v);
    case PARE_UN_ACOSH: return acoshf(v);
    case PARE_UN_ATANH: return atanhf(v);
    }
    return v;
  }
};

struct ConvertFn {
  __device__ float operator()(float v) const { return v; }
};

/* ----------------------------------------------------- contiguous map --
 * y[i] = f(x[i]) for i < count: `npacks` packs of N elements, then the
 * `count - npacks * N` tail elements one per thread. */
template <int N, typename TI, typename TO, typename F>
__global__ void map_kernel(const TI *x, TO *y, size_t count, F f)
{
  const size_t npacks = count / N;
  const size_t start = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  const size_t step = (size_t)gridDim.x * blockDim.x;
  for (size_t p = start; p < npacks; p += step) {
    Pack<TI, N> in = reinterpret_cast<const Pack<TI, N> *>(x)[p];
    Pack<TO, N> out;
#pragma unroll
    for (int k = 0; k < N; k++) out.v[k] = from_f<TO>(f(to_f(in.v[k])));
    reinterpret_cast<Pack<TO, N> *>(y)[p] = out;
  }
  const size_t tail = npacks * N + start;
  if (tail < count) y[tail] = from_f<TO>(f(to_f(x[tail])));
}

/* Launches map_kernel with the widest pack both pointers allow. In place
 * (x == y) is allowed, so the kernels that support it take no __restrict__:
 * each element is read, then written, by the same thread. */
template <typename TI, typename TO, typename F>
cudaError_t launch_map(const TI *x, TO *y, size_t count, F f, cudaStream_t stream)
{
  constexpr int N = vec_width<TI>() < vec_width<TO>() ? vec_width<TI>() : vec_width<TO>();
  if (count == 0) return cudaSuccess;
  if (aligned16(x) && aligned16(y))
    map_kernel<N><<<grid_for(count / N + 1), kBlock, 0, stream>>>(x, y, count, f);
  else
    map_kernel<1><<<grid_for(count), kBlock, 0, stream>>>(x, y, count, f);
  return cudaGetLastError();
}

/* ---------------------------------------------------- N-d broadcasting --
 * An output shape with per-operand element strides, after dropping size-1
 * dims and merging dims that are contiguous for every operand (as the C
 * iterator does), so that most broadcasts become rank 1 or 2. */

struct NdShape {
  int rank;                          /* >= 1 */
  long long dims[PARE_CU_MAX_RANK];
  long long st[3][PARE_CU_MAX_RANK]; /* element strides per operand */
};

static NdShape coalesce(const int *dims, const int (*strides)[PARE_CU_MAX_RANK], int rank,
                        int nops, long long *total)
{
  NdShape s;
  int r = 0;
  *total = 1;
  for (int d = 0; d < rank; d++) {
    *total *= dims[d];
    if (dims[d] == 1) continue;
    bool merge = r > 0;
    for (int k = 0; k < nops && merge; k++)
      merge = s.st[k][r - 1] == (long long)strides[k][d] * dims[d];
    if (merge) {
      s.dims[r - 1] *= dims[d];
      for (int k = 0; k < nops; k++) s.st[k][r - 1] = strides[k][d];
    } else {
      s.dims[r] = dims[d];
      for (int k = 0; k < nops; k++) s.st[k][r] = strides[k][d];
      r++;
    }
  }
  if (r == 0) { /* a single element */
    s.dims[0] = 1;
    for (int k = 0; k < nops; k++) s.st[k][0] = 0;
    r = 1;
  }
  s.rank = r;
  return s;
}

/* Operand offsets of row-major output element i. */
template <int NOPS>
__device__ __forceinline__ void nd_offsets(const NdShape &s, long long i, long long *off)
{
#pragma unroll
  for (int k = 0; k < NOPS; k++) off[k] = 0;
  for (int d = s.rank - 1; d >= 0; d--) {
    const long long q = i / s.dims[d], c = i - q * s.dims[d];
#pragma unroll
    for (int k = 0; k < NOPS; k++) off[k] += c * s.st[k][d];
    i = q;
  }
}

/* Max / min that propagate NaN from either side (numpy.maximum). */
__device__ __forceinline__ float bin_f(pare_binop_t op, float p, float q)
{
  switch (op) {
  case PARE_BIN_ADD: return p + q;
  case PARE_BIN_SUB: return p - q;
  case PARE_BIN_MUL: return p * q;
  case PARE_BIN_DIV: return p / q;
  case PARE_BIN_POW: return powf(p, q);
  case PARE_BIN_MAX: return (p > q || p != p) ? p : q;
  case PARE_BIN_MIN: return (p < q || p != p) ? p : q;
  case PARE_BIN_MOD: return fmodf(p, q);
  }
  return p;
}

struct BinParams {
  pare_binop_t op;
  pare_act_t act;
  float act_a, act_b;
};

/* Fast path: output [rows][cols], operand k at row r, column c reads
 * element r * row_st[k] + c * (inner[k] ? 1 : 0) (inner 0: the operand is
 * constant along a row, i.e. a scalar or a per-row value). Covers same
 * shape, scalar, per-channel (innermost) and per-row broadcasts. N > 1
 * needs cols % N == 0, row strides of contiguous operands multiple of N and
 * 16-byte aligned pointers. */
template <typename T, int N>
__global__ void binary_2d_kernel(BinParams p, const T *a, unsigned a_row, int a_inner,
                                 const T *b, unsigned b_row, int b_inner, T *y,
                                 unsigned cpacks,
                                 unsigned npacks)
{
  for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < npacks;
       i += gridDim.x * blockDim.x) {
    const unsigned r = i / cpacks, c = (i - r * cpacks) * N;
    Pack<T, N> va, vb, out;
    if (a_inner) {
      va = *reinterpret_cast<const Pack<T, N> *>(a + (size_t)r * a_row + c);
    } else {
#pragma unroll
      for (int k = 0; k < N; k++) va.v[k] = a[(size_t)r * a_row];
    }
    if (b_inner) {
      vb = *reinterpret_cast<const Pack<T, N> *>(b + (size_t)r * b_row + c);
    } else {
#pragma unroll
      for (int k = 0; k < N; k++) vb.v[k] = b[(size_t)r * b_row];
    }
#pragma unroll
    for (int k = 0; k < N; k++)
      out.v[k] = from_f<T>(act_f(bin_f(p.op, to_f(va.v[k]), to_f(vb.v[k])), p.act,
                                 p.act_a, p.act_b));
    reinterpret_cast<Pack<T, N> *>(y)[i] = out;
  }
}

/* General path: any strides, 64-bit indices. */
template <typename T>
__global__ void binary_nd_kernel(BinParams p, const T *a, const T *b, T *y, NdShape s,
                                 long long total)
{
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    long long off[2];
    nd_offsets<2>(s, i, off);
    y[i] = from_f<T>(
        act_f(bin_f(p.op, to_f(a[off[0]]), to_f(b[off[1]])), p.act, p.act_a, p.act_b));
  }
}

template <typename T>
cudaError_t launch_binary(pare_binop_t op, const T *a, const T *b, T *y,
                          const pare_cu_shape &shape, pare_act_t act, float act_a,
                          float act_b, cudaStream_t stream)
{
  constexpr int V = vec_width<T>();
  const BinParams p = {op, act, act_a, act_b};
  long long total;
  const NdShape s = coalesce(shape.dims, shape.strides, shape.rank, 2, &total);
  if (total == 0) return cudaSuccess;
  const int r = s.rank;
  const long long sa = s.st[0][r - 1], sb = s.st[1][r - 1];
  const bool inner_ok = (sa == 0 || sa == 1) && (sb == 0 || sb == 1) && (sa | sb);
  if (r <= 2 && inner_ok && total < (1ll << 31)) {
    const long long cols = s.dims[r - 1];
    const long long a_row = r == 2 ? s.st[0][0] : 0, b_row = r == 2 ? s.st[1][0] : 0;
    /* Row strides are element offsets into the inputs: < 2^31 as well. */
    const bool vec = cols % V == 0 && aligned16(y) &&
                     (sa == 0 || (aligned16(a) && a_row % V == 0)) &&
                     (sb == 0 || (aligned16(b) && b_row % V == 0));
    if (a_row >= 0 && b_row >= 0 && a_row < (1ll << 31) && b_row < (1ll << 31)) {
      if (vec)
        binary_2d_kernel<T, V><<<grid_for((size_t)(total / V)), kBlock, 0, stream>>>(
            p, a, (unsigned)a_row, (int)sa, b, (unsigned)b_row, (int)sb, y,
            (unsigned)(cols / V), (unsigned)(total / V));
      else
        binary_2d_kernel<T, 1><<<grid_for((size_t)total), kBlock, 0, stream>>>(
            p, a, (unsigned)a_row, (int)sa, b, (unsigned)b_row, (int)sb, y,
            (unsigned)cols, (unsigned)total);
      return cudaGetLastError();
    }
  }
  binary_nd_kernel<T><<<grid_for((size_t)total), kBlock, 0, stream>>>(p, a, b, y, s, total);
  return cudaGetLastError();
}

/* -------------------------------------------------------- channel affine --
 * y[o][c][i] = act(x * scale[c] + shift[c]). A pack of N elements shares one
 * channel when inner % N == 0, or covers channels c0 .. c0+N-1 when
 * inner == 1 and channels % N == 0 (NHWC); other shapes use N = 1. */
template <typename T, int N>
__global__ void channel_affine_kernel(const T *x, const float *__restrict__ scale,
                                      const float *__restrict__ shift, T *y,
                                      size_t npacks, unsigned channels, unsigned inner,
                                      ActFn f)
{
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < npacks;
       i += (size_t)gridDim.x * blockDim.x) {
    const unsigned c0 = (unsigned)((i * N / inner) % channels);
    Pack<T, N> v = reinterpret_cast<const Pack<T, N> *>(x)[i];
#pragma unroll
    for (int k = 0; k < N; k++) {
      const unsigned c = inner == 1 ? c0 + k : c0;
      v.v[k] = from_f<T>(f(to_f(v.v[k]) * scale[c] + shift[c]));
    }
    reinterpret_cast<Pack<T, N> *>(y)[i] = v;
  }
}

template <typename T>
cudaError_t launch_channel_affine(const T *x, const float *scale, const float *shift, T *y,
                                  int outer, int channels, int inner, pare_act_t act,
                                  float act_a, float act_b, cudaStream_t stream)
{
  constexpr int V = vec_width<T>();
  const size_t count = (size_t)outer * channels * inner;
  const ActFn f = {act, act_a, act_b};
  if (count == 0) return cudaSuccess;
  const bool vec = aligned16(x) && aligned16(y) &&
                   (inner % V == 0 || (inner == 1 && channels % V == 0));
  if (vec)
    channel_affine_kernel<T, V><<<grid_for(count / V), kBlock, 0, stream>>>(
        x, scale, shift, y, count / V, (unsigned)channels, (unsigned)inner, f);
  else
    channel_affine_kernel<T, 1><<<grid_for(count), kBlock, 0, stream>>>(
        x, scale, shift, y, count, (unsigned)channels, (unsigned)inner, f);
  return cudaGetLastError();
}

/* ------------------------------------------------ type-generic copies --
 * Elements are moved as unsigned words of the element's size. */

template <typename E>
__global__ void where_kernel(const uint8_t *__restrict__ cond, const E *__restrict__ x,
                             const E *__restrict__ z, E *__restrict__ y, NdShape s,
                             long long total)
{
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    long long off[3];
    nd_offsets<3>(s, i, off);
    y[i] = cond[off[0]] ? x[off[1]] : z[off[2]];
  }
}

template <typename E>
cudaError_t launch_where(const uint8_t *cond, const void *x, const void *z, void *y,
                         const NdShape &s, long long total, cudaStream_t stream)
{
  where_kernel<E><<<grid_for((size_t)total), kBlock, 0, stream>>>(
      cond, (const E *)x, (const E *)z, (E *)y, s, total);
  return cudaGetLastError();
}

/* y[off1(i)] = x[off0(i)]: operand 0 is the source, operand 1 the
 * destination. */
template <typename E>
__global__ void copy_nd_kernel(const E *__restrict__ x, E *__restrict__ y, NdShape s,
                               long long total)
{
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    long long off[2];
    nd_offsets<2>(s, i, off);
    y[off[1]] = x[off[0]];
  }
}

/* Copies with elements of `es` bytes; when the innermost dim is contiguous
 * on both sides, runs of it move as wider words (up to 16 bytes). */
static cudaError_t launch_copy_nd(size_t es, const void *x, void *y, NdShape s,
                                  long long total, cudaStream_t stream)
{
  const int r = s.rank - 1;
  size_t w = es;
  if (s.st[0][r] == 1 && s.st[1][r] == 1) {
    for (size_t cand = 16; cand > es; cand /= 2) {
      const long long ratio = (long long)(cand / es);
      bool ok = s.dims[r] % ratio == 0 && ((uintptr_t)x % cand) == 0 &&
                ((uintptr_t)y % cand) == 0;
      for (int d = 0; d < r && ok; d++)
        ok = s.st[0][d] % ratio == 0 && s.st[1][d] % ratio == 0;
      if (ok) {
        w = cand;
        break;
      }
    }
    if (w != es) {
      const long long ratio = (long long)(w / es);
      s.dims[r] /= ratio;
      for (int d = 0; d < r; d++) {
        s.st[0][d] /= ratio;
        s.st[1][d] /= ratio;
      }
      total /= ratio;
    }
  }
  const unsigned grid = grid_for((size_t)total);
  switch (w) {
  case 1: copy_nd_kernel<uint8_t><<<grid, kBlock, 0, stream>>>((const uint8_t *)x, (uint8_t *)y, s, total); break;
  case 2: copy_nd_kernel<uint16_t><<<grid, kBlock, 0, stream>>>((const uint16_t *)x, (uint16_t *)y, s, total); break;
  case 4: copy_nd_kernel<uint32_t><<<grid, kBlock, 0, stream>>>((const uint32_t *)x, (uint32_t *)y, s, total); break;
  case 8: copy_nd_kernel<uint2><<<grid, kBlock, 0, stream>>>((const uint2 *)x, (uint2 *)y, s, total); break;
  case 16: copy_nd_kernel<uint4><<<grid, kBlock, 0, stream>>>((const uint4 *)x, (uint4 *)y, s, total); break;
  default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

} // namespace

/* ------------------------------------------------------------ entry points */

#define PARE_CU_ELEMENTWISE(SUF, T)                                                 \
  cudaError_t pare_cu_activation_##SUF(const T *x, T *y, size_t count, pare_act_t act, \
                                       float act_a, float act_b, cudaStream_t stream) \
  {                                                                                 \
    return launch_map(x, y, count, ActFn{act, act_a, act_b}, stream);               \
  }                                                                                 \
  cudaError_t pare_cu_unary_##SUF(const T *x, T *y, size_t count, pare_unop_t op,   \
                                  cudaStream_t stream)                              \
  {                                                                                 \
    return launch_map(x, y, count, UnaryFn{op}, stream);                            \
  }                                                                                 \
  cudaError_t pare_cu_binary_##SUF(pare_binop_t op, const T *a, const T *b, T *y,   \
                                   pare_cu_shape shape, pare_act_t act, float act_a, \
                                   float act_b, cudaStream_t stream)                \
  {                                                                                 \
    return launch_binary(op, a, b, y, shape, act, act_a, act_b, stream);            \
  }                                                                                 \
  cudaError_t pare_cu_channel_affine_##SUF(const T *x, const float *scale,          \
                                           const float *shift, T *y, int outer,     \
                                           int channels, int inner, pare_act_t act, \
                                           float act_a, float act_b,                \
                                           cudaStream_t stream)                     \
  {                                                                                 \
    return launch_channel_affine(x, scale, shift, y, outer, channels, inner, act,   \
                                 act_a, act_b, stream);                             \
  }

PARE_CU_ELEMENTWISE(f32, float)
PARE_CU_ELEMENTWISE(f16, pare_half)

namespace {

/* Clip whose bounds live in device memory (read by every thread: one cached
 * load each) or are constants (NULL pointer). */
template <typename T> struct ClipFn {
  const T *lo_ptr, *hi_ptr;
  float lo, hi;
  __device__ float operator()(float x) const
  {
    return pare_activation(x, PARE_ACT_CLIP, lo_ptr ? to_f(*lo_ptr) : lo,
                           hi_ptr ? to_f(*hi_ptr) : hi);
  }
};

} // namespace

cudaError_t pare_cu_clip_f32(const float *x, const float *lo_ptr, const float *hi_ptr,
                             float lo_const, float hi_const, float *y, size_t count,
                             cudaStream_t stream)
{
  return launch_map(x, y, count, ClipFn<float>{lo_ptr, hi_ptr, lo_const, hi_const}, stream);
}

cudaError_t pare_cu_clip_f16(const pare_half *x, const pare_half *lo_ptr,
                             const pare_half *hi_ptr, float lo_const, float hi_const,
                             pare_half *y, size_t count, cudaStream_t stream)
{
  return launch_map(x, y, count, ClipFn<pare_half>{lo_ptr, hi_ptr, lo_const, hi_const}, stream);
}

cudaError_t pare_cu_where(size_t elem_size, const uint8_t *cond, const void *x,
                          const void *z, void *y, pare_cu_shape shape, cudaStream_t stream)
{
  long long total;
  const NdShape s = coalesce(shape.dims, shape.strides, shape.rank, 3, &total);
  if (total == 0) return cudaSuccess;
  switch (elem_size) {
  case 1: return launch_where<uint8_t>(cond, x, z, y, s, total, stream);
  case 2: return launch_where<uint16_t>(cond, x, z, y, s, total, stream);
  case 4: return launch_where<uint32_t>(cond, x, z, y, s, total, stream);
  case 8: return launch_where<unsigned long long>(cond, x, z, y, s, total, stream);
  default: return cudaErrorInvalidValue;
  }
}

/* A destination whose strides[1] are all 0 is contiguous. */
cudaError_t pare_cu_broadcast(size_t elem_size, const void *x, pare_cu_shape shape, void *y,
                              cudaStream_t stream)
{
  bool dst_given = false;
  for (int d = 0; d < shape.rank; d++) dst_given = dst_given || shape.strides[1][d] != 0;
  if (!dst_given) {
    int st = 1;
    for (int d = shape.rank - 1; d >= 0; d--) {
      shape.strides[1][d] = st;
      st *= shape.dims[d];
    }
  }
  long long total;
  const NdShape s = coalesce(shape.dims, shape.strides, shape.rank, 2, &total);
  if (total == 0) return cudaSuccess;
  return launch_copy_nd(elem_size, x, y, s, total, stream);
}

cudaError_t pare_cu_f32_to_f16(const float *x, pare_half *y, size_t count,
                               cudaStream_t stream)
{
  return launch_map(x, y, count, ConvertFn{}, stream);
}

cudaError_t pare_cu_f16_to_f32(const pare_half *x, float *y, size_t count,
                               cudaStream_t stream)
{
  return launch_map(x, y, count, ConvertFn{}, stream);
}
