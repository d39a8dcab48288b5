/*
 * pare CUDA decoder kernels (see pare_cu_llm.cuh for the conventions).
 *
 * Matmuls (pare_llm_matmul and the fused linears of issue 17) run on one
 * decode GEMV and, for more rows, tiled GEMMs (tensor cores for f16): see
 * "fused linears" below. The rest keeps a simple structure: a block per row
 * of an RMS norm, a block per (row, head) of attention with an online softmax
 * over the cache, elementwise grid-stride loops. Sums in float whatever the
 * storage. Every kernel a decode step runs is launched through pdl_launch
 * (programmatic dependent launch, pare_cu_llm_device.cuh) and calls pdl_wait()
 * before it touches anything but weights; the GEMV issues its first weight
 * loads before it.
 */
#include "pare_cu_llm.cuh"
#include "pare_cu_llm_device.cuh"

#include <math.h>
#include <mma.h>
#include <stdlib.h>
#include <string.h>

#include <initializer_list>
#include <type_traits>

#if defined(PARE_CU_SM90A)
/* The Hopper building blocks (mbarriers, wgmma) of runtime-stubs/cuda. */
#include "pare_cu_sm90.cuh"
#endif

namespace {

/* to_f / from_f, kWarp, warp_sum, aligned16: the helpers the kernel files
 * share. */
using namespace pare_llm_device;

constexpr int kBlock = 256;       /* threads of the 1-D kernels */
constexpr int kMaxBlocks = 65536; /* grid-stride loops cover the rest */
constexpr int kAttnWarps = 4;     /* warps of one attention block */

inline unsigned grid_for(size_t work)
{
  size_t blocks = (work + kBlock - 1) / kBlock;
  return (unsigned)(blocks < (size_t)kMaxBlocks ? (blocks > 0 ? blocks : 1) : kMaxBlocks);
}

/* ---------------------------------------------------------------- embed -- */

template <typename T>
__global__ void embed_kernel(const T *table, const int32_t *ids, T *y, int rows, int features)
{
  pdl_wait(); /* ids may come from the previous step's sampling */
  pdl_trigger();
  size_t total = (size_t)rows * features;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x) {
    size_t r = i / features, c = i % features;
    y[i] = table[(size_t)ld_dep(ids + r) * features + c];
  }
}

/* ------------------------------------------------------------- rms norm -- */

template <typename T>
__global__ void rms_norm_kernel(const T *x, const T *w, T *y, int features, float epsilon)
{
  __shared__ float partial[kBlock / kWarp];
  pdl_wait();
  pdl_trigger();
  const T *xr = x + (size_t)blockIdx.x * features;
  T *yr = y + (size_t)blockIdx.x * features;
  float ss = 0.0f;
  for (int c = threadIdx.x; c < features; c += blockDim.x) {
    float v = to_f(xr[c]);
    ss += v * v;
  }
  ss = warp_sum(ss);
  int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  if (lane == 0)
    partial[warp] = ss;
  __syncthreads();
  if (warp == 0) {
    ss = lane < (int)(blockDim.x / kWarp) ? partial[lane] : 0.0f;
    ss = warp_sum(ss);
    if (lane == 0)
      partial[0] = ss;
  }
  __syncthreads();
  float inv = rsqrtf(partial[0] / (float)features + epsilon);
  for (int c = threadIdx.x; c < features; c += blockDim.x)
    yr[c] = from_f<T>(to_f(xr[c]) * inv * to_f(w[c]));
}

/* -------------------------------------------------------- fused linears -- */

/* The fused linears of the decode step (pare_llm_linear / gated / qkv) and
 * the plain matmul share one GEMV and two GEMMs; two policies say what
 * differs.
 *
 * The epilogue policy (LinearEpi, GatedEpi, QkvEpi) names the weight rows
 * that feed the products and consumes the finished sums. The kernels always
 * compute two weight rows side by side, a PAIR, and hand both sums of pair p
 * to Epi::store at once: the gated MLP needs the gate and the up projection
 * of one output together, the rotary embedding both dims of one rotation. A
 * plain linear pairs outputs 2p and 2p + 1.
 *
 * The weight policy (DenseW: T rows of K) says how a row is addressed, loaded
 * in chunks and dotted with a chunk of float activations (Int4W: packed
 * int4 rows, 32 weights a chunk, for the int4 forms of linear / gated /
 * qkv); the GEMMs stage dense rows in shared memory (the int4 forms
 * dequantize into a workspace first, see "fused int4 linears").
 *
 * The norm prologue never materialises xn: each block computes the inverse
 * RMS of the rows it reads (x is small and cached), and every value of x is
 * turned into (T)(x * inv * norm_w) as it is read, the rounding
 * pare_llm_rms_norm stores, so the fused and unfused paths multiply the same
 * numbers. */

/* v rounded to the storage type and back (what a stored T would read). */
__device__ __forceinline__ float round_to(float v, float) { return v; }
__device__ __forceinline__ float round_to(float v, __half)
{
  return __half2float(__float2half_rn(v));
}
template <typename T> __device__ __forceinline__ float round_as(float v)
{
  return round_to(v, T());
}

/* The 16 / sizeof(T) values of a 16-byte pack as floats. */
__device__ __forceinline__ void unpack(const uint4 &u, float *f, float)
{
  f[0] = __uint_as_float(u.x);
  f[1] = __uint_as_float(u.y);
  f[2] = __uint_as_float(u.z);
  f[3] = __uint_as_float(u.w);
}
__device__ __forceinline__ void unpack(const uint4 &u, float *f, __half)
{
  const __half2 *h = reinterpret_cast<const __half2 *>(&u);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    float2 v = __half22float2(h[i]);
    f[2 * i] = v.x;
    f[2 * i + 1] = v.y;
  }
}

/* A 16-byte weight load that does not allocate in L1: each weight is read
 * once per step, x (read by every warp) should stay cached instead. */
__device__ __forceinline__ uint4 load_stream16(const void *p)
{
  uint4 v;
  asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
      : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
      : "l"(p));
  return v;
}

/* Pulls the line of p into L1 (no register, no wait): for data the kernel is
 * about to read once a long dependency chain gets there. */
__device__ __forceinline__ void prefetch_l1(const void *p)
{
  asm volatile("prefetch.global.L1 [%0];" ::"l"(p));
}
/* The same into L2 only. */
__device__ __forceinline__ void prefetch_l2(const void *p)
{
  asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
}

/* E activations (E = 16 / sizeof(T) with VEC, else 1) at p, as floats. */
template <typename T, bool VEC> __device__ __forceinline__ void load_act(const T *p, float *f)
{
  if constexpr (VEC)
    unpack(*reinterpret_cast<const uint4 *>(p), f, T());
  else
    f[0] = to_f(p[0]);
}

/* Dense weights [n][k] of T. VEC: 16-byte chunks (k a multiple of the pack,
 * rows aligned), else one element a chunk. */
template <typename T, bool VEC> struct DenseW {
  static constexpr bool kVec = VEC;
  static constexpr int E = VEC ? 16 / (int)sizeof(T) : 1;
  /* A chunk is dotted in kParts parts of E weights; kUnroll chunks of each
   * row are in flight a lane (see the GEMV). */
  static constexpr int kParts = 1;
  static constexpr int kUnroll = 4;
  using Row = const T *;
  using Raw = typename std::conditional<VEC, uint4, float>::type;
  const T *w;
  int k;
  __device__ __forceinline__ Row row(int j) const { return w + (size_t)j * k; }
  static __device__ __forceinline__ Raw zero() { return Raw(); }
  /* Chunks of a row of k weights (VEC: k is a multiple of E). */
  static __device__ __forceinline__ int chunks(int k) { return k / E; }
  /* Where chunk c of a row starts. */
  static __device__ __forceinline__ const void *at(Row r, int c) { return r + (size_t)c * E; }
  /* The E activations (or norm weights) of part `part` of chunk c of a row
   * of k, as floats. */
  static __device__ __forceinline__ void act(const T *row, int c, int, int, float *f)
  {
    load_act<T, VEC>(row + (size_t)c * E, f);
  }
  /* Chunk c of a row (its weights c * E ..). */
  static __device__ __forceinline__ Raw load(Row r, int c)
  {
    if constexpr (VEC)
      return load_stream16(r + (size_t)c * E);
    else
      return to_f(__ldg(r + c));
  }
  /* acc + the part's weights . xv[0 .. E - 1]. */
  static __device__ __forceinline__ float dot(const Raw &raw, int, const float *xv, float acc)
  {
    if constexpr (VEC) {
      float w[E];
      unpack(raw, w, T());
#pragma unroll
      for (int e = 0; e < E; ++e)
        acc = fmaf(w[e], xv[e], acc);
      return acc;
    } else {
      return fmaf(raw, xv[0], acc);
    }
  }
};

/* Packed int4 weights, the layout of pare_llm_matmul_w4 (pare_cu_llm.cuh):
 * rows of PARE_LLM_W4_ROW_BYTES(k) bytes, a chunk is one 16-byte load of 32
 * weights (nibble e of 32-bit word w is weight 8 w + e); per row
 * PARE_LLM_W4_GROUPS(k, group) (scale, zero) pairs of T. A chunk's raw form
 * carries the pair(s) of its group(s) (SMALLG: groups of 16, two a chunk), so
 * they are in flight with the weights. VEC: the activations (x, norm_w) take
 * 16-byte loads (rows aligned, k a multiple of the pack); past k they read
 * as zero (the padding's weights are multiplied by 0). dot dequantizes every
 * weight exactly as pare_cu_llm_w4.cu's GEMV does ((q - z) in float, times
 * the group's scale, float sums), so fused and unfused products differ only
 * in the order of the float sums. */
template <typename T> struct SzPair;
template <> struct SzPair<float> {
  using type = float2;
  static __device__ __forceinline__ float2 f(float2 v) { return v; }
};
template <> struct SzPair<__half> {
  using type = __half2;
  static __device__ __forceinline__ float2 f(__half2 v) { return __half22float2(v); }
};

/* x[k0 .. k0 + 7] of a row as floats, zero past k. VEC: 16-byte loads
 * (row aligned, k a multiple of the pack, so a load is inside the row or
 * wholly past it). */
template <typename T, bool VEC>
__device__ __forceinline__ void load_act8(const T *row, int k0, int k, float *f)
{
  constexpr int P = 16 / (int)sizeof(T);
  if (VEC && k0 + 8 <= k) {
#pragma unroll
    for (int i = 0; i < 8 / P; ++i)
      unpack(*reinterpret_cast<const uint4 *>(row + k0 + i * P), f + i * P, T());
  } else {
#pragma unroll
    for (int i = 0; i < 8; ++i)
      f[i] = k0 + i < k ? to_f(row[k0 + i]) : 0.0f;
  }
}

/* sum_e (q_e - z) x_e over the 8 weights of word u (nibble e = weight e),
 * exactly as pare_cu_llm_w4.cu unpacks without conversions: for nibble q at
 * bits 4p..4p+3 (p < 4) the float with bits 0x4B000000 | (u & (0xF << 4p))
 * is exactly 2^23 + q 16^p, so subtracting 2^23 + z 16^p gives (q - z) 16^p
 * exactly; nibbles 4..7 take the same path after a shift by 16. a[p]
 * collects (q - z) 16^p x; the sum is a0 + a1 / 16 + a2 / 256 + a3 / 4096
 * (exact power-of-two scalings). */
__device__ __forceinline__ float int4_dot_word(unsigned u, const float *xv, float z)
{
  const float m[4] = {8388608.0f + z, fmaf(z, 16.0f, 8388608.0f), fmaf(z, 256.0f, 8388608.0f),
                      fmaf(z, 4096.0f, 8388608.0f)};
  const unsigned hi = u >> 16;
  float a[4];
#pragma unroll
  for (int p = 0; p < 4; ++p) {
    const float lo_w = __uint_as_float(0x4B000000u | (u & (0xFu << (4 * p)))) - m[p];
    const float hi_w = __uint_as_float(0x4B000000u | (hi & (0xFu << (4 * p)))) - m[p];
    a[p] = fmaf(hi_w, xv[4 + p], lo_w * xv[p]);
  }
  return fmaf(a[3], 1.0f / 4096.0f, fmaf(a[2], 1.0f / 256.0f, fmaf(a[1], 1.0f / 16.0f, a[0])));
}

