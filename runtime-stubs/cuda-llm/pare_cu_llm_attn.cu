/*
 * pare CUDA decoder kernels: split-context decode attention, tiled causal
 * prefill attention and next-token sampling on the GPU (issue 17; the entry
 * points pare_llm_decode_attention_* and pare_llm_sample_* of
 * pare_cu_llm.cuh).
 *
 * Decode attention (rows <= PARE_LLM_GEMV_ROWS, or any rows with KV-cache
 * slots: then every row is its own sequence in its own slot), flash-decoding:
 * block (split, kv head group, row) takes one chunk of the row's context for
 * up to kDecodeHeads q heads of one kv head, so K and V are read once for all
 * of them (GQA). The grid is fixed by max_context (a captured graph cannot
 * know the length); each block reads positions[row] (and slots[row]) and
 * derives the split count and chunk from it, and the blocks past the last
 * chunk exit at once. Within a block, LPK lanes share a key (16-byte loads of
 * K and V) and each lane group keeps an online softmax (max, sum, weighted
 * V); the groups merge by warp shuffles, the warps through shared memory. A
 * single split writes y directly (short contexts: one small launch);
 * otherwise each block stores its partial softmax in the workspace, and the
 * last block of its (row, group) to arrive (an atomic ticket in the
 * workspace, which that block puts back to zero, so graph replays find it
 * zero again) merges the partials into y. The workspace has a fixed part per
 * row (row_part), so calls of any row count find every ticket they use at
 * zero. Shapes without 16-byte rows (head_dim not a multiple of the pack,
 * unaligned pointers, or a slot stride that is not a multiple of 16 bytes)
 * go to pare_llm_attention, same semantics. Launched with programmatic
 * dependent launch (pare_cu_llm_device.cuh): every block waits for the
 * predecessor (pdl_wait) before it reads the position, the slot, q, the
 * cache or the workspace, so a block that exits early never completes the
 * grid ahead of it, and the tickets are touched only by blocks that have
 * waited.
 *
 * Prefill (more rows of one sequence, no slots): block (tile of query rows,
 * head) streams tiles of K and V through shared memory with an online
 * softmax per row (flash attention), up to the largest position of its rows.
 * Half with head_dim 32, 64 or 128 on sm_80+ runs on tensor cores (mma.sync,
 * float accumulators, prefill_mma_kernel; building with
 * -DPARE_LLM_ATTN_NO_MMA turns it off); everything else on CUDA cores in
 * float (prefill_attention_kernel: each warp owns a few rows, a lane a key
 * for the scores and head_dim / 32 output dims for P V).
 *
 * Sampling: one block of kSampleThreads over the logits. Greedy is one
 * argmax pass; temperature sampling finds the top-k and top-p cuts as
 * exact logit values by radix selection over the order-preserving bits of
 * the logits (top-p's masses in 2^-40 fixed point, so sums are exact and the
 * choice does not depend on the order of atomics) and draws with the
 * Gumbel-max trick, argmax of x / temperature - log(-log u) over the kept
 * logits, u from a counter-based hash of (seed, *step, id): see
 * pare_cu_llm.cuh for the exact definition. The sampling kernel is launched
 * with programmatic dependent launch too (it waits before reading anything).
 */
#include "pare_cu_llm.cuh"
#include "pare_cu_llm_device.cuh"

#include <math.h>

