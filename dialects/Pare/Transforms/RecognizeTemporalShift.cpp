//===- RecognizeTemporalShift.cpp - exported TSM subgraphs -> one op ------===//
//
// pare-recognize-temporal-shift: finds what a TSM model's export made of its
// temporal shifts (a reshape to frames, data movement, a reshape back; or an
// explicit shift buffer in the function's API) and rewrites it to one
// pare.temporal_shift, which FuseTemporalShift and StreamTemporalShift build on.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/Eval/Evaluator.h"
#include "dialects/Pare/IR/PareOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

namespace pare {
#define GEN_PASS_DEF_RECOGNIZETEMPORALSHIFTPASS
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
std::optional<ShiftSpec> classify(ArrayRef<float> in, ArrayRef<float> out, int64_t n, int64_t t,
                                  int64_t c, int64_t inner) {
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
  if (x.size() != 4 || y.size() != 5 || y[0] * y[1] != x[0] || y[2] != x[1] || y[3] != x[2] ||
      y[4] != x[3] || !isa<FloatType>(cast<RankedTensorType>(r1.getType()).getElementType()))
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
      if (user->getNumRegions() || user->hasTrait<OpTrait::IsTerminator>() || region.size() > 400)
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
      rb, FusedLoc::get(r1->getContext(), {r1.getLoc(), r2.getLoc()}), r2.getType(), r1.getInput(),
      rb.getI64IntegerAttr(y[1]), rb.getI64IntegerAttr(spec->fold),
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
  auto shift = TemporalShiftOp::create(
      b, concat.getLoc(), concat.getType(), x, b.getI64IntegerAttr(1), b.getI64IntegerAttr(fold),
      b.getStringAttr("unidirectional"), UnitAttr(), b.getUnitAttr());
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

} // namespace
