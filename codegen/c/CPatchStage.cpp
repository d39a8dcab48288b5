//===- CPatchStage.cpp - C emitters: patch-based inference ----------------===//
//
// The ops of a patch stage (PlanMemory with --patches) run in a loop over
// the patches of the stage's last output: each computes only the tile of
// its output that patch needs, from the tiles of its inputs, in small arena
// buffers; only the last op's output is stored whole. Convolutions and pools
// take the tile's geometry from locals of the loop body (CModule::inTile),
// layout transposes and elementwise ops are written here, row by row.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CModule.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/QuantUtils.h"

#include "llvm/ADT/StringExtras.h"

#include <cstdio>

using namespace mlir;

namespace pare::codegen {

using shape::Shape;

namespace {

class PatchStageEmitter {
public:
  PatchStageEmitter(CModule &m, const planning::PatchStage &st) : m(m), st(st) {}
  LogicalResult run();

private:
  /// The regions of every patch, as a table in the .c file; its name.
  std::string regionsTable(const std::string &type);
  /// Names the tile (and crop buffer) of each stage op.
  void nameTiles();
  /// The stage op whose tile holds `v` (aliases share their producer's).
  std::optional<size_t> tileOwner(Value v);
  /// `(T *)(arena + <PREFIX>_OFFSET_<tile>)` of op `i`'s tile.
  std::string tilePtr(size_t i, Value v);
  /// One stage op on this patch's tile, in the loop body.
  LogicalResult emitStageOp(size_t i);
  /// The locals of a window op's tile geometry, and the copy of its input
  /// region when it reads a whole tensor.
  LogicalResult emitWindowGeometry(size_t i, Operands &in, ArrayRef<std::string> inRegion,
                                   const std::string &ri);
  /// A layout transpose (NCHW -> NHWC) of this patch's region.
  void emitTransposeTile(Operation *op, const Operands &in, ArrayRef<std::string> inRegion,
                         const std::string &out, const std::string &ri);
  /// One elementwise stage op on a tile, row by row (inputs may be larger
  /// tiles or whole tensors).
  LogicalResult emitTileElementwise(Operation *op, const Operands &in,
                                    ArrayRef<std::string> inRegion, const std::string &out,
                                    const std::string &region, std::array<int, 2> axes);