namespace {

using namespace pare_llm_device;

/* ------------------------------------------------------ decode attention -- */

constexpr int kDecodeWarps = 4;
constexpr int kDecodeHeads = 4; /* q heads of one kv head a block takes at most */
constexpr int kMinChunk = 32;   /* keys a split takes at least */
/* PARE_LLM_ATTN_MAX_SPLITS partial slots per (row, head): the last one's
 * worth of every row holds the row's tickets instead (see row_part). */
constexpr int kSplitSlots = PARE_LLM_ATTN_MAX_SPLITS - 1;
/* Blocks the splits aim at: enough 4-warp blocks to fill an H100's 132 SMs
 * (16 a SM) so that plenty of loads are in flight. */
constexpr int kTargetBlocks = 2048;
constexpr float kLog2e = 1.4426950408889634f;
static_assert(kDecodeWarps >= kDecodeHeads, "the last block's merge takes a warp a head");

struct DecodeArgs {
  const int32_t *positions;
  const int32_t *slots; /* NULL: every row in the caches as given */
  long long slot_stride;
  float *workspace;
  int heads, kv_heads, head_dim, max_context;
  int head_groups; /* blocks per kv head: ceil((heads / kv_heads) / QH) */
  int max_splits;
  float scale; /* scale * log2(e): the softmax runs in base 2 */
};

/* Row r's part of the workspace (PARE_LLM_ATTN_WORKSPACE_FLOATS_ROWS): the
 * partials of its heads, kSplitSlots per head of head_dim + 2 floats, at
 * (h * kSplitSlots + split) * (head_dim + 2); then its tickets, one unsigned
 * per (kv head, head group) (at most heads of them, in the heads * (head_dim
 * + 2) floats left). Fixed per row, whatever the call's row count. */
__device__ __forceinline__ float *row_part(const DecodeArgs &a, int r)
{
  return a.workspace + (size_t)r * a.heads * PARE_LLM_ATTN_MAX_SPLITS * (a.head_dim + 2);
}
__device__ __forceinline__ unsigned *row_tickets(const DecodeArgs &a, int r)
{
  return reinterpret_cast<unsigned *>(row_part(a, r) +
                                      (size_t)a.heads * kSplitSlots * (a.head_dim + 2));
}

/* Merges the softmax (mo, lo, acco) into (m, l, acc); -inf max: empty. */
template <int E>
__device__ __forceinline__ void merge_softmax(float &m, float &l, float (&acc)[E], float mo,
                                              float lo, const float (&acco)[E])
{
  float big = fmaxf(m, mo);
  float ca = m == -INFINITY ? 0.0f : exp2f(m - big);
  float cb = mo == -INFINITY ? 0.0f : exp2f(mo - big);
  l = l * ca + lo * cb;
#pragma unroll
  for (int e = 0; e < E; ++e)
    acc[e] = acc[e] * ca + acco[e] * cb;
  m = big;
}

/* The keys of split `split` of a row of len keys, [t_begin, t_end), and how
 * many splits have keys (the rest exit). */
struct SplitRange {
  int active, t_begin, t_end;
};
__device__ __forceinline__ SplitRange split_range(int len, int max_splits, int split)
{
  const int want = (len + kMinChunk - 1) / kMinChunk;
  const int splits = want < max_splits ? want : max_splits;
  const int chunk = (len + splits - 1) / splits;
  SplitRange sr;
  sr.active = (len + chunk - 1) / chunk;
  sr.t_begin = split * chunk;
  sr.t_end = min(len, sr.t_begin + chunk);
  return sr;
}

/* LPK lanes a key, P packs a lane: lane s of a group holds pack indices
 * p * LPK + s of a head row (E = P * N elements); QH q heads a block (1 for
 * plain multi-head attention, whose registers then hold one head). */
template <typename T, int LPK, int P, int QH>
__global__ void __launch_bounds__(kDecodeWarps *kWarp)
    decode_attention_kernel(const T *q, const T *k_cache, const T *v_cache, T *y, DecodeArgs a)
{
  constexpr int N = Pack<T>::N, E = P * N, KPW = kWarp / LPK, G = kDecodeWarps * KPW;
  static_assert(QH <= kDecodeHeads, "the last block's merge takes a warp a head");
  __shared__ float s_m[kDecodeWarps][QH], s_l[kDecodeWarps][QH];
  __shared__ float s_acc[kDecodeWarps][QH][LPK * E];
  __shared__ float s_w[QH][kSplitSlots];
  __shared__ int s_last;

#if defined(PARE_LLM_PDL_DEVICE)
  /* Launched early (PDL), the block asks L2 for its chunk of K and V while
   * the predecessor drains, at the position (and slot) the row has now: read
   * through L2 (ld.cg, nothing cached in L1) and used for these prefetches
   * only. A prefetch into L2, the point of coherence, changes no value any
   * thread reads; the results use the position and slot read again after
   * the wait. */
  {
    const int len0 = __ldcg(a.positions + blockIdx.z) + 1;
    const int slot0 = a.slots ? __ldcg(a.slots + blockIdx.z) : 0;
    if (len0 >= 1 && len0 <= a.max_context && slot0 >= 0) {
      const SplitRange s0 = split_range(len0, a.max_splits, (int)blockIdx.x);
      if ((int)blockIdx.x < s0.active) {
        const size_t at = (size_t)slot0 * a.slot_stride +
                          ((size_t)(blockIdx.y / a.head_groups) * a.max_context + s0.t_begin) *
                              a.head_dim;
        const size_t bytes = (size_t)(s0.t_end - s0.t_begin) * a.head_dim * sizeof(T);
        const char *kb = reinterpret_cast<const char *>(k_cache + at);
        const char *vb = reinterpret_cast<const char *>(v_cache + at);
        for (size_t off = (size_t)threadIdx.x * 128; off < bytes; off += blockDim.x * 128u) {
          asm volatile("prefetch.global.L2 [%0];" ::"l"(kb + off));
          asm volatile("prefetch.global.L2 [%0];" ::"l"(vb + off));
        }
      }
    }
  }
#endif
  /* Every block, before positions, q, the cache or the workspace (PDL). */
  pdl_wait();
  pdl_trigger();
  const int split = blockIdx.x, gy = blockIdx.y, r = blockIdx.z;
  const int g = gy / a.head_groups, hg = gy % a.head_groups;
  const int qpk = a.heads / a.kv_heads;
  const int h0 = g * qpk + hg * QH, nq = min(QH, qpk - hg * QH);
  const int hd = a.head_dim, npacks = hd / N;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int kgw = lane / LPK, sub = lane % LPK;

  /* q is loaded before the position is known: the two loads overlap. */
  float qf[QH][E], acc[QH][E], m[QH], l[QH];
#pragma unroll
  for (int i = 0; i < QH; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.0f;
#pragma unroll
    for (int p = 0; p < P; ++p) {
      int pi = p * LPK + sub;
      Pack<T> qp;
      if (i < nq && pi < npacks)
        qp = *reinterpret_cast<const Pack<T> *>(q + ((size_t)r * a.heads + h0 + i) * hd +
                                                (size_t)pi * N);
      else {
#pragma unroll
        for (int e = 0; e < N; ++e)
          qp.v[e] = from_f<T>(0.0f);
      }
#pragma unroll
      for (int e = 0; e < N; ++e) {
        qf[i][p * N + e] = to_f(qp.v[e]) * a.scale;
        acc[i][p * N + e] = 0.0f;
      }
    }
  }
  const int len = ld_dep(a.positions + r) + 1;
  const size_t cache_head =
      (size_t)slot_offset(a.slots, a.slot_stride, r) + (size_t)g * a.max_context * hd;
  const SplitRange sr = split_range(len, a.max_splits, split);
  const int active = sr.active;
  if (split >= active)
    return;
  const int t_begin = sr.t_begin, t_end = sr.t_end;

  /* Key t0 + kgw's K and V packs (zeros past the chunk). */
  auto load = [&](int t0, Pack<T>(&kp)[P], Pack<T>(&vp)[P]) {
    const int t = t0 + kgw;
#pragma unroll
    for (int p = 0; p < P; ++p) {
      int pi = p * LPK + sub;
      if (t < t_end && pi < npacks) {
        size_t at = cache_head + (size_t)t * hd + (size_t)pi * N;
        kp[p] = *reinterpret_cast<const Pack<T> *>(k_cache + at);
        vp[p] = *reinterpret_cast<const Pack<T> *>(v_cache + at);
      } else {
#pragma unroll
        for (int e = 0; e < N; ++e)
          kp[p].v[e] = vp[p].v[e] = from_f<T>(0.0f);
      }
    }
  };
  /* Warp-uniform trip count: every lane takes part in the shuffles. The next
   * key's loads are issued before this one's arithmetic (two in flight). */
  Pack<T> kp[P], vp[P];
  load(t_begin + warp * KPW, kp, vp);
  for (int t0 = t_begin + warp * KPW; t0 < t_end; t0 += G) {
    const bool valid = t0 + kgw < t_end;
    Pack<T> kn[P], vn[P];
    load(t0 + G, kn, vn);
#pragma unroll
    for (int i = 0; i < QH; ++i) {
      if (i >= nq)
        break;
      float s = 0.0f;
#pragma unroll
      for (int p = 0; p < P; ++p)
#pragma unroll
        for (int e = 0; e < N; ++e)
          s = fmaf(qf[i][p * N + e], to_f(kp[p].v[e]), s);
#pragma unroll
      for (int o = LPK / 2; o > 0; o >>= 1)
        s += __shfl_xor_sync(0xffffffffu, s, o);
      if (valid) {
        float big = fmaxf(m[i], s);
        float c = exp2f(m[i] - big), pr = exp2f(s - big);
        l[i] = l[i] * c + pr;
#pragma unroll
        for (int p = 0; p < P; ++p)
#pragma unroll
          for (int e = 0; e < N; ++e)
            acc[i][p * N + e] = acc[i][p * N + e] * c + pr * to_f(vp[p].v[e]);
        m[i] = big;
      }
    }
#pragma unroll
    for (int p = 0; p < P; ++p) {
      kp[p] = kn[p];
      vp[p] = vn[p];
    }
  }

  /* Merge the KPW lane groups of each warp, then the warps. */
#pragma unroll
  for (int i = 0; i < QH; ++i) {
    if (i >= nq)
      break;
#pragma unroll
    for (int o = LPK; o < kWarp; o <<= 1) {
      float mo = __shfl_xor_sync(0xffffffffu, m[i], o);
      float lo = __shfl_xor_sync(0xffffffffu, l[i], o);
      float ao[E];
#pragma unroll
      for (int e = 0; e < E; ++e)
        ao[e] = __shfl_xor_sync(0xffffffffu, acc[i][e], o);
      merge_softmax<E>(m[i], l[i], acc[i], mo, lo, ao);
    }
    if (lane < LPK) {
      if (lane == 0) {
        s_m[warp][i] = m[i];
        s_l[warp][i] = l[i];
      }
#pragma unroll
      for (int p = 0; p < P; ++p)
#pragma unroll
        for (int e = 0; e < N; ++e)
          s_acc[warp][i][(p * LPK + sub) * N + e] = acc[i][p * N + e];
    }
  }
  __syncthreads();

  /* The block's softmax per head: warp weights from the warps' maxima (the
   * block saw at least one key, so the largest is finite). */
  const int ld = hd + 2;
  float *part = row_part(a, r);
  for (int idx = threadIdx.x; idx < nq * hd; idx += blockDim.x) {
    int i = idx / hd, d = idx % hd;
    float big = -INFINITY;
    for (int w = 0; w < kDecodeWarps; ++w)
      big = fmaxf(big, s_m[w][i]);
    float sum = 0.0f, o = 0.0f;
    for (int w = 0; w < kDecodeWarps; ++w) {
      float wt = s_m[w][i] == -INFINITY ? 0.0f : exp2f(s_m[w][i] - big);
      sum += s_l[w][i] * wt;
      o += s_acc[w][i][d] * wt;
    }
    int h = h0 + i;
    if (active == 1) {
      y[((size_t)r * a.heads + h) * hd + d] = from_f<T>(o / sum);
    } else {
      float *pr = part + ((size_t)h * kSplitSlots + split) * ld;
      if (d == 0) {
        pr[0] = big;
        pr[1] = sum;
      }
      pr[2 + d] = o;
    }
  }
  if (active == 1)
    return;

  /* Last block of the (row, group) merges every split's partial. */
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned *ticket = row_tickets(a, r) + gy;
    unsigned seen = atomicAdd(ticket, 1u);
    s_last = seen == (unsigned)active - 1u;
    if (s_last)
      *ticket = 0u; /* every other block of the group has taken its ticket */
  }
  __syncthreads();
  if (!s_last)
    return;
  __threadfence();
  /* Warp i takes head i's split weights: e^(m_s - M), then 1 / sum. Lane l
   * holds splits l and l + 32, maxima and sums read in one go. */
  static_assert(kSplitSlots <= 2 * kWarp, "a lane holds two splits' partials");
  if (warp < nq) {
    const float *ph = part + (size_t)(h0 + warp) * kSplitSlots * ld;
    float ms[2], ls[2];
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int s = lane + j * kWarp;
      ms[j] = s < active ? __ldcg(ph + (size_t)s * ld) : -INFINITY;
      ls[j] = s < active ? __ldcg(ph + (size_t)s * ld + 1) : 0.0f;
    }
    const float big = warp_max(fmaxf(ms[0], ms[1]));
    float sum = 0.0f;
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int s = lane + j * kWarp;
      if (s < active) {
        float wt = exp2f(ms[j] - big);
        s_w[warp][s] = wt;
        sum += wt * ls[j];
      }
    }
    sum = warp_sum(sum);
    if (lane == 0)
      s_m[0][warp] = 1.0f / sum;
  }
  __syncthreads();
  for (int idx = threadIdx.x; idx < nq * hd; idx += blockDim.x) {
    int i = idx / hd, d = idx % hd;
    const float *ph = part + (size_t)(h0 + i) * kSplitSlots * ld + 2 + d;
    float o = 0.0f;
#pragma unroll 4
    for (int s = 0; s < active; ++s)
      o += __ldcg(ph + (size_t)s * ld) * s_w[i][s];
    y[((size_t)r * a.heads + h0 + i) * hd + d] = from_f<T>(o * s_m[0][i]);
  }
}

