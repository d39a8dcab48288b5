//===- COpsInt8.cpp - C emitters: int8 ops --------------------------------===//
//
// The int8 ops and pools on int8 tensors (runtime-stubs/c/pare_kernels_s8.h).
// Two arithmetics: the TFLite / CMSIS-NN contract (Q31 multipliers) and
// onnxruntime's (float32 requantization, ties to even) for models that
// arrive quantized with ONNX rounding. Convolutions and fully connected
// layers run on per-layer specialised kernels in either (see
// CModule::kernelCall; "<kernel>_onnx" for onnxruntime's), or on the generic
// kernels (int32 accumulators requantized in float32) for asymmetric
// weights, i32 results and the layers usesOnnxFastKernel turns away.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CModule.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/QuantMath.h"
#include "dialects/Pare/IR/QuantUtils.h"
#include "dialects/Pare/IR/ResizeTaps.h"

#include "mlir/IR/Matchers.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace pare::codegen {

using shape::Shape;

namespace {

qtype::Params params(Value v) { return *qtype::params(v.getType()); }

/// Q31 multiplier and shift of a real scale.
std::pair<int32_t, int32_t> multShift(double real) {
  int32_t mul, shift;
  qmath::quantizeMultiplier(real, mul, shift);
  return std::make_pair(mul, shift);
}

} // namespace

/// Output clamp of a fused relu / clip in the int8 output's quantization.
std::pair<int64_t, int64_t> int8Clamp(Operation *op, Value result) {
  int64_t lo = -128, hi = 127;
  auto p = *qtype::params(result.getType());
  if (auto act = op->getAttrOfType<StringAttr>("activation")) {
    double a = 0, b = INFINITY;
    if (act.getValue() == "clip") {
      auto ps = op->getAttrOfType<DenseF32ArrayAttr>("activation_params").asArrayRef();
      a = ps[0];
      b = ps[1];
    }
    // Quantized as onnxruntime quantizes the clipped float (float32 division,
    // ties to even), clamped in double before any conversion to an integer:
    // a bound of -inf or a huge quotient must not overflow int64.
    auto level = [&](double bound, int64_t fallback) -> int64_t {
      double q = double(p.zeroPoint()) + double(std::nearbyint(float(bound) / float(p.scale())));
      if (std::isnan(q))
        return fallback;
      return q <= -128.0 ? -128 : q >= 127.0 ? 127 : int64_t(q);
    };
    lo = std::max<int64_t>(lo, level(a, -128));
    if (!std::isnan(b))
      hi = std::min<int64_t>(hi, level(b, 127));
    if (hi < lo) // min > max: every output is max (ONNX: min(max(x, lo), hi))
      lo = hi;
  }
  return std::make_pair(lo, hi);
}

/// pare_add_s8's arguments after the rank: TFLite ADD's shifts, zero points,
/// multipliers and the fused clamp.
std::string qaddArgs(Operation *op) {
  auto ap = *qtype::params(op->getOperand(0).getType());
  auto bp = *qtype::params(op->getOperand(1).getType());
  auto yp = *qtype::params(op->getResult(0).getType());
  auto [lo, hi] = int8Clamp(op, op->getResult(0));
  double twiceMax = 2.0 * std::max(ap.scale(), bp.scale());
  auto [am, ash] = multShift(ap.scale() / twiceMax);
  auto [bm, bsh] = multShift(bp.scale() / twiceMax);
  auto [ym, ysh] = multShift(twiceMax / (double(1 << qmath::kAddLeftShift) * yp.scale()));
  return i32(qmath::kAddLeftShift) + ",\n      " + i32(ap.zeroPoint()) + ", " + i32(am) + ", " +
         i32(ash) + ", " + i32(bp.zeroPoint()) + ", " + i32(bm) + ", " + i32(bsh) + ",\n      " +
         i32(yp.zeroPoint()) + ", " + i32(ym) + ", " + i32(ysh) + ", " + i32(lo) + ", " + i32(hi);
}

std::string qaddOnnxArgs(Operation *op) {
  auto ap = *qtype::params(op->getOperand(0).getType());
  auto bp = *qtype::params(op->getOperand(1).getType());
  auto yp = *qtype::params(op->getResult(0).getType());
  auto [lo, hi] = int8Clamp(op, op->getResult(0));
  float as = float(ap.scale()), bs = float(bp.scale()), ys = float(yp.scale());
  return floatLiteral(as / ys) + ", " + i32(ap.zeroPoint()) + ", " + floatLiteral(bs / ys) + ", " +
         i32(bp.zeroPoint()) + ", " + i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
}

