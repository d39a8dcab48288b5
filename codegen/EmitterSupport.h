//===- EmitterSupport.h - helpers shared by the C and CUDA emitters -------===//
#ifndef PARE_CODEGEN_EMITTERSUPPORT_H
#define PARE_CODEGEN_EMITTERSUPPORT_H

#include "codegen/EmittedFile.h"
#include "codegen/TextEscape.h"
#include "dialects/Pare/IR/ShapeInference.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace pare::codegen {

/// An integer as C / CUDA source text (shapes, strides, counts in kernel calls).
inline std::string i32(int64_t v) { return std::to_string(v); }

/// Shape, element type and element count of a ranked tensor value.
std::vector<int64_t> shapeOf(mlir::Value v);
mlir::Type elemOf(mlir::Value v);
int64_t numel(mlir::Value v);

/// The module's `func.func @main`; an error at the module when there is none.
mlir::FailureOr<mlir::func::FuncOp> mainFunction(mlir::ModuleOp module);

/// Longest identifier sanitizeIdentifier returns.
constexpr size_t kMaxIdentifier = 64;

/// Turns any string into a C identifier (letters, digits, '_'; runs of '_'
/// collapsed). Names over kMaxIdentifier characters keep their start and end
/// with '_' and 16 hex digits of a hash of the whole name. C and C++
/// keywords, C library names and names the generated code uses for its own
/// locals get a "_v" suffix. Model text never reaches the output verbatim
/// through an identifier, whatever its bytes.
std::string sanitizeIdentifier(const std::string &s);

/// A local or parameter name made by sanitizeIdentifier, changed so that it
/// cannot shadow a global of the generated code: names in the namespaces of
/// the kernels (pare_), of the model (<prefix>_) and of the runners' locals
/// (runner_), in any case, get a 'v' before their first '_' (pare_x ->
/// parev_x).
std::string localIdentifier(std::string id, const std::string &prefix);

/// Why `name` cannot be the --name prefix of the generated files and
/// symbols ("" when it can): not an identifier, longer than kMaxIdentifier,
/// starting with '_', naming pare's own files (runner, pare, pare_*; any
/// case), or reserved (keywords, C library names, the generated code's
/// locals).
std::string modelNameError(const std::string &name);

/// Shortest decimal that reads back as the same float, with an 'f' suffix
/// (INFINITY / NAN macros for non-finite values).
std::string floatLiteral(float f);
std::string doubleLiteral(double d);
std::string intLiteral(int64_t v, unsigned width, bool isUnsigned);

/// "{1, 2, 3}" ("{0}" when empty: C has no empty initialisers).
std::string intArray(llvm::ArrayRef<int64_t> v);

/// All ONNX node names an op came from (fused ops add theirs), in order.
void locNames(mlir::Location loc, std::vector<std::string> &out);

/// The first ONNX node name of `op`, or its op name without the dialect.
std::string nodeName(mlir::Operation *op);

/// "_nhwc" / "_nchw" for the rank-4 layout transposes pare inserts, else "".
std::string layoutSuffix(mlir::Operation *op);

/// `ONNX node "a" + "b"` (names through commentText), a layout-change note
/// for layout transposes, or "(inserted by pare)".
std::string nodeComment(mlir::Operation *op);

/// C99 element type of the C target ("int8_t" / "uint8_t" / "int32_t" for
/// the storage of quantized types, "uint8_t" for bool), or "" when it has
/// none.
std::string cType(mlir::Type t);

/// Element type of the CUDA target ("pare_half" for f16, "uint8_t" for
/// bool), or "" when it has none.
std::string cudaType(mlir::Type t);

/// Bytes of one element as stored: the storage type of a quantized type, one
/// byte for bool. planning::byteSize of a tensor is its element count times
/// this.
int64_t elemBytes(mlir::Type t);

/// Names already taken in one C scope.
using NameSet = std::set<std::string>;

/// Appends "_1", "_2" ... until `base` is not in `used`; records the result.
std::string uniqueName(const std::string &base, NameSet &used);

/// Where the values of the emitted function live: the parameters (inputs,
/// and the outputs, which the values they return are computed into), the
/// arena locals and the constants (weights). Both targets name and find
/// storage the same way; each writes its own declarations and copies.
class FunctionStorage {
public:
  FunctionStorage(mlir::func::FuncOp func, std::string prefix);

