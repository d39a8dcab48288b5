//===- HandlersQuant.cpp - quantized ONNX ops ----------------------------===//
//
// Every quantized form an ONNX model can take is imported as the same thing:
// float computation between explicit quantize / dequantize ops, whose scales
// and zero points live in quant element types. QuantizeLinear and
// DequantizeLinear map one to one; QOperator ops (QLinearConv, QLinearMatMul,
// com.microsoft's QLinearAdd ...) are decomposed into dequantize -> float op ->
// quantize; ConvInteger / MatMulInteger into dequantize (scale 1) -> float op
// -> cast to i32. The LowerQuantized pass later turns these patterns into
// integer ops (pare.qconv, ...), so QDQ models, QOperator models and pare's own
// post-training quantization share one lowering.
//
// ONNX values of quantized tensors stay raw integer tensors (i8 / ui8 / i32),
// as ONNX sees them; `pare.storage_cast` switches between the raw and the
// quantized view and cancels out in pairs.
//
// Scales and zero points must be compile-time constants.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/HandlerUtils.h"

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/QuantUtils.h"

#include <cstdio>

using namespace mlir;

namespace pare::onnx_frontend {
namespace {

/// Zero points (input `i`) as integers in their own signedness: constInts
/// sign-extends, which would read a uint8 zero point 128 as -128.
FailureOr<std::vector<int64_t>> zeroPoints(NodeImporter &ni, size_t i, StringRef what) {
  auto z = ni.constInts(i, (what + " zero point").str());
  if (failed(z))
    return failure();
  if (auto it = dyn_cast<IntegerType>(elemOf(ni.input(i))); it && it.isUnsigned())
    for (int64_t &v : *z)
      v &= int64_t((uint64_t(1) << it.getWidth()) - 1);
  return z;
}

/// The quantized element type described by inputs `scaleIdx` (scale) and
/// `zpIdx` (zero point, optional) of the node, for a tensor of `rank` whose
/// raw element type is `raw` (null: take it from the zero point, default u8).
FailureOr<Type> quantType(NodeImporter &ni, size_t scaleIdx, size_t zpIdx, Type raw, int64_t rank,
                          int64_t axisAttr, StringRef what) {
  auto scales = ni.constFloats(scaleIdx, (what + " scale").str());
  if (failed(scales))
    return failure();
  std::vector<int64_t> zps;
  if (ni.hasInput(zpIdx)) {
    auto z = zeroPoints(ni, zpIdx, what);
    if (failed(z))
      return failure();
    zps = *z;
    if (!raw)
      raw = elemOf(ni.input(zpIdx));
  }
  if (!raw)
    raw = ni.builder().getIntegerType(8, /*isSigned=*/false);
  auto it = dyn_cast<IntegerType>(raw);
  if (!it || (it.getWidth() != 8 && it.getWidth() != 32)) {
    (void)ni.error(what + ": quantized type must be int8, uint8 or int32, got " +
                   llvm::Twine(raw ? "another type" : "none"));
    return failure();
  }
  bool isSigned = !it.isUnsigned();
  if (scales->empty()) {
    (void)ni.error(what + ": the scale tensor is empty");
    return failure();
  }
  if (zps.empty())
    zps.assign(scales->size(), 0);
  if (zps.size() != scales->size()) {
    (void)ni.error(what + ": " + llvm::Twine(scales->size()) + " scales but " +
                   llvm::Twine(zps.size()) + " zero points");
    return failure();
  }
  for (double s : *scales)
    if (!(s > 0) || !std::isfinite(s)) {
      (void)ni.error(what + ": scales must be positive and finite, got " +
                     llvm::Twine(std::to_string(s)));
      return failure();
    }
  if (it.getWidth() == 32)
    for (int64_t z : zps)
      if (z != 0) {
        (void)ni.error(what + ": an int32 zero point must be 0, not " + llvm::Twine(z) +
                       " (onnxruntime refuses DequantizeLinear of int32 with a zero point)");
        return failure();
      }
  int64_t lo = isSigned ? -(int64_t(1) << (it.getWidth() - 1)) : 0;
  int64_t hi =
      isSigned ? (int64_t(1) << (it.getWidth() - 1)) - 1 : (int64_t(1) << it.getWidth()) - 1;
  for (int64_t z : zps)
    if (z < lo || z > hi) {
      (void)ni.error(what + ": zero point " + llvm::Twine(z) + " is out of range");
      return failure();
    }
  if (scales->size() == 1)
    return Type(qtype::perTensor(ni.ctx(), (*scales)[0], zps[0], isSigned, it.getWidth()));
  auto axis = normAxis(ni, axisAttr, rank);
  if (failed(axis))
    return failure();
  return Type(qtype::perAxis(ni.ctx(), *scales, zps, int32_t(*axis), isSigned, it.getWidth()));
}

/// Quantized view of a raw integer value.
Value asQuant(NodeImporter &ni, Value raw, Type q) {
  return pare::StorageCastOp::create(ni.builder(), ni.getLoc(),
                                     qtype::withElement(raw.getType(), q), raw);
}

/// Raw integer view of a quantized value.
Value asRaw(NodeImporter &ni, Value q) {
  auto p = *qtype::params(q.getType());
  Type raw = p.isSigned ? ni.builder().getIntegerType(p.bits)
                        : ni.builder().getIntegerType(p.bits, /*isSigned=*/false);
  return pare::StorageCastOp::create(ni.builder(), ni.getLoc(),
                                     qtype::withElement(q.getType(), raw), q);
}

/// dequantize(raw value) with the parameters of inputs scaleIdx / zpIdx.
FailureOr<Value> dequantize(NodeImporter &ni, Value raw, size_t scaleIdx, size_t zpIdx,
                            int64_t axis, StringRef what) {
  if (!isa<IntegerType>(elemOf(raw))) {
    (void)ni.error(what + " must be an integer tensor, got a float one");
    return failure();
  }
  auto q = quantType(ni, scaleIdx, zpIdx, elemOf(raw), shapeOf(raw).size(), axis, what);
  if (failed(q))
    return failure();
  if (qtype::params(*q)->bits != elemOf(raw).getIntOrFloatBitWidth()) {
    (void)ni.error(what + ": zero point type differs from the tensor's type");
    return failure();
  }
  Value qv = asQuant(ni, raw, *q);
  return Value(pare::DequantizeOp::create(
      ni.builder(), ni.getLoc(), qtype::withElement(raw.getType(), ni.builder().getF32Type()), qv));
}

/// quantize(float value) -> raw integer value.
FailureOr<Value> quantize(NodeImporter &ni, Value x, size_t scaleIdx, size_t zpIdx, int64_t axis,
                          Type raw, StringRef what) {
  auto q = quantType(ni, scaleIdx, zpIdx, raw, shapeOf(x).size(), axis, what);
  if (failed(q))
    return failure();
  Value qv =
      pare::QuantizeOp::create(ni.builder(), ni.getLoc(), qtype::withElement(x.getType(), *q), x);
  return asRaw(ni, qv);
}

LogicalResult importQuantizeLinear(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(elemOf(*x)))
    return ni.error("QuantizeLinear input must be float");
  if (ni.getInt("block_size", 0) != 0)
    return ni.error("blocked quantization (block_size) is not supported");
  Type raw;
  if (ni.hasAttr("output_dtype") && ni.getInt("output_dtype", 0) != 0) {
    int64_t dt = ni.getInt("output_dtype", 0);
    if (dt == onnx::TensorProto::INT8)
      raw = ni.builder().getIntegerType(8);
    else if (dt == onnx::TensorProto::UINT8)
      raw = ni.builder().getIntegerType(8, false);
    else
      return ni.error("QuantizeLinear output_dtype must be int8 or uint8");
  }
  Value input = *x;
  if (!elemOf(input).isF32())
    input = pare::CastOp::create(ni.builder(), ni.getLoc(),
                                 qtype::withElement(input.getType(), ni.builder().getF32Type()),
                                 input, TypeAttr::get(ni.builder().getF32Type()));
  return bind(ni, quantize(ni, input, 1, 2, ni.getInt("axis", 1), raw, "QuantizeLinear"));
}

LogicalResult importBlockedDequantize(NodeImporter &ni, Value x);

LogicalResult importDequantizeLinear(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x))
    return failure();
  if (ni.getInt("block_size", 0) != 0)
    return importBlockedDequantize(ni, *x);
  return bind(ni, dequantize(ni, *x, 1, 2, ni.getInt("axis", 1), "DequantizeLinear input"));
}