/* ----------------------------------------------------- prefill attention -- */

constexpr int kPrefillWarps = 4;

/* DPL * 32 >= head_dim dims a lane-row; RPW rows a warp; BK keys a tile. */
template <typename T, int DPL, int RPW, int BK>
__global__ void __launch_bounds__(kPrefillWarps *kWarp)
    prefill_attention_kernel(const T *q, const T *k_cache, const T *v_cache,
                             const int32_t *positions, T *y, int rows, int heads, int kv_heads,
                             int head_dim, int max_context, float scale)
{
  constexpr int HD = DPL * kWarp, BQ = kPrefillWarps * RPW;
  __shared__ float q_s[BQ][HD];
  __shared__ float k_s[BK][HD + 1]; /* + 1: lane j reads key j, column d */
  __shared__ float v_s[BK][HD];
  __shared__ int s_len;

  const int r0 = blockIdx.x * BQ, h = blockIdx.y, g = h / (heads / kv_heads);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const size_t cache_head = (size_t)g * max_context * head_dim;

  for (int i = warp; i < BQ; i += kPrefillWarps) {
    int r = r0 + i;
    for (int d = lane; d < HD; d += kWarp)
      q_s[i][d] = r < rows && d < head_dim
                      ? to_f(q[((size_t)r * heads + h) * head_dim + d]) * scale
                      : 0.0f;
  }
  if (threadIdx.x == 0) {
    int most = 0;
    for (int i = 0; i < BQ && r0 + i < rows; ++i)
      most = max(most, positions[r0 + i] + 1);
    s_len = most;
  }
  int len[RPW];
  float m[RPW], l[RPW], acc[RPW][DPL];
#pragma unroll
  for (int i = 0; i < RPW; ++i) {
    int r = r0 + warp * RPW + i;
    len[i] = r < rows ? positions[r] + 1 : 0;
    m[i] = -INFINITY;
    l[i] = 0.0f;
#pragma unroll
    for (int e = 0; e < DPL; ++e)
      acc[i][e] = 0.0f;
  }
  __syncthreads();
  const int most = s_len;

  for (int kt = 0; kt < most; kt += BK) {
    for (int j = warp; j < BK; j += kPrefillWarps) {
      int t = kt + j;
      const T *kr = k_cache + cache_head + (size_t)t * head_dim;
      const T *vr = v_cache + cache_head + (size_t)t * head_dim;
      for (int d = lane; d < HD; d += kWarp) {
        bool in = t < most && d < head_dim;
        k_s[j][d] = in ? to_f(kr[d]) : 0.0f;
        v_s[j][d] = in ? to_f(vr[d]) : 0.0f;
      }
    }
    __syncthreads();
    float s[RPW];
#pragma unroll
    for (int i = 0; i < RPW; ++i)
      s[i] = 0.0f;
    if (lane < BK) {
      for (int d = 0; d < HD; ++d) {
        float kd = k_s[lane][d];
#pragma unroll
        for (int i = 0; i < RPW; ++i)
          s[i] = fmaf(q_s[warp * RPW + i][d], kd, s[i]);
      }
    }
    float p[RPW];
#pragma unroll
    for (int i = 0; i < RPW; ++i) {
      bool valid = lane < BK && kt + lane < len[i];
      float sv = valid ? s[i] : -INFINITY;
      float big = fmaxf(m[i], warp_max(sv));
      if (big == -INFINITY) { /* the row sees none of these keys (nor any before) */
        p[i] = 0.0f;
        continue;
      }
      float c = exp2f(m[i] - big);
      p[i] = valid ? exp2f(sv - big) : 0.0f;
      l[i] = l[i] * c + warp_sum(p[i]);
#pragma unroll
      for (int e = 0; e < DPL; ++e)
        acc[i][e] *= c;
      m[i] = big;
    }
    for (int j = 0; j < BK; ++j) {
      float pj[RPW];
#pragma unroll
      for (int i = 0; i < RPW; ++i)
        pj[i] = __shfl_sync(0xffffffffu, p[i], j);
#pragma unroll
      for (int e = 0; e < DPL; ++e) {
        float vd = v_s[j][lane + e * kWarp];
#pragma unroll
        for (int i = 0; i < RPW; ++i)
          acc[i][e] = fmaf(pj[i], vd, acc[i][e]);
      }
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < RPW; ++i) {
    int r = r0 + warp * RPW + i;
    if (r >= rows)
      continue;
    float inv = 1.0f / l[i];
#pragma unroll
    for (int e = 0; e < DPL; ++e) {
      int d = lane + e * kWarp;
      if (d < head_dim)
        y[((size_t)r * heads + h) * head_dim + d] = from_f<T>(acc[i][e] * inv);
    }
  }
}

template <typename T, int DPL, int RPW, int BK>
void launch_prefill(const T *q, const T *kc, const T *vc, const int32_t *positions, T *y,
                    int rows, int heads, int kv_heads, int head_dim, int max_context,
                    float scale, cudaStream_t stream)
{
  constexpr int BQ = kPrefillWarps * RPW;
  dim3 grid((unsigned)((rows + BQ - 1) / BQ), (unsigned)heads);
  prefill_attention_kernel<T, DPL, RPW, BK><<<grid, kPrefillWarps * kWarp, 0, stream>>>(
      q, kc, vc, positions, y, rows, heads, kv_heads, head_dim, max_context, scale);
}

/* Prefill on tensor cores (half, head_dim HD in 32, 64, 128; sm_80+): block
 * (64 query rows, head), warp w its rows 16w..16w+15; 64-key tiles of K and V
 * in shared memory (rows padded by 8 halves: the fragment reads below hit 32
 * distinct banks). mma.sync m16n8k16 computes S = Q K^T (Q fragments in
 * registers for the whole block) and O += P V with float accumulators; P
 * goes from S's accumulator layout to an A operand in registers (lane l holds
 * rows l / 4 and l / 4 + 8, columns 2 (l % 4) + {0, 1} (+ 8) of each 16 x 16
 * piece), the online softmax rescales O's rows in place, and each row's sum
 * stays per lane until the end. */
constexpr int kMmaRows = 64, kMmaKeys = 64, kMmaPad = 8;
#ifdef PARE_LLM_ATTN_NO_MMA
constexpr bool kMmaEnabled = false;
#else
constexpr bool kMmaEnabled = true;
#endif

__device__ __forceinline__ void mma16816(float (&c)[4], const unsigned (&a)[4], unsigned b0,
                                         unsigned b1)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, "
      "{%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
  (void)c, (void)a, (void)b0, (void)b1;
  __trap(); /* the launch checks the device's compute capability */
#endif
}

