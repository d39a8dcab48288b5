//===- NodeImporter.h - what an ONNX op handler sees ----------------------===//
//
// Each ONNX op has one small handler, registered in a table keyed by
// (op type, since-version). A handler reads the node through NodeImporter:
// inputs as SSA values, constant inputs as attributes, attributes with
// defaults, and builds pare ops whose result types are inferred (and checked)
// by the op's shape function.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_FRONTENDS_ONNX_NODEIMPORTER_H
#define PARE_FRONTENDS_ONNX_NODEIMPORTER_H

#include "dialects/Pare/IR/PareOps.h"

#include "mlir/IR/Builders.h"
#include "onnx/onnx_pb.h"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace pare::onnx_frontend {

class NodeImporter {
public:
  NodeImporter(mlir::OpBuilder &b, const onnx::NodeProto &node, int opset, mlir::Location loc,
               std::map<std::string, mlir::Value> &values, const std::string &modelPath)
      : b(b), node(node), opset(opset), loc(loc), values(values), modelPath(modelPath),
        inputsRead(node.input_size(), false) {}

  mlir::OpBuilder &builder() { return b; }
  mlir::Location getLoc() const { return loc; }
  int getOpset() const { return opset; }
  const onnx::NodeProto &getNode() const { return node; }
  mlir::MLIRContext *ctx() { return b.getContext(); }

  // --- inputs -------------------------------------------------------------
  // Every accessor records which inputs and attributes the handler looked at:
  // after the handler, the importer refuses inputs and attributes that ONNX
  // does not define for the op and that the handler never read (pare would
  // otherwise ignore them silently).
  size_t numInputs() const { return node.input_size(); }
  /// True when input `i` is present (listed with a non-empty name).
  bool hasInput(size_t i) const {
    markInput(i);
    return i < size_t(node.input_size()) && !node.input(i).empty();
  }
  /// The SSA value of input `i` (null when absent).
  mlir::Value input(size_t i);
  /// Input `i` as a constant, or null when it is not known at compile time.
  mlir::DenseElementsAttr constInput(size_t i);
  /// Input `i` as integers; fails with a message naming `what` when the
  /// input is not a compile-time constant.
  mlir::FailureOr<std::vector<int64_t>> constInts(size_t i, llvm::StringRef what);
  mlir::FailureOr<std::vector<double>> constFloats(size_t i, llvm::StringRef what);
  /// Input `i` as one compile-time number (a scalar or a one-element tensor).
  mlir::FailureOr<int64_t> constScalarInt(size_t i, llvm::StringRef what);
  mlir::FailureOr<double> constScalarFloat(size_t i, llvm::StringRef what);

  /// A TensorProto (initializer, Constant value, attribute) as an attribute,
  /// external data read from the model's directory; errors name `what`.
  mlir::FailureOr<mlir::DenseElementsAttr> tensorAttr(const onnx::TensorProto &t);

