//===- CudaOpsLlm.cpp - CUDA emitters: decoder ops of a full sequence -----===//
//
// pare.rms_norm, pare.rotary and pare.attention of a graph that was not
// derived into a decoder step (no --max-context, or the derivation refused):
// the whole static sequence at once, by the kernels of runtime-stubs/cuda-llm
// that the decoder target launches per step (the module then ships them).
// pare.matmul_nbits (int4 weights, issue 18) runs on the same kernels, with
// its weights packed by CudaW4.h into the module's weights blob.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaModule.h"
#include "codegen/cuda/CudaW4.h"

#include "dialects/Pare/IR/PareAttrs.h"

using namespace mlir;

namespace pare::codegen::cuda {
namespace {

/// Static shapes, float data (rotary's positions aside), no KV cache: what
/// the full-sequence forms take.
LogicalResult check(CudaModule &m, CudaOp &o) {
  for (Value v : o.op->getOperands())
    if (!cast<RankedTensorType>(v.getType()).hasStaticShape())
      return m.unsupported(o.op, "a run-time row count (a decoder step function; compile it "
                                 "with --max-context)");
  if (attrs::getKvLayer(o.op))
    return m.unsupported(o.op, "attention on a KV cache (pare.kv_layer) outside a decoder");
  for (Value v : o.op->getOperands())
    if (suffix(elemOf(v)) != o.sfx && !(isa<RotaryOp>(o.op) && v == o.op->getOperand(1)))
      return m.unsupported(o.op, "only float32 / float16 tensors of one type");
  if (o.sfx.empty())
    return m.unsupported(o.op, "only float32 / float16 tensors of one type");
  m.usesLlmKernels = true;
  return success();
}

LogicalResult emitRmsNorm(CudaModule &m, CudaOp &o) {
  auto rn = cast<RmsNormOp>(o.op);
  if (failed(check(m, o)))
    return failure();
  Shape x = shapeOf(rn.getInput());
  int64_t f = x.empty() ? 1 : x.back(), rows = f ? shape::numElements(x) / f : 0;
  m.body += m.launch("pare_llm_rms_norm_" + o.sfx + "(" + o.in[0] + ", " + o.in[1] + ", " +
                     o.out[0] + ", " + i32(rows) + ", " + i32(f) + ", " +
                     floatLiteral(rn.getEpsilon().convertToFloat()) + ", stream");
  return success();
}

LogicalResult emitRotary(CudaModule &m, CudaOp &o) {
  auto ro = cast<RotaryOp>(o.op);
  if (failed(check(m, o)))
    return failure();
  Shape x = shapeOf(ro.getInput());
  int64_t hd = int64_t(ro.getHeadDim());
  if (x.size() != 2 || !elemOf(ro.getPositions()).isInteger(64))
    return m.unsupported(o.op, "rotary of [S, heads * head_dim] rows with int64 positions");
  ArrayRef<float> freq = ro.getInvFreq();
  std::string table = m.floatTable(nodeName(o.op) + "_inv_freq", freq.vec());
  m.body += m.launch("pare_llm_rotary_pos64_" + o.sfx + "(" + o.in[0] + ", " + o.in[1] + ", " +
                     table + ", " + o.out[0] + ", " + i32(x[0]) + ", " + i32(x[1] / hd) + ", " +
                     i32(hd) + ", " + i32(ro.getRotaryDim()) + ", " +
                     (ro.getInterleaved() ? "1" : "0") + ", stream");
  return success();
}

LogicalResult emitAttention(CudaModule &m, CudaOp &o) {
  auto at = cast<AttentionOp>(o.op);
  if (failed(check(m, o)))
    return failure();
  int64_t rows = shapeOf(at.getQ())[0], keys = shapeOf(at.getK())[0];
  int64_t heads = int64_t(at.getHeads()), kvHeads = int64_t(at.getKvHeads()),
          hd = int64_t(at.getHeadDim());
  if (hd > 256)
    return m.unsupported(o.op, "head_dim over 256");
  // k / v rows of kv_heads * head_dim, heads side by side; the last query
  // row sees the last key.
  m.body += m.launch("pare_llm_attention_seq_" + o.sfx + "(" + o.in[0] + ", " + o.in[1] + ", " +
                     o.in[2] + ", " + o.out[0] + ", " + i32(rows) + ", " + i32(keys) + ", " +
                     i32(kvHeads * hd) + ", " + i32(hd) + ", " + i32(heads) + ", " +
                     i32(kvHeads) + ", " + i32(hd) + ", " +
                     floatLiteral(at.getScale().convertToFloat()) + ", " +
                     (at.getCausal() ? "1" : "0") + ", " + i32(keys - rows) + ", stream");
  return success();
}

/// `bytes` appended to the weights blob (256-byte aligned, as every tensor
/// there), and a `const type *` named after `base` pointing at them.
std::string blobBytes(CudaModule &m, const std::string &base, const std::string &type,
                      const std::string &bytes) {
  while (m.blob.size() % 256)
    m.blob.push_back('\0');
  size_t off = m.blob.size();
  m.blob += bytes;
  std::string name = uniqueName(localIdentifier(base, m.prefix), m.used);
  m.weightDecls += "  const " + type + " *" + name + " = (const " + type + " *)(w + " +
                   std::to_string(off) + ");\n";
  return name;
}

LogicalResult emitMatMulNBits(CudaModule &m, CudaOp &o) {
  auto q = cast<MatMulNBitsOp>(o.op);
  Shape x = shapeOf(q.getInput());
  if (!cast<RankedTensorType>(q.getInput().getType()).hasStaticShape() || x.empty())
    return m.unsupported(o.op, "a run-time row count (a decoder step function; compile it "
                               "with --max-context)");
  if (o.sfx.empty() || suffix(elemOf(q.getInput())) != o.sfx)
    return m.unsupported(o.op, "only float32 / float16 input and result of one type");
  if (o.residual != "nullptr")
    return m.unsupported(o.op, "a fused residual add (the int4 kernels have no such epilogue)");
  FailureOr<W4Weights> w = packW4(q, o.sfx == "f16", "cuda target");
  if (failed(w))
    return failure();
  m.usesLlmKernels = true;
  std::string base = sanitizeIdentifier(nodeName(o.op));
  std::string qw = blobBytes(m, base + "_w4", "uint8_t", w->qweight);
  std::string sz = blobBytes(m, base + "_w4_sz", o.sfx == "f16" ? "__half" : "float",
                             w->scaleZero);
  int64_t rows = shape::numElements(x) / w->k;
  m.body += m.launch("pare_llm_matmul_w4_" + o.sfx + "(" + o.in[0] + ", " + qw + ", " + sz +
                     ", " + o.out[0] + ", " + i32(rows) + ", " + i32(w->k) + ", " + i32(w->n) +
                     ", " + i32(w->group) + ", " + o.fused.kind + ", " + o.fused.a + ", " +
                     o.fused.b + ", stream");
  return success();
}

} // namespace

void registerLlmOps(OpTable &table) {
  table.add<RmsNormOp>(emitRmsNorm);
  table.add<RotaryOp>(emitRotary);
  table.add<AttentionOp>(emitAttention);
  table.add<MatMulNBitsOp>(emitMatMulNBits);
}

} // namespace pare::codegen::cuda