/* A chunk is one 16-byte load of 32 weights of a row, dotted in 4 parts (its
 * words) of 8, so that only 8 activations a row are live at a time; 2
 * chunks a row in flight a lane (registers: the raw chunks carry their
 * scale / zero pairs). */
template <typename T, bool VEC, bool SMALLG> struct Int4W {
  static constexpr bool kVec = VEC;
  static constexpr int E = 8;
  static constexpr int kParts = 4;
  static constexpr int kUnroll = 2;
  using Pair = typename SzPair<T>::type;
  struct Row {
    const uint8_t *q;
    const Pair *sz;
    int gshift;
  };
  struct Raw {
    uint4 q;
    Pair s0, s1; /* s1: the second group of 16 (SMALLG) */
  };
  const uint8_t *qw;
  const T *sz;
  int k, groups, gshift;
  __device__ __forceinline__ Row row(int j) const
  {
    return {qw + (size_t)j * PARE_LLM_W4_ROW_BYTES(k),
            reinterpret_cast<const Pair *>(sz) + (size_t)j * groups, gshift};
  }
  static __device__ __forceinline__ int chunks(int k) { return (k + 31) / 32; }
  static __device__ __forceinline__ Raw zero() { return Raw(); }
  static __device__ __forceinline__ const void *at(Row r, int c) { return r.q + (size_t)c * 16; }
  static __device__ __forceinline__ Raw load(Row r, int c)
  {
    Raw v;
    v.q = load_stream16(r.q + (size_t)c * 16);
    const int g = (c * 32) >> r.gshift;
    v.s0 = __ldg(r.sz + g);
    v.s1 = SMALLG ? __ldg(r.sz + g + 1) : v.s0;
    return v;
  }
  static __device__ __forceinline__ void act(const T *row, int c, int part, int k, float *f)
  {
    load_act8<T, VEC>(row, c * 32 + part * 8, k, f);
  }
  static __device__ __forceinline__ float dot(const Raw &raw, int part, const float *xv, float acc)
  {
    const unsigned u = part == 0 ? raw.q.x : part == 1 ? raw.q.y : part == 2 ? raw.q.z : raw.q.w;
    const float2 s = SzPair<T>::f(SMALLG && part >= 2 ? raw.s1 : raw.s0);
    return fmaf(int4_dot_word(u, xv, s.y), s.x, acc);
  }
};

/* y[r][j] = act(sum) (+ residual[r][j]); pair p is outputs 2p, 2p + 1. */
template <typename S, class WP> struct LinearEpi {
  using T = S;
  using W = WP;
  W w;
  const S *residual;
  S *y;
  int n;
  pare_act_t act;
  float act_a, act_b;
  __device__ __forceinline__ typename W::Row row(int p, int m) const
  {
    int j = 2 * p + m;
    return w.row(j < n ? j : n - 1);
  }
  /* Lane r < rows pulls in the residual row r of pair p (read at the end). */
  __device__ __forceinline__ void prefetch(int rows, int p, int lane) const
  {
    if (residual && lane < rows)
      prefetch_l1(residual + (size_t)lane * n + 2 * p);
  }
  __device__ __forceinline__ void put(int r, int j, float v) const
  {
    size_t at = (size_t)r * n + j;
    float o = pare_activation(v, act, act_a, act_b);
    if (residual)
      o += to_f(residual[at]); /* read before the write: residual may be y */
    y[at] = from_f<S>(o);
  }
  __device__ __forceinline__ void store(int r, int p, float v0, float v1) const
  {
    put(r, 2 * p, v0);
    if (2 * p + 1 < n)
      put(r, 2 * p + 1, v1);
  }
};

/* y[r][j] = act(gate) * up; pair j is (wg row j, wu row j). */
template <typename S, class WP> struct GatedEpi {
  using T = S;
  using W = WP;
  W wg, wu;
  S *y;
  int n;
  pare_act_t act;
  float act_a, act_b;
  __device__ __forceinline__ typename W::Row row(int p, int m) const
  {
    return m ? wu.row(p) : wg.row(p);
  }
  __device__ __forceinline__ void prefetch(int, int, int) const {}
  __device__ __forceinline__ void store(int r, int p, float g, float u) const
  {
    y[(size_t)r * n + p] = from_f<S>(pare_activation(g, act, act_a, act_b) * u);
  }
};

/* q, k, v of one layer. Pairs run over q's heads, then k's, then v's; within
 * a head of q or k the first `half` pairs are the rotary pairs (i, i + half),
 * or (2i, 2i + 1) interleaved, turned by positions[r] * inv_freq[i]; the dims
 * from 2 half on pair up as (d, d + 1), a last odd one with itself (computed
 * twice, stored once). v's heads pair (2i, 2i + 1) the same way. Row r's k
 * and v go to its slot's caches (slots[r] * slot_stride further) when slots
 * is non-NULL. */
template <typename S, class WP> struct QkvEpi {
  using T = S;
  using W = WP;
  W wq, wk, wv;
  const int32_t *positions;
  const int32_t *slots; /* NULL: every row in k_cache / v_cache as given */
  long long slot_stride;
  const float *inv_freq;
  S *q, *k_cache, *v_cache;
  int heads, kv_heads, head_dim, max_context;
  int half;        /* rotary pairs a head (0: no rotation) */
  int interleaved;
  int rot_pairs;   /* pairs a head of q or k */
  int plain_pairs; /* pairs a head of v */

  struct Where {
    int sec;  /* 0 q, 1 k, 2 v */
    int head;
    int a, b; /* the pair's dims */
    int freq; /* rotary frequency index, -1: not turned */
  };
  __device__ __forceinline__ Where locate(int p) const
  {
    Where w;
    int per = rot_pairs;
    if (p < heads * rot_pairs) {
      w.sec = 0;
    } else if (p < (heads + kv_heads) * rot_pairs) {
      w.sec = 1;
      p -= heads * rot_pairs;
    } else {
      w.sec = 2;
      p -= (heads + kv_heads) * rot_pairs;
      per = plain_pairs;
    }
    w.head = p / per;
    int l = p % per;
    int h = w.sec == 2 ? 0 : half;
    if (l < h) {
      w.freq = l;
      w.a = interleaved ? 2 * l : l;
      w.b = interleaved ? 2 * l + 1 : l + h;
    } else {
      w.freq = -1;
      w.a = 2 * h + 2 * (l - h);
      w.b = w.a + 1 < head_dim ? w.a + 1 : w.a;
    }
    return w;
  }
  __device__ __forceinline__ typename W::Row row(int p, int m) const
  {
    Where w = locate(p);
    const W &mat = w.sec == 0 ? wq : w.sec == 1 ? wk : wv;
    return mat.row(w.head * head_dim + (m ? w.b : w.a));
  }
  /* Lane r < rows pulls in positions[r] and slots[r] (read by the store). */
  __device__ __forceinline__ void prefetch(int rows, int, int lane) const
  {
    if (lane < rows) {
      prefetch_l1(positions + lane);
      if (slots)
        prefetch_l1(slots + lane);
    }
  }
  __device__ __forceinline__ void store(int r, int p, float v0, float v1) const
  {
    Where w = locate(p);
    /* Rounded to T first: the unfused path rotates the stored product. */
    float ya = round_as<S>(v0), yb = round_as<S>(v1);
    if (w.freq >= 0) {
      float s, c;
      sincosf((float)ld_dep(positions + r) * inv_freq[w.freq], &s, &c);
      float ta = ya * c - yb * s;
      yb = yb * c + ya * s;
      ya = ta;
    }
    S *dst = w.sec == 0 ? q + ((size_t)r * heads + w.head) * head_dim
                        : (w.sec == 1 ? k_cache : v_cache) + slot_offset(slots, slot_stride, r) +
                              ((size_t)w.head * max_context + ld_dep(positions + r)) * head_dim;
    dst[w.a] = from_f<S>(ya);
    if (w.b != w.a)
      dst[w.b] = from_f<S>(yb);
  }
};

/* ---- decode GEMV (rows <= PARE_LLM_GEMV_ROWS) ----
 * A warp per pair at a time, the warps of the grid striding over the pairs
 * (the grid is capped at what the GPU holds at once, so no tail wave). Lane l
 * takes chunks l, l + 32, ... of both rows, W::kUnroll of each in flight
 * (all loads issued before the FMAs), for every row of x (R: 1, or up to 4
 * sharing each weight load), each chunk in W::kParts parts; the sums meet by
 * shuffles and lane r stores row r. */
constexpr int kGemvWarps = 8;
/* Resident blocks a multiprocessor that __launch_bounds__ guarantees (<= 64
 * registers a thread for one row of x, <= 85 for more). */
constexpr int gemv_min_blocks(int rows) { return rows == 1 ? 4 : 3; }

/* inv[r] = 1 / sqrt(mean(x[r]^2) + eps) for rows r < min(rows, R) of x
 * [rows][k], by the whole block (ends with a barrier). */
template <typename T, bool VEC, int R>
__device__ __forceinline__ void block_inv_rms(const T *x, int rows, int k, float eps,
                                              float (*part)[kBlock / kWarp], float *inv)
{
  constexpr int E = VEC ? 16 / (int)sizeof(T) : 1;
  const int chunks = k / E;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
#pragma unroll
  for (int r = 0; r < R; ++r) {
    float ss = 0.0f;
    if (r < rows)
      for (int c = threadIdx.x; c < chunks; c += blockDim.x) {
        float xv[E];
        load_act<T, VEC>(x + (size_t)r * k + (size_t)c * E, xv);
#pragma unroll
        for (int e = 0; e < E; ++e)
          ss = fmaf(xv[e], xv[e], ss);
      }
    ss = warp_sum(ss);
    if (lane == 0)
      part[r][warp] = ss;
  }
  __syncthreads();
  if (threadIdx.x < R) {
    float s = 0.0f;
    for (int w = 0; w < (int)(blockDim.x / kWarp); ++w)
      s += part[threadIdx.x][w];
    inv[threadIdx.x] = rsqrtf(s / (float)k + eps);
  }
  __syncthreads();
}

/* Chunks c0, c0 + 32, ... (W::kUnroll of them) of two weight rows; zeros
 * past the row. */
template <class W>
__device__ __forceinline__ void load_chunks(typename W::Row w0, typename W::Row w1, int c0,
                                            int chunks, typename W::Raw *a, typename W::Raw *b)
{
#pragma unroll
  for (int u = 0; u < W::kUnroll; ++u) {
    const int c = c0 + u * kWarp;
    a[u] = c < chunks ? W::load(w0, c) : W::zero();
    b[u] = c < chunks ? W::load(w1, c) : W::zero();
  }
}

/* The first chunks of a warp's next pair are loaded before the work that
 * precedes them (the norm prologue, the previous pair's reduction), so the
 * memory system never waits on the warp. Those of its first pair are loaded
 * before pdl_wait(): launched with PDL, the kernel streams them in while its
 * predecessor finishes (they are weights, which no kernel writes). */