/// The i32 bias of QLinearConv as float: bias * x_scale * w_scale[c].
FailureOr<Value> qlinearBias(NodeImporter &ni, size_t biasIdx, Value x, Value w,
                             StringRef what = "QLinearConv bias") {
  if (!ni.hasInput(biasIdx))
    return Value();
  auto xp = qtype::params(x.getDefiningOp()->getOperand(0).getType());
  auto wp = qtype::params(w.getDefiningOp()->getOperand(0).getType());
  auto bias = ni.constInts(biasIdx, what);
  if (failed(bias))
    return failure();
  if (!wp->perTensor() && wp->scales.size() != bias->size()) {
    (void)ni.error(what + " has " + llvm::Twine(bias->size()) + " values for " +
                   llvm::Twine(wp->scales.size()) + " weight scales");
    return failure();
  }
  // The int32 bias, as onnxruntime adds it to the int32 accumulator: a raw
  // i32 constant dequantized with scale x_scale * w_scale[c] (the form of a
  // QDQ model's bias, which the int8 lowering takes bit for bit). Only when a
  // product falls outside what a quantized type can hold does the bias go
  // through float.
  std::vector<double> scales(bias->size());
  bool representable = true;
  for (size_t c = 0; c < bias->size(); ++c) {
    scales[c] = xp->scale() * wp->scale(c);
    representable &= scales[c] >= double(std::numeric_limits<float>::denorm_min()) &&
                     scales[c] <= double(std::numeric_limits<float>::max());
  }
  auto &b = ni.builder();
  int64_t n = int64_t(bias->size());
  if (representable) {
    SmallVector<int32_t> raw(bias->begin(), bias->end());
    Value rawV = ni.constant(DenseElementsAttr::get(
        RankedTensorType::get({n}, b.getIntegerType(32)), ArrayRef<int32_t>(raw)));
    bool perTensor = llvm::all_equal(scales);
    Type q = perTensor
                 ? Type(qtype::perTensor(ni.ctx(), scales[0], 0, true, 32))
                 : Type(qtype::perAxis(ni.ctx(), scales, std::vector<int64_t>(n, 0), 0, true, 32));
    return Value(pare::DequantizeOp::create(
        b, ni.getLoc(), RankedTensorType::get({n}, b.getF32Type()), asQuant(ni, rawV, q)));
  }
  std::vector<float> vals(bias->size());
  for (size_t c = 0; c < bias->size(); ++c)
    vals[c] = float(double((*bias)[c]) * scales[c]);
  return ni.constant(
      DenseElementsAttr::get(RankedTensorType::get({n}, b.getF32Type()), ArrayRef<float>(vals)));
}

