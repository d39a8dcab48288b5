//===- Profile.cpp - pare profile: MACs, memory, patches, latency ---------===//
//
// What a model costs on a microcontroller without compiling it: per layer
// the MACs, weights, output bytes and live arena bytes (per-layer plan and
// with patch-based inference), for the whole model the flash estimate, the
// peak SRAM under three planners and its lower bound, and a latency
// estimate per Cortex-M target. Meant for architecture search: it runs the
// graph passes and the planners only (no code generation), and int8 without
// --calibration quantizes with ranges from one seeded random input (memory
// figures do not depend on the values).
//
// The latency model: executed instructions per op, as
//   perMac * MACs + perOut * output elements + perIn * input elements + perCall
// with coefficients per op kind and precision (int8 / float), fitted by hand
// to the QEMU instruction counts of docs/benchmarks.md ("int8 on Cortex-M":
// the PaddleOCR per-kind profile, the nine CMSIS-NN layers compiled by pare,
// whole models). QEMU counts instructions, not cycles; the estimate assumes
// one cycle per instruction (no flash wait states, no dual issue) and the
// clock of a typical part of each core (kCores). M33 reuses the M4
// coefficients and M55 the M7 ones (pare's kernels use the DSP extension, not
// Helium): they are extrapolations, not fits.
//
//===----------------------------------------------------------------------===//

#include "compiler/Budget.h"
#include "compiler/Calibration.h"
#include "compiler/Driver.h"
#include "compiler/DriverCommon.h"
#include "dialects/Pare/Analysis/Cost.h"
#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/Analysis/Patches.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/Transforms/Pipelines.h"

#include "codegen/EmitterSupport.h"
#include "dialects/Pare/IR/PareOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace mlir;

