//===- SmoothQuant.h - SmoothQuant's W8A8 arithmetic and alpha search ------===//
//
// The arithmetic of pare-quantize-w8a8 (issue 19), free of IR so that the
// unit tests reach it directly. Weights are held transposed, [N][K] (row n =
// output channel n), as pare.matmul_w8a8 stores them; activations as rows
// [R][K].
//
// Smoothing (SmoothQuant, Xiao et al. 2023): the input channels j of the
// linears sharing one input are divided by
//   s_j = max|X_j|^alpha / max|W_j|^(1 - alpha)
// (max|W_j| over every output channel of every linear of the group) and
// their weight columns multiplied by it, which moves the activation outliers
// into the weights, where per-output-channel scales absorb them better.
// Weights then quantize to int8 symmetric per output channel (max|w| / 127,
// round half away from zero), activations per token at run time or per
// tensor with a calibrated scale (pare_llm_w8.c).
//
// alpha "auto" picks, per group, the alpha of a grid (refined by the
// midpoints beside its best) that minimises the squared error of the
// group's outputs, computed with the run-time kernel itself (so the search
// scores exactly what the decoder will compute), against the float outputs
// on the sampled calibration rows.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_TRANSFORMS_SMOOTHQUANT_H
#define PARE_DIALECT_PARE_TRANSFORMS_SMOOTHQUANT_H

#include <cstdint>
#include <vector>

namespace pare::smooth {

/// s [K] for a group: max|X_j| [K] and max|W_j| [K]; a channel whose
/// activation or weight is all zero keeps s = 1 (nothing to migrate), and s
/// is clamped to >= 1e-5 as the paper's code clamps it.
std::vector<float> smoothingScales(const std::vector<float> &maxAbsX,
                                   const std::vector<float> &maxAbsW, double alpha);

/// max |w[n][j]| over the output channels n of `wt` [N][K], merged into
/// `into` [K] (elementwise max).
void mergeColumnMax(const float *wt, int64_t n, int64_t k, std::vector<float> &into);

/// int8 weights [N][K] and their scales [N] (max|w_n| / 127, 0 -> codes 0).
struct Int8Weights {
  std::vector<int8_t> codes;
  std::vector<float> scales;
};
Int8Weights quantizeWeights(const float *wt, int64_t n, int64_t k);

/// The per-tensor activation scale for inputs whose channel j reaches at
/// most maxAbsX[j] / inScale[j]: max / 127 (1 when the input is all zero,
/// any positive scale then giving codes 0).
float perTensorScale(const std::vector<float> &maxAbsX, const std::vector<float> &inScale);

/// One group's search: linears sharing an input (weights [N_i][K] as they
/// are before this group's smoothing), sampled input rows [R][K], max|X_j|.
struct GroupProblem {
  int64_t k = 0;
  std::vector<const float *> weights;
  std::vector<int64_t> outs;
  const float *rows = nullptr;
  int64_t numRows = 0;
  std::vector<float> maxAbsX;
  /// max|W_j| over the group (empty: taken from `weights`); a caller that
  /// ties channels passes them tied, as it folds them.
  std::vector<float> maxAbsW;
  bool perTensor = false; ///< static activation scale from maxAbsX
};

/// The squared output error, summed over the group's linears, of W8A8 with
/// scales `s` (inputs divided, weight columns multiplied) against float,
/// evaluated by pare_matmul_w8a8_f32.
double groupError(const GroupProblem &p, const std::vector<float> &s);
/// The same against outputs computed once (floatOutputs: x . w^T per linear).
std::vector<std::vector<float>> floatOutputs(const GroupProblem &p);
double groupError(const GroupProblem &p, const std::vector<float> &s,
                  const std::vector<std::vector<float>> &reference);

struct AlphaSearch {
  double alpha = 0.5;
  double error = 0;           ///< at the chosen alpha
  double unsmoothedError = 0; ///< with s = 1
  std::vector<double> grid, errors;
};

/// alpha over {lo, lo + step, ..., hi}, then (refine) the two midpoints
/// beside the best, best +- step / 2 within [0, 1]; ties go to the first
/// evaluated.
AlphaSearch searchAlpha(const GroupProblem &p, double lo = 0.3, double hi = 0.9,
                        double step = 0.05, bool refine = false);

} // namespace pare::smooth

#endif // PARE_DIALECT_PARE_TRANSFORMS_SMOOTHQUANT_H
