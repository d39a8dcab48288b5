//===- CudaOpsElementwise.cpp - CUDA emitter: elementwise ops -------------===//
//
// Broadcasting binary ops (with a fused activation), unary math, the
// activation ops, float32 <-> float16 casts and where.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaModule.h"

#include "dialects/Pare/IR/RuntimeOpcodes.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace pare::codegen::cuda {
namespace {

LogicalResult emitBinary(CudaModule &m, CudaOp &o) {
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const Shape &os = o.os;
  Type t = o.t;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(m)))
    return failure();
  if (elemOf(op->getOperand(1)) != t)
    return m.unsupported(op, "operands of different element types");
  Shape shape = os.empty() ? Shape{1} : os;
  auto sa = shape::broadcastStrides(shapeOf(op->getOperand(0)), shape);
  auto sb = shape::broadcastStrides(shapeOf(op->getOperand(1)), shape);
  ActArgs act = fusedActivation(op);
  m.body += m.launch("pare_cu_binary_" + sfx + "(" + runtimeOpcode(op)->enumerator.str() + ", " +
                     in[0] + ", " + in[1] + ", " + out[0] + ", " + cuShape(shape, {sa, sb}) + ", " +
                     act.kind + ", " + act.a + ", " + act.b + ", stream");
  return success();
}

LogicalResult emitUnary(CudaModule &m, CudaOp &o) {
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(m)))
    return failure();
  m.body += m.launch("pare_cu_unary_" + sfx + "(" + in[0] + ", " + out[0] + ", " + o.count() +
                     ", " + runtimeOpcode(op)->enumerator.str() + ", stream");
  return success();
}

LogicalResult emitActivation(CudaModule &m, CudaOp &o) {
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(m)))
    return failure();
  ActArgs act = standaloneActivation(op);
  m.body += m.launch("pare_cu_activation_" + sfx + "(" + in[0] + ", " + out[0] + ", " + o.count() +
                     ", " + act.kind + ", " + act.a + ", " + act.b + ", stream");
  return success();
}

LogicalResult emitCast(CudaModule &m, CudaOp &o) {
  auto c = cast<CastOp>(o.op);
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  Type t = o.t;
  Type from = elemOf(c.getInput());
  if (from.isF32() && t.isF16())
    m.body +=
        m.launch("pare_cu_f32_to_f16(" + in[0] + ", " + out[0] + ", " + o.count() + ", stream");
  else if (from.isF16() && t.isF32())
    m.body +=
        m.launch("pare_cu_f16_to_f32(" + in[0] + ", " + out[0] + ", " + o.count() + ", stream");
  else
    return m.unsupported(op, "casts other than float32 <-> float16");
  return success();
}

LogicalResult emitWhere(CudaModule &m, CudaOp &o) {
  auto w = cast<WhereOp>(o.op);
  auto &in = o.in;
  const auto &out = o.out;
  const Shape &os = o.os;
  Type t = o.t;
  Shape shape = os.empty() ? Shape{1} : os;
  m.body += m.launch("pare_cu_where(" + i32(elemBytes(t)) + ", " + in[0] + ", " + in[1] + ", " +
                     in[2] + ", " + out[0] + ", " +
                     cuShape(shape, {shape::broadcastStrides(shapeOf(w.getCondition()), shape),
                                     shape::broadcastStrides(shapeOf(w.getX()), shape),
                                     shape::broadcastStrides(shapeOf(w.getY()), shape)}) +
                     ", stream");
  return success();
}

/// Clip with run-time bounds: pare_cu_clip reads each bound on the device
/// (a constant bound is passed as a literal with a NULL pointer).
LogicalResult emitClipDynamic(CudaModule &m, CudaOp &o) {
  auto c = cast<ClipDynamicOp>(o.op);
  if (failed(o.needFloat(m)))
    return failure();
  std::string ptrs, consts;
  for (auto [v, i] : {std::pair<Value, size_t>{c.getMin(), 1}, {c.getMax(), 2}}) {
    DenseElementsAttr attr;
    if (matchPattern(v, m_Constant(&attr))) {
      APFloat f = *attr.getValues<APFloat>().begin();
      bool lost;
      f.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      ptrs += "NULL, ";
      consts += floatLiteral(f.convertToFloat()) + ", ";
    } else {
      ptrs += o.in[i] + ", ";
      consts += "0.0f, ";
    }
  }
  m.body += m.launch("pare_cu_clip_" + o.sfx + "(" + o.in[0] + ", " + ptrs + consts + o.out[0] +
                     ", " + o.count() + ", stream");
  return success();
}

} // namespace

void registerElementwiseOps(OpTable &table) {
  table.add<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp>(emitBinary);
  table.add<SqrtOp, ExpOp, ErfOp, NegOp, ReciprocalOp, AbsOp, LogOp, FloorOp, CeilOp, RoundOp,
            SignOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp, CoshOp, AsinhOp, AcoshOp,
            AtanhOp>(emitUnary);
  table.add<ReluOp, SigmoidOp, TanhOp, HardSwishOp, SoftplusOp, SoftsignOp, MishOp, ClipOp,
            LeakyReluOp, EluOp, CeluOp, ThresholdedReluOp, HardSigmoidOp, SeluOp, GeluOp>(
      emitActivation);
  table.add<CastOp>(emitCast);
  table.add<WhereOp>(emitWhere);
  table.add<ClipDynamicOp>(emitClipDynamic);
}

} // namespace pare::codegen::cuda