namespace pare::driver {
namespace {

//===----------------------------------------------------------------------===//
// Cores and the latency model
//===----------------------------------------------------------------------===//

/// A Cortex-M core of the latency estimate.
struct Core {
  const char *name;
  double mhz;
  const char *part;
  bool m7Coefficients; ///< M7 / M55: the M7 fit; M4 / M33: the M4 fit
};

/// Clocks of a common part per core (the estimate scales with 1 / clock).
const Core kCores[] = {
    {"cortex-m4", 100.0, "STM32F411 (100 MHz)", false},
    {"cortex-m7", 216.0, "STM32F746 (216 MHz)", true},
    {"cortex-m33", 160.0, "STM32U585 (160 MHz)", false},
    {"cortex-m55", 400.0, "Alif Ensemble E7 high-performance core (400 MHz)", true},
};

const Core *findCore(const std::string &name) {
  for (const Core &t : kCores)
    if (name == t.name)
      return &t;
  return nullptr;
}

struct Coef {
  double perMac = 0, perOut = 0, perIn = 0, perCall = 0;
};

/// Instructions of one layer on the M7 (QEMU, -O3 build of examples/cortex-m).
/// The M4 count is this / kM4Scale (int8) or the same (float): the whole int8
/// models run 2.6-8% more instructions on the M4 than on the M7, float
/// models within 1%.
constexpr double kM4ScaleInt8 = 0.95;

Coef coefficients(const std::string &kind, bool int8) {
  // int8: pointwise from L3/L6 (per output ~29) and PaddleOCR's 41 1x1
  // convs (24.1 M instructions); depthwise from PaddleOCR's 3x3 (6.11/MAC)
  // and 5x5 (2.78/MAC), checked on L2/L5; dense conv from L1 and PaddleOCR's
  // stem; fully connected from L7; add from L8; global average pool from L9;
  // lookup, mul, max pool, quantize, transpose from the PaddleOCR profile.
  // float: the PaddleOCR float profile (docs/benchmarks.md).
  if (int8) {
    if (kind == "conv_pointwise")
      return {1.2, 29.0, 0, 200};
    if (kind == "conv_depthwise")
      return {0.91, 46.8, 0, 200};
    if (kind == "conv")
      return {2.5, 10.0, 0, 200};
    if (kind == "fully_connected")
      return {1.85, 10.0, 0, 200};
    if (kind == "add")
      return {0, 40.0, 0, 200};
    if (kind == "mul")
      return {0, 17.8, 0, 200};
    if (kind == "lookup")
      return {0, 6.0, 0, 100};
    if (kind == "global_pool")
      return {0, 20.0, 2.1, 200};
    if (kind == "pool") // perMac: per window element (outputs x kh x kw)
      return {7.4, 0, 0, 200};
    if (kind == "quantize")
      return {0, 39.5, 0, 100};
    if (kind == "dequantize")
      return {0, 20.0, 0, 100};
    if (kind == "transpose")
      return {0, 12.7, 0, 100};
    if (kind == "softmax")
      return {0, 150.0, 0, 200};
    return {0, 12.0, 0, 100};
  }
  if (kind == "conv_pointwise")
    return {3.69, 0, 0, 200};
  if (kind == "conv_depthwise")
    return {0.44, 75.7, 0, 200};
  if (kind == "conv")
    return {4.5, 15.0, 0, 200};
  if (kind == "fully_connected")
    return {2.2, 10.0, 0, 200};
  if (kind == "add")
    return {0, 6.0, 0, 100};
  if (kind == "mul")
    return {0, 6.9, 0, 100};
  if (kind == "global_pool")
    return {0, 20.0, 6.0, 200};
  if (kind == "pool")
    return {4.4, 0, 0, 200};
  if (kind == "transpose")
    return {0, 10.0, 0, 100};
  if (kind == "softmax")
    return {0, 150.0, 0, 200};
  return {0, 12.0, 0, 100};
}

int64_t numel(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() ? t.getNumElements() : 0;
}

/// Cost kind of an op (what the latency model and the code estimate see).
std::string costKind(Operation *op) {
  auto convKind = [&](Value weight, bool depthwise, int64_t group) -> std::string {
    if (depthwise)
      return "conv_depthwise";
    auto w = cast<RankedTensorType>(weight.getType()).getShape();
    // OIHW (w[2], w[3]) or OHWI (w[1], w[2]): 1x1 either way when all are 1
    // except the channel dims.
    bool oneByOne = w.size() == 4 && ((w[2] == 1 && w[3] == 1) || (w[1] == 1 && w[2] == 1));
    return group == 1 && oneByOne ? "conv_pointwise" : "conv";
  };
  if (auto c = dyn_cast<pare::ConvOp>(op))
    return convKind(c.getWeight(), c.isDepthwise(), c.getGroup());
  if (auto c = dyn_cast<pare::QConvOp>(op))
    return convKind(c.getWeight(), c.isDepthwise(), c.getGroup());
  if (isa<pare::GemmOp, pare::MatMulOp, pare::QFullyConnectedOp, pare::QMatMulOp>(op))
    return "fully_connected";
  if (isa<pare::AddOp, pare::SubOp, pare::QAddOp>(op))
    return "add";
  if (isa<pare::MulOp, pare::QMulOp, pare::DivOp>(op))
    return "mul";
  if (isa<pare::LookupTableOp>(op))
    return "lookup";
  if (isa<pare::GlobalAveragePoolOp, pare::GlobalMaxPoolOp, pare::QGlobalAveragePoolOp>(op))
    return "global_pool";
  if (isa<pare::MaxPoolOp, pare::AveragePoolOp>(op))
    return "pool";
  if (isa<pare::QuantizeOp, pare::RequantizeOp>(op))
    return "quantize";
  if (isa<pare::DequantizeOp>(op))
    return "dequantize";
  if (isa<pare::TransposeOp>(op))
    return "transpose";
  if (isa<pare::SoftmaxOp, pare::LogSoftmaxOp>(op))
    return "softmax";
  return "elementwise";
}

bool isInt8Op(Operation *op) {
  if (op->getNumResults() == 0)
    return false;
  Type e = cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
  return !isa<FloatType>(e);
}

/// Estimated instructions of one op on the M7 (see coefficients()).
double instructionsM7(Operation *op, const std::string &kind, int64_t macs) {
  bool int8 = isInt8Op(op) || isa<pare::QuantizeOp>(op);
  Coef c = coefficients(kind, int8);
  int64_t out = 0, in = 0;
  for (Value r : op->getResults())
    out += numel(r);
  if (op->getNumOperands())
    in = numel(op->getOperand(0));
  if (auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape"); k && kind == "pool") {
    macs = out;
    for (int64_t d : k.asArrayRef())
      macs *= d;
  }
  return c.perMac * double(macs) + c.perOut * double(out) + c.perIn * double(in) + c.perCall;
}

double instructionsFor(const Core &t, double m7Instructions, bool int8) {
  if (t.m7Coefficients)
    return m7Instructions;
  return int8 ? m7Instructions / kM4ScaleInt8 : m7Instructions;
}

//===----------------------------------------------------------------------===//
// Formatting
//===----------------------------------------------------------------------===//

std::string kib(int64_t bytes) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024.0);
  return buf;
}

