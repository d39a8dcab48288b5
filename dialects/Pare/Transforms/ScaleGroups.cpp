//===- ScaleGroups.cpp - linears whose input scale a producer can absorb --===//
//
// The producers that take 1 / s for free are llm-awq's: a norm before q/k/v
// or gate/up, the gated product before down, the attention before o. A
// producer feeding anything but these linears cannot be scaled, nor can a
// linear with a fused activation (s does not commute with it).
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/ScaleGroups.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <optional>

using namespace mlir;

namespace pare {

namespace {

bool hasActivation(Operation *op) { return op->hasAttr("activation"); }

/// Elements of the constant `v`, or 0 when it is not a constant.
int64_t constantElements(Value v) {
  DenseElementsAttr attr;
  return matchPattern(v, m_Constant(&attr)) ? attr.getNumElements() : 0;
}

} // namespace

std::vector<ScaleGroup> findScaleGroups(ArrayRef<MatMulOp> linears) {
  DenseMap<Operation *, size_t> index;
  std::vector<int64_t> ks, ns; // the weights' [K, N]
  for (size_t i = 0; i < linears.size(); ++i) {
    MatMulOp mm = linears[i]; // ops are handles: a copy is the op
    index[mm] = i;
    auto w = cast<RankedTensorType>(mm.getB().getType());
    ks.push_back(w.getDimSize(0));
    ns.push_back(w.getDimSize(1));
  }
  // The linear defining `v`, used by nothing else, with no fused activation.
  auto soleLinear = [&](Value v, Operation *user) -> std::optional<size_t> {
    auto mm = v.getDefiningOp<MatMulOp>();
    if (!mm || !index.count(mm) || hasActivation(mm) || !v.hasOneUse() ||
        *v.getUsers().begin() != user)
      return std::nullopt;
    return index[mm];
  };
  llvm::MapVector<Value, std::vector<size_t>> byInput;
  for (size_t i = 0; i < linears.size(); ++i)
    byInput[MatMulOp(linears[i]).getA()].push_back(i);
  std::vector<ScaleGroup> groups;
  for (auto &[input, members] : byInput) {
    // 1/s folds into the producer only when the linears are all it feeds.
    bool onlyLinears = llvm::all_of(input.getUses(), [&](OpOperand &u) {
      auto mm = dyn_cast<MatMulOp>(u.getOwner());
      return mm && index.count(mm) && u.getOperandNumber() == 0;
    });
    Operation *producer = input.getDefiningOp();
    if (!onlyLinears || !producer)
      continue;
    int64_t k = ks[members.front()];
    ScaleGroup g{ScaleGroupKind::Norm, producer, members};
    if (auto rn = dyn_cast<RmsNormOp>(producer)) {
      if (constantElements(rn.getWeight()) != k)
        continue;
      groups.push_back(g);
    } else if (auto mul = dyn_cast<MulOp>(producer)) {
      if (hasActivation(mul) || mul.getLhs().getType() != mul.getRhs().getType())
        continue;
      std::optional<size_t> up = soleLinear(mul.getRhs(), mul);
      if (!up)
        up = soleLinear(mul.getLhs(), mul);
      if (!up || ns[*up] != k)
        continue;
      g.kind = ScaleGroupKind::UpDown;
      g.source = *up;
      groups.push_back(g);
    } else if (auto at = dyn_cast<AttentionOp>(producer)) {
      std::optional<size_t> v = soleLinear(at.getV(), at);
      g.heads = int64_t(at.getHeads());
      g.kvHeads = int64_t(at.getKvHeads());
      g.headDim = int64_t(at.getHeadDim());
      if (!v || at.getK() == at.getV() || g.kvHeads <= 0 || g.heads % g.kvHeads != 0 ||
          k != g.heads * g.headDim || ns[*v] != g.kvHeads * g.headDim)
        continue;
      g.kind = ScaleGroupKind::VO;
      g.source = *v;
      groups.push_back(g);
    }
  }
  return groups;
}

const char *scaleGroupKindName(ScaleGroupKind kind) {
  switch (kind) {
  case ScaleGroupKind::Norm:
    return "rms_norm";
  case ScaleGroupKind::UpDown:
    return "gated product";
  case ScaleGroupKind::VO:
    return "attention";
  }
  return "";
}

namespace {
/// out[h * hd + d] = combine(m[h' * hd + d] for the heads h' sharing h's KV head).
template <typename Combine>
std::vector<float> tieKvHeads(const std::vector<float> &m, const ScaleGroup &g, Combine combine) {
  if (g.kind != ScaleGroupKind::VO || g.heads == g.kvHeads)
    return m;
  int64_t group = g.heads / g.kvHeads, hd = g.headDim;
  std::vector<float> out(m.size()), heads(group);
  for (int64_t kv = 0; kv < g.kvHeads; ++kv)
    for (int64_t d = 0; d < hd; ++d) {
      for (int64_t i = 0; i < group; ++i)
        heads[i] = m[(kv * group + i) * hd + d];
      float v = combine(heads);
      for (int64_t i = 0; i < group; ++i)
        out[(kv * group + i) * hd + d] = v;
    }
  return out;
}
} // namespace

std::vector<float> tieKvHeadsMean(const std::vector<float> &m, const ScaleGroup &g) {
  return tieKvHeads(m, g, [](const std::vector<float> &v) {
    double sum = 0;
    for (float x : v)
      sum += x;
    return float(sum / double(v.size()));
  });
}

std::vector<float> tieKvHeadsMax(const std::vector<float> &m, const ScaleGroup &g) {
  return tieKvHeads(m, g, [](const std::vector<float> &v) {
    float mx = 0;
    for (float x : v)
      mx = std::max(mx, x);
    return mx;
  });
}

std::string nodeNameOf(Operation *op) {
  std::string found;
  op->getLoc()->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l)) {
      found = n.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found.empty() ? op->getName().getStringRef().str() : found;
}

std::vector<float> constantFloats(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return {};
  auto r = attr.getValues<float>();
  return std::vector<float>(r.begin(), r.end());
}

} // namespace pare
