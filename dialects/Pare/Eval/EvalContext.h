//===- EvalContext.h - state and helpers of the evaluator's op files -----===//
//
// Internal to PareEval. The evaluator runs one op at a time through a table
// from op class to an OpEvaluator; each op family has its own file, which
// adds its ops to the table (addConvGemmOps in EvalConvGemm.cpp, ...). An
// OpEvaluator reads its operands from the EvalContext and appends one tensor
// per result to `out`; it calls the float C kernels of runtime-stubs/c with
// the arguments the C emitter computes for the same op, so that calibration
// sees the values the compiled model computes.
//
// Adding an op: one function in the file of its family and one line in that
// file's add*Ops.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECTS_PARE_EVAL_EVALCONTEXT_H
#define PARE_DIALECTS_PARE_EVAL_EVALCONTEXT_H

#include "dialects/Pare/Eval/Evaluator.h"

#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/RuntimeOpcodes.h"
#include "dialects/Pare/IR/ShapeInference.h"
#include "runtime-stubs/c/pare_kernels.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"

#include <memory>
#include <optional>
#include <vector>

namespace pare::eval {

using shape::Shape;
using TensorPtr = std::shared_ptr<const Tensor>;
using Results = llvm::SmallVectorImpl<TensorPtr>;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Shape shapeOf(mlir::Value v);
mlir::Type elemOf(mlir::Value v);
/// Float storage (any float element type is held as float32).
bool floatType(mlir::Type t);
std::vector<int32_t> i32s(llvm::ArrayRef<int64_t> v);

/// The error of every op the evaluator cannot run: "calibration cannot
/// evaluate 'pare.xyz' (node N): <why>", at the op.
mlir::LogicalResult fail(mlir::Operation *op, const llvm::Twine &why);

/// Bytes per element of a host tensor's storage.
size_t storageBytes(const Tensor &t);
const void *dataOf(const Tensor &t);
/// Wraps an integer to the value range of `t` (two's complement, as C casts).
int64_t wrapTo(int64_t v, mlir::Type t);

/// A pare_act_t activation and its two parameters.
struct Act {
  pare_act_t kind = PARE_ACT_NONE;
  float a = 0.0f, b = 0.0f;
};
/// The fused activation of a conv / gemm / matmul / binary op.
mlir::FailureOr<Act> fusedAct(mlir::Operation *op);
/// The activation a standalone activation op computes.
mlir::FailureOr<Act> standaloneAct(mlir::Operation *op);

/// The runtime opcode of `op` in the C kernels' enum `Enum`, if it has one of
/// `family` (RuntimeOpcodes.def, whose values the C enums hold).
template <typename Enum> std::optional<Enum> opcodeOf(mlir::Operation *op, RuntimeOpFamily family) {
  auto code = runtimeOpcode(op);
  if (!code || code->family != family)
    return std::nullopt;
  return static_cast<Enum>(code->value);
}

/// y = permute(x) for float data, and the permuted shape.
std::vector<float> transposeF(const std::vector<float> &x, const Shape &s,
                              llvm::ArrayRef<int64_t> perm);
Shape permuted(const Shape &s, llvm::ArrayRef<int64_t> perm);
/// NCHW -> NHWC and back, for the ops whose kernels are NHWC only.
extern const int64_t kToNHWC[4];
extern const int64_t kToNCHW[4];

/// TSM temporal shift of x (float or integer storage) into y, by the C
/// kernel: frames per clip, fold, `mode` as TemporalShiftOp::kernelMode
/// gives it, NHWC or NCHW; `zero` (the zero point of quantized storage)
/// where no frame exists (EvalTemporalShift.cpp).
void temporalShift(const Tensor &x, Tensor &y, int64_t frames, int64_t fold, int mode,
                   bool channelsLast, int64_t zero);

//===----------------------------------------------------------------------===//
// State
//===----------------------------------------------------------------------===//

/// What the op evaluators share: the values of the run in progress, and what
/// is kept between runs of the same function.
struct EvalContext {
  /// The values of the run in progress.
  llvm::DenseMap<mlir::Value, TensorPtr> vals;
  /// Unpacked constants, by op.
  llvm::DenseMap<mlir::Operation *, TensorPtr> constants;
  /// Constant conv weights reordered for their kernel (depthwise HWC or packed).
  llvm::DenseMap<mlir::Operation *, std::shared_ptr<std::vector<float>>> convWeights;
  /// Constant 4-bit weights of pare.matmul_nbits packed for the kernel (two
  /// per byte), and their zero points as bytes, by op.
  llvm::DenseMap<mlir::Operation *, std::shared_ptr<std::vector<uint8_t>>> nbitsWeights,
      nbitsZeros;
  /// Constant int8 weights of pare.matmul_w8a8 as the kernel's codes, by op.
  llvm::DenseMap<mlir::Operation *, std::shared_ptr<std::vector<int8_t>>> w8Weights;

