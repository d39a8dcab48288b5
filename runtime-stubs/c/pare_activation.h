/*
 * pare's fused activations: the opcodes and the formulas, in one place for the
 * C kernels (pare_kernels.h, pare_act_f32) and the CUDA kernels (pare_cuda.cuh,
 * act_f). Plain C99 that nvcc also compiles: under CUDA the functions are
 * device functions, elsewhere static inline ones.
 *
 * ONNX semantics, as onnxruntime implements them: Relu and Clip keep NaN (the
 * comparisons are written so that a NaN x falls through to x), Clip is
 * min(max(x, a), b) in that order (min > max gives max everywhere; a NaN bound
 * is ignored), Celu keeps NaN.
 *
 * The opcode values are those of dialects/Pare/IR/RuntimeOpcodes.def (the
 * compiler checks them).
 */
#ifndef PARE_ACTIVATION_H
#define PARE_ACTIVATION_H

#include <math.h>

#if defined(__CUDACC__)
#define PARE_ACT_FN static __device__ __forceinline__
#else
#define PARE_ACT_FN static inline
#endif

/* Activation fused into a producer (conv, matmul, binary op) or run alone. */
typedef enum {
  PARE_ACT_NONE = 0,
  PARE_ACT_RELU = 1,
  PARE_ACT_CLIP = 2,         /* min(max(x, a), b) */
  PARE_ACT_LEAKY_RELU = 3,   /* x >= 0 ? x : a * x */
  PARE_ACT_SIGMOID = 4,
  PARE_ACT_HARD_SIGMOID = 5, /* max(0, min(1, a * x + b)) */
  PARE_ACT_HARD_SWISH = 6,   /* x * max(0, min(1, x / 6 + 0.5)) */
  PARE_ACT_TANH = 7,
  PARE_ACT_GELU = 8,         /* 0.5 x (1 + erf(x / sqrt 2)) */
  PARE_ACT_GELU_TANH = 9,    /* tanh approximation */
  PARE_ACT_ELU = 10,         /* x >= 0 ? x : a * (exp(x) - 1) */
  PARE_ACT_SELU = 11,        /* b * (x > 0 ? x : a * (exp(x) - 1)); a=alpha, b=gamma */
  PARE_ACT_SOFTPLUS = 12,    /* log(1 + exp(x)) */
  PARE_ACT_SOFTSIGN = 13,    /* x / (1 + |x|) */
  PARE_ACT_THRESHOLDED_RELU = 14, /* x > a ? x : 0 */
  PARE_ACT_CELU = 15,        /* max(0,x) + min(0, a * (exp(x / a) - 1)) */
  PARE_ACT_MISH = 16,        /* x * tanh(softplus(x)) */
  PARE_ACT_SILU = 17         /* x * sigmoid(x) (the gate of a SwiGLU MLP) */
} pare_act_t;

/* log(1 + exp(x)) without overflow. */
PARE_ACT_FN float pare_softplus(float x)
{
  return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

/* act(x) with the activation's parameters a and b (see the enum). */
PARE_ACT_FN float pare_activation(float x, pare_act_t act, float a, float b)
{
  switch (act) {
  case PARE_ACT_NONE: return x;
  case PARE_ACT_RELU: return x < 0.0f ? 0.0f : x;
  case PARE_ACT_CLIP: {
    float t = x < a ? a : x;
    return t > b ? b : t;
  }
  case PARE_ACT_LEAKY_RELU: return x >= 0.0f ? x : a * x;
  case PARE_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case PARE_ACT_HARD_SIGMOID: {
    float t = a * x + b;
    return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
  }
  case PARE_ACT_HARD_SWISH: {
    float t = x * (1.0f / 6.0f) + 0.5f;
    return x * (t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t));
  }
  case PARE_ACT_TANH: return tanhf(x);
  case PARE_ACT_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  case PARE_ACT_GELU_TANH:
    return 0.5f * x *
           (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  case PARE_ACT_ELU: return x >= 0.0f ? x : a * expm1f(x);
  case PARE_ACT_SELU: return b * (x > 0.0f ? x : a * expm1f(x));
  case PARE_ACT_SOFTPLUS: return pare_softplus(x);
  case PARE_ACT_SOFTSIGN: return x / (1.0f + fabsf(x));
  case PARE_ACT_THRESHOLDED_RELU: return x > a ? x : 0.0f;
  case PARE_ACT_CELU: {
    float neg = a * expm1f(x / a);
    if (x != x) return x; /* NaN stays NaN */
    return (x > 0.0f ? x : 0.0f) + (neg < 0.0f ? neg : 0.0f);
  }
  case PARE_ACT_MISH: return x * tanhf(pare_softplus(x));
  case PARE_ACT_SILU: return x / (1.0f + expf(-x));
  }
  return x;
}

#endif /* PARE_ACTIVATION_H */
