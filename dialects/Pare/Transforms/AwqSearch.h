//===- AwqSearch.h - AWQ's weight quantization and its searches ------------===//
//
// The arithmetic of pare-quantize-w4a16 (issue 18), free of IR so that the
// unit tests reach it directly. Weights are held transposed, [N][K] (row n =
// output channel n, its K inputs contiguous), as pare.matmul_nbits stores
// them; activations as rows [R][K].
//
// Quantization (AWQ's, asymmetric): each group of G consecutive inputs of an
// output channel gets scale = (max - min) / (2^bits - 1), rounded to an fp16
// value (so the C target in fp32 and CUDA in fp16 dequantize to the same
// weights), zero = clamp(-round(min / scale), 0, 2^bits - 1) and codes
// clamp(round(w / scale) + zero, 0, 2^bits - 1); the weight it stands for is
// (code - zero) * scale in float32, as the matmul_nbits contract defines.
//
// The scale search (AWQ, Lin et al. 2024): the inputs of a scale group are
// divided by s = mean|x|^alpha (normalised by sqrt(max s * min s)), its
// weights multiplied by s before quantization; alpha on a grid of [0, 1]
// minimises the squared output error of the group's linears on sampled
// calibration rows. The clipping search then shrinks each group's range.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_TRANSFORMS_AWQSEARCH_H
#define PARE_DIALECT_PARE_TRANSFORMS_AWQSEARCH_H

#include <cstdint>
#include <optional>
#include <vector>

namespace pare::awq {

/// Bits and group size of the quantization.
struct QuantSpec {
  int64_t bits = 4;
  int64_t groupSize = 128;
  int64_t levels() const { return (int64_t(1) << bits) - 1; }
};

/// The nearest float16 value (ties to even), as a float; clamped to the
/// largest finite one.
float roundToHalf(float v);

/// The quantization of one weight matrix: codes [N][K], scales and zero
/// points [N][K / G].
struct Quantized {
  std::vector<int8_t> codes;
  std::vector<float> scales;
  std::vector<int8_t> zeros;
};

/// Quantizes `wt` [N][K] (K a multiple of spec.groupSize). `clip` (optional,
/// [N][K / G]): each group's range [min, max] shrunk to [min * r, max * r]
/// first (weights outside are clamped).
Quantized quantize(const float *wt, int64_t n, int64_t k, const QuantSpec &spec,
                   const float *clip = nullptr);

/// The weights `q` stands for, [N][K]: (code - zero) * scale.
std::vector<float> dequantize(const Quantized &q, int64_t n, int64_t k, const QuantSpec &spec);

/// sum over rows r and channels n of (x_r . (wq_n - w_n))^2: the squared
/// output error of replacing `wt` by `wq` (both [N][K]) on rows `x` [R][K].
double outputError(const float *x, int64_t rows, const float *wt, const float *wq, int64_t n,
                   int64_t k);

/// One scale group's search input: linears that share an input (their
/// weights [N_i][K], as they are before this group's scaling), sampled rows
/// of that input [R][K], and its per-channel mean |x| [K].
struct GroupProblem {
  int64_t k = 0;
  std::vector<const float *> weights;
  std::vector<int64_t> outs;
  const float *rows = nullptr;
  int64_t numRows = 0;
  std::vector<float> meanAbs;
  /// A gated MLP (gate and up both in the group, feeding
  /// down(silu(gate(x)) * up(x))): the error is then measured, as llm-awq
  /// measures it, on the MLP's output with down in float. gate / up index
  /// `weights`; down is [H][I] (I = the gate's outputs).
  struct Gated {
    size_t gate = 0, up = 0;
    const float *down = nullptr;
    int64_t downOuts = 0;
  };
  std::optional<Gated> gated;
};

struct ScaleSearch {
  double alpha = 0;           ///< the chosen exponent
  std::vector<float> scales;  ///< s [K]: inputs divided, weight rows multiplied by it
  std::vector<double> errors; ///< the output error of each alpha of the grid
  double error() const;       ///< at the chosen alpha
};

/// The scales s = mean|x|^alpha for `alpha`, clamped to >= 1e-4 and
/// normalised so that max(s) * min(s) = 1.
std::vector<float> scalesFor(const std::vector<float> &meanAbs, double alpha);

/// x . w^T: rows `x` [R][K] times weights `wt` [N][K], [R][N].
std::vector<float> matmulNT(const float *x, int64_t rows, const float *wt, int64_t n, int64_t k);

/// AWQ's search over alpha = 0, 1/grid, ..., 1 (grid + 1 points); ties go to
/// the smaller alpha (alpha = 0 is plain round to nearest).
ScaleSearch searchScales(const GroupProblem &p, const QuantSpec &spec, int grid = 20);

/// The clipping search of one linear: for every output channel and group,
/// the ratio r in {1, 1 - 1/grid, ..., 1 - maxShrink + 1/grid} whose
/// quantization minimises the group's share of the output error on `rows`
/// [R][K] (exactly, through each group's Gram matrix). Returns r [N][K / G].
std::vector<float> searchClip(const float *wt, int64_t n, int64_t k, const float *rows,
                              int64_t numRows, const QuantSpec &spec, int grid = 20,
                              double maxShrink = 0.5);

} // namespace pare::awq

#endif // PARE_DIALECT_PARE_TRANSFORMS_AWQSEARCH_H
