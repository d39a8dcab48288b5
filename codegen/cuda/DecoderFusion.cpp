//===- DecoderFusion.cpp - launch groups of a CUDA decoder step -----------===//
//
// Groups are matched on the op graph (operands and users), never on names:
// Qkv from each attention backwards, Gated from each product, Linear from the
// matmuls left (pare.matmul or int4 pare.matmul_nbits, never mixed in a
// group), LinearW8A8 from the int8 matmuls, then rms_norms are absorbed
// as prologues, and a group is kept only if one launch at its last op computes
// what its ops did (every result it stores is read only after that op, every
// result it drops only inside it). A norm shared by several LinearW8A8 groups
// needs every one of them kept: should one fail that check, the plan is made
// again without sharing norms.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/DecoderFusion.h"

#include "codegen/EmitterSupport.h"
#include "dialects/Pare/IR/PareAttrs.h"

#include "mlir/IR/Matchers.h"

#include <algorithm>

using namespace mlir;

namespace pare::codegen::cuda {
namespace {

/// A matmul the fused kernels take: a pare.matmul of a constant [K, N]
/// weight, or (with `int4`) a pare.matmul_nbits of 4 bits whose qweight,
/// scales and zero points are constants; unless `actAllowed`, no fused
/// activation.
Operation *fusableMatmul(Value v, bool int4, bool actAllowed = false) {
  Operation *op = v ? v.getDefiningOp() : nullptr;
  if (auto mm = dyn_cast_or_null<MatMulOp>(op)) {
    if (!matchPattern(mm.getB(), m_Constant()) ||
        cast<ShapedType>(mm.getB().getType()).getRank() != 2)
      return nullptr;
  } else if (auto nb = dyn_cast_or_null<MatMulNBitsOp>(op)) {
    if (!int4 || nb.getBits() != 4 || !matchPattern(nb.getQweight(), m_Constant()) ||
        !matchPattern(nb.getScales(), m_Constant()) ||
        !matchPattern(nb.getZeroPoints(), m_Constant()))
      return nullptr;
  } else {
    return nullptr;
  }
  if (!actAllowed && fusedActivation(op).kind != "PARE_ACT_NONE")
    return nullptr;
  return op;
}

/// The group size of an int4 matmul, 0 for a dense one.
int64_t int4Group(Operation *mm) {
  auto nb = dyn_cast<MatMulNBitsOp>(mm);
  return nb ? int64_t(nb.getGroupSize()) : 0;
}

/// One kernel computes the matmuls: all dense, or all int4 of one group
/// size. Sets the group's `int4` and `group`.
bool oneWeightFormat(LaunchGroup &g, llvm::ArrayRef<Operation *> mms) {
  g.group = int4Group(mms.front());
  g.int4 = g.group != 0;
  return llvm::all_of(mms, [&](Operation *mm) { return int4Group(mm) == g.group; });
}

/// Every use of `v` is by one of `users`.
bool onlyUsedBy(Value v, llvm::ArrayRef<Operation *> users) {
  return llvm::all_of(v.getUsers(), [&](Operation *u) { return llvm::is_contained(users, u); });
}

bool sameRows(llvm::ArrayRef<Operation *> ops) {
  return llvm::all_of(ops, [&](Operation *op) { return attrs::isTail(op) == attrs::isTail(ops[0]); });
}

int64_t lastDim(Value v) {
  auto t = cast<ShapedType>(v.getType());
  return t.getDimSize(t.getRank() - 1);
}

class Planner {
public:
  Planner(func::FuncOp func, bool int4) : int4(int4) {
    for (Operation &op : func.getBody().front())
      index[&op] = index.size();
  }

  /// The plan; with `shareW8Norms`, norms read only by int8 matmuls become
  /// the prologue of each. Clears `sharedOk` when a group with a shared
  /// norm had to be dropped (the caller plans again without sharing).
  FusionPlan run(Block &block, bool shareW8Norms, bool &sharedOk);

private:
  bool taken(Operation *op) const { return takenOps.count(op); }
  void take(LaunchGroup &g) {
    for (Operation *op : g.ops)
      takenOps.insert(op);
  }
  std::optional<LaunchGroup> matchQkv(AttentionOp at);
  std::optional<LaunchGroup> matchGated(MulOp m);
  std::optional<LaunchGroup> matchLinear(Operation *mm);
  std::optional<LaunchGroup> matchLinearW8A8(MatMulW8A8Op mm);
  /// The residual epilogue: y's only user an add of another value of its
  /// width (not a constant), which the group then ends with.
  void matchResidual(LaunchGroup &g, Value y);
  void absorbNorms(Block &block, std::vector<LaunchGroup> &groups, bool shareW8Norms);
  bool valid(LaunchGroup &g, const llvm::DenseSet<Value> &internal) const;

