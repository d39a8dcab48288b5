//===- MemoryPlan.cpp - tensor lifetimes of a pare function ---------------===//
#include "compiler/MemoryPlan.h"

#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/QuantUtils.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace pare::planning {

Value storageRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<pare::ReshapeOp, pare::IdentityOp, pare::StorageCastOp>(def))
      v = def->getOperand(0);
    else
      break;
  }
  return v;
}

DenseMap<Value, unsigned> outputOwners(func::FuncOp func) {
  DenseMap<Value, unsigned> owners;
  Operation *ret = func.getBody().front().getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    Value root = storageRoot(v);
    if (!root.getDefiningOp() || matchPattern(root, m_Constant()))
      continue; // an input or a constant: copied into the output
    if (!owners.count(root))
      owners[root] = i;
  }
  return owners;
}

bool needsArena(Value v, const DenseMap<Value, unsigned> &owners) {
  Operation *def = v.getDefiningOp();
  // A producer that adds its residual writes the add's buffer instead.
  return def && !def->hasAttr("pare.residual_add") && storageRoot(v) == v &&
         !matchPattern(v, m_Constant()) && !owners.count(v);
}

int64_t byteSize(Type t) {
  auto rt = cast<RankedTensorType>(t);
  Type e = rt.getElementType();
  if (auto q = dyn_cast<quant::QuantizedType>(e))
    e = q.getStorageType();
  int64_t bytes = e.isInteger(1) ? 1 : (e.getIntOrFloatBitWidth() + 7) / 8;
  return rt.getNumElements() * bytes;
}

bool usesGenericInt8Kernel(Operation *op) {
  auto symmetric = [](Value w) {
    auto p = qtype::params(w.getType());
    return p && p->isSigned &&
           llvm::all_of(p->zeroPoints, [](int64_t z) { return z == 0; });
  };
  auto s8Result = [&]() { return qtype::isQuantized(op->getResult(0).getType()); };
  // ONNX rounding: requantize in float32, round half to even, as onnxruntime
  // does for QDQ / QOperator models (the generic kernels do exactly that).
  if (isa<pare::QConvOp, pare::QFullyConnectedOp>(op))
    if (auto m = op->getParentOfType<ModuleOp>())
      if (auto r = m->getAttrOfType<StringAttr>("pare.int8_rounding"); r && r.getValue() == "onnx")
        return true;
  if (auto c = dyn_cast<pare::QConvOp>(op))
    return !s8Result() || !symmetric(c.getWeight()) ||
           (c.getGroup() != 1 && !c.isDepthwise()) ||
           (c.isDepthwise() && cast<RankedTensorType>(c.getWeight().getType()).getDimSize(3) != 1);
  if (auto fc = dyn_cast<pare::QFullyConnectedOp>(op))
    return !s8Result() || !symmetric(fc.getWeight());
  return isa<pare::QMatMulOp>(op);
}

int64_t scratchBytes(Operation *op) {
  auto dims = [](Value v) { return cast<RankedTensorType>(v.getType()).getShape(); };
  if (usesGenericInt8Kernel(op))
    return qtype::isQuantized(op->getResult(0).getType()) ? byteSize(op->getResult(0).getType())
                                                            * 4 : 0;
  if (auto c = dyn_cast<pare::QConvOp>(op)) {
    auto w = dims(c.getWeight()); // OHWI
    int64_t kh = w[1], kw = w[2];
    if (c.isDepthwise())
      return 2 * w[0] * kh * kw; // PARE_DEPTHWISE_CONV2D_S8_SCRATCH_BYTES
    return (5 * w[3] * kh * kw + 3) / 4 * 4; // PARE_CONV2D_S8_SCRATCH_BYTES
  }
  return 0;
}

FunctionPlan planFunction(func::FuncOp func, int64_t alignment) {
  auto owners = outputOwners(func);
  DenseMap<Operation *, int64_t> step;
  int64_t n = 0;
  for (Operation &op : func.getBody().front())
    step[&op] = n++;

  std::vector<Buffer> buffers;
  std::vector<Value> values;
  DenseMap<Value, size_t> index;
  DenseMap<Operation *, size_t> scratchIndex;
  // An add whose residual is added by its producer's kernel (FuseResidualAdd)
  // is written when the producer runs: its buffer starts there.
  DenseMap<Operation *, int64_t> startsEarly;
  for (Operation &op : func.getBody().front()) {
    if (!op.hasAttr("pare.residual_add"))
      continue;
    Operation *user = *op.getResult(0).getUsers().begin();
    if (isa<pare::ReshapeOp>(user))
      user = *user->getResult(0).getUsers().begin();
    startsEarly[user] = step[&op];
  }
  for (Operation &op : func.getBody().front()) {
    for (Value r : op.getResults()) {
      if (!needsArena(r, owners))
        continue;
      index[r] = buffers.size();
      auto early = startsEarly.find(&op);
      int64_t first = early != startsEarly.end() ? early->second : step[&op];
      buffers.push_back({byteSize(r.getType()), first, step[&op]});
      values.push_back(r);
    }
    // Kernel scratch lives while the op runs, in the same arena.
    if (int64_t bytes = scratchBytes(&op)) {
      scratchIndex[&op] = buffers.size();
      buffers.push_back({bytes, step[&op], step[&op]});
      values.push_back(Value());
    }
    // Every use extends the lifetime of the operand's root.
    for (Value o : op.getOperands()) {
      auto it = index.find(storageRoot(o));
      if (it != index.end())
        buffers[it->second].last = std::max(buffers[it->second].last, step[&op]);
    }
  }

  FunctionPlan plan;
  Placement p = placeBest(buffers, alignment);
  plan.arenaBytes = p.arenaBytes;
  plan.lowerBound = liveBytesLowerBound(buffers, alignment);
  for (Operation &op : func.getBody().front()) {
    if (op.getNumResults() == 0 || matchPattern(&op, m_Constant()))
      continue;
    std::vector<int64_t> offs;
    for (Value r : op.getResults()) {
      auto it = index.find(r);
      offs.push_back(it == index.end() ? -1 : p.offsets[it->second]);
    }
    plan.offsets.push_back({&op, offs});
  }
  for (Operation &op : func.getBody().front())
    if (auto it = scratchIndex.find(&op); it != scratchIndex.end())
      plan.scratch.push_back({&op, p.offsets[it->second]});
  // Bytes live while each op runs (its operands, results and scratch).
  for (Operation &op : func.getBody().front()) {
    int64_t s = step[&op], live = 0;
    for (const Buffer &b : buffers)
      if (b.first <= s && s <= b.last)
        live += (b.size + alignment - 1) / alignment * alignment;
    plan.liveBytes.push_back({&op, live});
  }
  return plan;
}

} // namespace pare::planning
