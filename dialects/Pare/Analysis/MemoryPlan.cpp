//===- MemoryPlan.cpp - tensor lifetimes of a pare function ---------------===//
#include "dialects/Pare/Analysis/MemoryPlan.h"

#include "dialects/Pare/Analysis/Patches.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/QuantUtils.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"

#include <cmath>
#include <cstdlib>
#include <optional>

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

bool isWeight(Operation *op) {
  return matchPattern(op, m_Constant()) ||
         (op->getNumResults() == 1 && matchPattern(storageRoot(op->getResult(0)), m_Constant()));
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
  return def && !attrs::hasResidualAdd(def) && storageRoot(v) == v &&
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

/// A conv / fully connected layer the specialised kernels cannot compute in
/// either arithmetic: asymmetric weights, an i32 result, grouped
/// convolutions other than depthwise with multiplier 1.
static bool needsIntegerKernel(Operation *op) {
  auto symmetric = [](Value w) {
    auto p = qtype::params(w.getType());
    return p && p->isSigned && llvm::all_of(p->zeroPoints, [](int64_t z) { return z == 0; });
  };
  auto s8Result = [&]() { return qtype::isQuantized(op->getResult(0).getType()); };
  if (auto c = dyn_cast<pare::QConvOp>(op))
    return !s8Result() || !symmetric(c.getWeight()) || (c.getGroup() != 1 && !c.isDepthwise()) ||
           (c.isDepthwise() && cast<RankedTensorType>(c.getWeight().getType()).getDimSize(3) != 1);
  if (auto fc = dyn_cast<pare::QFullyConnectedOp>(op))
    return !s8Result() || !symmetric(fc.getWeight());
  return false;
}

bool usesGenericInt8Kernel(Operation *op) {
  // ONNX rounding: requantize in float32, round half to even, as onnxruntime
  // does for QDQ / QOperator models (the generic kernels do exactly that).
  if (isa<pare::QConvOp, pare::QFullyConnectedOp>(op) && attrs::usesOnnxRounding(op))
    return true;
  if (isa<pare::QConvOp, pare::QFullyConnectedOp>(op))
    return needsIntegerKernel(op);
  return isa<pare::QMatMulOp>(op);
}

bool usesOnnxFastKernel(Operation *op) {
  if (!isa<pare::QConvOp, pare::QFullyConnectedOp>(op) || !attrs::usesOnnxRounding(op) ||
      needsIntegerKernel(op))
    return false;
  Value x = op->getOperand(0), w = op->getOperand(1), y = op->getResult(0);
  auto xp = *qtype::params(x.getType()), wp = *qtype::params(w.getType()),
       yp = *qtype::params(y.getType());
  // Finite float32 scales (as the emitter computes them): a NaN or infinite
  // one needs onnxruntime's NaN -> -128, which only the generic kernels give.
  for (size_t c = 0; c < wp.scales.size(); ++c)
    if (!std::isfinite(float(float(xp.scale()) * float(wp.scale(c))) / float(yp.scale())))
      return false;
  // The kernels sum in int32 from the bias: |bias| <= 2^30 and at most 2^30
  // from the products (255 * 128 each) keep that exact without relying on
  // wrap-around (onnxruntime's int32 sums wrap; the generic kernels too).
  auto wd = cast<RankedTensorType>(w.getType()).getShape();
  int64_t k = 1;
  for (size_t d = 1; d < wd.size(); ++d)
    k *= wd[d];
  if (k * 255 * 128 > (int64_t(1) << 30))
    return false;
  if (op->getNumOperands() > 2 && op->getOperand(2)) {
    DenseIntElementsAttr bias;
    if (!matchPattern(storageRoot(op->getOperand(2)), m_Constant(&bias)))
      return false;
    for (const APInt &b : bias.getValues<APInt>())
      if (std::abs(b.getSExtValue()) > (int64_t(1) << 30))
        return false;
  }
  return true;
}

bool usesFastInt8Kernel(Operation *op) {
  return !usesGenericInt8Kernel(op) || usesOnnxFastKernel(op);
}

int64_t scratchBytes(Operation *op) {
  auto dims = [](Value v) { return cast<RankedTensorType>(v.getType()).getShape(); };
  // A convolution that reads its input through a temporal shift
  // (pare.shift_frames; NHWC 1x1) gathers each shifted row, W x C elements,
  // into scratch (rounded up to 16 bytes) ahead of its kernel's own scratch.
  int64_t shiftRow = 0;
  if (attrs::hasShiftFrames(op) && isa<pare::ConvOp, pare::QConvOp>(op)) {
    auto x = dims(op->getOperand(0));
    int64_t rows = x.size() == 4 ? x[0] * x[1] : 0;
    if (rows > 0)
      shiftRow = (byteSize(op->getOperand(0).getType()) / rows + 15) / 16 * 16;
  }
  // Attention over a whole sequence: one row of scores (pare_attention_f32).
  if (auto a = dyn_cast<pare::AttentionOp>(op)) {
    int64_t keys = dims(a.getK())[0];
    return ShapedType::isDynamic(keys) ? 0 : (keys * 4 + 15) / 16 * 16;
  }
  auto kernel = [&]() -> int64_t {
    if (!usesFastInt8Kernel(op))
      return qtype::isQuantized(op->getResult(0).getType())
                 ? byteSize(op->getResult(0).getType()) * 4
                 : 0;
    if (auto c = dyn_cast<pare::QConvOp>(op)) {
      auto w = dims(c.getWeight()); // OHWI
      int64_t kh = w[1], kw = w[2];
      if (c.isDepthwise()) { // the channel-at-a-time kernel, in place or not
        auto x = dims(c.getInput());
        return inPlaceDepthwiseScratchBytes(x[1], x[2], w[0], kh, kw);
      }
      return (5 * w[3] * kh * kw + 3) / 4 * 4; // PARE_CONV2D_S8_SCRATCH_BYTES
    }
    return 0;
  };
  return shiftRow + kernel();
}

int64_t inPlaceDepthwiseScratchBytes(int64_t ih, int64_t iw, int64_t c, int64_t kh, int64_t kw) {
  (void)c; // one channel at a time: its weights, widened, and its padded input
  return 4 * kh * (kw + 3) + ((ih + kh - 1) * (iw + kw - 1) + 8 + 3) / 4 * 4;
}

static ArrayRef<int64_t> dimsOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

int inPlaceCandidate(Operation *op) {
  if (op->getNumResults() != 1 || attrs::hasResidualAdd(op))
    return -1;
  Value r = op->getResult(0);
  if (auto c = dyn_cast<pare::QConvOp>(op)) {
    auto x = dimsOf(c.getInput()), y = dimsOf(c.getOutput());
    if (!c.getChannelsLast() || !c.isDepthwise() || !usesFastInt8Kernel(op) ||
        dimsOf(c.getWeight())[3] != 1 || y[1] * y[2] > x[1] * x[2])
      return -1;
    return 0;
  }
  if (isa<pare::QAddOp, pare::QMulOp, pare::AddOp, pare::MulOp, pare::SubOp>(op)) {
    for (int i = 0; i < 2; ++i)
      if (dimsOf(op->getOperand(i)) == dimsOf(r) &&
          byteSize(op->getOperand(i).getType()) == byteSize(r.getType()))
        return i;
    return -1;
  }
  // A streaming shift swaps channels with its state element by element.
  if (auto t = dyn_cast<pare::TemporalShiftOp>(op))
    return t.getStreaming() ? 0 : -1;
  if (isa<pare::LookupTableOp, pare::ReluOp, pare::SigmoidOp, pare::TanhOp>(op))
    return byteSize(op->getOperand(0).getType()) == byteSize(r.getType()) ? 0 : -1;
  return -1;
}

bool reorderForMemory(func::FuncOp func, const PlanOptions &options) {
  Block &block = func.getBody().front();
  Operation *ret = block.getTerminator();
  std::vector<Operation *> original;
  for (Operation &op : block)
    if (&op != ret && !isWeight(&op))
      original.push_back(&op);
  if (original.size() < 3)
    return false;
  PlanOptions quick = options;
  quick.searchIterations = 0;
  int64_t before = planFunction(func, quick).lowerBound;

  auto owners = outputOwners(func);
  DenseMap<Operation *, size_t> index;
  for (size_t i = 0; i < original.size(); ++i)
    index[original[i]] = i;
  // Producers each op waits for, and the users of each storage root.
  std::vector<SmallVector<size_t>> deps(original.size());
  DenseMap<Value, int64_t> pendingUses;
  for (size_t i = 0; i < original.size(); ++i)
    for (Value o : original[i]->getOperands()) {
      if (Operation *def = o.getDefiningOp(); def && index.count(def))
        deps[i].push_back(index[def]);
      ++pendingUses[storageRoot(o)];
    }
  auto allocBytes = [&](Operation *op) {
    int64_t b = 0;
    for (Value r : op->getResults())
      if (needsArena(r, owners))
        b += byteSize(r.getType());
    return b;
  };
  std::vector<char> done(original.size(), 0);
  std::vector<size_t> order;
  while (order.size() < original.size()) {
    size_t best = SIZE_MAX;
    int64_t bestScore = INT64_MAX;
    for (size_t i = 0; i < original.size(); ++i) {
      if (done[i] || !llvm::all_of(deps[i], [&](size_t d) { return done[d]; }))
        continue;
      int64_t freed = 0;
      DenseMap<Value, int64_t> uses;
      for (Value o : original[i]->getOperands())
        ++uses[storageRoot(o)];
      for (auto &[root, n] : uses)
        if (pendingUses.lookup(root) == n && root.getDefiningOp() && needsArena(root, owners))
          freed += byteSize(root.getType());
      int64_t score = allocBytes(original[i]) - freed;
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
    done[best] = 1;
    order.push_back(best);
    for (Value o : original[best]->getOperands())
      --pendingUses[storageRoot(o)];
  }
  bool changed = false;
  for (size_t k = 0; k < order.size(); ++k)
    changed |= order[k] != k;
  if (!changed)
    return false;
  for (size_t k : order)
    original[k]->moveBefore(ret);
  if (planFunction(func, quick).lowerBound < before)
    return true;
  for (Operation *op : original) // not better: back to the model's order
    op->moveBefore(ret);
  return false;
}

FunctionPlan planFunction(func::FuncOp func, const PlanOptions &options, const PatchStage *stage) {
  const int64_t alignment = options.alignment;
  const bool inPlace = options.planner == Planner::Pare;
  auto place = [&](const std::vector<Buffer> &b) {
    return inPlace ? placeSearch(b, alignment, options.searchIterations)
                   : placeGreedyBySize(b, alignment);
  };
  auto owners = outputOwners(func);
  Block &block = func.getBody().front();
  DenseMap<Operation *, int64_t> step;
  int64_t n = 0;
  for (Operation &op : block)
    step[&op] = n++;
  // The last step that reads each storage root (through reshapes).
  DenseMap<Value, int64_t> lastUse;
  for (Operation &op : block)
    for (Value o : op.getOperands()) {
      Value root = storageRoot(o);
      lastUse[root] = std::max(lastUse.lookup(root), step[&op]);
    }

  FunctionPlan plan;
  // --- the patch stage's tiles: planned on their own, one arena buffer ---
  llvm::DenseSet<Operation *> inStage;
  std::vector<Buffer> tiles;
  DenseMap<Operation *, size_t> tileOf, cropOf, stageScratchOf;
  DenseMap<Operation *, int> stageInPlace;
  Placement tilePlace;
  if (stage) {
    size_t ns = stage->ops.size();
    for (Operation *op : stage->ops)
      inStage.insert(op);
    auto producerTile = [&](Value v) -> std::optional<size_t> {
      Operation *def = v.getDefiningOp();
      if (!def || !tileOf.count(def))
        return std::nullopt;
      return tileOf[def];
    };
    std::vector<int64_t> tileLast;
    for (size_t i = 0; i < ns; ++i) {
      Operation *op = stage->ops[i];
      if (isTileAlias(op)) {
        if (auto t = producerTile(op->getOperand(0)))
          tileOf[op] = *t;
        continue;
      }
      // Operands' tiles live until this op.
      for (Value o : op->getOperands())
        if (auto t = producerTile(o))
          tiles[*t].last = std::max(tiles[*t].last, int64_t(i));
      Buffer b{stage->tileBytes[i], int64_t(i), int64_t(i)};
      int cand = inPlace ? inPlaceCandidate(op) : -1;
      if (cand >= 0) {
        auto t = producerTile(op->getOperand(unsigned(cand)));
        bool ok = t.has_value();
        // The producer's tile must die here (no later stage op reads it).
        for (size_t j = i + 1; ok && j < ns; ++j)
          for (Value o : stage->ops[j]->getOperands())
            if (producerTile(o) == t)
              ok = false;
        for (int64_t p = 0; ok && p < stage->patches(); ++p) {
          const Region &in = stage->in[size_t(p)][i], &out = stage->out[size_t(p)][i];
          if (isa<pare::QConvOp>(op) ? out.area() > in.area() : out != in)
            ok = false;
        }
        if (ok && t) {
          b.alias = int64_t(*t);
          stageInPlace[op] = cand;
          plan.inPlace.push_back({op, cand});
        }
      }
      tileOf[op] = tiles.size();
      tiles.push_back(b);
      bool external = !producerTile(op->getOperand(0));
      if (external && stage->tileInBytes[i] &&
          isa<pare::ConvOp, pare::QConvOp, pare::MaxPoolOp, pare::AveragePoolOp>(op)) {
        cropOf[op] = tiles.size();
        tiles.push_back({stage->tileInBytes[i], int64_t(i), int64_t(i)});
      }
      int64_t scratch = scratchBytes(op);
      if (scratch && isa<pare::QConvOp>(op) && cast<pare::QConvOp>(op).isDepthwise()) {
        auto w = dimsOf(op->getOperand(1));
        int64_t ih = 0, iw = 0;
        for (int64_t p = 0; p < stage->patches(); ++p) {
          ih = std::max(ih, stage->in[size_t(p)][i].rows.size());
          iw = std::max(iw, stage->in[size_t(p)][i].cols.size());
        }
        scratch = inPlaceDepthwiseScratchBytes(ih, iw, w[0], w[1], w[2]);
      }
      if (scratch) {
        stageScratchOf[op] = tiles.size();
        tiles.push_back({scratch, int64_t(i), int64_t(i)});
      }
    }
    tilePlace = place(tiles);
    plan.stageBytes = tilePlace.arenaBytes;
  }

  std::vector<Buffer> buffers;
  DenseMap<Value, size_t> index;
  DenseMap<Operation *, size_t> scratchIndex;
  size_t stageIndex = SIZE_MAX;
  // An add whose residual is added by its producer's kernel (FuseResidualAdd)
  // is written when the producer runs: its buffer starts there.
  DenseMap<Operation *, int64_t> startsEarly;
  for (Operation &op : block) {
    if (!attrs::hasResidualAdd(&op))
      continue;
    Operation *user = *op.getResult(0).getUsers().begin();
    if (isa<pare::ReshapeOp>(user))
      user = *user->getResult(0).getUsers().begin();
    startsEarly[user] = step[&op];
  }
  for (Operation &op : block) {
    if (stage && &op == stage->ops.front()) {
      stageIndex = buffers.size();
      buffers.push_back({plan.stageBytes, step[&op], step[stage->split()]});
    }
    bool staged = inStage.contains(&op);
    if (staged && &op != stage->split())
      continue; // lives in the stage's tiles
    for (Value r : op.getResults()) {
      if (!needsArena(r, owners))
        continue;
      index[r] = buffers.size();
      auto early = startsEarly.find(&op);
      int64_t first = staged                       ? step[stage->ops.front()]
                      : early != startsEarly.end() ? early->second
                                                   : step[&op];
      Buffer b{byteSize(r.getType()), first, step[&op]};
      int cand = inPlace && !staged && !startsEarly.count(&op) ? inPlaceCandidate(&op) : -1;
      if (cand >= 0) {
        Value root = storageRoot(op.getOperand(unsigned(cand)));
        auto it = index.find(root);
        if (it != index.end() && lastUse.lookup(root) == step[&op] &&
            buffers[it->second].last <= step[&op]) {
          b.alias = int64_t(it->second);
          plan.inPlace.push_back({&op, cand});
        }
      }
      buffers.push_back(b);
    }
    // Kernel scratch lives while the op runs, in the same arena.
    int64_t scratch = staged ? 0 : scratchBytes(&op);
    if (scratch) {
      scratchIndex[&op] = buffers.size();
      buffers.push_back({scratch, step[&op], step[&op]});
    }
    // Every use extends the lifetime of the operand's root.
    if (!staged)
      for (Value o : op.getOperands()) {
        auto it = index.find(storageRoot(o));
        if (it != index.end())
          buffers[it->second].last = std::max(buffers[it->second].last, step[&op]);
      }
  }

  Placement p = place(buffers);
  plan.arenaBytes = p.arenaBytes;
  plan.lowerBound = liveBytesLowerBound(buffers, alignment);
  for (Operation &op : block) {
    if (op.getNumResults() == 0 || matchPattern(&op, m_Constant()))
      continue;
    std::vector<int64_t> offs;
    for (Value r : op.getResults()) {
      auto it = index.find(r);
      offs.push_back(it == index.end() ? -1 : p.offsets[it->second]);
    }
    plan.offsets.push_back({&op, offs});
  }
  for (Operation &op : block)
    if (auto it = scratchIndex.find(&op); it != scratchIndex.end())
      plan.scratch.push_back({&op, p.offsets[it->second]});
  if (stage) {
    int64_t base = p.offsets[stageIndex];
    for (Operation *op : stage->ops) {
      if (isTileAlias(op))
        continue;
      plan.tileOffsets.push_back({op, base + tilePlace.offsets[tileOf[op]]});
      if (auto it = cropOf.find(op); it != cropOf.end())
        plan.cropOffsets.push_back({op, base + tilePlace.offsets[it->second]});
      if (auto it = stageScratchOf.find(op); it != stageScratchOf.end())
        plan.scratch.push_back({op, base + tilePlace.offsets[it->second]});
    }
  }
  // Bytes live while each op runs (its operands, results and scratch).
  std::vector<int64_t> live = liveBytesPerStep(buffers, alignment);
  for (Operation &op : block) {
    int64_t s = step[&op];
    plan.liveBytes.push_back({&op, s < int64_t(live.size()) ? live[size_t(s)] : 0});
  }
  return plan;
}

} // namespace pare::planning
