//===- CTemporalShift.cpp - C emitters: temporal shift (TSM) --------------===//
//
// pare.temporal_shift, offline (a clip of frames per call) or streaming (one
// frame per call, the shifted channels of the previous frame in a static
// state buffer), and a 1x1 convolution that reads its input through a shift
// (FuseTemporalShift): each shifted row is gathered into scratch, never
// stored whole.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CModule.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/QuantMath.h"
#include "dialects/Pare/IR/QuantUtils.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace pare::codegen {

using shape::Shape;

namespace {

/// The value a temporal shift writes where no frame exists, as a C literal
/// of the tensor's element type: the zero point of a quantized tensor.
std::string shiftZeroLiteral(Type t) {
  if (auto p = qtype::params(t))
    return std::to_string(p->zeroPoint());
  if (t.isF32())
    return "0.0f";
  if (isa<FloatType>(t))
    return "0.0";
  return "0";
}

/// TSM: pare.temporal_shift (any element type; int8 shifts the stored
/// values, zero is the zero point), offline or streaming (a persistent state
/// buffer, see CModule::stateBuffers).
LogicalResult emitTemporalShift(CModule &m, Operation *op, const Operands &in,
                                ArrayRef<std::string> out) {
  auto ts = cast<TemporalShiftOp>(op);
  if (m.inTile)
    return m.unsupported(op, "a temporal shift inside a patch stage");
  Type et = elemOf(ts.getInput());
  std::string ct = cType(et);
  if (ct.empty())
    return m.unsupported(op, "a temporal shift of this element type");
  Shape s = shapeOf(ts.getInput());
  bool cl = ts.getChannelsLast();
  int64_t c = ts.getChannelCount(), fold = int64_t(ts.getFold()), frames = int64_t(ts.getFrames());
  int64_t inner = numel(ts.getInput()) / (s[0] * c);
  int64_t eb = elemBytes(et);
  std::string layout = cl ? "1" : "0";
  if (ts.getStreaming()) {
    // One frame per stream: the previous frame's channels [0, fold) live in
    // a static buffer, [batch][inner][fold] (NHWC) or [batch][fold][inner].
    CModule::StateBuffer b;
    b.name =
        uniqueName(m.prefix + "_" + sanitizeIdentifier(nodeName(op)) + "_state", m.usedGlobals);
    b.ctype = ct;
    b.fill = shiftZeroLiteral(et);
    b.count = s[0] * inner * fold;
    b.bytes = b.count * eb;
    m.stateBuffers.push_back(b);
    m.line("  /* streaming: channels [0, " + i32(fold) + ") come from the previous frame (" +
           b.name + "), which then keeps this frame's */\n");
    m.line("  " + m.call("pare_temporal_shift_step") + i32(eb) + ", " + in[0] + ", " + out[0] +
           ", " + b.name + ", " + i32(s[0]) + ", " + i32(c) + ", " + i32(inner) + ", " + i32(fold) +
           ", " + layout + ");\n");
    return success();
  }
  if (attrs::hasInPlace(op))
    return m.unsupported(op, "an offline temporal shift in place (only streaming shifts may be)");
  bool bi = ts.isBidirectional();
  m.line("  /* " + ts.getMode().str() + " shift of " + i32(fold) + " channel" +
         (fold == 1 ? "" : "s") + (bi ? " each way" : "") + " over clips of " + i32(frames) +
         " frames */\n");
  m.line("  {\n    static const " + ct + " tsm_zero = " + shiftZeroLiteral(et) + ";\n");
  m.line("    " + m.call("pare_temporal_shift") + i32(eb) + ", " + in[0] + ", " + out[0] + ", " +
         i32(s[0]) + ", " + i32(frames) + ", " + i32(c) + ", " + i32(inner) + ", " + i32(fold) +
         ", " + i32(ts.kernelMode()) + ", " + layout + ", &tsm_zero);\n  }\n");
  return success();
}

} // namespace