  // --- attributes ---------------------------------------------------------
  // The typed getters check the attribute's type (a Conv `pads` given as
  // floats is an error at the node, not an empty list).
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t dflt) const;
  float getFloat(llvm::StringRef name, float dflt) const;
  std::string getString(llvm::StringRef name, const std::string &dflt) const;
  std::vector<int64_t> getInts(llvm::StringRef name, std::vector<int64_t> dflt = {}) const;
  std::vector<float> getFloats(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attr(name) != nullptr; }

  // --- what the handler read ----------------------------------------------
  bool inputRead(size_t i) const { return i < inputsRead.size() && inputsRead[i]; }
  bool attributeRead(const std::string &name) const { return attrsRead.count(name) != 0; }
  /// True when a typed getter met an attribute of the wrong type (the error
  /// is emitted then; the importer fails the node).
  bool attributeTypeError() const { return attrTypeError; }

  // --- results ------------------------------------------------------------
  /// Binds output `i` of the node to `v` (ignores outputs with empty names).
  void setOutput(size_t i, mlir::Value v);
  size_t numOutputs() const { return node.output_size(); }
  bool outputUsed(size_t i) const {
    return i < size_t(node.output_size()) && !node.output(i).empty();
  }

  // --- building -----------------------------------------------------------
  /// Emits an error at the node and returns failure().
  mlir::LogicalResult error(const llvm::Twine &msg);

  /// Fails, naming the node, when a tensor of type `t` cannot exist in pare:
  /// a dim that is not static and >= 0, or more than input::kMaxTensorBytes
  /// bytes (the kernels index elements with `int`). `what` names the tensor.
  mlir::LogicalResult checkType(mlir::Type t, const llvm::Twine &what);

  /// Creates OpTy with the inferred result types, then folds it when all
  /// operands are constant. Fails (with the shape function's diagnostic at
  /// the node) when the operands are inconsistent, or the results too large.
  template <typename OpTy>
  mlir::FailureOr<mlir::Value> create(mlir::ValueRange operands,
                                      llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    llvm::SmallVector<mlir::Type> types;
    mlir::DictionaryAttr dict = b.getDictionaryAttr(attrs);
    if (mlir::failed(OpTy::inferReturnTypes(ctx(), loc, operands, dict,
                                            mlir::OpaqueProperties(nullptr), mlir::RegionRange(),
                                            types)) ||
        mlir::failed(checkResults(types)))
      return mlir::failure();
    mlir::Operation *op = OpTy::create(b, loc, types, operands, attrs);
    return foldResult(op);
  }

  /// Variant for ops with several results (split).
  template <typename OpTy>
  mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  createMulti(mlir::ValueRange operands, llvm::ArrayRef<mlir::NamedAttribute> attrs) {
    llvm::SmallVector<mlir::Type> types;
    mlir::DictionaryAttr dict = b.getDictionaryAttr(attrs);
    if (mlir::failed(OpTy::inferReturnTypes(ctx(), loc, operands, dict,
                                            mlir::OpaqueProperties(nullptr), mlir::RegionRange(),
                                            types)) ||
        mlir::failed(checkResults(types)))
      return mlir::failure();
    mlir::Operation *op = OpTy::create(b, loc, types, operands, attrs);
    return llvm::SmallVector<mlir::Value>(op->getResults());
  }

  /// A constant op (callers check the type with checkType before building a
  /// large attribute).
  mlir::Value constant(mlir::DenseElementsAttr value);
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);

  mlir::NamedAttribute named(llvm::StringRef name, mlir::Attribute a) {
    return b.getNamedAttr(name, a);
  }

private:
  mlir::Value foldResult(mlir::Operation *op);
  mlir::LogicalResult checkResults(llvm::ArrayRef<mlir::Type> types);
  void markInput(size_t i) const {
    if (i < inputsRead.size())
      inputsRead[i] = true;
  }
  /// The attribute `name` when it has type `type` (null when absent; an
  /// error and null when it has another type).
  const onnx::AttributeProto *typedAttr(llvm::StringRef name, int type) const;

  mlir::OpBuilder &b;
  const onnx::NodeProto &node;
  int opset;
  mlir::Location loc;
  std::map<std::string, mlir::Value> &values;
  const std::string &modelPath;
  mutable std::vector<bool> inputsRead;
  mutable std::set<std::string> attrsRead;
  mutable bool attrTypeError = false;
};

/// A TensorProto as a DenseElementsAttr: element type, dims, data (raw,
/// typed fields, or external data inside the directory of `modelPath`),
/// with every count and size checked. Errors are emitted at `loc`.
mlir::FailureOr<mlir::DenseElementsAttr> tensorProtoToAttr(mlir::MLIRContext *ctx,
                                                           const onnx::TensorProto &t,
                                                           mlir::Location loc,
                                                           const std::string &modelPath);

/// The type of an attribute; exporters that leave `type` unset get it from
/// the field that holds a value (UNDEFINED when none or several do).
int attributeType(const onnx::AttributeProto &a);

/// "ints", "float", ... for messages.
std::string attributeTypeName(int type);

using OpHandler = std::function<mlir::LogicalResult(NodeImporter &)>;

/// Registers the handler of `opType` for models whose default-domain opset is
/// at least `sinceVersion` (and below the next registered since-version).
/// Ops of the com.microsoft domain are registered as "com.microsoft.<op>"
/// with since-version 1.
void registerHandler(const std::string &opType, int sinceVersion, OpHandler h);

/// The handler for `opType` at `opset`, or null when unsupported.
const OpHandler *lookupHandler(const std::string &opType, int opset);

/// Table of registered handlers: op type -> since-versions.
const std::map<std::string, std::map<int, OpHandler>> &handlerTable();

void registerMathHandlers();
void registerNNHandlers();
void registerTensorHandlers();
void registerQuantHandlers();
void registerLlmHandlers(); // HandlersLlm.cpp: opset-23 decoder ops

} // namespace pare::onnx_frontend

#endif // PARE_FRONTENDS_ONNX_NODEIMPORTER_H
