//===- MemoryPlan.cpp - tensor lifetimes of a pare function ---------------===//
#include "compiler/MemoryPlan.h"

#include "dialects/Pare/IR/PareOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace pare::planning {

Value storageRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<pare::ReshapeOp, pare::IdentityOp>(def))
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
  int64_t bytes = e.isInteger(1) ? 1 : (e.getIntOrFloatBitWidth() + 7) / 8;
  return rt.getNumElements() * bytes;
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
  return plan;
}

} // namespace pare::planning
