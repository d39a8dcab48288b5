/*
 * pare runtime kernels for transformer decoders (float32); see pare_llm.h.
 * Straightforward loops: the decode step's speed is the next issue's; these
 * fix the semantics every faster kernel is checked against.
 */
#if defined(PARE_LLM_THREADS) && PARE_LLM_THREADS > 1
/* pthreads under -std=c99. */
#define _POSIX_C_SOURCE 200112L
#endif

#include "pare_llm.h"

#include <math.h>
#include <string.h>

#if defined(PARE_LLM_THREADS) && PARE_LLM_THREADS > 1
#include <pthread.h>
#endif

void pare_embed_f32(const float *table, const int32_t *ids, float *y, int32_t rows,
                    int32_t features)
{
  int32_t r;
  for (r = 0; r < rows; ++r)
    memcpy(y + (size_t)r * (size_t)features, table + (size_t)ids[r] * (size_t)features,
           (size_t)features * sizeof(float));
}

void pare_rms_norm_f32(const float *x, const float *w, float *y, int32_t rows, int32_t features,
                       float eps)
{
  int32_t r, f;
  for (r = 0; r < rows; ++r) {
    const float *xr = x + (size_t)r * (size_t)features;
    float *yr = y + (size_t)r * (size_t)features;
    float sum = 0.0f, inv;
    for (f = 0; f < features; ++f)
      sum += xr[f] * xr[f];
    inv = 1.0f / sqrtf(sum / (float)features + eps);
    for (f = 0; f < features; ++f)
      yr[f] = xr[f] * inv * w[f];
  }
}

/* The dot products: 16 independent partial sums (lanes; one or two SIMD
 * registers, so a compiler vectorises the lane loop without reassociating any
 * sum), each a chain of fused multiply-adds where the target has them
 * (FP_FAST_FMAF: gcc / clang -mfma, -march=native on x86-64, every AArch64),
 * a multiply and an add elsewhere; the lanes are added pairwise at the end,
 * then the sum of the k % 16 last products. The order depends only on k, never
 * on the number of rows or on which outputs share a block, so a prefill row
 * equals the decode of that row bit for bit. */
#define PARE_LLM_LANES 16
#ifdef FP_FAST_FMAF
#define PARE_LLM_FMA(a, b, c) fmaf((a), (b), (c))
#else
#define PARE_LLM_FMA(a, b, c) ((a) * (b) + (c))
#endif

static float pare_llm_reduce(float *acc, float tail)
{
  int32_t i;
  for (i = 0; i < 8; ++i)
    acc[i] += acc[i + 8];
  for (i = 0; i < 4; ++i)
    acc[i] += acc[i + 4];
  acc[0] += acc[2];
  acc[1] += acc[3];
  return (acc[0] + acc[1]) + tail;
}

/* sum_i a[i] * b[i] in the order above. */
static float pare_llm_dot(const float *a, const float *b, int32_t k)
{
  float acc[PARE_LLM_LANES] = {0.0f};
  float tail = 0.0f;
  int32_t i, j;
  for (i = 0; i + PARE_LLM_LANES <= k; i += PARE_LLM_LANES)
    for (j = 0; j < PARE_LLM_LANES; ++j)
      acc[j] = PARE_LLM_FMA(a[i + j], b[i + j], acc[j]);
  for (; i < k; ++i)
    tail = PARE_LLM_FMA(a[i], b[i], tail);
  return pare_llm_reduce(acc, tail);
}

/* Four dot products of x with the weight rows w, w + k, w + 2k, w + 3k, each
 * in pare_llm_dot's order: one load of x serves four rows of weights, and the
 * eight independent accumulator registers (AVX2) hide the FMA latency. */
