//===- Inspect.cpp - pare inspect: ops, MACs, sizes, arena ----------------===//

#include "compiler/Calibration.h"
#include "compiler/Driver.h"
#include "compiler/DriverCommon.h"
#include "dialects/Pare/Analysis/Cost.h"
#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/Eval/Evaluator.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/Transforms/Pipelines.h"

#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"
#include <cmath>

using namespace mlir;

namespace pare::driver {
namespace {

std::vector<int64_t> shapeOf(Value v) {
  auto s = cast<RankedTensorType>(v.getType()).getShape();
  return {s.begin(), s.end()};
}

std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

std::string nodeName(Location loc) {
  if (auto n = dyn_cast<NameLoc>(loc))
    return n.getName().str();
  if (auto f = dyn_cast<FusedLoc>(loc)) {
    std::string s;
    for (Location l : f.getLocations()) {
      std::string p = nodeName(l);
      if (!p.empty())
        s += (s.empty() ? "" : "+") + p;
    }
    return s;
  }
  return "";
}

/// int8 error of one layer: signal and noise power over the samples.
struct LayerError {
  std::string name, type;
  double signal = 0, noise = 0;
  double sqnr() const {
    if (noise == 0)
      return 999.0;
    return 10.0 * std::log10(std::max(signal, 1e-30) / noise);
  }
};

/// Per-layer SQNR of the int8 model against float: the float graph and its
/// QDQ form (int8 weights, every quantized activation rounded to its int8
/// grid) run side by side on the calibration samples; each layer's output is
/// compared. Errors accumulate along the network, as on the device.
FailureOr<std::vector<LayerError>> quantizationErrors(ModuleOp module, const InspectOptions &o,
                                                      size_t &samplesUsed) {
  QuantizeConfig q;
  q.calibrationDir = o.calibration;
  q.options = calibrationOptions(o.calibrationMethod, o.percentile);
  q.quiet = true;
  {
    PassManager pm(module.getContext());
    buildGraphPipeline(pm);
    buildCalibrationPrepPipeline(pm);
    if (failed(pm.run(module)))
      return failure();
  }
  func::FuncOp floatMain;
  module.walk([&](func::FuncOp f) { floatMain = f; });
  if (!floatMain) {
    printError("the model has no function");
    return failure();
  }
  std::vector<LayerError> layers;
  Builder b(module.getContext());
  for (Operation &op : floatMain.getBody().front()) {
    if (op.getNumResults() != 1 || matchPattern(&op, m_Constant()) ||
        !isa<FloatType>(cast<RankedTensorType>(op.getResult(0).getType()).getElementType()))
      continue;
    attrs::setLayer(&op, int64_t(layers.size()));
    std::string type = op.getName().stripDialect().str();
    if (auto act = op.getAttrOfType<StringAttr>("activation"))
      type += "+" + act.getValue().str();
    layers.push_back({nodeName(op.getLoc()), type});
  }
  std::vector<std::vector<eval::Tensor>> samples;
  if (failed(calibrate(module, q, &samples)))
    return failure();
  OwningOpRef<ModuleOp> qdq = module.clone();
  {
    PassManager pm(module.getContext());
    buildInsertQDQPipeline(pm);
    if (failed(pm.run(*qdq)))
      return failure();
  }
  func::FuncOp qdqMain;
  (*qdq)->walk([&](func::FuncOp f) { qdqMain = f; });
  eval::Evaluator fe(floatMain), qe(qdqMain);
  auto layerOf = [](Value v) -> int64_t {
    Operation *d = v.getDefiningOp();
    if (!d)
      return -1;
    return attrs::getLayer(d).value_or(-1);
  };
  for (const auto &sample : samples) {
    std::vector<std::vector<float>> ref(layers.size());
    if (failed(fe.run(sample, [&](Value v, const eval::Tensor &t) {
          int64_t l = layerOf(v);
          if (l >= 0 && t.isFloat())
            ref[l] = t.f;
        })))
      return failure();
    if (failed(qe.run(sample, [&](Value v, const eval::Tensor &t) {
          int64_t l = layerOf(v);
          if (l < 0 || !t.isFloat() || ref[l].size() != t.f.size())
            return;
          for (size_t i = 0; i < t.f.size(); ++i) {
            double r = ref[l][i], d = r - t.f[i];
            layers[l].signal += r * r;
            layers[l].noise += d * d;
          }
        })))
      return failure();
  }
  samplesUsed = samples.size();
  return layers;
}

} // namespace

int inspect(const InspectOptions &o) {
  auto ctx = makeContext();
  bool int8 = o.quantize == Quantize::Int8;
  if (int8 != !o.calibration.empty()) {
    printError("pare inspect: --quantize int8 and --calibration DIR go together");
    return 1;
  }
  std::vector<LayerError> errors;
  size_t samplesUsed = 0;
  if (int8) {
    auto m = loadModel(*ctx, o.model, o.inputShapes, o.batch);
    if (failed(m))
      return 1;
    auto e = quantizationErrors(**m, o, samplesUsed);
    if (failed(e))
      return 1;
    errors = std::move(*e);
  }
  auto module = loadModel(*ctx, o.model, o.inputShapes, o.batch);
  if (failed(module) || failed(runPhases(**module, Phase::Plan)))
    return 1;
  func::FuncOp func;
  (**module)->walk([&](func::FuncOp f) { func = f; });
  if (!func) {
    printError("the model has no function");
    return 1;
  }

  llvm::json::Array ops, inputs, outputs;
  int64_t totalMacs = 0, totalParams = 0, weightBytes = 0;
  for (auto [i, a] : llvm::enumerate(func.getArguments())) {
    inputs.push_back(llvm::json::Object{
        {"name", jsonText(attrs::getArgName(func, i).value_or(""))},
        {"shape", llvm::json::Array(shapeOf(a))},
        {"dtype", typeName(cast<RankedTensorType>(a.getType()).getElementType())}});
  }
  for (auto [i, t] : llvm::enumerate(func.getResultTypes())) {
    auto rt = cast<RankedTensorType>(t);
    outputs.push_back(llvm::json::Object{
        {"name", jsonText(attrs::getResultName(func, i).value_or(""))},
        {"shape",
         llvm::json::Array(std::vector<int64_t>(rt.getShape().begin(), rt.getShape().end()))},
        {"dtype", typeName(rt.getElementType())}});
  }
  llvm::DenseSet<Attribute> seenWeights;
  struct Row {
    std::string name, type, shape;
    int64_t macs, params, bytes;
  };
  std::vector<Row> rows;
  for (Operation &op : func.getBody().front()) {
    if (isa<ConstantOp, func::ReturnOp, ReshapeOp, IdentityOp>(op))
      continue;
    int64_t params = 0;
    for (Value v : op.getOperands()) {
      DenseElementsAttr attr;
      if (matchPattern(v, m_Constant(&attr))) {
        params += attr.getNumElements();
        if (seenWeights.insert(attr).second)
          weightBytes += planning::byteSize(attr.getType());
      }
    }
    int64_t bytes = 0;
    for (Value r : op.getResults())
      bytes += planning::byteSize(r.getType());
    int64_t macs = cost::macs(&op);
    totalMacs += macs;
    totalParams += params;
    std::string outShape = op.getNumResults() ? shape::toString(shapeOf(op.getResult(0))) : "";
    std::string type = op.getName().stripDialect().str();
    if (auto act = op.getAttrOfType<StringAttr>("activation"))
      type += "+" + act.getValue().str();
    rows.push_back({nodeName(op.getLoc()), type, outShape, macs, params, bytes});
    ops.push_back(llvm::json::Object{
        {"name", jsonText(rows.back().name)},
        {"type", jsonText(type)},
        {"output_shape",
         op.getNumResults() ? llvm::json::Array(shapeOf(op.getResult(0))) : llvm::json::Array()},
        {"macs", macs},
        {"params", params},
        {"activation_bytes", bytes}});
  }
  int64_t arena = attrs::getArenaBytes(func).value_or(0);
  int64_t bound = attrs::getLiveBytesBound(func).value_or(0);

  if (o.json) {
    llvm::json::Object root{{"model", jsonText(o.model)},    {"inputs", std::move(inputs)},
                            {"outputs", std::move(outputs)}, {"ops", std::move(ops)},
                            {"total_macs", totalMacs},       {"total_params", totalParams},
                            {"weight_bytes", weightBytes},   {"arena_bytes", arena},
                            {"live_bytes_bound", bound}};
    if (!errors.empty()) {
      llvm::json::Array q;
      for (const LayerError &e : errors)
        q.push_back(llvm::json::Object{{"name", jsonText(e.name)},
                                       {"type", jsonText(e.type)},
                                       {"sqnr_db", jsonNumber(e.sqnr())}});
      root["int8_error"] =
          llvm::json::Object{{"samples", int64_t(samplesUsed)}, {"layers", std::move(q)}};
    }
    llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
    return 0;
  }
  llvm::outs() << "model: " << codegen::displayText(o.model, 4096) << "\n";
  llvm::outs() << llvm::format("%-4s %-36s %-24s %-18s %14s %10s %12s\n", "#", "node", "op",
                               "output", "MACs", "params", "out bytes");
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row &r = rows[i];
    llvm::outs() << llvm::format("%-4zu %-36s %-24s %-18s %14lld %10lld %12lld\n", i,
                                 codegen::displayText(r.name).substr(0, 36).c_str(),
                                 r.type.substr(0, 24).c_str(), r.shape.c_str(), (long long)r.macs,
                                 (long long)r.params, (long long)r.bytes);
  }
  llvm::outs() << "total MACs:        " << totalMacs << "\n";
  llvm::outs() << "total parameters:  " << totalParams << "\n";
  llvm::outs() << "weight bytes:      " << weightBytes << "\n";
  llvm::outs() << "arena bytes:       " << arena << " (lower bound for this op order: " << bound
               << ")\n";
  if (!errors.empty()) {
    llvm::outs() << "\nint8 error per layer (SQNR against float, dB; higher is better; over "
                 << samplesUsed << " calibration samples):\n";
    llvm::outs() << llvm::format("%-4s %-36s %-24s %10s\n", "#", "node", "op", "SQNR dB");
    for (size_t i = 0; i < errors.size(); ++i)
      llvm::outs() << llvm::format("%-4zu %-36s %-24s %10.1f\n", i,
                                   codegen::displayText(errors[i].name).substr(0, 36).c_str(),
                                   errors[i].type.substr(0, 24).c_str(), errors[i].sqnr());
  }
  return 0;
}

} // namespace pare::driver