/// SVG text: valid UTF-8, entities, model names cut at about 400 bytes.
std::string escapeXml(const std::string &s) { return codegen::xmlText(s, 400); }

std::string fmt(const char *f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

//===----------------------------------------------------------------------===//
// The profile
//===----------------------------------------------------------------------===//

struct Layer {
  std::string name, op, kind;
  int64_t macs = 0, weightBytes = 0, outBytes = 0;
  int64_t live = 0, livePatched = 0;
  bool inStage = false;
  double instrM7 = 0;
  bool int8 = false;
};

struct Profile {
  std::vector<Layer> layers;
  int64_t totalMacs = 0, weightBytes = 0, codeBytes = 0;
  int64_t specializedLayers = 0, kernelKinds = 0, calls = 0;
  int64_t greedy = 0, pare = 0, bound = 0, patched = 0;
  bool hasStage = false;
  int64_t grid = 0, stageOps = 0;
  std::string split;
  int64_t extraMacs = 0;
  double extraPercent = 0;
  int64_t peakLayer = -1, peakLayerPatched = -1;
};

/// Every float argument gets N(0,1) values from a fixed seed, integer ones 0.
std::vector<eval::Tensor> seededInput(func::FuncOp func) {
  std::mt19937 rng(0);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<eval::Tensor> sample;
  for (BlockArgument a : func.getArguments()) {
    auto t = cast<RankedTensorType>(a.getType());
    std::vector<int64_t> shape(t.getShape().begin(), t.getShape().end());
    int64_t n = t.getNumElements();
    if (isa<FloatType>(t.getElementType())) {
      std::vector<float> d(n);
      for (float &x : d)
        x = normal(rng);
      sample.push_back(eval::Tensor::floats(shape, std::move(d)));
    } else {
      sample.push_back(eval::Tensor::ints(shape, std::vector<int64_t>(n, 0)));
    }
  }
  return sample;
}

/// The graph and quantize phases: pare profile plans memory itself (under
/// each planner).
LogicalResult prepare(ModuleOp module, const ProfileOptions &o) {
  bool arrivesQuantized = false;
  module->walk([&](Operation *op) {
    if (isa<pare::QuantizeOp, pare::DequantizeOp>(op))
      arrivesQuantized = true;
  });
  if (o.quantize != Quantize::Int8 && !arrivesQuantized)
    return runPhases(module, Phase::Quantize);
  PipelineOptions options;
  if (o.quantize != Quantize::Int8) {
    // A model that arrives quantized: its float islands become int8, as
    // `pare compile` makes them for the Cortex-M targets (--int8-islands
    // quantize); values inside them that no quantize covers take their
    // ranges from the calibration below.
    attrs::setInt8Islands(module, "quantize");
  } else {
    // pare's own quantization uses TFLite rounding (as `pare compile`): the
    // int8 kernels and so their scratch depend on it.
    attrs::setInt8Rounding(module, "tflite");
    options.int8 = true;
  }
  if (!o.calibration.empty()) {
    QuantizeConfig q;
    q.calibrationDir = o.calibration;
    q.quiet = true;
    options.calibrate = [q](ModuleOp m) { return calibrate(m, q); };
  } else {
    // Memory figures do not depend on the values: ranges from one seeded
    // input.
    options.calibrate = [](ModuleOp m) -> LogicalResult {
      func::FuncOp main;
      m.walk([&](func::FuncOp f) { main = f; });
      if (!main) {
        printError("the model has no function");
        return failure();
      }
      std::vector<std::vector<eval::Tensor>> samples{seededInput(main)};
      auto ranges = calib::collectRanges(main, samples, calib::Options{});
      if (failed(ranges))
        return failure();
      calib::attachRanges(main, *ranges);
      return success();
    };
  }
  return runPhases(module, Phase::Quantize, options);
}

Profile measure(func::FuncOp func, const ProfileOptions &o) {
  Profile p;
  planning::PlanOptions greedyOpts, pareOpts;
  greedyOpts.planner = planning::Planner::GreedyBySize;
  planning::FunctionPlan greedyPlan = planning::planFunction(func, greedyOpts);
  // pare's planner may reorder ops first (as pare compile does); TFLite
  // Micro's keeps the model's order.
  planning::reorderForMemory(func, pareOpts);
  planning::FunctionPlan parePlan = planning::planFunction(func, pareOpts);
  p.greedy = greedyPlan.arenaBytes;
  p.pare = parePlan.arenaBytes;
  p.bound = parePlan.lowerBound;

  planning::PatchSearch search;
  search.maxRecompute = o.maxRecompute / 100.0;
  search.grid = o.patchGrid;
  planning::PatchChoice choice;
  if (o.patches)
    choice = planning::choosePatchStage(func, pareOpts, search);
  planning::FunctionPlan patchedPlan = parePlan;
  if (choice.stage) {
    patchedPlan = planning::planFunction(func, pareOpts, &*choice.stage);
    const planning::PatchStage &st = *choice.stage;
    p.hasStage = true;
    p.grid = st.grid;
    p.split = codegen::nodeName(st.split());
    p.stageOps = int64_t(st.ops.size());
    p.extraMacs = st.patchedMacs - st.stageMacs;
    p.extraPercent = 100.0 * st.extraMacFraction();
  }
  p.patched = patchedPlan.arenaBytes;

  llvm::DenseMap<Operation *, int64_t> live, livePatched;
  for (auto &[op, b] : parePlan.liveBytes)
    live[op] = b;
  for (auto &[op, b] : patchedPlan.liveBytes)
    livePatched[op] = b;
  llvm::DenseSet<Operation *> stageSet;
  if (choice.stage)
    stageSet.insert(choice.stage->ops.begin(), choice.stage->ops.end());

  llvm::DenseSet<Attribute> seenWeights;
  llvm::StringSet<> kinds;
  for (Operation &op : func.getBody().front()) {
    if (matchPattern(&op, m_Constant()) || op.hasTrait<OpTrait::IsTerminator>() ||
        isa<pare::StorageCastOp, pare::ReshapeOp, pare::IdentityOp>(op))
      continue;
    Layer l;
    l.name = codegen::nodeName(&op);
    l.op = op.getName().stripDialect().str();
    if (auto act = op.getAttrOfType<StringAttr>("activation"))
      if (!act.getValue().empty() && act.getValue() != "none")
        l.op += "+" + act.getValue().str();
    l.kind = costKind(&op);
    l.macs = cost::macs(&op);
    for (Value v : op.getOperands()) {
      Value root = planning::storageRoot(v);
      DenseElementsAttr attr;
      if (matchPattern(root, m_Constant(&attr))) {
        int64_t b = planning::byteSize(root.getType());
        l.weightBytes += b;
        if (seenWeights.insert(attr).second)
          p.weightBytes += b;
      }
    }
    for (Value r : op.getResults())
      l.outBytes += planning::byteSize(r.getType());
    l.live = live.lookup(&op);
    l.livePatched = livePatched.lookup(&op);
    l.inStage = stageSet.contains(&op);
    l.int8 = isInt8Op(&op) || isa<pare::QuantizeOp>(op);
    l.instrM7 = instructionsM7(&op, l.kind, l.macs);
    p.totalMacs += l.macs;
    ++p.calls;
    bool specialized = isa<pare::QConvOp, pare::QFullyConnectedOp, pare::QAddOp, pare::QMulOp>(op);
    if (specialized)
      ++p.specializedLayers;
    else
      kinds.insert(l.kind + (l.int8 ? "_s8" : "_f32"));
    p.layers.push_back(std::move(l));
  }
  p.kernelKinds = int64_t(kinds.size());
  // `pare compile`'s code estimate, with the kernels it links counted by
  // op kind.
  p.codeBytes = codegen::codeBytesEstimate(p.specializedLayers, p.kernelKinds, p.calls);
  for (size_t i = 0; i < p.layers.size(); ++i) {
    if (p.peakLayer < 0 || p.layers[i].live > p.layers[p.peakLayer].live)
      p.peakLayer = int64_t(i);
    if (p.peakLayerPatched < 0 ||
        p.layers[i].livePatched > p.layers[p.peakLayerPatched].livePatched)
      p.peakLayerPatched = int64_t(i);
  }
  return p;
}

double latencyMs(const Profile &p, const Core &t) {
  double instr = 0;
  for (const Layer &l : p.layers)
    instr += instructionsFor(t, l.instrM7, l.int8);
  return instr / (t.mhz * 1e3);
}

double instructions(const Profile &p, const Core &t) {
  double instr = 0;
  for (const Layer &l : p.layers)
    instr += instructionsFor(t, l.instrM7, l.int8);
  return instr;
}

//===----------------------------------------------------------------------===//
// SVG: live bytes over the op order
//===----------------------------------------------------------------------===//

/// A "nice" tick step (1, 2, 5 x 10^k) for about `ticks` ticks up to `max`.
double niceStep(double max, int ticks) {
  double raw = max / ticks;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw)
      return m * mag;
  return 10.0 * mag;
}