template <class Epi, int R>
__global__ void __launch_bounds__(kGemvWarps *kWarp, gemv_min_blocks(R))
    gemv_kernel(const typename Epi::T *x, const typename Epi::T *norm_w, float eps, int rows,
                int k, int pairs, Epi epi)
{
  using T = typename Epi::T;
  using W = typename Epi::W;
  constexpr int E = W::E;
  constexpr int U = W::kUnroll;
  __shared__ float s_part[R][kBlock / kWarp];
  __shared__ float s_inv[R];
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int chunks = W::chunks(k);
  const int stride = gridDim.x * kGemvWarps;
  int p = blockIdx.x * kGemvWarps + warp;
  typename W::Row w0 = epi.row(p < pairs ? p : 0, 0), w1 = epi.row(p < pairs ? p : 0, 1);
  typename W::Raw a[U], b[U];
  load_chunks<W>(w0, w1, p < pairs ? lane : chunks, chunks, a, b);
  /* Short rows (at most twice the chunks in registers, K <= 2048 for half):
   * the rest of the first pair into L2 as well. */
  if (p < pairs && chunks <= 2 * U * kWarp)
#pragma unroll
    for (int u = U; u < 2 * U; ++u)
      if (lane + u * kWarp < chunks) {
        prefetch_l2(W::at(w0, lane + u * kWarp));
        prefetch_l2(W::at(w1, lane + u * kWarp));
      }
  if (norm_w)
#pragma unroll
    for (int u = 0; u < U; ++u)
      if (lane + u * kWarp < chunks)
        prefetch_l1(norm_w + (size_t)(lane + u * kWarp) * E * W::kParts);
  /* Only weights so far: the predecessor may still be running (PDL). */
  pdl_wait();
  pdl_trigger();
  float inv[R];
  if (norm_w) {
    block_inv_rms<T, W::kVec, R>(x, rows, k, eps, s_part, s_inv);
#pragma unroll
    for (int r = 0; r < R; ++r)
      inv[r] = s_inv[r];
  } else {
#pragma unroll
    for (int r = 0; r < R; ++r)
      inv[r] = 1.0f;
  }
  for (; p < pairs; p += stride) {
    epi.prefetch(rows, p, lane);
    float acc0[R], acc1[R];
#pragma unroll
    for (int r = 0; r < R; ++r)
      acc0[r] = acc1[r] = 0.0f;
    for (int c0 = lane; c0 < chunks; c0 += kWarp * U) {
      if (c0 != lane) /* the first chunks are in already */
        load_chunks<W>(w0, w1, c0, chunks, a, b);
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int c = c0 + u * kWarp;
        if (c < chunks) {
#pragma unroll
          for (int part = 0; part < W::kParts; ++part) {
            float nv[E];
            if (norm_w)
              W::act(norm_w, c, part, k, nv);
            else
#pragma unroll
              for (int e = 0; e < E; ++e)
                nv[e] = 1.0f;
#pragma unroll
            for (int r = 0; r < R; ++r) {
              if (r < rows) {
                float xv[E];
                W::act(x + (size_t)r * k, c, part, k, xv);
                if (norm_w)
#pragma unroll
                  for (int e = 0; e < E; ++e)
                    xv[e] = round_as<T>(xv[e] * inv[r] * nv[e]);
                acc0[r] = W::dot(a[u], part, xv, acc0[r]);
                acc1[r] = W::dot(b[u], part, xv, acc1[r]);
              }
            }
          }
        }
      }
    }
    const int pn = p + stride;
    const typename W::Row n0 = epi.row(pn < pairs ? pn : p, 0), n1 = epi.row(pn < pairs ? pn : p, 1);
    load_chunks<W>(n0, n1, pn < pairs ? lane : chunks, chunks, a, b);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      acc0[r] = warp_sum(acc0[r]);
      acc1[r] = warp_sum(acc1[r]);
    }
#pragma unroll
    for (int r = 0; r < R; ++r)
      if (r < rows && lane == r)
        epi.store(r, p, acc0[r], acc1[r]);
    w0 = n0;
    w1 = n1;
  }
}

/* ---- f16 GEMM on tensor cores (more rows) ----
 * A block computes 64 rows x 64 pairs (128 weight rows), 32 of K a step,
 * through a 3-stage cp.async pipeline (x and weight tiles land in shared
 * memory while the tensor cores work on an earlier stage). The weight tile's
 * columns are laid out so that each warp's two 16-column WMMA accumulators
 * hold members 0 and 1 of the same 16 pairs: column t is member (t / 16) % 2
 * of pair (t / 32) 16 + t % 16. 8 warps: 2 along the rows x 4 along the
 * pairs, each 32 rows x 16 pairs (2 x 2 fragments 16x16x16, float
 * accumulators). With a norm, each block first computes the inverse RMS of
 * its 64 rows and each thread rewrites the x chunk it loaded in place before
 * the barrier that publishes the stage. The epilogue goes through a per-warp
 * shared scratch so that Epi::store sees (row, pair) with both sums. */
constexpr int kMmaRows = 64;
constexpr int kMmaPairs = 64;
constexpr int kMmaK = 32;
constexpr int kMmaLd = kMmaK + 8; /* halves a shared row: 80 bytes, a 16-byte multiple */
constexpr int kMmaStages = 3;
constexpr int kMmaThreads = 256;

__device__ __forceinline__ void cp_async16(void *dst, const void *src, bool valid)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  unsigned s = (unsigned)__cvta_generic_to_shared(dst);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(src),
               "r"(valid ? 16 : 0));
#else
  *reinterpret_cast<uint4 *>(dst) =
      valid ? *reinterpret_cast<const uint4 *>(src) : make_uint4(0u, 0u, 0u, 0u);
#endif
}
__device__ __forceinline__ void cp_async_commit()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::);
#endif
}
template <int N> __device__ __forceinline__ void cp_async_wait()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#endif
}

/* inv[i] for rows m0 + i < rows, i < count, a warp a row (no barrier);
 * VEC: 16-byte loads (x aligned, k a multiple of the pack). */
template <typename T, bool VEC>
__device__ __forceinline__ void tile_inv_rms(const T *x, int rows, int k, float eps, int m0,
                                             int count, float *inv)
{
  constexpr int E = VEC ? 16 / (int)sizeof(T) : 1;
  const int chunks = k / E;
  const int warps = blockDim.x / kWarp, warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  for (int i = warp; i < count; i += warps) {
    float ss = 0.0f;
    if (m0 + i < rows) {
      const T *xr = x + (size_t)(m0 + i) * k;
      for (int c = lane; c < chunks; c += kWarp) {
        float xv[E];
        load_act<T, VEC>(xr + (size_t)c * E, xv);
#pragma unroll
        for (int e = 0; e < E; ++e)
          ss = fmaf(xv[e], xv[e], ss);
      }
    }
    ss = warp_sum(ss);
    if (lane == 0)
      inv[i] = rsqrtf(ss / (float)k + eps);
  }
}

template <class Epi, bool VEC>
__global__ void __launch_bounds__(kMmaThreads)
    gemm_f16_kernel(const __half *x, const __half *norm_w, float eps, int rows, int k, int pairs,
                    Epi epi)
{
  using namespace nvcuda;
  constexpr int kCols = 2 * kMmaPairs;
  constexpr int kStageA = kMmaRows * kMmaLd, kStageB = kCols * kMmaLd;
  __shared__ __align__(128) __half smem[kMmaStages * (kStageA + kStageB)];
  __shared__ float s_inv[kMmaRows];
  const int m0 = blockIdx.y * kMmaRows, p0 = blockIdx.x * kMmaPairs;
  const int tid = threadIdx.x, warp = tid / kWarp, lane = tid % kWarp;
  const int wm = (warp % 2) * 32, wn = warp / 2;
  if (norm_w)
    tile_inv_rms<__half, VEC>(x, rows, k, eps, m0, kMmaRows, s_inv); /* see the loop's barrier */

  /* Each thread loads the same chunks every step: x chunk (tid / 4, tid % 4)
   * and weight chunks tid, tid + 256 of the 128 x 4 tile. */
  const int a_row = tid / 4, a_kc = (tid % 4) * 8;
  const bool a_ok = m0 + a_row < rows;
  const __half *a_src = x + (size_t)(a_ok ? m0 + a_row : 0) * k;
  const __half *b_src[2];
  int b_col[2], b_kc[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int q = tid + kMmaThreads * i, col = q / 4;
    b_col[i] = col;
    b_kc[i] = (q % 4) * 8;
    int p = p0 + (col / 32) * 16 + col % 16;
    b_src[i] = epi.row(p < pairs ? p : pairs - 1, (col / 16) % 2);
  }
  auto load_stage = [&](int stage, int kt) {
    __half *as = smem + stage * kStageA;
    __half *bs = smem + kMmaStages * kStageA + stage * kStageB;
    const int k0 = kt * kMmaK;
    if constexpr (VEC) {
      cp_async16(as + a_row * kMmaLd + a_kc, a_ok && k0 + a_kc < k ? a_src + k0 + a_kc : x,
                 a_ok && k0 + a_kc < k);
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const bool ok = k0 + b_kc[i] < k;
        cp_async16(bs + b_col[i] * kMmaLd + b_kc[i], ok ? b_src[i] + k0 + b_kc[i] : b_src[i], ok);
      }
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        const int kk = k0 + a_kc + e;
        as[a_row * kMmaLd + a_kc + e] = a_ok && kk < k ? a_src[kk] : __float2half_rn(0.0f);
      }
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          const int kk = k0 + b_kc[i] + e;
          bs[b_col[i] * kMmaLd + b_kc[i] + e] = kk < k ? b_src[i][kk] : __float2half_rn(0.0f);
        }
    }
  };

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::fill_fragment(acc[i][j], 0.0f);

  const int ktiles = (k + kMmaK - 1) / kMmaK;
#pragma unroll
  for (int s = 0; s < kMmaStages - 1; ++s) {
    if (s < ktiles)
      load_stage(s, s);
    cp_async_commit(); /* empty groups keep the count uniform */
  }
  for (int kt = 0; kt < ktiles; ++kt) {
    cp_async_wait<kMmaStages - 2>();
    __syncthreads(); /* stage kt landed for all; stage kt - 1 is free */
    const int next = kt + kMmaStages - 1;
    if (next < ktiles)
      load_stage(next % kMmaStages, next);
    cp_async_commit();
    __half *as = smem + (kt % kMmaStages) * kStageA;
    const __half *bs = smem + kMmaStages * kStageA + (kt % kMmaStages) * kStageB;
    if (norm_w) {
      /* This thread's own chunk (its copy has completed, see the wait). */
      const int k0 = kt * kMmaK;
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        const int kk = k0 + a_kc + e;
        if (a_ok && kk < k) {
          __half &v = as[a_row * kMmaLd + a_kc + e];
          v = __float2half_rn(__half2float(v) * s_inv[a_row] * __half2float(norm_w[kk]));
        }
      }
      __syncthreads();
    }
#pragma unroll
    for (int kk = 0; kk < kMmaK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb[2];
#pragma unroll
      for (int i = 0; i < 2; ++i)
        wmma::load_matrix_sync(fa[i], as + (wm + 16 * i) * kMmaLd + kk, kMmaLd);
      /* B (k, t) = weight tile row t: column-major with ld kMmaLd. */
#pragma unroll
      for (int j = 0; j < 2; ++j)
        wmma::load_matrix_sync(fb[j], bs + (wn * 32 + 16 * j) * kMmaLd + kk, kMmaLd);
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j)
          wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
  }
  cp_async_wait<0>();
  __syncthreads(); /* the stages become the warps' scratch */
  float *scr = reinterpret_cast<float *>(smem) + warp * 512;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    wmma::store_matrix_sync(scr, acc[i][0], 16, wmma::mem_row_major);
    wmma::store_matrix_sync(scr + 256, acc[i][1], 16, wmma::mem_row_major);
    __syncwarp();
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      const int idx = lane + kWarp * e;
      const int r = m0 + wm + 16 * i + idx / 16, p = p0 + wn * 16 + idx % 16;
      if (r < rows && p < pairs)
        epi.store(r, p, scr[idx], scr[256 + idx]);
    }
    __syncwarp();
  }
}

