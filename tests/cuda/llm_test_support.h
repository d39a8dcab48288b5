/* The CUDA decoder kernel tests' scaffolding: float / half conversions by type (Ty), device
 * buffers filled from and read back into float vectors (Buf), random data, rounding to the
 * storage type, and the tolerance check that counts passes and failures. Header-only, for the
 * standalone nvcc-built tests of tests/cuda (each includes it once). */
#ifndef PARE_TESTS_CUDA_LLM_TEST_SUPPORT_H
#define PARE_TESTS_CUDA_LLM_TEST_SUPPORT_H

#include "cuda_ok.h"

#include <cuda_fp16.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include <random>
#include <string>
#include <vector>

typedef std::vector<float> Vec;

static int g_pass = 0, g_fail = 0;
static std::mt19937 g_rng(17);

template <typename T> struct Ty;
template <> struct Ty<float> {
  static constexpr float tol = 5e-5f;
  static const char *name() { return "f32"; }
  static float to(float v) { return v; }
  static float from(float v) { return v; }
};
template <> struct Ty<__half> {
  static constexpr float tol = 1e-2f;
  static const char *name() { return "f16"; }
  static __half to(float v) { return __float2half_rn(v); }
  static float from(__half v) { return __half2float(v); }
};
template <> struct Ty<int32_t> {
  static int32_t to(float v) { return (int32_t)v; }
  static float from(int32_t v) { return (float)v; }
};

/* v rounded to T (what a kernel reads). */
template <typename T> static Vec quant(Vec v)
{
  for (float &f : v)
    f = Ty<T>::from(Ty<T>::to(f));
  return v;
}

static Vec rnd(size_t n, float lo = -1.0f, float hi = 1.0f)
{
  std::uniform_real_distribution<float> d(lo, hi);
  Vec v(n);
  for (float &f : v)
    f = d(g_rng);
  return v;
}

/* count elements of T on the device (one spare, zeroed). */
template <typename T> struct Buf {
  T *p = nullptr;
  size_t n;
  explicit Buf(size_t count) : n(count)
  {
    CUDA_OK(cudaMalloc((void **)&p, (count + 1) * sizeof(T)));
    CUDA_OK(cudaMemset(p, 0, (count + 1) * sizeof(T)));
  }
  Buf(const Vec &v) : Buf(v.size()) { set(v); }
  ~Buf() { cudaFree(p); }
  Buf(const Buf &) = delete;
  Buf &operator=(const Buf &) = delete;
  void set(const Vec &v)
  {
    std::vector<T> h(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      h[i] = Ty<T>::to(v[i]);
    CUDA_OK(cudaMemcpy(p, h.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  Vec get() const
  {
    std::vector<T> h(n);
    CUDA_OK(cudaDeviceSynchronize());
    CUDA_OK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    Vec v(n);
    for (size_t i = 0; i < n; ++i)
      v[i] = Ty<T>::from(h[i]);
    return v;
  }
};

/* A pass or a failure, with its message. */
static void verdict(const std::string &name, bool ok, const std::string &why = "")
{
  if (ok) {
    ++g_pass;
  } else {
    ++g_fail;
    printf("FAIL %s%s%s\n", name.c_str(), why.empty() ? "" : ": ", why.c_str());
  }
}

/* got vs ref: |g - r| <= Ty<T>::tol * max(1, max|ref|) everywhere (launch: the launch's error,
 * taken before got is read back). */
template <typename T>
static void check(const std::string &name, cudaError_t launch, const Vec &got, const Vec &ref)
{
  std::string full = name + " " + Ty<T>::name();
  if (launch != cudaSuccess)
    return verdict(full, false, cudaGetErrorString(launch));
  if (got.size() < ref.size())
    return verdict(full, false, "short result");
  float scale = 1.0f;
  for (float r : ref)
    scale = fmaxf(scale, fabsf(r));
  for (size_t i = 0; i < ref.size(); ++i)
    if (!(fabsf(got[i] - ref[i]) <= Ty<T>::tol * scale)) {
      char why[160];
      snprintf(why, sizeof why, "[%zu] got %.8g want %.8g (of %zu)", i, got[i], ref[i],
               ref.size());
      return verdict(full, false, why);
    }
  verdict(full, true);
}

#endif /* PARE_TESTS_CUDA_LLM_TEST_SUPPORT_H */
