//===- TemporalShift.cpp - recognise, fuse and stream TSM shifts ----------===//
//
// pare-recognize-temporal-shift: exported TSM subgraphs -> pare.temporal_shift
// pare-fuse-temporal-shift: the shift folded into the 1x1 convs reading it
// pare-stream-temporal-shift: a T-frame model -> a one-frame streaming step
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/Eval/Evaluator.h"
#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

namespace pare {
#define GEN_PASS_DEF_RECOGNIZETEMPORALSHIFTPASS
#define GEN_PASS_DEF_FUSETEMPORALSHIFTPASS
#define GEN_PASS_DEF_STREAMTEMPORALSHIFTPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

ArrayRef<int64_t> dims(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

struct ShiftSpec {
  int64_t fold = 0;
  bool bidirectional = false;
};

/// Which temporal shift (if any) maps `in` [N, T, C, inner] to `out`: each
/// output element equals the input element of frame t+1 / t-1 / t of its
/// channel, or zero past the clip's ends, with TSM's channel ranges.
std::optional<ShiftSpec> classify(ArrayRef<float> in, ArrayRef<float> out, int64_t n,
                                  int64_t t, int64_t c, int64_t inner) {
  // Per channel: the frame offset it takes (+1, -1, 0), checked everywhere.
  std::vector<int> offset(size_t(c), 2);
  auto at = [&](int64_t b, int64_t f, int64_t ch, int64_t i) {
    return ((b * t + f) * c + ch) * inner + i;
  };
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int d : {0, 1, -1}) {
      bool ok = true;
      for (int64_t b = 0; b < n && ok; ++b)
        for (int64_t f = 0; f < t && ok; ++f)
          for (int64_t i = 0; i < inner && ok; ++i) {
            int64_t src = f + d;
            float want = (src < 0 || src >= t) ? 0.0f : in[size_t(at(b, src, ch, i))];
            ok = out[size_t(at(b, f, ch, i))] == want;
          }
      if (ok) {
        offset[size_t(ch)] = d;
        break;
      }
    }
    if (offset[size_t(ch)] == 2)
      return std::nullopt;
  }
  // Bidirectional: [0, f) from t+1, [f, 2f) from t-1; unidirectional:
  // [0, f) from t-1; every other channel unchanged.
  int64_t back = 0;
  while (back < c && offset[size_t(back)] == 1)
    ++back;
  int64_t fwd = back;
  while (fwd < c && offset[size_t(fwd)] == -1)
    ++fwd;
  for (int64_t ch = fwd; ch < c; ++ch)
    if (offset[size_t(ch)] != 0)
      return std::nullopt;
  if (back > 0 && fwd - back == back)
    return ShiftSpec{back, true};
  if (back == 0 && fwd > 0)
    return ShiftSpec{fwd, false};
  return std::nullopt;
}

