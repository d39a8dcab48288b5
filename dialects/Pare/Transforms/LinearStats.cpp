//===- LinearStats.cpp - activation statistics of a decoder's linears ------===//

#include "dialects/Pare/Transforms/LinearStats.h"

#include "dialects/Pare/Eval/Evaluator.h"
#include "dialects/Pare/IR/PareAttrs.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"

#include <cmath>
#include <random>

using namespace mlir;

namespace pare {

std::vector<float> LinearStats::meanAbs() const {
  std::vector<float> m(size_t(channels), 0.0f);
  if (tokens > 0)
    for (int64_t c = 0; c < channels; ++c)
      m[c] = float(sumAbs[c] / double(tokens));
  return m;
}

std::vector<MatMulOp> quantizableLinears(func::FuncOp func) {
  std::vector<MatMulOp> out;
  if (func.getBody().empty())
    return out;
  Operation *ret = func.getBody().front().getTerminator();
  for (Operation &op : func.getBody().front()) {
    auto mm = dyn_cast<MatMulOp>(op);
    if (!mm)
      continue;
    auto a = dyn_cast<RankedTensorType>(mm.getA().getType());
    auto b = dyn_cast<RankedTensorType>(mm.getB().getType());
    DenseElementsAttr w;
    if (!a || !b || a.getRank() != 2 || b.getRank() != 2 || !b.getElementType().isF32() ||
        !a.getElementType().isF32() || !matchPattern(mm.getB(), m_Constant(&w)))
      continue;
    if (llvm::is_contained(ret->getOperands(), mm.getResult()))
      continue; // the LM head
    out.push_back(mm);
  }
  return out;
}

namespace {

/// `t` with every dynamic dim set to `rows`.
Type withRows(Type t, int64_t rows) {
  auto r = dyn_cast<RankedTensorType>(t);
  if (!r || r.hasStaticShape())
    return t;
  SmallVector<int64_t> shape(r.getShape());
  for (int64_t &d : shape)
    if (ShapedType::isDynamic(d))
      d = rows;
  return RankedTensorType::get(shape, r.getElementType(), r.getEncoding());
}

} // namespace

FailureOr<LinearStatsMap> collectLinearStats(func::FuncOp step,
                                             const std::vector<std::vector<int64_t>> &windows,
                                             const StatsOptions &options) {
  if (windows.empty() || windows.front().empty())
    return step.emitError("calibration: no token windows");
  int64_t rows = int64_t(windows.front().size());
  for (const auto &w : windows)
    if (int64_t(w.size()) != rows)
      return step.emitError("calibration: the token windows differ in length");
  if (step.getNumArguments() != 2)
    return step.emitError("calibration: a decoder step function takes ids and positions");

  // The scratch copy: L static rows, plain causal attention (a prefill from
  // an empty cache), the LM head dropped (no statistics need the logits).
  OpBuilder b(step.getContext());
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(step.getLoc());
  b.setInsertionPointToEnd(scratch->getBody());
  auto copy = cast<func::FuncOp>(b.clone(*step));
  Block &body = copy.getBody().front();
  DenseMap<Operation *, Operation *> toCopy;
  for (auto [orig, cloned] : llvm::zip(step.getBody().front(), body))
    toCopy[&orig] = &cloned;
  for (BlockArgument arg : body.getArguments())
    arg.setType(withRows(arg.getType(), rows));
  Operation *ret = body.getTerminator();
  for (Operation &op : body) {
    for (Value r : op.getResults())
      r.setType(withRows(r.getType(), rows));
    if (isa<AttentionOp>(op))
      op.removeAttr("pare.kv_layer");
  }
  std::vector<MatMulOp> linears = quantizableLinears(step);
  if (ret->getNumOperands() == 1)
    if (auto head = ret->getOperand(0).getDefiningOp<MatMulOp>(); head && head->hasOneUse()) {
      ret->setOperand(0, head.getA());
      head->erase();
    }
  copy.setFunctionType(b.getFunctionType(body.getArgumentTypes(), ret->getOperandTypes()));

  // The windows kept whole: every stride-th, as many as hold windowRows rows.
  int64_t keep = options.keepWindows
                     ? std::min<int64_t>(int64_t(windows.size()),
                                         std::max<int64_t>(1, (options.windowRows + rows - 1) / rows))
                     : 0;
  int64_t stride = keep ? int64_t(windows.size()) / keep : 1;

  // One store per distinct input value; the linears that share it share it.
  DenseMap<Value, std::shared_ptr<LinearStats>> byInput;
  LinearStatsMap result;
  for (MatMulOp mm : linears) {
    Value in = cast<MatMulOp>(toCopy[mm]).getA();
    auto &s = byInput[in];
    if (!s) {
      s = std::make_shared<LinearStats>();
      s->channels = cast<RankedTensorType>(in.getType()).getDimSize(1);
      s->sumAbs.assign(size_t(s->channels), 0.0);
      s->maxAbs.assign(size_t(s->channels), 0.0f);
      s->sampleRows = std::min<int64_t>(options.sampleRows, rows * int64_t(windows.size()));
      s->sample.assign(size_t(s->sampleRows * s->channels), 0.0f);
      s->keptWindows = keep;
      s->windowLength = rows;
      s->windows.assign(size_t(keep * rows * s->channels), 0.0f);
      s->wideRows = std::min<int64_t>(options.wideRows, rows * int64_t(windows.size()));
      s->wideSample.assign(size_t(s->wideRows * s->channels), 0.0f);
    }
    result[mm] = s;
  }

  // Reservoir sampling over all calibration tokens, decided once for every
  // input so that each input's sample holds the same tokens.
  // The wide sample draws its own reservoir (another seed), which leaves
  // the sample as it is without one.
  using Picks = std::vector<std::vector<std::pair<int64_t, int64_t>>>; // (row, slot) by window
  auto drawReservoir = [&](int64_t size, uint64_t seed) {
    std::mt19937_64 rng(seed);
    int64_t reservoir = std::min<int64_t>(size, rows * int64_t(windows.size()));
    int64_t seen = 0;
    Picks picks(windows.size());
    for (size_t w = 0; w < windows.size(); ++w)
      for (int64_t r = 0; r < rows; ++r, ++seen) {
        if (seen < reservoir) {
          picks[w].push_back({r, seen});
          continue;
        }
        int64_t j = int64_t(rng() % uint64_t(seen + 1));
        if (j < reservoir)
          picks[w].push_back({r, j});
      }
    return picks;
  };
  Picks picks = drawReservoir(options.sampleRows, options.seed);
  Picks widePicks = drawReservoir(options.wideRows, options.seed + 1);

  eval::Evaluator evaluator(copy);
  std::vector<int64_t> positions(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r)
    positions[r] = r;
  for (size_t w = 0; w < windows.size(); ++w) {
    auto observe = [&](Value v, const eval::Tensor &t) {
      auto it = byInput.find(v);
      if (it == byInput.end())
        return;
      LinearStats &s = *it->second;
      int64_t ch = s.channels;
      for (int64_t r = 0; r < rows; ++r) {
        const float *x = t.f.data() + r * ch;
        for (int64_t c = 0; c < ch; ++c) {
          float a = std::fabs(x[c]);
          s.sumAbs[c] += a;
          s.maxAbs[c] = std::max(s.maxAbs[c], a);
        }
      }
      s.tokens += rows;
      for (auto [r, slot] : picks[w])
        std::copy(t.f.begin() + r * ch, t.f.begin() + (r + 1) * ch, s.sample.begin() + slot * ch);
      for (auto [r, slot] : widePicks[w])
        std::copy(t.f.begin() + r * ch, t.f.begin() + (r + 1) * ch,
                  s.wideSample.begin() + slot * ch);
      if (int64_t(w) % stride == 0 && int64_t(w) / stride < keep)
        std::copy(t.f.begin(), t.f.begin() + rows * ch,
                  s.windows.begin() + (int64_t(w) / stride) * rows * ch);
    };
    eval::Tensor ids = eval::Tensor::ints({rows}, windows[w]);
    eval::Tensor pos = eval::Tensor::ints({rows}, positions);
    if (failed(evaluator.run({ids, pos}, observe)))
      return failure();
    if (options.progress)
      options.progress(w + 1, windows.size());
  }
  return result;
}

} // namespace pare
