//===- COpsLlm.cpp - C emitters: decoder ops of a full sequence -----------===//
//
// pare.rms_norm, pare.rotary and pare.attention of a graph that was not
// derived into a decoder step (no --max-context, or the derivation refused):
// the whole static sequence at once, by the row kernels of pare_llm.c that the
// decoder target calls per chunk. pare.matmul_nbits (any graph) by
// pare_llm_w4.c's kernel: its 4-bit weight becomes a uint8_t array packed two
// per byte (WeightsFile.h's packU4), its zero points one per byte.
// pare.matmul_w8a8 by pare_llm_w8.c's kernel on its int8 weight array.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CModule.h"

#include "codegen/WeightsFile.h"

#include "dialects/Pare/IR/PareAttrs.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace pare::codegen {

using shape::Shape;

namespace {

/// Fails at `op` unless its shapes are static (the decoder step's dynamic
/// rows belong to the decoder emitter).
LogicalResult requireStatic(CModule &m, Operation *op) {
  for (Value v : op->getOperands())
    if (!cast<RankedTensorType>(v.getType()).hasStaticShape())
      return m.unsupported(op, "a run-time row count (a decoder step function; compile it with "
                               "--max-context)");
  if (attrs::getKvLayer(op))
    return m.unsupported(op, "attention on a KV cache (pare.kv_layer) outside a decoder");
  // Float32 data (rotary's positions are i64).
  for (Value v : op->getOperands())
    if (!elemOf(v).isF32() && !(isa<RotaryOp>(op) && v == op->getOperand(1)))
      return m.unsupported(op, "only float32 tensors are supported by this kernel");
  return success();
}

LogicalResult emitRmsNorm(CModule &m, Operation *op, const Operands &in,
                          ArrayRef<std::string> out) {
  auto rn = cast<RmsNormOp>(op);
  if (failed(requireStatic(m, op)))
    return failure();
  Shape x = shapeOf(rn.getInput());
  int64_t f = x.back(), rows = f ? shape::numElements(x) / f : 0;
  m.line("  " + m.call("pare_rms_norm_f32") + in[0] + ", " + in[1] + ", " + out[0] + ", " +
         i32(rows) + ", " + i32(f) + ", " + floatLiteral(rn.getEpsilon().convertToFloat()) +
         ");\n");
  return success();
}

LogicalResult emitRotary(CModule &m, Operation *op, const Operands &in, ArrayRef<std::string> out) {
  auto ro = cast<RotaryOp>(op);
  if (failed(requireStatic(m, op)))
    return failure();
  Shape x = shapeOf(ro.getInput());
  int64_t hd = int64_t(ro.getHeadDim());
  ArrayRef<float> freq = ro.getInvFreq();
  std::string table;
  for (size_t i = 0; i < freq.size(); ++i)
    table += (i ? ", " : "") + floatLiteral(freq[i]);
  m.line("  {\n    static const float inv_freq[" + i32(int64_t(freq.size())) + "] = {" + table +
         "};\n    " + m.call("pare_rotary_f32") + in[0] + ", " + out[0] + ", " + in[1] + ", " +
         i32(x[0]) + ", /* heads */ " + i32(x[1] / hd) + ", /* head_dim */ " + i32(hd) +
         ", inv_freq, " + i32(int64_t(freq.size())) + ", /* interleaved */ " +
         (ro.getInterleaved() ? "1" : "0") + ");\n  }\n");
  return success();
}

LogicalResult emitAttention(CModule &m, Operation *op, const Operands &in,
                            ArrayRef<std::string> out) {
  auto at = cast<AttentionOp>(op);
  if (failed(requireStatic(m, op)))
    return failure();
  std::optional<int64_t> scratch = attrs::getScratchOffset(op);
  if (!scratch)
    return m.unsupported(op, "attention without its scratch (run pare-plan-memory)");
  int64_t rows = shapeOf(at.getQ())[0], keys = shapeOf(at.getK())[0];
  int64_t heads = int64_t(at.getHeads()), kvHeads = int64_t(at.getKvHeads()),
          hd = int64_t(at.getHeadDim());
  // The whole sequence: k / v rows of kv_heads * head_dim, heads side by
  // side; the last query row sees the last key.
  m.line("  " + m.call("pare_attention_f32") + in[0] + ", " + in[1] + ", " + in[2] + ", " + out[0] +
         ", " + i32(rows) + ", /* keys */ " + i32(keys) + ",\n      /* row stride */ " +
         i32(kvHeads * hd) + ", /* head stride */ " + i32(hd) + ", /* heads */ " + i32(heads) +
         ", " + i32(kvHeads) + ", /* head_dim */ " + i32(hd) + ", " +
         floatLiteral(at.getScale().convertToFloat()) + ", /* causal */ " +
         (at.getCausal() ? "1" : "0") + ", /* first_pos */ " + i32(keys - rows) +
         ",\n      (float *)(void *)(arena + " + std::to_string(*scratch) + "));\n");
  return success();
}

/// The values 0 .. 15 of a constant 4-bit operand of `op` (`what` names it),
/// or failure with an error at the op.
FailureOr<std::vector<int8_t>> nibbleConstant(CModule &m, Operation *op, Value v,
                                              const char *what) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !isa<IntegerType>(attr.getElementType()))
    return m.unsupported(op, std::string(what) + " that is not an integer constant");
  std::vector<int8_t> values;
  values.reserve(size_t(attr.getNumElements()));
  for (const APInt &a : attr.getValues<APInt>()) {
    int64_t x = a.getSExtValue();
    if (x < 0 || x > 15)
      return m.unsupported(op, std::string(what) + " value " + std::to_string(x) +
                                   " outside 0 .. 15");
    values.push_back(int8_t(x));
  }
  return values;
}

