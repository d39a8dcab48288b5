//===- EvalElementwise.cpp - evaluator: elementwise ops -------------------===//
//
// The broadcasting binary ops (float with fused activation, and integer),
// comparisons and logical ops; not, where; unary math, the activation ops
// and casts.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/EvalContext.h"

#include "dialects/Pare/IR/QuantUtils.h"

#include "llvm/ADT/APFloat.h"

#include <cmath>

using namespace mlir;

namespace pare::eval {
namespace {

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

/// Strides of both operands and the shape of the result, as the C kernels
/// take them (rank <= 8; a scalar as [1]).
struct Broadcast {
  std::vector<int32_t> a, b, shape;
  int rank() const { return int(shape.size()); }
};

/// Computes y from the operands of a broadcasting binary op.
using BinaryKernel = LogicalResult (*)(Operation *op, const Tensor &lhs, const Tensor &rhs,
                                       const Broadcast &bc, Tensor &y);

/// Runs `kernel` for the two operands of `op` broadcast to its result; an
/// empty result is not computed.
LogicalResult evalBroadcast(EvalContext &cx, Operation *op, Results &out, BinaryKernel kernel) {
  const Tensor &lhs = cx.in(op->getOperand(0)), &rhs = cx.in(op->getOperand(1));
  Value res = op->getResult(0);
  Shape shape = shapeOf(res);
  if (shape.size() > 8)
    return fail(op, "tensors of rank > 8");
  if (shape.empty())
    shape = {1};
  Broadcast bc{i32s(shape::broadcastStrides(lhs.shape, shape)),
               i32s(shape::broadcastStrides(rhs.shape, shape)), i32s(shape)};
  auto y = cx.newLike(res);
  if (shape::numElements(shape) != 0 && failed(kernel(op, lhs, rhs, bc, *y)))
    return failure();
  out.push_back(y);
  return success();
}

/// add, sub, mul, div, pow, max, min, mod: float (with the fused
/// activation; an integer exponent is converted) or integer storage, wrapped
/// to the result's element type.
LogicalResult arithmetic(Operation *op, const Tensor &lhs, const Tensor &rhs, const Broadcast &bc,
                         Tensor &y) {
  pare_binop_t bin = *opcodeOf<pare_binop_t>(op, RuntimeOpFamily::Binary);
  if (y.isFloat() && !y.f.empty()) {
    auto actOr = fusedAct(op);
    if (failed(actOr))
      return failure();
    if (!lhs.isFloat())
      return fail(op, "mixed float and integer operands");
    std::vector<float> conv;
    const float *bp = rhs.f.data();
    if (!rhs.isFloat()) { // an integer exponent
      conv.assign(rhs.i.begin(), rhs.i.end());
      bp = conv.data();
    }
    pare_binary_f32(bin, lhs.f.data(), bc.a.data(), bp, bc.b.data(), y.f.data(), bc.shape.data(),
                    bc.rank(), actOr->kind, actOr->a, actOr->b);
    return success();
  }
  if (lhs.isFloat() || rhs.isFloat())
    return fail(op, "mixed float and integer operands");
  if (auto mod = dyn_cast<ModOp>(op); mod && mod.getFmod())
    return fail(op, "integer Mod with fmod=1");
  Value res = op->getResult(0);
  if (qtype::isQuantized(res.getType()))
    return fail(op, "float op on quantized tensors");
  pare_binary_i64(bin, lhs.i.data(), bc.a.data(), rhs.i.data(), bc.b.data(), y.i.data(),
                  bc.shape.data(), bc.rank());
  Type et = elemOf(res);
  for (int64_t &v : y.i)
    v = wrapTo(v, et);
  return success();
}

/// equal, less, less_or_equal, greater, greater_or_equal: a bool result.
LogicalResult comparison(Operation *op, const Tensor &lhs, const Tensor &rhs, const Broadcast &bc,
                         Tensor &y) {
  if (lhs.isFloat() != rhs.isFloat())
    return fail(op, "mixed float and integer operands");
  std::vector<uint8_t> r(y.i.size());
  pare_compare(*opcodeOf<pare_cmpop_t>(op, RuntimeOpFamily::Compare),
               lhs.isFloat() ? PARE_F32 : PARE_I64, dataOf(lhs), bc.a.data(), dataOf(rhs),
               bc.b.data(), r.data(), bc.shape.data(), bc.rank());
  y.i.assign(r.begin(), r.end());
  return success();
}

/// and, or, xor on bools.
LogicalResult logical(Operation *op, const Tensor &lhs, const Tensor &rhs, const Broadcast &bc,
                      Tensor &y) {
  if (lhs.isFloat() || rhs.isFloat())
    return fail(op, "logical op on float tensors");
  int code = isa<AndOp>(op) ? 0 : isa<OrOp>(op) ? 1 : 2;
  std::vector<uint8_t> a8(lhs.i.size()), b8(rhs.i.size()), r(y.i.size());
  for (size_t k = 0; k < a8.size(); ++k)
    a8[k] = lhs.i[k] != 0;
  for (size_t k = 0; k < b8.size(); ++k)
    b8[k] = rhs.i[k] != 0;
  pare_logical(code, a8.data(), bc.a.data(), b8.data(), bc.b.data(), r.data(), bc.shape.data(),
               bc.rank());
  y.i.assign(r.begin(), r.end());
  return success();
}

LogicalResult evalArithmetic(EvalContext &cx, Operation *op, Results &out) {
  return evalBroadcast(cx, op, out, arithmetic);
}
LogicalResult evalComparison(EvalContext &cx, Operation *op, Results &out) {
  return evalBroadcast(cx, op, out, comparison);
}
LogicalResult evalLogical(EvalContext &cx, Operation *op, Results &out) {
  return evalBroadcast(cx, op, out, logical);
}

//===----------------------------------------------------------------------===//
// Other elementwise ops
//===----------------------------------------------------------------------===//

LogicalResult evalNot(EvalContext &cx, Operation *op, Results &out) {
  auto n = cast<NotOp>(op);
  const Tensor &x = cx.in(n.getInput());
  if (x.isFloat())
    return fail(op, "logical not of a float tensor");
  auto y = cx.newInt(n.getResult());
  for (size_t k = 0; k < x.i.size(); ++k)
    y->i[k] = x.i[k] == 0;
  out.push_back(y);
  return success();
}

LogicalResult evalWhere(EvalContext &cx, Operation *op, Results &out) {
  auto w = cast<WhereOp>(op);
  const Tensor &c = cx.in(w.getCondition()), &x = cx.in(w.getX()), &z = cx.in(w.getY());
  if (c.isFloat() || x.isFloat() != z.isFloat())
    return fail(op, "operand types");
  Shape shape = shapeOf(w.getResult());
  if (shape.size() > 8)
    return fail(op, "tensors of rank > 8");
  if (shape.empty())
    shape = {1};
  auto cs = i32s(shape::broadcastStrides(c.shape, shape));
  auto xs = i32s(shape::broadcastStrides(x.shape, shape));
  auto zs = i32s(shape::broadcastStrides(z.shape, shape));
  auto sh = i32s(shape);
  std::vector<uint8_t> c8(c.i.size());
  for (size_t k = 0; k < c8.size(); ++k)
    c8[k] = c.i[k] != 0;
  auto y = cx.newLike(w.getResult());
  if (y->numElements() > 0)
    pare_where(storageBytes(x), c8.data(), cs.data(), dataOf(x), xs.data(), dataOf(z), zs.data(),
               y->isFloat() ? (void *)y->f.data() : (void *)y->i.data(), sh.data(),
               int(shape.size()));
  out.push_back(y);
  return success();
}

LogicalResult evalUnary(EvalContext &cx, Operation *op, Results &out) {
  auto code = opcodeOf<pare_unop_t>(op, RuntimeOpFamily::Unary);
  const Tensor &x = cx.in(op->getOperand(0));
  auto y = cx.newLike(op->getResult(0));
  if (x.isFloat() != y->isFloat())
    return fail(op, "operand types");
  if (x.isFloat()) {
    pare_unary_f32(x.f.data(), y->f.data(), x.f.size(), *code);
  } else {
    if (!isa<NegOp, AbsOp, SignOp>(op))
      return fail(op, "integer tensors");
    pare_unary_i64(x.i.data(), y->i.data(), x.i.size(), *code);
  }
  out.push_back(y);
  return success();
}

LogicalResult evalActivation(EvalContext &cx, Operation *op, Results &out) {
  if (failed(cx.requireFloat(op)))
    return failure();
  auto a = standaloneAct(op);
  if (failed(a))
    return failure();
  const Tensor &x = cx.in(op->getOperand(0));
  auto y = cx.newFloat(op->getResult(0));
  pare_activation_f32(x.f.data(), y->f.data(), x.f.size(), a->kind, a->a, a->b);
  out.push_back(y);
  return success();
}

/// Clip with run-time bounds: the clip activation with the bounds' values.
LogicalResult evalClipDynamic(EvalContext &cx, Operation *op, Results &out) {
  if (failed(cx.requireFloat(op)))
    return failure();
  auto c = cast<ClipDynamicOp>(op);
  const Tensor &x = cx.in(c.getInput());
  const Tensor &lo = cx.in(c.getMin()), &hi = cx.in(c.getMax());
  if (lo.f.size() != 1 || hi.f.size() != 1)
    return fail(op, "bounds must hold one float each");
  auto y = cx.newFloat(c.getResult());
  pare_activation_f32(x.f.data(), y->f.data(), x.f.size(), PARE_ACT_CLIP, lo.f[0], hi.f[0]);
  out.push_back(y);
  return success();
}

LogicalResult evalCast(EvalContext &cx, Operation *op, Results &out) {
  auto c = cast<CastOp>(op);
  const Tensor &x = cx.in(c.getInput());
  Type to = elemOf(c.getResult());
  if (qtype::isQuantized(to) || qtype::isQuantized(elemOf(c.getInput())))
    return fail(op, "cast of quantized tensors");
  auto y = cx.newLike(c.getResult());
  size_t n = y->f.size() + y->i.size();
  if (x.f.size() + x.i.size() != n)
    return fail(op, "element count mismatch");
  if (x.isFloat()) {
    if (y->isFloat()) {
      if (to.isF16() || to.isBF16()) {
        // Round through the narrower type, as the cast does.
        for (size_t k = 0; k < n; ++k) {
          APFloat v(x.f[k]);
          bool lost;
          v.convert(cast_if_present<FloatType>(to).getFloatSemantics(),
                    APFloat::rmNearestTiesToEven, &lost);
          v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
          y->f[k] = v.convertToFloat();
        }
      } else {
        y->f = x.f;
      }
    } else {
      for (size_t k = 0; k < n; ++k) {
        float v = x.f[k];
        if (to.isInteger(1)) {
          y->i[k] = v != 0.0f;
          continue;
        }
        double t = std::trunc(double(v));
        if (std::isnan(t))
          t = 0;
        t = std::min(std::max(t, -9.2e18), 9.2e18);
        y->i[k] = wrapTo(int64_t(t), to);
      }
    }
  } else {
    if (y->isFloat()) {
      for (size_t k = 0; k < n; ++k)
        y->f[k] = float(x.i[k]);
    } else {
      for (size_t k = 0; k < n; ++k)
        y->i[k] = wrapTo(x.i[k], to);
    }
  }
  out.push_back(y);
  return success();
}

} // namespace

void addElementwiseOps(OpTable &table) {
  table.add<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp>(evalArithmetic);
  table.add<EqualOp, LessOp, LessOrEqualOp, GreaterOp, GreaterOrEqualOp>(evalComparison);
  table.add<AndOp, OrOp, XorOp>(evalLogical);
  table.add<NotOp>(evalNot);
  table.add<WhereOp>(evalWhere);
  table.add<SqrtOp, ExpOp, ErfOp, NegOp, ReciprocalOp, AbsOp, LogOp, FloorOp, CeilOp, RoundOp,
            SignOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp, CoshOp, AsinhOp, AcoshOp,
            AtanhOp>(evalUnary);
  table.add<ReluOp, SigmoidOp, TanhOp, HardSwishOp, SoftplusOp, SoftsignOp, MishOp, ClipOp,
            LeakyReluOp, EluOp, CeluOp, ThresholdedReluOp, HardSigmoidOp, SeluOp, GeluOp>(
      evalActivation);
  table.add<CastOp>(evalCast);
  table.add<ClipDynamicOp>(evalClipDynamic);
}

} // namespace pare::eval