LogicalResult importQLinearConv(NodeImporter &ni) {
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7})
    if (failed(need(ni, i)))
      return failure();
  auto x = dequantize(ni, ni.input(0), 1, 2, 1, "QLinearConv x");
  auto w = dequantize(ni, ni.input(3), 4, 5, 0, "QLinearConv w");
  if (failed(x) || failed(w))
    return failure();
  auto bias = qlinearBias(ni, 8, *x, *w);
  if (failed(bias))
    return failure();
  auto conv = buildConv(ni, *x, *w, *bias);
  if (failed(conv))
    return failure();
  return bind(ni, quantize(ni, *conv, 6, 7, 1, elemOf(ni.input(7)), "QLinearConv y"));
}

LogicalResult importQLinearMatMul(NodeImporter &ni) {
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7})
    if (failed(need(ni, i)))
      return failure();
  auto a = dequantize(ni, ni.input(0), 1, 2, -1, "QLinearMatMul a");
  auto b = dequantize(ni, ni.input(3), 4, 5, -1, "QLinearMatMul b");
  if (failed(a) || failed(b))
    return failure();
  auto mm = ni.create<pare::MatMulOp>({*a, *b});
  if (failed(mm))
    return failure();
  return bind(ni, quantize(ni, *mm, 6, 7, 1, elemOf(ni.input(7)), "QLinearMatMul y"));
}

/// com.microsoft QGemm: A, a_scale, a_zp, B, b_scale, b_zp, C (i32 bias with
/// scale a_scale * b_scale, optional), y_scale, y_zp (both optional: without
/// them the output is float). b_scale may be per output column.
LogicalResult importQGemm(NodeImporter &ni) {
  for (size_t i : {0, 1, 3, 4})
    if (failed(need(ni, i)))
      return failure();
  bool transB = ni.getInt("transB", 0) != 0;
  auto a = dequantize(ni, ni.input(0), 1, 2, -1, "QGemm A");
  auto b = dequantize(ni, ni.input(3), 4, 5, transB ? 0 : 1, "QGemm B");
  if (failed(a) || failed(b))
    return failure();
  auto bias = qlinearBias(ni, 6, *a, *b, "QGemm C");
  if (failed(bias))
    return failure();
  SmallVector<Value> ops{*a, *b};
  if (*bias)
    ops.push_back(*bias);
  auto &bd = ni.builder();
  auto g = ni.create<pare::GemmOp>(
      ops, {ni.named("alpha", bd.getF32FloatAttr(ni.getFloat("alpha", 1.0f))),
            ni.named("beta", bd.getF32FloatAttr(1.0f)),
            ni.named("trans_a", bd.getBoolAttr(ni.getInt("transA", 0))),
            ni.named("trans_b", bd.getBoolAttr(transB))});
  if (failed(g))
    return failure();
  if (!ni.hasInput(7))
    return bind(ni, g);
  Type raw = ni.hasInput(8) ? elemOf(ni.input(8)) : elemOf(ni.input(0));
  return bind(ni, quantize(ni, *g, 7, 8, 1, raw, "QGemm Y"));
}

/// ConvInteger / MatMulInteger: exact integer results, written as a float op
/// on scale-1 dequantized operands followed by a cast to i32. LowerQuantized
/// must turn it into integer arithmetic (it fails the compile otherwise).
Value castToI32(NodeImporter &ni, Value v) {
  Type i32 = ni.builder().getIntegerType(32);
  auto c = pare::CastOp::create(ni.builder(), ni.getLoc(), qtype::withElement(v.getType(), i32), v,
                                TypeAttr::get(i32));
  pare::attrs::setExactInteger(c);
  return c;
}