/// Form 1: reshape to [N, T, C, H, W], data movement, reshape back.
LogicalResult recognizeReshaped(ReshapeOp r1, int &found) {
  auto x = dims(r1.getInput()), y = dims(r1.getOutput());
  if (x.size() != 4 || y.size() != 5 || y[0] * y[1] != x[0] || y[2] != x[1] ||
      y[3] != x[2] || y[4] != x[3] || !isa<FloatType>(cast<RankedTensorType>(r1.getType()).getElementType()))
    return success();
  int64_t numel = x[0] * x[1] * x[2] * x[3];
  if (numel > (1 << 24))
    return success(); // probe values must stay exact in float32
  // The ops between the two reshapes, in block order.
  llvm::SetVector<Operation *> region;
  SmallVector<Value> work = {r1.getOutput()};
  ReshapeOp r2;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (auto back = dyn_cast<ReshapeOp>(user); back && dims(back.getOutput()) == x) {
        if (r2 && r2 != back)
          return success(); // two exits: not one shift
        r2 = back;
        continue;
      }
      if (user->getNumRegions() || user->hasTrait<OpTrait::IsTerminator>() ||
          region.size() > 400)
        return success();
      if (region.insert(user))
        for (Value r : user->getResults())
          work.push_back(r);
    }
  }
  if (!r2)
    return success();
  // Everything in the region reads the probe, constants or the region.
  for (Operation *op : region) {
    for (Value o : op->getOperands()) {
      Operation *def = o.getDefiningOp();
      if (o == r1.getOutput() || (def && region.contains(def)) ||
          (def && matchPattern(def, m_Constant())))
        continue;
      return success();
    }
    for (Value r : op->getResults())
      for (Operation *u : r.getUsers())
        if (!region.contains(u) && u != r2.getOperation())
          return success();
  }
  // Run it on a probe in a scratch function.
  OpBuilder b(r1->getContext());
  auto module = ModuleOp::create(r1.getLoc());
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(
      b, r1.getLoc(), "probe",
      b.getFunctionType({r1.getOutput().getType()}, {r2.getInput().getType()}));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  IRMapping map;
  map.map(r1.getOutput(), entry->getArgument(0));
  SmallVector<Operation *> ordered(region.begin(), region.end());
  llvm::sort(ordered, [](Operation *a, Operation *c) { return a->isBeforeInBlock(c); });
  for (Operation *op : ordered) {
    for (Value o : op->getOperands())
      if (Operation *def = o.getDefiningOp(); def && !map.contains(o) && !region.contains(def))
        b.clone(*def, map);
    b.clone(*op, map);
  }
  func::ReturnOp::create(b, r1.getLoc(), ValueRange{map.lookup(r2.getInput())});
  std::vector<float> probe(static_cast<size_t>(numel));
  for (int64_t i = 0; i < numel; ++i)
    probe[size_t(i)] = float(i + 1);
  std::vector<int64_t> shape(y.begin(), y.end());
  auto outs = eval::run(fn, {eval::Tensor::floats(shape, probe)});
  std::optional<ShiftSpec> spec;
  if (succeeded(outs) && outs->size() == 1 && (*outs)[0].f.size() == probe.size())
    spec = classify(probe, (*outs)[0].f, y[0], y[1], y[2], y[3] * y[4]);
  module->erase();
  if (!spec)
    return success();
  OpBuilder rb(r2);
  auto shift = TemporalShiftOp::create(
      rb, FusedLoc::get(r1->getContext(), {r1.getLoc(), r2.getLoc()}), r2.getType(),
      r1.getInput(), rb.getI64IntegerAttr(y[1]), rb.getI64IntegerAttr(spec->fold),
      rb.getStringAttr(spec->bidirectional ? "bidirectional" : "unidirectional"), UnitAttr(),
      UnitAttr());
  r2.getOutput().replaceAllUsesWith(shift.getOutput());
  ++found;
  return success();
}

/// Form 2: online TSM with an explicit shift buffer argument and result.
bool recognizeBuffer(func::FuncOp func, BlockArgument buffer) {
  if (!buffer.hasOneUse())
    return false;
  auto concat = dyn_cast<ConcatOp>(*buffer.getUsers().begin());
  if (!concat || concat.getAxis() != 1 || concat.getInputs().size() != 2 ||
      concat.getInputs()[0] != buffer)
    return false;
  auto rest = concat.getInputs()[1].getDefiningOp<SliceOp>();
  if (!rest)
    return false;
  Value x = rest.getInput();
  auto xs = dims(x), bs = dims(buffer);
  if (xs.size() != 4 || bs.size() != 4 || bs[0] != xs[0] || bs[2] != xs[2] || bs[3] != xs[3])
    return false;
  int64_t fold = bs[1];
  auto isChannelSlice = [&](SliceOp s, int64_t begin, int64_t end) {
    auto st = s.getStarts(), en = s.getEnds(), sp = s.getSteps();
    if (st.size() != 4)
      return false;
    for (size_t d = 0; d < 4; ++d) {
      int64_t b = d == 1 ? begin : 0, e = d == 1 ? end : xs[d];
      if (st[d] != b || std::min(en[d], xs[d]) != e || sp[d] != 1)
        return false;
    }
    return true;
  };
  if (!isChannelSlice(rest, fold, xs[1]))
    return false;
  // The function result that carries x[:, :fold] out.
  Operation *ret = func.getBody().front().getTerminator();
  std::optional<unsigned> resultIndex;
  for (auto [i, v] : llvm::enumerate(ret->getOperands()))
    if (auto s = v.getDefiningOp<SliceOp>(); s && s.getInput() == x && isChannelSlice(s, 0, fold))
      resultIndex = unsigned(i);
  if (!resultIndex)
    return false;
  OpBuilder b(concat);
  auto shift = TemporalShiftOp::create(b, concat.getLoc(), concat.getType(), x,
                                       b.getI64IntegerAttr(1), b.getI64IntegerAttr(fold),
                                       b.getStringAttr("unidirectional"), UnitAttr(),
                                       b.getUnitAttr());
  concat.getOutput().replaceAllUsesWith(shift.getOutput());
  concat->erase();
  // The buffer leaves the API: it is the op's state now.
  SmallVector<Value> results(ret->getOperands());
  results.erase(results.begin() + *resultIndex);
  ret->setOperands(results);
  (void)func.eraseResult(*resultIndex);
  (void)func.eraseArgument(buffer.getArgNumber());
  return true;
}