LogicalResult emitShiftedConv(CModule &m, Operation *op, const Operands &in,
                              ArrayRef<std::string> out) {
  if (m.inTile)
    return m.unsupported(op, "a convolution through a temporal shift inside a patch stage");
  std::optional<int64_t> framesAttr = attrs::getShiftFrames(op), foldAttr = attrs::getShiftFold(op);
  std::optional<StringRef> modeAttr = attrs::getShiftMode(op);
  if (!framesAttr || !foldAttr || !modeAttr)
    return m.unsupported(op, "pare.shift_frames needs pare.shift_fold (i64) and pare.shift_mode "
                             "(string)");
  int kernelMode = TemporalShiftOp::kernelMode(*modeAttr);
  if (kernelMode < 0)
    return m.unsupported(op, "pare.shift_mode must be bidirectional, bidirectional_reversed or "
                             "unidirectional");
  bool bi = kernelMode > 0;
  Value x = op->getOperand(0), w = op->getOperand(1), y = op->getResult(0);
  Value bias = op->getNumOperands() > 2 ? op->getOperand(2) : Value();
  Shape xs = shapeOf(x), ws = shapeOf(w), ys = shapeOf(y);
  auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
  auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
  auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
  int64_t group = op->getAttrOfType<IntegerAttr>("group").getInt();
  if (!op->hasAttr("channels_last") || xs.size() != 4)
    return m.unsupported(op, "a convolution through a temporal shift must be NHWC 2-D");
  if (ws[1] != 1 || ws[2] != 1 || s[0] != 1 || s[1] != 1 || group != 1 ||
      llvm::any_of(p, [](int64_t v) { return v != 0; }) || ys[1] != xs[1] || ys[2] != xs[2])
    return m.unsupported(op, "a convolution through a temporal shift must be 1x1, stride 1, "
                             "unpadded, group 1");
  bool depthwise =
      isa<ConvOp>(op) ? cast<ConvOp>(op).isDepthwise() : cast<QConvOp>(op).isDepthwise();
  if (depthwise)
    return m.unsupported(op, "a depthwise convolution through a temporal shift");
  int64_t nt = xs[0], h = xs[1], wd = xs[2], c = xs[3], oc = ys[3];
  int64_t frames = *framesAttr, fold = *foldAttr;
  if (frames < 1 || nt % frames != 0 || fold < 0 || (bi ? 2 * fold : fold) > c)
    return m.unsupported(op, "shift attributes that do not fit the input (" + i32(nt) +
                                 " frames in clips of " + i32(frames) + ", fold " + i32(fold) +
                                 " of " + i32(c) + " channels)");
  std::optional<int64_t> scratchAttr = attrs::getScratchOffset(op);
  if (!scratchAttr)
    return op->emitError("internal: no scratch for the shifted row (run pare-plan-memory)");
  Type et = elemOf(x);
  std::string ct = cType(et);
  int64_t eb = elemBytes(et);
  int64_t rowBytes = (wd * c * eb + 15) / 16 * 16; // MemoryPlan scratchBytes
  int64_t off = *scratchAttr;
  std::string layer = sanitizeIdentifier(nodeName(op));
  std::string yRow =
      out[0] + " + ((size_t)tsm_f * " + i32(h) + " + (size_t)tsm_r) * " + i32(wd * oc);

  // The convolution of one row: [1][1][W][C] -> [1][1][W][OC], as the layer's
  // own kernel would compute it (same kernel, weights and arithmetic).
  std::string call;
  if (auto c8 = dyn_cast<QConvOp>(op)) {
    if (planning::usesGenericInt8Kernel(op))
      return m.unsupported(op, "a convolution through a temporal shift on the generic int8 path "
                               "(ONNX rounding, asymmetric weights or an i32 result)");
    auto xp = *qtype::params(x.getType()), wp = *qtype::params(w.getType()),
         yp = *qtype::params(y.getType());
    std::vector<std::string> ms, ss;
    for (int64_t ch = 0; ch < oc; ++ch) {
      int32_t mul, sh;
      qmath::quantizeMultiplier(xp.scale() * wp.scale(size_t(ch)) / yp.scale(), mul, sh);
      ms.push_back(std::to_string(mul));
      ss.push_back(std::to_string(sh));
    }
    std::string mult = m.constArray(layer + "_multiplier", "int32_t", ms,
                                    layer + ": requantization multipliers (Q31)");
    std::string shift =
        m.constArray(layer + "_shift", "int32_t", ss, layer + ": requantization shifts");
    auto [lo, hi] = int8Clamp(op, y);
    std::string lit = "1, 1, " + i32(wd) + ", " + i32(c) + ", " + i32(xp.zeroPoint());
    std::string tail = i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
    std::string geom = "1, 1, 1, 1, " + i32(d[0]) + ", " + i32(d[1]) + ", 0, 0";
    std::string wn = in[1], bn = bias ? in[2] : std::string("NULL");
    std::string saved = m.body;
    m.body.clear();
    m.kernelCall("pare_conv2d_s8", layer,
                 {{"const int8_t *", "tsm_row"},
                  {"int8_t *", yRow},
                  {"int16_t *", "(int16_t *)(arena + " + i32(off + rowBytes) + ")"}},
                 [&](const std::vector<std::string> &q) {
                   return q[0] + ", " + lit + ",\n      " + wn + ", " + bn + ", " + mult + ", " +
                          shift + ",\n      " + tail + ", " + q[1] + ", 1, " + i32(wd) + ", " +
                          i32(oc) + ", " + geom + ", " + q[2];
                 });
    call = m.body;
    m.body = saved;
    (void)c8;
  } else {
    ActArgs a = fusedActivation(op);
    // As a plain conv: packed weights where padding the output channels to
    // a multiple of 16 costs at most a quarter more.
    int64_t padded = (oc + kConvOCB - 1) / kConvOCB * kConvOCB;
    bool packed = matchPattern(w, m_Constant()) && padded * 4 <= oc * 5;
    std::string wname = packed ? m.weight(w, {}, WeightLayout::ConvPacked, 1) : in[1];
    call = "  " + m.call(std::string("pare_conv2d") + (packed ? "_packed" : "") + "_f32") +
           "tsm_row, 1, 1, " + i32(wd) + ", " + i32(c) + ",\n      " + wname + ", " +
           (bias ? in[2] : "NULL") + ",\n      " + yRow + ", 1, " + i32(wd) + ", " + i32(oc) +
           ", 1, 1, 1, 1, " + i32(d[0]) + ", " + i32(d[1]) + ", 0, 0, 1,\n      " + a.kind + ", " +
           a.a + ", " + a.b + ");\n";
  }
  m.line("  /* input read through a " + modeAttr->str() + " temporal shift (" + i32(fold) +
         " channel" + (fold == 1 ? "" : "s") + (bi ? " each way" : "") + ", clips of " +
         i32(frames) +
         " frames), never stored:\n   * each shifted row is gathered into scratch and "
         "convolved alone (1 x " +
         i32(wd) + ") */\n");
  m.line("  {\n    static const " + ct + " tsm_zero = " + shiftZeroLiteral(et) + ";\n    " + ct +
         " *tsm_row = (" + ct + " *)(arena + " + i32(off) + ");\n    int tsm_f, tsm_r;\n");
  m.line("    for (tsm_f = 0; tsm_f < " + i32(nt) + "; ++tsm_f)\n      for (tsm_r = 0; tsm_r < " +
         i32(h) + "; ++tsm_r) {\n");
  m.line("        " + m.call("pare_temporal_shift_row") + i32(eb) + ", " + in[0] +
         ", tsm_row, tsm_f, " + i32(frames) + ", " + i32(h) + ", " + i32(wd) + ", " + i32(c) +
         ", tsm_r, " + i32(fold) + ", " + i32(kernelMode) + ", &tsm_zero);\n");
  for (llvm::StringRef l : llvm::split(llvm::StringRef(call).rtrim('\n'), '\n'))
    m.line("      " + l.str() + "\n");
  m.line("      }\n  }\n");
  return success();
}

void registerTemporalShiftOps(OpTable &table) {
  // Shifting int8 values needs no int8 kernel, but the int8 path's header
  // declares the kernels the rest of such a model calls.
  table.addInt8<TemporalShiftOp>(emitTemporalShift, [](Operation *op) {
    return qtype::isQuantized(op->getOperand(0).getType());
  });
  table.add<TemporalShiftOp>(emitTemporalShift);
}

} // namespace pare::codegen
