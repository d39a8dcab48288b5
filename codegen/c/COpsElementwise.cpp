//===- COpsElementwise.cpp - C emitters: elementwise ops ------------------===//
//
// The kernels of pare_k_elementwise.c; the runtime opcode of each op comes
// from RuntimeOpcodes.def, shared with the CUDA target and the evaluator.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CModule.h"

#include "dialects/Pare/IR/RuntimeOpcodes.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace pare::codegen {

using shape::Shape;

namespace {

/// Elementwise arithmetic with NumPy broadcasting.
LogicalResult emitBinary(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  Type t = elemOf(op->getResult(0));
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  std::string rp;
  if (elemOf(rhs) != t) {
    if (!matchPattern(rhs, m_Constant()))
      return m.unsupported(op, "an exponent of a different element type");
    rp = m.weight(rhs, t);
  } else {
    rp = in[1];
  }
  std::string suffix = t.isF32()                                     ? "f32"
                       : t.isInteger(64)                             ? "i64"
                       : (t.isInteger(32) && !t.isUnsignedInteger()) ? "i32"
                                                                     : "";
  if (suffix.empty())
    return m.unsupported(op, "element type other than float32, int32, int64");
  if (auto mod = dyn_cast<ModOp>(op))
    if (!t.isF32() && mod.getFmod())
      return m.unsupported(op, "integer Mod with fmod=1");
  Shape shape;
  m.line("  {\n");
  if (failed(m.emitBroadcastOperands(op, {lhs, rhs}, {"a_strides", "b_strides"}, shape)))
    return failure();
  std::string call = "    " + m.call("pare_binary_" + suffix) +
                     runtimeOpcode(op)->enumerator.str() + ", " + in[0] + ", a_strides, " + rp +
                     ", b_strides, " + out[0] + ", shape, " + i32(shape.size());
  if (t.isF32()) {
    ActArgs act = fusedActivation(op);
    call += ",\n        " + act.kind + ", " + act.a + ", " + act.b;
  }
  m.line(call + ");\n  }\n");
  return success();
}

/// Comparisons with NumPy broadcasting (bool result).
LogicalResult emitCompare(CModule &m, Operation *op, const Operands &in,
                          ArrayRef<std::string> out) {
  Type t = elemOf(op->getOperand(0));
  if (!t.isF32() && !t.isInteger(64) && !(t.isInteger(32) && !t.isUnsignedInteger()))
    return m.unsupported(op, "comparison of this element type");
  Shape shape;
  m.line("  {\n");
  if (failed(m.emitBroadcastOperands(op, {op->getOperand(0), op->getOperand(1)},
                                     {"a_strides", "b_strides"}, shape)))
    return failure();
  m.line("    " + m.call("pare_compare") + runtimeOpcode(op)->enumerator.str() + ", " +
         dtypeEnum(t) + ", " + in[0] + ", a_strides, " + in[1] + ", b_strides, " + out[0] +
         ", shape, " + i32(shape.size()) + ");\n  }\n");
  return success();
}

/// And / or / xor of bool tensors.
LogicalResult emitLogical(CModule &m, Operation *op, const Operands &in,
                          ArrayRef<std::string> out) {
  std::string code = isa<AndOp>(op) ? "0" : isa<OrOp>(op) ? "1" : "2";
  Shape shape;
  m.line("  {\n");
  if (failed(m.emitBroadcastOperands(op, {op->getOperand(0), op->getOperand(1)},
                                     {"a_strides", "b_strides"}, shape)))
    return failure();
  m.line("    " + m.call("pare_logical") + code + ", " + in[0] + ", a_strides, " + in[1] +
         ", b_strides, " + out[0] + ", shape, " + i32(shape.size()) + ");\n  }\n");
  return success();
}

/// Logical not of a bool tensor.
LogicalResult emitNot(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto count = [&]() { return std::to_string(numel(op->getResult(0))); };
  m.line("  " + m.call("pare_logical_not") + in[0] + ", " + out[0] + ", " + count() + ");\n");
  return success();
}

/// Where: a bool condition selects x or y, broadcast.
LogicalResult emitWhere(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto w = cast<WhereOp>(op);
  Shape shape;
  m.line("  {\n");
  if (failed(m.emitBroadcastOperands(op, {w.getCondition(), w.getX(), w.getY()},
                                     {"c_strides", "x_strides", "y_strides"}, shape)))
    return failure();
  m.line("    " + m.call("pare_where") + i32(elemBytes(elemOf(w.getX()))) + ", " + in[0] +
         ", c_strides, " + in[1] + ", x_strides, " + in[2] + ", y_strides, " + out[0] +
         ", shape, " + i32(shape.size()) + ");\n  }\n");
  return success();
}

/// Elementwise math functions (float; neg, abs and sign also on integers).
LogicalResult emitUnary(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto count = [&]() { return std::to_string(numel(op->getResult(0))); };
  std::string code = runtimeOpcode(op)->enumerator.str();
  Type t = elemOf(op->getOperand(0));
  if (t.isF32()) {
    m.line("  " + m.call("pare_unary_f32") + in[0] + ", " + out[0] + ", " + count() + ", " + code +
           ");\n");
    return success();
  }
  bool intOk = isa<NegOp, AbsOp, SignOp>(op);
  if (intOk && (t.isInteger(64) || (t.isInteger(32) && !t.isUnsignedInteger()))) {
    m.line("  " + m.call(std::string("pare_unary_") + (t.isInteger(64) ? "i64" : "i32")) + in[0] +
           ", " + out[0] + ", " + count() + ", " + code + ");\n");
    return success();
  }
  return m.unsupported(op, "this element type");
}

/// Standalone activations through the fused-activation kernel.
LogicalResult emitActivation(CModule &m, Operation *op, const Operands &in,
                             ArrayRef<std::string> out) {
  auto count = [&]() { return std::to_string(numel(op->getResult(0))); };
  if (failed(m.requireF32(op)))
    return failure();
  ActArgs act = standaloneActivation(op);
  m.line("  " + m.call("pare_activation_f32") + in[0] + ", " + out[0] + ", " + count() + ", " +
         act.kind + ", " + act.a + ", " + act.b + ");\n");
  return success();
}

/// Clip with run-time bounds: the clip activation kernel with each bound read
/// from its one-element tensor when the call runs (a constant bound is a
/// literal, so its weight is never emitted).
LogicalResult emitClipDynamic(CModule &m, Operation *op, const Operands &in,
                              ArrayRef<std::string> out) {
  if (failed(m.requireF32(op)))
    return failure();
  auto c = cast<ClipDynamicOp>(op);
  auto bound = [&](Value v, size_t i) -> std::string {
    DenseElementsAttr attr;
    if (matchPattern(v, m_Constant(&attr)))
      return floatLiteral(*attr.getValues<float>().begin());
    return "(" + in[i] + ")[0]";
  };
  m.line("  " + m.call("pare_activation_f32") + in[0] + ", " + out[0] + ", " +
         std::to_string(numel(c.getResult())) + ", PARE_ACT_CLIP,\n      " +
         bound(c.getMin(), 1) + ", " + bound(c.getMax(), 2) + ");\n");
  return success();
}

} // namespace

void registerElementwiseOps(OpTable &table) {
  table.add<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp>(emitBinary);
  table.add<EqualOp, LessOp, LessOrEqualOp, GreaterOp, GreaterOrEqualOp>(emitCompare);
  table.add<AndOp, OrOp, XorOp>(emitLogical);
  table.add<NotOp>(emitNot);
  table.add<WhereOp>(emitWhere);
  table.add<SqrtOp, ExpOp, ErfOp, NegOp, ReciprocalOp, AbsOp, LogOp, FloorOp, CeilOp, RoundOp,
            SignOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp, CoshOp, AsinhOp, AcoshOp,
            AtanhOp>(emitUnary);
  table.add<ReluOp, SigmoidOp, TanhOp, HardSwishOp, SoftplusOp, SoftsignOp, MishOp, ClipOp,
            LeakyReluOp, EluOp, CeluOp, ThresholdedReluOp, HardSigmoidOp, SeluOp, GeluOp>(
      emitActivation);
  table.add<ClipDynamicOp>(emitClipDynamic);
}

} // namespace pare::codegen
