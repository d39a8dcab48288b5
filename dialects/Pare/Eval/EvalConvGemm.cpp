//===- EvalConvGemm.cpp - evaluator: conv, gemm, matmul -------------------===//
//
// Float convolution (NHWC, and NCHW through transposed copies; grouped,
// depthwise, packed weights as the C emitter packs them; a temporal shift of
// the input where FuseTemporalShift put one), gemm and batched matmul, each
// with its fused activation; transposed convolution.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/EvalContext.h"

#include "dialects/Pare/IR/PareAttrs.h"

using namespace mlir;

namespace pare::eval {
namespace {

constexpr int64_t kConvOCB = PARE_CONV_OCB;

/// The input of a conv that reads it through a temporal shift (the
/// pare.shift_frames / shift_fold / shift_mode FuseTemporalShift set), shifted.
LogicalResult shiftInput(EvalContext &cx, ConvOp c, Tensor &shifted) {
  Operation *op = c.getOperation();
  auto frames = attrs::getShiftFrames(op), fold = attrs::getShiftFold(op);
  auto mode = attrs::getShiftMode(op);
  const Tensor &x0 = cx.in(c.getInput());
  int64_t ch = x0.shape.empty() ? 0 : (c.getChannelsLast() ? x0.shape.back() : x0.shape[1]);
  int kernelMode = mode ? TemporalShiftOp::kernelMode(*mode) : -1;
  bool bi = kernelMode > 0;
  if (!frames || !fold || kernelMode < 0 || x0.shape.size() < 2 || *frames < 1 ||
      x0.shape[0] % *frames != 0 || *fold < 0 || (bi ? 2 : 1) * *fold > ch)
    return fail(op, Twine("malformed ") + PareDialect::ShiftFramesAttrHelper::getNameStr() + " / " +
                        PareDialect::ShiftFoldAttrHelper::getNameStr() + " / " +
                        PareDialect::ShiftModeAttrHelper::getNameStr());
  temporalShift(x0, shifted, *frames, *fold, kernelMode, c.getChannelsLast(), 0);
  return success();
}

/// Depthwise weights [C][kh][kw][1] as [kh][kw][C] (pare_depthwise_conv2d_f32).
std::vector<float> depthwiseHWC(const Tensor &w) {
  int64_t ch = w.shape[0], kh = w.shape[1], kw = w.shape[2];
  std::vector<float> hwc(ch * kh * kw);
  for (int64_t yy = 0; yy < kh; ++yy)
    for (int64_t xx = 0; xx < kw; ++xx)
      for (int64_t k = 0; k < ch; ++k)
        hwc[(yy * kw + xx) * ch + k] = w.f[(k * kh + yy) * kw + xx];
  return hwc;
}

/// OHWI weights in blocks of kConvOCB output channels per group, zero padded
/// (pare_conv2d_packed_f32), as the C emitter packs them.
std::vector<float> packOutputChannels(const Tensor &w, int64_t group) {
  int64_t ocg = w.shape[0] / group, kh = w.shape[1], kw = w.shape[2], icg = w.shape[3];
  int64_t nb = (ocg + kConvOCB - 1) / kConvOCB;
  std::vector<float> packed(group * nb * kh * kw * icg * kConvOCB, 0.0f);
  for (int64_t g = 0; g < group; ++g)
    for (int64_t b = 0; b < nb; ++b)
      for (int64_t yy = 0; yy < kh; ++yy)
        for (int64_t xx = 0; xx < kw; ++xx)
          for (int64_t k = 0; k < icg; ++k)
            for (int64_t j = 0; j < kConvOCB; ++j) {
              int64_t o = b * kConvOCB + j;
              if (o < ocg)
                packed[((((g * nb + b) * kh + yy) * kw + xx) * icg + k) * kConvOCB + j] =
                    w.f[(((g * ocg + o) * kh + yy) * kw + xx) * icg + k];
            }
  return packed;
}

LogicalResult evalConv(EvalContext &cx, Operation *op, Results &out) {
  auto c = cast<ConvOp>(op);
  // A conv that reads its input through a temporal shift: the shifted
  // input, then the conv.
  Tensor shifted;
  bool shift = attrs::hasShiftFrames(op);
  if (shift && failed(shiftInput(cx, c, shifted)))
    return failure();
  const Tensor &x = shift ? shifted : cx.in(c.getInput()), &w = cx.in(c.getWeight());
  if (!x.isFloat() || !w.isFloat())
    return fail(op, "only float32 convolution is supported");
  const float *bias = nullptr;
  if (c.getBias()) {
    const Tensor &b = cx.in(c.getBias());
    if (!b.isFloat())
      return fail(op, "non-float bias");
    bias = b.f.data();
  }
  auto actOr = fusedAct(op);
  if (failed(actOr))
    return failure();
  Act a = *actOr;
  auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
  if (x.shape.size() != 4 || w.shape.size() != 4 || s.size() != 2 || d.size() != 2 || p.size() != 4)
    return fail(op, "only 2-D convolution is supported");
  int group = int(c.getGroup());
  auto y = cx.newFloat(c.getResult());
  if (y->f.empty()) {
    out.push_back(y);
    return success();
  }

  if (!c.getChannelsLast()) {
    // NCHW / OIHW: run the NHWC kernel on transposed copies.
    Shape xs = permuted(x.shape, kToNHWC), ws = permuted(w.shape, kToNHWC),
          ys = permuted(y->shape, kToNHWC);
    std::vector<float> xt = transposeF(x.f, x.shape, kToNHWC);
    std::vector<float> wt = transposeF(w.f, w.shape, kToNHWC);
    std::vector<float> yt(y->f.size());
    pare_conv2d_f32(xt.data(), int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]), wt.data(), bias,
                    yt.data(), int(ys[1]), int(ys[2]), int(ys[3]), int(ws[1]), int(ws[2]),
                    int(s[0]), int(s[1]), int(d[0]), int(d[1]), int(p[0]), int(p[1]), group, a.kind,
                    a.a, a.b);
    y->f = transposeF(yt, ys, kToNCHW);
    out.push_back(y);
    return success();
  }

