//===- CDecoder.cpp - decoder step function -> C99 with a KV cache --------===//
//
// The step function computes every op on `n` rows (n = 1 to decode, up to
// <NAME>_PREFILL_CHUNK in a prefill step): its intermediates live in one
// static arena planned by the ArenaPlanner for a chunk of rows, the KV
// cache is a static [layer][kv_head]
// [max_context][head_dim] pair of arrays, and prefill and decode both run
// the same step function: one launch sequence, which the faster kernels of
// the next issue keep. Ops marked pare.tail feed no attention, so they run
// only when logits are wanted: on the last row (prefill, decode), or on
// every row (prefill_all, which scores a whole text window at once); the
// op computing the logits writes them straight into the caller's array.
//
// Weights go into <name>_weights.bin (WeightsFile.h): matmul weights stored
// transposed for pare_matmul_nt_f32, the 4-bit weights of pare.matmul_nbits
// packed two per byte ("u4") with their f32 scales and "u8" zero points for
// pare_matmul_nbits_f32 (pare_llm_w4.c), the int8 weights of
// pare.matmul_w8a8 as "s8" with their f32 scales for pare_matmul_w8a8_f32
// (pare_llm_w8.c), identical blobs once; the code checks the file's size and
// hash and points into it. The int8 kernel quantizes each row of activations
// into one static buffer of codes, sized for the largest K.
//
//===----------------------------------------------------------------------===//

#include "codegen/c/CDecoder.h"

#include "codegen/EmitterSupport.h"
#include "codegen/TextEscape.h"
#include "codegen/WeightsFile.h"

#include "dialects/Pare/Analysis/ArenaPlanner.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/RuntimeOpcodes.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"

#include <cstdio>
#include <map>
#include <set>

using namespace mlir;

namespace pare::codegen {

int64_t decoderPrefillChunk(int64_t maxContext) {
  return std::max<int64_t>(1, std::min<int64_t>(64, maxContext / 2));
}

namespace {

constexpr int64_t kArenaAlignment = 64;

/// One intermediate tensor [rows, features] in the arena.
struct Buffer {
  std::string name;
  int64_t features = 0;
  bool tail = false;
  size_t index = 0; ///< in the planner's buffers
};

class DecoderEmitter {
public:
  DecoderEmitter(ModuleOp module, const CEmitOptions &opts)
      : module(module), opts(opts), p(opts.name), u(llvm::StringRef(opts.name).upper()) {}

  FailureOr<std::vector<EmittedFile>> run();

private:
  LogicalResult readSignature();
  LogicalResult planArena();
  LogicalResult emitOp(Operation *op);
  LogicalResult emitAttention(AttentionOp op, std::string &code);
  LogicalResult emitBinary(Operation *op, const std::string &kind, std::string &code);
  /// The C expression of an operand's rows for `op` (its last row when `op`
  /// is a tail op reading a full-rows value).
  FailureOr<std::string> rowsOf(Operation *op, Value v);
  /// The blob holding constant `v` as `layout`, named after `op` and `role`.
  FailureOr<std::string> weight(Operation *op, Value v, const std::string &role,
                                BlobLayout layout);
  /// The blob holding the integer constant `v` as `dtype` (U4 packed, U8 or
  /// S8).
  FailureOr<std::string> intWeight(Operation *op, Value v, const std::string &role,
                                   BlobDType dtype);
  /// The declaration and binding of a new blob `name` of C type `ctype`.
  void declareWeight(const std::string &name, const std::string &ctype, const WeightBlob &blob,
                     Value v);
  std::string floatTable(const std::string &base, ArrayRef<float> values);
  std::string sourceFile();
  std::string makefile();

  ModuleOp module;
  const CEmitOptions &opts;
  std::string p, u; ///< symbol prefix and its upper case
  func::FuncOp func;
  int64_t maxContext = 0, layers = 0, vocab = 0, chunk = 0, idLimit = -1;
  /// --max-batch: KV-cache slots; batched (>= 2) adds the slot API and a
  /// per-row slot to the step.
  int64_t maxBatch = 1;
  bool batched = false;
  Value ids, positions, result;

  WeightsFileBuilder weights;
  std::map<std::pair<const void *, int>, std::string> weightNames;
  std::string weightDecls, weightBinds;
  std::map<std::vector<float>, std::string> tables;
  std::string tableDefs;
  NameSet globals, locals;

  llvm::DenseMap<Value, Buffer> buffers;
  std::vector<planning::Buffer> planned;
  std::vector<Operation *> attentionScratch; ///< ops with a scratch buffer
  llvm::DenseMap<Operation *, size_t> scratchIndex;
  planning::Placement placement;

  /// Per cache layer: kv heads, head dim and the float offset of the layer.
  struct CacheLayer {
    int64_t kvHeads = 0, headDim = 0, offset = 0;
    Operation *op = nullptr;
  };
  std::vector<CacheLayer> cache;
  int64_t cacheFloats = 0;