static void pare_llm_dot4(const float *x, const float *w, int32_t k, float *out)
{
  const float *w0 = w, *w1 = w + k, *w2 = w + 2 * (size_t)k, *w3 = w + 3 * (size_t)k;
  float a0[PARE_LLM_LANES] = {0.0f}, a1[PARE_LLM_LANES] = {0.0f};
  float a2[PARE_LLM_LANES] = {0.0f}, a3[PARE_LLM_LANES] = {0.0f};
  float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
  int32_t i, j;
  for (i = 0; i + PARE_LLM_LANES <= k; i += PARE_LLM_LANES)
    for (j = 0; j < PARE_LLM_LANES; ++j) {
      float xv = x[i + j];
      a0[j] = PARE_LLM_FMA(xv, w0[i + j], a0[j]);
      a1[j] = PARE_LLM_FMA(xv, w1[i + j], a1[j]);
      a2[j] = PARE_LLM_FMA(xv, w2[i + j], a2[j]);
      a3[j] = PARE_LLM_FMA(xv, w3[i + j], a3[j]);
    }
  for (; i < k; ++i) {
    t0 = PARE_LLM_FMA(x[i], w0[i], t0);
    t1 = PARE_LLM_FMA(x[i], w1[i], t1);
    t2 = PARE_LLM_FMA(x[i], w2[i], t2);
    t3 = PARE_LLM_FMA(x[i], w3[i], t3);
  }
  out[0] = pare_llm_reduce(a0, t0);
  out[1] = pare_llm_reduce(a1, t1);
  out[2] = pare_llm_reduce(a2, t2);
  out[3] = pare_llm_reduce(a3, t3);
}

/* Outputs o0 .. o1 - 1 of every row. Blocks of four outputs; within a block
 * every row of the chunk, so the block's weights (4k floats, 9 KB for k =
 * 576) stay in L1 while the rows stream through it: each weight is read from
 * memory once per call, the x row (k floats) once per block from L1 / L2. */
static void pare_llm_matmul_range(const float *x, const float *w, float *y, int32_t rows,
                                  int32_t k, int32_t outs, int32_t o0, int32_t o1,
                                  pare_act_t act, float act_a, float act_b)
{
  int32_t o = o0, r, c;
  float d[4];
  for (; o + 4 <= o1; o += 4)
    for (r = 0; r < rows; ++r) {
      float *yr = y + (size_t)r * (size_t)outs + (size_t)o;
      pare_llm_dot4(x + (size_t)r * (size_t)k, w + (size_t)o * (size_t)k, k, d);
      for (c = 0; c < 4; ++c)
        yr[c] = pare_activation(d[c], act, act_a, act_b);
    }
  for (; o < o1; ++o)
    for (r = 0; r < rows; ++r)
      y[(size_t)r * (size_t)outs + (size_t)o] = pare_activation(
          pare_llm_dot(x + (size_t)r * (size_t)k, w + (size_t)o * (size_t)k, k), act, act_a, act_b);
}

#if defined(PARE_LLM_THREADS) && PARE_LLM_THREADS > 1
/* Threads only when the user builds with -DPARE_LLM_THREADS=N (N > 1) and
 * -pthread: N - 1 workers, started on the first large matmul and kept
 * waiting on a condition variable, each computing a contiguous range of
 * four-output blocks (the caller computes the first range). The split never
 * changes a sum's order, so the results are those of one thread bit for bit.
 * One matmul at a time: the decoder's step runs its kernels in order. */
#define PARE_LLM_MIN_PARALLEL_MACS 32768

static pthread_mutex_t pare_llm_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pare_llm_start = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pare_llm_done = PTHREAD_COND_INITIALIZER;
/* The job, written under pare_llm_lock before the generation moves on. */
static struct {
  int32_t workers, pending;
  unsigned long generation;
  const float *x, *w;
  float *y;
  int32_t rows, k, outs;
  pare_act_t act;
  float act_a, act_b;
} pare_llm_pool;

