//===- MemoryPlan.h - tensor lifetimes of a pare function -----------------===//
//
// Which values need arena storage, their lifetimes over the op order and the
// resulting first-fit plan. Reshapes (and identities) alias their input; a
// value returned by the function is written straight into the caller's output
// buffer and takes no arena space.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECTS_PARE_ANALYSIS_MEMORYPLAN_H
#define PARE_DIALECTS_PARE_ANALYSIS_MEMORYPLAN_H

#include "dialects/Pare/Analysis/ArenaPlanner.h"
#include "dialects/Pare/Analysis/PlanKinds.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <vector>

namespace pare::planning {

/// The value whose storage `v` shares (follows reshape / identity chains).
mlir::Value storageRoot(mlir::Value v);

/// Constants and storage casts / reshapes of them: weights, which take no
/// arena space and run no code.
bool isWeight(mlir::Operation *op);

/// For each root that some function result resolves to: the index of the
/// first result that owns it (later results with the same root are copies).
llvm::DenseMap<mlir::Value, unsigned> outputOwners(mlir::func::FuncOp func);

/// True for values that live in the arena (op results that are roots, not
/// constants, not owned by an output, and not computed by a producer marked
/// pare.residual_add, which writes its add's buffer).
bool needsArena(mlir::Value v, const llvm::DenseMap<mlir::Value, unsigned> &owners);

int64_t byteSize(mlir::Type tensorType);

/// True when an int8 op does not run on the TFLite-contract kernels: the
/// generic integer kernels (zero-point weights, i32 results, QLinearMatMul)
/// or, under ONNX rounding (the module's `pare.int8_rounding` = "onnx"), a
/// conv / fully connected layer, which may still have a fast kernel
/// (usesOnnxFastKernel). Passes that emit TFLite arithmetic themselves (the
/// temporal-shift fusion) test this.
bool usesGenericInt8Kernel(mlir::Operation *op);

/// True for an int8 conv / fully connected layer under ONNX rounding that
/// runs on the specialised kernels' float32-requantization forms
/// (pare_conv2d_s8_onnx, pare_depthwise_conv2d_s8_inplace_onnx,
/// pare_fully_connected_s8_onnx): the layers the TFLite-contract kernels
/// take, with finite float32 scales and a constant bias small enough for
/// exact int32 sums; the others stay on the generic kernels.
bool usesOnnxFastKernel(mlir::Operation *op);

/// The TFLite-contract kernels or their ONNX-rounding forms: the kernels
/// with im2col scratch, the in-place depthwise kernel and patch tiles.
bool usesFastInt8Kernel(mlir::Operation *op);

/// Bytes of scratch memory an op's kernel needs while it runs (im2col
/// buffers, int32 accumulators); planned in the arena. Mirrors the
/// PARE_*_SCRATCH_BYTES macros of pare_kernels_s8.h.
int64_t scratchBytes(mlir::Operation *op);

/// Scratch of the int8 depthwise kernel (pare_depthwise_conv2d_s8_inplace,
/// used in place or not: one channel of the input, padded, and its weights);
/// mirrors PARE_DEPTHWISE_CONV2D_S8_INPLACE_SCRATCH_BYTES.
int64_t inPlaceDepthwiseScratchBytes(int64_t ih, int64_t iw, int64_t c, int64_t kh, int64_t kw);

/// When `op` may write its result over one of its operands (elementwise
/// ops whose operand has the result's size, an int8 depthwise convolution
/// through its in-place kernel): that operand's index, else -1. Whether it
/// does also depends on the operand dying at `op` (the planner checks).
int inPlaceCandidate(mlir::Operation *op);

struct PlanOptions {
  int64_t alignment = 16;
  Planner planner = Planner::Pare;
  /// Local-search iterations of the pare planner (0: greedy orders only,
  /// for quick what-if plans).
  int searchIterations = 400;
};

struct PatchStage;

struct FunctionPlan {
  std::vector<std::pair<mlir::Operation *, std::vector<int64_t>>> offsets;
  std::vector<std::pair<mlir::Operation *, int64_t>> scratch;   ///< scratch offsets
  std::vector<std::pair<mlir::Operation *, int64_t>> liveBytes; ///< live while each op runs
  std::vector<std::pair<mlir::Operation *, int>> inPlace;       ///< ops writing over operand #
  /// Patch stage: each stage op's tile offset, and the crop buffer of a
  /// window op that reads a whole tensor from outside the arena.
  std::vector<std::pair<mlir::Operation *, int64_t>> tileOffsets, cropOffsets;
  int64_t stageBytes = 0; ///< arena bytes of the stage's tiles and scratch
  int64_t arenaBytes = 0;
  int64_t lowerBound = 0;
};

/// Operator reordering: a topological order of the function's ops chosen
/// by greedy list scheduling (of the ready ops, the one that allocates the
/// fewest bytes net of those it frees; ties keep the model's order). The ops
/// are moved only when that lowers the plan's lower bound; returns whether
/// they were.
bool reorderForMemory(mlir::func::FuncOp func, const PlanOptions &options);

/// Lifetimes, in-place decisions and placement of the function's tensors
/// in one arena; with `stage`, the stage ops live in per-patch tiles.
FunctionPlan planFunction(mlir::func::FuncOp func, const PlanOptions &options,
                          const PatchStage *stage = nullptr);

} // namespace pare::planning

#endif // PARE_DIALECTS_PARE_ANALYSIS_MEMORYPLAN_H
