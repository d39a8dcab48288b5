//===- CModule.h - the state of one C module being emitted ----------------===//
//
// What the C emitter knows about the module it is writing, as data: the
// names taken, the storage of every value (parameters, arena locals,
// weights), the weight table with what the code uses of it, the memory plan
// entries, the runtime kernels the code calls, and the text of the run
// function and of the file-scope tables. The op emitters (one file per op
// family) register into one OpTable and write through a CModule; CFiles
// turns the finished CModule into the output files.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_CODEGEN_C_CMODULE_H
#define PARE_CODEGEN_C_CMODULE_H

#include "codegen/EmitterSupport.h"
#include "codegen/c/CEmitter.h"

#include "dialects/Pare/Analysis/Patches.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <array>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace pare::codegen {

/// How a constant weight is laid out in the weights file.
enum class WeightLayout {
  AsStored,     ///< the tensor's own row-major order
  DepthwiseHWC, ///< [C][kh][kw][1] -> [kh][kw][C] for pare_depthwise_conv2d_f32
  ConvPacked    ///< OHWI -> output-channel blocks for pare_conv2d_packed_f32
};

constexpr int64_t kConvOCB = 16; // PARE_CONV_OCB in pare_kernels.h

/// The runtime's element type enumerator (PARE_F32, PARE_I8, ...) of `t`.
std::string dtypeEnum(mlir::Type t);

class CModule;

/// The storage expressions of an op's operands. Reading one marks a weight
/// it names as used: only weights the code reads reach the weights file
/// (a convolution whose weights are packed reads the packed copy instead).
class Operands {
public:
  Operands(CModule &module, std::vector<std::string> names)
      : module(&module), names(std::move(names)) {}
  const std::string &operator[](size_t i) const;
  size_t size() const { return names.size(); }
  /// Replaces operand `i`'s storage (a patch reads a copied region).
  void set(size_t i, std::string name) { names[i] = std::move(name); }

private:
  CModule *module;
  std::vector<std::string> names;
};

/// Emits one op: its kernel call (after the comment line emitOp writes) on
/// the storage of its operands `in` and results `out`.
using OpEmitter = mlir::LogicalResult (*)(CModule &m, mlir::Operation *op, const Operands &in,
                                          llvm::ArrayRef<std::string> out);

/// The op emitters of the C target: one lookup per op. An op may have
/// several entries with a condition (int8 and float pools, say); the first
/// whose condition holds emits it.
class OpTable {
public:
  using Condition = bool (*)(mlir::Operation *op);
  template <typename... Ops> void add(OpEmitter emit, Condition when = nullptr, bool int8 = false) {
    (entries[mlir::TypeID::get<Ops>()].push_back({emit, when, int8}), ...);
  }
  /// An emitter of the int8 runtime (pare_kernels_s8.h).
  template <typename... Ops> void addInt8(OpEmitter emit, Condition when = nullptr) {
    add<Ops...>(emit, when, /*int8=*/true);
  }
  struct Entry {
    OpEmitter emit;
    Condition when;
    bool int8;
  };
  /// The entry that emits `op`, or null.
  const Entry *lookup(mlir::Operation *op) const;

private:
  llvm::DenseMap<mlir::TypeID, std::vector<Entry>> entries;
};

/// The op families, each in its own file.
void registerFloatConvOps(OpTable &table);     // COpsConv.cpp
void registerElementwiseOps(OpTable &table);   // COpsElementwise.cpp
void registerReductionOps(OpTable &table);     // COpsReduce.cpp
void registerDataMovementOps(OpTable &table);  // COpsData.cpp
void registerInt8Ops(OpTable &table);          // COpsInt8.cpp
void registerTemporalShiftOps(OpTable &table); // CTemporalShift.cpp
void registerLlmOps(OpTable &table);           // COpsLlm.cpp

/// The state of the module being emitted.
class CModule {
public:
  CModule(mlir::func::FuncOp func, const CEmitOptions &opts);

  mlir::func::FuncOp func;
  const CEmitOptions &opts;
  std::string prefix, upper; ///< symbol prefix, and upper-cased for macros
  FunctionStorage storage;   ///< parameters, arena locals
  NameSet usedLocals, usedGlobals;

