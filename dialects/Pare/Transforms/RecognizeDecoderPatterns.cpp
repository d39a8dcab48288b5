//===- RecognizeDecoderPatterns.cpp - exported decoder subgraphs -> ops ---===//
//
// pare-recognize-decoder-patterns: finds what an exported transformer
// decoder made of its RMS norms, rotary embeddings and attentions and
// rewrites each to pare.rms_norm / pare.rotary / pare.attention, which
// pare-derive-decoder and the decoder emitters build on.
//
// Nothing here matches an op sequence. Each recogniser takes a bounded
// candidate region (a reduction over the last dim and the elementwise ops
// around it; the data movement and arithmetic from a projection to what
// reads it; the two activation matmuls around a softmax), clones it with the
// values it computes from constants into a scratch function, runs it with the
// evaluator on probe inputs, reads the op's parameters off the results and
// then checks the op's definition (EvalLlm.cpp) against the region on random
// inputs. A region that computes something else stays as it is.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/Transforms/ConstantComputed.h"

#include "dialects/Pare/Eval/EvalContext.h"
#include "dialects/Pare/Eval/Evaluator.h"
#include "dialects/Pare/IR/PareOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>
#include <numeric>
#include <random>

namespace pare {
#define GEN_PASS_DEF_RECOGNIZEDECODERPATTERNSPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;
using eval::Tensor;

namespace {

using Shape = std::vector<int64_t>;

Shape dims(Value v) {
  auto s = cast<RankedTensorType>(v.getType()).getShape();
  return Shape(s.begin(), s.end());
}
int64_t numel(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.hasStaticShape() ? t.getNumElements() : -1;
}
bool isF32(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32() && t.hasStaticShape();
}
/// The shape without its size-1 dims.
Shape squeezed(const Shape &s) {
  Shape r;
  for (int64_t d : s)
    if (d != 1)
      r.push_back(d);
  return r;
}

//===----------------------------------------------------------------------===//
// Regions and probes
//===----------------------------------------------------------------------===//

/// How deep a chain of ops computing a table or mask from constants may be.
constexpr int kConstantDepth = 64;

/// The pare.constant ops that the constant-computed `v` is made from.
void constantLeaves(Value v, llvm::SetVector<ConstantOp> &out, llvm::DenseSet<Value> &seen) {
  if (!seen.insert(v).second)
    return;
  Operation *def = v.getDefiningOp();
  if (!def)
    return;
  if (auto c = dyn_cast<ConstantOp>(def)) {
    out.insert(c);
    return;
  }
  for (Value o : def->getOperands())
    constantLeaves(o, out, seen);
}

/// Data movement and the elementwise arithmetic exports build rotary
/// embeddings, head splits and GQA repeats from. No fused activation.
bool isMovementOrArith(Operation *op) {
  if (op->getAttr("activation"))
    return false;
  return isa<ReshapeOp, FlattenOp, SqueezeOp, UnsqueezeOp, TransposeOp, SliceOp, SplitOp, ConcatOp,
             ExpandOp, IdentityOp, NegOp, AddOp, SubOp, MulOp, DivOp, GatherOp>(op);
}

/// Elementwise float ops an exported RMS norm is made of.
bool isElementwise(Operation *op) {
  if (op->getAttr("activation"))
    return false;
  return isa<AddOp, SubOp, MulOp, DivOp, PowOp, NegOp, SqrtOp, ReciprocalOp, IdentityOp, ExpOp,
             LogOp, AbsOp>(op);
}

/// The ops after `root` (in block order, at most `window` of them) that
/// `inside` accepts and that read `root` or each other and otherwise only
/// constant-computed values.
llvm::SetVector<Operation *> forwardRegion(Value root, function_ref<bool(Operation *)> inside,
                                           llvm::DenseMap<Value, bool> &constant,
                                           int window = 160) {
  llvm::SetVector<Operation *> region;
  llvm::DenseSet<Value> reached = {root};
  Block *block = root.getParentBlock();
  Operation *start = root.getDefiningOp();
  auto it = start ? std::next(start->getIterator()) : block->begin();
  for (int n = 0; it != block->end() && n < window; ++it, ++n) {
    Operation *op = &*it;
    if (!inside(op) || op->getNumResults() == 0)
      continue;
    bool reads = false, closed = true;
    for (Value o : op->getOperands()) {
      if (reached.contains(o))
        reads = true;
      else if (!isConstantComputed(o, constant, kConstantDepth))
        closed = false;
    }
    if (!reads || !closed)
      continue;
    region.insert(op);
    for (Value r : op->getResults())
      reached.insert(r);
  }
  return region;
}

/// The ops of `region` that `result` is computed from (block order).
SmallVector<Operation *> coneIn(Value result, const llvm::SetVector<Operation *> &region) {
  llvm::SetVector<Operation *> cone;
  SmallVector<Value> work = {result};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (def && region.contains(def) && cone.insert(def))
      work.append(def->operand_begin(), def->operand_end());
  }
  SmallVector<Operation *> ordered(cone.begin(), cone.end());
  llvm::sort(ordered, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return ordered;
}

/// A scratch function computing `result` from `args` by `ops` (block order)
/// and the constant-computed values they read, and an evaluator on it.
struct Probe {
  OwningOpRef<ModuleOp> module;
  func::FuncOp fn;
  std::unique_ptr<eval::Evaluator> ev;
  SmallVector<Shape> argShapes;