  bool int4;
  llvm::DenseMap<Operation *, size_t> index;
  llvm::DenseSet<Operation *> takenOps;
};

std::optional<LaunchGroup> Planner::matchQkv(AttentionOp at) {
  if (attrs::isTail(at) || !at.getCausal() || !attrs::getKvLayer(at))
    return std::nullopt;
  LaunchGroup g;
  g.kind = LaunchKind::Qkv;
  g.attention = at;
  Value qIn = at.getQ(), kIn = at.getK();
  auto rq = qIn.getDefiningOp<RotaryOp>(), rk = kIn.getDefiningOp<RotaryOp>();
  if (bool(rq) != bool(rk))
    return std::nullopt;
  if (rq) {
    // One inv_freq table, one pairing and one head size for q and k.
    if (rq.getPositions() != rk.getPositions() || rq.getInvFreq() != rk.getInvFreq() ||
        rq.getInterleaved() != rk.getInterleaved() || rq.getHeadDim() != at.getHeadDim() ||
        rk.getHeadDim() != at.getHeadDim() || !onlyUsedBy(rk, {at}))
      return std::nullopt;
    g.qRotary = rq;
    g.kRotary = rk;
    qIn = rq.getInput();
    kIn = rk.getInput();
    if (!onlyUsedBy(qIn, {rq}) || !onlyUsedBy(kIn, {rk}))
      return std::nullopt;
  } else if (!onlyUsedBy(kIn, {at})) {
    return std::nullopt;
  }
  g.q = fusableMatmul(qIn, int4);
  g.k = fusableMatmul(kIn, int4);
  g.v = fusableMatmul(at.getV(), int4);
  if (!g.q || !g.k || !g.v || g.q == g.k || g.k == g.v || g.q == g.v ||
      !onlyUsedBy(at.getV(), {at}) || !oneWeightFormat(g, {g.q, g.k, g.v}))
    return std::nullopt;
  g.input = g.q->getOperand(0);
  if (g.k->getOperand(0) != g.input || g.v->getOperand(0) != g.input)
    return std::nullopt;
  g.ops = {g.q, g.k, g.v};
  if (rq)
    g.ops.append({rq, rk});
  if (!sameRows(g.ops) || llvm::any_of(g.ops, [&](Operation *op) { return taken(op); }))
    return std::nullopt;
  g.out = at.getQ();
  return g;
}

std::optional<LaunchGroup> Planner::matchGated(MulOp m) {
  if (fusedActivation(m).kind != "PARE_ACT_NONE")
    return std::nullopt;
  for (int order = 0; order < 2; ++order) {
    Value sv = m->getOperand(order), uv = m->getOperand(1 - order);
    auto s = sv.getDefiningOp<MulOp>();
    Operation *u = fusableMatmul(uv, int4);
    if (!s || !u || fusedActivation(s).kind != "PARE_ACT_NONE")
      continue;
    // SiLU as exported: g * sigmoid(g), either operand order.
    for (int sOrder = 0; sOrder < 2; ++sOrder) {
      Value gv = s->getOperand(sOrder);
      auto sig = s->getOperand(1 - sOrder).getDefiningOp<SigmoidOp>();
      Operation *gm = fusableMatmul(gv, int4);
      if (!sig || sig.getOperand() != gv || !gm || gm == u ||
          gm->getOperand(0) != u->getOperand(0))
        continue;
      if (!onlyUsedBy(gv, {sig, s}) || !onlyUsedBy(sig, {s}) || !onlyUsedBy(sv, {m}) ||
          !onlyUsedBy(uv, {m}) || lastDim(gv) != lastDim(uv) || lastDim(uv) != lastDim(m))
        continue;
      LaunchGroup g;
      g.kind = LaunchKind::Gated;
      if (!oneWeightFormat(g, {gm, u}))
        continue;
      g.gate = gm;
      g.up = u;
      g.input = u->getOperand(0);
      g.ops = {gm, sig, s, u, m};
      g.out = m;
      if (!sameRows(g.ops) || llvm::any_of(g.ops, [&](Operation *op) { return taken(op); }))
        continue;
      return g;
    }
  }
  return std::nullopt;
}

std::optional<LaunchGroup> Planner::matchLinear(Operation *mm) {
  if (!fusableMatmul(mm->getResult(0), int4, /*actAllowed=*/true) || taken(mm))
    return std::nullopt;
  LaunchGroup g;
  g.kind = LaunchKind::Linear;
  oneWeightFormat(g, {mm});
  g.matmul = mm;
  g.input = mm->getOperand(0);
  g.ops = {mm};
  g.out = mm->getResult(0);
  matchResidual(g, g.out);
  return g;
}

std::optional<LaunchGroup> Planner::matchLinearW8A8(MatMulW8A8Op mm) {
  if (taken(mm) || !matchPattern(mm.getWeight(), m_Constant()) ||
      !matchPattern(mm.getWeightScales(), m_Constant()))
    return std::nullopt;
  LaunchGroup g;
  g.kind = LaunchKind::LinearW8A8;
  g.w8 = mm;
  g.input = mm.getInput();
  g.ops = {mm};
  g.out = mm;
  matchResidual(g, mm);
  if (g.residualAdd || fusedActivation(mm).kind != "PARE_ACT_NONE")
    return g;
  // SiLU as exported, y * sigmoid(y) (either operand order), as the epilogue.
  Value y = mm;
  SigmoidOp sig;
  MulOp prod;
  for (Operation *u : y.getUsers()) {
    if (auto s = dyn_cast<SigmoidOp>(u))
      sig = s;
    else if (auto m = dyn_cast<MulOp>(u))
      prod = m;
  }
  if (!sig || !prod || !onlyUsedBy(y, {sig, prod}) || !onlyUsedBy(sig, {prod}) ||
      sig.getOperand() != y ||
      !((prod->getOperand(0) == y && prod->getOperand(1) == sig.getResult()) ||
        (prod->getOperand(1) == y && prod->getOperand(0) == sig.getResult())) ||
      fusedActivation(sig).kind != "PARE_ACT_NONE" ||
      fusedActivation(prod).kind != "PARE_ACT_NONE" || taken(sig) || taken(prod) ||
      lastDim(prod) != lastDim(y))
    return g;
  g.ops = {mm, sig, prod};
  if (!sameRows(g.ops)) {
    g.ops = {mm};
    return g;
  }
  g.silu = true;
  g.out = prod;
  return g;
}

void Planner::matchResidual(LaunchGroup &g, Value y) {
  // y = act(x . w) + r, r another value of y's width.
  Operation *producer = y.getDefiningOp();
  if (!y.hasOneUse())
    return;
  auto add = dyn_cast<AddOp>(*y.getUsers().begin());
  if (!add || taken(add) || fusedActivation(add).kind != "PARE_ACT_NONE" ||
      attrs::isTail(add) != attrs::isTail(producer))
    return;
  Value r = add.getOperand(0) == y ? add.getOperand(1) : add.getOperand(0);
  if (r == y || matchPattern(r, m_Constant()) || !isa<RankedTensorType>(r.getType()) ||
      cast<RankedTensorType>(r.getType()).getRank() != 2 || lastDim(r) != lastDim(y) ||
      lastDim(add) != lastDim(y))
    return;
  g.residualAdd = add;
  g.residual = r;
  g.ops.push_back(add);
  g.out = add;
}

/// A norm whose every user is a matmul of one group (reading it as the
/// group's input) becomes that group's prologue; with `shareW8Norms`, so does
/// a norm whose every user is the int8 matmul of a LinearW8A8 group, for each
/// of them (the op itself joins the group launched last).
void Planner::absorbNorms(Block &block, std::vector<LaunchGroup> &groups, bool shareW8Norms) {
  llvm::DenseMap<Operation *, size_t> groupOf;
  for (size_t i = 0; i < groups.size(); ++i)
    for (Operation *op : groups[i].ops)
      groupOf[op] = i;
  auto lastIndex = [&](const LaunchGroup &g) {
    size_t last = 0;
    for (Operation *op : g.ops)
      last = std::max(last, index.lookup(op));
    return last;
  };
  for (Operation &op : block) {
    auto n = dyn_cast<RmsNormOp>(op);
    if (!n || n.getResult().use_empty() || !matchPattern(n.getWeight(), m_Constant()))
      continue;
    llvm::SmallVector<size_t, 4> owners;
    bool oneGroup = true, allW8 = true;
    for (Operation *u : n.getResult().getUsers()) {
      auto it = groupOf.find(u);
      if (it == groupOf.end()) {
        owners.clear();
        break;
      }
      if (!llvm::is_contained(owners, it->second))
        owners.push_back(it->second);
      oneGroup &= isa<MatMulOp, MatMulNBitsOp>(u) && owners.size() == 1;
      allW8 &= groups[it->second].kind == LaunchKind::LinearW8A8 &&
               u == groups[it->second].w8.getOperation();
    }
    if (owners.empty() || !(oneGroup || (allW8 && (owners.size() == 1 || shareW8Norms))))
      continue;
    if (llvm::any_of(owners, [&](size_t i) {
          LaunchGroup &g = groups[i];
          return g.norm || g.input != n.getResult() ||
                 attrs::isTail(n) != attrs::isTail(g.ops.front());
        }))
      continue;
    size_t last = owners.front();
    for (size_t i : owners) {
      groups[i].norm = n;
      groups[i].input = n.getInput();
      if (lastIndex(groups[i]) > lastIndex(groups[last]))
        last = i;
    }
    groups[last].ops.insert(groups[last].ops.begin(), n);
  }
}

/// One launch at the group's last op computes the same: what it stores is
/// read only after that op, what it drops only inside the group.
bool Planner::valid(LaunchGroup &g, const llvm::DenseSet<Value> &internal) const {
  llvm::sort(g.ops, [&](Operation *a, Operation *b) { return index.lookup(a) < index.lookup(b); });
  g.anchor = g.ops.back();
  size_t anchorAt = index.lookup(g.anchor);
  for (Operation *op : g.ops)
    for (Value r : op->getResults())
      for (Operation *u : r.getUsers()) {
        if (llvm::is_contained(g.ops, u))
          continue;
        // A shared norm's other users are int8 matmuls whose groups took it
        // as their prologue too (run() keeps all of them or plans again).
        if (g.norm && r == g.norm.getResult() && isa<MatMulW8A8Op>(u))
          continue;
        if (internal.count(r) && !(g.kind == LaunchKind::Qkv && u == g.attention.getOperation()))
          return false;
        if (index.lookup(u) <= anchorAt)
          return false;
      }
  return true;
}

FusionPlan Planner::run(Block &block, bool shareW8Norms, bool &sharedOk) {
  std::vector<LaunchGroup> candidates;
  for (Operation &op : block)
    if (auto at = dyn_cast<AttentionOp>(op))
      if (auto g = matchQkv(at)) {
        take(*g);
        candidates.push_back(std::move(*g));
      }
  for (Operation &op : block)
    if (auto m = dyn_cast<MulOp>(op))
      if (auto g = matchGated(m)) {
        take(*g);
        candidates.push_back(std::move(*g));
      }
  for (Operation &op : block)
    if (isa<MatMulOp, MatMulNBitsOp>(op))
      if (auto g = matchLinear(&op)) {
        take(*g);
        candidates.push_back(std::move(*g));
      }
  for (Operation &op : block)
    if (auto mm = dyn_cast<MatMulW8A8Op>(op))
      if (auto g = matchLinearW8A8(mm)) {
        take(*g);
        candidates.push_back(std::move(*g));
      }
  absorbNorms(block, candidates, shareW8Norms);

  FusionPlan plan;
  // How many groups prologue each norm, and how many were kept.
  llvm::DenseMap<Operation *, int> normUses, normKept;
  for (LaunchGroup &g : candidates)
    if (g.norm)
      ++normUses[g.norm];
  for (LaunchGroup &g : candidates) {
    // A bare matmul is the plain launch already.
    if ((g.kind == LaunchKind::Linear || g.kind == LaunchKind::LinearW8A8) && !g.norm &&
        !g.residualAdd && !g.silu)
      continue;
    llvm::DenseSet<Value> internal;
    if (g.norm)
      internal.insert(g.norm.getResult());
    for (Operation *op : g.ops)
      for (Value r : op->getResults())
        if (r != g.out && op != g.norm.getOperation())
          internal.insert(r);
    if (!valid(g, internal))
      continue;
    if (g.norm)
      ++normKept[g.norm];
    for (Operation *op : g.ops)
      plan.groupOf[op] = plan.groups.size();
    plan.internal.insert(internal.begin(), internal.end());
    plan.groups.push_back(std::move(g));
  }
  for (auto &[norm, uses] : normUses)
    if (uses > 1 && normKept.lookup(norm) != uses)
      sharedOk = false;
  return plan;
}

} // namespace

FusionPlan planDecoderFusion(func::FuncOp func, bool enabled, bool int4) {
  if (!enabled)
    return {};
  bool sharedOk = true;
  FusionPlan plan =
      Planner(func, int4).run(func.getBody().front(), /*shareW8Norms=*/true, sharedOk);
  if (sharedOk)
    return plan;
  // A group reading a shared norm was dropped: its matmul would read a norm
  // nobody stores.
  return Planner(func, int4).run(func.getBody().front(), /*shareW8Norms=*/false, sharedOk);
}

} // namespace pare::codegen::cuda
