//===- CudaOpsConvGemm.cpp - CUDA emitter: conv, gemm, matmul -------------===//
//
// NHWC convolution (depthwise with HWC weights), transposed convolution
// (gather form), gemm and batched matmul,
// each with its fused activation and, where FuseResidualAdd marked the
// producer, the residual add in its epilogue. Constant [K][N] right operands
// are stored transposed.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaModule.h"

using namespace mlir;

namespace pare::codegen::cuda {
namespace {

LogicalResult emitConv(CudaModule &mod, CudaOp &o) {
  auto c = cast<ConvOp>(o.op);
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const std::string &residual = o.residual;
  const ActArgs &fused = o.fused;
  const Shape &os = o.os;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(mod)))
    return failure();
  if (!c.getChannelsLast())
    return mod.unsupported(op, "NCHW convolution");
  Shape x = shapeOf(c.getInput()), w = shapeOf(c.getWeight());
  auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
  ActArgs a = fused;
  std::string bias = c.getBias() ? in[2] : "nullptr";
  if (in[1].empty()) {
    mod.body += mod.launch("pare_cu_depthwise_conv2d_" + sfx + "(" + in[0] + ", " + i32(x[0]) +
                           ", " + i32(x[1]) + ", " + i32(x[2]) + ", " + i32(x[3]) + ", " +
                           mod.weight(c.getWeight(), Layout::DepthwiseHWC) + ", " + bias + ", " +
                           residual + ", " + out[0] + ", " + i32(os[1]) + ", " + i32(os[2]) + ", " +
                           i32(w[1]) + ", " + i32(w[2]) + ", " + i32(s[0]) + ", " + i32(s[1]) +
                           ", " + i32(d[0]) + ", " + i32(d[1]) + ", " + i32(p[0]) + ", " +
                           i32(p[1]) + ", " + a.kind + ", " + a.a + ", " + a.b + ", stream");
    return success();
  }
  mod.body += mod.launch("pare_cu_conv2d_" + sfx + "(" + in[0] + ", " + i32(x[0]) + ", " +
                         i32(x[1]) + ", " + i32(x[2]) + ", " + i32(x[3]) + ", " + in[1] + ", " +
                         bias + ", " + residual + ", " + out[0] + ", " + i32(os[1]) + ", " +
                         i32(os[2]) + ", " + i32(os[3]) + ", " + i32(w[1]) + ", " + i32(w[2]) +
                         ", " + i32(s[0]) + ", " + i32(s[1]) + ", " + i32(d[0]) + ", " + i32(d[1]) +
                         ", " + i32(p[0]) + ", " + i32(p[1]) + ", " + i32(c.getGroup()) + ", " +
                         a.kind + ", " + a.a + ", " + a.b + ", stream");
  return success();
}

/// Transposed convolution, NHWC, weights [ic][kh][kw][oc / group] as stored.
LogicalResult emitConvTranspose(CudaModule &mod, CudaOp &o) {
  auto c = cast<ConvTransposeOp>(o.op);
  if (failed(o.needFloat(mod)))
    return failure();
  if (!c.getChannelsLast())
    return mod.unsupported(o.op, "NCHW transposed convolution");
  Shape x = shapeOf(c.getInput()), w = shapeOf(c.getWeight());
  const Shape &os = o.os;
  auto s = c.getStrides(), d = c.getDilations(), p = c.getPads();
  const ActArgs &a = o.fused;
  std::string bias = c.getBias() ? o.in[2] : "nullptr";
  mod.body += mod.launch("pare_cu_conv_transpose2d_" + o.sfx + "(" + o.in[0] + ", " + i32(x[0]) +
                         ", " + i32(x[1]) + ", " + i32(x[2]) + ", " + i32(x[3]) + ", " + o.in[1] +
                         ", " + bias + ", " + o.out[0] + ", " + i32(os[1]) + ", " + i32(os[2]) +
                         ", " + i32(os[3]) + ", " + i32(w[1]) + ", " + i32(w[2]) + ", " +
                         i32(s[0]) + ", " + i32(s[1]) + ", " + i32(d[0]) + ", " + i32(d[1]) +
                         ", " + i32(p[0]) + ", " + i32(p[1]) + ", " + i32(c.getGroup()) + ", " +
                         a.kind + ", " + a.a + ", " + a.b + ", stream");
  return success();
}

