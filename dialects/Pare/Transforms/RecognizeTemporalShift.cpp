//===- RecognizeTemporalShift.cpp - exported TSM subgraphs -> one op ------===//
//
// pare-recognize-temporal-shift: finds what a TSM model's export made of its
// temporal shifts (a reshape to frames, data movement, a reshape back; or an
// explicit shift buffer in the function's API) and rewrites it to one
// pare.temporal_shift, which FuseTemporalShift and StreamTemporalShift build on.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/Transforms/ConstantComputed.h"

#include "dialects/Pare/Eval/Evaluator.h"
#include "dialects/Pare/IR/PareOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include <numeric>

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
  /// TemporalShiftOp's mode: "bidirectional", "bidirectional_reversed" or
  /// "unidirectional".
  StringRef mode;
  bool operator==(const ShiftSpec &o) const { return fold == o.fold && mode == o.mode; }
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
  // Channels [0, a) take one offset, [a, b) the other, the rest none:
  // bidirectional [0, f) from t+1 and [f, 2f) from t-1 (or reversed, the
  // groups' directions swapped); unidirectional [0, f) from t-1.
  int first = offset[0];
  int64_t a = 0;
  while (a < c && first != 0 && offset[size_t(a)] == first)
    ++a;
  int64_t b = a;
  while (b < c && offset[size_t(b)] == -first && first != 0)
    ++b;
  for (int64_t ch = b; ch < c; ++ch)
    if (offset[size_t(ch)] != 0)
      return std::nullopt;
  if (a > 0 && b - a == a)
    return ShiftSpec{a, first == 1 ? "bidirectional" : "bidirectional_reversed"};
  if (a > 0 && b == a && first == -1)
    return ShiftSpec{a, "unidirectional"};
  return std::nullopt;
}

/// The ops an export builds a temporal shift from: data movement, and the
/// elementwise arithmetic exporters make zeros with (x - x, x * 0, Where).
/// The region walk stops at anything else (a convolution, an activation).
bool isShiftPart(Operation *op) {
  return isa<ReshapeOp, FlattenOp, SqueezeOp, UnsqueezeOp, TransposeOp, SliceOp, SplitOp, ConcatOp,
             PadOp, GatherOp, ScatterNDOp, ExpandOp, IdentityOp, CastOp, AddOp, SubOp, MulOp,
             WhereOp>(op) &&
         op->getNumRegions() == 0;
}

/// How deep a chain of ops computing zeros or shapes from constants may be.
constexpr int kConstantDepth = 32;

/// Largest number of elements a probe may have (the evaluator holds a few
/// tensors of this size per op of the region).
constexpr int64_t kMaxProbeElements = int64_t(1) << 25;

/// Two probes whose elements are non-zero and exact in float32. Up to 2^24
/// elements: 1, 2, 3, ... and a permutation of them with alternating signs,
/// all distinct. Beyond: i mod P1 + 1 and (i mod P2 + 1) with alternating
/// signs for two primes P1, P2 < 2^24; a pure data movement that maps every
/// element as a shift would on both probes maps it as the shift (the source
/// index agrees modulo P1 and modulo P2, so modulo P1 * P2 > 2^25). A
/// subgraph that gives a temporal shift of both moves elements (a scale or
/// an offset on the way would show on one of them).
std::vector<std::vector<float>> probes(int64_t numel) {
  std::vector<float> a(static_cast<size_t>(numel)), b(static_cast<size_t>(numel));
  if (numel > (int64_t(1) << 24)) {
    const int64_t p1 = 16777213, p2 = 16777199;
    for (int64_t i = 0; i < numel; ++i) {
      a[size_t(i)] = float(i % p1 + 1);
      b[size_t(i)] = float(i % p2 + 1) * (i % 2 ? -1.0f : 1.0f);
    }
    return {a, b};
  }
  int64_t step = 1;
  for (int64_t k : {7919, 104729, 1299709, 15485863})
    if (std::gcd(k, numel) == 1) {
      step = k;
      break;
    }
  for (int64_t i = 0; i < numel; ++i) {
    a[size_t(i)] = float(i + 1);
    b[size_t(i)] = float((i * step) % numel + 1) * (i % 2 ? -1.0f : 1.0f);
  }
  return {a, b};
}