FailureOr<Value> dequantizeScale1(NodeImporter &ni, Value raw, size_t zpIdx, int64_t axis,
                                  StringRef what) {
  if (!isa<IntegerType>(elemOf(raw)) || elemOf(raw).getIntOrFloatBitWidth() != 8) {
    (void)ni.error(what + " must be int8 or uint8");
    return failure();
  }
  std::vector<int64_t> zps{0};
  if (ni.hasInput(zpIdx)) {
    auto z = zeroPoints(ni, zpIdx, what);
    if (failed(z))
      return failure();
    zps = *z;
  }
  bool isSigned = !cast<IntegerType>(elemOf(raw)).isUnsigned();
  Type q;
  if (zps.size() == 1) {
    q = qtype::perTensor(ni.ctx(), 1.0, zps[0], isSigned);
  } else {
    auto a = normAxis(ni, axis, shapeOf(raw).size());
    if (failed(a))
      return failure();
    if (int64_t(zps.size()) != shapeOf(raw)[*a]) {
      (void)ni.error(what + ": " + llvm::Twine(zps.size()) + " zero points for " +
                     llvm::Twine(shapeOf(raw)[*a]) + " channels");
      return failure();
    }
    q = qtype::perAxis(ni.ctx(), std::vector<double>(zps.size(), 1.0), zps, int32_t(*a), isSigned);
  }
  return Value(pare::DequantizeOp::create(
      ni.builder(), ni.getLoc(), qtype::withElement(raw.getType(), ni.builder().getF32Type()),
      asQuant(ni, raw, q)));
}

LogicalResult importConvInteger(NodeImporter &ni) {
  auto x = need(ni, 0), w = need(ni, 1);
  if (failed(x) || failed(w))
    return failure();
  auto dx = dequantizeScale1(ni, *x, 2, 1, "ConvInteger x");
  auto dw = dequantizeScale1(ni, *w, 3, 0, "ConvInteger w");
  if (failed(dx) || failed(dw))
    return failure();
  auto conv = buildConv(ni, *dx, *dw, Value());
  if (failed(conv))
    return failure();
  ni.setOutput(0, castToI32(ni, *conv));
  return success();
}

LogicalResult importMatMulInteger(NodeImporter &ni) {
  auto a = need(ni, 0), b = need(ni, 1);
  if (failed(a) || failed(b))
    return failure();
  auto da = dequantizeScale1(ni, *a, 2, -1, "MatMulInteger a");
  auto db = dequantizeScale1(ni, *b, 3, -1, "MatMulInteger b");
  if (failed(da) || failed(db))
    return failure();
  auto mm = ni.create<pare::MatMulOp>({*da, *db});
  if (failed(mm))
    return failure();
  ni.setOutput(0, castToI32(ni, *mm));
  return success();
}

/// com.microsoft QLinearAdd / QLinearMul: A, A_scale, A_zp, B, B_scale, B_zp,
/// C_scale, C_zp.
template <typename OpTy> LogicalResult importQLinearBinary(NodeImporter &ni) {
  for (size_t i : {0, 1, 3, 4, 6})
    if (failed(need(ni, i)))
      return failure();
  auto a = dequantize(ni, ni.input(0), 1, 2, -1, "A");
  auto b = dequantize(ni, ni.input(3), 4, 5, -1, "B");
  if (failed(a) || failed(b))
    return failure();
  auto r = ni.create<OpTy>({*a, *b});
  if (failed(r))
    return failure();
  return bind(ni, quantize(ni, *r, 6, 7, 1, elemOf(ni.input(0)), "C"));
}

/// com.microsoft QLinearGlobalAveragePool: X, x_scale, x_zp, y_scale, y_zp.
LogicalResult importQLinearGlobalAveragePool(NodeImporter &ni) {
  for (size_t i : {0, 1, 3})
    if (failed(need(ni, i)))
      return failure();
  if (ni.getInt("channels_last", 0) != 0)
    return ni.error("QLinearGlobalAveragePool with channels_last=1 is not supported");
  auto x = dequantize(ni, ni.input(0), 1, 2, -1, "X");
  if (failed(x))
    return failure();
  auto r = ni.create<pare::GlobalAveragePoolOp>({*x});
  if (failed(r))
    return failure();
  return bind(ni, quantize(ni, *r, 3, 4, 1, elemOf(ni.input(0)), "Y"));
}

/// com.microsoft QLinearConcat: Y_scale, Y_zero_point, then X, X_scale,
/// X_zero_point for each input; attribute axis. Each input is dequantized
/// with its own parameters (LowerQuantized requantizes those that differ
/// from Y's).
LogicalResult importQLinearConcat(NodeImporter &ni) {
  size_t n = ni.numInputs();
  if (n < 5 || (n - 2) % 3 != 0)
    return ni.error("QLinearConcat takes Y_scale, Y_zero_point and then X, X_scale, "
                    "X_zero_point for each input: not " +
                    std::to_string(n) + " inputs");
  if (failed(need(ni, 0)))
    return failure();
  SmallVector<Value> xs;
  for (size_t k = 2; k < n; k += 3) {
    if (failed(need(ni, k)) || failed(need(ni, k + 1)))
      return failure();
    auto x = dequantize(ni, ni.input(k), k + 1, k + 2, -1, "X");
    if (failed(x))
      return failure();
    xs.push_back(*x);
  }
  auto axis = normAxis(ni, ni.getInt("axis", 0), shapeOf(xs[0]).size());
  if (failed(axis))
    return failure();
  auto r = ni.create<pare::ConcatOp>(xs,
                                     {ni.named("axis", ni.builder().getI64IntegerAttr(*axis))});
  if (failed(r))
    return failure();
  return bind(ni, quantize(ni, *r, 0, 1, 1, elemOf(ni.input(2)), "Y"));
}