namespace {

/// The op's scratch in the arena (pare.scratch_offset), or NULL.
std::string scratchOf(Operation *op) {
  if (std::optional<int64_t> a = attrs::getScratchOffset(op))
    return "(arena + " + std::to_string(*a) + ")";
  return "NULL";
}

/// Per-channel requantization arrays of a conv / fully connected layer;
/// returns how many entries they have.
size_t requantArrays(CModule &m, Operation *op, const std::string &layer, Value x, Value w, Value y,
                     int64_t channels, std::string &mult, std::string &shift) {
  auto xp = params(x), wp = params(w), yp = params(y);
  std::vector<std::string> ms, ss;
  // Conv kernels read one multiplier per output channel: a per-tensor
  // weight repeats its one (fully connected takes a per_channel flag).
  size_t n = wp.perTensor() && isa<QFullyConnectedOp>(op) ? 1 : size_t(channels);
  for (size_t c = 0; c < n; ++c) {
    auto [mul, sh] = multShift(xp.scale() * wp.scale(c) / yp.scale());
    ms.push_back(std::to_string(mul));
    ss.push_back(std::to_string(sh));
  }
  mult = m.constArray(layer + "_multiplier", "int32_t", ms,
                      layer + ": requantization multipliers (Q31)");
  shift = m.constArray(layer + "_shift", "int32_t", ss, layer + ": requantization shifts");
  return n;
}

/// Float scales of the generic path and of the ONNX-rounding fast kernels:
/// x_scale * w_scale[c] / y_scale, and their count (one for a per-tensor
/// weight unless `perChannel`: the conv kernels read one per channel).
std::pair<std::string, size_t> floatScales(CModule &m, const std::string &layer, Value x, Value w,
                                           Value y, int64_t channels, bool perChannel = false) {
  auto xp = params(x), wp = params(w), yp = params(y);
  std::vector<std::string> v;
  size_t n = wp.perTensor() && !perChannel ? 1 : size_t(channels);
  for (size_t c = 0; c < n; ++c) // in float32, in onnxruntime's order
    v.push_back(floatLiteral(float(float(xp.scale()) * float(wp.scale(c))) / float(yp.scale())));
  return std::make_pair(
      m.constArray(layer + "_scale", "float", v, layer + ": requantization scales"), n);
}

/// The weight zero points of the generic path, and their count.
std::pair<std::string, size_t> zeroPoints(CModule &m, const std::string &layer, Value w) {
  auto wp = params(w);
  std::vector<std::string> v;
  for (int64_t z : wp.zeroPoints)
    v.push_back(std::to_string(z));
  return std::make_pair(
      m.constArray(layer + "_w_zero_point", "int32_t", v, layer + ": weight zero points"),
      v.size());
}

/// A constant weight in another layout, or "" when `w` is not constant.
std::string constWeight(CModule &m, Value w, WeightLayout layout) {
  Value root = planning::storageRoot(w);
  if (!matchPattern(root, m_Constant()))
    return "";
  return m.weight(root, {}, layout);
}

/// Operand `i` (`v`, which may be absent) or NULL.
std::string bindNull(Value v, const Operands &in, size_t i) {
  return v ? in[i] : std::string("NULL");
}

/// A fused relu / clip after float requantization: clamp through a table.
void clampTable(CModule &m, Operation *op, const std::string &layer, Value result,
                const std::string &ptr) {
  auto [lo, hi] = int8Clamp(op, result);
  if (lo == -128 && hi == 127)
    return;
  std::vector<std::string> v;
  for (int q = -128; q < 128; ++q)
    v.push_back(std::to_string(std::min<int64_t>(hi, std::max<int64_t>(lo, q))));
  std::string table = m.constArray(layer + "_clamp_table", "int8_t", v,
                                   layer + ": fused activation as an int8 clamp table");
  m.line("  " + m.call("pare_lut_s8") + ptr + ", " + ptr + ", " + i32(numel(result)) + ", " +
         table + ");\n");
}

/// int32 accumulators -> int8 in float32 (generic path), then the fused
/// clamp; `channels` is the innermost (output channel) dim.
void requantizeAcc(CModule &m, Operation *op, const std::string &layer, const std::string &acc,
                   const std::string &bias, Value x, Value w, Value y, int64_t channels,
                   const std::string &dst) {
  auto [scales, n] = floatScales(m, layer, x, w, y, channels);
  m.line("  " + m.call("pare_requantize_acc_s8") + acc + ", " + bias + ", " + scales + ", " +
         i32(n) + ", " + i32(channels) + ", " + i32(numel(y)) + ", " + i32(params(y).zeroPoint()) +
         ", " + dst + ");\n");
  clampTable(m, op, layer, y, dst);
}

/// Per channel: one per-tensor call per channel slice, in a loop over the
/// dims before and after the channel axis.
void perChannel(CModule &m, const std::string &layer, const std::string &kernel, Value q,
                const std::string &src, const std::string &dst) {
  auto p = params(q);
  Shape sh = shapeOf(q);
  int64_t outer = 1, inner = 1, ch = sh[p.axis];
  for (int64_t d = 0; d < p.axis; ++d)
    outer *= sh[d];
  for (size_t d = p.axis + 1; d < sh.size(); ++d)
    inner *= sh[d];
  std::vector<std::string> sc, zp;
  for (int64_t c = 0; c < ch; ++c) {
    sc.push_back(floatLiteral(float(p.scale(c))));
    zp.push_back(std::to_string(p.zeroPoint(c)));
  }
  std::string scales = m.constArray(layer + "_scale", "float", sc, layer + ": scale per channel");
  std::string zps =
      m.constArray(layer + "_zero_point", "int32_t", zp, layer + ": zero point per channel");
  m.line("  {\n    size_t o, c;\n    for (o = 0; o < " + i32(outer) +
         "; ++o)\n      for (c = 0; c < " + i32(ch) + "; ++c)\n        " + m.call(kernel) + src +
         " + (o * " + i32(ch) + " + c) * " + i32(inner) + ", " + dst + " + (o * " + i32(ch) +
         " + c) * " + i32(inner) + ", " + i32(inner) + ", " + scales + "[c], " + zps +
         "[c]);\n  }\n");
}

/// int8 convolution: per-layer TFLite-contract kernels (depthwise one channel
/// at a time), or int32 accumulation and float requantization (generic).
LogicalResult emitQConv(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto c = cast<QConvOp>(op);
  std::string layer = sanitizeIdentifier(nodeName(op)), scratch = scratchOf(op);
  if (!c.getChannelsLast())
    return m.unsupported(op, "NCHW convolution (run pare-convert-to-nhwc)");
  if (attrs::hasShiftFrames(op)) // reads through a temporal shift
    return emitShiftedConv(m, op, in, out);
  Shape x = shapeOf(c.getInput()), w = shapeOf(c.getWeight()), os = shapeOf(c.getOutput());
  auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
  auto xp = params(c.getInput());
  std::string geom = i32(w[1]) + ", " + i32(w[2]) + ", " + i32(s[0]) + ", " + i32(s[1]) + ", " +
                     i32(d[0]) + ", " + i32(d[1]) + ", " + m.geo(p[0], "pad_top") + ", " +
                     m.geo(p[1], "pad_left");
  if (planning::usesFastInt8Kernel(op)) {
    // TFLite's Q31 requantization, or onnxruntime's float32 one (ONNX
    // rounding) in the same kernels: "<kernel>_onnx", one scale per channel
    // in place of the multiplier and shift arrays.
    bool onnx = planning::usesOnnxFastKernel(op);
    auto [lo, hi] = int8Clamp(op, c.getOutput());
    std::string mult, shift;
    if (onnx)
      mult = floatScales(m, layer, c.getInput(), c.getWeight(), c.getOutput(), w[0], true).first;
    else
      requantArrays(m, op, layer, c.getInput(), c.getWeight(), c.getOutput(), w[0], mult, shift);
    std::string rq = onnx ? mult : mult + ", " + shift;
    std::string sfx = onnx ? "_onnx" : "";
    std::string bias = bindNull(c.getBias(), in, 2);
    auto yp = params(c.getOutput());
    if (c.isDepthwise()) {
      std::string wn = constWeight(m, c.getWeight(), WeightLayout::DepthwiseHWC);
      if (wn.empty())
        return m.unsupported(op, "a depthwise convolution with non-constant weights");
      std::string lit = i32(x[0]) + ", " + m.geo(x[1], "ih") + ", " + m.geo(x[2], "iw") + ", " +
                        i32(x[3]) + ", " + i32(xp.zeroPoint());
      std::string tail = i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
      // One channel at a time through a padded channel copy in scratch:
      // faster than the NHWC kernel (no bounds checks in the inner loop),
      // and the output may overwrite the input (pare.in_place).
      m.kernelCall(
          "pare_depthwise_conv2d_s8_inplace" + sfx, layer,
          {{"const int8_t *", in[0]}, {"int8_t *", out[0]}, {"int16_t *", "(int16_t *)" + scratch}},
          [&](const std::vector<std::string> &p) {
            return p[0] + ", " + lit + ",\n      " + wn + ", " + bias + ", " + rq +
                   ",\n      " + tail + ", " + p[1] + ", " + m.geo(os[1], "oh") + ", " +
                   m.geo(os[2], "ow") + ", " + geom + ", " + p[2];
          });
      return success();
    }
    std::string lit = i32(x[0]) + ", " + m.geo(x[1], "ih") + ", " + m.geo(x[2], "iw") + ", " +
                      i32(x[3]) + ", " + i32(xp.zeroPoint());
    std::string tail = i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
    std::string wn = in[1];
    m.kernelCall(
        "pare_conv2d_s8" + sfx, layer,
        {{"const int8_t *", in[0]}, {"int8_t *", out[0]}, {"int16_t *", "(int16_t *)" + scratch}},
        [&](const std::vector<std::string> &p) {
          return p[0] + ", " + lit + ",\n      " + wn + ", " + bias + ", " + rq +
                 ",\n      " + tail + ", " + p[1] + ", " + m.geo(os[1], "oh") + ", " +
                 m.geo(os[2], "ow") + ", " + i32(os[3]) + ", " + geom + ", " + p[2];
        });
    return success();
  }
  bool i32Out = !qtype::isQuantized(c.getOutput().getType());
  if (op->getAttr("activation") && i32Out)
    return m.unsupported(op, "a fused activation on an i32 result");
  std::string acc = i32Out ? out[0] : "(int32_t *)" + scratch;
  auto [wzp, wzpCount] = zeroPoints(m, layer, c.getWeight());
  m.line("  " + m.call("pare_conv2d_acc_s8") + in[0] + ", " + i32(x[0]) + ", " + i32(x[1]) + ", " +
         i32(x[2]) + ", " + i32(x[3]) + ", " + i32(xp.zeroPoint()) + ",\n      " + in[1] + ", " +
         wzp + ", " + i32(wzpCount) + ", " + acc + ", " + i32(os[1]) + ", " + i32(os[2]) + ", " +
         i32(os[3]) + ", " + geom + ", " + i32(int64_t(c.getGroup())) + ");\n");
  if (!i32Out)
    requantizeAcc(m, op, layer, acc, bindNull(c.getBias(), in, 2), c.getInput(), c.getWeight(),
                  c.getOutput(), w[0], out[0]);
  return success();
}

/// int8 transposed convolution (TFLite TRANSPOSE_CONV arithmetic).
LogicalResult emitQConvTranspose(CModule &m, Operation *op, const Operands &in,
                                 ArrayRef<std::string> out) {
  auto c = cast<QConvTransposeOp>(op);
  std::string layer = sanitizeIdentifier(nodeName(op));
  if (!c.getChannelsLast())
    return m.unsupported(op, "NCHW transposed convolution (run pare-convert-to-nhwc)");
  Shape x = shapeOf(c.getInput()), w = shapeOf(c.getWeight()), os = shapeOf(c.getOutput());
  auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
  auto xp = params(c.getInput()), yp = params(c.getOutput());
  auto [lo, hi] = int8Clamp(op, c.getOutput());
  std::string mult, shift;
  requantArrays(m, op, layer, c.getInput(), c.getWeight(), c.getOutput(), os[3], mult, shift);
  m.line("  " + m.call("pare_conv_transpose2d_s8") + in[0] + ", " + i32(x[0]) + ", " + i32(x[1]) +
         ", " + i32(x[2]) + ", " + i32(x[3]) + ", " + i32(xp.zeroPoint()) + ",\n      " + in[1] +
         ", " + bindNull(c.getBias(), in, 2) + ", " + mult + ", " + shift + ",\n      " +
         i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi) + ", " + out[0] +
         ", /* out h, w, c */ " + i32(os[1]) + ", " + i32(os[2]) + ", " + i32(os[3]) +
         ",\n      " + windowArgs(i32(w[1]), i32(w[2]), s, d, i32(p[0]), i32(p[1])) + ");\n");
  return success();
}