  const Shape &xs = x.shape, &ws = w.shape, &os = y->shape;
  bool constWeight = isa_and_nonnull<ConstantOp>(c.getWeight().getDefiningOp());
  if (c.isDepthwise() && ws[3] == 1) {
    std::shared_ptr<std::vector<float>> hwc;
    if (constWeight)
      hwc = cx.convWeights.lookup(op);
    if (!hwc) {
      hwc = std::make_shared<std::vector<float>>(depthwiseHWC(w));
      if (constWeight)
        cx.convWeights[op] = hwc;
    }
    pare_depthwise_conv2d_f32(x.f.data(), int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]),
                              hwc->data(), bias, y->f.data(), int(os[1]), int(os[2]), int(ws[1]),
                              int(ws[2]), int(s[0]), int(s[1]), int(d[0]), int(d[1]), int(p[0]),
                              int(p[1]), a.kind, a.a, a.b);
    out.push_back(y);
    return success();
  }
  // As the C emitter: packed weights where padding each group's output
  // channels to a multiple of 16 costs at most a quarter more.
  int64_t ocg = ws[0] / group;
  int64_t padded = (ocg + kConvOCB - 1) / kConvOCB * kConvOCB;
  if (constWeight && padded * 4 <= ocg * 5) {
    auto packedW = cx.convWeights.lookup(op);
    if (!packedW) {
      packedW = std::make_shared<std::vector<float>>(packOutputChannels(w, group));
      cx.convWeights[op] = packedW;
    }
    pare_conv2d_packed_f32(x.f.data(), int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]),
                           packedW->data(), bias, y->f.data(), int(os[1]), int(os[2]), int(os[3]),
                           int(ws[1]), int(ws[2]), int(s[0]), int(s[1]), int(d[0]), int(d[1]),
                           int(p[0]), int(p[1]), group, a.kind, a.a, a.b);
  } else {
    pare_conv2d_f32(x.f.data(), int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]), w.f.data(), bias,
                    y->f.data(), int(os[1]), int(os[2]), int(os[3]), int(ws[1]), int(ws[2]),
                    int(s[0]), int(s[1]), int(d[0]), int(d[1]), int(p[0]), int(p[1]), group, a.kind,
                    a.a, a.b);
  }
  out.push_back(y);
  return success();
}

LogicalResult evalConvTranspose(EvalContext &cx, Operation *op, Results &out) {
  auto c = cast<ConvTransposeOp>(op);
  const Tensor &x = cx.in(c.getInput()), &w = cx.in(c.getWeight());
  if (!x.isFloat() || !w.isFloat())
    return fail(op, "only float32 transposed convolution is supported");
  const float *bias = nullptr;
  if (c.getBias()) {
    const Tensor &b = cx.in(c.getBias());
    if (!b.isFloat())
      return fail(op, "non-float bias");
    bias = b.f.data();
  }
  auto actOr = fusedAct(op);
  if (failed(actOr))
    return failure();
  Act a = *actOr;
  auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
  if (x.shape.size() != 4 || w.shape.size() != 4 || s.size() != 2 || d.size() != 2 || p.size() != 4)
    return fail(op, "only 2-D transposed convolution is supported");
  int group = int(c.getGroup());
  auto y = cx.newFloat(c.getResult());
  if (y->f.empty()) {
    out.push_back(y);
    return success();
  }
  auto run = [&](const float *xd, const Shape &xs, const float *wd, const Shape &ws, float *yd,
                 const Shape &ys) {
    pare_conv_transpose2d_f32(xd, int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3]), wd, bias, yd,
                              int(ys[1]), int(ys[2]), int(ys[3]), int(ws[1]), int(ws[2]),
                              int(s[0]), int(s[1]), int(d[0]), int(d[1]), int(p[0]), int(p[1]),
                              group, a.kind, a.a, a.b);
  };
  if (c.getChannelsLast()) {
    run(x.f.data(), x.shape, w.f.data(), w.shape, y->f.data(), y->shape);
  } else {
    // NCHW, [ic][ocg][kh][kw]: the NHWC kernel on transposed copies (the
    // same permutation takes the weight to [ic][kh][kw][ocg]).
    Shape xs = permuted(x.shape, kToNHWC), ws = permuted(w.shape, kToNHWC),
          ys = permuted(y->shape, kToNHWC);
    std::vector<float> xt = transposeF(x.f, x.shape, kToNHWC);
    std::vector<float> wt = transposeF(w.f, w.shape, kToNHWC);
    std::vector<float> yt(y->f.size());
    run(xt.data(), xs, wt.data(), ws, yt.data(), ys);
    y->f = transposeF(yt, ys, kToNCHW);
  }
  out.push_back(y);
  return success();
}

