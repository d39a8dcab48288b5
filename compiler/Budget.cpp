//===- Budget.cpp - SRAM and flash budgets of a compiled model ------------===//
#include "compiler/Budget.h"

#include "codegen/EmitterSupport.h"
#include "compiler/DriverCommon.h"
#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/QuantUtils.h"

#include "mlir/IR/Matchers.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>

using namespace mlir;

namespace pare::budget {

std::vector<IslandNode> islandNodes(func::FuncOp func) {
  std::vector<IslandNode> nodes;
  if (ArrayAttr islands = attrs::getIslands(func))
    for (Attribute a : islands) {
      auto d = dyn_cast<DictionaryAttr>(a);
      if (!d)
        continue;
      auto get = [&](StringRef key) {
        auto v = d.getAs<StringAttr>(key);
        return v ? v.getValue().str() : std::string();
      };
      nodes.push_back({get("node"), get("op"), get("scales")});
    }
  return nodes;
}

Report build(func::FuncOp func, const codegen::CEmitStats &stats) {
  Report r;
  r.arenaBytes = attrs::getArenaBytes(func).value_or(0);
  r.arenaLowerBound = attrs::getLiveBytesBound(func).value_or(0);
  r.weightBytes = stats.weightBytes;
  r.stateBytes = stats.stateBytes;
  if (auto g = attrs::getPatchGrid(func)) {
    r.patchGrid = *g;
    r.patchExtraMacs = attrs::getPatchExtraMacs(func).value_or(0);
    for (Operation &op : func.getBody().front())
      if (attrs::isPatchStage(&op))
        r.patchSplit = codegen::nodeName(&op);
  }
  r.codeBytes = stats.codeBytesEstimate;
  r.islands = islandNodes(func);
  for (Operation &op : func.getBody().front()) {
    if (matchPattern(&op, m_Constant()) || op.hasTrait<OpTrait::IsTerminator>() ||
        isa<pare::StorageCastOp, pare::ReshapeOp>(op))
      continue;
    for (Type t : op.getResultTypes())
      if (auto rt = dyn_cast<RankedTensorType>(t); rt && qtype::isQuantized(rt.getElementType()))
        r.int8 = true;
    Layer l;
    l.name = codegen::nodeName(&op);
    l.kind = op.getName().stripDialect().str();
    l.liveBytes = attrs::getLiveBytes(&op).value_or(0);
    for (Value v : op.getOperands()) {
      Value root = planning::storageRoot(v);
      if (matchPattern(root, m_Constant()))
        l.weightBytes += planning::byteSize(root.getType());
    }
    r.layers.push_back(l);
  }
  return r;
}

std::optional<int64_t> parseSize(const std::string &text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  if (i == 0 || i > 12)
    return std::nullopt;
  int64_t v = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  int64_t mul = 1;
  if (unit.empty() || unit == "B")
    mul = 1;
  else if (unit == "K" || unit == "KiB" || unit == "k" || unit == "KB")
    mul = 1024;
  else if (unit == "M" || unit == "MiB" || unit == "MB")
    mul = 1024 * 1024;
  else
    return std::nullopt;
  if (v <= 0)
    return std::nullopt;
  return v * mul;
}

std::string toJson(const Report &r, int64_t sramBudget, int64_t flashBudget) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "{\n  \"sram\": {\"arena_bytes\": " << r.arenaBytes
     << ", \"stack_estimate_bytes\": " << r.stackBytes << ", \"state_bytes\": " << r.stateBytes
     << ", \"total_bytes\": " << r.sram() << ", \"budget_bytes\": " << sramBudget
     << ", \"arena_lower_bound_bytes\": " << r.arenaLowerBound
     << "},\n  \"flash\": {\"weight_bytes\": " << r.weightBytes
     << ", \"code_estimate_bytes\": " << r.codeBytes << ", \"total_bytes\": " << r.flash()
     << ", \"budget_bytes\": " << flashBudget << "},\n  \"patches\": {\"grid\": " << r.patchGrid
     << ", \"split\": " << codegen::jsonString(r.patchSplit)
     << ", \"extra_macs\": " << r.patchExtraMacs << "},\n  \"layers\": [";
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const Layer &l = r.layers[i];
    os << (i ? ",\n" : "\n") << "    {\"name\": " << codegen::jsonString(l.name)
       << ", \"op\": " << codegen::jsonString(l.kind) << ", \"live_bytes\": " << l.liveBytes
       << ", \"weight_bytes\": " << l.weightBytes << "}";
  }
  os << "\n  ]";
  // Only where --int8-islands quantize made nodes int8: every other
  // model's report stays as it was.
  if (!r.islands.empty()) {
    os << ",\n  \"int8_islands\": [";
    for (size_t i = 0; i < r.islands.size(); ++i) {
      const IslandNode &n = r.islands[i];
      os << (i ? ",\n" : "\n") << "    {\"name\": " << codegen::jsonString(n.name)
         << ", \"op\": " << codegen::jsonString(n.kind)
         << ", \"scales\": " << codegen::jsonString(n.scales) << "}";
    }
    os << "\n  ]";
  }
  os << "\n}\n";
  return s;
}