/* ---- f16 GEMM on Hopper (sm_90a, more rows) ----
 * Built when PARE_CU_SM90A is defined (the code compiled for sm_90a, as pare
 * builds for --cuda-arch sm_90) and taken on a compute capability 9.0 device
 * for 16-byte-aligned operands and at least kHopMinRows rows; the
 * environment variable PARE_LLM_GEMM=wmma selects the portable kernel above
 * instead. A block of 384 threads computes 128 rows x BN weight rows (BN / 2
 * pairs, BN 128 or 256), warp-specialised as pare_cu_gemm_sm90.cuh is:
 *  - warpgroup 0 produces: the x and weight slices (64 of K: 128 bytes a
 *    row, the 128-byte swizzle) go into a ring of S slots, S - 2 slices
 *    ahead of the consumers, by TMA where a tensor map expresses them (x;
 *    the weights of a plain linear, one box, or of the gated MLP, a box of
 *    gate rows and one of up rows) and otherwise by 16-byte cp.async of the
 *    warpgroup's 128 threads (rows gathered through Epi::row). Once a
 *    slice's copies have landed (cp.async: each thread's own; x by TMA with
 *    a norm: the slot's `landed` barrier), each thread finishes its chunks
 *    (the norm prologue: x * norm_w rounded to half, its squares summed per
 *    row), fences them for the async proxy and arrives on the slot's `full`
 *    barrier (which also counts the bytes of the other TMA loads);
 *  - warpgroups 1 and 2 consume: each multiplies its 64 rows of the slice by
 *    the BN weight rows with wgmma m64nBNk16 (fp32 accumulators in
 *    registers) and hands the slot back on its `empty` barrier.
 * Pair p's member m is tile row 2 (p - p0) + m (a plain linear's weight rows
 * as they are, or gathered): a wgmma accumulator holds columns 2c and
 * 2c + 1 in neighbouring registers, so each thread hands both sums of a
 * pair to Epi::store straight from its registers (activation, residual,
 * gated product, rotary and cache writes as in the other kernels); with the
 * gated MLP's two boxes, member 1 is BN / 2 columns further, in the same
 * thread.
 * The norm: sum_k (x w_k inv) W_jk = inv sum_k (x w_k) W_jk, so the main
 * loop multiplies the rows by norm_w only (no inverse RMS needed up front)
 * and the epilogue scales the sums by each row's inverse RMS, which the
 * producers know once they have seen the whole row. (x * norm_w is rounded
 * to half before the product instead of x * inv * norm_w: the same relative
 * rounding, not the same bits as pare_llm_rms_norm's output.) */
#if defined(PARE_CU_SM90A)
constexpr int kHopRows = 128;  /* block rows: two consumer warpgroups of 64 */
constexpr int kHopK = 64;      /* K per slice: 128 bytes of halves, one swizzle row */
constexpr int kHopThreads = 384;
constexpr int kHopMinRows = 64; /* fewer: the 64-row WMMA tiles waste less */

template <int BN> struct HopCfg {
  static constexpr int A_BYTES = kHopRows * kHopK * 2;
  static constexpr int B_BYTES = BN * kHopK * 2;
  static constexpr int STAGE = A_BYTES + B_BYTES;
  static constexpr int S = BN == 256 ? 4 : 6; /* a 192 KiB ring */
  /* Ring, 1 KiB alignment slack, full / empty / landed barriers, inverse
   * RMS. */
  static constexpr int SMEM = S * STAGE + 1024 + 3 * S * 8 + kHopRows * 4;
};

template <class Epi, int BN>
__global__ void __launch_bounds__(kHopThreads, 1)
    gemm_sm90_kernel(const __grid_constant__ CUtensorMap ta, const __grid_constant__ CUtensorMap tb,
                     const __grid_constant__ CUtensorMap tb2, int tma_a, int tma_b,
                     const __half *x, const __half *norm_w, float eps, int rows, int k, int pairs,
                     int tiles_m, Epi epi)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using Cfg = HopCfg<BN>;
  /* LAG slices in flight between the producers' copies and their hand-over
   * (S - 2: the slot of slice kt is free once the consumers hold kt - S + 1,
   * which the producers handed over at step kt - 1). */
  constexpr int S = Cfg::S, LAG = S - 2;
  extern __shared__ unsigned char hop_raw[];
  unsigned char *ring = reinterpret_cast<unsigned char *>(
      (reinterpret_cast<uintptr_t>(hop_raw) + 1023) & ~uintptr_t(1023));
  uint64_t *full = reinterpret_cast<uint64_t *>(ring + S * Cfg::STAGE);
  uint64_t *empty = full + S;
  uint64_t *landed = empty + S; /* x's TMA bytes when the producers rewrite x */
  float *s_inv = reinterpret_cast<float *>(landed + S);
  /* What completes on `full` besides the producers' hand-over. */
  const bool a_full = tma_a && !norm_w, tx_full = a_full || tma_b;

  const int wg = threadIdx.x / 128, t = threadIdx.x % 128;
  /* Row tiles fastest: the blocks that read one weight tile run together. */
  const int m0 = (blockIdx.x % tiles_m) * kHopRows, p0 = (blockIdx.x / tiles_m) * (BN / 2);
  const int kts = (k + kHopK - 1) / kHopK;

  if (threadIdx.x == 0) {
    for (int s = 0; s < S; s++) {
      /* The producers' hand-over, and thread 0's expect_tx with TMA. */
      pcw_bar_init(&full[s], tx_full ? 129 : 128);
      pcw_bar_init(&landed[s], 1);
      pcw_bar_init(&empty[s], 2);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  __syncthreads();

  if (wg == 0) {
    /* ------------------------------------------------------ producer -- */
    /* Thread t copies 16-byte chunk c of tile rows r0, r0 + 16, ... */
    const int c = t % 8, r0 = t / 8;
    const __half *b_src[BN / 16];
#pragma unroll
    for (int i = 0; i < BN / 16; i++) {
      const int nn = r0 + 16 * i, p = p0 + nn / 2;
      b_src[i] = epi.row(p < pairs ? p : pairs - 1, nn % 2);
    }
    float ss[8];
#pragma unroll
    for (int i = 0; i < 8; i++) ss[i] = 0.0f;
    for (int kt = 0; kt < kts + LAG; kt++) {
      if (kt < kts) {
        const int s = kt % S;
        pcw_producers_wait(&empty[s], kt, S, t);
        unsigned char *sa = ring + s * Cfg::STAGE, *sb = sa + Cfg::A_BYTES;
        if (tma_a && !a_full && t == 0) {
          pcw_bar_expect_tx(&landed[s], Cfg::A_BYTES);
          pcw_tma_load(sa, &ta, &landed[s], kt * kHopK, m0);
        }
        if (tx_full && t == 0) {
          pcw_bar_expect_tx(&full[s], (a_full ? Cfg::A_BYTES : 0) + (tma_b ? Cfg::B_BYTES : 0));
          if (a_full)
            pcw_tma_load(sa, &ta, &full[s], kt * kHopK, m0);
          if (tma_b == 1)
            pcw_tma_load(sb, &tb, &full[s], kt * kHopK, 2 * p0);
          if (tma_b == 2) {
            pcw_tma_load(sb, &tb, &full[s], kt * kHopK, p0);
            pcw_tma_load(sb + (BN / 2) * 128, &tb2, &full[s], kt * kHopK, p0);
          }
        }
        const int kc = kt * kHopK + 8 * c;
        const bool kv = kc < k; /* k is a multiple of 8: a chunk is all in or all out */
        if (!tma_a)
#pragma unroll
          for (int i = 0; i < 8; i++) {
            const int rr = r0 + 16 * i;
            const bool ok = kv && m0 + rr < rows;
            cp_async16(sa + rr * 128 + ((c ^ (rr & 7)) << 4),
                       ok ? x + (size_t)(m0 + rr) * k + kc : x, ok);
          }
        if (!tma_b)
#pragma unroll
          for (int i = 0; i < BN / 16; i++) {
            const int nn = r0 + 16 * i;
            cp_async16(sb + nn * 128 + ((c ^ (nn & 7)) << 4), kv ? b_src[i] + kc : b_src[i], kv);
          }
      }
      cp_async_commit(); /* empty groups keep the count uniform */
      if (kt < LAG)
        continue;
      /* Slice j's copies (this thread's) have landed, and x's TMA box when
       * the norm rewrites it. */
      cp_async_wait<LAG>();
      const int j = kt - LAG, s = j % S;
      const int kc = j * kHopK + 8 * c;
      if (tma_a && !a_full)
        pcw_bar_wait(&landed[s], (j / S) & 1);
      if (norm_w && kc < k) {
        float nv[8];
        unpack(*reinterpret_cast<const uint4 *>(norm_w + kc), nv, __half());
        unsigned char *sa = ring + s * Cfg::STAGE;
#pragma unroll
        for (int i = 0; i < 8; i++) {
          const int rr = r0 + 16 * i;
          if (m0 + rr < rows) {
            uint4 *q = reinterpret_cast<uint4 *>(sa + rr * 128 + ((c ^ (rr & 7)) << 4));
            float xv[8];
            unpack(*q, xv, __half());
            uint4 out;
            __half2 *h = reinterpret_cast<__half2 *>(&out);
#pragma unroll
            for (int e = 0; e < 4; e++) {
              ss[i] = fmaf(xv[2 * e], xv[2 * e], ss[i]);
              ss[i] = fmaf(xv[2 * e + 1], xv[2 * e + 1], ss[i]);
              h[e] = __floats2half2_rn(xv[2 * e] * nv[2 * e], xv[2 * e + 1] * nv[2 * e + 1]);
            }
            *q = out;
          }
        }
      }
      /* The slice was written through the generic proxy; wgmma reads it
       * through the async one. */
      asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
      pcw_bar_arrive(&full[s]);
    }
    if (norm_w) {
      /* The 8 threads of a row (consecutive lanes) hold its chunks' sums. */
#pragma unroll
      for (int i = 0; i < 8; i++) {
        float v = ss[i];
        v += __shfl_xor_sync(0xffffffffu, v, 1);
        v += __shfl_xor_sync(0xffffffffu, v, 2);
        v += __shfl_xor_sync(0xffffffffu, v, 4);
        if (c == 0)
          s_inv[r0 + 16 * i] = rsqrtf(v / (float)k + eps);
      }
      __threadfence_block(); /* s_inv before the arrival the consumers wait for */
      asm volatile("bar.arrive 5, 384;\n" ::: "memory");
    }
  } else {
    /* ------------------------------------------------------ consumers -- */
    const int cw = wg - 1;
    float d[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; i++) d[i] = 0.0f;
    for (int kt = 0; kt < kts; kt++) {
      const int s = kt % S;
      pcw_bar_wait(&full[s], (kt / S) & 1);
      asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
      const unsigned char *sa = ring + s * Cfg::STAGE + cw * 64 * 128;
      const unsigned char *sb = ring + s * Cfg::STAGE + Cfg::A_BYTES;
      const uint64_t da = pcw_desc(sa), db = pcw_desc(sb);
      pcw_fence_regs(d);
      pcw_wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < kHopK / 16; kk++) {
        /* 16 halves = 32 bytes further along K: +2 in the descriptor. */
        if constexpr (BN == 256)
          pcw_mma_n256(d, da + 2 * kk, db + 2 * kk);
        else
          pcw_mma_n128(d, da + 2 * kk, db + 2 * kk);
      }
      pcw_wgmma_commit();
      /* Keep this slice's products in flight; the previous slice is done. */
      asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
      pcw_fence_regs(d);
      if (kt > 0 && t == 0)
        pcw_bar_arrive(&empty[(kt - 1) % S]);
    }
    pcw_wgmma_wait0();
    pcw_fence_regs(d);
    if (norm_w)
      asm volatile("bar.sync 5, 384;\n" ::: "memory"); /* the producers' s_inv */
    /* Accumulator register 4j + 2h + e: row 16 warp + lane / 4 + 8 h of the
     * warpgroup's 64, tile row (column) 8j + 2 (lane % 4) + e, which is
     * member e of pair 4j + lane % 4. */
    const int warp = t / 32, lane = t % 32;
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const int rl = cw * 64 + warp * 16 + lane / 4 + 8 * h, r = m0 + rl;
      if (r >= rows)
        continue;
      const float inv = norm_w ? s_inv[rl] : 1.0f;
      if (tma_b == 2) {
        /* Column col < BN / 2 is pair p0 + col's gate; its up is col + BN / 2,
         * register index + BN / 4. */
#pragma unroll
        for (int j = 0; j < BN / 16; j++)
#pragma unroll
          for (int e = 0; e < 2; e++) {
            const int p = p0 + 8 * j + 2 * (lane % 4) + e, at = 4 * j + 2 * h + e;
            if (p < pairs)
              epi.store(r, p, d[at] * inv, d[at + BN / 4] * inv);
          }
      } else {
#pragma unroll
        for (int j = 0; j < BN / 8; j++) {
          const int p = p0 + 4 * j + lane % 4;
          if (p < pairs)
            epi.store(r, p, d[4 * j + 2 * h] * inv, d[4 * j + 2 * h + 1] * inv);
        }
      }
    }
  }