  std::string body, tailBody;
  /// Non-tail buffers the tail ops read (name, features), in first-use order:
  /// a batched step moves the rows whose logits are wanted to their end.
  std::vector<std::pair<std::string, int64_t>> tailInputs;
  bool usesElementwise = false;
  /// The quantized matmul kernels' sources called (pare_llm_w4.c,
  /// pare_llm_w8.c): shipped and built like pare_llm.c.
  std::set<std::string> quantKernels;
  /// Bytes of pare_matmul_w8a8_f32's activation codes: the largest K.
  int64_t actCodes = 0;
};

LogicalResult DecoderEmitter::readSignature() {
  auto decoder = module->getAttrOfType<DictionaryAttr>("pare.decoder");
  if (!decoder)
    return module.emitError("the C decoder emitter needs a decoder step function "
                            "(module attribute pare.decoder)");
  auto mc = decoder.getAs<IntegerAttr>("max_context");
  auto ly = decoder.getAs<IntegerAttr>("layers");
  if (!mc || !ly || mc.getInt() <= 0 || ly.getInt() <= 0 || mc.getInt() > (int64_t(1) << 24))
    return module.emitError("pare.decoder needs max_context in 1 .. 16777216 and layers >= 1");
  maxContext = mc.getInt();
  layers = ly.getInt();
  chunk = opts.prefillChunk > 0 ? std::min(opts.prefillChunk, maxContext)
                                : decoderPrefillChunk(maxContext);
  maxBatch = opts.maxBatch;
  if (maxBatch < 1 || maxBatch > 256)
    return module.emitError("--max-batch ") << maxBatch << " is outside 1 .. 256";
  batched = maxBatch > 1;
  // A decode_batch step is maxBatch rows: the arena holds that many.
  chunk = std::max(chunk, maxBatch);
  cache.resize(size_t(layers));

  auto funcs = module.getOps<func::FuncOp>();
  if (std::distance(funcs.begin(), funcs.end()) != 1)
    return module.emitError("a decoder module holds exactly one function");
  func = *funcs.begin();
  FunctionType type = func.getFunctionType();
  auto isRows = [](Type t) {
    auto r = dyn_cast<RankedTensorType>(t);
    return r && r.getRank() == 1 && r.isDynamicDim(0) && r.getElementType().isInteger(64);
  };
  if (type.getNumInputs() != 2 || !isRows(type.getInput(0)) || !isRows(type.getInput(1)))
    return func.emitError("the decoder step function takes (ids: tensor<?xi64>, positions: "
                          "tensor<?xi64>)");
  auto out = type.getNumResults() == 1 ? dyn_cast<RankedTensorType>(type.getResult(0)) : nullptr;
  if (!out || out.getRank() != 2 || !out.isDynamicDim(0) || out.isDynamicDim(1) ||
      !out.getElementType().isF32())
    return func.emitError("the decoder step function returns logits tensor<?xVxf32>");
  vocab = out.getDimSize(1);
  ids = func.getArgument(0);
  positions = func.getArgument(1);
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  result = ret.getOperand(0);
  if (!result.getDefiningOp() || isa<ConstantOp>(result.getDefiningOp()))
    return func.emitError("the decoder step function must compute its logits");
  return success();
}

LogicalResult DecoderEmitter::planArena() {
  Block &block = func.getBody().front();
  // Steps in the order the code runs the ops: the tail ops after all
  // others (in the `if (logits)` block), then the copy of the logits.
  llvm::DenseMap<Operation *, int64_t> step;
  int64_t i = 0;
  for (bool tail : {false, true})
    for (Operation &op : block)
      if (op.hasAttr("pare.tail") == tail && !isa<func::ReturnOp>(op))
        step[&op] = i++;
  step[block.getTerminator()] = i;
  for (Operation &op : block) {
    if (isa<ConstantOp, func::ReturnOp>(op))
      continue;
    if (op.getNumResults() != 1)
      return op.emitError("the C decoder emitter expects ops with one result");
    auto t = dyn_cast<RankedTensorType>(op.getResult(0).getType());
    if (!t || t.getRank() != 2 || !t.isDynamicDim(0) || t.isDynamicDim(1) ||
        !t.getElementType().isF32())
      return op.emitError("decoder ops compute float32 [rows, features] (tensor<?xFxf32>), not ")
             << op.getResult(0).getType();
    Buffer b;
    b.features = t.getDimSize(1);
    b.tail = op.hasAttr("pare.tail");
    b.name = uniqueName(localIdentifier(sanitizeIdentifier(nodeName(&op)), p), locals);
    b.index = planned.size();
    planning::Buffer pb;
    // Tail ops run on every row of a chunk for prefill_all; the logits
    // themselves go to the caller's array, not the arena.
    pb.size = (b.tail && op.getResult(0) == result ? 0 : chunk) * b.features *
              int64_t(sizeof(float));
    pb.first = step[&op];
    pb.last = pb.first;
    for (Operation *user : op.getResult(0).getUsers())
      pb.last = std::max(pb.last, step[user]);
    planned.push_back(pb);
    buffers[op.getResult(0)] = b;
    if (isa<AttentionOp>(op)) {
      scratchIndex[&op] = planned.size();
      planning::Buffer s;
      s.size = maxContext * int64_t(sizeof(float));
      s.first = s.last = step[&op];
      planned.push_back(s);
    }
  }
  placement = planning::placeSearch(planned, kArenaAlignment);
  return success();
}

FailureOr<std::string> DecoderEmitter::rowsOf(Operation *op, Value v) {
  auto it = buffers.find(v);
  if (it == buffers.end())
    return op->emitError("the C decoder emitter expects a computed [rows, features] operand here");
  const Buffer &b = it->second;
  bool tail = op->hasAttr("pare.tail");
  if (b.tail && !tail)
    return op->emitError("reads a value marked pare.tail (computed for the last row only) but is "
                         "not marked pare.tail itself");
  if (tail && !b.tail) {
    if (llvm::none_of(tailInputs, [&](const auto &t) { return t.first == b.name; }))
      tailInputs.push_back({b.name, b.features});
    return "(" + b.name + " + (size_t)(n - tn) * " + std::to_string(b.features) + ")";
  }
  return b.name;
}

FailureOr<std::string> DecoderEmitter::weight(Operation *op, Value v, const std::string &role,
                                              BlobLayout layout) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return op->emitError("the C decoder emitter needs a constant ") << role << " here";
  auto key = std::make_pair(v.getAsOpaquePointer(), int(layout));
  auto it = weightNames.find(key);
  if (it != weightNames.end())
    return it->second;
  std::string name =
      uniqueName(p + "_" + sanitizeIdentifier(nodeName(op)) + "_" + role, globals);
  FailureOr<size_t> index = weights.addConstant(v.getLoc(), name, attr, BlobDType::F32, layout);
  if (failed(index))
    return failure();
  declareWeight(name, "float", weights.blobs()[*index], v);
  weightNames[key] = name;
  return name;
}

FailureOr<std::string> DecoderEmitter::intWeight(Operation *op, Value v, const std::string &role,
                                                 BlobDType dtype) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return op->emitError("the C decoder emitter needs a constant ") << role << " here";
  // Keyed apart from the float layouts of weight().
  auto key = std::make_pair(v.getAsOpaquePointer(), 16 + int(dtype));
  auto it = weightNames.find(key);
  if (it != weightNames.end())
    return it->second;
  std::string name =
      uniqueName(p + "_" + sanitizeIdentifier(nodeName(op)) + "_" + role, globals);
  FailureOr<size_t> index = weights.addIntegers(v.getLoc(), name, attr, dtype);
  if (failed(index))
    return failure();
  declareWeight(name, dtype == BlobDType::S8 ? "int8_t" : "uint8_t", weights.blobs()[*index], v);
  weightNames[key] = name;
  return name;
}

void DecoderEmitter::declareWeight(const std::string &name, const std::string &ctype,
                                   const WeightBlob &blob, Value v) {
  std::string shape;
  for (int64_t d : blob.shape)
    shape += "[" + std::to_string(d) + "]";
  weightDecls += "/* " + std::string(blobDTypeName(blob.dtype)) + " " + shape + " " +
                 blobLayoutName(blob.layout) + " at payload offset " +
                 std::to_string(blob.offset) +
                 (blob.sharedWith >= 0 ? ", the bytes of " + weights.blobs()[blob.sharedWith].name
                                       : std::string()) +
                 "; " + commentText(nodeName(v.getDefiningOp())) + " */\n";
  weightDecls += "static const " + ctype + " *" + name + ";\n";
  weightBinds += "  " + name + " = (const " + ctype + " *)(const void *)(payload + " +
                 std::to_string(blob.offset) + ");\n";
}

