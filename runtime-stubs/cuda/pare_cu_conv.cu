/*
 * pare CUDA runtime: 2-D convolution (NHWC activations, OHWI weights).
 *
 *  - pare_cu_conv2d_*: implicit GEMM per group, M = n*oh*ow output pixels,
 *    N = oc/group channels, K = kh*kw*ic/group (pare_cu_conv_gemm_impl.cuh).
 *    Half runs on tensor cores; with ic/group a multiple of 8 and 16-byte
 *    aligned tensors every im2col row chunk is one 16-byte cp.async (zero-filled
 *    in the padding), otherwise elements are gathered one by one. Float runs
 *    on the tiled SIMT kernel.
 *  - pare_cu_depthwise_conv2d_*: direct convolution, one thread per output
 *    pixel and run of V channels (V = 16 bytes when c and the pointers allow),
 *    weights [kh][kw][c] read as vectors alongside.
 */
#include "pare_cu_conv_gemm_impl.cuh"
#include "pare_cu_gemm_sm90.cuh"

namespace {

/* GEMM description of a grouped convolution (see PcgGemm). */
template <class T>
PcgGemm<T> conv_problem(const T *x, int n, int ih, int iw, int ic, const T *w,
                        const T *bias, const T *residual, T *y, int oh, int ow, int oc,
                        int kh, int kw, int stride_h, int stride_w, int dil_h, int dil_w,
                        int pad_top, int pad_left, int group, pare_act_t act, float act_a,
                        float act_b)
{
  PcgGemm<T> p = {};
  const int icg = ic / group, ocg = oc / group;
  p.M = n * oh * ow;
  p.N = ocg;
  p.K = kh * kw * icg;
  p.a = x; p.a_rs = 0; p.a_cs = 1; p.a_zs = icg;
  p.b = w; p.b_rs = 1; p.b_cs = p.K; p.b_zs = (long long)ocg * p.K;
  p.ih = ih; p.iw = iw; p.ic = ic; p.oh = oh; p.ow = ow; p.kw = kw; p.icg = icg;
  p.sh = stride_h; p.sw = stride_w; p.dh = dil_h; p.dw = dil_w;
  p.pt = pad_top; p.pl = pad_left;
  p.y = y; p.res = residual; p.y_rs = oc; p.y_zs = ocg;
  p.c = bias; p.c_rs = 0; p.c_cs = 1; p.c_zs = ocg;
  p.alpha = 1.0f; p.beta = 1.0f;
  p.act = act; p.act_a = act_a; p.act_b = act_b;
  p.vec_out = oc % 8 == 0 && ocg % 8 == 0 && pcg_aligned(y, 16) && pcg_aligned(residual, 16);
  return p;
}

/* Depthwise convolution, V channels per thread; total = n*oh*ow*(c/V). */
template <class T, int V>
__global__ void __launch_bounds__(256)
    depthwise_kernel(const T *__restrict__ x, int ih, int iw, int c, const T *__restrict__ w,
                     const T *__restrict__ bias, const T *__restrict__ residual,
                     T *__restrict__ y, int oh, int ow, int kh, int kw, int sh, int sw,
                     int dh, int dw, int pt, int pl, pare_act_t act, float act_a,
                     float act_b, long long total)
{
  const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= total) return;
  const int cv = c / V;
  const int ch = (int)(idx % cv) * V;
  const long long pix = idx / cv;
  const int ox = (int)(pix % ow), oy = (int)(pix / ow % oh), img = (int)(pix / ((long long)ow * oh));

  float acc[V];
  if (bias) {
    pcg_ldv<V>(bias + ch, acc);
  } else {
#pragma unroll
    for (int v = 0; v < V; v++) acc[v] = 0.0f;
  }
  const T *xi = x + (long long)img * ih * iw * c + ch;
  for (int r = 0; r < kh; r++) {
    const int iy = oy * sh - pt + r * dh;
    if (iy < 0 || iy >= ih) continue;
    for (int s = 0; s < kw; s++) {
      const int ix = ox * sw - pl + s * dw;
      if (ix < 0 || ix >= iw) continue;
      float xv[V], wv[V];
      pcg_ldv<V>(xi + ((long long)iy * iw + ix) * c, xv);
      pcg_ldv<V>(w + (r * kw + s) * c + ch, wv);
#pragma unroll
      for (int v = 0; v < V; v++) acc[v] = fmaf(xv[v], wv[v], acc[v]);
    }
  }
  const long long yo = pix * c + ch;
  if (residual) {
    float rv[V];
    pcg_ldv<V>(residual + yo, rv);
#pragma unroll
    for (int v = 0; v < V; v++) acc[v] += rv[v];
  }
#pragma unroll
  for (int v = 0; v < V; v++) acc[v] = act_f(acc[v], act, act_a, act_b);
  pcg_stv<V>(y + yo, acc);
}

