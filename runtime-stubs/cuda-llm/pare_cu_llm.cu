/*
 * pare CUDA decoder kernels (see pare_cu_llm.cuh for the conventions).
 *
 * Straightforward kernels that keep the structure the fast ones of issue 17
 * replace piece by piece: a warp per output of a matmul (GEMV for decode, a
 * few rows sharing each weight load for prefill), a block per row of an RMS
 * norm, a block per (row, head) of attention with an online softmax over the
 * cache, elementwise grid-stride loops. Sums in float whatever the storage.
 */
#include "pare_cu_llm.cuh"

#include <math.h>

namespace {

constexpr int kBlock = 256;       /* threads of the 1-D kernels */
constexpr int kMaxBlocks = 65536; /* grid-stride loops cover the rest */
constexpr int kWarp = 32;
constexpr int kAttnWarps = 4;     /* warps of one attention block */

__device__ __forceinline__ float to_f(float v) { return v; }
__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }

template <typename T> __device__ __forceinline__ T from_f(float v);
template <> __device__ __forceinline__ float from_f<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_f<__half>(float v)
{
  return __float2half_rn(v);
}

/* N elements loaded as one aligned 16-byte access. */
template <typename T> struct alignas(16) Pack {
  static constexpr int N = 16 / (int)sizeof(T);
  T v[N];
};

__device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

inline bool aligned16(const void *p) { return ((uintptr_t)p & 15u) == 0; }

inline unsigned grid_for(size_t work)
{
  size_t blocks = (work + kBlock - 1) / kBlock;
  return (unsigned)(blocks < (size_t)kMaxBlocks ? (blocks > 0 ? blocks : 1) : kMaxBlocks);
}

/* ---------------------------------------------------------------- embed -- */

template <typename T>
__global__ void embed_kernel(const T *table, const int32_t *ids, T *y, int rows, int features)
{
  size_t total = (size_t)rows * features;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x) {
    size_t r = i / features, c = i % features;
    y[i] = table[(size_t)ids[r] * features + c];
  }
}

/* ------------------------------------------------------------- rms norm -- */

template <typename T>
__global__ void rms_norm_kernel(const T *x, const T *w, T *y, int features, float epsilon)
{
  __shared__ float partial[kBlock / kWarp];
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

/* --------------------------------------------------------------- matmul -- */

/* One warp per output column j, R rows at a time: each weight row is read
 * once per R rows of x. VEC: 16-byte loads (k a multiple of the pack, rows
 * aligned). */
template <typename T, int R, bool VEC>
__global__ void matmul_kernel(const T *x, const T *wt, T *y, int rows, int k, int n,
                              pare_act_t act, float act_a, float act_b)
{
  int j = blockIdx.x * (blockDim.x / kWarp) + threadIdx.x / kWarp;
  int lane = threadIdx.x % kWarp;
  if (j >= n)
    return;
  const T *wr = wt + (size_t)j * k;
  for (int r0 = 0; r0 < rows; r0 += R) {
    int nr = rows - r0 < R ? rows - r0 : R;
    float acc[R];
#pragma unroll
    for (int rr = 0; rr < R; ++rr)
      acc[rr] = 0.0f;
    if (VEC) {
      constexpr int N = Pack<T>::N;
      for (int kk = lane * N; kk < k; kk += kWarp * N) {
        Pack<T> wp = *reinterpret_cast<const Pack<T> *>(wr + kk);
#pragma unroll
        for (int rr = 0; rr < R; ++rr) {
          if (rr < nr) {
            Pack<T> xp = *reinterpret_cast<const Pack<T> *>(x + (size_t)(r0 + rr) * k + kk);
#pragma unroll
            for (int e = 0; e < N; ++e)
              acc[rr] = fmaf(to_f(xp.v[e]), to_f(wp.v[e]), acc[rr]);
          }
        }
      }
    } else {
      for (int kk = lane; kk < k; kk += kWarp) {
        float wv = to_f(wr[kk]);
#pragma unroll
        for (int rr = 0; rr < R; ++rr)
          if (rr < nr)
            acc[rr] = fmaf(to_f(x[(size_t)(r0 + rr) * k + kk]), wv, acc[rr]);
      }
    }
#pragma unroll
    for (int rr = 0; rr < R; ++rr) {
      float s = warp_sum(acc[rr]);
      if (lane == 0 && rr < nr)
        y[(size_t)(r0 + rr) * n + j] = from_f<T>(pare_activation(s, act, act_a, act_b));
    }
  }
}

template <typename T, int R>
cudaError_t launch_matmul(const T *x, const T *wt, T *y, int rows, int k, int n, pare_act_t act,
                          float act_a, float act_b, cudaStream_t stream)
{
  const int warps = kBlock / kWarp;
  unsigned grid = (unsigned)((n + warps - 1) / warps);
  bool vec = k % Pack<T>::N == 0 && aligned16(x) && aligned16(wt);
  if (vec)
    matmul_kernel<T, R, true><<<grid, kBlock, 0, stream>>>(x, wt, y, rows, k, n, act, act_a, act_b);
  else
    matmul_kernel<T, R, false>
        <<<grid, kBlock, 0, stream>>>(x, wt, y, rows, k, n, act, act_a, act_b);
  return cudaGetLastError();
}

/* --------------------------------------------------------------- rotary -- */

/* One thread per (row, head, j): j < rotary_dim / 2 turns pair j; the others
 * copy dim j + rotary_dim / 2 (a dim past rotary_dim) when y is not x. */
template <typename T, typename P>
__global__ void rotary_kernel(const T *x, const P *positions, const float *inv_freq, T *y,
                              int rows, int heads, int head_dim, int rotary_dim, int interleaved)
{
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
    sincosf((float)positions[r] * inv_freq[j], &s, &c);
    float xa = to_f(x[base + a]), xb = to_f(x[base + b]);
    y[base + a] = from_f<T>(xa * c - xb * s);
    y[base + b] = from_f<T>(xb * c + xa * s);
  }
}