struct RecognizeTemporalShiftPass
    : pare::impl::RecognizeTemporalShiftPassBase<RecognizeTemporalShiftPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int found = 0;
    SmallVector<ReshapeOp> reshapes;
    func.walk([&](ReshapeOp r) { reshapes.push_back(r); });
    for (ReshapeOp r : reshapes)
      if (failed(recognizeReshaped(r, found)))
        return signalPassFailure();
    // Explicit shift buffers: arguments concatenated before a channel slice.
    for (unsigned i = func.getNumArguments(); i-- > 0;)
      found += recognizeBuffer(func, func.getArgument(i));
    (void)found;
  }
};

bool fusableConv(Operation *op, Value shifted) {
  if (op->getNumOperands() < 1 || op->getOperand(0) != shifted)
    return false;
  auto isPointwise = [&](Value w, ArrayRef<int64_t> s, ArrayRef<int64_t> p, int64_t g) {
    auto wd = dims(w);
    return wd[1] == 1 && wd[2] == 1 && llvm::all_of(s, [](int64_t v) { return v == 1; }) &&
           llvm::all_of(p, [](int64_t v) { return v == 0; }) && g == 1;
  };
  if (auto c = dyn_cast<ConvOp>(op))
    return c.getChannelsLast() && isPointwise(c.getWeight(), c.getStrides(), c.getPads(),
                                              int64_t(c.getGroup()));
  if (auto c = dyn_cast<QConvOp>(op))
    return c.getChannelsLast() && !planning::usesGenericInt8Kernel(op) &&
           isPointwise(c.getWeight(), c.getStrides(), c.getPads(), int64_t(c.getGroup()));
  return false;
}

struct FuseTemporalShiftPass : pare::impl::FuseTemporalShiftPassBase<FuseTemporalShiftPass> {
  void runOnOperation() override {
    SmallVector<TemporalShiftOp> shifts;
    getOperation().walk([&](TemporalShiftOp s) { shifts.push_back(s); });
    for (TemporalShiftOp s : shifts) {
      if (s.getStreaming() || !s.getChannelsLast() || s.getOutput().use_empty())
        continue;
      if (!llvm::all_of(s.getOutput().getUsers(),
                        [&](Operation *u) { return fusableConv(u, s.getOutput()); }))
        continue;
      Builder b(s);
      for (Operation *u : llvm::make_early_inc_range(s.getOutput().getUsers())) {
        u->setOperand(0, s.getInput());
        u->setAttr("pare.shift_frames", b.getI64IntegerAttr(s.getFrames()));
        u->setAttr("pare.shift_fold", b.getI64IntegerAttr(s.getFold()));
        u->setAttr("pare.shift_mode", b.getStringAttr(s.getMode()));
      }
      s->erase();
    }
  }
};