#else
  __trap(); /* built without sm_90a: the host never launches this */
#endif
}

/* The weights' TMA maps of the B tile: 1 for a plain linear (its rows as
 * they are), 2 for the gated MLP (BN / 2 gate rows, then as many up rows), 0
 * where rows are gathered (qkv) or a map cannot be made. */
template <class E>
int hop_weight_maps(const E &, CUtensorMap *, CUtensorMap *, int, int)
{
  return 0;
}
template <class W>
int hop_weight_maps(const LinearEpi<__half, W> &e, CUtensorMap *tb, CUtensorMap *, int k, int bn)
{
  return pcw_map(tb, e.w.w, k, e.n, k, bn) ? 1 : 0;
}
template <class W>
int hop_weight_maps(const GatedEpi<__half, W> &e, CUtensorMap *tb, CUtensorMap *tb2, int k,
                    int bn)
{
  return pcw_map(tb, e.wg.w, k, e.n, k, bn / 2) && pcw_map(tb2, e.wu.w, k, e.n, k, bn / 2) ? 2
                                                                                           : 0;
}

template <class Epi, int BN>
cudaError_t gemm_sm90_launch(const __half *x, const __half *norm_w, float eps, int rows, int k,
                             int pairs, const Epi &epi, bool tma, cudaStream_t stream)
{
  using Cfg = HopCfg<BN>;
  auto kernel = gemm_sm90_kernel<Epi, BN>;
  /* Once per device (bit d of `done`); the attribute stays set. */
  static unsigned long long done = 0;
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e != cudaSuccess)
    return e;
  const unsigned long long bit = dev < 64 ? 1ull << dev : 0;
  if (!(done & bit)) {
    e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Cfg::SMEM);
    if (e != cudaSuccess)
      return e;
    done |= bit;
  }
  CUtensorMap ta, tb, tb2;
  memset(&ta, 0, sizeof ta);
  memset(&tb, 0, sizeof tb);
  memset(&tb2, 0, sizeof tb2);
  const int tma_a = tma && pcw_map(&ta, x, k, rows, k, kHopRows) ? 1 : 0;
  const int tma_b = tma ? hop_weight_maps(epi, &tb, &tb2, k, BN) : 0;
  const int tiles_m = (rows + kHopRows - 1) / kHopRows;
  const long long tiles = (long long)tiles_m * ((pairs + BN / 2 - 1) / (BN / 2));
  kernel<<<(unsigned)tiles, kHopThreads, Cfg::SMEM, stream>>>(
      ta, tb, tb2, tma_a, tma_b, x, norm_w, eps, rows, k, pairs, tiles_m, epi);
  return cudaGetLastError();
}

/* The block width with the fewest waves of work (est = waves x BN /
 * efficiency, the narrower tile paying for its extra operand traffic). */
inline int hop_pick_bn(int rows, int pairs)
{
  int dev = 0, sms = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || sms <= 0)
    sms = 132;
  const long long tm = (rows + kHopRows - 1) / kHopRows;
  const long long w256 = (tm * ((pairs + 127) / 128) + sms - 1) / sms;
  const long long w128 = (tm * ((pairs + 63) / 64) + sms - 1) / sms;
  return (double)w256 * 256.0 <= (double)w128 * 128.0 / 0.92 ? 256 : 128;
}

/* The Hopper kernel's width for this launch, 0 for the portable kernel: a
 * 9.0 device and enough rows take it unless the environment variable
 * PARE_LLM_GEMM says "wmma"; "wgmma128" / "wgmma256" force a width and
 * "cpasync" copies every operand with cp.async, no TMA (*tma false; the
 * kernel tests cover each). */
inline int hop_width(int rows, int pairs, bool *tma)
{
  *tma = true;
  if (rows < kHopMinRows || !pcw_device_ok())
    return 0;
  const char *force = getenv("PARE_LLM_GEMM");
  if (force && strcmp(force, "wmma") == 0)
    return 0;
  if (force && strcmp(force, "wgmma128") == 0)
    return 128;
  if (force && strcmp(force, "wgmma256") == 0)
    return 256;
  if (force && strcmp(force, "cpasync") == 0)
    *tma = false;
  return hop_pick_bn(rows, pairs);
}
#endif /* PARE_CU_SM90A */

/* ---- float GEMM (more rows) ----
 * 64 rows x 32 pairs a block, 32 of K a step, 16 x 16 threads: thread (ty,
 * tx) owns rows ty + 16 i (i < 4) and pairs tx + 16 j (j < 2), both members.
 * Tiles K-major in shared memory; the norm is applied as x is stored. */
constexpr int kFmaRows = 64;
constexpr int kFmaPairs = 32;
constexpr int kFmaK = 32;
constexpr int kFmaLd = kFmaK + 1; /* odd: column walks spread over the banks */
constexpr int kFmaThreads = 256;

template <class Epi>
__global__ void __launch_bounds__(kFmaThreads)
    gemm_f32_kernel(const float *x, const float *norm_w, float eps, int rows, int k, int pairs,
                    Epi epi)
{
  __shared__ float xs[kFmaRows * kFmaLd];
  __shared__ float ws[2 * kFmaPairs * kFmaLd];
  __shared__ float s_inv[kFmaRows];
  const int m0 = blockIdx.y * kFmaRows, p0 = blockIdx.x * kFmaPairs;
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  if (norm_w)
    tile_inv_rms<float, Epi::W::kVec>(x, rows, k, eps, m0, kFmaRows, s_inv);
  __syncthreads();
  /* Loads: element (row / column tid / 32 + 8 i, k tid % 32), i < 8. */
  const int lk = tid % kWarp, lr = tid / kWarp;
  const float *b_src[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int t = lr + 8 * i, p = p0 + t / 2;
    b_src[i] = epi.row(p < pairs ? p : pairs - 1, t % 2);
  }
  float acc[4][2][2];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      acc[i][j][0] = acc[i][j][1] = 0.0f;
  for (int k0 = 0; k0 < k; k0 += kFmaK) {
    const int kk = k0 + lk;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int r = lr + 8 * i;
      float v = 0.0f;
      if (m0 + r < rows && kk < k) {
        v = x[(size_t)(m0 + r) * k + kk];
        if (norm_w)
          v = v * s_inv[r] * norm_w[kk];
      }
      xs[r * kFmaLd + lk] = v;
      ws[(lr + 8 * i) * kFmaLd + lk] = kk < k ? b_src[i][kk] : 0.0f;
    }
    __syncthreads();
#pragma unroll 8
    for (int c = 0; c < kFmaK; ++c) {
      float a[4], b[2][2];
#pragma unroll
      for (int i = 0; i < 4; ++i)
        a[i] = xs[(ty + 16 * i) * kFmaLd + c];
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        b[j][0] = ws[(2 * (tx + 16 * j)) * kFmaLd + c];
        b[j][1] = ws[(2 * (tx + 16 * j) + 1) * kFmaLd + c];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) {
          acc[i][j][0] = fmaf(a[i], b[j][0], acc[i][j][0]);
          acc[i][j][1] = fmaf(a[i], b[j][1], acc[i][j][1]);
        }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int r = m0 + ty + 16 * i, p = p0 + tx + 16 * j;
      if (r < rows && p < pairs)
        epi.store(r, p, acc[i][j][0], acc[i][j][1]);
    }
}

/* ---- launches ---- */

/* The GEMV's grid: enough blocks for every pair, at most what the GPU holds
 * at once (gemv_min_blocks a multiprocessor, which __launch_bounds__
 * guarantees), so there is no tail wave: the warps stride over the rest.
 * Only a device attribute is queried, which a stream capture allows. */
inline unsigned gemv_grid(int pairs, int per_sm)
{
  int dev = 0, sms = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || sms <= 0)
    sms = 108;
  const int need = (pairs + kGemvWarps - 1) / kGemvWarps, cap = sms * per_sm;
  return (unsigned)(need < cap ? need : cap);
}

template <class Epi>
cudaError_t gemm(const float *x, const float *norm_w, float eps, int rows, int k, int pairs,
                 const Epi &epi, cudaStream_t stream)
{
  dim3 grid((unsigned)((pairs + kFmaPairs - 1) / kFmaPairs),
            (unsigned)((rows + kFmaRows - 1) / kFmaRows));
  gemm_f32_kernel<Epi><<<grid, kFmaThreads, 0, stream>>>(x, norm_w, eps, rows, k, pairs, epi);
  return cudaGetLastError();
}

template <class Epi>
cudaError_t gemm(const __half *x, const __half *norm_w, float eps, int rows, int k, int pairs,
                 const Epi &epi, cudaStream_t stream)
{
#if defined(PARE_CU_SM90A)
  if constexpr (Epi::W::kVec) {
    bool tma = true;
    const int bn = hop_width(rows, pairs, &tma);
    if (bn == 256)
      return gemm_sm90_launch<Epi, 256>(x, norm_w, eps, rows, k, pairs, epi, tma, stream);
    if (bn == 128)
      return gemm_sm90_launch<Epi, 128>(x, norm_w, eps, rows, k, pairs, epi, tma, stream);
  }
#endif
  dim3 grid((unsigned)((pairs + kMmaPairs - 1) / kMmaPairs),
            (unsigned)((rows + kMmaRows - 1) / kMmaRows));
  gemm_f16_kernel<Epi, Epi::W::kVec>
      <<<grid, kMmaThreads, 0, stream>>>(x, norm_w, eps, rows, k, pairs, epi);
  return cudaGetLastError();
}

/* The decode GEMV of a fused linear (rows <= PARE_LLM_GEMV_ROWS). */
template <class Epi>
cudaError_t run_gemv(const typename Epi::T *x, const typename Epi::T *norm_w, float eps, int rows,
                     int k, int pairs, const Epi &epi, cudaStream_t stream)
{
  if (rows == 1)
    return pdl_launch(gemv_kernel<Epi, 1>, gemv_grid(pairs, gemv_min_blocks(1)), kGemvWarps * kWarp,
                      0, stream, x, norm_w, eps, rows, k, pairs, epi);
  return pdl_launch(gemv_kernel<Epi, PARE_LLM_GEMV_ROWS>,
                    gemv_grid(pairs, gemv_min_blocks(PARE_LLM_GEMV_ROWS)), kGemvWarps * kWarp, 0,
                    stream, x, norm_w, eps, rows, k, pairs, epi);
}

/* One fused linear: the GEMV for decode rows, the GEMM for more. */
template <class Epi>
cudaError_t run_fused(const typename Epi::T *x, const typename Epi::T *norm_w, float eps,
                      int rows, int k, int pairs, const Epi &epi, cudaStream_t stream)
{
  if (rows > PARE_LLM_GEMV_ROWS)
    return gemm(x, norm_w, eps, rows, k, pairs, epi, stream);
  return run_gemv(x, norm_w, eps, rows, k, pairs, epi, stream);
}

/* Whether the 16-byte paths apply: k a multiple of the pack, every pointer
 * read by rows aligned (NULL counts as aligned). */
template <typename T> bool vec_ok(int k, std::initializer_list<const void *> ptrs)
{
  if (k % (16 / (int)sizeof(T)) != 0)
    return false;
  for (const void *p : ptrs)
    if (p && !aligned16(p))
      return false;
  return true;
}

template <typename T, bool VEC>
cudaError_t linear_as(const T *x, const T *norm_w, float eps, const T *wt, const T *residual, T *y,
                      int rows, int k, int n, pare_act_t act, float act_a, float act_b,
                      cudaStream_t stream)
{
  LinearEpi<T, DenseW<T, VEC>> epi{{wt, k}, residual, y, n, act, act_a, act_b};
  return run_fused(x, norm_w, eps, rows, k, (n + 1) / 2, epi, stream);
}