LogicalResult emitMatMulNBits(CModule &m, Operation *op, const Operands &in,
                              ArrayRef<std::string> out) {
  auto mm = cast<MatMulNBitsOp>(op);
  if (!elemOf(mm.getInput()).isF32() || !elemOf(mm.getScales()).isF32())
    return m.unsupported(op, "only float32 activations and scales are supported by this kernel");
  if (!cast<RankedTensorType>(mm.getInput().getType()).hasStaticShape())
    return m.unsupported(op, "a run-time row count (a decoder step function; compile it with "
                             "--max-context)");
  Shape q = shapeOf(mm.getQweight());
  int64_t n = q[0], k = q[1], group = int64_t(mm.getGroupSize());
  auto values = nibbleConstant(m, op, mm.getQweight(), "a 4-bit weight");
  auto zeros = nibbleConstant(m, op, mm.getZeroPoints(), "4-bit zero points");
  if (failed(values) || failed(zeros))
    return failure();
  // The packed copy replaces the IR's one value per element (in[1] and
  // in[3] are not read, so their arrays stay out of the weights file).
  std::string layer = sanitizeIdentifier(nodeName(op));
  std::string packed = packU4(*values, n, k);
  std::vector<std::string> qText, zText;
  for (char c : packed)
    qText.push_back(std::to_string(unsigned(uint8_t(c))));
  for (int8_t z : *zeros)
    zText.push_back(std::to_string(int(z)));
  std::string qName = m.constArray(layer + "_qweight_u4", "uint8_t", qText,
                                   nodeName(op) + ": 4-bit weight [" + std::to_string(n) + "][" +
                                       std::to_string(k) + "], two per byte along K (low nibble "
                                       "= even k)");
  std::string zName = m.constArray(layer + "_zero_points_u8", "uint8_t", zText,
                                   nodeName(op) + ": zero points [" + std::to_string(n) + "][" +
                                       std::to_string((k + group - 1) / group) +
                                       "], one per byte");
  int64_t rows = k ? numel(mm.getInput()) / k : 0;
  ActArgs act = fusedActivation(op);
  m.line("  " + m.call("pare_matmul_nbits_f32") + in[0] + ", " + qName + ", " + in[2] + ", " +
         zName + ", " + out[0] + ", " + i32(rows) + ", /* K */ " + i32(k) + ", /* N */ " + i32(n) +
         ", /* group */ " + i32(group) + ", " + act.kind + ", " + act.a + ", " + act.b + ");\n");
  return success();
}

LogicalResult emitMatMulW8A8(CModule &m, Operation *op, const Operands &in,
                             ArrayRef<std::string> out) {
  auto mm = cast<MatMulW8A8Op>(op);
  if (!elemOf(mm.getInput()).isF32() || !elemOf(mm.getWeightScales()).isF32())
    return m.unsupported(op, "only float32 activations and scales are supported by this kernel");
  if (!cast<RankedTensorType>(mm.getInput().getType()).hasStaticShape())
    return m.unsupported(op, "a run-time row count (a decoder step function; compile it with "
                             "--max-context)");
  // The kernel's codes are symmetric: -128 is not one of them.
  DenseElementsAttr w;
  if (!matchPattern(mm.getWeight(), m_Constant(&w)))
    return m.unsupported(op, "an int8 weight that is not a constant");
  for (const APInt &a : w.getValues<APInt>())
    if (a.getSExtValue() < -127)
      return m.unsupported(op, "int8 weight value " + std::to_string(a.getSExtValue()) +
                                   " outside -127 .. 127");
  Shape ws = shapeOf(mm.getWeight());
  int64_t n = ws[0], k = ws[1], rows = k ? numel(mm.getInput()) / k : 0;
  // Per token is the kernel's act_scale 0; the row's codes live on the stack
  // (K bytes) while every output channel reads them.
  FloatAttr given = mm.getActScaleAttr();
  float actScale =
      mm.getActQuant() == "per-tensor" && given ? float(given.getValueAsDouble()) : 0.0f;
  m.line("  {\n    int8_t xq[" + i32(k > 0 ? k : 1) + "];\n    " +
         m.call("pare_matmul_w8a8_f32") + in[0] + ", " + in[1] + ", " + in[2] + ", " + out[0] +
         ", " + i32(rows) + ", /* K */ " + i32(k) + ", /* N */ " + i32(n) + ", /* act_scale (" +
         mm.getActQuant().str() + ") */ " + floatLiteral(actScale) + ", xq);\n  }\n");
  return success();
}

} // namespace

void registerLlmOps(OpTable &table) {
  table.add<RmsNormOp>(emitRmsNorm);
  table.add<RotaryOp>(emitRotary);
  table.add<AttentionOp>(emitAttention);
  table.add<MatMulNBitsOp>(emitMatMulNBits);
  table.add<MatMulW8A8Op>(emitMatMulW8A8);
}

} // namespace pare::codegen
