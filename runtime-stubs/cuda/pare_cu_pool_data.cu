/*
 * pare CUDA kernels: NHWC max / average pooling and type-generic data
 * movement (transpose, slice, pad, gather, temporal shift). See pare_cuda.cuh for the
 * contract; the semantics follow the C kernels (runtime-stubs/c/pare_k_conv.c
 * for pooling, pare_k_data.c for the rest).
 *
 * Data movement works on unsigned words of the element's size, and widens
 * them (up to 16 bytes) where the innermost run is contiguous and aligned.
 */
#include "pare_cuda.cuh"
#include "pare_cu_common.cuh"

#include <float.h>
#include <string.h>

namespace {

constexpr int kTile = 32;         /* transpose tile side */
constexpr int kTileRows = 8;      /* transpose block: kTile x kTileRows threads */



/* Calls F::template run<E>() with E the unsigned word of `bytes` bytes. */
template <typename F> cudaError_t dispatch_word(size_t bytes, F &&f)
{
  switch (bytes) {
  case 1: return f.template run<uint8_t>();
  case 2: return f.template run<uint16_t>();
  case 4: return f.template run<uint32_t>();
  case 8: return f.template run<uint2>();
  case 16: return f.template run<uint4>();
  default: return cudaErrorInvalidValue;
  }
}

/* ------------------------------------------------------------- pooling --
 * One thread per output pack of N channels; the window is clipped to the
 * input rows / columns it covers (valid_taps in the C kernel). */

/* Window taps [*k0, *k1) of a window starting at `start` that fall inside
 * [0, size). */
__device__ __forceinline__ void valid_taps(int start, int k, int dil, int size, int *k0,
                                           int *k1)
{
  const int lo = start < 0 ? (-start + dil - 1) / dil : 0;
  const int hi = start > size - 1 ? 0 : min(k, (size - 1 - start) / dil + 1);
  *k0 = lo;
  *k1 = hi > lo ? hi : lo;
}

struct PoolGeom {
  int n, ih, iw, cpacks, oh, ow, kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top,
      pad_left, count_include_pad;
};

template <typename T, int N, bool IS_MAX>
__global__ void pool2d_kernel(const T *__restrict__ x, T *__restrict__ y, PoolGeom g)
{
  const size_t total = (size_t)g.n * g.oh * g.ow * g.cpacks;
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x) {
    size_t t = i / g.cpacks;
    const int cp = (int)(i - t * g.cpacks);
    const int ox = (int)(t % g.ow);
    t /= g.ow;
    const int oy = (int)(t % g.oh);
    const int b = (int)(t / g.oh);
    const int iy0 = oy * g.stride_h - g.pad_top, ix0 = ox * g.stride_w - g.pad_left;
    int r0, r1, s0, s1;
    valid_taps(iy0, g.kh, g.dil_h, g.ih, &r0, &r1);
    valid_taps(ix0, g.kw, g.dil_w, g.iw, &s0, &s1);

    float acc[N];
#pragma unroll
    for (int k = 0; k < N; k++) acc[k] = IS_MAX ? -FLT_MAX : 0.0f;
    for (int r = r0; r < r1; r++) {
      const T *xrow = x + (((size_t)b * g.ih + iy0 + r * g.dil_h) * g.iw) * g.cpacks * N;
      for (int s = s0; s < s1; s++) {
        const Pack<T, N> p = reinterpret_cast<const Pack<T, N> *>(
            xrow + (size_t)(ix0 + s * g.dil_w) * g.cpacks * N)[cp];
#pragma unroll
        for (int k = 0; k < N; k++) {
          const float v = to_f(p.v[k]);
          acc[k] = IS_MAX ? (v > acc[k] ? v : acc[k]) : acc[k] + v;
        }
      }
    }
    float scale = 1.0f;
    if (!IS_MAX) {
      /* count_include_pad divides by the whole kernel, as onnxruntime. */
      const int cnt = g.count_include_pad ? g.kh * g.kw : (r1 - r0) * (s1 - s0);
      scale = cnt > 0 ? 1.0f / (float)cnt : 0.0f;
    }
    Pack<T, N> out;
#pragma unroll
    for (int k = 0; k < N; k++) out.v[k] = from_f<T>(acc[k] * scale);
    reinterpret_cast<Pack<T, N> *>(y)[i] = out;
  }
}