template <typename T>
cudaError_t linear(const T *x, const T *norm_w, float eps, const T *wt, const T *residual, T *y,
                   int rows, int k, int n, pare_act_t act, float act_a, float act_b,
                   cudaStream_t stream)
{
  if (rows <= 0 || n <= 0)
    return cudaSuccess;
  if (k <= 0 || !x || !wt || !y)
    return cudaErrorInvalidValue;
  if (vec_ok<T>(k, {x, norm_w, wt}))
    return linear_as<T, true>(x, norm_w, eps, wt, residual, y, rows, k, n, act, act_a, act_b,
                              stream);
  return linear_as<T, false>(x, norm_w, eps, wt, residual, y, rows, k, n, act, act_a, act_b,
                             stream);
}

template <typename T, bool VEC>
cudaError_t gated_as(const T *x, const T *norm_w, float eps, const T *wg, const T *wu, T *y,
                     int rows, int k, int n, pare_act_t act, float act_a, float act_b,
                     cudaStream_t stream)
{
  GatedEpi<T, DenseW<T, VEC>> epi{{wg, k}, {wu, k}, y, n, act, act_a, act_b};
  return run_fused(x, norm_w, eps, rows, k, n, epi, stream);
}

template <typename T>
cudaError_t gated(const T *x, const T *norm_w, float eps, const T *wg, const T *wu, T *y, int rows,
                  int k, int n, pare_act_t act, float act_a, float act_b, cudaStream_t stream)
{
  if (rows <= 0 || n <= 0)
    return cudaSuccess;
  if (k <= 0 || !x || !wg || !wu || !y)
    return cudaErrorInvalidValue;
  if (vec_ok<T>(k, {x, norm_w, wg, wu}))
    return gated_as<T, true>(x, norm_w, eps, wg, wu, y, rows, k, n, act, act_a, act_b, stream);
  return gated_as<T, false>(x, norm_w, eps, wg, wu, y, rows, k, n, act, act_a, act_b, stream);
}

template <typename T, bool VEC>
cudaError_t qkv_as(const T *x, const T *norm_w, float eps, const T *wq, const T *wk, const T *wv,
                   const int32_t *positions, const int32_t *slots, long long slot_stride,
                   const float *inv_freq, int half, int interleaved, T *q, T *k_cache,
                   T *v_cache, int rows, int k, int heads, int kv_heads, int head_dim,
                   int max_context, cudaStream_t stream)
{
  const int rot_pairs = half + (head_dim - 2 * half + 1) / 2, plain_pairs = (head_dim + 1) / 2;
  QkvEpi<T, DenseW<T, VEC>> epi{{wq, k},     {wk, k},   {wv, k},     positions,   slots,
                                slot_stride, inv_freq,  q,           k_cache,     v_cache,
                                heads,       kv_heads,  head_dim,    max_context, half,
                                interleaved, rot_pairs, plain_pairs};
  const int pairs = (heads + kv_heads) * rot_pairs + kv_heads * plain_pairs;
  return run_fused(x, norm_w, eps, rows, k, pairs, epi, stream);
}

template <typename T>
cudaError_t qkv(const T *x, const T *norm_w, float eps, const T *wq, const T *wk, const T *wv,
                const int32_t *positions, const int32_t *slots, long long slot_stride,
                const float *inv_freq, int rotary_dim, int interleaved, T *q, T *k_cache,
                T *v_cache, int rows, int k, int heads, int kv_heads, int head_dim,
                int max_context, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  if (k <= 0 || heads <= 0 || kv_heads <= 0 || head_dim <= 0 || max_context <= 0 || !x || !wq ||
      !wk || !wv || !positions || !q || !k_cache || !v_cache ||
      (inv_freq && (rotary_dim < 0 || rotary_dim > head_dim)))
    return cudaErrorInvalidValue;
  const int half = inv_freq ? rotary_dim / 2 : 0;
  if (vec_ok<T>(k, {x, norm_w, wq, wk, wv}))
    return qkv_as<T, true>(x, norm_w, eps, wq, wk, wv, positions, slots, slot_stride, inv_freq,
                           half, interleaved, q, k_cache, v_cache, rows, k, heads, kv_heads,
                           head_dim, max_context, stream);
  return qkv_as<T, false>(x, norm_w, eps, wq, wk, wv, positions, slots, slot_stride, inv_freq,
                          half, interleaved, q, k_cache, v_cache, rows, k, heads, kv_heads,
                          head_dim, max_context, stream);
}

/* ------------------------------------------------- fused int4 linears -- */

/* The int4 forms of linear / gated / qkv (issue 18). Decode rows run the
 * GEMV above with the Int4W weight policy (the same epilogues, the norm
 * prologue, each packed weight read once). More rows dequantize the
 * weights into the caller's workspace as T ((q - z) * s in float, rounded to
 * T, as pare_cu_llm_w4.cu's tiled GEMM stages its tiles) and run the dense
 * fused GEMM with the same prologue and epilogue. */

/* One int4 weight matrix: packed rows, (scale, zero) pairs, its rows. */
template <typename T> struct W4Mat {
  const uint8_t *qw;
  const T *sz;
  int n;
};

/* Thread per (row, word of 8 weights): w[j][kk] = (T)((q - z) * s). */
template <typename T>
__global__ void w4_dequant_kernel(const uint8_t *qw, const T *sz, T *w, int n, int k, int groups,
                                  int gshift)
{
  const int words = (k + 7) / 8, chunks = (k + 31) / 32;
  const size_t total = (size_t)n * words;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x) {
    const int j = (int)(i / words), wd = (int)(i % words), k0 = wd * 8;
    const unsigned u = *reinterpret_cast<const unsigned *>(qw + (size_t)j * chunks * 16 + wd * 4);
    const T *p = sz + 2 * ((size_t)j * groups + (k0 >> gshift));
    const float s = to_f(p[0]), z = to_f(p[1]);
    T *dst = w + (size_t)j * k;
#pragma unroll
    for (int e = 0; e < 8; ++e)
      if (k0 + e < k)
        dst[k0 + e] = from_f<T>(((float)((u >> (4 * e)) & 0xFu) - z) * s);
  }
}

/* Bytes of one dequantized matrix in the workspace, 16-byte aligned. */
inline size_t w4_dense_bytes(int n, int k, size_t elem) { return ((size_t)n * k * elem + 15) / 16 * 16; }

/* log2 of a group size (a power of two). */
inline int w4_gshift(int group)
{
  int gshift = 0;
  while ((1 << gshift) < group)
    ++gshift;
  return gshift;
}

/* One matrix [n][k] of T from its packed rows (pare_llm_device::w4_dequantize). */
template <typename T>
cudaError_t launch_w4_dequant(const uint8_t *qw, const T *sz, T *w, int n, int k, int groups,
                              int gshift, cudaStream_t stream)
{
  w4_dequant_kernel<T><<<grid_for((size_t)n * ((k + 7) / 8)), kBlock, 0, stream>>>(qw, sz, w, n, k,
                                                                                   groups, gshift);
  return cudaGetLastError();
}

/* Dequantizes the matrices into consecutive workspace slots, dense[i] the
 * i-th ([n][k] of T). */
template <typename T>
cudaError_t w4_dequant(std::initializer_list<W4Mat<T>> mats, int k, int group, void *workspace,
                       T **dense, cudaStream_t stream)
{
  const int gshift = w4_gshift(group);
  const int groups = PARE_LLM_W4_GROUPS(k, group);
  char *at = static_cast<char *>(workspace);
  int i = 0;
  for (const W4Mat<T> &m : mats) {
    dense[i] = reinterpret_cast<T *>(at);
    cudaError_t err = launch_w4_dequant<T>(m.qw, m.sz, dense[i], m.n, k, groups, gshift, stream);
    if (err != cudaSuccess)
      return err;
    at += w4_dense_bytes(m.n, k, sizeof(T));
    ++i;
  }
  return cudaSuccess;
}

/* Arguments every int4 entry checks: group a power of two >= 16, packed rows
 * 16-byte aligned, a workspace for more than the GEMV's rows. */
template <typename T>
bool w4_args_ok(std::initializer_list<W4Mat<T>> mats, int rows, int k, int group,
                const void *workspace)
{
  if (k <= 0 || group < 16 || (group & (group - 1)) ||
      (rows > PARE_LLM_GEMV_ROWS && (!workspace || !aligned16(workspace))))
    return false;
  for (const W4Mat<T> &m : mats)
    if (!m.qw || !m.sz || !aligned16(m.qw))
      return false;
  return true;
}

/* Calls f(std::integral_constant<bool, VEC>, std::integral_constant<bool,
 * SMALLG>) for the int4 GEMV variant that applies. */
template <typename F> cudaError_t w4_variant(bool vec, int group, F &&f)
{
  using Y = std::true_type;
  using N = std::false_type;
  if (vec)
    return group == 16 ? f(Y(), Y()) : f(Y(), N());
  return group == 16 ? f(N(), Y()) : f(N(), N());
}

template <typename T>
cudaError_t linear_w4(const T *x, const T *norm_w, float eps, const uint8_t *qw, const T *sz,
                      int group, const T *residual, T *y, int rows, int k, int n, pare_act_t act,
                      float act_a, float act_b, void *workspace, cudaStream_t stream)
{
  if (rows <= 0 || n <= 0)
    return cudaSuccess;
  if (!x || !y || !w4_args_ok<T>({{qw, sz, n}}, rows, k, group, workspace))
    return cudaErrorInvalidValue;
  if (rows > PARE_LLM_GEMV_ROWS) {
    T *w[1];
    cudaError_t err = w4_dequant<T>({{qw, sz, n}}, k, group, workspace, w, stream);
    if (err != cudaSuccess)
      return err;
    return linear<T>(x, norm_w, eps, w[0], residual, y, rows, k, n, act, act_a, act_b, stream);
  }
  const int groups = PARE_LLM_W4_GROUPS(k, group), gshift = w4_gshift(group);
  return w4_variant(vec_ok<T>(k, {x, norm_w}), group, [&](auto vec, auto small) {
    using W = Int4W<T, decltype(vec)::value, decltype(small)::value>;
    LinearEpi<T, W> epi{{qw, sz, k, groups, gshift}, residual, y, n, act, act_a, act_b};
    return run_gemv(x, norm_w, eps, rows, k, (n + 1) / 2, epi, stream);
  });
}

template <typename T>
cudaError_t gated_w4(const T *x, const T *norm_w, float eps, const uint8_t *qg, const T *szg,
                     const uint8_t *qu, const T *szu, int group, T *y, int rows, int k, int n,
                     pare_act_t act, float act_a, float act_b, void *workspace,
                     cudaStream_t stream)
{
  if (rows <= 0 || n <= 0)
    return cudaSuccess;
  if (!x || !y || !w4_args_ok<T>({{qg, szg, n}, {qu, szu, n}}, rows, k, group, workspace))
    return cudaErrorInvalidValue;
  if (rows > PARE_LLM_GEMV_ROWS) {
    T *w[2];
    cudaError_t err = w4_dequant<T>({{qg, szg, n}, {qu, szu, n}}, k, group, workspace, w, stream);
    if (err != cudaSuccess)
      return err;
    return gated<T>(x, norm_w, eps, w[0], w[1], y, rows, k, n, act, act_a, act_b, stream);
  }
  const int groups = PARE_LLM_W4_GROUPS(k, group), gshift = w4_gshift(group);
  return w4_variant(vec_ok<T>(k, {x, norm_w}), group, [&](auto vec, auto small) {
    using W = Int4W<T, decltype(vec)::value, decltype(small)::value>;
    GatedEpi<T, W> epi{{qg, szg, k, groups, gshift}, {qu, szu, k, groups, gshift}, y, n, act,
                       act_a, act_b};
    return run_gemv(x, norm_w, eps, rows, k, n, epi, stream);
  });
}

