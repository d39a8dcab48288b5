//===- ConstantComputed.cpp - values the folders left computed from constants //
//
// See ConstantComputed.h.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/ConstantComputed.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace pare {

bool isConstantComputed(Value v, llvm::DenseMap<Value, bool> &memo, int maxDepth, int depth) {
  if (auto it = memo.find(v); it != memo.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  bool ok = false;
  if (def && matchPattern(def, m_Constant()))
    ok = true;
  else if (def && depth < maxDepth && def->getNumRegions() == 0 && isPure(def))
    ok = llvm::all_of(def->getOperands(),
                      [&](Value o) { return isConstantComputed(o, memo, maxDepth, depth + 1); });
  memo[v] = ok;
  return ok;
}

void cloneConstantComputed(OpBuilder &b, Value v, IRMapping &map) {
  if (map.contains(v))
    return;
  Operation *def = v.getDefiningOp();
  for (Value o : def->getOperands())
    cloneConstantComputed(b, o, map);
  b.clone(*def, map);
}

} // namespace pare