/// Frames of a temporal-shift entry: x [N*T, C, H, W] (viewed as [N, T, ...]
/// by a reshape in the region) or x [N, T, C, H, W] (a 5-D model input or
/// tensor, flattened to [N*T, C, H, W] after the shift).
struct Entry {
  Value x;
  int64_t frames;
};

/// The temporal shift (if any) the subgraph from `e.x` to the reshape `r2`
/// computes: the ops between them (`region`, block order) are cloned with
/// their constant operands into a scratch function and run on the probes.
std::optional<ShiftSpec> probeRegion(const Entry &e, ArrayRef<Operation *> region, ReshapeOp r2,
                                     int64_t nt, int64_t c, int64_t inner) {
  MLIRContext *ctx = r2->getContext();
  OpBuilder b(ctx);
  auto module = ModuleOp::create(r2.getLoc());
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(b, r2.getLoc(), "probe",
                                 b.getFunctionType({e.x.getType()}, {r2.getInput().getType()}));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  IRMapping map;
  map.map(e.x, entry->getArgument(0));
  for (Operation *op : region) {
    for (Value o : op->getOperands())
      if (!map.contains(o))
        cloneConstantComputed(b, o, map);
    b.clone(*op, map);
  }
  func::ReturnOp::create(b, r2.getLoc(), ValueRange{map.lookup(r2.getInput())});
  std::optional<ShiftSpec> spec;
  {
    // An op the evaluator cannot run means "not a shift", not an error.
    ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &) { return success(); });
    eval::Evaluator ev(fn);
    auto shape = cast<RankedTensorType>(e.x.getType()).getShape();
    for (const std::vector<float> &p : probes(nt * c * inner)) {
      auto outs =
          ev.run({eval::Tensor::floats(std::vector<int64_t>(shape.begin(), shape.end()), p)});
      if (failed(outs) || outs->size() != 1 || (*outs)[0].f.size() != p.size()) {
        spec.reset();
        break;
      }
      auto s = classify(p, (*outs)[0].f, nt / e.frames, e.frames, c, inner);
      if (!s || (spec && !(*s == *spec))) {
        spec.reset();
        break;
      }
      spec = s;
    }
  }
  module->erase();
  return spec;
}

