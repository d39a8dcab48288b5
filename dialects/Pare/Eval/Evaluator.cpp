//===- Evaluator.cpp - run pare IR on the host (calibration) --------------===//
//
// One op at a time, in block order, each by the evaluator its op family's
// file adds to the dispatch table (EvalContext.h); the families call the
// float C kernels of runtime-stubs/c with the arguments the C emitter
// computes for the same op. Here: the table, constants, and the run loop
// (inputs, observing and freeing values, the results).
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/EvalContext.h"

#include "llvm/ADT/APFloat.h"

#include <cstring>

using namespace mlir;

namespace pare::eval {
namespace {

LogicalResult evalConstant(EvalContext &cx, Operation *op, Results &out) {
  auto c = cast<ConstantOp>(op);
  auto it = cx.constants.find(op);
  if (it != cx.constants.end()) {
    out.push_back(it->second);
    return success();
  }
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!dense)
    return fail(op, "a constant without its data (elided or resource constant)");
  auto t = std::make_shared<Tensor>();
  t->shape = shapeOf(c.getResult());
  int64_t n = shape::numElements(t->shape);
  Type et = dense.getElementType();
  if (et.isF32()) {
    if (dense.isSplat()) {
      t->f.assign(n, dense.getSplatValue<float>());
    } else {
      t->f.resize(n);
      ArrayRef<char> raw = dense.getRawData();
      if (int64_t(raw.size()) != n * int64_t(sizeof(float)))
        return fail(op, "unexpected constant data size");
      std::memcpy(t->f.data(), raw.data(), raw.size());
    }
  } else if (isa<FloatType>(et)) {
    t->f.reserve(n);
    for (APFloat v : dense.getValues<APFloat>()) {
      bool lost;
      v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      t->f.push_back(v.convertToFloat());
    }
  } else if (auto it2 = dyn_cast<IntegerType>(et)) {
    bool zext = it2.isUnsigned() || it2.getWidth() == 1;
    t->i.reserve(n);
    for (APInt v : dense.getValues<APInt>())
      t->i.push_back(zext ? int64_t(v.getZExtValue()) : v.getSExtValue());
  } else if (et.isIndex()) {
    for (APInt v : dense.getValues<APInt>())
      t->i.push_back(v.getSExtValue());
  } else {
    return fail(op, "constant of element type that has no host storage");
  }
  if (int64_t(t->f.size() + t->i.size()) != n)
    return fail(op, "constant data does not match its shape");
  cx.constants[op] = t;
  out.push_back(t);
  return success();
}

/// Every op the evaluator runs, by class.
const OpTable &opTable() {
  static const OpTable table = [] {
    OpTable t;
    t.add<ConstantOp>(evalConstant);
    addConvGemmOps(t);
    addElementwiseOps(t);
    addReduceOps(t);
    addDataMovementOps(t);
    addQuantOps(t);
    addTemporalShiftOps(t);
    addLlmOps(t);
    return t;
  }();
  return table;
}

} // namespace

struct Evaluator::Impl : EvalContext {
  func::FuncOp func;
  /// Last op of the block that uses each value (values are freed after it).
  DenseMap<Value, Operation *> lastUse;

  explicit Impl(func::FuncOp f) : func(f) {
    if (func.getBody().empty())
      return;
    for (Operation &op : func.getBody().front())
      for (Value v : op.getOperands())
        lastUse[v] = &op;
  }

  FailureOr<std::vector<Tensor>> run(ArrayRef<Tensor> inputs, Observer observe);
  LogicalResult exec(Operation *op, Results &out);
};

LogicalResult Evaluator::Impl::exec(Operation *op, Results &out) {
  // Operands must have been computed (one block, in order).
  for (Value v : op->getOperands())
    if (!vals.count(v))
      return fail(op, "an operand is not computed before its use");
  OpEvaluator eval = opTable().lookup(op);
  if (!eval)
    return fail(op, "no evaluator for this op");
  return eval(*this, op, out);
}

FailureOr<std::vector<Tensor>> Evaluator::Impl::run(ArrayRef<Tensor> inputs, Observer observe) {
  if (func.getBody().empty() || !func.getBody().hasOneBlock())
    return func.emitError("calibration needs a function with one block");
  Block &body = func.getBody().front();
  if (inputs.size() != body.getNumArguments())
    return func.emitError() << "calibration: the function has " << body.getNumArguments()
                            << " argument(s), got " << inputs.size() << " input tensor(s)";
  vals.clear();
  for (auto [k, arg] : llvm::enumerate(body.getArguments())) {
    const Tensor &t = inputs[k];
    Shape want = shapeOf(arg);
    bool isF = floatType(arg.getType());
    size_t n = size_t(shape::numElements(want));
    if (t.shape != want || (isF ? t.f.size() : t.i.size()) != n ||
        (isF ? t.i.size() : t.f.size()) != 0)
      return func.emitError() << "calibration: input " << k << " must be a "
                              << (isF ? "float" : "integer") << " tensor of shape "
                              << shape::toString(want) << ", got " << shape::toString(t.shape)
                              << " with " << (t.f.size() + t.i.size()) << " "
                              << (t.isFloat() ? "float" : "integer") << " values";
    vals[arg] = std::make_shared<Tensor>(t);
  }
  auto release = [&](Operation *op) {
    for (Value v : op->getOperands()) {
      auto it = lastUse.find(v);
      if (it != lastUse.end() && it->second == op)
        vals.erase(v);
    }
  };
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<Tensor> results;
      for (Value v : ret.getOperands()) {
        auto it = vals.find(v);
        if (it == vals.end())
          return fail(&op, "a returned value is not computed");
        results.push_back(*it->second);
      }
      vals.clear();
      return results;
    }
    SmallVector<TensorPtr, 2> res;
    if (failed(exec(&op, res))) {
      vals.clear();
      return failure();
    }
    if (res.size() != op.getNumResults()) {
      vals.clear();
      return fail(&op, "internal: wrong number of results");
    }
    for (auto [r, t] : llvm::zip(op.getResults(), res)) {
      bool isF = floatType(r.getType());
      size_t n = size_t(shape::numElements(shapeOf(r)));
      if (t->shape != shapeOf(r) || (isF ? t->f.size() : t->i.size()) != n) {
        vals.clear();
        return fail(&op, "internal: result does not match its type " + shape::toString(shapeOf(r)));
      }
      vals[r] = t;
      if (observe)
        observe(r, *t);
    }
    release(&op);
  }
  vals.clear();
  return func.emitError("calibration: the function has no func.return");
}

Evaluator::Evaluator(func::FuncOp func) : impl(std::make_unique<Impl>(func)) {}
Evaluator::~Evaluator() = default;

FailureOr<std::vector<Tensor>> Evaluator::run(ArrayRef<Tensor> inputs, Observer observe) {
  return impl->run(inputs, observe);
}

FailureOr<std::vector<Tensor>> run(func::FuncOp func, ArrayRef<Tensor> inputs, Observer observe) {
  Evaluator e(func);
  return e.run(inputs, observe);
}

} // namespace pare::eval