/* Outputs [o0, o1) of part t of PARE_LLM_THREADS: whole blocks of four. */
static void pare_llm_part(int32_t t, int32_t outs, int32_t *o0, int32_t *o1)
{
  int64_t blocks = ((int64_t)outs + 3) / 4;
  int64_t a = 4 * (blocks * t / PARE_LLM_THREADS), b = 4 * (blocks * (t + 1) / PARE_LLM_THREADS);
  *o0 = (int32_t)(a < outs ? a : outs);
  *o1 = (int32_t)(b < outs ? b : outs);
}

static void *pare_llm_worker(void *arg)
{
  int32_t t = (int32_t)(intptr_t)arg, o0, o1;
  unsigned long seen = 0;
  pthread_mutex_lock(&pare_llm_lock);
  for (;;) {
    while (pare_llm_pool.generation == seen)
      pthread_cond_wait(&pare_llm_start, &pare_llm_lock);
    seen = pare_llm_pool.generation;
    pthread_mutex_unlock(&pare_llm_lock);
    pare_llm_part(t, pare_llm_pool.outs, &o0, &o1);
    pare_llm_matmul_range(pare_llm_pool.x, pare_llm_pool.w, pare_llm_pool.y, pare_llm_pool.rows,
                          pare_llm_pool.k, pare_llm_pool.outs, o0, o1, pare_llm_pool.act,
                          pare_llm_pool.act_a, pare_llm_pool.act_b);
    pthread_mutex_lock(&pare_llm_lock);
    if (--pare_llm_pool.pending == 0)
      pthread_cond_signal(&pare_llm_done);
  }
  return NULL;
}

/* Starts the workers once; 0 when none could be started (then one thread). */
static int32_t pare_llm_start_workers(void)
{
  static int tried = 0;
  if (!tried) {
    pthread_attr_t attr;
    pthread_t tid;
    int32_t t;
    tried = 1;
    if (pthread_attr_init(&attr) != 0)
      return 0;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* Workers are numbered 1 .. in creation order: a failed start leaves
       fewer parts to the caller, never a gap. */
    for (t = 1; t < PARE_LLM_THREADS; ++t) {
      if (pthread_create(&tid, &attr, pare_llm_worker, (void *)(intptr_t)t) != 0)
        break;
      pare_llm_pool.workers = t;
    }
    pthread_attr_destroy(&attr);
  }
  return pare_llm_pool.workers;
}
#endif

void pare_matmul_nt_f32(const float *x, const float *w, float *y, int32_t rows, int32_t k,
                        int32_t outs, pare_act_t act, float act_a, float act_b)
{
#if defined(PARE_LLM_THREADS) && PARE_LLM_THREADS > 1
  if ((int64_t)rows * k * outs >= PARE_LLM_MIN_PARALLEL_MACS * (int64_t)PARE_LLM_THREADS &&
      pare_llm_start_workers() == PARE_LLM_THREADS - 1) {
    int32_t o0, o1;
    pthread_mutex_lock(&pare_llm_lock);
    pare_llm_pool.x = x;
    pare_llm_pool.w = w;
    pare_llm_pool.y = y;
    pare_llm_pool.rows = rows;
    pare_llm_pool.k = k;
    pare_llm_pool.outs = outs;
    pare_llm_pool.act = act;
    pare_llm_pool.act_a = act_a;
    pare_llm_pool.act_b = act_b;
    pare_llm_pool.pending = PARE_LLM_THREADS - 1;
    ++pare_llm_pool.generation;
    pthread_cond_broadcast(&pare_llm_start);
    pthread_mutex_unlock(&pare_llm_lock);
    pare_llm_part(0, outs, &o0, &o1);
    pare_llm_matmul_range(x, w, y, rows, k, outs, o0, o1, act, act_a, act_b);
    pthread_mutex_lock(&pare_llm_lock);
    while (pare_llm_pool.pending > 0)
      pthread_cond_wait(&pare_llm_done, &pare_llm_lock);
    pthread_mutex_unlock(&pare_llm_lock);
    return;
  }
#endif
  pare_llm_matmul_range(x, w, y, rows, k, outs, 0, outs, act, act_a, act_b);
}