template <class T, int V>
cudaError_t depthwise_launch(const T *x, int n, int ih, int iw, int c, const T *w,
                             const T *bias, const T *residual, T *y, int oh, int ow, int kh,
                             int kw, int sh, int sw, int dh, int dw, int pt, int pl,
                             pare_act_t act, float act_a, float act_b, cudaStream_t stream)
{
  const long long total = (long long)n * oh * ow * (c / V);
  if (total == 0) return cudaGetLastError();
  const unsigned blocks = (unsigned)((total + 255) / 256);
  depthwise_kernel<T, V><<<blocks, 256, 0, stream>>>(x, ih, iw, c, w, bias, residual, y, oh,
                                                      ow, kh, kw, sh, sw, dh, dw, pt, pl, act,
                                                      act_a, act_b, total);
  return cudaGetLastError();
}

/* Widest vector of V channels (V * sizeof(T) <= 16 bytes) that c and every
 * pointer allow. */
template <class T>
int depthwise_width(int c, const T *x, const T *w, const T *bias, const T *residual,
                    const T *y)
{
  for (int v = 16 / (int)sizeof(T); v > 1; v /= 2) {
    const size_t bytes = v * sizeof(T);
    if (c % v == 0 && pcg_aligned(x, bytes) && pcg_aligned(w, bytes) &&
        pcg_aligned(bias, bytes) && pcg_aligned(residual, bytes) && pcg_aligned(y, bytes))
      return v;
  }
  return 1;
}

#if defined(PARE_CU_SM90A)
/* Hopper kernel (pare_cu_gemm_sm90.cuh). */
/* Convolution (one group): B = OHWI weights [oc][K]. 16-byte aligned
 * channels and K: B by TMA, A by cp.async; otherwise both element by element
 * (a first layer's 3 channels). */
inline bool pcw_conv(const PcgGemm<__half> &p, int group, cudaStream_t stream, cudaError_t *err)
{
  if (group != 1 || !pcw_worth_it(p.M, p.N, p.K) || !pcw_device_ok()) return false;
  const int bn = pcw_pick_bn(p.M, p.N, p.K);
  if (bn == 0) return false;
  CUtensorMap tb;
  if (p.icg % 8 == 0 && p.K % 8 == 0 && pcg_aligned(p.a, 16)) {
    /* 64 or fewer output channels over a deep K: the portable kernel's
     * 128x64 tiles ran faster on an H200 (ResNet-18's 3x3 64->64 layers at
     * batch 64: 0.161 against 0.203 ms; docs/benchmarks.md). */
    if (bn == 64 && p.K > 4 * PCW_BK) return false;
    if (!pcw_map(&tb, p.b, p.K, p.N, p.K, bn)) return false;
    return pcw_run<PCW_A_CONV>(p, bn, tb, tb, stream, err);
  }
  memset(&tb, 0, sizeof tb); /* unused */
  return pcw_run<PCW_A_CONV_ELEM>(p, bn, tb, tb, stream, err);
}
#endif

} // namespace

cudaError_t pare_cu_conv2d_f32(const float *x, int n, int ih, int iw, int ic, const float *w,
                               const float *bias, const float *residual, float *y, int oh,
                               int ow, int oc, int kh, int kw, int stride_h, int stride_w,
                               int dil_h, int dil_w, int pad_top, int pad_left, int group,
                               pare_act_t act, float act_a, float act_b, cudaStream_t stream)
{
  const PcgGemm<float> p =
      conv_problem(x, n, ih, iw, ic, w, bias, residual, y, oh, ow, oc, kh, kw, stride_h,
                   stride_w, dil_h, dil_w, pad_top, pad_left, group, act, act_a, act_b);
  if (p.M == 0 || p.N == 0) return cudaGetLastError();
  return pcg_simt_dispatch<PCG_A_CONV>(p, group, stream);
}