LogicalResult emitGemm(CudaModule &mod, CudaOp &o) {
  auto g = cast<GemmOp>(o.op);
  auto &in = o.in;
  const auto &out = o.out;
  const std::string &residual = o.residual;
  const ActArgs &fused = o.fused;
  const Shape &os = o.os;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(mod)))
    return failure();
  Shape a = shapeOf(g.getA());
  int64_t m = os[0], n = os[1], k = g.getTransA() ? a[0] : a[1];
  int64_t ars = g.getTransA() ? 1 : k, acs = g.getTransA() ? m : 1;
  int64_t brs = g.getTransB() ? 1 : n, bcs = g.getTransB() ? k : 1;
  // Constant [K][N] weights are stored transposed (see above).
  if (in[1].empty()) {
    in[1] = mod.weight(g.getB(), Layout::Transposed2D);
    brs = 1;
    bcs = k;
  }
  std::string c = "nullptr";
  int64_t crs = 0, ccs = 0;
  if (g.getC()) {
    c = in[2];
    auto st = shape::broadcastStrides(shapeOf(g.getC()), {m, n});
    crs = st[0];
    ccs = st[1];
  }
  ActArgs act = fused;
  mod.body +=
      mod.launch("pare_cu_matmul_" + sfx + "(" + in[0] + ", " + in[1] + ", " + c + ", " + residual +
                 ", " + out[0] + ", " + i32(m) + ", " + i32(n) + ", " + i32(k) + ", " + i32(ars) +
                 ", " + i32(acs) + ", " + i32(brs) + ", " + i32(bcs) + ", " + i32(crs) + ", " +
                 i32(ccs) + ", 1, 0, 0, " + floatLiteral(g.getAlpha().convertToFloat()) + ", " +
                 floatLiteral(g.getBeta().convertToFloat()) + ", " + act.kind + ", " + act.a +
                 ", " + act.b + ", stream");
  return success();
}

LogicalResult emitMatMul(CudaModule &mod, CudaOp &o) {
  auto mm = cast<MatMulOp>(o.op);
  Operation *op = o.op;
  auto &in = o.in;
  const auto &out = o.out;
  const std::string &residual = o.residual;
  const ActArgs &fused = o.fused;
  const std::string &sfx = o.sfx;
  if (failed(o.needFloat(mod)))
    return failure();
  auto g = *shape::matmulGeometry(shapeOf(mm.getA()), shapeOf(mm.getB()));
  int64_t m = g.m, k = g.k, n = g.n;
  int64_t nb = shape::numElements(g.batch);
  int64_t na = shape::numElements(g.aBatch), nbb = shape::numElements(g.bBatch);
  if ((na != nb && na != 1) || (nbb != nb && nbb != 1))
    return mod.unsupported(op, "partially broadcast batch dims");
  // A batch-1 left operand against a batched right one is one big matmul
  // only when B is shared; otherwise stride through the batch.
  int64_t brs = n, bcs = 1;
  if (in[1].empty()) { // constant 2-D B, stored [N][K]
    in[1] = mod.weight(mm.getB(), Layout::Transposed2D);
    brs = 1;
    bcs = k;
  }
  ActArgs act = fused;
  mod.body +=
      mod.launch("pare_cu_matmul_" + sfx + "(" + in[0] + ", " + in[1] + ", nullptr, " + residual +
                 ", " + out[0] + ", " + i32(m) + ", " + i32(n) + ", " + i32(k) + ", " + i32(k) +
                 ", 1, " + i32(brs) + ", " + i32(bcs) + ", 0, 0, " + i32(nb) + ", " +
                 i32(na == 1 ? 0 : m * k) + "LL, " + i32(nbb == 1 ? 0 : k * n) +
                 "LL, 1.0f, 0.0f, " + act.kind + ", " + act.a + ", " + act.b + ", stream");
  return success();
}

} // namespace

void registerConvGemmOps(OpTable &table) {
  table.add<ConvOp>(emitConv);
  table.add<ConvTransposeOp>(emitConvTranspose);
  table.add<GemmOp>(emitGemm);
  table.add<MatMulOp>(emitMatMul);
}

} // namespace pare::codegen::cuda