/// int8 fully connected (Gemm / MatMul with constant weights).
LogicalResult emitQFullyConnected(CModule &m, Operation *op, const Operands &in,
                                  ArrayRef<std::string> out) {
  auto fc = cast<QFullyConnectedOp>(op);
  std::string layer = sanitizeIdentifier(nodeName(op)), scratch = scratchOf(op);
  Shape x = shapeOf(fc.getInput()), w = shapeOf(fc.getWeight());
  auto xp = params(fc.getInput());
  if (planning::usesFastInt8Kernel(op)) {
    // TFLite's requantization, or onnxruntime's float32 one (ONNX rounding).
    bool onnx = planning::usesOnnxFastKernel(op);
    auto [lo, hi] = int8Clamp(op, fc.getOutput());
    std::string mult, shift, rq;
    size_t n;
    if (onnx) {
      std::tie(rq, n) =
          floatScales(m, layer, fc.getInput(), fc.getWeight(), fc.getOutput(), w[0]);
    } else {
      n = requantArrays(m, op, layer, fc.getInput(), fc.getWeight(), fc.getOutput(), w[0], mult,
                        shift);
      rq = mult + ", " + shift;
    }
    std::string lit = i32(x[0]) + ", " + i32(x[1]) + ", " + i32(xp.zeroPoint());
    std::string rest = in[1] + ", " + bindNull(fc.getBias(), in, 2) + ", " + rq + ", " +
                       (n > 1 ? "1" : "0") + ",\n      " +
                       i32(params(fc.getOutput()).zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
    m.kernelCall(onnx ? "pare_fully_connected_s8_onnx" : "pare_fully_connected_s8", layer,
                 {{"const int8_t *", in[0]}, {"int8_t *", out[0]}},
                 [&](const std::vector<std::string> &p) {
                   return p[0] + ", " + lit + ",\n      " + rest + ", " + p[1] + ", " + i32(w[0]);
                 });
    return success();
  }
  bool i32Out = !qtype::isQuantized(fc.getOutput().getType());
  if (op->getAttr("activation") && i32Out)
    return m.unsupported(op, "a fused activation on an i32 result");
  std::string acc = i32Out ? out[0] : "(int32_t *)" + scratch;
  auto [wzp, wzpCount] = zeroPoints(m, layer, fc.getWeight());
  m.line("  " + m.call("pare_matmul_acc_s8") + in[0] + ", " + i32(xp.zeroPoint()) + ", " + in[1] +
         ", " + wzp + ", " + i32(wzpCount) + ", " + acc + ",\n      " + i32(x[0]) + ", " +
         i32(w[0]) + ", " + i32(x[1]) + ", " + i32(x[1]) + ", 1, 1, " + i32(x[1]) +
         ", NULL, 0, NULL, NULL);\n");
  if (!i32Out)
    requantizeAcc(m, op, layer, acc, bindNull(fc.getBias(), in, 2), fc.getInput(), fc.getWeight(),
                  fc.getOutput(), w[0], out[0]);
  return success();
}

/// int8 matmul of two tensors (QLinearMatMul): int32 accumulation, float
/// requantization.
LogicalResult emitQMatMul(CModule &m, Operation *op, const Operands &in,
                          ArrayRef<std::string> out) {
  auto mm = cast<QMatMulOp>(op);
  std::string layer = sanitizeIdentifier(nodeName(op)), scratch = scratchOf(op);
  auto g = *shape::matmulGeometry(shapeOf(mm.getA()), shapeOf(mm.getB()));
  int64_t rows = g.m, k = g.k, n = g.n;
  bool i32Out = !qtype::isQuantized(mm.getOutput().getType());
  std::string acc = i32Out ? out[0] : "(int32_t *)" + scratch;
  auto [bzp, bzpCount] = zeroPoints(m, layer, mm.getB());
  m.line("  {\n");
  auto [bshape, astr, bstr] = m.batchArrays(g);
  m.line("    " + m.call("pare_matmul_acc_s8") + in[0] + ", " + i32(params(mm.getA()).zeroPoint()) +
         ", " + in[1] + ", " + bzp + ", " + i32(bzpCount) + ", " + acc + ",\n        " + i32(rows) +
         ", " + i32(n) + ", " + i32(k) + ", " + i32(k) + ", 1, " + i32(n) + ", 1, " + bshape +
         ", " + i32(g.batch.size()) + ", " + astr + ", " + bstr + ");\n");
  if (!i32Out) {
    auto [scales, cnt] = floatScales(m, layer, mm.getA(), mm.getB(), mm.getOutput(), n);
    m.line("    " + m.call("pare_requantize_acc_s8") + acc + ", NULL, " + scales + ", " + i32(cnt) +
           ", " + i32(n) + ", " + i32(numel(mm.getOutput())) + ", " +
           i32(params(mm.getOutput()).zeroPoint()) + ", " + out[0] + ");\n");
  }
  m.line("  }\n");
  return success();
}

/// int8 add / mul with broadcasting: TFLite arithmetic, or onnxruntime's
/// under ONNX rounding.
LogicalResult emitQAddMul(CModule &m, Operation *op, const Operands &in,
                          ArrayRef<std::string> out) {
  std::string layer = sanitizeIdentifier(nodeName(op)), scratch = scratchOf(op);
  Value a = op->getOperand(0), b = op->getOperand(1), y = op->getResult(0);
  auto ap = params(a), bp = params(b), yp = params(y);
  auto [lo, hi] = int8Clamp(op, y);
  Shape shape = shapeOf(y);
  if (shape.size() > 8)
    return m.unsupported(op, "tensors of rank > 8");
  if (shape.empty())
    shape = {1};
  std::string prelude =
      CModule::staticArray("shape", shape) +
      CModule::staticArray("a_strides", shape::broadcastStrides(shapeOf(a), shape)) +
      CModule::staticArray("b_strides", shape::broadcastStrides(shapeOf(b), shape));
  std::string rank = i32(shape.size());
  std::vector<std::pair<std::string, std::string>> ptrs = {
      {"const int8_t *", in[0]}, {"const int8_t *", in[1]}, {"int8_t *", out[0]}};
  // ONNX rounding (models that arrive quantized): onnxruntime's QLinearAdd /
  // QLinearMul arithmetic, float32 ratios rounded half to even.
  if (attrs::usesOnnxRounding(op)) {
    float as = float(ap.scale()), bs = float(bp.scale()), ys = float(yp.scale());
    std::string q = isa<QAddOp>(op) ? qaddOnnxArgs(op)
                                    : i32(ap.zeroPoint()) + ", " + i32(bp.zeroPoint()) + ", " +
                                          floatLiteral(float(as * bs) / ys) + ", " +
                                          i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
    m.kernelCall(
        isa<QAddOp>(op) ? "pare_add_s8_onnx" : "pare_mul_s8_onnx", layer, ptrs,
        [&](const std::vector<std::string> &p) {
          return p[0] + ", a_strides, " + p[1] + ", b_strides, " + p[2] + ", shape, " + rank +
                 ",\n      " + q;
        },
        prelude);
    return success();
  }
  if (isa<QAddOp>(op)) {
    std::string q = qaddArgs(op);
    m.kernelCall(
        "pare_add_s8", layer, ptrs,
        [&](const std::vector<std::string> &p) {
          return p[0] + ", a_strides, " + p[1] + ", b_strides, " + p[2] + ", shape, " + rank +
                 ", " + q;
        },
        prelude);
  } else {
    auto [mul, sh] = multShift(ap.scale() * bp.scale() / yp.scale());
    std::string q = i32(ap.zeroPoint()) + ", " + i32(bp.zeroPoint()) + ", " + i32(mul) + ", " +
                    i32(sh) + ", " + i32(yp.zeroPoint()) + ", " + i32(lo) + ", " + i32(hi);
    m.kernelCall(
        "pare_mul_s8", layer, ptrs,
        [&](const std::vector<std::string> &p) {
          return p[0] + ", a_strides, " + p[1] + ", b_strides, " + p[2] + ", shape, " + rank +
                 ",\n      " + q;
        },
        prelude);
  }
  return success();
}

/// int8 global average pool (NHWC).
LogicalResult emitQGlobalAveragePool(CModule &m, Operation *op, const Operands &in,
                                     ArrayRef<std::string> out) {
  auto g = cast<QGlobalAveragePoolOp>(op);
  if (!g.getChannelsLast())
    return m.unsupported(op, "NCHW pooling (run pare-convert-to-nhwc)");
  Shape x = shapeOf(g.getInput());
  int64_t spatial = shape::numElements(Shape(x.begin() + 1, x.end() - 1));
  auto xp = params(g.getInput()), yp = params(g.getOutput());
  if (attrs::usesOnnxRounding(op)) {
    // onnxruntime's QLinearGlobalAveragePool: float32 scale, ties to even.
    // Per layer, as the TFLite form: the sizes fold into the loops.
    float scale = float(xp.scale()) / (float(yp.scale()) * float(spatial));
    std::string lit = i32(x[0]) + ", " + i32(spatial) + ", " + i32(x.back()) + ", " +
                      i32(xp.zeroPoint()) + ", " + floatLiteral(scale) + ", " +
                      i32(yp.zeroPoint());
    m.kernelCall("pare_global_avgpool_s8_onnx", sanitizeIdentifier(nodeName(op)),
                 {{"const int8_t *", in[0]}, {"int8_t *", out[0]}},
                 [&](const std::vector<std::string> &p) { return p[0] + ", " + lit + ", " + p[1]; });
    return success();
  }
  // TFLite arithmetic: the sum requantized by the scale ratio alone, then
  // divided by the cell count with rounding (1/spatial folded into the
  // multiplier would round twice: outputs a step off TFLite / CMSIS-NN). Same
  // quantization in and out: AVERAGE_POOL_2D / arm_avgpool_s8, the raw sum
  // divided (zero points 0 and the unit multiplier in the kernel's terms).
  bool same = xp.scale() == yp.scale() && xp.zeroPoint() == yp.zeroPoint();
  auto [mul, sh] = same ? std::pair<int32_t, int32_t>(int32_t(1) << 30, 1)
                        : multShift(xp.scale() / yp.scale());
  int64_t xz = same ? 0 : xp.zeroPoint(), yz = same ? 0 : yp.zeroPoint();
  // Per-layer: the cell count a literal, so the rounding division becomes a
  // multiply.
  std::string lit = i32(x[0]) + ", " + i32(spatial) + ", " + i32(x.back()) + ", " + i32(xz) + ", " +
                    i32(mul) + ", " + i32(sh) + ",\n      " + i32(yz) + ", -128, 127";
  std::string scratch = "(int32_t *)" + scratchOf(op);
  m.kernelCall("pare_global_avgpool_s8", sanitizeIdentifier(nodeName(op)),
               {{"const int8_t *", in[0]}, {"int8_t *", out[0]}},
               [&](const std::vector<std::string> &p) {
                 return p[0] + ", " + lit + ", " + p[1] + ", " + scratch;
               });
  return success();
}

/// int8 softmax: onnxruntime's QLinearSoftmax (LowerQuantized makes int8
/// softmax only under ONNX rounding): its exp table and floor(1 / y_scale).
LogicalResult emitQSoftmax(CModule &m, Operation *op, const Operands &in,
                           ArrayRef<std::string> out) {
  std::string layer = sanitizeIdentifier(nodeName(op));
  Shape x = shapeOf(op->getOperand(0));
  AxisView view = axisView(x, op->getAttrOfType<IntegerAttr>("axis").getInt());
  int64_t d = shape::numElements(x) / std::max<int64_t>(1, view.outer * view.inner);
  auto xp = params(op->getOperand(0));
  std::optional<double> ysAttr = attrs::getOutScale(op);
  std::optional<int64_t> yzAttr = attrs::getOutZeroPoint(op);
  if (!ysAttr || !yzAttr)
    return m.unsupported(op, "an int8 softmax without its output quantization");
  float ys = float(*ysAttr);
  int64_t yz = *yzAttr;
  float xs = float(xp.scale());
  double bitShift = std::log(double(std::numeric_limits<float>::max()) / double(d));
  bitShift = std::max(0.0, bitShift - 5.0) / double(xs);
  std::vector<std::string> t(256);
  for (int i = 0; i < 256; ++i)
    t[uint8_t(i - 128)] =
        floatLiteral(float(std::exp((double(i) - 255.0 + bitShift) * double(xs))));
  std::string table = m.constArray(layer + "_exp_table", "float", t,
                                   layer + ": softmax exp table, indexed by 127 - max + x");
  m.line("  " + m.call("pare_softmax_s8_onnx") + in[0] + ", " + out[0] + ", " + i32(view.outer) +
         ", " + i32(d) + ", " + i32(view.inner) + ", " + table + ", " +
         floatLiteral(std::floor(1.0f / ys)) + ", " + i32(yz) + ");\n");
  return success();
}

/// An int8 -> int8 function through a 256-entry table.
LogicalResult emitLookupTable(CModule &m, Operation *op, const Operands &in,
                              ArrayRef<std::string> out) {
  auto lut = cast<LookupTableOp>(op);
  std::string layer = sanitizeIdentifier(nodeName(op)), scratch = scratchOf(op);
  m.line("  " + m.call("pare_lut_s8") + in[0] + ", " + out[0] + ", " + i32(numel(lut.getOutput())) +
         ", " + m.lutTable(lut, layer) + ");\n");
  return success();
}

/// float32 -> int8, per tensor or per channel.
LogicalResult emitQuantize(CModule &m, Operation *op, const Operands &in,
                           ArrayRef<std::string> out) {
  auto q = cast<QuantizeOp>(op);
  std::string layer = sanitizeIdentifier(nodeName(op));
  auto p = params(q.getOutput());
  if (!p.isSigned || p.bits != 8 || !elemOf(q.getInput()).isF32())
    return m.unsupported(op, "quantization other than float32 -> int8");
  if (!p.perTensor()) {
    perChannel(m, layer, "pare_quantize_f32_s8", q.getOutput(), in[0], out[0]);
    return success();
  }
  m.line("  " + m.call("pare_quantize_f32_s8") + in[0] + ", " + out[0] + ", " +
         i32(numel(q.getOutput())) + ", " + floatLiteral(float(p.scale())) + ", " +
         i32(p.zeroPoint()) + ");\n");
  return success();
}

/// int8 -> float32, per tensor or per channel.
LogicalResult emitDequantize(CModule &m, Operation *op, const Operands &in,
                             ArrayRef<std::string> out) {
  auto dq = cast<DequantizeOp>(op);
  std::string layer = sanitizeIdentifier(nodeName(op));
  auto p = params(dq.getInput());
  if (!p.isSigned || p.bits != 8 || !elemOf(dq.getOutput()).isF32())
    return m.unsupported(op, "dequantization other than int8 -> float32");
  if (!p.perTensor()) {
    perChannel(m, layer, "pare_dequantize_s8_f32", dq.getInput(), in[0], out[0]);
    return success();
  }
  m.line("  " + m.call("pare_dequantize_s8_f32") + in[0] + ", " + out[0] + ", " +
         i32(numel(dq.getOutput())) + ", " + floatLiteral(float(p.scale())) + ", " +
         i32(p.zeroPoint()) + ");\n");
  return success();
}

/// int8 -> int8 with another scale, or uint8 <-> int8 (a flip of the top bit).
LogicalResult emitRequantize(CModule &m, Operation *op, const Operands &in,
                             ArrayRef<std::string> out) {
  auto rq = cast<RequantizeOp>(op);
  auto a = params(rq.getInput()), b = params(rq.getOutput());
  if (a.bits != 8 || b.bits != 8)
    return m.unsupported(op, "requantization of non-8-bit tensors");
  if (a.isSigned != b.isSigned) {
    if (a.scale() != b.scale() || std::abs(a.zeroPoint() - b.zeroPoint()) != 128)
      return m.unsupported(op, "a uint8 <-> int8 conversion that changes the scale");
    m.line("  " + m.call("pare_flip_u8_s8") + in[0] + ", " + out[0] + ", " +
           i32(numel(rq.getOutput())) + ");\n");
    return success();
  }
  if (!a.isSigned)
    return m.unsupported(op, "uint8 requantization");
  if (attrs::usesOnnxRounding(op)) {
    // onnxruntime requantizes as DequantizeLinear -> QuantizeLinear in float32
    // (its QLinearConcat builds the same table): x = float(q - zp) * scale_in,
    // y = nearbyint(x / scale_out) + zp_out. The Q31 multiplier rounds
    // differently near ties, and one tied input value is every element that
    // holds it; 256 inputs make it a table, exact and no slower.
    float si = float(a.scale()), so = float(b.scale());
    std::vector<std::string> v;
    for (int q = -128; q < 128; ++q) {
      float y = std::nearbyint(float(q - a.zeroPoint()) * si / so) + float(b.zeroPoint());
      v.push_back(std::to_string(int(std::min(127.0f, std::max(-128.0f, y)))));
    }
    std::string layer = sanitizeIdentifier(nodeName(op));
    std::string table = m.constArray(layer + "_requantize_table", "int8_t", v,
                                     layer + ": requantization as onnxruntime's, by table");
    m.line("  " + m.call("pare_lut_s8") + in[0] + ", " + out[0] + ", " +
           i32(numel(rq.getOutput())) + ", " + table + ");\n");
    return success();
  }
  auto [mul, sh] = multShift(a.scale() / b.scale());
  m.line("  " + m.call("pare_requantize_s8") + in[0] + ", " + out[0] + ", " +
         i32(numel(rq.getOutput())) + ", " + i32(a.zeroPoint()) + ", " + i32(mul) + ", " + i32(sh) +
         ", " + i32(b.zeroPoint()) + ");\n");
  return success();
}

/// Max / average pool on int8 (NHWC).
LogicalResult emitQPool(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  // max / average pool on int8.
  if (!op->hasAttr("channels_last"))
    return m.unsupported(op, "NCHW pooling (run pare-convert-to-nhwc)");
  Shape x = shapeOf(op->getOperand(0)), os = shapeOf(op->getResult(0));
  auto k = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape").asArrayRef();
  auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
  auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
  auto p = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
  if (d[0] != 1 || d[1] != 1)
    return m.unsupported(op, "dilated int8 pooling");
  bool avg = isa<AveragePoolOp>(op);
  // The arguments of the TFLite-contract kernel (pare_maxpool2d_s8 /
  // pare_avgpool2d_s8).
  std::string args = in[0] + ", " + i32(x[0]) + ", " + m.geo(x[1], "ih") + ", " +
                     m.geo(x[2], "iw") + ", " + i32(x[3]) + ",\n      " + out[0] + ", " +
                     m.geo(os[1], "oh") + ", " + m.geo(os[2], "ow") + ", " + i32(k[0]) + ", " +
                     i32(k[1]) + ", " + i32(s[0]) + ", " + i32(s[1]) + ", " +
                     m.geo(p[0], "pad_top") + ", " + m.geo(p[1], "pad_left") + ", " +
                     m.geo(p[2], "pad_bottom") + ", " + m.geo(p[3], "pad_right");
  if (avg && attrs::hasOutScale(op)) {
    // onnxruntime's QLinearAveragePool (LowerQuantized, ONNX rounding): the
    // output's quantization rides in pare.out_scale / pare.out_zero_point.
    auto xp = params(op->getOperand(0));
    std::optional<double> ys = attrs::getOutScale(op);
    std::optional<int64_t> yz = attrs::getOutZeroPoint(op);
    if (!ys || !yz)
      return m.unsupported(op, "an int8 average pool without its output quantization");
    m.line("  " + m.call("pare_avgpool2d_s8_onnx") + in[0] + ", " + i32(x[0]) + ", " + i32(x[1]) +
           ", " + i32(x[2]) + ", " + i32(x[3]) + ",\n      " + out[0] + ", " + i32(os[1]) + ", " +
           i32(os[2]) + ", " + i32(k[0]) + ", " + i32(k[1]) + ", " + i32(s[0]) + ", " + i32(s[1]) +
           ", " + i32(p[0]) + ", " + i32(p[1]) + ", " +
           (cast<AveragePoolOp>(op).getCountIncludePad() ? "1" : "0") + ",\n      " +
           i32(xp.zeroPoint()) + ", " + floatLiteral(float(xp.scale())) + ", " +
           floatLiteral(float(*ys)) + ", " + i32(*yz) + ", -128, 127);\n");
    return success();
  }
  if (avg)
    args += std::string(", ") + (cast<AveragePoolOp>(op).getCountIncludePad() ? "1" : "0");
  m.line("  " + m.call(std::string("pare_") + (avg ? "avgpool2d" : "maxpool2d") + "_s8") + args +
         ", -128, 127);\n");
  return success();
}

/// An int8 linear resize: TFLite's RESIZE_BILINEAR (pare_resize_bilinear_s8)
/// on the [outer][h][w][inner] view of the two resized dims; the result has
/// the input's quantization (LowerQuantized requantizes after it).
LogicalResult emitQResize(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto r = cast<ResizeOp>(op);
  std::optional<ResizeBilinearS8> g = tfliteBilinear(r);
  if (!g)
    return m.unsupported(op, "an int8 linear resize that TFLite's RESIZE_BILINEAR does not compute "
                             "(more than two or non-adjacent resized dims, a scale other than "
                             "output / input size, a shrinking antialias filter, or a "
                             "coordinate_transformation_mode other than half_pixel, "
                             "pytorch_half_pixel, align_corners or asymmetric)");
  if (qtype::elementOf(r.getInput().getType()) != qtype::elementOf(r.getType()))
    return m.unsupported(op, "an int8 linear resize whose output quantization differs from its "
                             "input's");
  m.line("  " + m.call("pare_resize_bilinear_s8") + in[0] + ", " + out[0] + ", " + i32(g->outer) +
         ", " + i32(g->inH) + ", " + i32(g->inW) + ", " + i32(g->outH) + ", " + i32(g->outW) + ", " +
         i32(g->inner) + ", " + i32(g->scaleH10) + ", " + i32(g->scaleW10) + ", " +
         (g->halfPixelCenters ? "1" : "0") + ");\n");
  return success();
}

} // namespace