/// com.microsoft QLinearSigmoid / QLinearLeakyRelu: X, X_scale, X_zp, Y_scale, Y_zp.
template <typename Build> LogicalResult importQLinearUnary(NodeImporter &ni, Build build) {
  for (size_t i : {0, 1, 3})
    if (failed(need(ni, i)))
      return failure();
  auto x = dequantize(ni, ni.input(0), 1, 2, -1, "X");
  if (failed(x))
    return failure();
  auto r = build(*x);
  if (failed(r))
    return failure();
  return bind(ni, quantize(ni, *r, 3, 4, 1, elemOf(ni.input(0)), "Y"));
}

//===----------------------------------------------------------------------===//
// Weight-only 4-bit matmuls
//===----------------------------------------------------------------------===//

/// pare.matmul_nbits of `x` by the weight given as unpacked 4-bit values
/// `q` [N][K] (0 .. 15), `scales` (a float constant of N * groups values, of
/// x's element type, output channel major) and zero points `zeros` [N][groups]
/// (0 .. 15), in blocks of `group` along K.
FailureOr<Value> buildMatMulNBits(NodeImporter &ni, Value x, ArrayRef<int8_t> q,
                                  DenseElementsAttr scales, ArrayRef<int8_t> zeros, int64_t n,
                                  int64_t k, int64_t group) {
  OpBuilder &b = ni.builder();
  int64_t groups = (k + group - 1) / group;
  auto qType = RankedTensorType::get({n, k}, b.getIntegerType(8));
  auto zType = RankedTensorType::get({n, groups}, b.getIntegerType(8));
  auto sType = RankedTensorType::get({n, groups}, scales.getElementType());
  if (failed(ni.checkType(qType, "the 4-bit weight")))
    return failure();
  Value qv = ni.constant(DenseElementsAttr::get(qType, q));
  Value sv = ni.constant(scales.reshape(sType));
  Value zv = ni.constant(DenseElementsAttr::get(zType, zeros));
  return ni.create<pare::MatMulNBitsOp>({x, qv, sv, zv},
                                        {ni.named("bits", b.getI64IntegerAttr(4)),
                                         ni.named("group_size", b.getI64IntegerAttr(group))});
}

/// The attribute a blocked DequantizeLinear puts on the float weight it
/// computes when that weight is a 4-bit [K, N] matrix in blocks along K:
/// {qweight [N, K], scales [N, blocks], zero_points [N, blocks], group_size},
/// from which importMatMul builds pare.matmul_nbits instead of a float
/// matmul. The float constant stays for any other user (and is dropped as
/// dead code when the matmul was its only one).
constexpr llvm::StringLiteral kNBitsSource = "pare.nbits_source";

/// The integer values of a constant in its own signedness.
std::vector<int64_t> intValues(DenseElementsAttr attr) {
  bool isUnsigned = attr.getElementType().isUnsignedInteger();
  std::vector<int64_t> out;
  out.reserve(size_t(attr.getNumElements()));
  for (const APInt &v : attr.getValues<APInt>())
    out.push_back(isUnsigned ? int64_t(v.getZExtValue()) : v.getSExtValue());
  return out;
}

/// The bytes of a uint8 constant, one per element (a constant whose bytes
/// are all equal may be stored as one splat element: not getRawData()).
std::vector<uint8_t> byteValues(DenseElementsAttr attr) {
  if (attr.isSplat())
    return std::vector<uint8_t>(size_t(attr.getNumElements()), attr.getSplatValue<uint8_t>());
  ArrayRef<char> raw = attr.getRawData();
  return std::vector<uint8_t>(raw.begin(), raw.end());
}