template <typename T, bool IS_MAX>
cudaError_t launch_pool2d(const T *x, int n, int ih, int iw, int c, T *y, int oh, int ow,
                          int kh, int kw, int stride_h, int stride_w, int dil_h, int dil_w,
                          int pad_top, int pad_left, int count_include_pad,
                          cudaStream_t stream)
{
  constexpr int V = vec_width<T>();
  PoolGeom g = {n,  ih,     iw,       c,     oh,    ow,      kh,      kw,
                stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, count_include_pad};
  const size_t outputs = (size_t)n * oh * ow * c;
  if (outputs == 0) return cudaSuccess;
  if (c % V == 0 && aligned16(x) && aligned16(y)) {
    g.cpacks = c / V;
    pool2d_kernel<T, V, IS_MAX><<<grid_for(outputs / V), kBlock, 0, stream>>>(x, y, g);
  } else {
    pool2d_kernel<T, 1, IS_MAX><<<grid_for(outputs), kBlock, 0, stream>>>(x, y, g);
  }
  return cudaGetLastError();
}

/* ------------------------------------------------------- strided copies --
 * y (contiguous) = x viewed with element strides st (may be negative) over
 * dims, after dropping size-1 dims and merging dims contiguous in x. */

struct NdCopy {
  int rank;
  long long dims[PARE_CU_MAX_RANK];
  long long sx[PARE_CU_MAX_RANK]; /* source strides */
  long long sy[PARE_CU_MAX_RANK]; /* destination strides */
};

/* Coalesces dims[rank] with source strides st; destination contiguous.
 * Returns the element count. */
static long long coalesce(const long long *dims, const long long *st, int rank, NdCopy *s)
{
  long long total = 1;
  int r = 0;
  for (int d = 0; d < rank; d++) {
    total *= dims[d];
    if (dims[d] == 1) continue;
    if (r > 0 && s->sx[r - 1] == st[d] * dims[d]) {
      s->dims[r - 1] *= dims[d];
      s->sx[r - 1] = st[d];
    } else {
      s->dims[r] = dims[d];
      s->sx[r] = st[d];
      r++;
    }
  }
  if (r == 0) {
    s->dims[0] = 1;
    s->sx[0] = 0;
    r = 1;
  }
  s->rank = r;
  long long sy = 1;
  for (int d = r - 1; d >= 0; d--) {
    s->sy[d] = sy;
    sy *= s->dims[d];
  }
  return total;
}

__device__ __forceinline__ void nd_offsets(const NdCopy &s, long long i, long long *ox,
                                           long long *oy)
{
  *ox = 0;
  *oy = 0;
  for (int d = s.rank - 1; d >= 0; d--) {
    const long long q = i / s.dims[d], c = i - q * s.dims[d];
    *ox += c * s.sx[d];
    *oy += c * s.sy[d];
    i = q;
  }
}

template <typename E>
__global__ void copy_nd_kernel(const E *__restrict__ x, E *__restrict__ y, NdCopy s,
                               long long total)
{
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    long long ox, oy;
    nd_offsets(s, i, &ox, &oy);
    y[oy] = x[ox];
  }
}

/* Batched 2-D transpose through a shared-memory tile: y[b][p][q] =
 * x[b][q][p] in the sense that p is contiguous in x (stride 1) and q in y.
 * `batch` holds the remaining dims (sx / sy their strides). */
