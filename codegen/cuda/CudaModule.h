//===- CudaModule.h - the state of one CUDA module being emitted ----------===//
//
// What the CUDA emitter knows about the module it is writing: the names
// taken, the storage of every value (parameters, arena locals, weights in
// the weights blob), the residual adds fused into their producers, and the
// text of enqueue(). The op emitters (one file per op family) register into
// one OpTable and write launches through a CudaModule; CudaFiles.cpp turns
// the finished module into the output files.
//
// Adding an op: one function in the file of its family and one line in that
// file's register*Ops.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_CODEGEN_CUDA_CUDAMODULE_H
#define PARE_CODEGEN_CUDA_CUDAMODULE_H

#include "codegen/EmitterSupport.h"
#include "codegen/cuda/CudaEmitter.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

#include <map>
#include <string>
#include <vector>

namespace pare::codegen::cuda {

using shape::Shape;

/// "f32" / "f16" kernel suffix, or "" for types the float kernels lack.
std::string suffix(mlir::Type t);

/// `pare_cu_shape{rank, {dims}, {{s0}, {s1}, {s2}}}`
std::string cuShape(const Shape &dims, std::vector<std::vector<int64_t>> strides);

/// Layouts a constant can be stored in, besides its own row-major order.
enum class Layout {
  AsStored,
  DepthwiseHWC, ///< [C][kh][kw][1] -> [kh][kw][C] for pare_cu_depthwise_conv2d_*
  Transposed2D  ///< [K][N] -> [N][K]: K-contiguous, as the GEMV and sm_90a TMA kernels stream
};

/// The state of the module being emitted.
class CudaModule {
public:
  CudaModule(mlir::func::FuncOp func, const CudaEmitOptions &opts);

  mlir::func::FuncOp func;
  const CudaEmitOptions &opts;
  std::string prefix, upper; ///< symbol prefix, and upper-cased for macros
  FunctionStorage storage;   ///< parameters, arena locals
  NameSet used;              ///< names taken in enqueue()

  // --- weights ------------------------------------------------------------
  /// The weights file, each tensor 256-byte aligned.
  std::string blob;
  /// enqueue()'s pointers into the uploaded weights.
  std::string weightDecls;
  /// Name of a device pointer to constant `v` in the weights blob, laid out
  /// as `layout` (once per constant and layout).
  std::string weight(mlir::Value v, Layout layout = Layout::AsStored);
  /// A float table computed by the compiler (batch-norm factors), named
  /// after `base`.
  std::string floatTable(const std::string &base, const std::vector<float> &vals);
  /// An int32 table computed by the compiler (resize coordinates), named
  /// after `base`.
  std::string int32Table(const std::string &base, const std::vector<int32_t> &vals);

  // --- storage and fusion -------------------------------------------------
  /// The storage expression of `v`.
  mlir::LogicalResult ptr(mlir::Value v, std::string &out);
  /// Producers whose result is added to a residual by the op right after
  /// them (FuseResidualAdd marked them): the producer's epilogue does the add
  /// (and its activation) and writes the add's result; the add is not
  /// emitted.
  struct Residual {
    mlir::Operation *add;
    mlir::Value other;
  };
  llvm::DenseMap<mlir::Operation *, Residual> residualOf;
  llvm::DenseSet<mlir::Operation *> fusedAdds;
  void findResidualFusions();

  // --- code ---------------------------------------------------------------
  /// Some op runs on the decoder kernels (runtime-stubs/cuda-llm): the module
  /// includes and ships them.
  bool usesLlmKernels = false;
  std::string localDecls; ///< enqueue()'s arena locals
  std::string body;       ///< enqueue()'s launches
  /// `call` is a kernel call without its closing parenthesis.
  static std::string launch(const std::string &call) { return "  PARE_TRY(" + call + "));\n"; }
  mlir::LogicalResult unsupported(mlir::Operation *op, const llvm::Twine &why) {
    return op->emitError() << "the cuda target cannot emit " << op->getName() << ": " << why;
  }

private:
  std::map<std::pair<const void *, int>, std::string> weightNames;
};

/// One op being emitted: the storage of its operands and results and what
/// its kernel call needs.
struct CudaOp {
  mlir::Operation *op;
  /// Operand pointers; "" for a constant a kernel reads in another layout
  /// (the family's emitter asks CudaModule::weight for it).
  llvm::SmallVector<std::string> in;
  /// Result pointers (a producer with a fused residual add writes the add's).
  llvm::SmallVector<std::string> out;
  std::string residual = "nullptr"; ///< the residual a producer adds, if fused
  ActArgs fused;                    ///< its fused activation (the add's, if fused)
  Shape os;                         ///< the first result's shape
  mlir::Type t;                     ///< the first result's element type
  std::string sfx;                  ///< suffix(t)

  /// Element count of the first result.
  std::string count() const { return std::to_string(numel(op->getResult(0))); }
  /// Fails unless every operand is float32 / float16 (gather's indices aside).
  mlir::LogicalResult needFloat(CudaModule &m) const;
};

/// Emits the launch of one op into m.body (after the comment emitOp writes).
using OpEmitter = mlir::LogicalResult (*)(CudaModule &m, CudaOp &o);

/// Op class -> its emitter.
class OpTable {
public:
  template <typename... Ops> void add(OpEmitter emit) {
    (map.try_emplace(mlir::TypeID::get<Ops>(), emit), ...);
  }
  /// The emitter of `op`'s class, or null.
  OpEmitter lookup(mlir::Operation *op) const { return map.lookup(op->getName().getTypeID()); }

private:
  llvm::DenseMap<mlir::TypeID, OpEmitter> map;
};

/// The op families, each in its own file.
void registerConvGemmOps(OpTable &table);     // CudaOpsConvGemm.cpp: conv, gemm, matmul
void registerElementwiseOps(OpTable &table);  // CudaOpsElementwise.cpp
void registerReductionOps(OpTable &table);    // CudaOpsReduce.cpp: reductions, norms, pools
void registerDataMovementOps(OpTable &table); // CudaOpsData.cpp
void registerLlmOps(OpTable &table);          // CudaOpsLlm.cpp: rms_norm, rotary, attention

/// The files of a finished module (CudaFiles.cpp): <prefix>.cuh, .cu,
/// _weights.bin, .cmake, runner.cu if asked for, and the runtime.
void writeFiles(CudaModule &mod, int64_t arenaBytes, std::vector<EmittedFile> &files);

} // namespace pare::codegen::cuda

#endif // PARE_CODEGEN_CUDA_CUDAMODULE_H