/// Ops that treat dim 0 as independent samples (so a T-frame batch can run
/// one frame at a time).
bool perSample(Operation *op) {
  if (isa<ConstantOp, func::ReturnOp>(op))
    return true;
  if (auto t = dyn_cast<TransposeOp>(op))
    return !t.getPerm().empty() && t.getPerm()[0] == 0;
  if (auto r = dyn_cast<ReshapeOp>(op))
    return !dims(r.getInput()).empty() && !dims(r.getOutput()).empty() &&
           dims(r.getInput())[0] == dims(r.getOutput())[0];
  if (auto c = dyn_cast<ConcatOp>(op))
    return c.getAxis() != 0;
  if (auto g = dyn_cast<GemmOp>(op))
    return !g.getTransA() && matchPattern(g.getB(), m_Constant());
  if (isa<ConvOp, QConvOp, MaxPoolOp, AveragePoolOp, GlobalAveragePoolOp, GlobalMaxPoolOp,
          QGlobalAveragePoolOp, QFullyConnectedOp, QuantizeOp, DequantizeOp, RequantizeOp,
          StorageCastOp, LookupTableOp, TemporalShiftOp, IdentityOp, FlattenOp>(op))
    return true;
  // Reductions and softmax over axes other than dim 0.
  if (auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
      axes && op->getNumOperands() == 1 && !axes.empty()) {
    int64_t rank = int64_t(dims(op->getOperand(0)).size());
    return llvm::none_of(axes.asArrayRef(), [&](int64_t a) { return a == 0 || a == -rank; });
  }
  if (auto axis = op->getAttrOfType<IntegerAttr>("axis"); axis && isa<SoftmaxOp, LogSoftmaxOp>(op)) {
    int64_t rank = int64_t(dims(op->getOperand(0)).size());
    return axis.getInt() != 0 && axis.getInt() != -rank;
  }
  // Elementwise ops whose operands all have the result's rank and dim 0 (or
  // are constants broadcast over dim 0).
  if (op->getNumResults() == 1 && op->getNumOperands() >= 1 && op->getNumOperands() <= 3 &&
      op->getName().getStringRef().starts_with("pare.") &&
      (isa<AddOp, SubOp, MulOp, DivOp, ReluOp, SigmoidOp, TanhOp, ClipOp, HardSwishOp,
           HardSigmoidOp, LeakyReluOp, QAddOp, QMulOp, MaxOp, MinOp>(op))) {
    auto r = dims(op->getResult(0));
    for (Value o : op->getOperands()) {
      auto od = dims(o);
      bool constant = matchPattern(o, m_Constant());
      if (!constant && (od.size() != r.size() || od.empty() || od[0] != r[0]))
        return false;
      if (constant && od.size() == r.size() && !od.empty() && od[0] != 1)
        return false;
    }
    return true;
  }
  return false;
}

struct StreamTemporalShiftPass
    : pare::impl::StreamTemporalShiftPassBase<StreamTemporalShiftPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t frames = 0;
    bool ok = true;
    func.walk([&](TemporalShiftOp s) {
      if (s.getStreaming())
        return;
      if (s.isBidirectional()) {
        s.emitError("--streaming needs a unidirectional (online) temporal shift: this one "
                    "also takes channels from the next frame");
        ok = false;
      }
      if (frames && frames != int64_t(s.getFrames())) {
        s.emitError("--streaming needs one number of frames for every temporal shift");
        ok = false;
      }
      frames = s.getFrames();
    });
    if (!ok)
      return signalPassFailure();
    if (frames == 0) {
      func.emitError("--streaming needs a model with temporal shifts (none was recognised)");
      return signalPassFailure();
    }
    for (Operation &op : func.getBody().front())
      if (!perSample(&op)) {
        op.emitError("--streaming: '")
            << op.getName() << "' does not treat dim 0 as independent frames";
        return signalPassFailure();
      }
    auto perFrame = [&](Type t, Location loc) -> FailureOr<Type> {
      auto rt = dyn_cast<RankedTensorType>(t);
      if (!rt || rt.getRank() == 0 || rt.getDimSize(0) % frames != 0)
        return emitError(loc, "--streaming: a tensor of type ")
               << t << " does not hold " << frames << " frames along dim 0";
      SmallVector<int64_t> s(rt.getShape());
      s[0] /= frames;
      return Type(RankedTensorType::get(s, rt.getElementType()));
    };
    Block &body = func.getBody().front();
    for (BlockArgument a : body.getArguments()) {
      auto t = perFrame(a.getType(), func.getLoc());
      if (failed(t))
        return signalPassFailure();
      a.setType(*t);
    }
    for (Operation &op : body) {
      if (isa<func::ReturnOp>(op) || planning::isWeight(&op))
        continue;
      for (Value r : op.getResults()) {
        auto t = perFrame(r.getType(), op.getLoc());
        if (failed(t))
          return signalPassFailure();
        r.setType(*t);
      }
      if (auto s = dyn_cast<TemporalShiftOp>(op)) {
        Builder b(s);
        s.setFramesAttr(b.getI64IntegerAttr(1));
        s.setStreaming(true);
      }
    }
    SmallVector<Type> results;
    for (Value v : body.getTerminator()->getOperands())
      results.push_back(v.getType());
    func.setType(FunctionType::get(&getContext(), body.getArgumentTypes(), results));
  }
};

} // namespace