std::string DecoderEmitter::floatTable(const std::string &base, ArrayRef<float> values) {
  std::vector<float> key(values.begin(), values.end());
  auto it = tables.find(key);
  if (it != tables.end())
    return it->second;
  std::string name = uniqueName(base, globals);
  std::string init;
  for (float f : values)
    init += (init.empty() ? "" : ", ") + floatLiteral(f);
  tableDefs += "static const float " + name + "[" + std::to_string(values.size()) + "] = {" +
               init + "};\n";
  tables[key] = name;
  return name;
}

LogicalResult DecoderEmitter::emitAttention(AttentionOp op, std::string &code) {
  if (op->hasAttr("pare.tail"))
    return op.emitError("pare.attention writes the KV cache and cannot be marked pare.tail");
  auto layerAttr = op->getAttrOfType<IntegerAttr>("pare.kv_layer");
  if (!layerAttr)
    return op.emitError("pare.attention in a decoder step function needs pare.kv_layer");
  int64_t layer = layerAttr.getInt();
  if (layer < 0 || layer >= layers)
    return op.emitError("pare.kv_layer ") << layer << " is outside the decoder's " << layers
                                          << " layers";
  if (!op.getCausal())
    return op.emitError("the decoder attends causally: pare.attention needs `causal`");
  int64_t heads = op.getHeads(), kvHeads = op.getKvHeads(), hd = op.getHeadDim();
  if (heads <= 0 || kvHeads <= 0 || hd <= 0 || heads % kvHeads != 0)
    return op.emitError("heads must be a positive multiple of kv_heads");
  if (buffers[op.getResult()].features != heads * hd || !buffers.count(op.getK()) ||
      !buffers.count(op.getV()) || buffers[op.getK()].features != kvHeads * hd ||
      buffers[op.getV()].features != kvHeads * hd)
    return op.emitError("q / output must have heads * head_dim features and k / v kv_heads * "
                        "head_dim");
  CacheLayer &c = cache[size_t(layer)];
  if (c.op)
    return op.emitError("pare.kv_layer ") << layer << " is used by two attentions";
  c.op = op;
  c.kvHeads = kvHeads;
  c.headDim = hd;
  auto q = rowsOf(op, op.getQ()), k = rowsOf(op, op.getK()), v = rowsOf(op, op.getV());
  if (failed(q) || failed(k) || failed(v))
    return failure();
  const Buffer &out = buffers[op.getResult()];
  std::string scratch =
      "(" + p + "_arena + " +
      std::to_string(placement.offsets[scratchIndex[op]] / int64_t(sizeof(float))) + ")";
  std::string off = u + "_CACHE_LAYER_" + std::to_string(layer);
  std::string tailArgs = std::to_string(hd) + ", " + "(int64_t)" + u + "_MAX_CONTEXT * " +
                         std::to_string(hd) + ", " + std::to_string(heads) + ", " +
                         std::to_string(kvHeads) + ", " + std::to_string(hd) + ", " +
                         floatLiteral(op.getScale().convertToFloat()) + ", 1, ";
  std::string dims = std::to_string(kvHeads) + ", " + std::to_string(hd) + ", " + u +
                     "_MAX_CONTEXT, ";
  if (!batched) {
    code += "  pare_kv_store_f32(" + *k + ", " + *v + ", " + p + "_k_cache + " + off + ", " + p +
            "_v_cache + " + off + ", n, " + dims + "pos0);\n";
    code += "  pare_attention_f32(" + *q + ", " + p + "_k_cache + " + off + ", " + p +
            "_v_cache + " + off + ", " + out.name + ", n, pos0 + n, " + tailArgs + "pos0, " +
            scratch + ");\n";
    return success();
  }
  // Batched: rows of one slot (prefill, decode) attend as above in that
  // slot's cache; rows of decode_batch are sequences of their own, one
  // call each (the same call a single-sequence decode makes).
  std::string kvw = std::to_string(kvHeads * hd), qw = std::to_string(heads * hd);
  std::string at = "(size_t)slot * " + u + "_CACHE_FLOATS + " + off;
  code += "  if (!slots) {\n";
  code += "    pare_kv_store_f32(" + *k + ", " + *v + ", " + p + "_k_cache + " + at + ", " + p +
          "_v_cache + " + at + ", n, " + dims + "pos0);\n";
  code += "    pare_attention_f32(" + *q + ", " + p + "_k_cache + " + at + ", " + p +
          "_v_cache + " + at + ", " + out.name + ", n, pos0 + n, " + tailArgs + "pos0, " +
          scratch + ");\n";
  code += "  } else {\n    for (r = 0; r < n; ++r) {\n";
  code += "      const size_t at = (size_t)slots[r] * " + u + "_CACHE_FLOATS + " + off + ";\n";
  code += "      const int32_t pr = (int32_t)" + p + "_positions[r];\n";
  code += "      pare_kv_store_f32(" + *k + " + (size_t)r * " + kvw + ", " + *v + " + (size_t)r * " +
          kvw + ", " + p + "_k_cache + at, " + p + "_v_cache + at, 1, " + dims + "pr);\n";
  code += "      pare_attention_f32(" + *q + " + (size_t)r * " + qw + ", " + p + "_k_cache + at, " +
          p + "_v_cache + at, " + out.name + " + (size_t)r * " + qw + ", 1, pr + 1, " + tailArgs +
          "pr, " + scratch + ");\n";
  code += "    }\n  }\n";
  return success();
}

LogicalResult DecoderEmitter::emitBinary(Operation *op, const std::string &kind,
                                         std::string &code) {
  const Buffer &out = buffers[op->getResult(0)];
  std::string f = std::to_string(out.features);
  std::string ptrs[2], strides[2];
  for (unsigned i = 0; i < 2; ++i) {
    Value v = op->getOperand(i);
    if (buffers.count(v)) {
      auto rows = rowsOf(op, v);
      if (failed(rows))
        return failure();
      if (buffers[v].features != out.features)
        return op->emitError("operand ") << i << " has " << buffers[v].features
                                         << " features, the result " << out.features;
      ptrs[i] = *rows;
      strides[i] = "{" + f + ", 1}";
      continue;
    }
    int64_t count = isa<RankedTensorType>(v.getType()) ? numel(v) : -1;
    if (count != out.features && count != 1)
      return op->emitError("operand ")
             << i << " must be [rows, " << out.features << "], a constant of " << out.features
             << " elements or a scalar";
    auto w = weight(op, v, i == 0 ? "a" : "b", BlobLayout::RowMajor);
    if (failed(w))
      return failure();
    ptrs[i] = *w;
    strides[i] = count == 1 ? "{0, 0}" : "{0, 1}";
  }
  ActArgs act = fusedActivation(op);
  code += "  {\n    const int32_t shape[2] = {" + std::string(op->hasAttr("pare.tail") ? "tn" : "n") +
          ", " + f + "};\n    static const int32_t a_strides[2] = " + strides[0] +
          ", b_strides[2] = " + strides[1] + ";\n    pare_binary_f32(" + kind + ", " + ptrs[0] +
          ", a_strides, " + ptrs[1] + ", b_strides, " + out.name + ", shape, 2, " + act.kind +
          ", " + act.a + ", " + act.b + ");\n  }\n";
  usesElementwise = true;
  return success();
}