void registerInt8Ops(OpTable &table) {
  table.addInt8<QConvOp>(emitQConv);
  table.addInt8<QConvTransposeOp>(emitQConvTranspose);
  table.addInt8<QFullyConnectedOp>(emitQFullyConnected);
  table.addInt8<QMatMulOp>(emitQMatMul);
  table.addInt8<QAddOp, QMulOp>(emitQAddMul);
  table.addInt8<QGlobalAveragePoolOp>(emitQGlobalAveragePool);
  table.addInt8<LookupTableOp>(emitLookupTable);
  table.addInt8<QuantizeOp>(emitQuantize);
  table.addInt8<DequantizeOp>(emitDequantize);
  table.addInt8<RequantizeOp>(emitRequantize);
  // Ops with a float kernel too: these entries take their int8 tensors.
  table.addInt8<SoftmaxOp>(
      emitQSoftmax, [](Operation *op) { return qtype::isQuantized(op->getOperand(0).getType()); });
  table.addInt8<ResizeOp>(emitQResize, [](Operation *op) {
    return qtype::isQuantized(op->getOperand(0).getType()) &&
           cast<ResizeOp>(op).getMode() != "nearest";
  });
  table.addInt8<MaxPoolOp, AveragePoolOp>(emitQPool, [](Operation *op) {
    // QOperator models max-pool raw int8 tensors directly.
    return qtype::isQuantized(op->getOperand(0).getType()) ||
           (isa<MaxPoolOp>(op) && elemOf(op->getOperand(0)).isSignlessInteger(8));
  });
}

} // namespace pare::codegen
