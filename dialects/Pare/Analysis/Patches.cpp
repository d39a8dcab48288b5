//===- Patches.cpp - patch-based inference: stages, regions, halos --------===//
#include "dialects/Pare/Analysis/Patches.h"

#include "dialects/Pare/Analysis/Cost.h"
#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/QuantUtils.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>

using namespace mlir;

namespace pare::planning {

Interval inputInterval(const Window &w, Interval out) {
  if (out.size() <= 0)
    return {0, 0};
  int64_t first = out.begin * w.stride - w.padBegin;
  int64_t last = (out.end - 1) * w.stride - w.padBegin + (w.kernel - 1) * w.dilation;
  return {std::max<int64_t>(0, first), std::min<int64_t>(w.inSize, last + 1)};
}

std::vector<Interval> splitEvenly(int64_t size, int64_t n) {
  std::vector<Interval> parts;
  for (int64_t i = 0; i < n; ++i)
    parts.push_back({i * size / n, (i + 1) * size / n});
  return parts;
}

Interval hull(Interval a, Interval b) {
  if (a.size() <= 0)
    return b;
  if (b.size() <= 0)
    return a;
  return {std::min(a.begin, b.begin), std::max(a.end, b.end)};
}

static ArrayRef<int64_t> dims(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

bool isTileAlias(Operation *op) {
  if (isa<pare::StorageCastOp, pare::IdentityOp>(op))
    return true;
  // [N, 1, H, W] <-> [N, H, W, 1]: the same bytes in NCHW and NHWC.
  if (isa<pare::ReshapeOp>(op)) {
    auto a = dims(op->getOperand(0)), b = dims(op->getResult(0));
    return a.size() == 4 && b.size() == 4 && a[0] == b[0] &&
           ((a[1] == 1 && b[3] == 1 && a[2] == b[1] && a[3] == b[2]) ||
            (a[3] == 1 && b[1] == 1 && a[1] == b[2] && a[2] == b[3]));
  }
  return false;
}

static bool sameShapes(Operation *op) {
  for (Value v : op->getOperands())
    if (dims(v) != dims(op->getResult(0)))
      return false;
  return true;
}

bool isPatchable(Operation *op) {
  if (op->getNumResults() != 1 || dims(op->getResult(0)).size() != 4)
    return false;
  if (attrs::hasShiftFrames(op)) // reads whole frames through a temporal shift
    return false;
  if (isTileAlias(op))
    return true;
  if (auto c = dyn_cast<pare::QConvOp>(op))
    return c.getChannelsLast() && usesFastInt8Kernel(op) &&
           (c.getGroup() == 1 || c.isDepthwise());
  if (auto c = dyn_cast<pare::ConvOp>(op))
    return c.getChannelsLast();
  if (isa<pare::MaxPoolOp, pare::AveragePoolOp>(op)) {
    if (!op->hasAttr("channels_last"))
      return false;
    // int8 average pools with ONNX rounding read their quantization from
    // attributes the tile emitter does not carry over.
    return !(isa<pare::AveragePoolOp>(op) && attrs::hasOutScale(op));
  }
  if (isa<pare::QAddOp>(op))
    // Under ONNX rounding a tile row (ow x C elements) must not be a single
    // element: pare_add_s8_onnx takes one for onnxruntime's scalar case,
    // whose rounding differs from the whole tensor's (C > 1 rules it out).
    return sameShapes(op) && !usesGenericInt8Kernel(op) &&
           (!attrs::usesOnnxRounding(op) || dims(op->getResult(0))[3] > 1);
  if (isa<pare::AddOp, pare::ReluOp, pare::LookupTableOp>(op))
    return sameShapes(op);
  if (auto q = dyn_cast<pare::QuantizeOp>(op))
    return qtype::params(q.getOutput().getType()) &&
           qtype::params(q.getOutput().getType())->perTensor();
  if (auto t = dyn_cast<pare::TransposeOp>(op))
    return t.getPerm() == ArrayRef<int64_t>{0, 2, 3, 1};
  return false;
}

/// Sliding windows (rows, cols) of a conv or pool.
static std::optional<std::array<Window, 2>> windowsOf(Operation *op) {
  auto in = dims(op->getOperand(0));
  ArrayRef<int64_t> k, s, d, p;
  int64_t kernel[2];
  if (isa<pare::QConvOp, pare::ConvOp>(op)) {
    auto w = dims(op->getOperand(1)); // OHWI (channels-last convolutions)
    kernel[0] = w[1];
    kernel[1] = w[2];
    k = kernel;
    s = cast<DenseI64ArrayAttr>(op->getAttr("strides")).asArrayRef();
    d = cast<DenseI64ArrayAttr>(op->getAttr("dilations")).asArrayRef();
    p = cast<DenseI64ArrayAttr>(op->getAttr("pads")).asArrayRef();
  } else if (auto m = dyn_cast<pare::MaxPoolOp>(op)) {
    k = m.getKernelShape(), s = m.getStrides(), d = m.getDilations(), p = m.getPads();
  } else if (auto a = dyn_cast<pare::AveragePoolOp>(op)) {
    k = a.getKernelShape(), s = a.getStrides(), d = a.getDilations(), p = a.getPads();
  } else {
    return std::nullopt;
  }
  return std::array<Window, 2>{Window{k[0], s[0], d[0], p[0], in[1]},
                               Window{k[1], s[1], d[1], p[1], in[2]}};
}

std::vector<Operation *> splitCandidates(func::FuncOp func) {
  std::vector<Operation *> out;
  llvm::DenseSet<Operation *> prefix;
  Operation *ret = func.getBody().front().getTerminator();
  for (Operation &op : func.getBody().front()) {
    if (&op == ret)
      break;
    if (isWeight(&op))
      continue;
    if (!isPatchable(&op))
      break;
    prefix.insert(&op);
    if (isTileAlias(&op) || isa<pare::QuantizeOp, pare::TransposeOp>(op))
      continue; // the stage ends at a layer that computes its output
    // Only this op's result may be used after it.
    bool closed = true;
    for (Operation *p : prefix) {
      for (Operation *user : p->getResult(0).getUsers())
        if (!prefix.contains(user) && p != &op)
          closed = false;
    }
    if (closed)
      out.push_back(&op);
  }
  return out;
}

std::optional<PatchStage> buildPatchStage(func::FuncOp func, Operation *split, int64_t grid,
                                          std::string *why) {
  auto fail = [&](const std::string &m) -> std::optional<PatchStage> {
    if (why)
      *why = m;
    return std::nullopt;
  };
  PatchStage st;
  st.grid = grid;
  for (Operation &op : func.getBody().front()) {
    if (!op.getNumResults() || isWeight(&op))
      continue;
    if (!isPatchable(&op))
      return fail("op '" + op.getName().getStringRef().str() +
                  "' before the split cannot run on "
                  "patches");
    st.ops.push_back(&op);
    if (&op == split)
      break;
  }
  if (st.ops.empty() || st.ops.back() != split || isTileAlias(split))
    return fail("the split op is not in the function's patchable prefix");
  for (Operation &op : func.getBody().front())
    st.modelMacs += cost::macs(&op);
  auto os = dims(split->getResult(0));
  if (grid < 1 || os[1] < grid || os[2] < grid)
    return fail("the split output is smaller than the grid");

  size_t n = st.ops.size();
  llvm::DenseMap<Operation *, size_t> index;
  for (size_t i = 0; i < n; ++i)
    index[st.ops[i]] = i;
  // Spatial axes of each result, from the split backwards: NHWC unless
  // read through an NCHW -> NHWC transpose or layout reshape.
  st.axes.assign(n, {1, 2});
  for (size_t i = n; i-- > 0;) {
    Operation *op = st.ops[i];
    std::optional<std::array<int, 2>> a;
    for (Operation *user : op->getResult(0).getUsers()) {
      auto it = index.find(user);
      if (it == index.end())
        continue;
      std::array<int, 2> need = {1, 2};
      if (isa<pare::TransposeOp>(user))
        need = {2, 3};
      else if (isTileAlias(user) && isa<pare::ReshapeOp>(user))
        need =
            dims(user->getOperand(0))[1] == 1 ? std::array<int, 2>{2, 3} : std::array<int, 2>{1, 2};
      else if (!windowsOf(user))
        need = st.axes[it->second]; // elementwise: the consumer's layout
      if (a && *a != need)
        return fail("a tensor is read in two layouts in the stage");
      a = need;
    }
    if (a)
      st.axes[i] = *a;
  }

  auto rowsCols = splitEvenly(os[1], grid), colsCols = splitEvenly(os[2], grid);
  st.out.assign(size_t(grid * grid), std::vector<Region>(n));
  st.in.assign(size_t(grid * grid), std::vector<Region>(n));
  for (int64_t py = 0; py < grid; ++py)
    for (int64_t px = 0; px < grid; ++px) {
      auto &out = st.out[size_t(py * grid + px)];
      auto &in = st.in[size_t(py * grid + px)];
      out[n - 1] = {rowsCols[size_t(py)], colsCols[size_t(px)]};
      // Backwards: each op's region is the hull of its consumers' needs.
      std::vector<Region> need(n);
      need[n - 1] = out[n - 1];
      for (size_t i = n; i-- > 0;) {
        Operation *op = st.ops[i];
        out[i] = need[i];
        if (out[i].area() <= 0)
          return fail("a stage layer is not needed by some patch");
        Region r = out[i];
        if (auto w = windowsOf(op))
          r = {inputInterval((*w)[0], out[i].rows), inputInterval((*w)[1], out[i].cols)};
        in[i] = r;
        for (Value v : op->getOperands()) {
          Operation *def = v.getDefiningOp();
          auto it = def ? index.find(def) : index.end();
          if (it == index.end())
            continue;
          Region &d = need[it->second];
          d = {hull(d.rows, r.rows), hull(d.cols, r.cols)};
        }
      }
      // Windows, transposes and aliases read their producer's tile as a
      // whole: its region must be exactly what they need.
      for (size_t i = 0; i < n; ++i) {
        Operation *op = st.ops[i];
        if (!windowsOf(op) && !isa<pare::TransposeOp>(op) && !isTileAlias(op))
          continue;
        Operation *def = op->getOperand(0).getDefiningOp();
        auto it = def ? index.find(def) : index.end();
        if (it != index.end() && out[it->second] != in[i])
          return fail("'" + op->getName().getStringRef().str() +
                      "' reads part of a tile that another layer needs larger");
      }
    }

  st.tileBytes.assign(n, 0);
  st.tileInBytes.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    Operation *op = st.ops[i];
    Value r = op->getResult(0);
    auto rd = dims(r), id = dims(op->getOperand(0));
    // Bytes per spatial position (operand 0 of a window op is NHWC).
    int64_t perPixel =
        byteSize(r.getType()) / (rd[size_t(st.axes[i][0])] * rd[size_t(st.axes[i][1])]);
    int64_t inPerPixel = byteSize(op->getOperand(0).getType()) / (id[1] * id[2]);
    for (int64_t p = 0; p < grid * grid; ++p) {
      st.tileBytes[i] = std::max(st.tileBytes[i], st.out[size_t(p)][i].area() * perPixel);
      st.tileInBytes[i] = std::max(st.tileInBytes[i], st.in[size_t(p)][i].area() * inPerPixel);
    }
    int64_t whole = cost::macs(op);
    st.stageMacs += whole;
    if (whole)
      for (int64_t p = 0; p < grid * grid; ++p)
        st.patchedMacs += whole / (rd[1] * rd[2]) * st.out[size_t(p)][i].area();
  }
  return st;
}

PatchChoice choosePatchStage(func::FuncOp func, const PlanOptions &plan,
                             const PatchSearch &search) {
  PatchChoice c;
  c.unpatchedArena = planFunction(func, plan).arenaBytes;
  c.patchedArena = c.unpatchedArena;
  PlanOptions quick = plan;
  quick.searchIterations = 0;
  std::optional<PatchStage> best;
  int64_t bestArena = c.unpatchedArena;
  for (Operation *split : splitCandidates(func)) {
    int64_t lo = search.grid > 0 ? search.grid : 2;
    int64_t hi = search.grid > 0 ? search.grid : search.maxGrid;
    for (int64_t g = lo; g <= hi; ++g) {
      auto st = buildPatchStage(func, split, g);
      if (!st || st->extraMacFraction() > search.maxRecompute + 1e-12)
        continue;
      int64_t arena = planFunction(func, quick, &*st).arenaBytes;
      if (arena < bestArena ||
          (best && arena == bestArena && st->patchedMacs < best->patchedMacs)) {
        bestArena = arena;
        best = std::move(st);
      }
    }
  }
  if (!best)
    return c;
  int64_t arena = planFunction(func, plan, &*best).arenaBytes;
  if (arena >= c.unpatchedArena)
    return c;
  c.patchedArena = arena;
  c.stage = std::move(best);
  return c;
}

} // namespace pare::planning