  // --- weights ------------------------------------------------------------
  /// One const array of the weights file.
  struct Weight {
    std::string name, decl, def;
    int64_t bytes = 0;
    bool used = false; ///< read by the code (else left out of the files)
  };
  std::vector<Weight> weights; ///< in order of first reference
  /// Name of a const array holding constant `v`, converted to `as` (or its
  /// own element type) and laid out as `layout`; marks it used.
  std::string weight(mlir::Value v, mlir::Type as = {},
                     WeightLayout layout = WeightLayout::AsStored, int64_t group = 1);
  /// A const int32 / int8 / float array in the weights file, named after
  /// `base`; marks it used.
  std::string constArray(const std::string &base, const std::string &ctype,
                         const std::vector<std::string> &values, const std::string &note);
  /// The 256-entry int8 table of a lookup_table op, as a const array.
  std::string lutTable(LookupTableOp lut, const std::string &layer);
  /// Marks the weight named `name` used; other names pass through.
  const std::string &use(const std::string &name);
  bool usesMath = false; ///< a weight needed a float conversion

  /// The op being emitted: the first op that reads a weight names it.
  mlir::Operation *currentOp = nullptr;

  // --- storage ------------------------------------------------------------
  /// C expression for the storage of `v` (a weight is not marked used until
  /// an Operands entry holding it is read).
  mlir::LogicalResult ptr(mlir::Value v, std::string &out);
  /// The storage of every operand of `op`.
  mlir::FailureOr<Operands> operands(mlir::Operation *op);

  // --- memory plan --------------------------------------------------------
  /// (name, offset, bytes) of each arena tensor and patch tile, in order of
  /// first reference.
  std::vector<std::tuple<std::string, int64_t, int64_t>> planEntries;
  /// `arena + <PREFIX>_OFFSET_<name>`, registering the plan entry.
  std::string arenaAt(const std::string &name, int64_t offset, int64_t bytes);

  // --- code ---------------------------------------------------------------
  std::string body;        ///< the run function's statements
  std::string localDecls;  ///< the run function's arena locals
  std::string fileScope;   ///< tables emitted before the run function
  std::string specialized; ///< the per-layer kernel functions
  void line(const std::string &s) { body += s; }
  /// `kernel(`, recording the call of a runtime kernel.
  std::string call(const std::string &kernel);
  std::set<std::string> kernelsCalled; ///< distinct runtime kernels
  int64_t kernelCalls = 0;             ///< calls of runtime kernels
  int64_t specializedLayers = 0;
  bool usesInt8 = false;        ///< calls the int8 runtime
  bool usesSpecialized = false; ///< has per-layer kernel functions

  /// A kernel call. With per-layer specialisation (the default) it becomes a
  /// static function of this layer that calls the kernel's inline body
  /// (`<kernel>_impl`, pare_k_s8_impl.h) with every shape, stride and zero
  /// point as a literal, so the C compiler specialises the loops to the layer,
  /// as TinyEngine does; `ptrs` (type, actual argument) are its parameters
  /// and `args` renders the argument list for given pointer names.
  void kernelCall(const std::string &kernel, const std::string &layer,
                  const std::vector<std::pair<std::string, std::string>> &ptrs,
                  const std::function<std::string(const std::vector<std::string> &)> &args,
                  const std::string &prelude = "");

  /// Inside a patch loop, convolutions and pools compute a tile: their
  /// spatial geometry comes from locals of the loop body (ih, iw, oh, ow,
  /// pad_top, pad_left, pad_bottom, pad_right) instead of the layer's whole
  /// tensors; per-layer kernel functions take them as parameters.
  bool inTile = false;
  std::string geo(int64_t whole, const char *local) const {
    return inTile ? std::string(local) : std::to_string(whole);
  }

  /// The state of a streaming temporal shift: a file-scope static buffer
  /// that persists between calls (not in the arena), reset to `fill`.
  struct StateBuffer {
    std::string name, ctype, fill;
    int64_t count = 0, bytes = 0;
  };
  std::vector<StateBuffer> stateBuffers;