LogicalResult evalGemm(EvalContext &cx, Operation *op, Results &out) {
  auto g = cast<GemmOp>(op);
  const Tensor &a = cx.in(g.getA()), &b = cx.in(g.getB());
  if (!a.isFloat() || !b.isFloat())
    return fail(op, "only float32 gemm is supported");
  auto actOr = fusedAct(op);
  if (failed(actOr))
    return failure();
  auto y = cx.newFloat(g.getResult());
  if (a.shape.size() != 2 || y->shape.size() != 2)
    return fail(op, "gemm operands must be matrices");
  int64_t m = y->shape[0], n = y->shape[1];
  int64_t k = g.getTransA() ? a.shape[0] : a.shape[1];
  int64_t ars = g.getTransA() ? 1 : k, acs = g.getTransA() ? m : 1;
  int64_t brs = g.getTransB() ? 1 : n, bcs = g.getTransB() ? k : 1;
  const float *cp = nullptr;
  int64_t crs = 0, ccs = 0;
  if (g.getC()) {
    const Tensor &c = cx.in(g.getC());
    if (!c.isFloat())
      return fail(op, "non-float C");
    cp = c.f.data();
    auto st = shape::broadcastStrides(c.shape, {m, n});
    crs = st[0];
    ccs = st[1];
  }
  if (!y->f.empty())
    pare_matmul_f32(a.f.data(), b.f.data(), cp, y->f.data(), int(m), int(n), int(k), int(ars),
                    int(acs), int(brs), int(bcs), int(crs), int(ccs), nullptr, 0, nullptr, nullptr,
                    g.getAlpha().convertToFloat(), g.getBeta().convertToFloat(), actOr->kind,
                    actOr->a, actOr->b);
  out.push_back(y);
  return success();
}

LogicalResult evalMatMul(EvalContext &cx, Operation *op, Results &out) {
  auto mm = cast<MatMulOp>(op);
  const Tensor &at = cx.in(mm.getA()), &bt = cx.in(mm.getB());
  if (!at.isFloat() || !bt.isFloat())
    return fail(op, "only float32 matmul is supported");
  auto actOr = fusedAct(op);
  if (failed(actOr))
    return failure();
  if (at.shape.empty() || bt.shape.empty())
    return fail(op, "matmul of a scalar");
  auto g = shape::matmulGeometry(at.shape, bt.shape);
  if (!g)
    return fail(op, "inner or batch dims do not match");
  if (g->batch.size() > 8)
    return fail(op, "more than 8 batch dims");
  int64_t m = g->m, k = g->k, n = g->n;
  const Shape &batch = g->batch;
  auto y = cx.newFloat(mm.getResult());
  auto bsh = i32s(batch), as32 = i32s(g->aBatchStrides), bs32 = i32s(g->bBatchStrides);
  if (!y->f.empty())
    pare_matmul_f32(at.f.data(), bt.f.data(), nullptr, y->f.data(), int(m), int(n), int(k), int(k),
                    1, int(n), 1, 0, 0, batch.empty() ? nullptr : bsh.data(), int(batch.size()),
                    batch.empty() ? nullptr : as32.data(), batch.empty() ? nullptr : bs32.data(),
                    1.0f, 0.0f, actOr->kind, actOr->a, actOr->b);
  out.push_back(y);
  return success();
}

} // namespace

void addConvGemmOps(OpTable &table) {
  table.add<ConvOp>(evalConv);
  table.add<ConvTransposeOp>(evalConvTranspose);
  table.add<GemmOp>(evalGemm);
  table.add<MatMulOp>(evalMatMul);
}

} // namespace pare::eval