/// An upper bound of the width of `text` in the plot's sans-serif font at
/// `size` px (0.62 em a character covers digits, lower case and most capitals;
/// what the layout reserves, so that no label runs past the edge).
double textWidth(const std::string &text, double size) {
  return 0.62 * size * double(text.size());
}

std::string svg(const Profile &p, const std::string &model, int64_t sramBudget) {
  // The legend's entries, one row each above the plot (two side by side ran
  // past the right edge with a long patch split name).
  std::vector<std::string> legend = {"per-layer plan (pare planner), arena " + kib(p.pare)};
  if (p.hasStage)
    legend.push_back("patched (" + std::to_string(p.grid) + "x" + std::to_string(p.grid) +
                     " up to " + p.split + ", +" + fmt("%.1f", p.extraPercent) + "% MACs), arena " +
                     kib(p.patched));
  const std::string title = "Live arena bytes per layer: " + model;
  std::string peakLabel, patchedPeakLabel;
  if (p.peakLayer >= 0) {
    const Layer &l = p.layers[p.peakLayer];
    peakLabel = "peak " + kib(l.live) + " at #" + std::to_string(p.peakLayer) + " " + l.name +
                " (" + l.op + ")";
  }
  if (p.hasStage && p.peakLayerPatched >= 0) {
    const Layer &l = p.layers[p.peakLayerPatched];
    patchedPeakLabel = "patched peak " + kib(l.livePatched) + " at #" +
                       std::to_string(p.peakLayerPatched) + " " + l.name;
  }
  const double left = 90, right = 30, bottom = 70, legendRow = 16, H0 = 480;
  const double top = 60 + legendRow * double(legend.size() - 1), H = H0 + top - 60;
  // Wide enough for the title and every legend entry (line, gap, text).
  double W = 960;
  for (const std::string &l : legend)
    W = std::max(W, std::ceil(left + 30 + textWidth(l, 12) + right));
  W = std::max(W, std::ceil(textWidth(title, 15) + 2 * right));
  for (const std::string &l : {peakLabel, patchedPeakLabel})
    W = std::max(W, std::ceil(textWidth(l, 12) + 8));
  const double pw = W - left - right, ph = H - top - bottom;
  size_t n = std::max<size_t>(p.layers.size(), 1);
  double maxBytes = 1;
  for (const Layer &l : p.layers)
    maxBytes = std::max({maxBytes, double(l.live), double(l.livePatched)});
  int64_t arenaBudget = sramBudget > 0 ? sramBudget - budget::kStackEstimate : 0;
  if (arenaBudget > 0)
    maxBytes = std::max(maxBytes, double(arenaBudget));
  double maxKiB = maxBytes / 1024.0;
  double step = niceStep(maxKiB, 6);
  double yTop = std::ceil(maxKiB * 1.08 / step) * step;
  auto X = [&](double i) { return left + pw * i / double(n); };
  auto Y = [&](double bytes) { return top + ph - ph * (bytes / 1024.0) / yTop; };
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
     << "\" viewBox=\"0 0 " << W << " " << H << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  os << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  os << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
     << escapeXml(title) << "</text>\n";
  // Grid and y axis (KiB).
  for (double v = 0; v <= yTop + 1e-9; v += step) {
    double y = top + ph - ph * v / yTop;
    os << "<line x1=\"" << left << "\" y1=\"" << fmt("%.1f", y) << "\" x2=\"" << left + pw
       << "\" y2=\"" << fmt("%.1f", y) << "\" stroke=\"#e0e0e0\"/>\n";
    os << "<text x=\"" << left - 6 << "\" y=\"" << fmt("%.1f", y + 4) << "\" text-anchor=\"end\">"
       << fmt(step < 1 ? "%.1f" : "%.0f", v) << "</text>\n";
  }
  os << "<text x=\"20\" y=\"" << top + ph / 2
     << "\" text-anchor=\"middle\" transform=\"rotate(-90 20 " << top + ph / 2
     << ")\">live bytes (KiB)</text>\n";
  // x axis: op index ticks.
  double xstep = niceStep(double(n), 10);
  for (double i = 0; i <= double(n); i += xstep) {
    double x = X(i);
    os << "<line x1=\"" << fmt("%.1f", x) << "\" y1=\"" << top + ph << "\" x2=\"" << fmt("%.1f", x)
       << "\" y2=\"" << top + ph + 5 << "\" stroke=\"black\"/>\n";
    os << "<text x=\"" << fmt("%.1f", x) << "\" y=\"" << top + ph + 18
       << "\" text-anchor=\"middle\">" << fmt("%.0f", i) << "</text>\n";
  }
  os << "<text x=\"" << left + pw / 2 << "\" y=\"" << H - 30
     << "\" text-anchor=\"middle\">layer (execution order)</text>\n";
  os << "<line x1=\"" << left << "\" y1=\"" << top + ph << "\" x2=\"" << left + pw << "\" y2=\""
     << top + ph << "\" stroke=\"black\"/>\n";
  os << "<line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\"" << top + ph
     << "\" stroke=\"black\"/>\n";
  // Step series: layer i spans [i, i+1).
  auto series = [&](auto get, const char *color, const char *dash) {
    os << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.8\"" << dash
       << " points=\"";
    for (size_t i = 0; i < p.layers.size(); ++i) {
      double y = Y(double(get(p.layers[i])));
      os << fmt("%.1f", X(double(i))) << "," << fmt("%.1f", y) << " "
         << fmt("%.1f", X(double(i + 1))) << "," << fmt("%.1f", y) << " ";
    }
    os << "\"/>\n";
  };
  series([](const Layer &l) { return l.live; }, "#1f77b4", "");
  if (p.hasStage)
    series([](const Layer &l) { return l.livePatched; }, "#d62728", " stroke-dasharray=\"5,3\"");
  if (arenaBudget > 0) {
    double y = Y(double(arenaBudget));
    os << "<line x1=\"" << left << "\" y1=\"" << fmt("%.1f", y) << "\" x2=\"" << left + pw
       << "\" y2=\"" << fmt("%.1f", y) << "\" stroke=\"#2ca02c\" stroke-width=\"1.5\"/>\n";
    os << "<text x=\"" << left + pw - 4 << "\" y=\"" << fmt("%.1f", y - 5)
       << "\" text-anchor=\"end\" fill=\"#2ca02c\">"
       << escapeXml("SRAM budget " + kib(sramBudget) + " less stack estimate = " + kib(arenaBudget))
       << "</text>\n";
  }
  // Peak annotations.
  auto annotate = [&](int64_t i, int64_t bytes, const char *color, const std::string &label,
                      double dy) {
    if (i < 0)
      return;
    double x = X(double(i) + 0.5), y = Y(double(bytes));
    os << "<circle cx=\"" << fmt("%.1f", x) << "\" cy=\"" << fmt("%.1f", y) << "\" r=\"4\" fill=\""
       << color << "\"/>\n";
    // Right of the point (left of it in the right part of the plot); a label
    // that would cross an edge there (a long layer name) is moved inside.
    double tw = textWidth(label, 12);
    bool leftSide = x > left + pw * 0.6;
    double tx = leftSide ? x - 8 - tw : x + 8;
    bool moved = tx < 4 || tx + tw > W - 4;
    if (moved)
      tx = std::max(4.0, W - 4 - tw);
    os << "<text x=\"" << fmt("%.1f", moved ? tx : leftSide ? x - 8 : x + 8) << "\" y=\""
       << fmt("%.1f", y + dy) << "\" text-anchor=\"" << (leftSide && !moved ? "end" : "start")
       << "\" fill=\"" << color << "\">" << escapeXml(label) << "</text>\n";
  };
  if (p.peakLayer >= 0)
    annotate(p.peakLayer, p.layers[p.peakLayer].live, "#1f77b4", peakLabel, -8);
  if (p.hasStage && p.peakLayerPatched >= 0)
    annotate(p.peakLayerPatched, p.layers[p.peakLayerPatched].livePatched, "#d62728",
             patchedPeakLabel, 16);
  // Legend: one row per entry.
  for (size_t k = 0; k < legend.size(); ++k) {
    double ly = 40 + legendRow * double(k);
    os << "<line x1=\"" << left << "\" y1=\"" << ly << "\" x2=\"" << left + 24 << "\" y2=\"" << ly
       << "\" stroke=\"" << (k ? "#d62728" : "#1f77b4") << "\" stroke-width=\"2\""
       << (k ? " stroke-dasharray=\"5,3\"" : "") << "/>\n";
    os << "<text x=\"" << left + 30 << "\" y=\"" << ly + 4 << "\">" << escapeXml(legend[k])
       << "</text>\n";
  }
  os << "</svg>\n";
  return s;
}

} // namespace