cudaError_t pare_cu_conv2d_f16(const pare_half *x, int n, int ih, int iw, int ic,
                               const pare_half *w, const pare_half *bias,
                               const pare_half *residual, pare_half *y, int oh, int ow, int oc,
                               int kh, int kw, int stride_h, int stride_w, int dil_h, int dil_w,
                               int pad_top, int pad_left, int group, pare_act_t act,
                               float act_a, float act_b, cudaStream_t stream)
{
  const PcgGemm<__half> p =
      conv_problem(x, n, ih, iw, ic, w, bias, residual, y, oh, ow, oc, kh, kw, stride_h,
                   stride_w, dil_h, dil_w, pad_top, pad_left, group, act, act_a, act_b);
  if (p.M == 0 || p.N == 0) return cudaGetLastError();
#if defined(PARE_CU_SM90A)
  cudaError_t sm90_err;
  if (pcw_conv(p, group, stream, &sm90_err)) return sm90_err;
#endif
  /* 16-byte chunks: ic/group channels of one tap for A, K of one channel for B. */
  const bool vec_a = p.icg % 8 == 0 && ic % 8 == 0 && pcg_aligned(x, 16);
  const bool vec_b = p.K % 8 == 0 && pcg_aligned(w, 16);
  if (vec_a && vec_b) return pcg_tc_dispatch<PCG_A_CONV_VEC, PCG_B_MAT_NK>(p, group, stream);
  if (vec_a) return pcg_tc_dispatch<PCG_A_CONV_VEC, PCG_B_MAT>(p, group, stream);
  if (vec_b) return pcg_tc_dispatch<PCG_A_CONV, PCG_B_MAT_NK>(p, group, stream);
  return pcg_tc_dispatch<PCG_A_CONV, PCG_B_MAT>(p, group, stream);
}

#define PCG_DEPTHWISE_ARGS                                                               \
  x, n, ih, iw, c, w, bias, residual, y, oh, ow, kh, kw, stride_h, stride_w, dil_h, dil_w, \
      pad_top, pad_left, act, act_a, act_b, stream

cudaError_t pare_cu_depthwise_conv2d_f32(const float *x, int n, int ih, int iw, int c,
                                         const float *w, const float *bias,
                                         const float *residual, float *y, int oh, int ow,
                                         int kh, int kw, int stride_h, int stride_w, int dil_h,
                                         int dil_w, int pad_top, int pad_left, pare_act_t act,
                                         float act_a, float act_b, cudaStream_t stream)
{
  switch (depthwise_width(c, x, w, bias, residual, y)) {
  case 4: return depthwise_launch<float, 4>(PCG_DEPTHWISE_ARGS);
  case 2: return depthwise_launch<float, 2>(PCG_DEPTHWISE_ARGS);
  default: return depthwise_launch<float, 1>(PCG_DEPTHWISE_ARGS);
  }
}

cudaError_t pare_cu_depthwise_conv2d_f16(const pare_half *x, int n, int ih, int iw, int c,
                                         const pare_half *w, const pare_half *bias,
                                         const pare_half *residual, pare_half *y, int oh,
                                         int ow, int kh, int kw, int stride_h, int stride_w,
                                         int dil_h, int dil_w, int pad_top, int pad_left,
                                         pare_act_t act, float act_a, float act_b,
                                         cudaStream_t stream)
{
  switch (depthwise_width(c, x, w, bias, residual, y)) {
  case 8: return depthwise_launch<__half, 8>(PCG_DEPTHWISE_ARGS);
  case 4: /* 8-byte half vectors are loaded as two pairs */
  case 2: return depthwise_launch<__half, 2>(PCG_DEPTHWISE_ARGS);
  default: return depthwise_launch<__half, 1>(PCG_DEPTHWISE_ARGS);
  }
}

#undef PCG_DEPTHWISE_ARGS

/* ------------------------------------------------------ transposed conv --
 * pare_cu_conv_transpose2d_*: gather form, as the C kernel: one thread per
 * output element (n, oy, ox, o) sums the input pixels that reach it through
 * each kernel tap (oy + pad_top - ky * dil_h a multiple of stride_h inside
 * the input, and the same across) times that tap's weight, in float, then
 * the bias and the fused activation. Weights [ic][kh][kw][oc / group]. */