__device__ __forceinline__ unsigned pack_half2(float lo, float hi)
{
  __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<unsigned *>(&h);
}

__device__ __forceinline__ unsigned pack_halves(__half lo, __half hi)
{
  __half2 h = __halves2half2(lo, hi);
  return *reinterpret_cast<unsigned *>(&h);
}

template <int HD>
__global__ void __launch_bounds__(kPrefillWarps *kWarp)
    prefill_mma_kernel(const __half *q, const __half *k_cache, const __half *v_cache,
                       const int32_t *positions, __half *y, int rows, int heads, int kv_heads,
                       int max_context, float scale)
{
  static_assert(kMmaRows == kPrefillWarps * 16, "a warp takes 16 rows");
  constexpr int LD = HD + kMmaPad, KS = HD / 16, NT = kMmaKeys / 8, OT = HD / 8;
  __shared__ __align__(16) __half k_s[kMmaKeys][LD];
  __shared__ __align__(16) __half v_s[kMmaKeys][LD];
  __shared__ int s_len[kMmaRows];

  const int r0 = blockIdx.x * kMmaRows, h = blockIdx.y, g = h / (heads / kv_heads);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int gr = lane / 4, tq = lane % 4; /* fragment row, column pair */
  const size_t cache_head = (size_t)g * max_context * HD;

  for (int i = threadIdx.x; i < kMmaRows; i += blockDim.x)
    s_len[i] = r0 + i < rows ? positions[r0 + i] + 1 : 0;
  __syncthreads();
  int most = 0;
  for (int i = 0; i < kMmaRows; ++i)
    most = max(most, s_len[i]);
  const int ra = warp * 16 + gr, rb = ra + 8; /* this lane's two rows in the block */
  const int len_a = s_len[ra], len_b = s_len[rb];
  int warp_most = 0;
  for (int i = 0; i < 16; ++i)
    warp_most = max(warp_most, s_len[warp * 16 + i]);

  /* Q fragments: rows ra / rb, columns 16 ks + 2 tq (+ 8); zero past the rows. */
  unsigned qa[KS][4];
  {
    const unsigned *qra = reinterpret_cast<const unsigned *>(
        q + ((size_t)(r0 + ra) * heads + h) * HD);
    const unsigned *qrb = reinterpret_cast<const unsigned *>(
        q + ((size_t)(r0 + rb) * heads + h) * HD);
    bool va = r0 + ra < rows, vb = r0 + rb < rows;
#pragma unroll
    for (int ks = 0; ks < KS; ++ks) {
      qa[ks][0] = va ? qra[ks * 8 + tq] : 0u;
      qa[ks][1] = vb ? qrb[ks * 8 + tq] : 0u;
      qa[ks][2] = va ? qra[ks * 8 + 4 + tq] : 0u;
      qa[ks][3] = vb ? qrb[ks * 8 + 4 + tq] : 0u;
    }
  }
  float o[OT][4];
#pragma unroll
  for (int n = 0; n < OT; ++n)
    o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
  float m_a = -INFINITY, m_b = -INFINITY, l_a = 0.0f, l_b = 0.0f;

  for (int kt = 0; kt < most; kt += kMmaKeys) {
    /* The tile, 16 bytes a load; keys past `most` are zeros (never NaN garbage). */
    constexpr int PR = HD / 8; /* packs a key */
    for (int idx = threadIdx.x; idx < kMmaKeys * PR; idx += blockDim.x) {
      int j = idx / PR, c = (idx % PR) * 8, t = kt + j;
      uint4 kv = make_uint4(0, 0, 0, 0), vv = make_uint4(0, 0, 0, 0);
      if (t < most) {
        kv = *reinterpret_cast<const uint4 *>(k_cache + cache_head + (size_t)t * HD + c);
        vv = *reinterpret_cast<const uint4 *>(v_cache + cache_head + (size_t)t * HD + c);
      }
      *reinterpret_cast<uint4 *>(&k_s[j][c]) = kv;
      *reinterpret_cast<uint4 *>(&v_s[j][c]) = vv;
    }
    __syncthreads();
    if (kt < warp_most) {
      /* S = Q K^T: 16 rows x 64 keys, 8 n-tiles of 8 keys. */
      float sc[NT][4];
#pragma unroll
      for (int n = 0; n < NT; ++n) {
        sc[n][0] = sc[n][1] = sc[n][2] = sc[n][3] = 0.0f;
#pragma unroll
        for (int ks = 0; ks < KS; ++ks) {
          unsigned b0 = *reinterpret_cast<const unsigned *>(&k_s[n * 8 + gr][ks * 16 + 2 * tq]);
          unsigned b1 =
              *reinterpret_cast<const unsigned *>(&k_s[n * 8 + gr][ks * 16 + 8 + 2 * tq]);
          mma16816(sc[n], qa[ks], b0, b1);
        }
      }
      /* Online softmax of rows ra (sc[n][0..1]) and rb (sc[n][2..3]). */
      float mx_a = -INFINITY, mx_b = -INFINITY;
#pragma unroll
      for (int n = 0; n < NT; ++n) {
        int key = kt + n * 8 + 2 * tq;
        sc[n][0] = key < len_a ? sc[n][0] * scale : -INFINITY;
        sc[n][1] = key + 1 < len_a ? sc[n][1] * scale : -INFINITY;
        sc[n][2] = key < len_b ? sc[n][2] * scale : -INFINITY;
        sc[n][3] = key + 1 < len_b ? sc[n][3] * scale : -INFINITY;
        mx_a = fmaxf(mx_a, fmaxf(sc[n][0], sc[n][1]));
        mx_b = fmaxf(mx_b, fmaxf(sc[n][2], sc[n][3]));
      }
#pragma unroll
      for (int off = 1; off < 4; off <<= 1) {
        mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, off));
        mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, off));
      }
      float new_a = fmaxf(m_a, mx_a), new_b = fmaxf(m_b, mx_b);
      /* A row that has seen no key yet keeps zeros (base 0 avoids inf - inf). */
      float base_a = new_a == -INFINITY ? 0.0f : new_a;
      float base_b = new_b == -INFINITY ? 0.0f : new_b;
      float ca = exp2f(m_a - base_a), cb = exp2f(m_b - base_b);
      m_a = new_a;
      m_b = new_b;
      l_a *= ca;
      l_b *= cb;