/* ------------------------------------------------------------- kv cache -- */

template <typename T>
__global__ void kv_write_kernel(const T *k, const T *v, const int32_t *positions, T *k_cache,
                                T *v_cache, int rows, int kv_heads, int head_dim, int max_context)
{
  int width = kv_heads * head_dim;
  size_t total = (size_t)rows * width;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x) {
    int r = (int)(i / width), col = (int)(i % width);
    int g = col / head_dim, d = col % head_dim;
    size_t at = ((size_t)g * max_context + positions[r]) * head_dim + d;
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
  int h = blockIdx.x, r = blockIdx.y;
  int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  int g = h / (heads / kv_heads);
  int len = kl.positions ? kl.positions[r] + 1
            : kl.causal    ? min(kl.keys, kl.first_pos + r + 1)
                           : kl.keys;
  const T *qr = q + ((size_t)r * heads + h) * head_dim;
  const T *kc = k_all + (size_t)g * kl.head_stride;
  const T *vc = v_all + (size_t)g * kl.head_stride;
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
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
       i += (size_t)gridDim.x * blockDim.x)
    y[i] = from_f<T>(pare_activation(to_f(x[i]), act, act_a, act_b));
}

template <typename T> __global__ void logits_kernel(const T *x, float *logits, int count)
{
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
  embed_kernel<T><<<grid_for((size_t)rows * features), kBlock, 0, stream>>>(table, ids, y, rows,
                                                                            features);
  return cudaGetLastError();
}

template <typename T>
cudaError_t rms_norm(const T *x, const T *w, T *y, int rows, int features, float epsilon,
                     cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  rms_norm_kernel<T><<<rows, kBlock, 0, stream>>>(x, w, y, features, epsilon);
  return cudaGetLastError();
}

template <typename T>
cudaError_t matmul(const T *x, const T *wt, T *y, int rows, int k, int n, pare_act_t act,
                   float act_a, float act_b, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  /* Decode (one row) streams each weight row once; prefill shares it among
   * four rows of x. */
  if (rows == 1)
    return launch_matmul<T, 1>(x, wt, y, rows, k, n, act, act_a, act_b, stream);
  return launch_matmul<T, 4>(x, wt, y, rows, k, n, act, act_a, act_b, stream);
}