  /// Names the inputs and outputs as parameters: the `pare.name` of each (or
  /// inputN / outputN) through sanitizeIdentifier and localIdentifier,
  /// distinct from `used` and from each other also when upper-cased (the
  /// header's <PREFIX>_<NAME>_RANK / _SHAPE / _SIZE macros are); records
  /// them in `used`. Then fails, at the function, when `typeOf` gives no
  /// type for an input's element type ("the <target> target has no type
  /// ...").
  mlir::LogicalResult nameParameters(NameSet &used,
                                     llvm::function_ref<std::string(mlir::Type)> typeOf,
                                     llvm::StringRef target);

  /// One result that lives in the arena (planning::needsArena).
  struct ArenaTensor {
    mlir::Operation *op;
    mlir::Value value;
    int64_t offset; ///< from the op's pare.offsets
    int64_t bytes;  ///< planning::byteSize
    std::string ctype, name;
  };
  /// The arena tensors of the function's ops in op order (except ops `skip`
  /// names), each named after its layer (+ layout suffix, + "_<result>" for
  /// ops with several results) as a local unique in `used`, and recorded
  /// for ptr(). Fails at the op without a memory plan or a type.
  mlir::FailureOr<std::vector<ArenaTensor>>
  nameArenaLocals(NameSet &used, llvm::function_ref<std::string(mlir::Type)> typeOf,
                  llvm::StringRef target,
                  llvm::function_ref<bool(mlir::Operation *)> skip = nullptr);

  /// The C expression of `v`'s storage: a parameter, an arena local, or for
  /// a constant `weight(root)` (a constant must hold its data: else the
  /// error `noData` at it).
  mlir::LogicalResult ptr(mlir::Value v, llvm::function_ref<std::string(mlir::Value)> weight,
                          llvm::StringRef noData, std::string &out) const;

  /// Outputs the function does not compute in place (inputs, constants,
  /// a value returned twice): each is copied from its storage.
  struct OutputCopy {
    unsigned index;
    mlir::Value value;
    int64_t bytes;
  };
  std::vector<OutputCopy> outputCopies();
  /// The comment line above the copy of output `index`.
  std::string outputCopyComment(unsigned index) const;

  std::vector<std::string> inNames, outNames; ///< parameter names
  std::vector<std::string> inOrig, outOrig;   ///< the model's tensor names
  /// For each value a result resolves to: the first result owning it.
  llvm::DenseMap<mlir::Value, unsigned> owners;
  llvm::DenseMap<mlir::Value, std::string> locals; ///< arena local names

private:
  mlir::func::FuncOp func;
  std::string prefix;
};

/// Arguments of a pare_act_t activation: the enum name and its two params.
struct ActArgs {
  std::string kind = "PARE_ACT_NONE";
  std::string a = "0.0f", b = "0.0f";
};

/// The fused activation of a conv / gemm / matmul / binary op (NONE if none).
ActArgs fusedActivation(mlir::Operation *op);

/// The activation a standalone activation op (relu, clip, gelu, ...) computes.
ActArgs standaloneActivation(mlir::Operation *op);

/// [outer][len][inner] view of a shape around `axis` (in ShapeInference.h).
using shape::AxisView;
using shape::axisView;

/// Per-channel y = x * scale + shift of an inference batch norm with constant
/// parameters; false when a parameter is not a constant.
bool batchNormAffine(mlir::Operation *batchNorm, std::vector<float> &scale,
                     std::vector<float> &shift);

/// NumPy dtype descr ("<f4", "|b1", "<i8", ...) of an element type; "" when
/// the runners cannot write it.
std::string npyDescr(mlir::Type t);

/// File name (without ".npy") of an output in the runners: characters
/// outside [A-Za-z0-9._-] become '_'; names over 100 characters keep 83 and
/// end with '_' and 16 hex digits of the FNV-1a hash of the whole name.
std::string npyFileName(const std::string &tensorName);

/// npyFileName of each output, kept distinct (also ignoring case) by "_1",
/// "_2" ... suffixes, in order.
std::vector<std::string> npyFileNames(const std::vector<std::string> &tensorNames);

/// C source shared by the host runners (C and CUDA): fail(), read_npy()
/// (when RUNNER_HAS_INPUTS is 1), write_npy(), path_join(), write_output()
/// (OUTDIR/FILE for any lengths), now_ms(), cmp_double().
const std::string &runnerHelpers();

} // namespace pare::codegen

#endif // PARE_CODEGEN_EMITTERSUPPORT_H