  CModule &m;
  const planning::PatchStage &st;
  DenseMap<Operation *, size_t> index;
  std::vector<std::string> tileNames, cropNames;
};

std::string PatchStageEmitter::regionsTable(const std::string &type) {
  size_t n = st.ops.size();
  std::string splitName = sanitizeIdentifier(nodeName(st.split()));
  std::string table = uniqueName(m.prefix + "_patch_regions", m.usedGlobals);
  std::string &fs = m.fileScope;
  fs += "/* Patch-based inference: for each of the " + i32(st.patches()) + " patches (" +
        i32(st.grid) + " x " + i32(st.grid) + " over " + splitName +
        "'s output), the\n * region of every stage layer's output it computes (oy, ox, "
        "oh, ow) and the region\n * of its first input that layer reads (iy, ix, ih, iw), "
        "rows and columns. */\n";
  fs += "typedef struct {\n  int16_t oy, ox, oh, ow, iy, ix, ih, iw;\n} " + type + ";\n\n";
  fs += "static const " + type + " " + table + "[" + i32(st.patches()) + "][" + i32(n) + "] = {\n";
  for (int64_t p = 0; p < st.patches(); ++p) {
    fs += "  { /* patch " + i32(p) + " */\n";
    for (size_t i = 0; i < n; ++i) {
      const planning::Region &o = st.out[size_t(p)][i], &in = st.in[size_t(p)][i];
      fs += "    {" + i32(o.rows.begin) + ", " + i32(o.cols.begin) + ", " + i32(o.rows.size()) +
            ", " + i32(o.cols.size()) + ", " + i32(in.rows.begin) + ", " + i32(in.cols.begin) +
            ", " + i32(in.rows.size()) + ", " + i32(in.cols.size()) + "}" + (i + 1 < n ? "," : "") +
            " /* " + sanitizeIdentifier(nodeName(st.ops[i])) + " */\n";
    }
    fs += std::string("  }") + (p + 1 < st.patches() ? "," : "") + "\n";
  }
  fs += "};\n\n";
  return table;
}

void PatchStageEmitter::nameTiles() {
  size_t n = st.ops.size();
  for (size_t i = 0; i < n; ++i)
    index[st.ops[i]] = i;
  // Tiles are named after their layer (several ops of one ONNX node get
  // _1, _2 ...).
  // Distinct from the arena locals too: both name <PREFIX>_OFFSET_ macros.
  NameSet tileNamesUsed = m.usedLocals;
  tileNames.resize(n);
  cropNames.resize(n);
  std::map<std::string, int> nodeUses;
  for (size_t i = 0; i < n; ++i)
    ++nodeUses[sanitizeIdentifier(nodeName(st.ops[i]))];
  for (size_t i = 0; i < n; ++i) {
    std::string node = sanitizeIdentifier(nodeName(st.ops[i]));
    if (nodeUses[node] > 1) // several ops of one ONNX node: say which
      node += "_" + st.ops[i]->getName().stripDialect().str();
    tileNames[i] = uniqueName(node + "_tile", tileNamesUsed);
  }
  for (size_t i = 0; i < n; ++i)
    cropNames[i] = uniqueName(tileNames[i] + "_crop", tileNamesUsed);
}

std::optional<size_t> PatchStageEmitter::tileOwner(Value v) {
  Operation *def = v.getDefiningOp();
  while (def && index.count(def) && planning::isTileAlias(def))
    def = def->getOperand(0).getDefiningOp();
  if (!def || !index.count(def))
    return std::nullopt;
  return index[def];
}

std::string PatchStageEmitter::tilePtr(size_t i, Value v) {
  int64_t off = *attrs::getTileOffset(st.ops[i]);
  std::string ct = cType(elemOf(v));
  return "(" + ct + " *)(" + m.arenaAt(tileNames[i], off, st.tileBytes[i]) + ")";
}

LogicalResult PatchStageEmitter::run() {
  size_t n = st.ops.size();
  Operation *split = st.split();
  std::string splitName = sanitizeIdentifier(nodeName(split));
  std::string type = m.prefix + "_patch_region";
  std::string table = regionsTable(type);

  double extra =
      st.modelMacs ? 100.0 * double(st.patchedMacs - st.stageMacs) / double(st.modelMacs) : 0.0;
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.1f", extra);
  m.line("  /* Patch stage: the first " + i32(int64_t(n)) + " ops, up to " + splitName +
         ", run on " + i32(st.grid) + " x " + i32(st.grid) + " patches of its\n   * " +
         shape::toString(shapeOf(split->getResult(0))) +
         " output, each computing only the tiles it needs (recomputed halos add " + pct +
         "% MACs);\n   * only " + splitName + "'s output is stored whole. */\n");
  m.line("  {\n    int patch;\n    for (patch = 0; patch < " + i32(st.patches()) +
         "; ++patch) {\n" + "      const " + type + " *r = " + table + "[patch];\n");

  nameTiles();
  std::string saved = m.body;
  m.body.clear();
  for (size_t i = 0; i < n; ++i)
    if (!planning::isTileAlias(st.ops[i]) && failed(emitStageOp(i)))
      return failure();
  std::string stageBody = m.body;
  m.body = saved;
  for (llvm::StringRef l : llvm::split(llvm::StringRef(stageBody).rtrim('\n'), '\n'))
    m.line(l.empty() ? "\n" : "    " + l.str() + "\n");
  m.line("    }\n  }\n");
  return success();
}

LogicalResult PatchStageEmitter::emitStageOp(size_t i) {
  Operation *op = st.ops[i];
  m.currentOp = op;
  std::string ri = "r[" + i32(int64_t(i)) + "]";
  std::vector<std::string> names, inRegion;
  for (Value v : op->getOperands()) {
    if (auto k = tileOwner(v)) {
      names.push_back(tilePtr(*k, v));
      inRegion.push_back("r[" + i32(int64_t(*k)) + "]");
      continue;
    }
    std::string p;
    if (failed(m.ptr(v, p)))
      return failure();
    names.push_back(p);
    inRegion.push_back(""); // a whole tensor
  }
  Operands in(m, std::move(names));
  std::string out = tilePtr(i, op->getResult(0));
  bool window = isa<ConvOp, QConvOp, MaxPoolOp, AveragePoolOp>(op);
  if (window || isa<TransposeOp>(op)) {
    m.line("  {\n    int ih = " + ri + ".ih, iw = " + ri + ".iw, oh = " + ri + ".oh, ow = " + ri +
           ".ow;\n");
    if (window && failed(emitWindowGeometry(i, in, inRegion, ri)))
      return failure();
    if (isa<TransposeOp>(op)) {
      emitTransposeTile(op, in, inRegion, out, ri);
    } else {
      m.inTile = true;
      std::string inner = m.body;
      m.body.clear();
      LogicalResult r = m.emitOpBody(op, in, {out});
      m.inTile = false;
      if (failed(r))
        return failure();
      std::string call = m.body;
      m.body = inner;
      // Indent the call into the block.
      std::string indented;
      for (llvm::StringRef l : llvm::split(llvm::StringRef(call).rtrim('\n'), '\n'))
        indented += "  " + l.str() + "\n";
      m.line(indented);
    }
    m.line("  }\n");
  } else if (failed(emitTileElementwise(op, in, inRegion, out, ri, st.axes[i]))) {
    return failure();
  }
  if (op != st.split())
    return success();
  std::string full;
  if (failed(m.ptr(op->getResult(0), full)))
    return failure();
  Shape so = shapeOf(op->getResult(0));
  int64_t eb = elemBytes(elemOf(op->getResult(0)));
  int64_t row = so[2] * so[3] * eb, px = so[3] * eb;
  m.line("  /* " + sanitizeIdentifier(nodeName(op)) +
         ": this patch's tile into the whole output */\n");
  m.line("  " + m.call("pare_copy_rows") + "(uint8_t *)" + full + " + ((size_t)" + ri + ".oy * " +
         i32(row) + " + (size_t)" + ri + ".ox * " + i32(px) + "), " + i32(row) + ", " + out +
         ", (size_t)" + ri + ".ow * " + i32(px) + ", (size_t)" + ri + ".oh, (size_t)" + ri +
         ".ow * " + i32(px) + ");\n");
  return success();
}

LogicalResult PatchStageEmitter::emitWindowGeometry(size_t i, Operands &in,
                                                    ArrayRef<std::string> inRegion,
                                                    const std::string &ri) {
  Operation *op = st.ops[i];
  auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
  auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
  auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
  int64_t kh, kw;
  if (auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape")) {
    kh = k[0];
    kw = k[1];
  } else {
    Shape w = shapeOf(op->getOperand(1));
    kh = w[1];
    kw = w[2];
  }
  m.line("    int pad_top = " + i32(p[0]) + " + " + ri + ".iy - " + ri + ".oy * " + i32(s[0]) +
         ", pad_left = " + i32(p[1]) + " + " + ri + ".ix - " + ri + ".ox * " + i32(s[1]) + ";\n");
  if (isa<MaxPoolOp, AveragePoolOp>(op))
    m.line("    int pad_bottom = (oh - 1) * " + i32(s[0]) + " + " + i32((kh - 1) * d[0] + 1) +
           " - pad_top - ih, pad_right = (ow - 1) * " + i32(s[1]) + " + " +
           i32((kw - 1) * d[1] + 1) +
           " - pad_left - iw;\n    if (pad_bottom < 0)\n"
           "      pad_bottom = 0;\n    if (pad_right < 0)\n      pad_right = 0;\n");
  if (!inRegion[0].empty())
    return success();
  // Reads a whole tensor outside the arena: copy the region first.
  Shape x = shapeOf(op->getOperand(0));
  int64_t eb = elemBytes(elemOf(op->getOperand(0)));
  std::optional<int64_t> crop = attrs::getCropOffset(op);
  if (!crop)
    return op->emitError("internal: no crop buffer for a patch reading a whole tensor");
  std::string ct = cType(elemOf(op->getOperand(0)));
  std::string cp = "(" + ct + " *)(" + m.arenaAt(cropNames[i], *crop, st.tileInBytes[i]) + ")";
  int64_t row = x[2] * x[3] * eb, px = x[3] * eb;
  m.line("    /* this patch's region of the input */\n    " + m.call("pare_copy_rows") + cp +
         ", (size_t)iw * " + i32(px) + ", (const uint8_t *)" + in[0] + " + ((size_t)" + ri +
         ".iy * " + i32(row) + " + (size_t)" + ri + ".ix * " + i32(px) + "), " + i32(row) +
         ", (size_t)ih, (size_t)iw * " + i32(px) + ");\n");
  in.set(0, cp);
  return success();
}

void PatchStageEmitter::emitTransposeTile(Operation *op, const Operands &in,
                                          ArrayRef<std::string> inRegion, const std::string &out,
                                          const std::string &ri) {
  // NCHW -> NHWC of the region: from a tile (laid out [C][ih][iw]) or from
  // the whole tensor.
  Shape x = shapeOf(op->getOperand(0));
  std::string ct = cType(elemOf(op->getOperand(0)));
  std::string src = inRegion[0].empty() ? "(size_t)" + ri + ".iy * " + i32(x[3]) + " + (size_t)" +
                                              ri + ".ix + ((size_t)ch * " + i32(x[2]) +
                                              " + row) * " + i32(x[3]) + " + col"
                                        : "((size_t)ch * ih + row) * iw + col";
  m.line("    /* " + nodeComment(op) + ": NCHW -> NHWC, this patch's region */\n");
  m.line("    {\n      const " + ct + " *src = " + in[0] + ";\n      " + ct + " *dst = " + out +
         ";\n      int ch, row, col;\n      (void)oh;\n      (void)ow;\n      for (row = 0; row < "
         "ih; ++row)\n        for (col = 0; col < iw; ++col)\n          for (ch = 0; ch < " +
         i32(x[1]) + "; ++ch)\n            dst[((size_t)row * iw + col) * " + i32(x[1]) +
         " + ch] = src[" + src + "];\n    }\n");
}

LogicalResult PatchStageEmitter::emitTileElementwise(Operation *op, const Operands &in,
                                                     ArrayRef<std::string> inRegion,
                                                     const std::string &out,
                                                     const std::string &region,
                                                     std::array<int, 2> axes) {
  std::string layer = sanitizeIdentifier(nodeName(op));
  Shape ys = shapeOf(op->getResult(0));
  bool nchw = axes[0] == 2;
  int64_t c = nchw ? ys[1] : ys[3];
  int64_t h = ys[size_t(axes[0])], w = ys[size_t(axes[1])];
  // Element offset of row `row` (channel `ch` for NCHW) of this op's region
  // inside input j's storage: a larger tile or the whole tensor.
  auto rowOf = [&](size_t j) {
    std::string py = inRegion[j].empty() ? "0" : inRegion[j] + ".oy";
    std::string px = inRegion[j].empty() ? "0" : inRegion[j] + ".ox";
    std::string ph = inRegion[j].empty() ? i32(h) : inRegion[j] + ".oh";
    std::string pw = inRegion[j].empty() ? i32(w) : inRegion[j] + ".ow";
    std::string r = "(" + region + ".oy + row - " + py + ")";
    if (nchw)
      return in[j] + " + ((size_t)ch * " + ph + " + " + r + ") * " + pw + " + (" + region +
             ".ox - " + px + ")";
    return in[j] + " + ((size_t)" + r + " * " + pw + " + (" + region + ".ox - " + px + ")) * " +
           i32(c);
  };
  std::string yRow = nchw ? out + " + ((size_t)ch * " + region + ".oh + row) * " + region + ".ow"
                          : out + " + (size_t)row * " + region + ".ow * " + i32(c);
  std::string count = nchw ? region + ".ow" : region + ".ow * " + i32(c);
  std::string call;
  if (auto q = dyn_cast<QuantizeOp>(op)) {
    auto p = *qtype::params(q.getOutput().getType());
    call = m.call("pare_quantize_f32_s8") + rowOf(0) + ", " + yRow + ", (size_t)n, " +
           floatLiteral(float(p.scale())) + ", " + i32(p.zeroPoint()) + ")";
    m.usesInt8 = true;
  } else if (auto lut = dyn_cast<LookupTableOp>(op)) {
    call = m.call("pare_lut_s8") + rowOf(0) + ", " + yRow + ", (size_t)n, " +
           m.lutTable(lut, layer) + ")";
  } else if (isa<QAddOp>(op) && attrs::usesOnnxRounding(op)) {
    // onnxruntime's QLinearAdd: rows of two or more elements (Patches.cpp)
    // take its same-shape formula, as the whole tensor does.
    call = m.call("pare_add_s8_onnx") + rowOf(0) + ", one, " + rowOf(1) + ", one, " + yRow +
           ", &n, 1, " + qaddOnnxArgs(op) + ")";
  } else if (isa<QAddOp>(op)) {
    call = m.call("pare_add_s8") + rowOf(0) + ", one, " + rowOf(1) + ", one, " + yRow +
           ", &n, 1, " + qaddArgs(op) + ")";
  } else if (isa<AddOp>(op)) {
    ActArgs act = fusedActivation(op);
    call = m.call("pare_binary_f32") + "PARE_BIN_ADD, " + rowOf(0) + ", one, " + rowOf(1) +
           ", one, " + yRow + ", &n, 1, " + act.kind + ", " + act.a + ", " + act.b + ")";
  } else if (isa<ReluOp>(op)) {
    ActArgs act = standaloneActivation(op);
    call = m.call("pare_activation_f32") + rowOf(0) + ", " + yRow + ", (size_t)n, " + act.kind +
           ", " + act.a + ", " + act.b + ")";
  } else {
    return m.unsupported(op, "this op inside a patch stage");
  }
  m.line("  /* " + nodeComment(op) + ": " + opKind(op) + " on this patch's tile, row by row */\n");
  m.line("  {\n    static const int32_t one[1] = {1};\n    int32_t n = " + count +
         ";\n    int row" + std::string(nchw ? ", ch" : "") + ";\n    (void)one;\n");
  if (nchw)
    m.line("    for (ch = 0; ch < " + i32(c) + "; ++ch)\n      for (row = 0; row < " + region +
           ".oh; ++row)\n        " + call + ";\n  }\n");
  else
    m.line("    for (row = 0; row < " + region + ".oh; ++row)\n      " + call + ";\n  }\n");
  return success();
}

} // namespace

LogicalResult emitPatchStage(CModule &m, const planning::PatchStage &st) {
  return PatchStageEmitter(m, st).run();
}

} // namespace pare::codegen
