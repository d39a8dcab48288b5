//===- QuantizeIslands.cpp - float islands of quantized models to int8 ----===//
//
// After LowerQuantized's patterns (with the exceptions that follow
// onnxruntime), an island is a connected group of float ops whose float
// operands all come from dequantize ops, constants or the group itself and
// whose results all go to quantize ops or the group itself. Values inside
// the group that nothing quantizes get parameters (calibration, or the next
// quantize downstream), a quantize / dequantize pair makes each op of the
// group a dequantize -> op -> quantize pattern, and the patterns run again
// without the exceptions. A float region that reaches a graph input or
// output is not an island: it stays float.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/QuantizeIslands.h"

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/QuantUtils.h"
#include "dialects/Pare/Transforms/ActivationUtils.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/EquivalenceClasses.h"

#include <cmath>
#include <sstream>

using namespace mlir;
using namespace pare;

namespace {

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

bool isPerTensorS8(Type t) {
  auto p = qtype::params(t);
  return p && p->perTensor() && p->isSigned && p->bits == 8;
}

/// The ONNX node name of an op ("" when it has none).
std::string nodeName(Operation *op) {
  Location loc = op->getLoc();
  if (auto n = dyn_cast<NameLoc>(loc))
    return n.getName().str();
  if (auto f = dyn_cast<FusedLoc>(loc))
    for (Location l : f.getLocations())
      if (auto n = dyn_cast<NameLoc>(l))
        return n.getName().str();
  return "";
}

std::string str(double d) {
  std::ostringstream os;
  os << d;
  return os.str();
}

/// Ops through which a value's range carries to the result closely enough
/// to borrow the result's quantization: layout ops, max / average pools,
/// concat, resize, relu / clip (what they cut off, the borrowed range clamps
/// alike), and an add of two tensors of the result's shape (a residual: the
/// sum's range is of the order of each summand's; --calibration measures it
/// instead where given).
bool keepsRange(Operation *op) {
  if (isa<ReshapeOp, TransposeOp, FlattenOp, SqueezeOp, UnsqueezeOp, SliceOp, MaxPoolOp,
          GlobalMaxPoolOp, AveragePoolOp, GlobalAveragePoolOp, ConcatOp, ResizeOp, ReluOp, ClipOp,
          IdentityOp>(op))
    return true;
  if (isa<AddOp>(op)) {
    Type t = op->getResult(0).getType();
    return op->getOperand(0).getType() == t && op->getOperand(1).getType() == t;
  }
  return false;
}

/// The per-tensor int8 quantize nearest downstream of `v` through ops that
/// keep its range (the one with the largest scale where several are as
/// near), or null.
QuantizeOp downstreamQuantize(Value v) {
  SmallVector<Value> frontier{v};
  DenseSet<Value> seen{v};
  for (int depth = 0; depth < 16 && !frontier.empty(); ++depth) {
    QuantizeOp best;
    SmallVector<Value> next;
    for (Value w : frontier)
      for (Operation *user : w.getUsers()) {
        if (auto q = dyn_cast<QuantizeOp>(user)) {
          if (isPerTensorS8(q.getType()) &&
              (!best || qtype::params(q.getType())->scale() >
                            qtype::params(best.getType())->scale()))
            best = q;
        } else if (user->getNumResults() == 1 && keepsRange(user) &&
                   isFloatTensor(user->getResult(0)) && seen.insert(user->getResult(0)).second) {
          next.push_back(user->getResult(0));
        }
      }
    if (best)
      return best;
    frontier = std::move(next);
  }
  return QuantizeOp();
}

/// One island op's entry in the report.
struct Entry {
  std::string node, op;
  std::vector<std::string> scales;
};

/// The parameters of an interior value, and where they came from.
struct Source {
  Type element;
  std::string from;
};

/// Parameters for `v` (a result of an island op with island users): a
/// quantize of it that the model has, its calibrated range, or the nearest
/// quantize downstream.
FailureOr<Source> sourceFor(Value v) {
  for (Operation *user : v.getUsers())
    if (auto q = dyn_cast<QuantizeOp>(user); q && isPerTensorS8(q.getType()))
      return Source{qtype::elementOf(q.getType()), "its quantize"};
  Operation *def = v.getDefiningOp();
  if (DenseF32ArrayAttr r = attrs::getRanges(def)) {
    unsigned i = cast<OpResult>(v).getResultNumber();
    if (r.size() >= 2 * (i + 1) && !std::isnan(r[2 * i]) && !std::isnan(r[2 * i + 1]))
      return Source{qtype::forRange(def->getContext(), r[2 * i], r[2 * i + 1]), "calibration"};
  }
  if (QuantizeOp q = downstreamQuantize(v)) {
    Operation *before = q.getInput().getDefiningOp();
    std::string after = nodeName(before ? before : q.getOperation());
    return Source{qtype::elementOf(q.getType()),
                  "quantize downstream" + (after.empty() ? "" : " after '" + after + "'")};
  }
  return def->emitError() << "int8 island: the output of this " << def->getName()
                          << " has no quantization parameters (no quantize follows it through "
                             "ops that keep its range); give --calibration DIR to measure it, "
                             "or --int8-islands keep to run the island in float";
}

/// Records where an op's scales come from.
void describeScales(Operation *op, Entry &e, const DenseMap<Value, std::string> &from) {
  for (Value v : op->getOperands()) {
    auto dq = v.getDefiningOp<DequantizeOp>();
    if (!dq)
      continue;
    if (auto sc = dq.getInput().getDefiningOp<StorageCastOp>();
        sc && matchPattern(sc.getInput(), m_Constant()))
      continue; // weights
    auto p = qtype::params(dq.getInput().getType());
    if (!p || !p->perTensor())
      continue;
    auto it = from.find(dq.getInput());
    e.scales.push_back("input " + str(p->scale()) + " (" +
                       (it == from.end() ? std::string("dequantize") : it->second) + ")");
  }
  for (Value r : op->getResults())
    for (Operation *user : r.getUsers())
      if (auto q = dyn_cast<QuantizeOp>(user)) {
        auto p = qtype::params(q.getType());
        if (!p || !p->perTensor())
          continue;
        auto it = from.find(q.getResult());
        e.scales.push_back("output " + str(p->scale()) + " (" +
                           (it == from.end() ? std::string("quantize") : it->second) + ")");
        break;
      }
}

/// Island ops erased by the patterns: those are the ones made int8.
struct ErasedListener : RewriterBase::Listener {
  DenseSet<Operation *> *live;
  void notifyOperationErased(Operation *op) override { live->erase(op); }
};

} // namespace