/// Form 1: the data movement between a view of x as frames and a reshape
/// back to [N*T, C, H, W]. Every such reshape reached from x through shift
/// parts is tried; the region is what lies on the paths from x to it, and
/// may read x, itself and values computed from constants only.
bool recognizeFrom(const Entry &e, int &found) {
  auto xs = dims(e.x);
  int64_t nt = xs.size() == 4 ? xs[0] : xs[0] * xs[1];
  int64_t c = xs.size() == 4 ? xs[1] : xs[2];
  int64_t hw = xs.size() == 4 ? xs[2] * xs[3] : xs[3] * xs[4];
  if (nt * c * hw > kMaxProbeElements || nt % e.frames != 0)
    return false;
  auto isExit = [&](Operation *op) {
    auto r = dyn_cast<ReshapeOp>(op);
    if (!r || r->use_empty())
      return false; // (a reshape back that an earlier shift replaced)
    auto y = dims(r.getOutput());
    return y.size() == 4 && y[0] == nt && y[1] == c && y[2] * y[3] == hw;
  };
  // Forward: the shift parts reached from x, and the reshapes back.
  llvm::SetVector<Operation *> reached;
  SmallVector<ReshapeOp> exits;
  SmallVector<Value> work = {e.x};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (v != e.x && isExit(user)) {
        if (!llvm::is_contained(exits, cast<ReshapeOp>(user)))
          exits.push_back(cast<ReshapeOp>(user));
        continue;
      }
      if (!isShiftPart(user) || isExit(user))
        continue;
      if (reached.size() > 400)
        return false;
      if (reached.insert(user))
        for (Value r : user->getResults())
          work.push_back(r);
    }
  }
  llvm::sort(exits, [](ReshapeOp a, ReshapeOp b) { return a->isBeforeInBlock(b); });
  llvm::DenseMap<Value, bool> constant;
  for (ReshapeOp r2 : exits) {
    // Backward from the exit through the reached ops: the region.
    llvm::SetVector<Operation *> region;
    SmallVector<Value> back = {r2.getInput()};
    bool closed = true;
    while (!back.empty() && closed) {
      Value v = back.pop_back_val();
      if (v == e.x)
        continue;
      Operation *def = v.getDefiningOp();
      if (def && reached.contains(def)) {
        if (region.insert(def))
          back.append(def->operand_begin(), def->operand_end());
      } else if (!isConstantComputed(v, constant, kConstantDepth)) {
        closed = false; // reads another tensor: not a function of x alone
      }
    }
    if (!closed || region.empty())
      continue;
    SmallVector<Operation *> ordered(region.begin(), region.end());
    llvm::sort(ordered, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    std::optional<ShiftSpec> spec = probeRegion(e, ordered, r2, nt, c, hw);
    if (!spec)
      continue;
    // The view into frames names the shift (with the reshape back), as the
    // layer the two reshapes stand for.
    Location first = ordered.front()->getLoc();
    for (Operation *op : ordered)
      if (auto r = dyn_cast<ReshapeOp>(op); r && r.getInput() == e.x) {
        first = r.getLoc();
        break;
      }
    Location loc = FusedLoc::get(r2->getContext(), {first, r2.getLoc()});
    OpBuilder rb(r2);
    Value in = e.x;
    if (xs.size() == 5)
      in = ReshapeOp::create(
          rb, loc,
          RankedTensorType::get({nt, c, xs[3], xs[4]},
                                cast<RankedTensorType>(e.x.getType()).getElementType()),
          in);
    Value shift = TemporalShiftOp::create(rb, loc, in.getType(), in, rb.getI64IntegerAttr(e.frames),
                                          rb.getI64IntegerAttr(spec->fold),
                                          rb.getStringAttr(spec->mode), UnitAttr(), UnitAttr());
    if (shift.getType() != r2.getType())
      shift = ReshapeOp::create(rb, loc, r2.getType(), shift);
    // The export's ops stay for the canonicalizer to erase: other entries
    // may be values among them.
    r2.getOutput().replaceAllUsesWith(shift);
    ++found;
    return true;
  }
  return false;
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
    // Views of [N*T, C, H, W] as frames first, then 5-D tensors (a model
    // input [N, T, C, H, W], or a 5-D network's tensors) flattened after
    // their shift; each (x, T) once.
    SmallVector<Entry> entries;
    auto add = [&](Value x, int64_t frames) {
      if (!isa<FloatType>(cast<RankedTensorType>(x.getType()).getElementType()) || frames < 2 ||
          llvm::any_of(entries, [&](const Entry &e) { return e.x == x && e.frames == frames; }))
        return;
      entries.push_back({x, frames});
    };
    func.walk([&](ReshapeOp r) {
      auto x = dims(r.getInput()), y = dims(r.getOutput());
      if (x.size() == 4 && y.size() >= 3 && y[0] * y[1] == x[0])
        add(r.getInput(), y[1]);
    });
    auto add5 = [&](Value v) {
      auto r = v.getDefiningOp<ReshapeOp>();
      if (dims(v).size() == 5 && !(r && dims(r.getInput()).size() == 4))
        add(v, dims(v)[1]);
    };
    for (BlockArgument a : func.getArguments())
      if (isa<RankedTensorType>(a.getType()))
        add5(a);
    func.walk([&](Operation *op) {
      for (Value v : op->getResults())
        if (isa<RankedTensorType>(v.getType()))
          add5(v);
    });
    for (const Entry &e : entries)
      while (recognizeFrom(e, found)) {
      }
    // Explicit shift buffers: arguments concatenated before a channel slice.
    for (unsigned i = func.getNumArguments(); i-- > 0;)
      found += recognizeBuffer(func, func.getArgument(i));
    (void)found;
  }
};

} // namespace