template <typename E>
__global__ void transpose_tiled_kernel(const E *__restrict__ x, E *__restrict__ y,
                                       NdCopy batch, long long nbatch, int P, int Q,
                                       long long xq, long long yp)
{
  __shared__ E tile[kTile][kTile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int p0 = blockIdx.x * kTile;
  for (long long z = blockIdx.z; z < nbatch; z += gridDim.z) {
    long long bx, by;
    nd_offsets(batch, z, &bx, &by);
    for (int q0 = blockIdx.y * kTile; q0 < Q; q0 += gridDim.y * kTile) {
      for (int j = ty; j < kTile; j += kTileRows) {
        const int p = p0 + tx, q = q0 + j;
        if (p < P && q < Q) tile[j][tx] = x[bx + p + q * xq];
      }
      __syncthreads();
      for (int j = ty; j < kTile; j += kTileRows) {
        const int p = p0 + j, q = q0 + tx;
        if (p < P && q < Q) y[by + p * yp + q] = tile[tx][j];
      }
      __syncthreads();
    }
  }
}

/* Runs a coalesced copy: widened contiguous rows, or the tiled transpose
 * when y's innermost dim is strided in x but another dim is contiguous. */
struct CopyLauncher {
  const void *x;
  void *y;
  NdCopy s;
  long long total;
  cudaStream_t stream;

  template <typename E> cudaError_t run()
  {
    const int r = s.rank - 1;
    int pdim = -1;
    for (int d = 0; d < r; d++)
      if (s.sx[d] == 1) pdim = d;
    if (s.sx[r] != 1 && pdim >= 0 && s.dims[pdim] < (1ll << 31) &&
        s.dims[r] < (1ll << 31)) {
      NdCopy batch;
      long long nbatch = 1;
      batch.rank = 0;
      for (int d = 0; d < r; d++) {
        if (d == pdim) continue;
        batch.dims[batch.rank] = s.dims[d];
        batch.sx[batch.rank] = s.sx[d];
        batch.sy[batch.rank] = s.sy[d];
        batch.rank++;
        nbatch *= s.dims[d];
      }
      const int P = (int)s.dims[pdim], Q = (int)s.dims[r];
      const int qtiles = (Q + kTile - 1) / kTile;
      const dim3 grid((P + kTile - 1) / kTile, (unsigned)(qtiles < 65535 ? qtiles : 65535),
                      (unsigned)(nbatch < 65535 ? nbatch : 65535));
      transpose_tiled_kernel<E><<<grid, dim3(kTile, kTileRows), 0, stream>>>(
          (const E *)x, (E *)y, batch, nbatch, P, Q, s.sx[r], s.sy[pdim]);
    } else {
      copy_nd_kernel<E><<<grid_for((size_t)total), kBlock, 0, stream>>>((const E *)x, (E *)y,
                                                                         s, total);
    }
    return cudaGetLastError();
  }
};

/* Widest word (<= 16 bytes) that moves whole runs of the innermost dim:
 * it must be contiguous in x and the strides, the run length and both
 * pointers must be multiples of the word. Rescales s and total to it. */
static size_t widen(size_t es, const void *x, const void *y, NdCopy *s, long long *total)
{
  const int r = s->rank - 1;
  if (s->sx[r] != 1) return es;
  for (size_t w = 16; w > es; w /= 2) {
    const long long ratio = (long long)(w / es);
    bool ok = s->dims[r] % ratio == 0 && (uintptr_t)x % w == 0 && (uintptr_t)y % w == 0;
    for (int d = 0; d < r && ok; d++) ok = s->sx[d] % ratio == 0 && s->sy[d] % ratio == 0;
    if (ok) {
      s->dims[r] /= ratio;
      for (int d = 0; d < r; d++) {
        s->sx[d] /= ratio;
        s->sy[d] /= ratio;
      }
      *total /= ratio;
      return w;
    }
  }
  return es;
}

static cudaError_t strided_copy(size_t es, const void *x, const long long *dims,
                                const long long *st, int rank, void *y, cudaStream_t stream)
{
  NdCopy s;
  long long total = coalesce(dims, st, rank, &s);
  if (total == 0) return cudaSuccess;
  const size_t w = widen(es, x, y, &s, &total);
  return dispatch_word(w, CopyLauncher{x, y, s, total, stream});
}

/* ----------------------------------------------------------------- pad -- */

struct PadGeom {
  int rank, mode;
  long long out_dims[PARE_CU_MAX_RANK], in_dims[PARE_CU_MAX_RANK];
  long long in_st[PARE_CU_MAX_RANK], pads[PARE_CU_MAX_RANK];
};

/* Input index for padded coordinate i (shifted by the begin pad) of a dim
 * of size n, or -1 where the constant value goes (pad_index in C). */
__device__ __forceinline__ long long pad_index(long long i, long long n, int mode)
{
  if (i >= 0 && i < n) return i;
  switch (mode) {
  case 1: { /* reflect, without repeating the edge */
    if (n == 1) return 0;
    const long long period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
  }
  case 2: return i < 0 ? 0 : n - 1; /* edge */
  case 3: i %= n; return i < 0 ? i + n : i; /* wrap */
  default: return -1; /* constant */
  }
}

template <typename E>
__global__ void pad_kernel(const E *__restrict__ x, E *__restrict__ y, PadGeom g, E value,
                           long long total)
{
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    long long t = i, off = 0;
    bool constant = false;
    for (int d = g.rank - 1; d >= 0; d--) {
      const long long q = t / g.out_dims[d], c = t - q * g.out_dims[d];
      t = q;
      const long long k =
          g.in_dims[d] == 0 ? -1 : pad_index(c - g.pads[d], g.in_dims[d], g.mode);
      if (k < 0) constant = true;
      off += k * g.in_st[d];
    }
    y[i] = constant ? value : x[off];
  }
}