#pragma unroll
      for (int n = 0; n < OT; ++n) {
        o[n][0] *= ca;
        o[n][1] *= ca;
        o[n][2] *= cb;
        o[n][3] *= cb;
      }
      unsigned pa[NT / 2][4];
#pragma unroll
      for (int n = 0; n < NT; ++n) {
        float p0 = exp2f(sc[n][0] - base_a), p1 = exp2f(sc[n][1] - base_a);
        float p2 = exp2f(sc[n][2] - base_b), p3 = exp2f(sc[n][3] - base_b);
        l_a += p0 + p1;
        l_b += p2 + p3;
        /* n-tile 2kk is columns 0..7 of A slice kk, 2kk + 1 its columns 8..15. */
        pa[n / 2][(n % 2) * 2 + 0] = pack_half2(p0, p1);
        pa[n / 2][(n % 2) * 2 + 1] = pack_half2(p2, p3);
      }
      /* O += P V: k = keys (16 a slice), n = head dims (8 a tile). */
#pragma unroll
      for (int kk = 0; kk < NT / 2; ++kk) {
        const int k0 = kk * 16 + 2 * tq;
#pragma unroll
        for (int n = 0; n < OT; ++n) {
          const int d = n * 8 + gr;
          unsigned b0 = pack_halves(v_s[k0][d], v_s[k0 + 1][d]);
          unsigned b1 = pack_halves(v_s[k0 + 8][d], v_s[k0 + 9][d]);
          mma16816(o[n], pa[kk], b0, b1);
        }
      }
    }
    __syncthreads();
  }

  /* Row sums: the four lanes of a row each hold part of it. */
