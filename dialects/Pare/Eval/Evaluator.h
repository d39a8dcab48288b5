//===- Evaluator.h - run pare IR on the host (calibration) ----------------===//
//
// Executes a func.func of pare ops on host tensors by calling the float C
// kernels of runtime-stubs/c (the same kernels the C target emits calls to),
// so that calibration sees the values the compiled model computes. Float
// tensors hold float32 data; integer, boolean and quantized tensors hold their
// (storage) values as int64.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECTS_PARE_EVAL_EVALUATOR_H
#define PARE_DIALECTS_PARE_EVAL_EVALUATOR_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace pare::eval {

/// A host tensor: `f` for float tensors, `i` for integer / boolean / quantized
/// storage (exactly one of them has numElements(shape) entries).
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> f;
  std::vector<int64_t> i;

  /// True unless the tensor holds integer storage (an empty tensor with
  /// neither vector filled counts as float).
  bool isFloat() const { return i.empty() || !f.empty(); }
  int64_t numElements() const;

  static Tensor floats(std::vector<int64_t> shape, std::vector<float> data);
  static Tensor ints(std::vector<int64_t> shape, std::vector<int64_t> data);
};

using Observer = llvm::function_ref<void(mlir::Value, const Tensor &)>;

/// Runs one function repeatedly; constants are unpacked (and weights reordered
/// for their kernels) once, on first use, and kept for later runs. The
/// function must not change between runs (attributes aside).
///
/// Supported: constant, identity, reshape / flatten / squeeze / unsqueeze,
/// conv (NHWC or NCHW, grouped, depthwise), gemm, matmul, the broadcasting
/// binary ops (float with fused activation, and int64), comparisons, logical
/// ops, where, expand, unary math, every activation op, max / average / global
/// pools (NHWC or NCHW; max pool also on quantized storage), batch_norm,
/// layer_norm, softmax / log_softmax, reductions, arg_max / arg_min,
/// transpose, concat, split, slice, pad, gather, scatter_nd, cast, quantize, dequantize,
/// requantize, storage_cast, lookup_table, rms_norm, rotary, attention (full
/// sequence), matmul_nbits (by the C target's kernel). The int8 compute ops (qconv, qadd,
/// ...) are not: they are an error.
class Evaluator {
public:
  explicit Evaluator(mlir::func::FuncOp func);
  ~Evaluator();
  Evaluator(const Evaluator &) = delete;
  Evaluator &operator=(const Evaluator &) = delete;

  /// As eval::run below.
  mlir::FailureOr<std::vector<Tensor>> run(llvm::ArrayRef<Tensor> inputs,
                                           Observer observe = nullptr);

  struct Impl;

private:
  std::unique_ptr<Impl> impl;
};

/// Runs `func` (one block, pare ops + func.return). `inputs` one per argument,
/// shaped as the arguments. For every op result, calls observe(value, tensor)
/// if given. Returns the function results. Errors (unsupported op, shape
/// mismatch) are reported with emitError on the op's location ("calibration
/// cannot evaluate 'pare.xyz' (node N): ...") and give failure().
mlir::FailureOr<std::vector<Tensor>> run(mlir::func::FuncOp func, llvm::ArrayRef<Tensor> inputs,
                                         Observer observe = nullptr);

} // namespace pare::eval

#endif // PARE_DIALECTS_PARE_EVAL_EVALUATOR_H