int profile(const ProfileOptions &o) {
  const std::string &targetName = spelling(profileTargets(), o.target);
  const Core *target = findCore(targetName);
  if (!target) {
    printError("--target of pare profile must be a Cortex-M core: cortex-m4, cortex-m7, "
               "cortex-m33 or cortex-m55");
    return 1;
  }
  bool int8 = o.quantize == Quantize::Int8;
  if (!int8 && !o.calibration.empty()) {
    printError("--calibration is only used with --quantize int8");
    return 1;
  }
  int64_t sramBudget = 0;
  if (!parseSizeFlag("--sram", o.sram, sramBudget) || !checkPatchFlags(o.maxRecompute, o.patchGrid))
    return 1;

  auto ctx = makeContext();
  auto module = loadModel(*ctx, o.model, o.inputShapes, o.batch);
  if (failed(module) || failed(prepare(**module, o)))
    return 1;
  func::FuncOp func;
  (**module)->walk([&](func::FuncOp f) { func = f; });
  if (!func) {
    printError("the model has no function");
    return 1;
  }
  Profile p = measure(func, o);

  if (!o.svg.empty()) {
    if (!writeFileAtomically(o.svg, svg(p, o.model, sramBudget), "--svg"))
      return 1;
  }

  int64_t flash = p.weightBytes + p.codeBytes;
  int64_t sramPatched = p.patched + budget::kStackEstimate;
  std::string precision = int8 ? "int8" : "float";
  std::string ranges = !int8                   ? ""
                       : o.calibration.empty() ? "one seeded N(0,1) input"
                                               : o.calibration;
  if (o.json) {
    llvm::json::Array layers;
    for (const Layer &l : p.layers)
      layers.push_back(llvm::json::Object{
          {"name", jsonText(l.name)},
          {"op", jsonText(l.op)},
          {"kind", jsonText(l.kind)},
          {"macs", l.macs},
          {"weight_bytes", l.weightBytes},
          {"activation_bytes", l.outBytes},
          {"live_bytes", l.live},
          {"live_bytes_patched", l.livePatched},
          {"patch_stage", l.inStage},
          {"latency_ms",
           jsonNumber(instructionsFor(*target, l.instrM7, l.int8) / (target->mhz * 1e3))}});
    llvm::json::Object latency;
    for (const Core &t : kCores)
      latency[t.name] =
          llvm::json::Object{{"mhz", t.mhz},
                             {"part", t.part},
                             {"instructions", int64_t(std::llround(instructions(p, t)))},
                             {"ms", jsonNumber(latencyMs(p, t))}};
    llvm::json::Object patches{{"arena_bytes", p.patched}};
    if (p.hasStage) {
      patches["grid"] = p.grid;
      patches["split"] = jsonText(p.split);
      patches["stage_layers"] = p.stageOps;
      patches["extra_macs"] = p.extraMacs;
      patches["extra_macs_percent"] = jsonNumber(p.extraPercent);
    } else {
      patches["grid"] = nullptr;
    }
    patches["reduction"] = jsonNumber(p.patched ? double(p.pare) / double(p.patched) : 0.0);
    llvm::json::Object root{
        {"model", jsonText(o.model)},
        {"precision", precision},
        {"target", targetName},
        {"total_macs", p.totalMacs},
        {"weight_bytes", p.weightBytes},
        {"code_estimate_bytes", p.codeBytes},
        {"flash_estimate_bytes", flash},
        {"peak_sram",
         llvm::json::Object{
             {"greedy_by_size", p.greedy},
             {"pare", p.pare},
             {"lower_bound", p.bound},
             {"pare_over_bound", jsonNumber(p.bound ? double(p.pare) / double(p.bound) : 0.0)},
             {"patched", std::move(patches)},
             {"stack_estimate_bytes", budget::kStackEstimate}}},
        {"max_recompute_percent", jsonNumber(o.maxRecompute)},
        {"latency_estimate", std::move(latency)},
        {"layers", std::move(layers)}};
    if (!ranges.empty())
      root["quantization_ranges"] = jsonText(ranges);
    if (sramBudget)
      root["sram_budget_bytes"] = sramBudget;
    llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
    return 0;
  }

  llvm::outs() << "model: " << codegen::displayText(o.model, 4096) << " (" << precision
               << (ranges.empty() ? "" : ", ranges from " + codegen::displayText(ranges, 4096))
               << ")\n";
  llvm::outs() << llvm::format("%-4s %-32s %-22s %12s %10s %10s %10s %10s %9s\n", "#", "layer",
                               "op", "MACs", "weights", "out bytes", "live", "patched",
                               (std::string("ms ") + targetName.substr(7)).c_str());
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer &l = p.layers[i];
    std::string mark = int64_t(i) == p.peakLayer ? "*" : (l.inStage ? "p" : " ");
    llvm::outs() << llvm::format(
        "%-3zu%s %-32s %-22s %12lld %10lld %10lld %10lld %10lld %9.3f\n", i, mark.c_str(),
        codegen::displayText(l.name).substr(0, 32).c_str(), l.op.substr(0, 22).c_str(),
        (long long)l.macs, (long long)l.weightBytes, (long long)l.outBytes, (long long)l.live,
        (long long)l.livePatched,
        instructionsFor(*target, l.instrM7, l.int8) / (target->mhz * 1e3));
  }
  llvm::outs() << "(* peak layer of the per-layer plan, p patch stage; live = arena bytes live "
                  "while the layer runs)\n\n";
  llvm::outs() << "total MACs:            " << p.totalMacs << "\n";
  llvm::outs() << "weights (flash):       " << p.weightBytes << " bytes (" << kib(p.weightBytes)
               << ")\n";
  llvm::outs() << "flash estimate:        " << flash << " bytes (" << kib(flash)
               << "): weights + code estimate " << p.codeBytes << "\n";
  llvm::outs() << "peak SRAM (arena):\n";
  llvm::outs() << "  greedy-by-size:      " << p.greedy << " (" << kib(p.greedy) << ")\n";
  llvm::outs() << "  pare planner:        " << p.pare << " (" << kib(p.pare) << ")\n";
  llvm::outs() << "  lower bound:         " << p.bound << " (" << kib(p.bound)
               << "; pare / bound = " << fmt("%.3f", p.bound ? double(p.pare) / p.bound : 0.0)
               << ")\n";
  if (p.hasStage)
    llvm::outs() << "  with patches:        " << p.patched << " (" << kib(p.patched) << "; "
                 << p.grid << "x" << p.grid << " patches over " << p.stageOps << " layers up to "
                 << codegen::displayText(p.split) << ", +" << fmt("%.2f", p.extraPercent)
                 << "% MACs, " << fmt("%.2f", p.patched ? double(p.pare) / p.patched : 0.0)
                 << "x lower)\n";
  else if (!o.patches)
    llvm::outs() << "  with patches:        not searched (--no-patches)\n";
  else
    llvm::outs() << "  with patches:        no patch stage lowers the peak within --max-recompute "
                 << fmt("%g", o.maxRecompute) << "%\n";
  llvm::outs() << "  + stack estimate " << budget::kStackEstimate << " bytes: SRAM " << sramPatched
               << " (" << kib(sramPatched) << ")";
  if (sramBudget)
    llvm::outs() << (sramPatched <= sramBudget ? " fits" : " exceeds") << " --sram "
                 << kib(sramBudget);
  llvm::outs() << "\n";
  llvm::outs() << "latency estimate (QEMU instruction counts, 1 cycle per instruction):\n";
  for (const Core &t : kCores)
    llvm::outs() << llvm::format("  %-11s %9.2f ms  (%.1f M instructions at %s)%s\n", t.name,
                                 latencyMs(p, t), instructions(p, t) / 1e6, t.part,
                                 &t == target ? "  <- --target" : "");
  return 0;
}

} // namespace pare::driver