struct PadLauncher {
  const void *x;
  void *y;
  PadGeom g;
  const void *value;
  long long total;
  cudaStream_t stream;

  template <typename E> cudaError_t run()
  {
    E v;
    memset(&v, 0, sizeof v);
    if (value) memcpy(&v, value, sizeof v);
    pad_kernel<E><<<grid_for((size_t)total), kBlock, 0, stream>>>((const E *)x, (E *)y, g, v,
                                                                   total);
    return cudaGetLastError();
  }
};

/* -------------------------------------------------------------- gather -- */

/* y[o][i][j] = data[o][indices[i]][j] over words; out-of-range indices (an
 * invalid model) give zeros. */
template <typename E>
__global__ void gather_kernel(const E *__restrict__ data, long long axis_len, long long inner,
                              const int64_t *__restrict__ indices, long long count,
                              E *__restrict__ y, long long total)
{
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const long long t = i / inner, j = i - t * inner;
    const long long o = t / count, n = t - o * count;
    long long k = indices[n];
    if (k < 0) k += axis_len;
    y[i] = (k < 0 || k >= axis_len) ? E() : data[(o * axis_len + k) * inner + j];
  }
}

struct GatherLauncher {
  const void *data;
  long long axis_len, inner; /* inner in words */
  const int64_t *indices;
  long long count;
  void *y;
  long long total;
  cudaStream_t stream;

  template <typename E> cudaError_t run()
  {
    gather_kernel<E><<<grid_for((size_t)total), kBlock, 0, stream>>>(
        (const E *)data, axis_len, inner, indices, count, (E *)y, total);
    return cudaGetLastError();
  }
};

/* ------------------------------------------------------ temporal shift --
 * TSM over [frames_total][frame_words] words: the word at within-frame
 * offset r has channel position pos = (r / div) % mod (NCHW: div = a
 * channel's words, mod = channels; channels_last: div = 1, mod = a pixel's
 * words), group A below a_end, group B below b_end, and reads frame
 * f + da (A) or f + db (B) of its clip, or the zero word where that frame
 * is outside the clip (pare_k_data.c's ts_sources). */
struct ShiftGeom {
  long long frame_words, div, mod, a_end, b_end;
  int frames, da, db;
};

template <typename E>
__global__ void temporal_shift_kernel(const E *__restrict__ x, E *__restrict__ y, ShiftGeom g,
                                      E zero, long long total)
{
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const long long f = i / g.frame_words, r = i - f * g.frame_words;
    const long long pos = (r / g.div) % g.mod;
    const int d = pos < g.a_end ? g.da : pos < g.b_end ? g.db : 0;
    const int t = (int)(f % g.frames) + d;
    y[i] = (t < 0 || t >= g.frames) ? zero : x[i + d * g.frame_words];
  }
}

struct ShiftLauncher {
  const void *x;
  void *y;
  ShiftGeom g;
  const void *zero;
  size_t elem_size;
  long long total;
  cudaStream_t stream;

  template <typename E> cudaError_t run()
  {
    /* A word wider than the element holds the zero element repeated. */
    E z;
    for (size_t o = 0; o < sizeof z; o += elem_size)
      memcpy((char *)&z + o, zero, elem_size);
    temporal_shift_kernel<E><<<grid_for((size_t)total), kBlock, 0, stream>>>(
        (const E *)x, (E *)y, g, z, total);
    return cudaGetLastError();
  }
};

} // namespace

/* ------------------------------------------------------------ entry points */