#pragma unroll
  for (int off = 1; off < 4; off <<= 1) {
    l_a += __shfl_xor_sync(0xffffffffu, l_a, off);
    l_b += __shfl_xor_sync(0xffffffffu, l_b, off);
  }
  const bool va = r0 + ra < rows, vb = r0 + rb < rows;
  const float ia = va ? 1.0f / l_a : 0.0f, ib = vb ? 1.0f / l_b : 0.0f;
  __half2 *ya = reinterpret_cast<__half2 *>(y + ((size_t)(r0 + ra) * heads + h) * HD);
  __half2 *yb = reinterpret_cast<__half2 *>(y + ((size_t)(r0 + rb) * heads + h) * HD);
#pragma unroll
  for (int n = 0; n < OT; ++n) {
    if (va)
      ya[n * 4 + tq] = __floats2half2_rn(o[n][0] * ia, o[n][1] * ia);
    if (vb)
      yb[n * 4 + tq] = __floats2half2_rn(o[n][2] * ib, o[n][3] * ib);
  }
}

/* Whether the current device runs mma.sync m16n8k16 (compute capability 8.0 or more). */
bool device_has_mma()
{
  int dev = 0, major = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess)
    return false;
  return major >= 8;
}

/* The f16 tensor-core path where it applies (else false: the CUDA-core kernel runs). */
bool launch_prefill_mma(const float *, const float *, const float *, const int32_t *, float *,
                        int, int, int, int, int, float, cudaStream_t)
{
  return false;
}
bool launch_prefill_mma(const __half *q, const __half *kc, const __half *vc,
                        const int32_t *positions, __half *y, int rows, int heads, int kv_heads,
                        int head_dim, int max_context, float scale, cudaStream_t stream)
{
  if (!kMmaEnabled || (head_dim != 32 && head_dim != 64 && head_dim != 128) || !aligned16(q) || !aligned16(kc) ||
      !aligned16(vc) || ((uintptr_t)y & 3u) || !device_has_mma())
    return false;
  dim3 grid((unsigned)((rows + kMmaRows - 1) / kMmaRows), (unsigned)heads);
  int threads = kPrefillWarps * kWarp;
  if (head_dim == 32)
    prefill_mma_kernel<32><<<grid, threads, 0, stream>>>(q, kc, vc, positions, y, rows, heads,
                                                         kv_heads, max_context, scale);
  else if (head_dim == 64)
    prefill_mma_kernel<64><<<grid, threads, 0, stream>>>(q, kc, vc, positions, y, rows, heads,
                                                         kv_heads, max_context, scale);
  else
    prefill_mma_kernel<128><<<grid, threads, 0, stream>>>(q, kc, vc, positions, y, rows, heads,
                                                          kv_heads, max_context, scale);
  return true;
}

/* The plain kernel of pare_cu_llm.cu for the shapes the split one does not take. */
cudaError_t plain_attention(const float *q, const float *kc, const float *vc,
                            const int32_t *positions, const int32_t *slots,
                            long long slot_stride, float *y, int rows, int heads, int kv_heads,
                            int head_dim, int max_context, float scale, cudaStream_t stream)
{
  return pare_llm_attention_f32(q, kc, vc, positions, slots, slot_stride, y, rows, heads,
                                kv_heads, head_dim, max_context, scale, stream);
}
cudaError_t plain_attention(const __half *q, const __half *kc, const __half *vc,
                            const int32_t *positions, const int32_t *slots,
                            long long slot_stride, __half *y, int rows, int heads, int kv_heads,
                            int head_dim, int max_context, float scale, cudaStream_t stream)
{
  return pare_llm_attention_f16(q, kc, vc, positions, slots, slot_stride, y, rows, heads,
                                kv_heads, head_dim, max_context, scale, stream);
}

/* The split kernel for `packs` 16-byte packs a head row: lanes a key, the
 * next power of two of the packs, 4 to 32. */