LogicalResult DecoderEmitter::emitOp(Operation *op) {
  if (isa<ConstantOp, func::ReturnOp>(op))
    return success();
  bool tail = op->hasAttr("pare.tail");
  // Tail ops compute the step's last tn rows (1, or n for prefill_all).
  std::string rows = tail ? "tn" : "n";
  const Buffer &out = buffers[op->getResult(0)];
  std::string f = std::to_string(out.features);
  std::string code = "  /* " + nodeComment(op) + " */\n";

  if (auto g = dyn_cast<GatherOp>(op)) {
    if (g.getAxis() != 0 || g.getIndices() != ids)
      return op->emitError("the decoder's gather reads rows (axis 0) of a table by the ids");
    auto t = dyn_cast<RankedTensorType>(g.getData().getType());
    if (!t || t.getRank() != 2 || t.getDimSize(1) != out.features)
      return op->emitError("the gathered table must be [rows, ") << out.features << "]";
    auto w = weight(op, g.getData(), "table", BlobLayout::RowMajor);
    if (failed(w))
      return failure();
    idLimit = idLimit < 0 ? t.getDimSize(0) : std::min(idLimit, t.getDimSize(0));
    code += "  pare_embed_f32(" + *w + ", " + std::string(tail ? "ids + n - tn" : "ids") + ", " +
            out.name + ", " + rows + ", " + f + ");\n";
  } else if (auto r = dyn_cast<RmsNormOp>(op)) {
    auto x = rowsOf(op, r.getInput());
    auto w = weight(op, r.getWeight(), "weight", BlobLayout::RowMajor);
    if (failed(x) || failed(w))
      return failure();
    if (numel(r.getWeight()) != out.features)
      return op->emitError("the RMS norm weight must have ") << out.features << " elements";
    code += "  pare_rms_norm_f32(" + *x + ", " + *w + ", " + out.name + ", " + rows + ", " + f +
            ", " + floatLiteral(r.getEpsilon().convertToFloat()) + ");\n";
  } else if (auto m = dyn_cast<MatMulOp>(op)) {
    auto x = rowsOf(op, m.getA());
    if (failed(x))
      return failure();
    auto bt = dyn_cast<RankedTensorType>(m.getB().getType());
    int64_t k = buffers[m.getA()].features;
    if (!bt || bt.getRank() != 2 || bt.getDimSize(0) != k || bt.getDimSize(1) != out.features)
      return op->emitError("the decoder's matmul multiplies [rows, K] by a constant [K, N]");
    auto w = weight(op, m.getB(), "weight", BlobLayout::Transposed);
    if (failed(w))
      return failure();
    ActArgs act = fusedActivation(op);
    code += "  pare_matmul_nt_f32(" + *x + ", " + *w + ", " + out.name + ", " + rows + ", " +
            std::to_string(k) + ", " + f + ", " + act.kind + ", " + act.a + ", " + act.b + ");\n";
  } else if (auto nb = dyn_cast<MatMulNBitsOp>(op)) {
    auto x = rowsOf(op, nb.getInput());
    if (failed(x))
      return failure();
    int64_t k = buffers[nb.getInput()].features, group = int64_t(nb.getGroupSize());
    auto qt = cast<RankedTensorType>(nb.getQweight().getType());
    if (qt.getDimSize(0) != out.features || qt.getDimSize(1) != k ||
        !elemOf(nb.getScales()).isF32())
      return op->emitError("the decoder's 4-bit matmul multiplies [rows, K] by a constant [N, K] "
                           "weight with float32 scales");
    auto q = intWeight(op, nb.getQweight(), "qweight", BlobDType::U4);
    auto s = weight(op, nb.getScales(), "scales", BlobLayout::RowMajor);
    auto z = intWeight(op, nb.getZeroPoints(), "zero_points", BlobDType::U8);
    if (failed(q) || failed(s) || failed(z))
      return failure();
    ActArgs act = fusedActivation(op);
    code += "  pare_matmul_nbits_f32(" + *x + ", " + *q + ", " + *s + ", " + *z + ", " +
            out.name + ", " + rows + ", " + std::to_string(k) + ", " + f + ", " +
            std::to_string(group) + ", " + act.kind + ", " + act.a + ", " + act.b + ");\n";
    quantKernels.insert("pare_llm_w4.c");
  } else if (auto w8 = dyn_cast<MatMulW8A8Op>(op)) {
    auto x = rowsOf(op, w8.getInput());
    if (failed(x))
      return failure();
    int64_t k = buffers[w8.getInput()].features;
    auto wt = dyn_cast<RankedTensorType>(w8.getWeight().getType());
    if (!wt || wt.getRank() != 2 || wt.getDimSize(0) != out.features || wt.getDimSize(1) != k ||
        !wt.getElementType().isInteger(8) || numel(w8.getWeightScales()) != out.features ||
        !elemOf(w8.getWeightScales()).isF32())
      return op->emitError("the decoder's int8 matmul multiplies [rows, K] by a constant int8 "
                           "[N, K] weight with N float32 scales");
    // The kernel has no fused epilogue: an activation would be dropped.
    if (op->hasAttr("activation"))
      return op->emitError("pare.matmul_w8a8 has no fused activation in the C decoder");
    // Per token is the kernel's act_scale 0; per tensor has its calibrated
    // scale (positive and finite: the op's type inference checks both).
    std::string actScale = w8.getActQuant() == "per-tensor"
                               ? floatLiteral(float(w8.getActScaleAttr().getValueAsDouble()))
                               : std::string("0.0f");
    auto w = intWeight(op, w8.getWeight(), "weight", BlobDType::S8);
    auto s = weight(op, w8.getWeightScales(), "weight_scales", BlobLayout::RowMajor);
    if (failed(w) || failed(s))
      return failure();
    code += "  pare_matmul_w8a8_f32(" + *x + ", " + *w + ", " + *s + ", " + out.name + ", " +
            rows + ", " + std::to_string(k) + ", " + f + ", " + actScale + ", " + p +
            "_act_codes);\n";
    actCodes = std::max(actCodes, k);
    quantKernels.insert("pare_llm_w8.c");
  } else if (auto r = dyn_cast<RotaryOp>(op)) {
    if (r.getPositions() != positions)
      return op->emitError("the decoder's rotary embedding reads the step's positions");
    auto x = rowsOf(op, r.getInput());
    if (failed(x))
      return failure();
    int64_t hd = r.getHeadDim();
    ArrayRef<float> freq = r.getInvFreq();
    if (hd <= 0 || out.features % hd != 0 || int64_t(2 * freq.size()) > hd)
      return op->emitError("head_dim must divide the features and hold the rotated dims");
    std::string table = floatTable(p + "_" + sanitizeIdentifier(nodeName(op)) + "_inv_freq", freq);
    code += "  pare_rotary_f32(" + *x + ", " + out.name + ", " +
            std::string(tail ? p + "_positions + n - tn" : p + "_positions") + ", " + rows + ", " +
            std::to_string(out.features / hd) + ", " + std::to_string(hd) + ", " + table + ", " +
            std::to_string(freq.size()) + ", " + (r.getInterleaved() ? "1" : "0") + ");\n";
  } else if (auto a = dyn_cast<AttentionOp>(op)) {
    if (failed(emitAttention(a, code)))
      return failure();
  } else if (auto code0 = runtimeOpcode(op); code0 && code0->family == RuntimeOpFamily::Binary) {
    if (failed(emitBinary(op, code0->enumerator.str(), code)))
      return failure();
  } else if (code0 && code0->family == RuntimeOpFamily::Unary) {
    auto x = rowsOf(op, op->getOperand(0));
    if (failed(x))
      return failure();
    code += "  pare_unary_f32(" + *x + ", " + out.name + ", (size_t)" + rows + " * " + f + ", " +
            code0->enumerator.str() + ");\n";
    usesElementwise = true;
  } else if (op->getNumOperands() == 1 &&
             activationOpcode(op->getName().stripDialect())) {
    auto x = rowsOf(op, op->getOperand(0));
    if (failed(x))
      return failure();
    ActArgs act = standaloneActivation(op);
    code += "  pare_activation_f32(" + *x + ", " + out.name + ", (size_t)" + rows + " * " + f +
            ", " + act.kind + ", " + act.a + ", " + act.b + ");\n";
    usesElementwise = true;
  } else {
    return op->emitError("the C decoder emitter has no kernel for '")
           << op->getName().getStringRef() << "'";
  }
  if (!tail) {
    body += code;
    return success();
  }
  // Inside the step's `if (logits)` block: one more level of indent.
  for (llvm::StringRef line : llvm::split(llvm::StringRef(code).rtrim('\n'), '\n'))
    tailBody += "  " + line.str() + "\n";
  return success();
}