void pare_rotary_f32(const float *x, float *y, const int64_t *positions, int32_t rows,
                     int32_t heads, int32_t head_dim, const float *inv_freq, int32_t n_freq,
                     int interleaved)
{
  int32_t r, h, i, d;
  int32_t width = heads * head_dim;
  for (r = 0; r < rows; ++r) {
    float pos = (float)positions[r];
    const float *xr = x + (size_t)r * (size_t)width;
    float *yr = y + (size_t)r * (size_t)width;
    /* One cosf / sinf per frequency and row, shared by every head. */
    for (i = 0; i < n_freq; ++i) {
      float angle = pos * inv_freq[i];
      float c = cosf(angle), s = sinf(angle);
      int32_t ia = interleaved ? 2 * i : i;
      int32_t ib = interleaved ? 2 * i + 1 : i + n_freq;
      for (h = 0; h < heads; ++h) {
        size_t at = (size_t)h * (size_t)head_dim;
        float a = xr[at + (size_t)ia], b = xr[at + (size_t)ib];
        yr[at + (size_t)ia] = a * c - b * s;
        yr[at + (size_t)ib] = b * c + a * s;
      }
    }
    if (yr != xr)
      for (h = 0; h < heads; ++h)
        for (d = 2 * n_freq; d < head_dim; ++d)
          yr[(size_t)h * (size_t)head_dim + (size_t)d] = xr[(size_t)h * (size_t)head_dim + (size_t)d];
  }
}

void pare_attention_f32(const float *q, const float *k, const float *v, float *out, int32_t rows,
                        int32_t keys, int64_t row_stride, int64_t head_stride, int32_t heads,
                        int32_t kv_heads, int32_t head_dim, float scale, int causal,
                        int32_t first_pos, float *scratch)
{
  int32_t r, h, t, d;
  int32_t group = heads / kv_heads;
  int32_t width = heads * head_dim;
  for (r = 0; r < rows; ++r) {
    int32_t seen = keys;
    if (causal && first_pos + r + 1 < seen)
      seen = first_pos + r + 1;
    for (h = 0; h < heads; ++h) {
      const float *qh = q + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim;
      float *oh = out + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim;
      const float *kg = k + (size_t)(h / group) * (size_t)head_stride;
      const float *vg = v + (size_t)(h / group) * (size_t)head_stride;
      float max = -INFINITY, sum = 0.0f, inv;
      for (t = 0; t < seen; ++t) {
        float s = scale * pare_llm_dot(qh, kg + (size_t)t * (size_t)row_stride, head_dim);
        scratch[t] = s;
        if (s > max)
          max = s;
      }
      for (d = 0; d < head_dim; ++d)
        oh[d] = 0.0f;
      for (t = 0; t < seen; ++t) {
        const float *vt = vg + (size_t)t * (size_t)row_stride;
        float p = expf(scratch[t] - max);
        sum += p;
        for (d = 0; d < head_dim; ++d)
          oh[d] += p * vt[d];
      }
      /* A row that sees no key (only possible with keys == 0) stays zero. */
      inv = sum > 0.0f ? 1.0f / sum : 0.0f;
      for (d = 0; d < head_dim; ++d)
        oh[d] *= inv;
    }
  }
}

void pare_kv_store_f32(const float *k, const float *v, float *k_cache, float *v_cache,
                       int32_t rows, int32_t kv_heads, int32_t head_dim, int32_t max_context,
                       int32_t first_pos)
{
  int32_t r, g;
  size_t bytes = (size_t)head_dim * sizeof(float);
  for (r = 0; r < rows; ++r)
    for (g = 0; g < kv_heads; ++g) {
      size_t src = ((size_t)r * (size_t)kv_heads + (size_t)g) * (size_t)head_dim;
      size_t dst = ((size_t)g * (size_t)max_context + (size_t)(first_pos + r)) * (size_t)head_dim;
      memcpy(k_cache + dst, k + src, bytes);
      memcpy(v_cache + dst, v + src, bytes);
    }
}