/// DequantizeLinear (opset 21) with block_size: y = (x - zero_point[j]) *
/// scale[j], j = x's index with index / block_size along `axis` (scale and
/// zero point have ceil(dim / block_size) there). x must be a constant (a
/// weight): pare computes y at compile time, each element as the float
/// ((float)(x - zero_point) * scale) the op defines; a 2-D [K, N] weight in
/// blocks of a power of two >= 16 along K whose values fit 4 bits (int4 /
/// uint4, or 8-bit values in that range) also records its quantized form for
/// a MatMul reading it (kNBitsSource).
LogicalResult importBlockedDequantize(NodeImporter &ni, Value x) {
  int64_t block = ni.getInt("block_size", 0);
  if (block < 0)
    return ni.error("DequantizeLinear block_size must be positive, got " + Twine(block));
  if (failed(need(ni, 1)))
    return failure();
  DenseElementsAttr xAttr = ni.constInput(0), sAttr = ni.constInput(1);
  DenseElementsAttr zAttr = ni.hasInput(2) ? ni.constInput(2) : DenseElementsAttr();
  if (!xAttr)
    return ni.error("blocked DequantizeLinear (block_size) of a computed tensor is not supported: "
                    "its input must be a constant weight");
  if (!sAttr || (ni.hasInput(2) && !zAttr))
    return ni.error("blocked DequantizeLinear: the scale and zero point must be compile-time "
                    "constants");
  std::vector<int64_t> xs = shapeOf(x);
  if (!isa<IntegerType>(xAttr.getElementType()))
    return ni.error("blocked DequantizeLinear: the input must be an integer tensor");
  auto axis = normAxis(ni, ni.getInt("axis", 1), int64_t(xs.size()));
  if (failed(axis))
    return failure();
  std::vector<int64_t> want = xs;
  want[*axis] = (xs[*axis] + block - 1) / block;
  if (shapeOf(ni.input(1)) != want || !isa<FloatType>(sAttr.getElementType()))
    return ni.error("blocked DequantizeLinear: the scale must be float " + shape::toString(want) +
                    " (ceil(dim / block_size) along axis " + Twine(*axis) + "), got " +
                    shape::toString(shapeOf(ni.input(1))));
  if (zAttr && (shapeOf(ni.input(2)) != want || zAttr.getElementType() != xAttr.getElementType()))
    return ni.error("blocked DequantizeLinear: the zero point must be " + shape::toString(want) +
                    " of the input's type, got " + shape::toString(shapeOf(ni.input(2))));
  auto outType = RankedTensorType::get(xs, sAttr.getElementType());
  if (failed(ni.checkType(outType, "the dequantized weight")))
    return failure();
  std::vector<int64_t> q = intValues(xAttr),
                       z = zAttr ? intValues(zAttr) : std::vector<int64_t>(size_t(sAttr.getNumElements()), 0);
  std::vector<float> sc;
  for (const APFloat &v : sAttr.getValues<APFloat>())
    sc.push_back(float(v.convertToDouble()));
  int64_t inner = 1, outer = 1, d = xs[*axis], blocks = want[*axis];
  for (size_t i = 0; i < xs.size(); ++i)
    (int64_t(i) < *axis ? outer : inner) *= int64_t(i) == *axis ? 1 : xs[i];
  // Index of element i's scale.
  auto scaleIndex = [&](int64_t i) {
    int64_t r = i % inner, a = (i / inner) % d, o = i / inner / d;
    return (o * blocks + a / block) * inner + r;
  };
  std::vector<float> y(q.size());
  for (int64_t i = 0; i < int64_t(q.size()); ++i) {
    int64_t j = scaleIndex(i);
    y[size_t(i)] = float(q[size_t(i)] - z[size_t(j)]) * sc[size_t(j)];
  }
  DenseElementsAttr yAttr;
  if (outType.getElementType().isF32()) {
    yAttr = DenseElementsAttr::get(outType, ArrayRef<float>(y));
  } else {
    SmallVector<APFloat> v;
    const llvm::fltSemantics &sem = cast<FloatType>(outType.getElementType()).getFloatSemantics();
    for (float f : y) {
      APFloat a(f);
      bool lost = false;
      a.convert(sem, APFloat::rmNearestTiesToEven, &lost);
      v.push_back(a);
    }
    yAttr = DenseElementsAttr::get(outType, v);
  }
  Value w = ni.constant(yAttr);

  // The 4-bit form of a [K, N] weight in blocks along K (int4's -8 .. 7 and
  // its zero points shifted by 8 alike: the differences are unchanged).
  int64_t shift = xAttr.getElementType().isUnsignedInteger() ? 0 : 8;
  auto fits = [&](const std::vector<int64_t> &v) {
    return llvm::all_of(v, [&](int64_t e) { return e + shift >= 0 && e + shift <= 15; });
  };
  if (xs.size() == 2 && *axis == 0 && block >= 16 && (block & (block - 1)) == 0 && fits(q) &&
      fits(z)) {
    OpBuilder &b = ni.builder();
    int64_t k = xs[0], n = xs[1];
    std::vector<int8_t> qt(q.size()), zt(z.size());
    std::vector<float> st(sc.size());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t o = 0; o < n; ++o)
        qt[size_t(o * k + i)] = int8_t(q[size_t(i * n + o)] + shift);
    for (int64_t g = 0; g < blocks; ++g)
      for (int64_t o = 0; o < n; ++o) {
        zt[size_t(o * blocks + g)] = int8_t(z[size_t(g * n + o)] + shift);
        st[size_t(o * blocks + g)] = sc[size_t(g * n + o)];
      }
    auto i8 = b.getIntegerType(8);
    SmallVector<APFloat> stv;
    const llvm::fltSemantics &sem = cast<FloatType>(outType.getElementType()).getFloatSemantics();
    for (float f : st) {
      APFloat a(f);
      bool lost = false;
      a.convert(sem, APFloat::rmNearestTiesToEven, &lost); // exact: the scales were of this type
      stv.push_back(a);
    }
    w.getDefiningOp()->setAttr(
        kNBitsSource,
        b.getDictionaryAttr(
            {b.getNamedAttr("qweight", DenseElementsAttr::get(RankedTensorType::get({n, k}, i8),
                                                              ArrayRef<int8_t>(qt))),
             b.getNamedAttr("scales",
                            DenseElementsAttr::get(
                                RankedTensorType::get({n, blocks}, outType.getElementType()), stv)),
             b.getNamedAttr("zero_points",
                            DenseElementsAttr::get(RankedTensorType::get({n, blocks}, i8),
                                                   ArrayRef<int8_t>(zt))),
             b.getNamedAttr("group_size", b.getI64IntegerAttr(block))}));
  }
  return bind(ni, w);
}