std::string DecoderEmitter::sourceFile() {
  std::string banner = "/* Generated by pare " + opts.version + " from " +
                       commentText(opts.sourceModel) +
                       ". Do not edit; recompile the model instead. */\n";
  std::string s = banner;
  s += "/* Decoder step of " + std::to_string(layers) + " layers for the " + opts.targetName +
       " target: float32, weights in " + p + "_weights.bin, KV cache " +
       (batched ? "[slot][layer][kv_head][" : "[layer][kv_head][") + std::to_string(maxContext) +
       "][head_dim]. */\n";
  s += "#include \"" + p + ".h\"\n#include \"pare_llm.h\"\n";
  if (usesElementwise)
    s += "#include \"pare_kernels.h\"\n";
  s += "\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n";
  s += "#define " + u + "_WEIGHTS_BYTES " + std::to_string(weights.payloadBytes()) + "ULL\n";
  char hash[32];
  std::snprintf(hash, sizeof hash, "0x%016llxULL", (unsigned long long)weights.hash());
  s += "#define " + u + "_WEIGHTS_HASH " + std::string(hash) + "\n";
  s += "#define " + u + "_ARENA_FLOATS " +
       std::to_string(std::max<int64_t>(1, placement.arenaBytes / int64_t(sizeof(float)))) + "\n";
  s += "/* Ids the embedding table has rows for. */\n#define " + u + "_IDS " +
       std::to_string(idLimit) + "\n";
  s += "/* Float offset of each KV cache layer. */\n";
  for (int64_t l = 0; l < layers; ++l)
    s += "#define " + u + "_CACHE_LAYER_" + std::to_string(l) + " " +
         std::to_string(cache[size_t(l)].offset) + "\n";
  s += std::string(batched ? "/* Floats of one slot's K (and V) cache. */\n" : "") + "#define " +
       u + "_CACHE_FLOATS " + std::to_string(std::max<int64_t>(1, cacheFloats)) + "\n\n";
  s += "/* Intermediates of one step (" + std::to_string(chunk) + " rows; " +
       std::to_string(placement.arenaBytes) + " bytes), the KV cache, the step's positions. */\n";
  s += "static float " + p + "_arena[" + u + "_ARENA_FLOATS];\n";
  std::string cacheSize = (batched ? u + "_MAX_BATCH * " : std::string()) + u + "_CACHE_FLOATS";
  s += "static float " + p + "_k_cache[" + cacheSize + "];\n";
  s += "static float " + p + "_v_cache[" + cacheSize + "];\n";
  s += "static int64_t " + p + "_positions[" + u + "_PREFILL_CHUNK];\n";
  if (batched)
    s += "/* A batched step's slot of each row, and the rows whose logits are wanted. */\n"
         "static int32_t " + p + "_row_slots[" + u + "_PREFILL_CHUNK];\nstatic int32_t " + p +
         "_last_rows[" + u + "_MAX_BATCH];\n";
  if (actCodes > 0)
    s += "/* int8 activation codes for pare_matmul_w8a8_f32 (a chunk's rows, the largest K). */\n"
         "static int8_t " + p + "_act_codes[PARE_LLM_W8_SCRATCH(" + u + "_PREFILL_CHUNK, " +
         std::to_string(actCodes) + ")];\n";
  s += "static int32_t " + p + "_pos" + (batched ? "[" + u + "_MAX_BATCH]" : std::string()) +
       ";" + (batched ? " /* tokens in each slot */" : "") + "\nstatic int " + p +
       "_ready;\nstatic void *" + p + "_owned;\n\n";
  s += tableDefs + (tableDefs.empty() ? "" : "\n");
  s += "/* Weights: pointers into the checked file. */\n" + weightDecls + "\n";
  s += "static void " + p + "_bind(const unsigned char *payload)\n{\n" + weightBinds + "}\n\n";

  // The step function.
  if (!batched) {
    s += "/* Computes rows pos0 .. pos0 + n - 1 (n <= " + u +
         "_PREFILL_CHUNK; checked by the callers) and, when logits is not NULL,\n"
         "   the logits of the last tn rows (tn = 1, or n: tn * " + u + "_VOCAB floats). */\n";
    s += "static void " + p + "_step(const int32_t *ids, int32_t n, float *logits, int32_t tn)\n{\n";
    s += "  const int32_t pos0 = " + p + "_pos;\n  int32_t r;\n";
  } else {
    s += "/* slots NULL: computes rows pos0 .. pos0 + n - 1 of `slot`; otherwise row r is the\n"
         "   next token of slots[r] (the rows of one slot in order). n <= " + u +
         "_PREFILL_CHUNK (checked by\n"
         "   the callers). When logits is not NULL, writes the logits of tn rows (tn * " + u +
         "_VOCAB floats):\n"
         "   rows last[0] < .. < last[tn - 1], or with last NULL the last tn rows. */\n";
    s += "static void " + p + "_step(const int32_t *ids, int32_t n, float *logits, int32_t tn, "
         "int32_t slot,\n" + std::string(p.size() + 19, ' ') +
         "const int32_t *slots, const int32_t *last)\n{\n";
    s += "  const int32_t pos0 = slots ? 0 : " + p + "_pos[slot];\n  int32_t r;\n";
  }
  const Buffer &res = buffers[result];
  for (Operation &op : func.getBody().front()) {
    if (op.getNumResults() != 1 || !buffers.count(op.getResult(0)))
      continue;
    const Buffer &b = buffers[op.getResult(0)];
    if (op.getResult(0) == result && res.tail) {
      s += "  float *const " + b.name + " = logits; /* the logits, in the caller's array */\n";
      continue;
    }
    s += "  float *const " + b.name + " = " + p + "_arena + " +
         std::to_string(placement.offsets[b.index] / int64_t(sizeof(float))) + ";\n";
  }
  if (batched)
    s += "  if (slots)\n    for (r = 0; r < n; ++r)\n      " + p + "_positions[r] = " + p +
         "_pos[slots[r]]++;\n  else\n    for (r = 0; r < n; ++r)\n      " + p +
         "_positions[r] = (int64_t)pos0 + r;\n";
  else
    s += "  for (r = 0; r < n; ++r)\n    " + p + "_positions[r] = (int64_t)pos0 + r;\n";
  s += body;
  if (batched) {
    // The wanted rows to the end of every buffer the tail reads (row
    // last[r] <= n - tn + r: moving the last one first overwrites nothing
    // still to be moved).
    std::vector<std::pair<std::string, int64_t>> moved = tailInputs;
    if (!res.tail)
      moved.push_back({res.name, vocab});
    if (!moved.empty()) {
      s += "  if (logits && last)\n    for (r = tn - 1; r >= 0; --r)\n"
           "      if (last[r] != n - tn + r) {\n";
      for (const auto &[name, features] : moved)
        s += "        memcpy(" + name + " + (size_t)(n - tn + r) * " + std::to_string(features) +
             ", " + name + " + (size_t)last[r] * " + std::to_string(features) + ", " +
             std::to_string(features) + " * sizeof(float));\n";
      s += "      }\n";
    } else {
      s += "  (void)last;\n";
    }
  }
  s += "  if (logits) {\n" + tailBody;
  if (!res.tail)
    s += "    memcpy(logits, " + res.name + " + (size_t)(n - tn) * " + u + "_VOCAB, (size_t)tn * " +
         u + "_VOCAB * sizeof(float));\n";
  s += "  }\n";
  if (batched)
    s += "  if (!slots)\n    " + p + "_pos[slot] = pos0 + n;\n}\n\n";
  else
    s += "  " + p + "_pos = pos0 + n;\n}\n\n";

  // Loading and checking the weights.
  s += "static uint64_t " + p + "_read_le(const unsigned char *b, int bytes)\n{\n"
       "  uint64_t v = 0;\n  int i;\n  for (i = bytes - 1; i >= 0; --i)\n"
       "    v = (v << 8) | b[i];\n  return v;\n}\n\n";
  std::string resetAll = batched ? "memset(" + p + "_pos, 0, sizeof " + p + "_pos);"
                                 : p + "_pos = 0;";
  s += "void " + p + "_free(void)\n{\n  free(" + p + "_owned);\n  " + p + "_owned = NULL;\n  " +
       p + "_ready = 0;\n  " + resetAll + "\n}\n\n";
  s += "int " + p + "_init_from_memory(const void *blob, size_t size)\n{\n"
       "  const unsigned char *b = (const unsigned char *)blob;\n"
       "  uint64_t hash = 0xcbf29ce484222325ULL, i;\n";
  s += "  " + p + "_free();\n";
  s += "  if (!b)\n    return " + u + "_ERR_ARG;\n";
  s += "  if ((uintptr_t)b % sizeof(float) != 0)\n    return " + u +
       "_ERR_ARG; /* the floats are read in place */\n";
  s += "  if (size != 64 + " + u + "_WEIGHTS_BYTES || memcmp(b, \"PAREWTS1\", 8) != 0 ||\n"
       "      " + p + "_read_le(b + 8, 4) != 1 || " + p + "_read_le(b + 12, 4) != 64 ||\n"
       "      " + p + "_read_le(b + 16, 8) != " + u + "_WEIGHTS_BYTES || " + p +
       "_read_le(b + 24, 8) != " + u + "_WEIGHTS_HASH)\n    return " + u + "_ERR_WEIGHTS;\n";
  s += "  for (i = 0; i < " + u + "_WEIGHTS_BYTES; ++i) {\n    hash ^= b[64 + i];\n"
       "    hash *= 0x100000001b3ULL;\n  }\n";
  s += "  if (hash != " + u + "_WEIGHTS_HASH)\n    return " + u + "_ERR_WEIGHTS;\n";
  s += "  " + p + "_bind(b + 64);\n  " + p + "_ready = 1;\n  " + resetAll + "\n  return " + u +
       "_OK;\n}\n\n";
  s += "int " + p + "_init(const char *weights_path)\n{\n  FILE *f;\n  long size;\n"
       "  void *data;\n  int rc;\n";
  s += "  " + p + "_free();\n  if (!weights_path)\n    return " + u + "_ERR_ARG;\n";
  s += "  f = fopen(weights_path, \"rb\");\n  if (!f)\n    return " + u + "_ERR_WEIGHTS;\n";
  s += "  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||\n"
       "      (unsigned long)size != 64 + " + u + "_WEIGHTS_BYTES || fseek(f, 0, SEEK_SET) != 0) {\n"
       "    fclose(f);\n    return " + u + "_ERR_WEIGHTS;\n  }\n";
  s += "  data = malloc((size_t)size);\n"
       "  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {\n"
       "    free(data);\n    fclose(f);\n    return " + u + "_ERR_WEIGHTS;\n  }\n  fclose(f);\n";
  s += "  rc = " + p + "_init_from_memory(data, (size_t)size);\n  if (rc != " + u +
       "_OK) {\n    free(data);\n    return rc;\n  }\n  " + p + "_owned = data;\n  return " + u +
       "_OK;\n}\n\n";

  // The API.
  std::string pos = batched ? p + "_pos[slot]" : p + "_pos";
  s += "void " + p + "_reset(void)\n{\n  " + resetAll + "\n}\n\n";
  s += "int32_t " + p + "_position(void)\n{\n  return " + p + (batched ? "_pos[0]" : "_pos") +
       ";\n}\n\n";
  s += "/* prefill (all = 0: the last row's logits, unless logits is NULL) and\n"
       "   prefill_all (all = 1: every row's)" + (batched ? std::string(", on one slot") : "") +
       ". */\n";
  s += "static int " + p + "_append(" + (batched ? "int32_t slot, " : "") +
       "const int32_t *ids, int32_t n, float *logits, int all)\n{\n"
       "  int32_t i, done;\n";
  s += "  if (!" + p + "_ready)\n    return " + u + "_ERR_STATE;\n";
  s += "  if (!ids || n <= 0 || (all && !logits))\n    return " + u + "_ERR_ARG;\n";
  s += "  for (i = 0; i < n; ++i)\n    if (ids[i] < 0 || ids[i] >= " + u + "_IDS)\n      return " +
       u + "_ERR_ARG;\n";
  s += "  /* Checked before anything is written: the cache stays as it was. */\n";
  s += "  if (n > " + u + "_MAX_CONTEXT - " + pos + ")\n    return " + u + "_ERR_CONTEXT;\n";
  std::string slotArgs = batched ? ", slot, NULL, NULL" : "";
  s += "  for (done = 0; done < n; done += " + u + "_PREFILL_CHUNK) {\n"
       "    int32_t rows = n - done < " + u + "_PREFILL_CHUNK ? n - done : " + u +
       "_PREFILL_CHUNK;\n"
       "    if (all)\n      " + p + "_step(ids + done, rows, logits + (size_t)done * " + u +
       "_VOCAB, rows" + slotArgs + ");\n"
       "    else\n      " + p + "_step(ids + done, rows, done + rows == n ? logits : NULL, 1" +
       slotArgs + ");\n"
       "  }\n  return " + u + "_OK;\n}\n\n";
  std::string slot0 = batched ? "0, " : "";
  s += "int " + p + "_prefill(const int32_t *ids, int32_t n, float *logits_of_last)\n{\n  return " +
       p + "_append(" + slot0 + "ids, n, logits_of_last, 0);\n}\n\n";
  s += "int " + p + "_prefill_all(const int32_t *ids, int32_t n, float *logits)\n{\n  return " +
       p + "_append(" + slot0 + "ids, n, logits, 1);\n}\n\n";
  s += "int " + p + "_decode(int32_t id, float *logits)\n{\n  return " + p +
       "_prefill(&id, 1, logits);\n}\n\n";
  if (batched) {
    std::string bad = "slot < 0 || slot >= " + u + "_MAX_BATCH";
    s += "int " + p + "_reset_slot(int32_t slot)\n{\n  if (" + bad + ")\n    return " + u +
         "_ERR_ARG;\n  " + p + "_pos[slot] = 0;\n  return " + u + "_OK;\n}\n\n";
    s += "int32_t " + p + "_slot_position(int32_t slot)\n{\n  return " + bad + " ? -1 : " + p +
         "_pos[slot];\n}\n\n";
    s += "int " + p + "_prefill_slot(int32_t slot, const int32_t *ids, int32_t n, "
         "float *logits_of_last)\n{\n  if (" + bad + ")\n    return " + u + "_ERR_ARG;\n  return " +
         p + "_append(slot, ids, n, logits_of_last, 0);\n}\n\n";
    // prefill_batch and decode_batch (counts NULL: one token each, every
    // row's logits): sequences laid out in order, cut into steps of at most
    // PREFILL_CHUNK rows; a step's logits are those of the sequences that end
    // in it, consecutive in the caller's array.
    s += "/* Sequence i appends counts[i] tokens (1 each when counts is NULL) of ids, laid out\n"
         "   sequence after sequence, to slots[i]; logits (unless NULL) gets each sequence's\n"
         "   logits after its last token. Everything is checked before anything is written. */\n";
    s += "static int " + p + "_batch(const int32_t *slots, const int32_t *counts, int32_t nseq,\n" +
         std::string(p.size() + 18, ' ') + "const int32_t *ids, float *logits)\n{\n"
         "  unsigned char seen[" + u + "_MAX_BATCH];\n  int32_t i, j, seq = 0, used = 0;\n"
         "  int64_t total = 0, done = 0, t;\n";
    s += "  if (!" + p + "_ready)\n    return " + u + "_ERR_STATE;\n";
    s += "  if (!slots || !ids || nseq <= 0 || nseq > " + u + "_MAX_BATCH)\n    return " + u +
         "_ERR_ARG;\n";
    s += "  memset(seen, 0, sizeof seen);\n  for (i = 0; i < nseq; ++i) {\n"
         "    const int32_t c = counts ? counts[i] : 1;\n"
         "    if (slots[i] < 0 || slots[i] >= " + u + "_MAX_BATCH || seen[slots[i]] || c <= 0)\n"
         "      return " + u + "_ERR_ARG;\n"
         "    seen[slots[i]] = 1;\n    total += c;\n  }\n";
    s += "  for (i = 0; i < nseq; ++i) /* before the ids: counts bound what may be read */\n"
         "    if ((counts ? counts[i] : 1) > " + u + "_MAX_CONTEXT - " + p +
         "_pos[slots[i]])\n      return " + u + "_ERR_CONTEXT;\n";
    s += "  for (t = 0; t < total; ++t)\n    if (ids[t] < 0 || ids[t] >= " + u +
         "_IDS)\n      return " + u + "_ERR_ARG;\n";
    s += "  while (done < total) {\n    int32_t rows = 0, tn = 0, first = -1;\n"
         "    while (rows < " + u + "_PREFILL_CHUNK && seq < nseq) {\n"
         "      const int32_t c = counts ? counts[seq] : 1;\n"
         "      const int32_t take = c - used < " + u + "_PREFILL_CHUNK - rows ? c - used : " + u +
         "_PREFILL_CHUNK - rows;\n"
         "      for (j = 0; j < take; ++j)\n        " + p + "_row_slots[rows + j] = slots[seq];\n"
         "      rows += take;\n      used += take;\n      if (used == c) {\n"
         "        if (first < 0)\n          first = seq;\n        " + p +
         "_last_rows[tn++] = rows - 1;\n        ++seq;\n        used = 0;\n      }\n    }\n";
    s += "    " + p + "_step(ids + done, rows, logits && tn ? logits + (size_t)first * " + u +
         "_VOCAB : NULL, tn, 0,\n" + std::string(p.size() + 10, ' ') + p + "_row_slots, " + p +
         "_last_rows);\n    done += rows;\n  }\n  return " + u + "_OK;\n}\n\n";
    s += "int " + p + "_prefill_batch(const int32_t *slots, const int32_t *counts, int32_t nseq,\n" +
         std::string(p.size() + 19, ' ') + "const int32_t *ids, float *logits_of_last)\n{\n"
         "  if (!counts)\n    return " + u + "_ERR_ARG;\n  return " + p +
         "_batch(slots, counts, nseq, ids, logits_of_last);\n}\n\n";
    s += "int " + p + "_decode_batch(const int32_t *slots, const int32_t *ids, int32_t n, "
         "float *logits)\n{\n  if (!logits)\n    return " + u + "_ERR_ARG;\n  return " + p +
         "_batch(slots, NULL, n, ids, logits);\n}\n\n";
  }
  s += "const char *" + p + "_strerror(int code)\n{\n  switch (code) {\n";
  s += "  case " + u + "_OK: return \"ok\";\n";
  s += "  case " + u + "_ERR_CONTEXT: return \"the tokens would pass the maximum context (" +
       std::to_string(maxContext) + ")\";\n";
  s += "  case " + u + "_ERR_ARG: return \"bad argument (NULL, n <= 0, an id outside the "
       "vocabulary, " +
       (batched ? "a slot outside 0 .. " + std::to_string(maxBatch - 1) +
                      " or given twice, more than " + std::to_string(maxBatch) + " rows, "
                : std::string()) +
       "or a weights blob not aligned for floats)\";\n";
  s += "  case " + u + "_ERR_WEIGHTS: return \"weights file missing, or not the one this model was "
       "compiled with (size or hash)\";\n";
  s += "  case " + u + "_ERR_STATE: return \"not initialised\";\n";
  s += "  case " + u + "_ERR_DEVICE: return \"device error\";\n";
  s += "  default: return \"unknown error\";\n  }\n}\n";
  return s;
}