template <typename T, typename P>
cudaError_t rotary(const T *x, const P *positions, const float *inv_freq, T *y, int rows,
                   int heads, int head_dim, int rotary_dim, int interleaved, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  size_t work = (size_t)rows * heads * (head_dim - rotary_dim / 2);
  rotary_kernel<T, P><<<grid_for(work), kBlock, 0, stream>>>(x, positions, inv_freq, y, rows,
                                                             heads, head_dim, rotary_dim,
                                                             interleaved);
  return cudaGetLastError();
}

template <typename T>
cudaError_t kv_write(const T *k, const T *v, const int32_t *positions, T *k_cache, T *v_cache,
                     int rows, int kv_heads, int head_dim, int max_context, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  kv_write_kernel<T><<<grid_for((size_t)rows * kv_heads * head_dim), kBlock, 0, stream>>>(
      k, v, positions, k_cache, v_cache, rows, kv_heads, head_dim, max_context);
  return cudaGetLastError();
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
  if (head_dim <= 32)
    attention_kernel<T, 1><<<grid, threads, 0, stream>>>(q, k, v, kl, y, heads, kv_heads,
                                                         head_dim, scale);
  else if (head_dim <= 64)
    attention_kernel<T, 2><<<grid, threads, 0, stream>>>(q, k, v, kl, y, heads, kv_heads,
                                                         head_dim, scale);
  else if (head_dim <= 128)
    attention_kernel<T, 4><<<grid, threads, 0, stream>>>(q, k, v, kl, y, heads, kv_heads,
                                                         head_dim, scale);
  else
    attention_kernel<T, 8><<<grid, threads, 0, stream>>>(q, k, v, kl, y, heads, kv_heads,
                                                         head_dim, scale);
  return cudaGetLastError();
}

template <typename T>
cudaError_t binary(pare_llm_binop_t op, const T *a, int a_rs, int a_cs, const T *b, int b_rs,
                   int b_cs, T *y, int rows, int features, pare_act_t act, float act_a,
                   float act_b, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  binary_kernel<T><<<grid_for((size_t)rows * features), kBlock, 0, stream>>>(
      op, a, a_rs, a_cs, b, b_rs, b_cs, y, rows, features, act, act_a, act_b);
  return cudaGetLastError();
}

template <typename T>
cudaError_t activation(const T *x, T *y, size_t count, pare_act_t act, float act_a, float act_b,
                       cudaStream_t stream)
{
  if (count == 0)
    return cudaSuccess;
  activation_kernel<T><<<grid_for(count), kBlock, 0, stream>>>(x, y, count, act, act_a, act_b);
  return cudaGetLastError();
}

template <typename T>
cudaError_t logits(const T *x, float *out, int count, cudaStream_t stream)
{
  if (count <= 0)
    return cudaSuccess;
  logits_kernel<T><<<grid_for((size_t)count), kBlock, 0, stream>>>(x, out, count);
  return cudaGetLastError();
}

} // namespace

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
                                      T *k_cache, T *v_cache, int rows, int kv_heads,         \
                                      int head_dim, int max_context, cudaStream_t stream)     \
  {                                                                                           \
    return kv_write<T>(k, v, positions, k_cache, v_cache, rows, kv_heads, head_dim,           \
                       max_context, stream);                                                  \
  }                                                                                           \
  cudaError_t pare_llm_attention_##SUF(const T *q, const T *k_cache, const T *v_cache,        \
                                       const int32_t *positions, T *y, int rows, int heads,   \
                                       int kv_heads, int head_dim, int max_context,           \
                                       float scale, cudaStream_t stream)                      \
  {                                                                                           \
    KeyLayout kl = {(size_t)head_dim, (size_t)max_context * head_dim, positions, 0, 1, 0};     \
    return attention<T>(q, k_cache, v_cache, kl, y, rows, heads, kv_heads, head_dim, scale,   \
                        stream);                                                              \
  }                                                                                           \
  cudaError_t pare_llm_attention_seq_##SUF(const T *q, const T *k, const T *v, T *y, int rows, \
                                           int keys, int key_stride, int head_stride,         \
                                           int heads, int kv_heads, int head_dim, float scale, \
                                           int causal, int first_pos, cudaStream_t stream)    \
  {                                                                                           \
    KeyLayout kl = {(size_t)key_stride, (size_t)head_stride, NULL, keys, causal, first_pos};  \
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