namespace {

struct ConvTransposeGeom {
  int n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, group;
};

template <typename T>
__global__ void conv_transpose2d_kernel(const T *__restrict__ x, const T *__restrict__ w,
                                        const T *__restrict__ bias, T *__restrict__ y,
                                        ConvTransposeGeom g, pare_act_t act, float act_a,
                                        float act_b, long long total)
{
  const int icg = g.ic / g.group, ocg = g.oc / g.group;
  const long long wcs = (long long)g.kh * g.kw * ocg;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const int o = (int)(i % g.oc);
    const long long pix = i / g.oc;
    const int ox = (int)(pix % g.ow), oy = (int)(pix / g.ow % g.oh);
    const long long b = pix / ((long long)g.ow * g.oh);
    const int grp = o / ocg, j = o - grp * ocg;
    float acc = bias ? to_f(bias[o]) : 0.0f;
    for (int ky = 0; ky < g.kh; ++ky) {
      const int ty = oy + g.pt - ky * g.dh;
      if (ty < 0 || ty % g.sh != 0 || ty / g.sh >= g.ih) continue;
      for (int kx = 0; kx < g.kw; ++kx) {
        const int tx = ox + g.pl - kx * g.dw;
        if (tx < 0 || tx % g.sw != 0 || tx / g.sw >= g.iw) continue;
        const T *xp = x + ((b * g.ih + ty / g.sh) * g.iw + tx / g.sw) * g.ic + (long long)grp * icg;
        const T *wp = w + (long long)grp * icg * wcs + ((long long)ky * g.kw + kx) * ocg + j;
        for (int c = 0; c < icg; ++c)
          acc = fmaf(to_f(xp[c]), to_f(wp[c * wcs]), acc);
      }
    }
    y[i] = from_f<T>(act_f(acc, act, act_a, act_b));
  }
}

template <typename T>
cudaError_t conv_transpose2d_launch(const T *x, int n, int ih, int iw, int ic, const T *w,
                                    const T *bias, T *y, int oh, int ow, int oc, int kh, int kw,
                                    int stride_h, int stride_w, int dil_h, int dil_w, int pad_top,
                                    int pad_left, int group, pare_act_t act, float act_a,
                                    float act_b, cudaStream_t stream)
{
  const long long total = (long long)n * oh * ow * oc;
  if (total == 0) return cudaSuccess;
  const ConvTransposeGeom g = {n,  ih,       iw,       ic,    oh,    ow,     oc,      kh,
                               kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, group};
  conv_transpose2d_kernel<T><<<grid_for((size_t)total), kBlock, 0, stream>>>(
      x, w, bias, y, g, act, act_a, act_b, total);
  return cudaGetLastError();
}

} // namespace

cudaError_t pare_cu_conv_transpose2d_f32(const float *x, int n, int ih, int iw, int ic,
                                         const float *w, const float *bias, float *y, int oh,
                                         int ow, int oc, int kh, int kw, int stride_h,
                                         int stride_w, int dil_h, int dil_w, int pad_top,
                                         int pad_left, int group, pare_act_t act, float act_a,
                                         float act_b, cudaStream_t stream)
{
  return conv_transpose2d_launch<float>(x, n, ih, iw, ic, w, bias, y, oh, ow, oc, kh, kw, stride_h,
                                        stride_w, dil_h, dil_w, pad_top, pad_left, group, act,
                                        act_a, act_b, stream);
}

cudaError_t pare_cu_conv_transpose2d_f16(const pare_half *x, int n, int ih, int iw, int ic,
                                         const pare_half *w, const pare_half *bias, pare_half *y,
                                         int oh, int ow, int oc, int kh, int kw, int stride_h,
                                         int stride_w, int dil_h, int dil_w, int pad_top,
                                         int pad_left, int group, pare_act_t act, float act_a,
                                         float act_b, cudaStream_t stream)
{
  return conv_transpose2d_launch<__half>(x, n, ih, iw, ic, w, bias, y, oh, ow, oc, kh, kw,
                                         stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
                                         group, act, act_a, act_b, stream);
}