template <typename T, int QH>
cudaError_t launch_decode(const T *q, const T *kc, const T *vc, T *y, const DecodeArgs &a,
                          dim3 grid, int packs, cudaStream_t stream)
{
  const int threads = kDecodeWarps * kWarp;
  auto kernel = packs <= 4    ? decode_attention_kernel<T, 4, 1, QH>
                : packs <= 8  ? decode_attention_kernel<T, 8, 1, QH>
                : packs <= 16 ? decode_attention_kernel<T, 16, 1, QH>
                : packs <= 32 ? decode_attention_kernel<T, 32, 1, QH>
                              : decode_attention_kernel<T, 32, 2, QH>;
  return pdl_launch(kernel, grid, threads, 0, stream, q, kc, vc, y, a);
}

template <typename T>
cudaError_t decode_attention(const T *q, const T *kc, const T *vc, const int32_t *positions,
                             const int32_t *slots, long long slot_stride, T *y, int rows,
                             int heads, int kv_heads, int head_dim, int max_context, float scale,
                             float *workspace, cudaStream_t stream)
{
  if (rows <= 0)
    return cudaSuccess;
  if (head_dim <= 0 || head_dim > PARE_LLM_MAX_HEAD_DIM || kv_heads <= 0 || heads <= 0 ||
      heads % kv_heads || max_context <= 0 || (slots && rows > PARE_LLM_MAX_BATCH_ROWS))
    return cudaErrorInvalidValue;
  /* The tiled prefill kernels take rows of one sequence; rows in slots are
   * sequences of their own and run the split kernel whatever their count. */
  if (!slots && rows > PARE_LLM_GEMV_ROWS) {
    float s2 = scale * kLog2e;
    if (launch_prefill_mma(q, kc, vc, positions, y, rows, heads, kv_heads, head_dim,
                           max_context, s2, stream))
      return cudaGetLastError();
    if (head_dim <= 32)
      launch_prefill<T, 1, 4, 32>(q, kc, vc, positions, y, rows, heads, kv_heads, head_dim,
                                  max_context, s2, stream);
    else if (head_dim <= 64)
      launch_prefill<T, 2, 4, 32>(q, kc, vc, positions, y, rows, heads, kv_heads, head_dim,
                                  max_context, s2, stream);
    else if (head_dim <= 128)
      launch_prefill<T, 4, 4, 32>(q, kc, vc, positions, y, rows, heads, kv_heads, head_dim,
                                  max_context, s2, stream);
    else
      launch_prefill<T, 8, 2, 16>(q, kc, vc, positions, y, rows, heads, kv_heads, head_dim,
                                  max_context, s2, stream);
    return cudaGetLastError();
  }
  constexpr int N = Pack<T>::N;
  if (head_dim % N || !aligned16(q) || !aligned16(kc) || !aligned16(vc) ||
      (slots && (unsigned long long)slot_stride * sizeof(T) % 16))
    return plain_attention(q, kc, vc, positions, slots, slot_stride, y, rows, heads, kv_heads,
                           head_dim, max_context, scale, stream);
  if (!workspace)
    return cudaErrorInvalidValue;
  DecodeArgs a;
  a.positions = positions;
  a.slots = slots;
  a.slot_stride = slots ? slot_stride : 0;
  a.workspace = workspace;
  a.heads = heads;
  a.kv_heads = kv_heads;
  a.head_dim = head_dim;
  a.max_context = max_context;
  const int qh = heads == kv_heads ? 1 : kDecodeHeads;
  a.head_groups = (heads / kv_heads + qh - 1) / qh;
  a.scale = scale * kLog2e;
  int blocks_per_split = rows * kv_heads * a.head_groups;
  int by_len = (max_context + kMinChunk - 1) / kMinChunk;
  int by_fill = (kTargetBlocks + blocks_per_split - 1) / blocks_per_split;
  a.max_splits = by_len < by_fill ? by_len : by_fill;
  if (a.max_splits > kSplitSlots)
    a.max_splits = kSplitSlots;
  if (a.max_splits < 1)
    a.max_splits = 1;
  dim3 grid((unsigned)a.max_splits, (unsigned)blocks_per_split / rows, (unsigned)rows);
  const int packs = head_dim / N;
  if (qh == 1)
    return launch_decode<T, 1>(q, kc, vc, y, a, grid, packs, stream);
  return launch_decode<T, kDecodeHeads>(q, kc, vc, y, a, grid, packs, stream);
}

/* -------------------------------------------------------------- sampling -- */

constexpr int kSampleThreads = 1024;
constexpr int kSampleWarps = kSampleThreads / kWarp;
constexpr float kMassOne = 1099511627776.0f; /* 2^40: a probability's fixed-point unit */

__device__ __forceinline__ unsigned long long mix64(unsigned long long z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* The order-preserving bits of a float: a > b iff key(a) > key(b). */
__device__ __forceinline__ unsigned order_key(float v)
{
  unsigned u = __float_as_uint(v);
  return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

/* (value, id) of the larger; the lower id on ties. */
__device__ __forceinline__ void better(float &v, int &i, float vo, int io)
{
  if (vo > v || (vo == v && io < i)) {
    v = vo;
    i = io;
  }
}

/* Block argmax of (v, i); every thread gets the result. */
__device__ void block_argmax(float &v, int &i, float *s_v, int *s_i)
{
  int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1)
    better(v, i, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, i, o));
  if (lane == 0) {
    s_v[warp] = v;
    s_i[warp] = i;
  }
  __syncthreads();
  v = s_v[0];
  i = s_i[0];
  for (int w = 1; w < kSampleWarps; ++w)
    better(v, i, s_v[w], s_i[w]);
  __syncthreads();
}

/* Radix selection over the keys >= floor among x: after 4 passes of 8 bits,
 * the key of the largest value v such that the count (by_mass: the
 * fixed-point mass) of keys >= key(v) reaches `target`. by_mass also returns
 * the total mass of the keys >= floor in *total (pass 1). */