template <typename T>
cudaError_t qkv_w4(const T *x, const T *norm_w, float eps, const uint8_t *qq, const T *szq,
                   const uint8_t *qk, const T *szk, const uint8_t *qv, const T *szv, int group,
                   const int32_t *positions, const int32_t *slots, long long slot_stride,
                   const float *inv_freq, int rotary_dim, int interleaved, T *q, T *k_cache,
                   T *v_cache, int rows, int k, int heads, int kv_heads, int head_dim,
                   int max_context, void *workspace, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  const int nq = heads * head_dim, nkv = kv_heads * head_dim;
  if (heads <= 0 || kv_heads <= 0 || head_dim <= 0 || max_context <= 0 || !x || !positions ||
      !q || !k_cache || !v_cache || (inv_freq && (rotary_dim < 0 || rotary_dim > head_dim)) ||
      !w4_args_ok<T>({{qq, szq, nq}, {qk, szk, nkv}, {qv, szv, nkv}}, rows, k, group, workspace))
    return cudaErrorInvalidValue;
  if (rows > PARE_LLM_GEMV_ROWS) {
    T *w[3];
    cudaError_t err = w4_dequant<T>({{qq, szq, nq}, {qk, szk, nkv}, {qv, szv, nkv}}, k, group,
                                    workspace, w, stream);
    if (err != cudaSuccess)
      return err;
    return qkv<T>(x, norm_w, eps, w[0], w[1], w[2], positions, slots, slot_stride, inv_freq,
                  rotary_dim, interleaved, q, k_cache, v_cache, rows, k, heads, kv_heads,
                  head_dim, max_context, stream);
  }
  const int groups = PARE_LLM_W4_GROUPS(k, group), gshift = w4_gshift(group);
  const int half = inv_freq ? rotary_dim / 2 : 0;
  const int rot_pairs = half + (head_dim - 2 * half + 1) / 2, plain_pairs = (head_dim + 1) / 2;
  const int pairs = (heads + kv_heads) * rot_pairs + kv_heads * plain_pairs;
  return w4_variant(vec_ok<T>(k, {x, norm_w}), group, [&](auto vec, auto small) {
    using W = Int4W<T, decltype(vec)::value, decltype(small)::value>;
    QkvEpi<T, W> epi{{qq, szq, k, groups, gshift},
                     {qk, szk, k, groups, gshift},
                     {qv, szv, k, groups, gshift},
                     positions,
                     slots,
                     slot_stride,
                     inv_freq,
                     q,
                     k_cache,
                     v_cache,
                     heads,
                     kv_heads,
                     head_dim,
                     max_context,
                     half,
                     interleaved,
                     rot_pairs,
                     plain_pairs};
    return run_gemv(x, norm_w, eps, rows, k, pairs, epi, stream);
  });
}

/* --------------------------------------------------------------- rotary -- */

/* One thread per (row, head, j): j < rotary_dim / 2 turns pair j; the others
 * copy dim j + rotary_dim / 2 (a dim past rotary_dim) when y is not x. */
template <typename T, typename P>
__global__ void rotary_kernel(const T *x, const P *positions, const float *inv_freq, T *y,
                              int rows, int heads, int head_dim, int rotary_dim, int interleaved)
{
  pdl_wait();
  pdl_trigger();
  int half = rotary_dim / 2, per_head = head_dim - half;
  size_t total = (size_t)rows * heads * per_head;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x) {
    int j = (int)(i % per_head);
    size_t rh = i / per_head;
    int r = (int)(rh / heads);
    size_t base = rh * head_dim;
    if (j >= half) {
      int d = j + half;
      if (x != y)
        y[base + d] = x[base + d];
      continue;
    }
    int a = interleaved ? 2 * j : j, b = interleaved ? 2 * j + 1 : j + half;
    float s, c;
    sincosf((float)ld_dep(positions + r) * inv_freq[j], &s, &c);
    float xa = to_f(x[base + a]), xb = to_f(x[base + b]);
    y[base + a] = from_f<T>(xa * c - xb * s);
    y[base + b] = from_f<T>(xb * c + xa * s);
  }
}

/* ------------------------------------------------------------- kv cache -- */

/* Row r into its slot's caches (slots[r] * slot_stride further; none with
 * slots NULL) at positions[r]. */
template <typename T>
__global__ void kv_write_kernel(const T *k, const T *v, const int32_t *positions,
                                const int32_t *slots, long long slot_stride, T *k_cache,
                                T *v_cache, int rows, int kv_heads, int head_dim, int max_context)
{
  pdl_wait();
  pdl_trigger();
  int width = kv_heads * head_dim;
  size_t total = (size_t)rows * width;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x) {
    int r = (int)(i / width), col = (int)(i % width);
    int g = col / head_dim, d = col % head_dim;
    const size_t at = (size_t)slot_offset(slots, slot_stride, r) +
                      ((size_t)g * max_context + ld_dep(positions + r)) * head_dim + d;
    k_cache[at] = k[i];
    v_cache[at] = v[i];
  }
}

/* ------------------------------------------------------------ attention -- */

/* Block (head h, row r), kAttnWarps warps: warp w takes cache positions
 * w, w + kAttnWarps, ... <= positions[r] with a running max, sum and
 * weighted V (lane l keeps dims l, l + 32, ...: DPL of them); the warps'
 * partial softmaxes are merged through shared memory at the end. */
/* Where the keys are and how many row r sees. */
struct KeyLayout {
  size_t key_stride;  /* elements between keys t and t + 1 */
  size_t head_stride; /* elements between kv heads */
  const int32_t *positions; /* decoder: row r sees keys 0 .. positions[r] */
  const int32_t *slots;     /* decoder: row r's keys slots[r] * slot_stride further */
  long long slot_stride;
  int keys;           /* otherwise: keys 0 .. keys - 1 ... */
  int causal;         /* ... or, causal, 0 .. first_pos + r */
  int first_pos;
};

template <typename T, int DPL>
__global__ void attention_kernel(const T *q, const T *k_all, const T *v_all, KeyLayout kl, T *y,
                                 int heads, int kv_heads, int head_dim, float scale)
{
  __shared__ float s_max[kAttnWarps], s_sum[kAttnWarps];
  __shared__ float s_acc[kAttnWarps][DPL * kWarp];
  pdl_wait();
  pdl_trigger();
  int h = blockIdx.x, r = blockIdx.y;
  int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  int g = h / (heads / kv_heads);
  int len = kl.positions ? ld_dep(kl.positions + r) + 1
            : kl.causal    ? min(kl.keys, kl.first_pos + r + 1)
                           : kl.keys;
  const T *qr = q + ((size_t)r * heads + h) * head_dim;
  const long long so = slot_offset(kl.slots, kl.slot_stride, r);
  const T *kc = k_all + so + (size_t)g * kl.head_stride;
  const T *vc = v_all + so + (size_t)g * kl.head_stride;
  float qv[DPL], acc[DPL];
#pragma unroll
  for (int i = 0; i < DPL; ++i) {
    int d = lane + i * kWarp;
    qv[i] = d < head_dim ? to_f(qr[d]) * scale : 0.0f;
    acc[i] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  for (int t = warp; t < len; t += kAttnWarps) {
    const T *kt = kc + (size_t)t * kl.key_stride;
    const T *vt = vc + (size_t)t * kl.key_stride;
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < DPL; ++i) {
      int d = lane + i * kWarp;
      if (d < head_dim)
        s = fmaf(qv[i], to_f(kt[d]), s);
    }
    s = warp_sum(s);
    float m_new = fmaxf(m, s);
    float c = expf(m - m_new), p = expf(s - m_new);
    l = l * c + p;
#pragma unroll
    for (int i = 0; i < DPL; ++i) {
      int d = lane + i * kWarp;
      acc[i] = acc[i] * c + (d < head_dim ? p * to_f(vt[d]) : 0.0f);
    }
    m = m_new;
  }
  if (lane == 0) {
    s_max[warp] = m;
    s_sum[warp] = l;
  }
#pragma unroll
  for (int i = 0; i < DPL; ++i)
    s_acc[warp][lane + i * kWarp] = acc[i];
  __syncthreads();
  /* Merge: out = sum_w acc_w e^(m_w - M) / sum_w l_w e^(m_w - M). A warp that
   * saw no position has m = -inf and weighs 0; warp 0 always saw position 0
   * (a causal row sees at least its own key). */
  float big = s_max[0];
  for (int w = 1; w < kAttnWarps; ++w)
    big = fmaxf(big, s_max[w]);
  float total = 0.0f, wgt[kAttnWarps];
  for (int w = 0; w < kAttnWarps; ++w) {
    wgt[w] = s_max[w] == -INFINITY ? 0.0f : expf(s_max[w] - big);
    total += s_sum[w] * wgt[w];
  }
  float inv = 1.0f / total;
  T *yr = y + ((size_t)r * heads + h) * head_dim;
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float o = 0.0f;
    for (int w = 0; w < kAttnWarps; ++w)
      o += s_acc[w][d] * wgt[w];
    yr[d] = from_f<T>(o * inv);
  }
}

/* ----------------------------------------------------------- elementwise -- */

__device__ __forceinline__ float binop(pare_llm_binop_t op, float a, float b)
{
  switch (op) {
  case PARE_LLM_ADD: return a + b;
  case PARE_LLM_SUB: return a - b;
  case PARE_LLM_MUL: return a * b;
  default: return a / b;
  }
}

template <typename T>
__global__ void binary_kernel(pare_llm_binop_t op, const T *a, int a_rs, int a_cs, const T *b,
                              int b_rs, int b_cs, T *y, int rows, int features, pare_act_t act,
                              float act_a, float act_b)
{
  pdl_wait();
  pdl_trigger();
  size_t total = (size_t)rows * features;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x) {
    size_t r = i / features, c = i % features;
    float va = to_f(a[r * a_rs + c * a_cs]), vb = to_f(b[r * b_rs + c * b_cs]);
    y[i] = from_f<T>(pare_activation(binop(op, va, vb), act, act_a, act_b));
  }
}

template <typename T>
__global__ void activation_kernel(const T *x, T *y, size_t count, pare_act_t act, float act_a,
                                  float act_b)
{
  pdl_wait();
  pdl_trigger();
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
       i += (size_t)gridDim.x * blockDim.x)
    y[i] = from_f<T>(pare_activation(to_f(x[i]), act, act_a, act_b));
}

template <typename T> __global__ void logits_kernel(const T *x, float *logits, int count)
{
  pdl_wait();
  pdl_trigger();
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x)
    logits[i] = to_f(x[i]);
}

/* ------------------------------------------------------------- launches -- */

template <typename T>
cudaError_t embed(const T *table, const int32_t *ids, T *y, int rows, int features,
                  cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  return pdl_launch(embed_kernel<T>, grid_for((size_t)rows * features), kBlock, 0, stream, table,
                    ids, y, rows, features);
}

template <typename T>
cudaError_t rms_norm(const T *x, const T *w, T *y, int rows, int features, float epsilon,
                     cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  return pdl_launch(rms_norm_kernel<T>, (unsigned)rows, kBlock, 0, stream, x, w, y, features,
                    epsilon);
}

template <typename T>
cudaError_t matmul(const T *x, const T *wt, T *y, int rows, int k, int n, pare_act_t act,
                   float act_a, float act_b, cudaStream_t stream)
{
  /* The fused linear without its prologue and residual: the same GEMV for
   * decode, the same GEMMs for prefill. */
  return linear<T>(x, nullptr, 0.0f, wt, nullptr, y, rows, k, n, act, act_a, act_b, stream);
}

template <typename T, typename P>
cudaError_t rotary(const T *x, const P *positions, const float *inv_freq, T *y, int rows,
                   int heads, int head_dim, int rotary_dim, int interleaved, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  size_t work = (size_t)rows * heads * (head_dim - rotary_dim / 2);
  return pdl_launch(rotary_kernel<T, P>, grid_for(work), kBlock, 0, stream, x, positions, inv_freq,
                    y, rows, heads, head_dim, rotary_dim, interleaved);
}

template <typename T>
cudaError_t kv_write(const T *k, const T *v, const int32_t *positions, const int32_t *slots,
                     long long slot_stride, T *k_cache, T *v_cache, int rows, int kv_heads,
                     int head_dim, int max_context, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  return pdl_launch(kv_write_kernel<T>, grid_for((size_t)rows * kv_heads * head_dim), kBlock, 0,
                    stream, k, v, positions, slots, slot_stride, k_cache, v_cache, rows, kv_heads,
                    head_dim, max_context);
}