static std::string kib(int64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024.0);
  return buf;
}

bool check(const Report &r, int64_t sramBudget, int64_t flashBudget) {
  bool ok = true;
  auto top = [&](auto key, const char *what) {
    std::vector<const Layer *> ls;
    for (const Layer &l : r.layers)
      ls.push_back(&l);
    std::stable_sort(ls.begin(), ls.end(),
                     [&](const Layer *a, const Layer *b) { return key(*a) > key(*b); });
    std::string out;
    for (size_t i = 0; i < std::min<size_t>(5, ls.size()); ++i)
      if (key(*ls[i]) > 0)
        out += "    " + codegen::displayText(ls[i]->name) + " (" + ls[i]->kind +
               "): " + kib(key(*ls[i])) + " " + what + "\n";
    return out;
  };
  if (sramBudget > 0 && r.sram() > sramBudget) {
    driver::printError(
        "the model needs " + kib(r.sram()) + " of SRAM (arena " + kib(r.arenaBytes) +
        " + stack estimate " + kib(r.stackBytes) +
        (r.stateBytes ? " + streaming state " + kib(r.stateBytes) : std::string()) +
        ") but --sram allows " + kib(sramBudget) +
        ".\n  The peak is set by these layers (activations and scratch live while each runs):\n" +
        top([](const Layer &l) { return l.liveBytes; }, "live") +
        (r.patchGrid ? "  This is with patch-based inference (" + std::to_string(r.patchGrid) +
                           " x " + std::to_string(r.patchGrid) + " patches up to " +
                           codegen::displayText(r.patchSplit) +
                           "), the smallest plan found within --max-recompute.\n"
         : r.patchesTried ? "  Patch-based inference found no plan with a lower peak within "
                            "--max-recompute.\n"
                          : "") +
        (r.int8 ? "  Try a smaller input resolution or width (the model already runs int8)."
                : "  Try a smaller input resolution or width, or int8 (--quantize int8)."));
    ok = false;
  }
  if (flashBudget > 0 && r.flash() > flashBudget) {
    driver::printError("the model needs " + kib(r.flash()) + " of flash (weights " +
                       kib(r.weightBytes) + " + code estimate " + kib(r.codeBytes) +
                       ") but --flash allows " + kib(flashBudget) +
                       ".\n  The largest weights are in:\n" +
                       top([](const Layer &l) { return l.weightBytes; }, "of weights") +
                       (r.int8 ? "  Try --kernels generic (less code); the model already "
                                 "runs int8."
                               : "  Try int8 (--quantize int8) or --kernels generic (less code)."));
    ok = false;
  }
  return ok;
}

} // namespace pare::budget