  // --- ops ----------------------------------------------------------------
  /// The op's comment line and kernel call on its own storage.
  mlir::LogicalResult emitOp(mlir::Operation *op);
  /// The op's comment line and kernel call on the given storage.
  mlir::LogicalResult emitOpBody(mlir::Operation *op, const Operands &in,
                                 llvm::ArrayRef<std::string> out);

  // --- helpers for the op emitters ----------------------------------------
  mlir::LogicalResult unsupported(mlir::Operation *op, const llvm::Twine &why);
  mlir::LogicalResult requireF32(mlir::Operation *op);
  static std::string staticArray(const std::string &name, llvm::ArrayRef<int64_t> v,
                                 const std::string &type = "int32_t");
  /// The batch_shape / a_batch_strides / b_batch_strides arrays of a batched
  /// matmul call (in the current block), or three NULLs without batch dims.
  std::tuple<std::string, std::string, std::string> batchArrays(const shape::MatMulGeometry &g);
  /// The shape and broadcast stride arrays (`names`) of an elementwise op's
  /// operands (in the current block); `outShape` is the output shape ({1}
  /// for a scalar).
  mlir::LogicalResult emitBroadcastOperands(mlir::Operation *op, llvm::ArrayRef<mlir::Value> ins,
                                            const std::vector<std::string> &names,
                                            shape::Shape &outShape);

private:
  /// The weight table's entry for `v` in that layout, made on first use
  /// (not marked used).
  std::string weightEntry(mlir::Value v, mlir::Type as, WeightLayout layout, int64_t group);

  OpTable table;
  std::map<std::tuple<const void *, const void *, int, int64_t>, std::string> weightNames;
  llvm::StringMap<size_t> weightIndex; ///< weight name -> index in weights
  std::set<std::string> planNames;
};

// --- shared by the op families -------------------------------------------

/// The window arguments of a convolution or pool call, in groups named for
/// the reader: "/* kernel */ 3, 3, /* stride */ 2, 2, /* dilation */ 1, 1,
/// /* pad top, left */ 1, 1".
std::string windowArgs(const std::string &kh, const std::string &kw,
                       llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> dilations,
                       const std::string &padTop, const std::string &padLeft);

/// "max_pool" for pare.max_pool.
std::string opKind(mlir::Operation *op);

/// What operand `i` of `op` is, in the names of weights: "weight" / "bias"
/// of convolution, fully connected and gemm layers (and matmul's B),
/// "qweight" / "scales" / "zero_points" of matmul_nbits, "scale"
/// / "bias" of a layer norm, the kernels' parameter names of where, gather
/// and scatter, "a" / "b" of binary ops, else "input<i>".
std::string operandRole(mlir::Operation *op, unsigned i);

/// Output clamp of a fused relu / clip in the int8 output's quantization.
std::pair<int64_t, int64_t> int8Clamp(mlir::Operation *op, mlir::Value result);

/// pare_add_s8's arguments after the rank: TFLite ADD's shifts, zero points,
/// multipliers and the fused clamp.
std::string qaddArgs(mlir::Operation *op);

/// pare_add_s8_onnx's arguments after the rank: onnxruntime's QLinearAdd
/// ratios (float32) and zero points, and the fused clamp.
std::string qaddOnnxArgs(mlir::Operation *op);

/// A 1x1 NHWC conv / qconv carrying pare.shift_frames / shift_fold /
/// shift_mode reads its input through the temporal shift: each shifted row
/// is gathered into scratch and convolved alone (CTemporalShift.cpp).
mlir::LogicalResult emitShiftedConv(CModule &m, mlir::Operation *op, const Operands &in,
                                    llvm::ArrayRef<std::string> out);

/// Patch-based inference: the stage's ops in a loop over the patches
/// (CPatchStage.cpp).
mlir::LogicalResult emitPatchStage(CModule &m, const planning::PatchStage &st);

/// The output files of a finished module (CFiles.cpp): header, source,
/// weights, CMake and Make fragments, the runner, the runtime.
std::vector<EmittedFile> emitFiles(CModule &m, bool hasPatchStage);

} // namespace pare::codegen

#endif // PARE_CODEGEN_C_CMODULE_H
