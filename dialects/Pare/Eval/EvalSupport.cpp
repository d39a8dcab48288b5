//===- EvalSupport.cpp - helpers shared by the evaluator's op files -------===//
//
// Types and shapes of values, the error every op reports, activations and
// opcodes for the C kernels, layout helpers, and the result tensors of the
// EvalContext.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/EvalContext.h"

#include "dialects/Pare/IR/QuantUtils.h"

#include "mlir/IR/Location.h"

#include <functional>

using namespace mlir;

namespace pare::eval {

int64_t Tensor::numElements() const { return shape::numElements(shape); }

Tensor Tensor::floats(std::vector<int64_t> shape, std::vector<float> data) {
  Tensor t;
  t.shape = std::move(shape);
  t.f = std::move(data);
  return t;
}

Tensor Tensor::ints(std::vector<int64_t> shape, std::vector<int64_t> data) {
  Tensor t;
  t.shape = std::move(shape);
  t.i = std::move(data);
  return t;
}

Shape shapeOf(Value v) {
  auto s = cast<ShapedType>(v.getType()).getShape();
  return Shape(s.begin(), s.end());
}
Type elemOf(Value v) { return cast<ShapedType>(v.getType()).getElementType(); }
/// Float storage (any float element type is held as float32).
bool floatType(Type t) { return isa<FloatType>(qtype::elementOf(t)); }

std::vector<int32_t> i32s(ArrayRef<int64_t> v) { return std::vector<int32_t>(v.begin(), v.end()); }

/// "conv_3" from the op's location, or its position in the block.
static std::string nodeName(Operation *op) {
  std::function<std::string(Location)> find = [&](Location l) -> std::string {
    if (auto n = dyn_cast<NameLoc>(l))
      return n.getName().str();
    if (auto f = dyn_cast<FusedLoc>(l))
      for (Location s : f.getLocations()) {
        std::string r = find(s);
        if (!r.empty())
          return r;
      }
    if (auto c = dyn_cast<CallSiteLoc>(l))
      return find(c.getCallee());
    return "";
  };
  std::string n = find(op->getLoc());
  if (!n.empty())
    return n;
  unsigned idx = 0;
  for (Operation &o : *op->getBlock()) {
    if (&o == op)
      break;
    ++idx;
  }
  return std::to_string(idx);
}

LogicalResult fail(Operation *op, const Twine &why) {
  return op->emitError() << "calibration cannot evaluate '" << op->getName().getStringRef()
                         << "' (node " << nodeName(op) << "): " << why;
}

// The C kernels' enums take the values of RuntimeOpcodes.def, which the
// emitters print by name: the evaluator's opcodes are the emitted code's.
#define PARE_UNARY_OPCODE(Op, Name, Value) static_assert(PARE_UN_##Name == Value);
#define PARE_BINARY_OPCODE(Op, Name, Value) static_assert(PARE_BIN_##Name == Value);
#define PARE_COMPARE_OPCODE(Op, Name, Value) static_assert(PARE_CMP_##Name == Value);
#define PARE_REDUCE_OPCODE(Op, Name, Value) static_assert(PARE_RED_##Name == Value);
#define PARE_ACTIVATION_OPCODE(Str, Name, Value) static_assert(PARE_ACT_##Name == Value);
#include "dialects/Pare/IR/RuntimeOpcodes.def"

static std::optional<pare_act_t> actKind(StringRef name) {
  if (auto code = activationOpcode(name))
    return static_cast<pare_act_t>(code->value);
  return std::nullopt;
}

/// The fused activation of a conv / gemm / matmul / binary op.
FailureOr<Act> fusedAct(Operation *op) {
  Act r;
  auto name = op->getAttrOfType<StringAttr>("activation");
  if (!name)
    return r;
  auto k = actKind(name.getValue());
  if (!k)
    return fail(op, "unknown fused activation '" + name.getValue() + "'");
  r.kind = *k;
  if (auto params = op->getAttrOfType<DenseF32ArrayAttr>("activation_params")) {
    auto p = params.asArrayRef();
    if (p.size() > 0)
      r.a = p[0];
    if (p.size() > 1)
      r.b = p[1];
  }
  return r;
}

/// The activation a standalone activation op computes.
FailureOr<Act> standaloneAct(Operation *op) {
  Act r;
  std::string name = op->getName().stripDialect().str();
  if (auto c = dyn_cast<ClipOp>(op)) {
    r.a = c.getMin().convertToFloat();
    r.b = c.getMax().convertToFloat();
  } else if (auto h = dyn_cast<HardSigmoidOp>(op)) {
    r.a = h.getAlpha().convertToFloat();
    r.b = h.getBeta().convertToFloat();
  } else if (auto s = dyn_cast<SeluOp>(op)) {
    r.a = s.getAlpha().convertToFloat();
    r.b = s.getGamma().convertToFloat();
  } else if (auto g = dyn_cast<GeluOp>(op)) {
    name = g.getTanhApproximation() ? "gelu_tanh" : "gelu";
  } else if (auto alpha = op->getAttrOfType<FloatAttr>("alpha")) {
    r.a = float(alpha.getValueAsDouble());
  }
  auto k = actKind(name);
  if (!k)
    return fail(op, "unknown activation");
  r.kind = *k;
  return r;
}

/// Bytes per element of a host tensor's storage.
size_t storageBytes(const Tensor &t) { return t.isFloat() ? sizeof(float) : sizeof(int64_t); }
const void *dataOf(const Tensor &t) {
  return t.isFloat() ? static_cast<const void *>(t.f.data())
                     : static_cast<const void *>(t.i.data());
}

/// Wraps an integer to the value range of `t` (two's complement, as C casts).
int64_t wrapTo(int64_t v, Type t) {
  if (t.isInteger(1))
    return v != 0;
  auto it = dyn_cast<IntegerType>(t);
  if (!it || it.getWidth() >= 64)
    return v;
  unsigned w = it.getWidth();
  uint64_t mask = (uint64_t(1) << w) - 1;
  uint64_t u = uint64_t(v) & mask;
  if (it.isUnsigned())
    return int64_t(u);
  if (u & (uint64_t(1) << (w - 1)))
    return int64_t(u | ~mask);
  return int64_t(u);
}

std::vector<float> transposeF(const std::vector<float> &x, const Shape &s, ArrayRef<int64_t> perm) {
  std::vector<float> y(x.size());
  if (x.empty())
    return y;
  auto sh = i32s(s), pm = i32s(perm);
  pare_transpose(sizeof(float), x.data(), sh.data(), pm.data(), int(s.size()), y.data());
  return y;
}

Shape permuted(const Shape &s, ArrayRef<int64_t> perm) {
  Shape r;
  for (int64_t p : perm)
    r.push_back(s[p]);
  return r;
}

const int64_t kToNHWC[4] = {0, 2, 3, 1};
const int64_t kToNCHW[4] = {0, 3, 1, 2};

std::shared_ptr<Tensor> EvalContext::newFloat(Value r) {
  auto t = std::make_shared<Tensor>();
  t->shape = shapeOf(r);
  t->f.assign(shape::numElements(t->shape), 0.0f);
  return t;
}

std::shared_ptr<Tensor> EvalContext::newInt(Value r) {
  auto t = std::make_shared<Tensor>();
  t->shape = shapeOf(r);
  t->i.assign(shape::numElements(t->shape), 0);
  return t;
}

std::shared_ptr<Tensor> EvalContext::newLike(Value r) {
  return floatType(r.getType()) ? newFloat(r) : newInt(r);
}

LogicalResult EvalContext::requireFloat(Operation *op) {
  for (Value v : op->getOperands())
    if (!in(v).isFloat())
      return fail(op, "only float32 tensors are supported by this kernel");
  return success();
}

} // namespace pare::eval
