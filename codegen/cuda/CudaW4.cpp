//===- CudaW4.cpp - pare.matmul_nbits weights for the CUDA kernels --------===//
//
// See CudaW4.h. The packing must match pare_cu_llm.cuh's description byte for
// byte: tests/cuda/test_w4_kernels.cu packs its test weights the same way, and
// the lit test codegen/decoder_cuda_w4.mlir checks the sizes emitted.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaW4.h"

#include "codegen/EmitterSupport.h"
#include "codegen/WeightsFile.h"

#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;

namespace pare::codegen::cuda {

int64_t w4RowBytes(int64_t k) { return (k + 31) / 32 * 16; }

int64_t w4PaddedGroups(int64_t k, int64_t group) {
  return ((k + 31) / 32 * 32 + group - 1) / group;
}

namespace {

/// The integers of a constant, or failure when `v` is not one.
FailureOr<std::vector<int64_t>> ints(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.getElementType().isInteger())
    return failure();
  std::vector<int64_t> out;
  out.reserve(attr.getNumElements());
  for (const APInt &x : attr.getValues<APInt>())
    out.push_back(x.getSExtValue());
  return out;
}

/// The floats of a constant (half / bfloat16 / float converted to float).
FailureOr<std::vector<float>> floats(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !isa<FloatType>(attr.getElementType()))
    return failure();
  std::vector<float> out;
  out.reserve(attr.getNumElements());
  for (APFloat x : attr.getValues<APFloat>()) {
    bool lost;
    x.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    out.push_back(x.convertToFloat());
  }
  return out;
}

} // namespace

FailureOr<W4Weights> packW4(MatMulNBitsOp op, bool fp16, llvm::StringRef what) {
  auto error = [&](const llvm::Twine &why) {
    return op->emitError() << "the " << what << " cannot emit pare.matmul_nbits '"
                           << nodeName(op) << "': " << why;
  };
  W4Weights w;
  w.group = int64_t(op.getGroupSize());
  if (op.getBits() != 4)
    return error("only 4-bit weights have kernels (bits = " + std::to_string(int64_t(op.getBits())) +
                 ")");
  if (w.group < 16 || (w.group & (w.group - 1)))
    return error("group_size " + std::to_string(w.group) + " is not a power of two >= 16");
  std::vector<int64_t> qs = shapeOf(op.getQweight()), x = shapeOf(op.getInput());
  if (qs.size() != 2 || x.empty() || ShapedType::isDynamic(x.back()) || qs[1] != x.back())
    return error("qweight must be a [N, K] matrix with K the input's last dimension");
  w.n = qs[0];
  w.k = qs[1];
  if (w.k <= 0 || w.n <= 0 || w.k > (int64_t(1) << 30) || w.n > (int64_t(1) << 30))
    return error("K and N must be in [1, 2^30]");
  int64_t groups = (w.k + w.group - 1) / w.group;
  std::vector<int64_t> want = {w.n, groups};
  if (shapeOf(op.getScales()) != want || shapeOf(op.getZeroPoints()) != want)
    return error("scales and zero points must be [N, ceil(K / group_size)] = " +
                 shape::toString(want));
  FailureOr<std::vector<int64_t>> q = ints(op.getQweight()), z = ints(op.getZeroPoints());
  FailureOr<std::vector<float>> s = floats(op.getScales());
  if (failed(q) || failed(z) || failed(s))
    return error("qweight, scales and zero points must be constants (integer, float, integer)");
  for (int64_t v : *q)
    if (v < 0 || v > 15)
      return error("a qweight value " + std::to_string(v) + " is outside 0..15");
  for (int64_t v : *z)
    if (v < 0 || v > 15)
      return error("a zero point " + std::to_string(v) + " is outside 0..15");

  int64_t rowBytes = w4RowBytes(w.k), padded = w4PaddedGroups(w.k, w.group);
  w.qweight.assign(size_t(w.n * rowBytes), '\0');
  for (int64_t j = 0; j < w.n; ++j)
    for (int64_t kk = 0; kk < w.k; ++kk)
      w.qweight[size_t(j * rowBytes + kk / 2)] |= char((*q)[size_t(j * w.k + kk)] << (4 * (kk % 2)));
  // Scale then zero point of each group; the padding groups are zeros.
  int64_t esize = fp16 ? 2 : 4;
  w.scaleZero.assign(size_t(w.n * padded * 2 * esize), '\0');
  auto put = [&](int64_t at, float v) {
    char *p = &w.scaleZero[size_t(at * esize)];
    if (fp16) {
      uint16_t h = floatToHalf(v);
      std::memcpy(p, &h, 2);
    } else {
      std::memcpy(p, &v, 4);
    }
  };
  for (int64_t j = 0; j < w.n; ++j)
    for (int64_t g = 0; g < groups; ++g) {
      put((j * padded + g) * 2, (*s)[size_t(j * groups + g)]);
      put((j * padded + g) * 2 + 1, float((*z)[size_t(j * groups + g)]));
    }
  return w;
}

} // namespace pare::codegen::cuda