std::string DecoderEmitter::makefile() {
  std::string s = "# Generated by pare " + opts.version + " from " +
                  commentText(opts.sourceModel) + ". Builds the generate runner of " + p +
                  ":\n#   make -f " + p + ".mk            (needs --emit-runner's generate.c)\n"
                  "# Threads (pare_llm.h): make -f " + p +
                  ".mk CFLAGS=\"-O3 -march=native -DPARE_LLM_THREADS=4 -pthread\"\n";
  std::string flags;
  for (const std::string &f : opts.cpuFlags)
    flags += " " + f;
  s += "CC ?= cc\nCFLAGS ?= -O3" + flags + "\n";
  s += u + "_SOURCES = " + p + ".c pare_llm.c";
  for (const std::string &k : quantKernels)
    s += " " + k;
  s += std::string(usesElementwise ? " pare_k_elementwise.c" : "") + "\n";
  s += "RUNNER_SOURCES = generate.c pare_tokenizer.c\n\n";
  s += "generate: $(RUNNER_SOURCES) $(" + u + "_SOURCES)\n\t$(CC) -std=c99 $(CFLAGS) -o $@ "
       "$(RUNNER_SOURCES) $(" + u + "_SOURCES) -lm\n";
  return s;
}

FailureOr<std::vector<EmittedFile>> DecoderEmitter::run() {
  if (std::string why = modelNameError(p); !why.empty())
    return module.emitError("--name ") << p << ": " << why;
  globals = {p + "_arena", p + "_k_cache", p + "_v_cache", p + "_positions", p + "_pos",
             p + "_row_slots", p + "_last_rows", p + "_batch",
             p + "_ready", p + "_owned", p + "_bind", p + "_step", p + "_read_le", p + "_append",
             p + "_act_codes"};
  locals = {"ids", "n", "logits", "tn", "pos0", "r", "shape", "a_strides", "b_strides",
            "slot", "slots", "last", "at", "pr"};
  if (failed(readSignature()) || failed(planArena()))
    return failure();
  for (Operation &op : func.getBody().front())
    if (failed(emitOp(&op)))
      return failure();
  if (idLimit < 0)
    return func.emitError("the decoder step function has no embedding gather of the ids");
  for (int64_t l = 0; l < layers; ++l) {
    CacheLayer &c = cache[size_t(l)];
    if (!c.op)
      return func.emitError("no pare.attention has pare.kv_layer ") << l << " (layers = "
                                                                    << layers << ")";
    c.offset = cacheFloats;
    cacheFloats += c.kvHeads * maxContext * c.headDim;
  }
  // Static arrays past 2 GiB do not link under the default (small) code
  // model of x86-64 and AArch64, nor fit any microcontroller.
  int64_t staticBytes = placement.arenaBytes + 2 * maxBatch * cacheFloats * int64_t(sizeof(float));
  if (staticBytes > (int64_t(1) << 31) - 1)
    return module.emitError("the C decoder's static arrays (activation arena and a KV cache of ")
           << maxBatch << " slot" << (maxBatch > 1 ? "s" : "") << " x " << maxContext
           << " positions) need " << staticBytes
           << " bytes, more than the 2 GiB static data can hold: lower --max-context"
           << (maxBatch > 1 ? " or --max-batch" : "");

  DecoderApi api;
  api.name = p;
  api.banner = "/* Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) +
               ". Do not edit; recompile the model instead. */\n";
  api.maxContext = maxContext;
  api.vocab = vocab;
  api.prefillChunk = chunk;
  api.prefillAll = true;
  api.maxBatch = maxBatch;
  api.prefillBatch = batched;

  std::vector<EmittedFile> files;
  files.push_back({p + ".h", decoderApiHeader(api)});
  files.push_back({p + ".c", sourceFile()});
  files.push_back({p + "_weights.bin", weights.file()});
  files.push_back({p + ".mk", makefile()});
  std::set<std::string> runtime = {"pare_llm.h", "pare_llm.c", "pare_activation.h"};
  if (usesElementwise)
    runtime.insert({"pare_kernels.h", "pare_k_elementwise.c"});
  runtime.insert(quantKernels.begin(), quantKernels.end());
  for (const EmittedFile &f : runtimeFiles())
    if (runtime.count(f.path))
      files.push_back(f);
  if (opts.emitRunner) {
    files.push_back({"pare_model.h", decoderRunnerShim(api)});
    for (const EmittedFile &f : llmRunnerFiles())
      files.push_back(f);
  }
  return files;
}

} // namespace

FailureOr<std::vector<EmittedFile>> emitDecoderC(ModuleOp module, const CEmitOptions &options) {
  DecoderEmitter e(module, options);
  return e.run();
}

} // namespace pare::codegen
