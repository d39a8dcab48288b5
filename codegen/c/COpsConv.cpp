//===- COpsConv.cpp - C emitters: float conv, gemm and matmul -------------===//
//
// The float (f32) kernels of pare_k_conv.c (convolution, transposed
// convolution, gemm, matmul). int8 convolutions are in
// COpsInt8.cpp; a convolution reading through a temporal shift in
// CTemporalShift.cpp.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CModule.h"

#include "dialects/Pare/IR/PareAttrs.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace pare::codegen {

using shape::Shape;

namespace {

/// Float convolution: depthwise (HWC weights), packed (blocks of 16
/// output channels) or plain.
LogicalResult emitConv(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto c = cast<ConvOp>(op);
  Shape os = shapeOf(op->getResult(0));
  if (failed(m.requireF32(op)))
    return failure();
  if (attrs::hasShiftFrames(op)) // reads through a temporal shift
    return emitShiftedConv(m, op, in, out);
  if (!c.getChannelsLast())
    return m.unsupported(op, "NCHW convolution (run pare-convert-to-nhwc)");
  Shape x = shapeOf(c.getInput()), w = shapeOf(c.getWeight());
  auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
  ActArgs a = fusedActivation(op);
  std::string bias = "NULL";
  if (c.getBias())
    bias = in[2];
  if (c.isDepthwise() && w[3] == 1 && matchPattern(c.getWeight(), m_Constant())) {
    m.line("  " + m.call("pare_depthwise_conv2d_f32") + in[0] + ", " + i32(x[0]) + ", " +
           m.geo(x[1], "ih") + ", " + m.geo(x[2], "iw") + ", " + i32(x[3]) + ",\n      " +
           m.weight(c.getWeight(), {}, WeightLayout::DepthwiseHWC) + ", " + bias + ",\n      " +
           out[0] + ", /* out h, w */ " + m.geo(os[1], "oh") + ", " + m.geo(os[2], "ow") +
           ",\n      " +
           windowArgs(i32(w[1]), i32(w[2]), s, d, m.geo(p[0], "pad_top"), m.geo(p[1], "pad_left")) +
           ",\n      " + a.kind + ", " + a.a + ", " + a.b + ");\n");
    return success();
  }
  // Packing pads each group's output channels to a multiple of 16; use it
  // where that costs at most a quarter more weight memory.
  int64_t ocg = w[0] / int64_t(c.getGroup());
  int64_t padded = (ocg + kConvOCB - 1) / kConvOCB * kConvOCB;
  bool packed = matchPattern(c.getWeight(), m_Constant()) && padded * 4 <= ocg * 5;
  std::string wname =
      packed ? m.weight(c.getWeight(), {}, WeightLayout::ConvPacked, int64_t(c.getGroup())) : in[1];
  m.line("  " + m.call(std::string("pare_conv2d") + (packed ? "_packed" : "") + "_f32") + in[0] +
         ", " + i32(x[0]) + ", " + m.geo(x[1], "ih") + ", " + m.geo(x[2], "iw") + ", " + i32(x[3]) +
         ",\n      " + wname + ", " + bias + ",\n      " + out[0] + ", /* out h, w, c */ " +
         m.geo(os[1], "oh") + ", " + m.geo(os[2], "ow") + ", " + i32(os[3]) + ",\n      " +
         windowArgs(i32(w[1]), i32(w[2]), s, d, m.geo(p[0], "pad_top"), m.geo(p[1], "pad_left")) +
         ", /* group */ " + i32(int64_t(c.getGroup())) + ",\n      " + a.kind + ", " + a.a + ", " +
         a.b + ");\n");
  return success();
}

/// Float transposed convolution: one gather-form call on the NHWC input and
/// the [ic][kh][kw][oc / group] weights as ConvertToNHWC left them.
LogicalResult emitConvTranspose(CModule &m, Operation *op, const Operands &in,
                                ArrayRef<std::string> out) {
  auto c = cast<ConvTransposeOp>(op);
  if (failed(m.requireF32(op)))
    return failure();
  if (!c.getChannelsLast())
    return m.unsupported(op, "NCHW transposed convolution (run pare-convert-to-nhwc)");
  Shape x = shapeOf(c.getInput()), w = shapeOf(c.getWeight()), os = shapeOf(op->getResult(0));
  auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
  ActArgs a = fusedActivation(op);
  std::string bias = c.getBias() ? in[2] : std::string("NULL");
  m.line("  " + m.call("pare_conv_transpose2d_f32") + in[0] + ", " + i32(x[0]) + ", " +
         i32(x[1]) + ", " + i32(x[2]) + ", " + i32(x[3]) + ",\n      " + in[1] + ", " + bias +
         ",\n      " + out[0] + ", /* out h, w, c */ " + i32(os[1]) + ", " + i32(os[2]) + ", " +
         i32(os[3]) + ",\n      " +
         windowArgs(i32(w[1]), i32(w[2]), s, d, i32(p[0]), i32(p[1])) + ", /* group */ " +
         i32(int64_t(c.getGroup())) + ",\n      " + a.kind + ", " + a.a + ", " + a.b + ");\n");
  return success();
}

/// Gemm as one pare_matmul_f32 call with strides for the transposes.
LogicalResult emitGemm(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto g = cast<GemmOp>(op);
  Shape os = shapeOf(op->getResult(0));
  if (failed(m.requireF32(op)))
    return failure();
  Shape a = shapeOf(g.getA()), b = shapeOf(g.getB());
  int64_t rows = os[0], n = os[1];
  int64_t k = g.getTransA() ? a[0] : a[1];
  int64_t ars = g.getTransA() ? 1 : k, acs = g.getTransA() ? rows : 1;
  int64_t brs = g.getTransB() ? 1 : n, bcs = g.getTransB() ? k : 1;
  std::string c = "NULL";
  int64_t crs = 0, ccs = 0;
  if (g.getC()) {
    c = in[2];
    auto st = shape::broadcastStrides(shapeOf(g.getC()), {rows, n});
    crs = st[0];
    ccs = st[1];
  }
  ActArgs act = fusedActivation(op);
  m.line("  " + m.call("pare_matmul_f32") + in[0] + ", " + in[1] + ", " + c + ", " + out[0] +
         ",\n      " + i32(rows) + ", " + i32(n) + ", " + i32(k) + ", " + i32(ars) + ", " +
         i32(acs) + ", " + i32(brs) + ", " + i32(bcs) + ", " + i32(crs) + ", " + i32(ccs) +
         ",\n      NULL, 0, NULL, NULL, " + floatLiteral(g.getAlpha().convertToFloat()) + ", " +
         floatLiteral(g.getBeta().convertToFloat()) + ", " + act.kind + ", " + act.a + ", " +
         act.b + ");\n");
  return success();
}

/// MatMul, batched through broadcast batch strides.
LogicalResult emitMatMul(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto mm = cast<MatMulOp>(op);
  if (failed(m.requireF32(op)))
    return failure();
  auto g = *shape::matmulGeometry(shapeOf(mm.getA()), shapeOf(mm.getB()));
  if (g.batch.size() > 8)
    return m.unsupported(op, "more than 8 batch dims");
  int64_t rows = g.m, k = g.k, n = g.n;
  ActArgs act = fusedActivation(op);
  m.line("  {\n");
  auto [bshape, astr, bstr] = m.batchArrays(g);
  m.line("    " + m.call("pare_matmul_f32") + in[0] + ", " + in[1] + ", NULL, " + out[0] +
         ",\n        " + i32(rows) + ", " + i32(n) + ", " + i32(k) + ", " + i32(k) + ", 1, " +
         i32(n) + ", 1, 0, 0,\n        " + bshape + ", " + i32(g.batch.size()) + ", " + astr +
         ", " + bstr + ", 1.0f, 0.0f, " + act.kind + ", " + act.a + ", " + act.b + ");\n  }\n");
  return success();
}

} // namespace

void registerFloatConvOps(OpTable &table) {
  table.add<ConvOp>(emitConv);
  table.add<ConvTransposeOp>(emitConvTranspose);
  table.add<GemmOp>(emitGemm);
  table.add<MatMulOp>(emitMatMul);
}

} // namespace pare::codegen