  /// The value of an operand (computed: the evaluator checks before each op).
  const Tensor &in(mlir::Value v) { return *vals.lookup(v); }

  /// A zero tensor of a result's shape, as float or integer storage.
  static std::shared_ptr<Tensor> newFloat(mlir::Value r);
  static std::shared_ptr<Tensor> newInt(mlir::Value r);
  /// newFloat or newInt, after the result's element type.
  static std::shared_ptr<Tensor> newLike(mlir::Value r);

  /// Fails at `op` unless every operand holds float data.
  mlir::LogicalResult requireFloat(mlir::Operation *op);
};

//===----------------------------------------------------------------------===//
// The dispatch table
//===----------------------------------------------------------------------===//

/// Evaluates `op`, appending one tensor per result to `out`.
using OpEvaluator = mlir::LogicalResult (*)(EvalContext &cx, mlir::Operation *op, Results &out);

/// Op class -> its evaluator.
class OpTable {
public:
  /// `fn` evaluates the op classes Ops.
  template <typename... Ops> void add(OpEvaluator fn) {
    (map.try_emplace(mlir::TypeID::get<Ops>(), fn), ...);
  }
  /// The evaluator of `op`'s class, or null.
  OpEvaluator lookup(mlir::Operation *op) const { return map.lookup(op->getName().getTypeID()); }

private:
  llvm::DenseMap<mlir::TypeID, OpEvaluator> map;
};

/// The op families, each in its own file.
void addConvGemmOps(OpTable &table);      ///< conv, gemm, matmul
void addElementwiseOps(OpTable &table);   ///< binary, comparison, logical, unary, activations,
                                          ///< where, cast
void addReduceOps(OpTable &table);        ///< reductions, arg reductions, norms, softmax, pools
void addDataMovementOps(OpTable &table);  ///< reshapes, transpose, concat, split, slice, pad,
                                          ///< gather, scatter_nd, expand
void addQuantOps(OpTable &table);         ///< quantize, dequantize, requantize, lookup_table
void addTemporalShiftOps(OpTable &table); ///< temporal_shift
void addLlmOps(OpTable &table);           ///< rms_norm, rotary, attention

/// Reference definitions of the decoder ops on contiguous float data
/// (EvalLlm.cpp): x / y [rows, features]; rotary and attention on
/// [rows, heads * head_dim] (k, v [keys, kv_heads * head_dim]).
void rmsNorm(const float *x, const float *w, float *y, int64_t rows, int64_t features,
             float eps);
void rotary(const float *x, float *y, const int64_t *positions, int64_t rows, int64_t heads,
            int64_t headDim, llvm::ArrayRef<float> invFreq, bool interleaved);
void attention(const float *q, const float *k, const float *v, float *out, int64_t rows,
               int64_t keys, int64_t heads, int64_t kvHeads, int64_t headDim, float scale,
               bool causal);

} // namespace pare::eval

#endif // PARE_DIALECTS_PARE_EVAL_EVALCONTEXT_H