#define PARE_CU_POOL(SUF, T)                                                               \
  cudaError_t pare_cu_maxpool2d_##SUF(const T *x, int n, int ih, int iw, int c, T *y,      \
                                      int oh, int ow, int kh, int kw, int stride_h,        \
                                      int stride_w, int dil_h, int dil_w, int pad_top,     \
                                      int pad_left, cudaStream_t stream)                   \
  {                                                                                        \
    return launch_pool2d<T, true>(x, n, ih, iw, c, y, oh, ow, kh, kw, stride_h, stride_w,  \
                                  dil_h, dil_w, pad_top, pad_left, 0, stream);             \
  }                                                                                        \
  cudaError_t pare_cu_avgpool2d_##SUF(const T *x, int n, int ih, int iw, int c, T *y,      \
                                      int oh, int ow, int kh, int kw, int stride_h,        \
                                      int stride_w, int dil_h, int dil_w, int pad_top,     \
                                      int pad_left, int count_include_pad,                 \
                                      cudaStream_t stream)                                 \
  {                                                                                        \
    return launch_pool2d<T, false>(x, n, ih, iw, c, y, oh, ow, kh, kw, stride_h, stride_w, \
                                   dil_h, dil_w, pad_top, pad_left, count_include_pad,     \
                                   stream);                                                \
  }

PARE_CU_POOL(f32, float)
PARE_CU_POOL(f16, pare_half)

cudaError_t pare_cu_transpose(size_t elem_size, const void *x, pare_cu_shape shape,
                              const int *perm, void *y, cudaStream_t stream)
{
  long long xs[PARE_CU_MAX_RANK], dims[PARE_CU_MAX_RANK], st[PARE_CU_MAX_RANK], s = 1;
  for (int d = shape.rank - 1; d >= 0; d--) {
    xs[d] = s;
    s *= shape.dims[d];
  }
  for (int d = 0; d < shape.rank; d++) {
    dims[d] = shape.dims[perm[d]];
    st[d] = xs[perm[d]];
  }
  return strided_copy(elem_size, x, dims, st, shape.rank, y, stream);
}

cudaError_t pare_cu_slice(size_t elem_size, const void *x, pare_cu_shape shape,
                          const int *starts, const int *steps, void *y, cudaStream_t stream)
{
  long long dims[PARE_CU_MAX_RANK], st[PARE_CU_MAX_RANK], base = 0;
  for (int d = 0; d < shape.rank; d++) {
    if (shape.dims[d] == 0) return cudaSuccess;
    dims[d] = shape.dims[d];
    base += (long long)starts[d] * shape.strides[0][d];
    st[d] = (long long)steps[d] * shape.strides[0][d];
  }
  return strided_copy(elem_size, (const char *)x + base * (long long)elem_size, dims, st,
                      shape.rank, y, stream);
}

cudaError_t pare_cu_pad(size_t elem_size, const void *x, const int *in_dims,
                        pare_cu_shape shape, const int *pads_begin, int mode,
                        const void *value, void *y, cudaStream_t stream)
{
  PadGeom g;
  long long total = 1, s = 1;
  g.rank = shape.rank;
  g.mode = mode;
  for (int d = shape.rank - 1; d >= 0; d--) {
    g.out_dims[d] = shape.dims[d];
    g.in_dims[d] = in_dims[d];
    g.in_st[d] = s;
    g.pads[d] = pads_begin[d];
    s *= in_dims[d];
    total *= shape.dims[d];
  }
  if (total == 0) return cudaSuccess;
  return dispatch_word(elem_size, PadLauncher{x, y, g, value, total, stream});
}

cudaError_t pare_cu_gather(size_t elem_size, const void *data, int outer, int axis_len,
                           int inner, const int64_t *indices, int count, void *y,
                           cudaStream_t stream)
{
  long long total = (long long)outer * count * inner;
  if (total == 0) return cudaSuccess;
  /* Move rows as the widest word that divides them and both pointers. */
  size_t w = elem_size;
  for (size_t cand = 16; cand > elem_size; cand /= 2)
    if (((size_t)inner * elem_size) % cand == 0 && (uintptr_t)data % cand == 0 &&
        (uintptr_t)y % cand == 0) {
      w = cand;
      break;
    }
  const long long words = (long long)inner * (long long)elem_size / (long long)w;
  total = total / inner * words;
  return dispatch_word(w, GatherLauncher{data, axis_len, words, indices, count, y, total,
                                         stream});
}