  Probe(ArrayRef<Value> args, ArrayRef<Operation *> ops, Value result) {
    MLIRContext *ctx = result.getContext();
    OpBuilder b(ctx);
    Location loc = result.getLoc();
    module = ModuleOp::create(loc);
    b.setInsertionPointToEnd(module->getBody());
    SmallVector<Type> argTypes;
    for (Value a : args) {
      argTypes.push_back(a.getType());
      argShapes.push_back(dims(a));
    }
    fn = func::FuncOp::create(b, loc, "probe", b.getFunctionType(argTypes, {result.getType()}));
    Block *entry = fn.addEntryBlock();
    b.setInsertionPointToEnd(entry);
    IRMapping map;
    for (auto [a, arg] : llvm::zip(args, entry->getArguments()))
      map.map(a, arg);
    for (Operation *op : ops) {
      for (Value o : op->getOperands())
        if (!map.contains(o))
          cloneConstantComputed(b, o, map);
      b.clone(*op, map);
    }
    func::ReturnOp::create(b, loc, ValueRange{map.lookup(result)});
    ev = std::make_unique<eval::Evaluator>(fn);
  }

  /// The result on float inputs (one per argument, shaped as it), or
  /// nullopt when the evaluator cannot run the region.
  std::optional<std::vector<float>> run(ArrayRef<std::vector<float>> inputs) {
    std::vector<Tensor> in;
    for (auto [s, data] : llvm::zip(argShapes, inputs))
      in.push_back(Tensor::floats(s, data));
    ScopedDiagnosticHandler quiet(module->getContext(), [](Diagnostic &) { return success(); });
    auto out = ev->run(in);
    if (failed(out) || out->size() != 1 || !(*out)[0].isFloat())
      return std::nullopt;
    return std::move((*out)[0].f);
  }
};

std::vector<float> randomData(int64_t n, std::mt19937 &rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// |got - want| <= tol * max|want| everywhere (and the sizes agree).
bool close(ArrayRef<float> got, ArrayRef<float> want, float tol) {
  if (got.size() != want.size())
    return false;
  float mx = 0.0f;
  for (float w : want)
    mx = std::max(mx, std::fabs(w));
  float bound = tol * std::max(mx, 1e-30f);
  for (size_t k = 0; k < got.size(); ++k)
    if (!(std::fabs(got[k] - want[k]) <= bound))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Head layouts
//===----------------------------------------------------------------------===//

/// How a tensor holds [S, H, D] values: without its size-1 dims it is
/// [S, H * D] or [S, H, D] (`headsFirst` false), or [H, S, D] (true).
struct Layout {
  int64_t s = 0, h = 0, d = 0;
  bool headsFirst = false;
};

/// The layouts `v` may have for S rows of heads of `d` dims (H follows).
SmallVector<Layout> layoutsOf(Value v, int64_t s, int64_t d) {
  SmallVector<Layout> out;
  int64_t n = numel(v);
  if (n <= 0 || s <= 0 || d <= 0 || n % (s * d) != 0)
    return out;
  int64_t h = n / (s * d);
  Shape q = squeezed(dims(v));
  auto eq = [&](Shape want) { return squeezed(want) == q; };
  if (eq({s, h, d}) || eq({s, h * d}))
    out.push_back({s, h, d, false});
  if (h != 1 && eq({h, s, d}))
    out.push_back({s, h, d, true});
  return out;
}

/// [S, H*D] row-major data from `x` held in `l`.
std::vector<float> toRows(ArrayRef<float> x, const Layout &l) {
  if (!l.headsFirst)
    return x.vec();
  std::vector<float> y(x.size());
  for (int64_t h = 0; h < l.h; ++h)
    for (int64_t s = 0; s < l.s; ++s)
      for (int64_t d = 0; d < l.d; ++d)
        y[size_t((s * l.h + h) * l.d + d)] = x[size_t((h * l.s + s) * l.d + d)];
  return y;
}
std::vector<float> fromRows(ArrayRef<float> x, const Layout &l) {
  if (!l.headsFirst)
    return x.vec();
  std::vector<float> y(x.size());
  for (int64_t h = 0; h < l.h; ++h)
    for (int64_t s = 0; s < l.s; ++s)
      for (int64_t d = 0; d < l.d; ++d)
        y[size_t((h * l.s + s) * l.d + d)] = x[size_t((s * l.h + h) * l.d + d)];
  return y;
}

/// IR: `v` (held in `l`) as a [S, H*D] tensor.
Value emitToRows(OpBuilder &b, Location loc, Value v, const Layout &l) {
  Type f = cast<RankedTensorType>(v.getType()).getElementType();
  if (l.headsFirst) {
    v = ReshapeOp::create(b, loc, RankedTensorType::get({l.h, l.s, l.d}, f), v);
    v = TransposeOp::create(b, loc, v, b.getDenseI64ArrayAttr({1, 0, 2}));
  }
  auto rows = RankedTensorType::get({l.s, l.h * l.d}, f);
  return v.getType() == rows ? v : ReshapeOp::create(b, loc, rows, v).getResult();
}
/// IR: the [S, H*D] `v` as a tensor of type `t` held in `l`.
Value emitFromRows(OpBuilder &b, Location loc, Value v, const Layout &l, Type t) {
  Type f = cast<RankedTensorType>(v.getType()).getElementType();
  if (l.headsFirst) {
    v = ReshapeOp::create(b, loc, RankedTensorType::get({l.s, l.h, l.d}, f), v);
    v = TransposeOp::create(b, loc, v, b.getDenseI64ArrayAttr({1, 0, 2}));
  }
  return v.getType() == t ? v : ReshapeOp::create(b, loc, t, v).getResult();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct Recognizer {
  func::FuncOp func;
  llvm::DenseMap<Value, bool> constant;
  std::mt19937 rng{20261207u};
  llvm::DenseMap<int64_t, Value> positions;
  int norms = 0, rotaries = 0, attentions = 0;

  explicit Recognizer(func::FuncOp f) : func(f) {}

  /// 0, 1, ..., s-1 (i64): the positions of a full-sequence graph.
  Value positionsFor(int64_t s) {
    if (Value v = positions.lookup(s))
      return v;
    OpBuilder b(func.getContext());
    b.setInsertionPointToStart(&func.getBody().front());
    auto t = RankedTensorType::get({s}, b.getI64Type());
    std::vector<int64_t> iota(static_cast<size_t>(s));
    std::iota(iota.begin(), iota.end(), 0);
    Value v = ConstantOp::create(b, func.getLoc(), t, DenseElementsAttr::get(t, ArrayRef(iota)));
    positions[s] = v;
    return v;
  }

  /// The float constants (as float32) that the ops `cone` read from
  /// constant-computed values are made of.
  SmallVector<std::vector<float>> constantsOf(ArrayRef<Operation *> cone) {
    llvm::SetVector<ConstantOp> leaves;
    llvm::DenseSet<Value> seen;
    llvm::DenseSet<Operation *> inCone(cone.begin(), cone.end());
    for (Operation *op : cone)
      for (Value o : op->getOperands())
        if (!(o.getDefiningOp() && inCone.contains(o.getDefiningOp())) &&
            isConstantComputed(o, constant, kConstantDepth))
          constantLeaves(o, leaves, seen);
    SmallVector<std::vector<float>> out;
    for (ConstantOp c : leaves) {
      auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
      if (!dense || !dense.getElementType().isF32() || dense.getNumElements() > (1 << 20))
        continue;
      std::vector<float> v;
      for (float x : dense.getValues<float>())
        v.push_back(x);
      out.push_back(std::move(v));
    }
    return out;
  }

  //===--------------------------------------------------------------------===//
  // RMS norm
  //===--------------------------------------------------------------------===//

  bool isLastDimReduce(Operation *op) {
    if (!isa<ReduceMeanOp, ReduceSumOp, ReduceSumSquareOp, ReduceL2Op>(op))
      return false;
    auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
    int64_t rank = int64_t(dims(op->getOperand(0)).size());
    return axes && axes.size() == 1 && axes[0] == rank - 1;
  }

  bool recognizeNorm(Operation *reduce) {
    // The norm's input x: the one non-constant value the reduction's
    // elementwise input cone reads.
    Value x;
    {
      SmallVector<Value> work = {reduce->getOperand(0)};
      llvm::DenseSet<Value> seen;
      while (!work.empty()) {
        Value v = work.pop_back_val();
        if (!seen.insert(v).second || isConstantComputed(v, constant, kConstantDepth))
          continue;
        Operation *def = v.getDefiningOp();
        // Through x^2, x * x, |x|: ops of one computed operand (a residual
        // add of two is where x comes from).
        llvm::SmallPtrSet<Value, 2> computed;
        if (def)
          for (Value o : def->getOperands())
            if (!isConstantComputed(o, constant, kConstantDepth))
              computed.insert(o);
        if (def && isElementwise(def) && computed.size() == 1 &&
            dims(v) == dims(reduce->getOperand(0)) && seen.size() < 16) {
          work.append(def->operand_begin(), def->operand_end());
          continue;
        }
        if (x && x != v)
          return false;
        x = v;
      }
    }
    if (!x || !isF32(x) || dims(x) != dims(reduce->getOperand(0)))
      return false;
    Shape xs = dims(x);
    int64_t f = xs.back(), rows = numel(x) / std::max<int64_t>(f, 1);
    if (f < 2 || numel(x) > (int64_t(1) << 22))
      return false;
    auto inside = [&](Operation *op) { return isElementwise(op) || op == reduce; };
    llvm::SetVector<Operation *> region = forwardRegion(x, inside, constant, 200);
    if (!region.contains(reduce))
      return false;
    // The outputs: values shaped as x after the reduction, latest first.
    SmallVector<Value> sinks;
    for (Operation *op : region)
      if (reduce->isBeforeInBlock(op) && op->getResult(0).getType() == x.getType())
        sinks.push_back(op->getResult(0));
    for (Value y : llvm::reverse(sinks)) {
      SmallVector<Operation *> cone = coneIn(y, region);
      if (!llvm::is_contained(cone, reduce))
        continue;
      Probe probe({x}, cone, y);
      // Rows of ones and of 0.01 give w / sqrt(1 + eps) and
      // 0.01 w / sqrt(1e-4 + eps): eps from their ratio, then w.
      auto a = probe.run({std::vector<float>(size_t(numel(x)), 1.0f)});
      auto c = probe.run({std::vector<float>(size_t(numel(x)), 0.01f)});
      if (!a || !c)
        continue;
      int64_t best = 0;
      for (int64_t k = 0; k < f; ++k)
        if (std::fabs((*a)[size_t(k)]) > std::fabs((*a)[size_t(best)]))
          best = k;
      if (!((*a)[size_t(best)] != 0.0f))
        continue;
      double rho = double((*c)[size_t(best)]) / double((*a)[size_t(best)]);
      double r2 = rho * rho;
      double eps = r2 > 1e-4 ? 1e-4 * (1.0 - r2) / (r2 - 1e-4) : -1.0;
      if (!(eps > -1e-9) || !std::isfinite(eps) || eps > 1.0)
        continue;
      eps = std::max(eps, 0.0);
      SmallVector<std::vector<float>> consts = constantsOf(cone);
      // The model's own eps and weight where the estimates name one of its
      // constants (exact bits), else the estimates.
      float epsF = float(eps);
      for (const std::vector<float> &k : consts)
        if (k.size() == 1 && k[0] > 0.0f && std::fabs(double(k[0]) - eps) <= 1e-2 * double(k[0]))
          epsF = k[0];
      std::vector<float> w(static_cast<size_t>(f));
      for (int64_t k = 0; k < f; ++k)
        w[size_t(k)] = float(double((*a)[size_t(k)]) * std::sqrt(1.0 + double(epsF)));
      for (const std::vector<float> &k : consts)
        if (int64_t(k.size()) == f && close(k, w, 1e-5f))
          w = k;
      // The definition, on rows of many scales.
      bool ok = true;
      for (int run = 0; run < 2 && ok; ++run) {
        std::vector<float> in = randomData(numel(x), rng);
        for (int64_t r = 0; r < rows; ++r) {
          float scale = std::pow(10.0f, float(int((r + run) % 7) - 3));
          for (int64_t k = 0; k < f; ++k)
            in[size_t(r * f + k)] *= scale;
        }
        auto got = probe.run({in});
        std::vector<float> want(in.size());
        eval::rmsNorm(in.data(), w.data(), want.data(), rows, f, epsF);
        ok = got && close(*got, want, 1e-5f);
      }
      if (!ok)
        continue;
      OpBuilder b(y.getContext());
      b.setInsertionPointAfterValue(y);
      auto wt = RankedTensorType::get({f}, b.getF32Type());
      Value wc = ConstantOp::create(b, y.getLoc(), wt, DenseElementsAttr::get(wt, ArrayRef(w)));
      Value norm = RmsNormOp::create(b, y.getLoc(), x, wc, b.getF32FloatAttr(epsF));
      y.replaceAllUsesWith(norm);
      ++norms;
      return true;
    }
    return false;
  }

  //===--------------------------------------------------------------------===//
  // Rotary embedding
  //===--------------------------------------------------------------------===//

  struct RotarySpec {
    std::vector<float> invFreq;
    bool interleaved = false;
  };

  /// The rotation a probe region applies to heads of `l.d` dims, read off
  /// one-hot inputs at positions 1 and S-1, or nullopt.
  std::optional<RotarySpec> readRotary(Probe &probe, const Layout &in, const Layout &out,
                                       ArrayRef<std::vector<float>> consts) {
    int64_t s = in.s, hw = in.h * in.d, d = in.d;
    // v[row][k]: dim k of head 0 at `row` when dim d0 of every head is 1.
    auto oneHot = [&](int64_t d0) -> std::optional<std::vector<float>> {
      std::vector<float> x(size_t(s * hw), 0.0f);
      for (int64_t r = 0; r < s; ++r)
        for (int64_t h = 0; h < in.h; ++h)
          x[size_t(r * hw + h * d + d0)] = 1.0f;
      auto y = probe.run({fromRows(x, in)});
      if (!y)
        return std::nullopt;
      return toRows(*y, out);
    };
    std::vector<int64_t> partner(size_t(d), -2);
    std::vector<double> theta1(size_t(d), 0.0), thetaN(size_t(d), 0.0);
    for (int64_t d0 = 0; d0 < d; ++d0) {
      if (partner[size_t(d0)] != -2)
        continue;
      auto y = oneHot(d0);
      if (!y)
        return std::nullopt;
      auto row = [&](int64_t r) { return ArrayRef<float>(*y).slice(size_t(r * hw), size_t(d)); };
      // Position 0 is the identity.
      for (int64_t k = 0; k < d; ++k)
        if (std::fabs(row(0)[size_t(k)] - (k == d0 ? 1.0f : 0.0f)) > 1e-5f)
          return std::nullopt;
      int64_t p = -1;
      for (int64_t k = 0; k < d; ++k)
        if (k != d0 && std::fabs(row(1)[size_t(k)]) > 1e-6f) {
          if (p >= 0)
            return std::nullopt;
          p = k;
        }
      if (p < 0) {
        partner[size_t(d0)] = -1;
        continue;
      }
      if (p < d0 || partner[size_t(p)] != -2)
        return std::nullopt;
      partner[size_t(d0)] = p;
      partner[size_t(p)] = d0;
      theta1[size_t(d0)] = std::atan2(double(row(1)[size_t(p)]), double(row(1)[size_t(d0)]));
      thetaN[size_t(d0)] =
          std::atan2(double(row(s - 1)[size_t(p)]), double(row(s - 1)[size_t(d0)]));
    }
    // The pairs: (i, i + R/2) for i < R/2, or (2i, 2i + 1) for 2i < R;
    // dims from R on pass through.
    int64_t rot = 0;
    while (rot < d && partner[size_t(rot)] >= 0)
      ++rot;
    for (int64_t k = rot; k < d; ++k)
      if (partner[size_t(k)] != -1)
        return std::nullopt;
    if (rot == 0 || rot % 2 != 0)
      return std::nullopt;
    RotarySpec spec;
    int64_t half = rot / 2;
    spec.interleaved = partner[0] == 1 && half > 1;
    for (int64_t i = 0; i < half; ++i) {
      int64_t a = spec.interleaved ? 2 * i : i, bIdx = spec.interleaved ? 2 * i + 1 : i + half;
      if (partner[size_t(a)] != bIdx)
        return std::nullopt;
      // Refined at the last position: (S-1) * f = thetaN + 2 pi k.
      double f = theta1[size_t(a)];
      if (s > 2) {
        double n = double(s - 1);
        double k = std::round((n * f - thetaN[size_t(a)]) / (2.0 * M_PI));
        f = (thetaN[size_t(a)] + 2.0 * M_PI * k) / n;
      }
      spec.invFreq.push_back(float(f));
    }
    // The model's own inv_freq where a constant it reads holds it.
    for (const std::vector<float> &k : consts)
      if (k.size() == spec.invFreq.size() && close(k, spec.invFreq, 1e-4f))
        spec.invFreq = k;
    return spec;
  }

  bool recognizeRotary(Value root) {
    Shape rs = squeezed(dims(root));
    if (rs.size() != 2 || !isF32(root) || rs[0] < 2 || numel(root) > (int64_t(1) << 22))
      return false;
    int64_t s = rs[0], f = rs[1];
    llvm::SetVector<Operation *> region = forwardRegion(root, isMovementOrArith, constant, 200);
    if (region.empty())
      return false;
    SmallVector<Value> sinks;
    for (Operation *op : region)
      for (Value r : op->getResults())
        if (numel(r) == s * f && isF32(r))
          sinks.push_back(r);
    // The earliest value that holds the rotated heads: every use of it
    // (the attention, a present.N.key output) reads the one rotary; the
    // head repeats after it stay data movement of it.
    for (Value y : sinks) {
      SmallVector<Operation *> cone = coneIn(y, region);
      // A rotation needs arithmetic with the tables.
      if (!llvm::any_of(cone, [](Operation *op) { return isa<MulOp>(op); }))
        continue;
      // The head dim: y's last dim (y holds [S, H, D] or [H, S, D]; H may be 1).
      int64_t d = dims(y).back();
      if (d < 2 || d % 2 != 0 || f % d != 0 || squeezed(dims(y)).size() < 2)
        continue;
      Layout in{s, f / d, d, false};
      SmallVector<Layout> outs = layoutsOf(y, s, d);
      if (outs.empty())
        continue;
      Probe probe({root}, cone, y);
      SmallVector<std::vector<float>> consts = constantsOf(cone);
      for (const Layout &out : outs) {
        std::optional<RotarySpec> spec = readRotary(probe, in, out, consts);
        if (!spec)
          continue;
        std::vector<int64_t> pos(static_cast<size_t>(s));
        std::iota(pos.begin(), pos.end(), 0);
        bool ok = true;
        for (int run = 0; run < 2 && ok; ++run) {
          std::vector<float> x = randomData(s * f, rng);
          auto got = probe.run({x});
          std::vector<float> want(x.size());
          eval::rotary(x.data(), want.data(), pos.data(), s, f / d, d, spec->invFreq,
                       spec->interleaved);
          ok = got && close(toRows(*got, out), want, 1e-5f);
        }
        if (!ok)
          continue;
        OpBuilder b(y.getContext());
        b.setInsertionPointAfterValue(y);
        Location loc = y.getLoc();
        Value x2 = emitToRows(b, loc, root, in);
        Value r = RotaryOp::create(b, loc, x2, positionsFor(s), b.getI64IntegerAttr(d),
                                   b.getDenseF32ArrayAttr(spec->invFreq),
                                   b.getBoolAttr(spec->interleaved));
        y.replaceAllUsesWith(emitFromRows(b, loc, r, out, y.getType()));
        ++rotaries;
        return true;
      }
    }
    return false;
  }

  //===--------------------------------------------------------------------===//
  // Attention
  //===--------------------------------------------------------------------===//

  /// The region ops of an attention: data movement and arithmetic, the
  /// softmax and the matmuls of two computed operands.
  bool isAttentionPart(Operation *op) {
    if (isMovementOrArith(op) || isa<SoftmaxOp, WhereOp, CastOp>(op))
      return !op->getAttr("activation");
    if (auto mm = dyn_cast<MatMulOp>(op))
      return !mm.getActivation() && !isConstantComputed(mm.getA(), constant, kConstantDepth) &&
             !isConstantComputed(mm.getB(), constant, kConstantDepth);
    return false;
  }

  /// Backward from `v` through the ops of `cone`: the leaves it reads.
  llvm::SetVector<Value> leavesOf(Value v, const llvm::DenseSet<Operation *> &cone) {
    llvm::SetVector<Value> leaves;
    llvm::DenseSet<Value> seen;
    SmallVector<Value> work = {v};
    while (!work.empty()) {
      Value x = work.pop_back_val();
      if (!seen.insert(x).second || isConstantComputed(x, constant, kConstantDepth))
        continue;
      Operation *def = x.getDefiningOp();
      if (def && cone.contains(def))
        work.append(def->operand_begin(), def->operand_end());
      else
        leaves.insert(x);
    }
    return leaves;
  }

  bool recognizeAttention(SoftmaxOp sm) {
    int64_t rank = int64_t(dims(sm.getInput()).size());
    if (int64_t(sm.getAxis()) != rank - 1 || !isF32(sm.getInput()))
      return false;
    // The matmul of the probabilities with v: through data movement
    // (dropout's identity, casts) from the softmax.
    auto inside = [&](Operation *op) { return isAttentionPart(op) && !isa<MatMulOp>(op); };
    llvm::SetVector<Operation *> probs = forwardRegion(sm.getOutput(), inside, constant, 24);
    MatMulOp pv;
    for (Operation *user : sm.getOutput().getUsers())
      if (auto mm = dyn_cast<MatMulOp>(user); mm && mm.getA() == sm.getOutput())
        pv = mm;
    for (Operation *op : probs)
      for (Operation *user : op->getResult(0).getUsers())
        if (auto mm = dyn_cast<MatMulOp>(user); !pv && mm && mm.getA() == op->getResult(0))
          pv = mm;
    if (!pv || !isAttentionPart(pv))
      return false;
    // Backward from softmax: the q k^T matmul.
    MatMulOp qk;
    {
      SmallVector<Value> work = {sm.getInput()};
      llvm::DenseSet<Value> seen;
      while (!work.empty() && !qk) {
        Value v = work.pop_back_val();
        if (!seen.insert(v).second || isConstantComputed(v, constant, kConstantDepth))
          continue;
        Operation *def = v.getDefiningOp();
        if (!def || !isAttentionPart(def) || seen.size() > 32)
          continue;
        if (auto mm = dyn_cast<MatMulOp>(def))
          qk = mm;
        else
          work.append(def->operand_begin(), def->operand_end());
      }
    }
    if (!qk)
      return false;
    Shape scores = dims(qk.getOutput());
    Shape qs = dims(qk.getA());
    if (scores.size() < 2 || qs.empty())
      return false;
    int64_t sq = scores[scores.size() - 2], sk = scores.back(), d = qs.back();
    // Sinks: pv and the data movement after it (the head merge), latest
    // first.
    SmallVector<Value> sinks = {pv.getOutput()};
    for (Operation *op : forwardRegion(pv.getOutput(), isMovementOrArith, constant, 24))
      sinks.push_back(op->getResult(0));
    for (Value y : llvm::reverse(sinks)) {
      // The whole region: backward from y through attention parts.
      llvm::SetVector<Operation *> cone;
      SmallVector<Value> work = {y};
      while (!work.empty()) {
        Value v = work.pop_back_val();
        Operation *def = v.getDefiningOp();
        if (!def || isConstantComputed(v, constant, kConstantDepth) || !isAttentionPart(def) ||
            cone.size() > 200)
          continue;
        // The projections (matmuls with a constant operand) and anything
        // else end the region: only the two activation matmuls are in it.
        if (isa<MatMulOp>(def) && def != qk.getOperation() && def != pv.getOperation())
          continue;
        if (cone.insert(def))
          work.append(def->operand_begin(), def->operand_end());
      }
      llvm::DenseSet<Operation *> coneSet(cone.begin(), cone.end());
      if (!coneSet.contains(sm) || !coneSet.contains(qk) || !coneSet.contains(pv))
        continue;
      auto lq = leavesOf(qk.getA(), coneSet), lk = leavesOf(qk.getB(), coneSet),
           lv = leavesOf(pv.getB(), coneSet), all = leavesOf(y, coneSet);
      if (lq.size() != 1 || lk.size() != 1 || lv.size() != 1 || all.size() != 3)
        continue;
      Value q = lq[0], k = lk[0], v = lv[0];
      if (q == k || q == v || k == v || !isF32(q) || !isF32(k) || !isF32(v) || !isF32(y))
        continue;
      if (numel(q) % (sq * d) || numel(k) % (sk * d) || numel(k) != numel(v) ||
          numel(y) != numel(q) || numel(q) > (int64_t(1) << 22))
        continue;
      SmallVector<Operation *> ordered(cone.begin(), cone.end());
      llvm::sort(ordered, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
      Probe probe({q, k, v}, ordered, y);
      SmallVector<std::vector<float>> consts = constantsOf(ordered);
      int64_t heads = numel(q) / (sq * d), kvHeads = numel(k) / (sk * d);
      if (kvHeads < 1 || heads % kvHeads != 0)
        continue;
      for (const Layout &ql : layoutsOf(q, sq, d))
        for (const Layout &kl : layoutsOf(k, sk, d))
          for (const Layout &vl : layoutsOf(v, sk, d))
            for (const Layout &yl : layoutsOf(y, sq, d))
              if (raiseAttention(probe, consts, q, k, v, y, ql, kl, vl, yl))
                return true;
    }
    return false;
  }

  bool raiseAttention(Probe &probe, ArrayRef<std::vector<float>> consts, Value q, Value k, Value v,
                      Value y, const Layout &ql, const Layout &kl, const Layout &vl,
                      const Layout &yl) {
    int64_t sq = ql.s, sk = kl.s, d = ql.d, heads = ql.h, kvHeads = kl.h;
    if (yl.h != heads || vl.h != kvHeads || sq < 2)
      return false;
    int64_t qw = heads * d, kw = kvHeads * d;
    // Scale: row 1, head 0 scores 0 for key 0 and `scale` for key 1 (all
    // other keys 0 too); v is 1 at key 1, so the output is key 1's
    // probability p = e^s / (n - 1 + e^s) for n keys seen.
    std::vector<float> q0(size_t(sq * qw), 0.0f), k0(size_t(sk * kw), 0.0f),
        v0(size_t(sk * kw), 0.0f);
    q0[size_t(1 * qw + 0)] = 1.0f;
    k0[size_t(1 * kw + 0)] = 1.0f;
    v0[size_t(1 * kw + 0)] = 1.0f;
    auto o = probe.run({fromRows(q0, ql), fromRows(k0, kl), fromRows(v0, vl)});
    if (!o)
      return false;
    float p = toRows(*o, yl)[size_t(1 * qw + 0)];
    std::vector<float> pos;
    for (bool causal : {true, false}) {
      int64_t n = causal ? 2 + (sk - sq) : sk;
      if (!(p > 0.0f && p < 1.0f) || n < 2)
        continue;
      double e = double(p) * double(n - 1) / (1.0 - double(p));
      float scale = float(std::log(e));
      float nominal = float(1.0 / std::sqrt(double(d)));
      if (std::fabs(scale - nominal) <= 1e-3f * nominal)
        scale = nominal;
      for (const std::vector<float> &c : consts)
        if (c.size() == 1 && c[0] != 0.0f) {
          for (float cand : {c[0], 1.0f / c[0]})
            if (std::fabs(scale - cand) <= 1e-4f * std::fabs(cand) && cand != nominal)
              scale = cand;
        }
      bool ok = true;
      for (int run = 0; run < 2 && ok; ++run) {
        std::vector<float> qr = randomData(sq * qw, rng), kr = randomData(sk * kw, rng),
                           vr = randomData(sk * kw, rng);
        auto got = probe.run({fromRows(qr, ql), fromRows(kr, kl), fromRows(vr, vl)});
        std::vector<float> want(static_cast<size_t>(sq * qw));
        eval::attention(qr.data(), kr.data(), vr.data(), want.data(), sq, sk, heads, kvHeads, d,
                        scale, causal);
        ok = got && close(toRows(*got, yl), want, 1e-4f);
      }
      if (!ok)
        continue;
      OpBuilder b(y.getContext());
      b.setInsertionPointAfterValue(y);
      Location loc = y.getLoc();
      Value q2 = emitToRows(b, loc, q, ql), k2 = emitToRows(b, loc, k, kl),
            v2 = emitToRows(b, loc, v, vl);
      Value a = AttentionOp::create(
          b, loc, q2, k2, v2, b.getI64IntegerAttr(heads), b.getI64IntegerAttr(kvHeads),
          b.getI64IntegerAttr(d), b.getF32FloatAttr(scale), causal ? b.getUnitAttr() : UnitAttr());
      y.replaceAllUsesWith(emitFromRows(b, loc, a, yl, y.getType()));
      ++attentions;
      return true;
    }
    return false;
  }

  void run() {
    Block &body = func.getBody().front();
    SmallVector<Operation *> reduces;
    for (Operation &op : body)
      if (isLastDimReduce(&op))
        reduces.push_back(&op);
    for (Operation *r : reduces)
      recognizeNorm(r);
    // Rotary roots: arguments and values a non-movement op (a projection)
    // produced.
    SmallVector<Value> roots(body.getArguments().begin(), body.getArguments().end());
    for (Operation &op : body)
      if (!isMovementOrArith(&op) && !isa<ConstantOp>(op) && op.getNumResults() == 1)
        roots.push_back(op.getResult(0));
    for (Value root : roots)
      if (!root.use_empty())
        recognizeRotary(root);
    SmallVector<SoftmaxOp> softmaxes;
    for (Operation &op : body)
      if (auto sm = dyn_cast<SoftmaxOp>(op))
        softmaxes.push_back(sm);
    for (SoftmaxOp sm : softmaxes)
      recognizeAttention(sm);
  }
};

struct RecognizeDecoderPatternsPass
    : pare::impl::RecognizeDecoderPatternsPassBase<RecognizeDecoderPatternsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.getBody().empty() || !func.getBody().hasOneBlock())
      return;
    Recognizer r(func);
    r.run();
  }
};

} // namespace