template <typename T, bool by_mass>
__device__ unsigned radix_select(const T *x, int vocab, unsigned floor, float big, float inv_t,
                                 unsigned long long target, float top_p,
                                 unsigned *s_cnt, unsigned long long *s_mass, unsigned *s_sel,
                                 unsigned long long *s_target)
{
  unsigned prefix = 0, pmask = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int b = threadIdx.x; b < 256; b += blockDim.x) {
      s_cnt[b] = 0;
      if (by_mass)
        s_mass[b] = 0;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
      float v = to_f(x[i]);
      unsigned key = order_key(v);
      if (key < floor || (key & pmask) != prefix)
        continue;
      unsigned b = (key >> shift) & 255u;
      atomicAdd(&s_cnt[b], 1u);
      if (by_mass)
        atomicAdd(&s_mass[b], (unsigned long long)__float2ull_rn(exp2f((v - big) * inv_t) *
                                                                  kMassOne));
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      if (by_mass && shift == 24) { /* the first pass sees every kept key */
        unsigned long long total = 0;
        for (int b = 0; b < 256; ++b)
          total += s_mass[b];
        double want = ceil((double)top_p * (double)total);
        target = (unsigned long long)want;
      } else if (shift != 24) {
        target = *s_target;
      }
      unsigned sel = 256;
      unsigned long long above = 0;
      for (int b = 255; b >= 0; --b) {
        if (!s_cnt[b])
          continue;
        unsigned long long have = by_mass ? s_mass[b] : s_cnt[b];
        sel = (unsigned)b;
        if (above + have >= target)
          break;
        above += have; /* the lowest non-empty bin is taken if none reaches */
      }
      *s_sel = prefix | (sel << shift);
      *s_target = target > above ? target - above : 0;
    }
    __syncthreads();
    prefix = *s_sel;
    pmask |= 255u << shift;
    __syncthreads();
  }
  return prefix;
}

template <typename T>
__global__ void __launch_bounds__(kSampleThreads)
    sample_kernel(const T *x, int vocab, float temperature, int top_k, float top_p,
                  unsigned long long seed, unsigned long long *step, int32_t *out)
{
  __shared__ float s_v[kSampleWarps];
  __shared__ int s_i[kSampleWarps];
  __shared__ unsigned s_cnt[256];
  __shared__ unsigned long long s_mass[256];
  __shared__ unsigned s_sel;
  __shared__ unsigned long long s_target;

  pdl_wait();
  pdl_trigger();
  const unsigned long long draw = *step;
  float best = -INFINITY;
  int id = vocab;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x)
    better(best, id, to_f(x[i]), i);
  block_argmax(best, id, s_v, s_i);
  const bool greedy = !(temperature > 0.0f) || top_k == 1;
  if (greedy || best == -INFINITY || !(best == best)) {
    if (threadIdx.x == 0) {
      *out = id < vocab ? id : 0;
      *step = draw + 1;
    }
    return;
  }
  const float inv_t = kLog2e / temperature; /* exp2f((v - best) * inv_t) = e^((v - best) / T) */
  unsigned floor = 0;
  if (top_k > 0 && top_k < vocab)
    floor = radix_select<T, false>(x, vocab, 0, best, inv_t, (unsigned long long)top_k, 1.0f,
                                   s_cnt, s_mass, &s_sel, &s_target);
  if (top_p < 1.0f)
    floor = radix_select<T, true>(x, vocab, floor, best, inv_t, 0, top_p > 0.0f ? top_p : 0.0f,
                                  s_cnt, s_mass, &s_sel, &s_target);

  /* Gumbel-max over the kept ids: argmax of x / T - log(-log u). */
  const unsigned long long stream = mix64(mix64(seed) ^ (draw * 0x9E3779B97F4A7C15ull));
  float g = -INFINITY;
  int gid = vocab;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    float v = to_f(x[i]);
    if (order_key(v) < floor)
      continue;
    unsigned long long bits = mix64(stream + (unsigned long long)i * 0xD1B54A32D192ED03ull);
    /* 23 bits: (2^23 - 1) + 0.5 is still exact in float, so u < 1 and -log(-log u) finite. */
    float u = ((float)(bits >> 41) + 0.5f) * (1.0f / 8388608.0f);
    better(g, gid, (v - best) / temperature - logf(-logf(u)), i);
  }
  block_argmax(g, gid, s_v, s_i);
  if (threadIdx.x == 0) {
    *out = gid < vocab ? gid : id;
    *step = draw + 1;
  }
}

template <typename T>
cudaError_t sample(const T *x, int vocab, float temperature, int top_k, float top_p,
                   unsigned long long seed, unsigned long long *step, int32_t *out,
                   cudaStream_t stream)
{
  if (vocab <= 0 || top_k < 0 || !x || !step || !out)
    return cudaErrorInvalidValue;
  return pdl_launch(sample_kernel<T>, 1, kSampleThreads, 0, stream, x, vocab, temperature, top_k,
                    top_p, seed, step, out);
}

} // namespace

#define PARE_LLM_DEFINE_ATTN(SUF, T)                                                          \
  cudaError_t pare_llm_decode_attention_##SUF(                                                \
      const T *q, const T *k_cache, const T *v_cache, const int32_t *positions,               \
      const int32_t *slots, long long slot_stride, T *y, int rows, int heads, int kv_heads,   \
      int head_dim, int max_context, float scale, float *workspace, cudaStream_t stream)      \
  {                                                                                           \
    return decode_attention<T>(q, k_cache, v_cache, positions, slots, slot_stride, y, rows,   \
                               heads, kv_heads, head_dim, max_context, scale, workspace,      \
                               stream);                                                       \
  }                                                                                           \
  cudaError_t pare_llm_sample_##SUF(const T *x, int vocab, float temperature, int top_k,      \
                                    float top_p, unsigned long long seed,                     \
                                    unsigned long long *step, int32_t *out, void *workspace,  \
                                    cudaStream_t stream)                                      \
  {                                                                                           \
    (void)workspace; /* one block: the scratch lives in shared memory */                      \
    return sample<T>(x, vocab, temperature, top_k, top_p, seed, step, out, stream);           \
  }

PARE_LLM_DEFINE_ATTN(f32, float)
PARE_LLM_DEFINE_ATTN(f16, pare_half)