/// com.microsoft MatMulNBits (onnxruntime's int4 form, as its
/// MatMul4BitsQuantizer and onnxruntime-genai write it): A [..., K], B
/// [N, blocks, block_size / 2] uint8 (two 4-bit values per byte, low nibble
/// first), scales [N * blocks] (or [N, blocks]), optional zero points (uint8
/// packed two per byte with each output's row padded to whole bytes, or of
/// A's float type holding whole numbers 0 .. 15; 8 when absent), optional
/// g_idx (only the trivial k / block_size), optional bias [N]; attributes K,
/// N, bits (4), block_size, accuracy_level (a hint for onnxruntime's own
/// kernels: pare's are exact fp32 either way).
LogicalResult importMatMulNBits(NodeImporter &ni) {
  auto x = need(ni, 0);
  if (failed(x) || failed(need(ni, 1)) || failed(need(ni, 2)))
    return failure();
  int64_t k = ni.getInt("K", -1), n = ni.getInt("N", -1), bits = ni.getInt("bits", 4),
          group = ni.getInt("block_size", -1);
  (void)ni.getInt("accuracy_level", 0);
  if (bits != 4)
    return ni.error("MatMulNBits with bits = " + Twine(bits) +
                    ": pare imports 4-bit weights only");
  if (k <= 0 || n <= 0)
    return ni.error("MatMulNBits needs positive attributes K and N (got K = " + Twine(k) +
                    ", N = " + Twine(n) + ")");
  if (group < 16 || (group & (group - 1)) != 0)
    return ni.error("MatMulNBits block_size must be a power of two >= 16, got " + Twine(group));
  if (failed(ni.checkType(RankedTensorType::get({n, k}, ni.builder().getIntegerType(8)),
                          "the 4-bit weight")))
    return failure();
  if (!isa<FloatType>(elemOf(*x)))
    return ni.error("MatMulNBits input A must be float");
  int64_t groups = (k + group - 1) / group, blob = group / 2;
  DenseElementsAttr bAttr = ni.constInput(1);
  if (!bAttr)
    return ni.error("MatMulNBits weight B must be a compile-time constant");
  if (!bAttr.getElementType().isUnsignedInteger(8) ||
      shapeOf(ni.input(1)) != std::vector<int64_t>{n, groups, blob})
    return ni.error("MatMulNBits weight B must be uint8 [N, ceil(K / block_size), block_size / "
                    "2] = [" + Twine(n) + ", " + Twine(groups) + ", " + Twine(blob) + "], got " +
                    shape::toString(shapeOf(ni.input(1))));
  DenseElementsAttr sAttr = ni.constInput(2);
  if (!sAttr)
    return ni.error("MatMulNBits scales must be a compile-time constant");
  if (sAttr.getElementType() != elemOf(*x) || sAttr.getNumElements() != n * groups)
    return ni.error("MatMulNBits scales must be " + Twine(n * groups) +
                    " values (N x ceil(K / block_size)) of A's type, got " +
                    shape::toString(shapeOf(ni.input(2))));
  // Unpacked one value per element, output channel major as B.
  std::vector<int8_t> q(size_t(n * k));
  std::vector<uint8_t> bytes = byteValues(bAttr);
  for (int64_t o = 0; o < n; ++o)
    for (int64_t i = 0; i < k; ++i) {
      uint8_t byte = uint8_t(bytes[size_t(o * groups * blob + i / 2)]);
      q[size_t(o * k + i)] = int8_t(i % 2 ? byte >> 4 : byte & 15);
    }
  std::vector<int8_t> zeros(size_t(n * groups), 8);
  if (ni.hasInput(3)) {
    DenseElementsAttr zAttr = ni.constInput(3);
    if (!zAttr)
      return ni.error("MatMulNBits zero_points must be a compile-time constant");
    int64_t zRow = (groups + 1) / 2;
    if (zAttr.getElementType().isUnsignedInteger(8)) {
      if (zAttr.getNumElements() != n * zRow)
        return ni.error("MatMulNBits packed zero_points must be " + Twine(n * zRow) +
                        " bytes (N x ceil(blocks / 2)), got " +
                        shape::toString(shapeOf(ni.input(3))));
      std::vector<uint8_t> z = byteValues(zAttr);
      for (int64_t o = 0; o < n; ++o)
        for (int64_t g = 0; g < groups; ++g) {
          uint8_t byte = uint8_t(z[size_t(o * zRow + g / 2)]);
          zeros[size_t(o * groups + g)] = int8_t(g % 2 ? byte >> 4 : byte & 15);
        }
    } else if (zAttr.getElementType() == elemOf(*x)) {
      if (zAttr.getNumElements() != n * groups)
        return ni.error("MatMulNBits float zero_points must be " + Twine(n * groups) +
                        " values (N x ceil(K / block_size)), got " +
                        shape::toString(shapeOf(ni.input(3))));
      size_t j = 0;
      for (APFloat v : zAttr.getValues<APFloat>()) {
        double d = v.convertToDouble();
        if (!(d >= 0 && d <= 15) || d != double(int64_t(d))) {
          char text[32];
          std::snprintf(text, sizeof text, "%g", d);
          return ni.error("MatMulNBits float zero point " + Twine(text) + " at " + Twine(j) +
                          " is not a whole number in 0 .. 15 (pare's 4-bit matmul takes "
                          "integer zero points)");
        }
        zeros[j++] = int8_t(d);
      }
    } else {
      return ni.error("MatMulNBits zero_points must be uint8 (packed) or of A's type");
    }
  }
  if (ni.hasInput(4)) {
    auto gIdx = ni.constInts(4, "MatMulNBits g_idx");
    if (failed(gIdx))
      return failure();
    if (int64_t(gIdx->size()) != k)
      return ni.error("MatMulNBits g_idx has " + Twine(gIdx->size()) + " entries for K = " +
                      Twine(k));
    for (int64_t i = 0; i < k; ++i)
      if ((*gIdx)[size_t(i)] != i / group)
        return ni.error("MatMulNBits g_idx maps row " + Twine(i) + " to block " +
                        Twine((*gIdx)[size_t(i)]) + ", not " + Twine(i / group) +
                        ": act-order (reordered) groups are not supported");
  }
  auto y = buildMatMulNBits(ni, *x, q, sAttr, zeros, n, k, group);
  if (failed(y))
    return failure();
  if (!ni.hasInput(5))
    return bind(ni, y);
  Value bias = ni.input(5);
  if (shapeOf(bias) != std::vector<int64_t>{n} || elemOf(bias) != elemOf(*x))
    return ni.error("MatMulNBits bias must be [N] = [" + Twine(n) + "] of A's type");
  return bind(ni, ni.create<pare::AddOp>({*y, bias}));
}

} // namespace

