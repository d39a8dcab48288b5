/*
 * The reference activations of the CUDA kernel tests: written from the ONNX
 * operator definitions, in double precision, and on purpose not in the form
 * of the kernels' formulas (act_f in runtime-stubs/cuda/pare_cu_common.cuh,
 * pare_act_f32 in runtime-stubs/c/pare_k_elementwise.c), so that a wrong
 * formula there shows up as a mismatch instead of being copied here. NaN
 * inputs follow onnxruntime: Relu, Clip, HardSigmoid, HardSwish and Celu
 * keep NaN (ThresholdedRelu gives 0: NaN > alpha is false); Clip is
 * min(max(x, lo), hi), so lo > hi gives hi.
 */
#ifndef PARE_TESTS_CUDA_ACT_REFERENCE_H
#define PARE_TESTS_CUDA_ACT_REFERENCE_H

#include "pare_cuda.cuh"

#include <algorithm>
#include <cmath>

/* ln(1 + e^x); beyond 30 the e^-x term is below double's resolution of x. */
static double ref_softplus(double x) { return x > 30.0 ? x : std::log(1.0 + std::exp(x)); }

static double ref_activation(double x, int act, double alpha, double beta) {
  const double pi = 3.14159265358979323846;
  /* std::max / std::min would turn a NaN x into a bound. */
  const bool keepNaN = act == PARE_ACT_RELU || act == PARE_ACT_CLIP ||
                       act == PARE_ACT_HARD_SIGMOID || act == PARE_ACT_HARD_SWISH ||
                       act == PARE_ACT_CELU;
  if (keepNaN && std::isnan(x))
    return x;
  switch (act) {
  case PARE_ACT_RELU:
    return std::max(0.0, x);
  case PARE_ACT_CLIP:
    return std::min(std::max(x, alpha), beta);
  case PARE_ACT_LEAKY_RELU:
    return x < 0.0 ? alpha * x : x;
  case PARE_ACT_SIGMOID:
    return 1.0 / (1.0 + std::exp(-x));
  case PARE_ACT_HARD_SIGMOID:
    return std::max(0.0, std::min(1.0, alpha * x + beta));
  case PARE_ACT_HARD_SWISH: /* ONNX: HardSigmoid with alpha = 1/6, beta = 1/2, times x */
    return x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5));
  case PARE_ACT_TANH:
    return std::tanh(x);
  case PARE_ACT_GELU:
    return x / 2.0 * (1.0 + std::erf(x / std::sqrt(2.0)));
  case PARE_ACT_GELU_TANH:
    return x / 2.0 * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (x + 0.044715 * std::pow(x, 3.0))));
  case PARE_ACT_ELU:
    return x < 0.0 ? alpha * (std::exp(x) - 1.0) : x;
  case PARE_ACT_SELU:
    return beta * (x <= 0.0 ? alpha * std::exp(x) - alpha : x);
  case PARE_ACT_SOFTPLUS:
    return ref_softplus(x);
  case PARE_ACT_SOFTSIGN:
    return x / (1.0 + std::fabs(x));
  case PARE_ACT_THRESHOLDED_RELU:
    return x > alpha ? x : 0.0;
  case PARE_ACT_CELU:
    return std::max(0.0, x) + std::min(0.0, alpha * (std::exp(x / alpha) - 1.0));
  case PARE_ACT_MISH:
    return x * std::tanh(ref_softplus(x));
  case PARE_ACT_SILU:
    return x / (1.0 + std::exp(-x));
  default:
    return x; /* PARE_ACT_NONE */
  }
}

#endif /* PARE_TESTS_CUDA_ACT_REFERENCE_H */