LogicalResult pare::quantizeIslands(func::FuncOp f) {
  MLIRContext *ctx = f.getContext();
  // Float ops: candidates for islands.
  SmallVector<Operation *> floatOps;
  DenseSet<Operation *> isFloatOp;
  f.walk([&](Operation *op) {
    if (isa<DequantizeOp, QuantizeOp, ConstantOp>(op) || op->hasTrait<OpTrait::IsTerminator>() ||
        op->getNumResults() == 0 || !llvm::any_of(op->getResults(), isFloatTensor) ||
        matchPattern(op->getResult(0), m_Constant()))
      return;
    floatOps.push_back(op);
    isFloatOp.insert(op);
  });

  // Connected groups along float edges.
  llvm::EquivalenceClasses<Operation *> groups;
  for (Operation *op : floatOps) {
    groups.insert(op);
    for (Value v : op->getOperands())
      if (Operation *def = v.getDefiningOp(); def && isFloatOp.contains(def))
        groups.unionSets(def, op);
  }
  // A group is an island when it is enclosed by dequantize and quantize ops.
  SmallVector<SmallVector<Operation *>> islands;
  DenseSet<Operation *> done;
  for (Operation *op : floatOps) {
    Operation *leader = groups.getLeaderValue(op);
    if (!done.insert(leader).second)
      continue;
    SmallVector<Operation *> members;
    for (Operation *o : floatOps)
      if (groups.getLeaderValue(o) == leader)
        members.push_back(o);
    DenseSet<Operation *> inGroup(members.begin(), members.end());
    bool enclosed = true;
    for (Operation *m : members) {
      for (Value v : m->getOperands()) {
        if (!isFloatTensor(v))
          continue;
        Operation *def = v.getDefiningOp();
        if (!def ||
            !(isa<DequantizeOp>(def) || inGroup.contains(def) || matchPattern(v, m_Constant())))
          enclosed = false;
      }
      for (Value r : m->getResults())
        for (Operation *user : r.getUsers())
          if (!isa<QuantizeOp>(user) && !inGroup.contains(user))
            enclosed = false;
    }
    if (enclosed)
      islands.push_back(std::move(members));
  }

  // Where each inserted quantize (and the island's own) got its parameters.
  DenseMap<Value, std::string> from;
  SmallVector<std::pair<Operation *, Entry>> entries;
  for (auto &island : islands) {
    // A fused activation an int8 kernel cannot apply as a clamp runs as a
    // table of its own (as pare-split-activations does before calibration).
    for (size_t i = 0, n = island.size(); i < n; ++i) {
      Operation *op = island[i];
      auto name = op->getAttrOfType<StringAttr>("activation");
      if (!name || isClampActivation(name.getValue()) || op->getNumResults() != 1)
        continue;
      Operation *act = splitFusedActivation(op);
      if (!act)
        continue;
      attrs::removeRanges(op); // they were the activation's
      island.push_back(act);
    }
    // A division by a constant (an exported hard-swish's / 6) is the int8
    // multiplication by its reciprocal.
    for (Operation *&op : island) {
      auto div = dyn_cast<DivOp>(op);
      DenseElementsAttr c;
      if (!div || !matchPattern(div.getRhs(), m_Constant(&c)) ||
          !isa<FloatType>(c.getElementType()) ||
          llvm::any_of(c.getValues<float>(), [](float v) { return v == 0.0f; }))
        continue;
      std::vector<float> inv;
      for (float v : c.getValues<float>())
        inv.push_back(1.0f / v);
      OpBuilder b(op);
      auto type = cast<RankedTensorType>(c.getType());
      Value rc = ConstantOp::create(b, op->getLoc(), type,
                                    DenseElementsAttr::get(type, ArrayRef<float>(inv)));
      Operation *mul = b.create(op->getLoc(), b.getStringAttr(MulOp::getOperationName()),
                                ValueRange{div.getLhs(), rc}, op->getResultTypes(),
                                op->getAttrs());
      op->replaceAllUsesWith(mul->getResults());
      op->erase();
      op = mul;
    }
    for (Operation *op : island) {
      for (Value r : op->getResults()) {
        if (!isFloatTensor(r))
          continue;
        SmallVector<OpOperand *> inner;
        SmallVector<QuantizeOp> quantizes;
        for (OpOperand &use : r.getUses()) {
          if (auto q = dyn_cast<QuantizeOp>(use.getOwner()))
            quantizes.push_back(q);
          else
            inner.push_back(&use);
        }
        // Each pattern needs its op to feed one quantize: a second
        // quantize reads the first's dequantized value (a requantization).
        if (inner.empty() && quantizes.size() < 2)
          continue;
        FailureOr<Source> src = sourceFor(r);
        if (failed(src))
          return failure();
        OpBuilder b(ctx);
        b.setInsertionPointAfter(op);
        QuantizeOp q;
        for (QuantizeOp existing : quantizes)
          if (qtype::elementOf(existing.getType()) == src->element) {
            q = existing;
            break;
          }
        if (q) {
          // The model's own quantize moves up to its operand, above the
          // island ops that will read it.
          q->moveAfter(op);
        } else {
          q = QuantizeOp::create(b, op->getLoc(), qtype::withElement(r.getType(), src->element), r);
          from[q.getResult()] = src->from;
        }
        b.setInsertionPointAfter(q);
        auto dq = DequantizeOp::create(b, op->getLoc(), r.getType(), q);
        for (OpOperand *use : inner)
          use->set(dq);
        for (QuantizeOp other : quantizes)
          if (other != q)
            other.getInputMutable().set(dq);
      }
    }
    for (Operation *op : island) {
      // Layout ops move int8 as they moved float: nothing to report.
      if (isa<ReshapeOp, TransposeOp, FlattenOp, SqueezeOp, UnsqueezeOp, IdentityOp>(op))
        continue;
      Entry e;
      e.node = nodeName(op);
      e.op = op->getName().stripDialect().str();
      entries.push_back({op, e});
    }
  }
  // dequantize -> quantize with another scale (kept float under ONNX
  // rounding) is an island of its own: a requantization.
  f.walk([&](QuantizeOp q) {
    auto dq = q.getInput().getDefiningOp<DequantizeOp>();
    if (!dq || !isPerTensorS8(dq.getInput().getType()) || !isPerTensorS8(q.getType()) ||
        qtype::params(dq.getInput().getType())->scale() == qtype::params(q.getType())->scale())
      return;
    Entry e;
    e.node = nodeName(q);
    e.op = "requantize";
    e.scales = {"input " + str(qtype::params(dq.getInput().getType())->scale()) + " (dequantize)",
                "output " + str(qtype::params(q.getType())->scale()) + " (quantize)"};
    entries.push_back({q, e});
  });
  for (auto &[op, e] : entries)
    if (e.scales.empty())
      describeScales(op, e, from);

  DenseSet<Operation *> live;
  for (auto &entry : entries)
    live.insert(entry.first);
  ErasedListener listener;
  listener.live = &live;
  RewritePatternSet patterns(ctx);
  populateLowerQuantizePatterns(patterns, /*islands=*/true);
  GreedyRewriteConfig config;
  config.setListener(&listener);
  if (failed(applyPatternsGreedily(f, std::move(patterns), config)))
    return failure();

  SmallVector<Attribute> report;
  for (auto &[op, e] : entries) {
    if (live.contains(op)) {
      if (e.op != "requantize")
        op->emitWarning() << "int8 island: " << op->getName()
                          << " has no int8 kernel here and stays in float";
      continue;
    }
    std::string scales;
    for (const std::string &s : e.scales)
      scales += (scales.empty() ? "" : ", ") + s;
    report.push_back(DictionaryAttr::get(
        ctx, {NamedAttribute(StringAttr::get(ctx, "node"), StringAttr::get(ctx, e.node)),
              NamedAttribute(StringAttr::get(ctx, "op"), StringAttr::get(ctx, e.op)),
              NamedAttribute(StringAttr::get(ctx, "scales"), StringAttr::get(ctx, scales))}));
  }
  if (!report.empty())
    attrs::setIslands(f, ArrayAttr::get(ctx, report));
  // Calibration ranges (--calibration for islands) have done their job.
  f.walk([](Operation *op) { attrs::removeRanges(op); });
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    attrs::removeArgRange(f, i);
  return success();
}