template <typename T>
cudaError_t attention(const T *q, const T *k, const T *v, KeyLayout kl, T *y, int rows, int heads,
                      int kv_heads, int head_dim, float scale, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  if (head_dim <= 0 || head_dim > PARE_LLM_MAX_HEAD_DIM || kv_heads <= 0 || heads % kv_heads)
    return cudaErrorInvalidValue;
  dim3 grid((unsigned)heads, (unsigned)rows);
  int threads = kAttnWarps * kWarp;
  auto kernel = head_dim <= 32    ? attention_kernel<T, 1>
                : head_dim <= 64  ? attention_kernel<T, 2>
                : head_dim <= 128 ? attention_kernel<T, 4>
                                  : attention_kernel<T, 8>;
  return pdl_launch(kernel, grid, threads, 0, stream, q, k, v, kl, y, heads, kv_heads, head_dim,
                    scale);
}

template <typename T>
cudaError_t binary(pare_llm_binop_t op, const T *a, int a_rs, int a_cs, const T *b, int b_rs,
                   int b_cs, T *y, int rows, int features, pare_act_t act, float act_a,
                   float act_b, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  return pdl_launch(binary_kernel<T>, grid_for((size_t)rows * features), kBlock, 0, stream, op, a,
                    a_rs, a_cs, b, b_rs, b_cs, y, rows, features, act, act_a, act_b);
}

template <typename T>
cudaError_t activation(const T *x, T *y, size_t count, pare_act_t act, float act_a, float act_b,
                       cudaStream_t stream)
{
  if (count == 0)
    return cudaSuccess;
  return pdl_launch(activation_kernel<T>, grid_for(count), kBlock, 0, stream, x, y, count, act,
                    act_a, act_b);
}

template <typename T>
cudaError_t logits(const T *x, float *out, int count, cudaStream_t stream)
{
  if (count <= 0)
    return cudaSuccess;
  return pdl_launch(logits_kernel<T>, grid_for((size_t)count), kBlock, 0, stream, x, out, count);
}

} // namespace

namespace pare_llm_device {
cudaError_t w4_dequantize(const uint8_t *qw, const float *sz, float *w, int n, int k, int group,
                          cudaStream_t stream)
{
  return launch_w4_dequant<float>(qw, sz, w, n, k, PARE_LLM_W4_GROUPS(k, group), w4_gshift(group),
                                  stream);
}
cudaError_t w4_dequantize(const uint8_t *qw, const __half *sz, __half *w, int n, int k, int group,
                          cudaStream_t stream)
{
  return launch_w4_dequant<__half>(qw, sz, w, n, k, PARE_LLM_W4_GROUPS(k, group),
                                   w4_gshift(group), stream);
}
} // namespace pare_llm_device

#define PARE_LLM_DEFINE_KERNELS(SUF, T)                                                       \
  cudaError_t pare_llm_embed_##SUF(const T *table, const int32_t *ids, T *y, int rows,        \
                                   int features, cudaStream_t stream)                         \
  {                                                                                           \
    return embed<T>(table, ids, y, rows, features, stream);                                   \
  }                                                                                           \
  cudaError_t pare_llm_rms_norm_##SUF(const T *x, const T *w, T *y, int rows, int features,   \
                                      float epsilon, cudaStream_t stream)                     \
  {                                                                                           \
    return rms_norm<T>(x, w, y, rows, features, epsilon, stream);                             \
  }                                                                                           \
  cudaError_t pare_llm_matmul_##SUF(const T *x, const T *wt, T *y, int rows, int k, int n,    \
                                    pare_act_t act, float act_a, float act_b,                 \
                                    cudaStream_t stream)                                      \
  {                                                                                           \
    return matmul<T>(x, wt, y, rows, k, n, act, act_a, act_b, stream);                        \
  }                                                                                           \
  cudaError_t pare_llm_rotary_##SUF(const T *x, const int32_t *positions,                     \
                                    const float *inv_freq, T *y, int rows, int heads,         \
                                    int head_dim, int rotary_dim, int interleaved,            \
                                    cudaStream_t stream)                                      \
  {                                                                                           \
    return rotary<T, int32_t>(x, positions, inv_freq, y, rows, heads, head_dim, rotary_dim,   \
                              interleaved, stream);                                           \
  }                                                                                           \
  cudaError_t pare_llm_rotary_pos64_##SUF(const T *x, const int64_t *positions,               \
                                          const float *inv_freq, T *y, int rows, int heads,   \
                                          int head_dim, int rotary_dim, int interleaved,      \
                                          cudaStream_t stream)                                \
  {                                                                                           \
    return rotary<T, int64_t>(x, positions, inv_freq, y, rows, heads, head_dim, rotary_dim,   \
                              interleaved, stream);                                           \
  }                                                                                           \
  cudaError_t pare_llm_kv_write_##SUF(const T *k, const T *v, const int32_t *positions,       \
                                      const int32_t *slots, long long slot_stride,            \
                                      T *k_cache, T *v_cache, int rows, int kv_heads,         \
                                      int head_dim, int max_context, cudaStream_t stream)     \
  {                                                                                           \
    return kv_write<T>(k, v, positions, slots, slot_stride, k_cache, v_cache, rows, kv_heads, \
                       head_dim, max_context, stream);                                        \
  }                                                                                           \
  cudaError_t pare_llm_attention_##SUF(const T *q, const T *k_cache, const T *v_cache,        \
                                       const int32_t *positions, const int32_t *slots,        \
                                       long long slot_stride, T *y, int rows, int heads,      \
                                       int kv_heads, int head_dim, int max_context,           \
                                       float scale, cudaStream_t stream)                      \
  {                                                                                           \
    KeyLayout kl = {(size_t)head_dim, (size_t)max_context * head_dim, positions, slots,        \
                    slot_stride, 0, 1, 0};                                                    \
    return attention<T>(q, k_cache, v_cache, kl, y, rows, heads, kv_heads, head_dim, scale,   \
                        stream);                                                              \
  }                                                                                           \
  cudaError_t pare_llm_attention_seq_##SUF(const T *q, const T *k, const T *v, T *y, int rows, \
                                           int keys, int key_stride, int head_stride,         \
                                           int heads, int kv_heads, int head_dim, float scale, \
                                           int causal, int first_pos, cudaStream_t stream)    \
  {                                                                                           \
    KeyLayout kl = {(size_t)key_stride, (size_t)head_stride, NULL, NULL, 0, keys, causal,      \
                    first_pos};                                                               \
    return attention<T>(q, k, v, kl, y, rows, heads, kv_heads, head_dim, scale, stream);      \
  }                                                                                           \
  cudaError_t pare_llm_binary_##SUF(pare_llm_binop_t op, const T *a, int a_rs, int a_cs,      \
                                    const T *b, int b_rs, int b_cs, T *y, int rows,           \
                                    int features, pare_act_t act, float act_a, float act_b,   \
                                    cudaStream_t stream)                                      \
  {                                                                                           \
    return binary<T>(op, a, a_rs, a_cs, b, b_rs, b_cs, y, rows, features, act, act_a, act_b,  \
                     stream);                                                                 \
  }                                                                                           \
  cudaError_t pare_llm_activation_##SUF(const T *x, T *y, size_t count, pare_act_t act,       \
                                        float act_a, float act_b, cudaStream_t stream)        \
  {                                                                                           \
    return activation<T>(x, y, count, act, act_a, act_b, stream);                             \
  }                                                                                           \
  cudaError_t pare_llm_logits_##SUF(const T *x, float *out, int count, cudaStream_t stream)   \
  {                                                                                           \
    return logits<T>(x, out, count, stream);                                                  \
  }

PARE_LLM_DEFINE_KERNELS(f32, float)
PARE_LLM_DEFINE_KERNELS(f16, pare_half)

#define PARE_LLM_DEFINE_FUSED(SUF, T)                                                         \
  cudaError_t pare_llm_linear_##SUF(const T *x, const T *norm_w, float norm_eps, const T *wt, \
                                    const T *residual, T *y, int rows, int k, int n,          \
                                    pare_act_t act, float act_a, float act_b,                 \
                                    cudaStream_t stream)                                      \
  {                                                                                           \
    return linear<T>(x, norm_w, norm_eps, wt, residual, y, rows, k, n, act, act_a, act_b,     \
                     stream);                                                                 \
  }                                                                                           \
  cudaError_t pare_llm_gated_##SUF(const T *x, const T *norm_w, float norm_eps, const T *wg,  \
                                   const T *wu, T *y, int rows, int k, int n, pare_act_t act, \
                                   float act_a, float act_b, cudaStream_t stream)             \
  {                                                                                           \
    return gated<T>(x, norm_w, norm_eps, wg, wu, y, rows, k, n, act, act_a, act_b, stream);   \
  }                                                                                           \
  cudaError_t pare_llm_qkv_##SUF(const T *x, const T *norm_w, float norm_eps, const T *wq,    \
                                 const T *wk, const T *wv, const int32_t *positions,          \
                                 const int32_t *slots, long long slot_stride,                 \
                                 const float *inv_freq, int rotary_dim, int interleaved,      \
                                 T *q_out, T *k_cache, T *v_cache, int rows, int k,           \
                                 int heads, int kv_heads, int head_dim, int max_context,      \
                                 cudaStream_t stream)                                         \
  {                                                                                           \
    return qkv<T>(x, norm_w, norm_eps, wq, wk, wv, positions, slots, slot_stride, inv_freq,   \
                  rotary_dim, interleaved, q_out, k_cache, v_cache, rows, k, heads, kv_heads, \
                  head_dim, max_context, stream);                                             \
  }

PARE_LLM_DEFINE_FUSED(f32, float)
PARE_LLM_DEFINE_FUSED(f16, pare_half)

#define PARE_LLM_DEFINE_FUSED_W4(SUF, T)                                                      \
  cudaError_t pare_llm_linear_w4_##SUF(const T *x, const T *norm_w, float norm_eps,           \
                                       const uint8_t *qw, const T *sz, int group,             \
                                       const T *residual, T *y, int rows, int k, int n,       \
                                       pare_act_t act, float act_a, float act_b,              \
                                       void *workspace, cudaStream_t stream)                  \
  {                                                                                           \
    return linear_w4<T>(x, norm_w, norm_eps, qw, sz, group, residual, y, rows, k, n, act,     \
                        act_a, act_b, workspace, stream);                                     \
  }                                                                                           \
  cudaError_t pare_llm_gated_w4_##SUF(const T *x, const T *norm_w, float norm_eps,            \
                                      const uint8_t *qg, const T *szg, const uint8_t *qu,     \
                                      const T *szu, int group, T *y, int rows, int k, int n,  \
                                      pare_act_t act, float act_a, float act_b,               \
                                      void *workspace, cudaStream_t stream)                   \
  {                                                                                           \
    return gated_w4<T>(x, norm_w, norm_eps, qg, szg, qu, szu, group, y, rows, k, n, act,      \
                       act_a, act_b, workspace, stream);                                      \
  }                                                                                           \
  cudaError_t pare_llm_qkv_w4_##SUF(                                                          \
      const T *x, const T *norm_w, float norm_eps, const uint8_t *qq, const T *szq,           \
      const uint8_t *qk, const T *szk, const uint8_t *qv, const T *szv, int group,            \
      const int32_t *positions, const int32_t *slots, long long slot_stride,                  \
      const float *inv_freq, int rotary_dim, int interleaved, T *q_out, T *k_cache,           \
      T *v_cache, int rows, int k, int heads, int kv_heads, int head_dim, int max_context,    \
      void *workspace, cudaStream_t stream)                                                   \
  {                                                                                           \
    return qkv_w4<T>(x, norm_w, norm_eps, qq, szq, qk, szk, qv, szv, group, positions, slots, \
                     slot_stride, inv_freq, rotary_dim, interleaved, q_out, k_cache, v_cache, \
                     rows, k, heads, kv_heads, head_dim, max_context, workspace, stream);     \
  }

PARE_LLM_DEFINE_FUSED_W4(f32, float)
PARE_LLM_DEFINE_FUSED_W4(f16, pare_half)