FailureOr<Value> importNBitsMatMul(NodeImporter &ni, Value a, Value b) {
  auto c = b.getDefiningOp<pare::ConstantOp>();
  auto src = c ? c->getAttrOfType<DictionaryAttr>(kNBitsSource) : DictionaryAttr();
  if (!src)
    return Value();
  auto q = src.getAs<DenseElementsAttr>("qweight"), s = src.getAs<DenseElementsAttr>("scales"),
       z = src.getAs<DenseElementsAttr>("zero_points");
  auto group = src.getAs<IntegerAttr>("group_size");
  if (!q || !s || !z || !group)
    return Value();
  std::vector<int64_t> as = shapeOf(a);
  ArrayRef<int64_t> qs = q.getType().getShape();
  // Another activation type, or shapes the float MatMul will report: its path.
  if (as.empty() || elemOf(a) != s.getElementType() || as.back() != qs[1])
    return Value();
  std::vector<int8_t> qv(q.getValues<int8_t>().begin(), q.getValues<int8_t>().end()),
      zv(z.getValues<int8_t>().begin(), z.getValues<int8_t>().end());
  return buildMatMulNBits(ni, a, qv, s, zv, qs[0], qs[1], group.getInt());
}

void registerQuantHandlers() {
  for (int v : {10, 13, 19, 21}) {
    registerHandler("QuantizeLinear", v, importQuantizeLinear);
    registerHandler("DequantizeLinear", v, importDequantizeLinear);
  }
  registerHandler("QLinearConv", 10, importQLinearConv);
  for (int v : {10, 21})
    registerHandler("QLinearMatMul", v, importQLinearMatMul);
  registerHandler("ConvInteger", 10, importConvInteger);
  registerHandler("MatMulInteger", 10, importMatMulInteger);
  // com.microsoft contrib ops that onnxruntime's QOperator format writes.
  registerHandler("com.microsoft.QGemm", 1, importQGemm);
  registerHandler("com.microsoft.QLinearAdd", 1, importQLinearBinary<pare::AddOp>);
  registerHandler("com.microsoft.QLinearMul", 1, importQLinearBinary<pare::MulOp>);
  registerHandler("com.microsoft.QLinearGlobalAveragePool", 1, importQLinearGlobalAveragePool);
  registerHandler("com.microsoft.QLinearConcat", 1, importQLinearConcat);
  registerHandler("com.microsoft.MatMulNBits", 1, importMatMulNBits);
  registerHandler("com.microsoft.QLinearSigmoid", 1, [](NodeImporter &ni) {
    return importQLinearUnary(ni, [&](Value x) { return ni.create<pare::SigmoidOp>({x}); });
  });
  registerHandler("com.microsoft.QLinearLeakyRelu", 1, [](NodeImporter &ni) {
    return importQLinearUnary(ni, [&](Value x) {
      return ni.create<pare::LeakyReluOp>(
          {x}, {ni.named("alpha", ni.builder().getF32FloatAttr(ni.getFloat("alpha", 0.01f)))});
    });
  });
}

} // namespace pare::onnx_frontend