cudaError_t pare_cu_temporal_shift(size_t elem_size, const void *x, void *y, int frames_total,
                                   int frames, int channels, int inner, int fold, int mode,
                                   int channels_last, const void *zero, cudaStream_t stream)
{
  const long long es = (long long)elem_size, c = channels, k = fold;
  const long long total = (long long)frames_total * c * inner;
  if (total == 0 || frames < 1) return cudaSuccess;
  if (x == y || mode < 0 || mode > 2 || k < 0 || (mode ? 2 * k : k) > c)
    return cudaErrorInvalidValue;
  /* The widest word (up to 16 bytes) that divides every channel group's
   * runs and both pointers. */
  const long long run = channels_last ? k * es : (long long)inner * es;
  const long long row = channels_last ? c * es : run;
  long long w = es;
  for (long long cand = 16; cand > es; cand /= 2)
    if (run % cand == 0 && row % cand == 0 && (uintptr_t)x % cand == 0 &&
        (uintptr_t)y % cand == 0) {
      w = cand;
      break;
    }
  ShiftGeom g;
  g.frame_words = c * inner * es / w;
  g.div = channels_last ? 1 : (long long)inner * es / w;
  g.mod = channels_last ? c * es / w : c;
  g.a_end = channels_last ? k * es / w : k;
  g.b_end = mode ? 2 * g.a_end : g.a_end;
  g.frames = frames;
  /* bidirectional (1): A takes frame t+1, B frame t-1; reversed (2) swaps
   * them; unidirectional (0): A takes frame t-1. */
  g.da = mode == 1 ? 1 : -1;
  g.db = mode == 1 ? -1 : 1;
  return dispatch_word((size_t)w, ShiftLauncher{x, y, g, zero, elem_size,
                                                total * es / w, stream});
}

/* ------------------------------------------------------ gather_elements --
 * One thread per output element: its coordinates in the indices' shape
 * give the data offset over every dim but the axis, the index read there
 * the axis coordinate (negative from the end; out of range gives zero, as
 * pare_gather_elements). */

namespace {

struct GatherElementsGeom {
  long long istride[PARE_CU_MAX_RANK], dstride[PARE_CU_MAX_RANK], len;
  int rank, axis;
};

template <typename E, typename I>
__global__ void gather_elements_kernel(const E *__restrict__ data, const I *__restrict__ indices,
                                       E *__restrict__ y, GatherElementsGeom g, long long total)
{
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    long long rem = i, off = 0;
    for (int d = 0; d < g.rank; ++d) {
      const long long c = rem / g.istride[d];
      rem -= c * g.istride[d];
      if (d != g.axis) off += c * g.dstride[d];
    }
    long long k = (long long)indices[i];
    if (k < 0) k += g.len;
    y[i] = (k < 0 || k >= g.len) ? E() : data[off + k * g.dstride[g.axis]];
  }
}

struct GatherElementsLauncher {
  const void *data, *indices;
  int index_bytes;
  void *y;
  GatherElementsGeom g;
  long long total;
  cudaStream_t stream;

  template <typename E> cudaError_t run()
  {
    if (index_bytes == 4)
      gather_elements_kernel<E, int32_t><<<grid_for((size_t)total), kBlock, 0, stream>>>(
          (const E *)data, (const int32_t *)indices, (E *)y, g, total);
    else
      gather_elements_kernel<E, int64_t><<<grid_for((size_t)total), kBlock, 0, stream>>>(
          (const E *)data, (const int64_t *)indices, (E *)y, g, total);
    return cudaGetLastError();
  }
};

} // namespace

cudaError_t pare_cu_gather_elements(size_t elem_size, const void *data, const int *data_dims,
                                    const int *index_dims, int rank, int axis,
                                    const void *indices, int index_bytes, void *y,
                                    cudaStream_t stream)
{
  if (rank < 1 || rank > PARE_CU_MAX_RANK || axis < 0 || axis >= rank ||
      (index_bytes != 4 && index_bytes != 8))
    return cudaErrorInvalidValue;
  GatherElementsGeom g = {};
  long long ds = 1, is = 1;
  for (int d = rank - 1; d >= 0; --d) {
    g.dstride[d] = ds;
    g.istride[d] = is;
    ds *= data_dims[d];
    is *= index_dims[d];
  }
  g.len = data_dims[axis];
  g.rank = rank;
  g.axis = axis;
  if (is == 0) return cudaSuccess;
  return dispatch_word(elem_size, GatherElementsLauncher{data, indices, index_bytes, y, g, is,
                                                         stream});
}
