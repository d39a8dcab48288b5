//===- CudaDecoder.cpp - decoder step function -> CUDA C++ ----------------===//
//
// Every value of the step function is [rows][width]: rows is the run-time row
// count (1 for decode, up to PREFILL_CHUNK for prefill), so each op becomes
// one launch of a runtime-stubs/cuda-llm kernel with `n` (or 1, for an op
// marked pare.tail, which prefill computes for the last row only) rows, or,
// with fusion on (the default), each group DecoderFusion.h finds becomes one
// fused launch at its last op (qkv, linear, gated: 5 launches a Llama layer)
// and attention the split decode attention. enqueue(n, last) holds the
// launches in op order, each cited by its ONNX nodes and marked with its
// kernel family (PARE_PROF: <name>_profile's event nodes); decode captures
// enqueue(1, 1) into a CUDA graph once and replays it, the token id and
// position written to device memory first; decode_sample's graph appends
// pare_llm_sample, so only the drawn id comes back.
//
// Device memory is one allocation: the weights payload (its blobs at the
// offsets WeightsFileBuilder gave them), the activation arena (values of
// PREFILL_CHUNK rows placed by the ArenaPlanner over their lifetimes, a fused
// op's operands read at its group's launch, fused-away values not stored),
// the KV cache ([layers][kv_heads][max_context][head_dim], K then V), the
// step's ids and positions, the float logits of the last row, the decode
// attention's workspace and the sampler's (workspace, step counter, id), the
// last four zeroed once at setup, and, when the step has pare.matmul_w8a8
// (SmoothQuant W8A8, issue 19), the int8 linears' workspace: the quantized
// rows of PREFILL_CHUNK rows of the largest K, shared by every W8A8 launch
// in stream order; when the step has fused int4 groups (issue 18:
// pare_llm_linear_w4 / gated_w4 / qkv_w4), their workspace: the largest
// group's weights dequantized, which their prefill launches run on. Their weights are "s8" blobs of rows padded to 32 bytes
// (PARE_LLM_W8_ROW_BYTES) and a float scale per output channel, whatever
// the storage precision.
//
// With --max-batch N >= 2 (batched decoding) the caches hold N slots
// ([slot][the layout above]) and the host a position per slot; the arena,
// ids and positions hold max(PREFILL_CHUNK, N) rows, the tail values, the
// logits and the attention workspace N. enqueue(n, last, slot) runs one
// sequence in a slot (prefill_slot, and slot 0's prefill / decode /
// decode_sample / profile: the cache pointers moved to the slot, the
// kernels' `slots` NULL), or with slot -1 a decode_batch step: row r is a
// sequence of its own in the slot of the device `slots` array, which every
// cache-touching launch passes with the slot stride (pare_cu_llm.cuh), and
// the tail ops and the logits run on all n rows. decode_batch captures one
// graph per row count at its first step of that many rows. --max-batch 1
// emits the single-sequence code (the kernels' slots NULL).
//
// With --cuda-gemm cublas every product launch (matmul, linear, gated, qkv,
// matmul_w4, linear_w8a8) calls its pare_llm_blas_* twin
// (runtime-stubs/cuda-llm/pare_cu_llm_blas.cuh) with the library context that
// setup makes for a prefill chunk of the step's largest products: decode
// rows still run pare's kernels, prefill rows cuBLAS / cuBLASLt. Only then
// do the pare_cu_llm_blas* files ship and the .mk link -lcublas -lcublasLt.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaDecoder.h"

#include "codegen/EmitterSupport.h"
#include "codegen/TextEscape.h"
#include "codegen/WeightsFile.h"
#include "codegen/cuda/CudaW4.h"
#include "codegen/cuda/DecoderFusion.h"
#include "dialects/Pare/Analysis/ArenaPlanner.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <map>
#include <set>
#include <tuple>

using namespace mlir;

namespace pare::codegen {
namespace {

/// Rows of a prefill chunk unless --prefill-chunk says: the activations of
/// this many positions are planned; longer prompts run in chunks, each
/// reading every weight once. The GEMMs reach their throughput at a few
/// hundred rows, and a 512-token prompt is one chunk.
constexpr int64_t kPrefillChunk = 512;
/// Alignment of everything in the device allocation (and of arena buffers):
/// the kernels' 16-byte vector loads need rows and blobs aligned.
constexpr int64_t kDeviceAlign = 256;

int64_t alignUp(int64_t v) { return planning::alignTo(v, kDeviceAlign); }

std::string hex(uint64_t v) { return "0x" + llvm::utohexstr(v, /*LowerCase=*/true) + "ull"; }

bool isActivationOp(Operation *op) {
  return isa<ReluOp, SigmoidOp, TanhOp, HardSwishOp, SoftplusOp, SoftsignOp, MishOp, ClipOp,
             LeakyReluOp, EluOp, CeluOp, ThresholdedReluOp, HardSigmoidOp, SeluOp, GeluOp>(op);
}

/// The emitter state of one decoder.
class Decoder {
public:
  Decoder(ModuleOp module, func::FuncOp func, const CudaEmitOptions &opts)
      : module(module), func(func), opts(opts), prefix(sanitizeIdentifier(opts.name)),
        upper(llvm::StringRef(prefix).upper()), T(opts.fp16 ? "pare_half" : "float"),
        sfx(opts.fp16 ? "f16" : "f32"), dtype(opts.fp16 ? BlobDType::F16 : BlobDType::F32),
        esize(opts.fp16 ? 2 : 4) {}

  LogicalResult run(std::vector<EmittedFile> &files);

private:
  // --- analysis -------------------------------------------------------------
  LogicalResult checkSignature();
  LogicalResult checkOp(Operation *op);
  LogicalResult plan();
  LogicalResult checkMemory();

  // --- code -----------------------------------------------------------------
  LogicalResult emitOp(Operation *op);
  LogicalResult emitLaunch(Operation *op);
  /// The one launch of a fused group (DecoderFusion.h), at its last op.
  LogicalResult emitGroup(cuda::LaunchGroup g);
  /// The pointer and epsilon of a group's norm prologue ("NULL", "0.0f" without).
  LogicalResult normArgs(cuda::LaunchGroup &g, std::string &w, std::string &eps);
  /// The transposed weight of a matmul a fused kernel reads (checked as emitLaunch checks).
  LogicalResult matmulWeight(MatMulOp mm, std::string &w);
  LogicalResult emitBinary(Operation *op, const std::string &opcode);
  std::string weight(Value v, BlobLayout layout);
  /// The device pointers (packed weights, scale / zero pairs) of a
  /// pare.matmul_nbits, packed once per qweight constant.
  LogicalResult w4Weights(MatMulNBitsOp op, std::string &qw, std::string &sz);
  /// w4Weights for the int4 matmul of a fused group, its qweight checked
  /// against the result's width (as emitLaunch does).
  LogicalResult groupW4Weights(Operation *op, std::string &qw, std::string &sz);
  /// The fused int4 launches' workspace holds `outputs` rows of K dequantized.
  void needW4Workspace(int64_t k, int64_t outputs);
  /// The device pointers (int8 rows padded to 32 bytes, float scales) of a
  /// pare.matmul_w8a8, stored once per (weight, scales) pair; checks the op
  /// for the kernel and records its K for the workspace.
  LogicalResult w8Weights(MatMulW8A8Op op, std::string &w, std::string &s);
  /// pare_llm_linear_w8a8's launch for `op` reading x (normalized by the
  /// norm prologue nw / eps unless nw is "NULL"), adding `res` unless
  /// "NULL", into y.
  LogicalResult emitW8A8(MatMulW8A8Op op, Operation *at, const std::string &x,
                         const std::string &nw, const std::string &eps, const std::string &res,
                         const std::string &y, const ActArgs &act);
  std::string floatTable(Operation *op, Attribute key, llvm::ArrayRef<float> values);
  /// The pointer `user` reads `v` through: a tail op reads the last row of a
  /// value that has all rows.
  std::string rowPtr(Operation *user, Value v);
  /// Rows of `op`'s launch: a tail op's are 1 (the last row), or with
  /// --max-batch tail_rows (1, or every row of a decode_batch step).
  std::string rows(Operation *op) const {
    return attrs::isTail(op) ? (batched ? "tail_rows" : "1") : "n";
  }
  /// The KV-cache slot arguments after `positions` (pare_cu_llm.cuh): none
  /// for a single-sequence decoder, else enqueue's slots and stride.
  std::string slotArgs() const { return batched ? "slots, slot_stride" : "NULL, 0"; }
  std::string tailNote() const {
    return batched ? " (last row only; every row in decode_batch)" : " (last row only)";
  }
  /// "pare_llm_<fn>_<sfx>(" of a product of k inputs and n outputs (a gated
  /// pair: 2n; q, k, v: their sum), or with --cuda-gemm cublas
  /// "pare_llm_blas_<fn>_<sfx>(<prefix>_g.blas, ", recording the sizes of
  /// the library context.
  std::string gemmCall(const std::string &fn, int64_t k, int64_t n);
  LogicalResult error(Operation *op, const llvm::Twine &why) {
    return op->emitError() << "the cuda decoder cannot emit " << op->getName() << ": " << why;
  }

  // --- files ----------------------------------------------------------------
  std::string banner() const;
  DecoderApi api() const;
  std::string source() const;
  std::string makefile() const;
  /// --max-batch: fills the runtime text's slot marks (@S0@ ...).
  void fillSlotMarks(std::string &c) const;
  /// --max-batch: reset_slot, slot_position, prefill_slot's checks and
  /// decode_batch (@P@ / @U@ unexpanded).
  std::string batchApi() const;

  ModuleOp module;
  func::FuncOp func;
  const CudaEmitOptions &opts;
  std::string prefix, upper;
  std::string T, sfx;
  BlobDType dtype;
  int64_t esize;

  int64_t maxContext = 0, layers = 0, chunk = 0, vocab = 0;
  /// --max-batch: KV-cache slots; `batched` when >= 2 (the slot API). The
  /// step's rows are at most rowsMax = max(chunk, maxBatch): a prefill chunk
  /// or a decode_batch step.
  int64_t maxBatch = 1, rowsMax = 0;
  bool batched = false;
  int64_t kvHeads = -1, headDim = -1;
  Value ids, positions;

  WeightsFileBuilder weights;
  /// The fused launch groups (empty with --cuda-fusion off).
  cuda::FusionPlan fusion;
  /// Position of every op in the step function; a fused op counts at its
  /// group's anchor (where its launch is), for the arena's lifetimes.
  llvm::DenseMap<Operation *, int64_t> opIndex;
  int64_t stepOf(Operation *op) const { return opIndex.lookup(fusion.anchor(op)); }
  /// (heads, head_dim) of the split decode attention's workspace: the first
  /// attention's; an attention of other heads takes pare_llm_attention.
  int64_t wsHeads = -1, wsHeadDim = -1;
  NameSet used;
  /// Storage expression of every non-constant value (arena locals, args).
  llvm::DenseMap<Value, std::string> names;
  /// (constant attribute, layout) -> its pointer's name.
  std::map<std::pair<const void *, int>, std::string> weightNames;
  std::string weightDecls, arenaDecls, body;
  /// (qweight, scales, zero points) constants -> the names of their packed
  /// weights and scale / zero pairs.
  std::map<std::tuple<const void *, const void *, const void *>,
           std::pair<std::string, std::string>>
      w4Names;
  /// (weight, scales) constants of pare.matmul_w8a8 -> the names of their blobs.
  std::map<std::pair<const void *, const void *>, std::pair<std::string, std::string>> w8Names;
  /// The largest K of the step's pare.matmul_w8a8 (0: none, no workspace).
  int64_t w8MaxK = 0;
  /// The fused int4 groups' workspace: the (K, outputs) of the largest
  /// group (0: none, no workspace) and its PARE_LLM_W4_FUSED_WORKSPACE_BYTES.
  int64_t w4WsK = 0, w4WsOutputs = 0, w4WsBytes = 0, w4WsOffset = 0;
  /// --cuda-gemm cublas: the largest K and N of the products (their
  /// scratch), and the bytes of the largest int4 weight dequantized.
  int64_t gemmMaxK = 0, gemmMaxN = 0, w4MaxBytes = 0;
  /// --cuda-gemm cublas: the device bytes pare_llm_blas_create allocates
  /// (counted against --gpu-memory beside the one allocation).
  int64_t libraryBytes = 0;
  /// pare.kv_layer of the attentions seen.
  std::set<int64_t> cacheLayers;
  /// Tail launches are grouped under `if (last)`.
  bool inTail = false;

  int64_t arenaBytes = 0, cacheBytes = 0;
  // Offsets of the device allocation.
  int64_t arenaOffset = 0, kCacheOffset = 0, vCacheOffset = 0, idsOffset = 0,
          positionsOffset = 0, slotsOffset = 0, logitsOffset = 0, attnWsOffset = 0, attnWsBytes = 0,
          sampleWsOffset = 0, sampleWsBytes = 0, stepOffset = 0, nextOffset = 0,
          w8WsOffset = 0, w8WsBytes = 0, deviceBytes = 0;
};

/// Width (features per row) of a [rows, F] value; 1 for the rank-1 ids.
int64_t width(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getRank() >= 2 ? t.getDimSize(t.getRank() - 1) : 1;
}

bool isTailValue(Value v) {
  Operation *def = v.getDefiningOp();
  return def && attrs::isTail(def);
}

LogicalResult Decoder::checkSignature() {
  auto mc = attrs::getDecoderMaxContext(module);
  auto nl = attrs::getDecoderLayers(module);
  if (!mc || !nl || *mc <= 0 || *nl < 0)
    return module.emitError("the cuda decoder needs pare.decoder = {max_context, layers} on the "
                            "module (made by pare-derive-decoder)");
  maxContext = *mc;
  layers = *nl;
  if (maxContext > (int64_t(1) << 30))
    return module.emitError() << "--max-context " << maxContext
                              << " is beyond the decoder's limit of 2^30 positions";
  chunk = std::min(opts.prefillChunk > 0 ? opts.prefillChunk : kPrefillChunk, maxContext);
  maxBatch = std::max<int64_t>(opts.maxBatch, 1);
  // PARE_LLM_MAX_BATCH_ROWS of pare_cu_llm.cuh: the rows decode_attention
  // takes with slots.
  if (maxBatch > 256)
    return module.emitError() << "--max-batch " << maxBatch
                              << " is beyond the CUDA decoder's limit of 256 sequences";
  batched = maxBatch > 1;
  rowsMax = std::max(chunk, maxBatch);
  FunctionType ft = func.getFunctionType();
  auto isIds = [](Type t) {
    auto r = dyn_cast<RankedTensorType>(t);
    return r && r.getRank() == 1 && r.getElementType().isInteger(64);
  };
  if (ft.getNumInputs() != 2 || !isIds(ft.getInput(0)) || !isIds(ft.getInput(1)))
    return func.emitError("a decoder step function takes (ids: tensor<?xi64>, positions: "
                          "tensor<?xi64>)");
  auto res = ft.getNumResults() == 1 ? dyn_cast<RankedTensorType>(ft.getResult(0)) : nullptr;
  if (!res || res.getRank() != 2 || ShapedType::isDynamic(res.getDimSize(1)) ||
      !res.getElementType().isF32())
    return func.emitError("a decoder step function returns the logits, tensor<?xVxf32>");
  vocab = res.getDimSize(1);
  ids = func.getArgument(0);
  positions = func.getArgument(1);
  names[ids] = "ids";
  names[positions] = "positions";
  return success();
}

/// Every value is [rows, F] with a static F, and float32 (the precision is
/// the emitter's choice).
LogicalResult Decoder::checkOp(Operation *op) {
  for (Value r : op->getResults()) {
    auto t = dyn_cast<RankedTensorType>(r.getType());
    if (!t || t.getRank() != 2 || ShapedType::isDynamic(t.getDimSize(1)) ||
        !t.getElementType().isF32())
      return error(op, "decoder values are float32 [rows, features] with static features");
  }
  return success();
}

LogicalResult Decoder::plan() {
  // Lifetimes over the op order; reshapes / identities of one width share
  // their input's buffer.
  std::vector<planning::Buffer> buffers;
  llvm::DenseMap<Value, size_t> bufferOf;
  std::vector<Value> owner;
  Block &block = func.getBody().front();
  for (Operation &op : block)
    opIndex[&op] = opIndex.size();
  for (Operation &op : block) {
    // A fused op reads its operands when its group's launch runs.
    int64_t step = stepOf(&op);
    for (Value v : op.getOperands()) {
      auto it = bufferOf.find(v);
      if (it != bufferOf.end())
        buffers[it->second].last = std::max(buffers[it->second].last, step);
    }
    if (isa<ReshapeOp, IdentityOp>(op)) {
      auto it = bufferOf.find(op.getOperand(0));
      if (it != bufferOf.end())
        bufferOf[op.getResult(0)] = it->second;
    } else if (!isa<ConstantOp>(op)) {
      for (Value r : op.getResults()) {
        if (fusion.internal.count(r)) // never stored
          continue;
        planning::Buffer b;
        // Tail values: the last row, or every row of a decode_batch step.
        int64_t rowsPlanned = attrs::isTail(&op) ? maxBatch : rowsMax;
        b.size = rowsPlanned * width(r) * esize;
        b.first = b.last = step;
        bufferOf[r] = buffers.size();
        buffers.push_back(b);
        owner.push_back(r);
      }
    }
  }
  // The returned logits are read after the last op.
  for (Value v : block.getTerminator()->getOperands()) {
    auto it = bufferOf.find(v);
    if (it != bufferOf.end())
      buffers[it->second].last = int64_t(opIndex.size());
  }
  planning::Placement p = planning::placeBest(buffers, kDeviceAlign);
  arenaBytes = alignUp(std::max<int64_t>(p.arenaBytes, kDeviceAlign));
  // Name every buffer after its layer, in op order.
  std::vector<std::string> bufferNames(buffers.size());
  for (size_t i = 0; i < owner.size(); ++i) {
    Operation *op = owner[i].getDefiningOp();
    std::string base = sanitizeIdentifier(nodeName(op));
    if (op->getNumResults() > 1)
      base += "_" + std::to_string(cast<OpResult>(owner[i]).getResultNumber());
    bufferNames[i] = uniqueName(localIdentifier(base, prefix), used);
    arenaDecls += "  " + T + " *const " + bufferNames[i] + " = (" + T + " *)(d + " + upper +
                  "_ARENA_OFFSET + " + std::to_string(p.offsets[i]) + ");\n";
  }
  for (auto &[v, b] : bufferOf)
    names[v] = bufferNames[b];
  return success();
}

std::string Decoder::weight(Value v, BlobLayout layout) {
  DenseElementsAttr attr;
  bool ok = matchPattern(v, m_Constant(&attr));
  assert(ok && "weight() needs a dense constant");
  (void)ok;
  auto key = std::make_pair(attr.getAsOpaquePointer(), int(layout));
  auto it = weightNames.find(key);
  if (it != weightNames.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  std::string base = sanitizeIdentifier(nodeName(def)) +
                     (layout == BlobLayout::Transposed ? "_t" : "");
  std::string name = uniqueName(localIdentifier(base, prefix), used);
  FailureOr<size_t> index = weights.addConstant(def->getLoc(), name, attr, dtype, layout);
  if (failed(index))
    return "";
  const WeightBlob &b = weights.blobs()[*index];
  weightDecls += "  /* " + commentText(nodeName(def)) + ": " +
                 shape::toString(shapeOf(v)) +
                 (layout == BlobLayout::Transposed ? ", stored transposed" : "") + " */\n";
  weightDecls += "  const " + T + " *const " + name + " = (const " + T + " *)(d + " +
                 std::to_string(b.offset) + ");\n";
  weightNames[key] = name;
  return name;
}

LogicalResult Decoder::w4Weights(MatMulNBitsOp op, std::string &qw, std::string &sz) {
  DenseElementsAttr q, s, z;
  if (!matchPattern(op.getQweight(), m_Constant(&q)) ||
      !matchPattern(op.getScales(), m_Constant(&s)) ||
      !matchPattern(op.getZeroPoints(), m_Constant(&z)))
    return error(op, "qweight, scales and zero points must be constants");
  // Keyed by the three constants: a weight used twice is packed once.
  auto key = std::make_tuple(q.getAsOpaquePointer(), s.getAsOpaquePointer(),
                             z.getAsOpaquePointer());
  auto it = w4Names.find(key);
  if (it != w4Names.end()) {
    std::tie(qw, sz) = it->second;
    return success();
  }
  FailureOr<cuda::W4Weights> w = cuda::packW4(op, opts.fp16, "cuda decoder");
  if (failed(w))
    return failure();
  std::string base = sanitizeIdentifier(nodeName(op));
  qw = uniqueName(localIdentifier(base + "_w4", prefix), used);
  sz = uniqueName(localIdentifier(base + "_w4_sz", prefix), used);
  int64_t padded = cuda::w4PaddedGroups(w->k, w->group);
  size_t qi = weights.addBytes(qw, w->qweight, BlobDType::U4, BlobLayout::RowsPadded32,
                               {w->n, w->k});
  size_t si = weights.addBytes(sz, w->scaleZero, dtype, BlobLayout::RowMajor,
                               {w->n, padded, 2});
  weightDecls += "  /* " + commentText(nodeName(op)) + ": int4 [" + std::to_string(w->n) + "][" +
                 std::to_string(w->k) + "] in groups of " + std::to_string(w->group) +
                 ", rows padded to " + std::to_string(cuda::w4RowBytes(w->k)) +
                 " bytes; (scale, zero) of " + std::to_string(padded) + " groups a row */\n";
  weightDecls += "  const uint8_t *const " + qw + " = (const uint8_t *)(d + " +
                 std::to_string(weights.blobs()[qi].offset) + ");\n";
  weightDecls += "  const " + T + " *const " + sz + " = (const " + T + " *)(d + " +
                 std::to_string(weights.blobs()[si].offset) + ");\n";
  w4Names[key] = {qw, sz};
  return success();
}

LogicalResult Decoder::groupW4Weights(Operation *op, std::string &qw, std::string &sz) {
  auto q = cast<MatMulNBitsOp>(op);
  if (shapeOf(q.getQweight()).size() != 2 || shapeOf(q.getQweight())[0] != width(q.getResult()))
    return error(op, "qweight must be [N, K] with N the result's width");
  return w4Weights(q, qw, sz);
}

void Decoder::needW4Workspace(int64_t k, int64_t outputs) {
  // PARE_LLM_W4_FUSED_WORKSPACE_BYTES of pare_cu_llm.cuh (asserted in the
  // generated code).
  int64_t bytes = outputs * k * esize + 48;
  if (bytes > w4WsBytes) {
    w4WsBytes = bytes;
    w4WsK = k;
    w4WsOutputs = outputs;
  }
}

LogicalResult Decoder::w8Weights(MatMulW8A8Op op, std::string &w, std::string &s) {
  DenseElementsAttr wa, sa;
  if (!matchPattern(op.getWeight(), m_Constant(&wa)) ||
      !matchPattern(op.getWeightScales(), m_Constant(&sa)))
    return error(op, "the int8 weight and its scales must be constants");
  int64_t k = width(op.getInput()), n = width(op.getResult());
  std::vector<int64_t> ws = shapeOf(op.getWeight());
  if (ws.size() != 2 || ws[0] != n || ws[1] != k || !wa.getElementType().isInteger(8) ||
      numel(op.getWeightScales()) != n || !sa.getElementType().isF32())
    return error(op, "the weight must be int8 [N, K] = [" + std::to_string(n) + ", " +
                         std::to_string(k) + "] with N float32 scales");
  if (k > (int64_t(1) << 24))
    return error(op, "K " + std::to_string(k) + " is beyond the int8 kernel's int32 sums");
  w8MaxK = std::max(w8MaxK, k);
  auto key = std::make_pair(wa.getAsOpaquePointer(), sa.getAsOpaquePointer());
  auto it = w8Names.find(key);
  if (it != w8Names.end()) {
    std::tie(w, s) = it->second;
    return success();
  }
  // Rows of PARE_LLM_W8_ROW_BYTES(k): K rounded up to 32, zeros past it, so
  // that every row starts 16-byte aligned for the kernels' vector loads.
  int64_t rowBytes = (k + 31) / 32 * 32;
  std::string packed(size_t(n * rowBytes), '\0');
  int64_t i = 0;
  for (const APInt &v : wa.getValues<APInt>()) {
    int64_t x = v.getSExtValue();
    if (x < -127 || x > 127)
      return error(op, "int8 weight value " + std::to_string(x) + " at [" +
                           std::to_string(i / k) + ", " + std::to_string(i % k) +
                           "] is outside -127 .. 127 (symmetric quantization)");
    packed[size_t(i / k * rowBytes + i % k)] = char(int8_t(x));
    ++i;
  }
  std::vector<float> scales;
  scales.reserve(size_t(n));
  for (APFloat v : sa.getValues<APFloat>()) {
    float f = v.convertToFloat();
    if (!std::isfinite(f) || f < 0)
      return error(op, "a weight scale (" + std::to_string(f) + ") is not a finite value >= 0");
    scales.push_back(f);
  }
  std::string base = sanitizeIdentifier(nodeName(op));
  w = uniqueName(localIdentifier(base + "_w8", prefix), used);
  s = uniqueName(localIdentifier(base + "_w8_scale", prefix), used);
  size_t wi = weights.addBytes(w, packed, BlobDType::S8, BlobLayout::RowsPadded32, {n, k});
  size_t si = weights.addFloats(s, scales, {n}, BlobDType::F32, BlobLayout::RowMajor);
  weightDecls += "  /* " + commentText(nodeName(op)) + ": int8 [" + std::to_string(n) + "][" +
                 std::to_string(k) + "], rows padded to " + std::to_string(rowBytes) +
                 " bytes; a float scale per output */\n";
  weightDecls += "  const int8_t *const " + w + " = (const int8_t *)(d + " +
                 std::to_string(weights.blobs()[wi].offset) + ");\n";
  weightDecls += "  const float *const " + s + " = (const float *)(d + " +
                 std::to_string(weights.blobs()[si].offset) + ");\n";
  w8Names[key] = {w, s};
  return success();
}

LogicalResult Decoder::emitW8A8(MatMulW8A8Op op, Operation *at, const std::string &x,
                                const std::string &nw, const std::string &eps,
                                const std::string &res, const std::string &y, const ActArgs &act) {
  std::string w, s;
  if (failed(w8Weights(op, w, s)))
    return failure();
  // Per token is the kernel's act_scale 0; per tensor the calibrated scale
  // (finite and positive: the op's type inference checks it).
  std::string actScale = "0.0f";
  if (op.getActQuant() == "per-tensor") {
    if (!op.getActScaleAttr())
      return error(op, "act_quant \"per-tensor\" without an act_scale");
    actScale = floatLiteral(float(op.getActScaleAttr().getValueAsDouble()));
  }
  // With --cuda-gemm cublas, cuBLASLt's int8 products
  // (pare_cu_llm_blas_w8.cu).
  std::string call = gemmCall("linear_w8a8", width(op.getInput()), width(op.getResult()));
  body += "  PARE_TRY(" + call + x + ", " + nw + ", " + eps + ", " + w +
          ", " + s + ", " + res + ", " + y + ", " + rows(at) + ", " +
          std::to_string(width(op.getInput())) + ", " + std::to_string(width(op.getResult())) +
          ", " + actScale + ", " + act.kind + ", " + act.a + ", " + act.b + ", w8_ws, stream));\n";
  return success();
}

std::string Decoder::floatTable(Operation *op, Attribute key, llvm::ArrayRef<float> values) {
  auto mapKey = std::make_pair(key.getAsOpaquePointer(), -1);
  auto it = weightNames.find(mapKey);
  if (it != weightNames.end())
    return it->second;
  std::string name =
      uniqueName(localIdentifier(sanitizeIdentifier(nodeName(op)) + "_inv_freq", prefix), used);
  size_t index = weights.addFloats(name, values, {int64_t(values.size())}, BlobDType::F32,
                                   BlobLayout::RowMajor);
  weightDecls += "  /* rotary frequencies of " + commentText(nodeName(op)) + " */\n";
  weightDecls += "  const float *const " + name + " = (const float *)(d + " +
                 std::to_string(weights.blobs()[index].offset) + ");\n";
  weightNames[mapKey] = name;
  return name;
}

std::string Decoder::rowPtr(Operation *user, Value v) {
  std::string p = names.lookup(v);
  if (attrs::isTail(user) && !isTailValue(v))
    return p + (batched ? " + (size_t)(n - tail_rows) * " : " + (size_t)(n - 1) * ") +
           std::to_string(width(v));
  return p;
}

std::string Decoder::gemmCall(const std::string &fn, int64_t k, int64_t n) {
  gemmMaxK = std::max(gemmMaxK, k);
  gemmMaxN = std::max(gemmMaxN, n);
  if (!opts.cublas)
    return "pare_llm_" + fn + "_" + sfx + "(";
  return "pare_llm_blas_" + fn + "_" + sfx + "(" + prefix + "_g.blas, ";
}

LogicalResult Decoder::emitBinary(Operation *op, const std::string &opcode) {
  Value out = op->getResult(0);
  int64_t f = width(out);
  std::string args;
  int constants = 0;
  for (Value v : op->getOperands()) {
    std::string p, rs, cs;
    if (matchPattern(v, m_Constant())) {
      ++constants;
      int64_t count = numel(v);
      if (count != f && count != 1)
        return error(op, "a constant operand of " + std::to_string(count) +
                             " elements does not broadcast over rows of " + std::to_string(f));
      p = weight(v, BlobLayout::RowMajor);
      if (p.empty())
        return failure();
      rs = "0";
      cs = count == 1 ? "0" : "1";
    } else {
      if (!names.count(v))
        return error(op, "an operand that is neither a decoder value nor a constant");
      int64_t w = width(v);
      if (w != f && w != 1)
        return error(op, "operands of " + std::to_string(w) + " and " + std::to_string(f) +
                             " features do not broadcast row by row");
      p = rowPtr(op, v);
      rs = std::to_string(w);
      cs = w == 1 && f != 1 ? "0" : "1";
    }
    args += p + ", " + rs + ", " + cs + ", ";
  }
  if (constants == 2)
    return error(op, "both operands are constants (fold them first)");
  ActArgs act = fusedActivation(op);
  body += "  PARE_TRY(pare_llm_binary_" + sfx + "(" + opcode + ", " + args + names[out] + ", " +
          rows(op) + ", " + std::to_string(f) + ", " + act.kind + ", " + act.a + ", " + act.b +
          ", stream));\n";
  return success();
}

LogicalResult Decoder::emitOp(Operation *op) {
  if (isa<ConstantOp, func::ReturnOp>(op))
    return success();
  if (isa<ReshapeOp, IdentityOp>(op)) {
    // Storage shared with the input (plan()): only a view of the same rows.
    if (failed(checkOp(op)) || !names.count(op->getOperand(0)) ||
        width(op->getOperand(0)) != width(op->getResult(0)) ||
        attrs::isTail(op) != isTailValue(op->getOperand(0)))
      return error(op, "only a view of a decoder value with the same rows and width");
    return success();
  }
  if (failed(checkOp(op)))
    return failure();
  const cuda::LaunchGroup *group = fusion.group(op);
  if (group && group->anchor != op) // launched with its group, at the anchor
    return success();
  bool tail = attrs::isTail(op);
  if (tail != inTail) {
    body += tail ? "  if (last) {\n" : "  }\n";
    inTail = tail;
  }
  // A tail op's lines go one level deeper, inside `if (last) {`.
  size_t start = body.size();
  LogicalResult emitted = group ? emitGroup(*group) : emitLaunch(op);
  if (tail && succeeded(emitted)) {
    std::string lines = body.substr(start);
    body.resize(start);
    for (llvm::StringRef line : llvm::split(llvm::StringRef(lines).drop_back(), '\n'))
      body += "  " + line.str() + "\n";
  }
  return emitted;
}

LogicalResult Decoder::normArgs(cuda::LaunchGroup &g, std::string &w, std::string &eps) {
  w = "NULL";
  eps = "0.0f";
  if (!g.norm)
    return success();
  if (numel(g.norm.getWeight()) != width(g.norm.getResult()))
    return error(g.norm, "the weight of an RMS norm is a constant of one value per feature");
  w = weight(g.norm.getWeight(), BlobLayout::RowMajor);
  eps = floatLiteral(g.norm.getEpsilon().convertToFloat());
  return success(!w.empty());
}

LogicalResult Decoder::matmulWeight(MatMulOp mm, std::string &w) {
  std::vector<int64_t> ws = shapeOf(mm.getB());
  if (ws.size() != 2 || ws[0] != width(mm.getA()) || ws[1] != width(mm.getResult()))
    return error(mm, "weight shape does not match the operand widths");
  w = weight(mm.getB(), BlobLayout::Transposed);
  return success(!w.empty());
}

LogicalResult Decoder::emitGroup(cuda::LaunchGroup g) {
  Operation *at = g.anchor;
  bool tail = attrs::isTail(at);
  std::string kind = g.kind == cuda::LaunchKind::Qkv          ? "qkv"
                    : g.kind == cuda::LaunchKind::Gated      ? "gated"
                    : g.kind == cuda::LaunchKind::LinearW8A8 ? "int8 linear"
                                                             : "linear";
  if (g.int4)
    kind = "int4 " + kind + " (groups of " + std::to_string(g.group) + ")";
  std::string epilogue = g.residualAdd ? " (residual add)" : g.silu ? " (SiLU)" : "";
  std::string nodes;
  // A norm shared by several int8 linears is among the ops of one of them.
  if (g.norm && !llvm::is_contained(g.ops, g.norm.getOperation()))
    nodes = "\"" + commentText(nodeName(g.norm)) + "\"";
  for (Operation *op : g.ops)
    nodes += std::string(nodes.empty() ? "" : ", ") + "\"" + commentText(nodeName(op)) + "\"";
  body += "  /* fused " + kind + (g.norm ? " (rms_norm prologue)" : "") +
          epilogue + " -> " + (tail ? "1" : "n") + "x" +
          std::to_string(width(g.out)) + (tail ? tailNote() : "") + ": ONNX nodes " +
          nodes + " */\n";
  if (!names.count(g.input) || !names.count(g.out))
    return error(at, "a fused group reads or writes a value that is not a decoder value");
  std::string x = rowPtr(at, g.input), y = names[g.out], r = rows(at);
  std::string k = std::to_string(width(g.input));
  std::string nw, eps;
  if (failed(normArgs(g, nw, eps)))
    return failure();
  std::string group = std::to_string(g.group);
  switch (g.kind) {
  case cuda::LaunchKind::LinearW8A8: {
    std::string res = "NULL";
    if (g.residualAdd) {
      if (!names.count(g.residual))
        return error(g.residualAdd, "the residual is not a decoder value");
      res = rowPtr(at, g.residual);
    }
    ActArgs act = fusedActivation(g.w8);
    if (g.silu)
      act = {"PARE_ACT_SILU", "0.0f", "0.0f"};
    return emitW8A8(g.w8, at, x, nw, eps, res, y, act);
  }
  case cuda::LaunchKind::Linear: {
    std::string w, res = "NULL";
    if (g.residualAdd) {
      if (!names.count(g.residual))
        return error(g.residualAdd, "the residual is not a decoder value");
      res = rowPtr(at, g.residual);
    }
    ActArgs act = fusedActivation(g.matmul);
    if (g.int4) {
      std::string qw, sz;
      if (failed(groupW4Weights(g.matmul, qw, sz)))
        return failure();
      needW4Workspace(width(g.input), width(g.out));
      body += "  PARE_TRY(pare_llm_linear_w4_" + sfx + "(" + x + ", " + nw + ", " + eps + ", " +
              qw + ", " + sz + ", " + group + ", " + res + ", " + y + ", " + r + ", " + k + ", " +
              std::to_string(width(g.out)) + ", " + act.kind + ", " + act.a + ", " + act.b +
              ", w4_ws, stream));\n";
      return success();
    }
    if (failed(matmulWeight(cast<MatMulOp>(g.matmul), w)))
      return failure();
    body += "  PARE_TRY(" + gemmCall("linear", width(g.input), width(g.out)) + x + ", " + nw +
            ", " + eps + ", " + w + ", " + res + ", " + y + ", " + r + ", " + k + ", " +
            std::to_string(width(g.out)) +
            ", " + act.kind + ", " + act.a + ", " + act.b + ", stream));\n";
    return success();
  }
  case cuda::LaunchKind::Gated: {
    if (g.int4) {
      std::string qg, szg, qu, szu;
      if (failed(groupW4Weights(g.gate, qg, szg)) || failed(groupW4Weights(g.up, qu, szu)))
        return failure();
      needW4Workspace(width(g.input), 2 * width(g.out));
      body += "  PARE_TRY(pare_llm_gated_w4_" + sfx + "(" + x + ", " + nw + ", " + eps + ", " +
              qg + ", " + szg + ", " + qu + ", " + szu + ", " + group + ", " + y + ", " + r +
              ", " + k + ", " + std::to_string(width(g.out)) +
              ", PARE_ACT_SILU, 0.0f, 0.0f, w4_ws, stream));\n";
      return success();
    }
    std::string wg, wu;
    if (failed(matmulWeight(cast<MatMulOp>(g.gate), wg)) ||
        failed(matmulWeight(cast<MatMulOp>(g.up), wu)))
      return failure();
    body += "  PARE_TRY(" + gemmCall("gated", width(g.input), 2 * width(g.out)) + x + ", " + nw +
            ", " + eps + ", " + wg + ", " + wu + ", " + y + ", " + r + ", " + k + ", " +
            std::to_string(width(g.out)) +
            ", PARE_ACT_SILU, 0.0f, 0.0f, stream));\n";
    return success();
  }
  case cuda::LaunchKind::Qkv: {
    AttentionOp att = g.attention;
    std::optional<int64_t> layer = attrs::getKvLayer(att);
    int64_t heads = att.getHeads(), kvh = att.getKvHeads(), hd = att.getHeadDim();
    if (!layer || *layer < 0 || *layer >= layers)
      return error(att, "pare.kv_layer must name a cache layer in [0, " +
                            std::to_string(layers) + ")");
    if (heads <= 0 || kvh <= 0 || heads % kvh || hd <= 0 || hd > 256 ||
        width(g.q->getResult(0)) != heads * hd || width(g.k->getResult(0)) != kvh * hd ||
        width(g.v->getResult(0)) != kvh * hd)
      return error(att, "q / k / v widths do not match heads, kv_heads and head_dim");
    // int4: each weight's packed rows and (scale, zero) pairs.
    std::string wq, wk, wv;
    if (g.int4) {
      std::string sq, sk, sv;
      if (failed(groupW4Weights(g.q, wq, sq)) || failed(groupW4Weights(g.k, wk, sk)) ||
          failed(groupW4Weights(g.v, wv, sv)))
        return failure();
      wq += ", " + sq;
      wk += ", " + sk;
      wv += ", " + sv + ", " + group;
      needW4Workspace(width(g.input), (heads + 2 * kvh) * hd);
    } else if (failed(matmulWeight(cast<MatMulOp>(g.q), wq)) ||
               failed(matmulWeight(cast<MatMulOp>(g.k), wk)) ||
               failed(matmulWeight(cast<MatMulOp>(g.v), wv))) {
      return failure();
    }
    std::string inv = "NULL", rd = "0", interleaved = "0";
    if (g.qRotary) {
      RotaryOp rot = g.qRotary;
      if (rot.getPositions() != positions)
        return error(rot, "rotary embedding turns by the step's positions (the function's "
                          "second argument)");
      if (rot.getRotaryDim() > hd || rot.getRotaryDim() % 2)
        return error(rot, "rotary dim " + std::to_string(rot.getRotaryDim()) +
                              " does not fit head_dim " + std::to_string(hd));
      inv = floatTable(rot, rot.getInvFreqAttr(), rot.getInvFreq());
      rd = std::to_string(rot.getRotaryDim());
      interleaved = rot.getInterleaved() ? "1" : "0";
    }
    std::string layerOff = "(size_t)" + std::to_string(*layer) + " * " + upper + "_LAYER_CACHE";
    std::string call = g.int4 ? "pare_llm_qkv_w4_" + sfx + "("
                              : gemmCall("qkv", width(g.input), (heads + 2 * kvh) * hd);
    body += "  PARE_TRY(" + call + x + ", " + nw + ", " + eps + ", " + wq + ", " + wk + ", " +
            wv + ", " + rowPtr(at, positions) + ", " + slotArgs() + ", " + inv + ", " + rd + ", " +
            interleaved + ", " + y + ", k_cache + " + layerOff + ", v_cache + " + layerOff +
            ", " + r + ", " + k + ", " + std::to_string(heads) + ", " + std::to_string(kvh) +
            ", " + std::to_string(hd) + ", " + upper + "_MAX_CONTEXT" +
            (g.int4 ? ", w4_ws" : "") + ", stream));\n";
    return success();
  }
  }
  return failure();
}

LogicalResult Decoder::emitLaunch(Operation *op) {
  bool tail = attrs::isTail(op);
  Value out = op->getResult(0);
  body += "  /* " + nodeComment(op) + ": " + op->getName().stripDialect().str() + " -> " +
          (tail ? "1" : "n") + "x" + std::to_string(width(out)) +
          (tail ? tailNote() : "") + " */\n";
  std::string y = names[out], r = rows(op), f = std::to_string(width(out));

  if (auto g = dyn_cast<GatherOp>(op)) {
    DenseElementsAttr table;
    if (g.getAxis() != 0 || !matchPattern(g.getData(), m_Constant(&table)) ||
        shapeOf(g.getData()).size() != 2)
      return error(op, "an embedding gathers rows (axis 0) of a constant [vocab, features] table");
    if (g.getIndices() != ids)
      return error(op, "an embedding gathers the step's token ids (the function's first "
                       "argument)");
    std::string t = weight(g.getData(), BlobLayout::RowMajor);
    if (t.empty())
      return failure();
    body += "  PARE_TRY(pare_llm_embed_" + sfx + "(" + t + ", " + rowPtr(op, ids) + ", " + y +
            ", " + r + ", " + f + ", stream));\n";
    return success();
  }
  if (auto n = dyn_cast<RmsNormOp>(op)) {
    if (!matchPattern(n.getWeight(), m_Constant()) || numel(n.getWeight()) != width(out))
      return error(op, "the weight of an RMS norm is a constant of one value per feature");
    std::string w = weight(n.getWeight(), BlobLayout::RowMajor);
    if (w.empty())
      return failure();
    body += "  PARE_TRY(pare_llm_rms_norm_" + sfx + "(" + rowPtr(op, n.getInput()) + ", " + w +
            ", " + y + ", " + r + ", " + f + ", " +
            floatLiteral(n.getEpsilon().convertToFloat()) + ", stream));\n";
    return success();
  }
  if (auto mm = dyn_cast<MatMulOp>(op)) {
    std::vector<int64_t> ws = shapeOf(mm.getB());
    if (!matchPattern(mm.getB(), m_Constant()) || ws.size() != 2)
      return error(op, "the right operand of a decoder matmul is a constant [K, N] weight");
    if (ws[0] != width(mm.getA()) || ws[1] != width(out))
      return error(op, "weight shape does not match the operand widths");
    std::string w = weight(mm.getB(), BlobLayout::Transposed);
    if (w.empty())
      return failure();
    ActArgs act = fusedActivation(op);
    body += "  PARE_TRY(" + gemmCall("matmul", ws[0], ws[1]) + rowPtr(op, mm.getA()) + ", " +
            w + ", " + y + ", " + r + ", " + std::to_string(ws[0]) + ", " + f + ", " + act.kind +
            ", " +
            act.a + ", " + act.b + ", stream));\n";
    return success();
  }
  if (auto q = dyn_cast<MatMulNBitsOp>(op)) {
    // int4 weights (issue 18): GEMV for decode, tiled GEMM for prefill
    // (runtime-stubs/cuda-llm/pare_cu_llm_w4.cu).
    int64_t k = width(q.getInput());
    if (!names.count(q.getInput()))
      return error(op, "the input of a decoder matmul_nbits is a decoder value");
    if (shapeOf(q.getQweight()).size() != 2 || shapeOf(q.getQweight())[0] != width(out))
      return error(op, "qweight must be [N, K] with N the result's width");
    std::string qw, sz;
    if (failed(w4Weights(q, qw, sz)))
      return failure();
    ActArgs act = fusedActivation(op);
    w4MaxBytes = std::max(w4MaxBytes, k * width(out) * esize);
    body += "  PARE_TRY(" + gemmCall("matmul_w4", k, width(out)) + rowPtr(op, q.getInput()) +
            ", " + qw + ", " + sz + ", " + y + ", " + r + ", " + std::to_string(k) + ", " + f +
            ", " +
            std::to_string(int64_t(q.getGroupSize())) + ", " + act.kind + ", " + act.a + ", " +
            act.b + ", stream));\n";
    return success();
  }
  if (auto q = dyn_cast<MatMulW8A8Op>(op)) {
    // SmoothQuant W8A8 (issue 19): dp4a GEMV for decode, int8 tensor-core
    // GEMM for prefill (runtime-stubs/cuda-llm/pare_cu_llm_w8.cu).
    if (!names.count(q.getInput()))
      return error(op, "the input of a decoder matmul_w8a8 is a decoder value");
    return emitW8A8(q, op, rowPtr(op, q.getInput()), "NULL", "0.0f", "NULL", y,
                    fusedActivation(op));
  }
  if (auto rot = dyn_cast<RotaryOp>(op)) {
    int64_t hd = rot.getHeadDim(), rd = rot.getRotaryDim();
    if (rot.getPositions() != positions)
      return error(op, "rotary embedding turns by the step's positions (the function's second "
                       "argument)");
    if (hd <= 0 || width(out) % hd || rd > hd || rd % 2)
      return error(op, "head_dim " + std::to_string(hd) + " and rotary dim " +
                           std::to_string(rd) + " do not split " + f + " features into heads");
    std::string inv = floatTable(op, rot.getInvFreqAttr(), rot.getInvFreq());
    body += "  PARE_TRY(pare_llm_rotary_" + sfx + "(" + rowPtr(op, rot.getInput()) + ", " +
            rowPtr(op, positions) + ", " + inv + ", " + y + ", " + r + ", " +
            std::to_string(width(out) / hd) + ", " + std::to_string(hd) + ", " +
            std::to_string(rd) + ", " + (rot.getInterleaved() ? "1" : "0") + ", stream));\n";
    return success();
  }
  if (auto at = dyn_cast<AttentionOp>(op)) {
    std::optional<int64_t> layer = attrs::getKvLayer(op);
    int64_t heads = at.getHeads(), kvh = at.getKvHeads(), hd = at.getHeadDim();
    if (!layer || *layer < 0 || *layer >= layers)
      return error(op, "pare.kv_layer must name a cache layer in [0, " + std::to_string(layers) +
                           ")");
    if (tail)
      return error(op, "an attention writes the KV cache of every row; it cannot be pare.tail");
    if (!at.getCausal())
      return error(op, "a decoder's attention is causal (each row sees the positions up to its "
                       "own)");
    if (heads <= 0 || kvh <= 0 || heads % kvh || hd <= 0 || hd > 256)
      return error(op, "needs heads a multiple of kv_heads and head_dim <= 256");
    if (width(at.getQ()) != heads * hd || width(at.getK()) != kvh * hd ||
        width(at.getV()) != kvh * hd || width(out) != heads * hd)
      return error(op, "q / k / v widths do not match heads, kv_heads and head_dim");
    if (kvHeads >= 0 && (kvHeads != kvh || headDim != hd))
      return error(op, "every layer's KV cache has the same kv_heads and head_dim");
    if (!cacheLayers.insert(*layer).second)
      return error(op, "KV cache layer " + std::to_string(*layer) + " is written twice");
    kvHeads = kvh;
    headDim = hd;
    std::string layerOff = "(size_t)" + std::to_string(*layer) + " * " + upper + "_LAYER_CACHE";
    // A fused qkv launch has written this layer's keys and values already.
    const cuda::LaunchGroup *qkv = fusion.group(at.getK().getDefiningOp());
    if (!qkv || qkv->kind != cuda::LaunchKind::Qkv || qkv->attention != at)
      body += "  PARE_TRY(pare_llm_kv_write_" + sfx + "(" + rowPtr(op, at.getK()) + ", " +
              rowPtr(op, at.getV()) + ", positions, " + slotArgs() + ", k_cache + " + layerOff +
              ", v_cache + " +
              layerOff + ", " + r + ", " + std::to_string(kvh) + ", " + std::to_string(hd) +
              ", " + upper + "_MAX_CONTEXT, stream));\n";
    std::string common = rowPtr(op, at.getQ()) + ", k_cache + " + layerOff + ", v_cache + " +
                         layerOff + ", positions, " + slotArgs() + ", " + y + ", " + r + ", " +
                         std::to_string(heads) + ", " + std::to_string(kvh) + ", " +
                         std::to_string(hd) + ", " + upper + "_MAX_CONTEXT, " +
                         floatLiteral(at.getScale().convertToFloat());
    if (opts.fusion && wsHeads < 0) {
      wsHeads = heads;
      wsHeadDim = hd;
    }
    // Split-context (flash-decoding) attention on the one workspace, which
    // serves a single (heads, head_dim).
    if (opts.fusion && wsHeads == heads && wsHeadDim == hd)
      body += "  PARE_TRY(pare_llm_decode_attention_" + sfx + "(" + common +
              ", attn_ws, stream));\n";
    else
      body += "  PARE_TRY(pare_llm_attention_" + sfx + "(" + common + ", stream));\n";
    return success();
  }
  if (isa<AddOp>(op))
    return emitBinary(op, "PARE_LLM_ADD");
  if (isa<SubOp>(op))
    return emitBinary(op, "PARE_LLM_SUB");
  if (isa<MulOp>(op))
    return emitBinary(op, "PARE_LLM_MUL");
  if (isa<DivOp>(op))
    return emitBinary(op, "PARE_LLM_DIV");
  if (isActivationOp(op)) {
    Value x = op->getOperand(0);
    if (!names.count(x) || width(x) != width(out))
      return error(op, "an activation of a decoder value of its own width");
    ActArgs act = standaloneActivation(op);
    body += "  PARE_TRY(pare_llm_activation_" + sfx + "(" + rowPtr(op, x) + ", " + y +
            ", (size_t)" + r + " * " + f + ", " + act.kind + ", " + act.a + ", " + act.b +
            ", stream));\n";
    return success();
  }
  return error(op, "no decoder kernel for it (embedding, rms_norm, matmul, matmul_nbits, "
                   "matmul_w8a8, rotary, attention, add / sub / mul / div and activations are)");
}

LogicalResult Decoder::checkMemory() {
  int64_t limit = opts.gpuMemoryBytes > 0 ? opts.gpuMemoryBytes : defaultGpuMemoryBytes(opts.arch);
  int64_t total = deviceBytes + libraryBytes;
  int64_t fixed = total - 2 * cacheBytes;
  if (total <= limit)
    return success();
  // A position of every slot; one slot of --max-context positions.
  int64_t perPosition = 2 * maxBatch * layers * kvHeads * headDim * esize;
  int64_t perSlot = 2 * layers * kvHeads * maxContext * headDim * esize;
  int64_t fits = perPosition > 0 && limit > fixed ? (limit - fixed) / perPosition : 0;
  auto d = module.emitError();
  d << "--max-context " << maxContext;
  if (batched)
    d << " with --max-batch " << maxBatch;
  d << " needs " << total << " bytes of GPU memory (weights " << weights.payloadBytes()
    << ", KV cache " << 2 * cacheBytes;
  if (batched)
    d << " for " << maxBatch << " slots";
  d << ", activations and I/O " << fixed - libraryBytes - int64_t(weights.payloadBytes());
  if (libraryBytes > 0)
    d << ", cuBLAS workspace " << libraryBytes;
  d << "), more than the " << limit << " bytes "
    << (opts.gpuMemoryBytes > 0
            ? std::string("of --gpu-memory")
            : "assumed for --cuda-arch " + opts.arch + " (--gpu-memory gives the GPU's size)");
  if (fits > 0) {
    d << "; the largest --max-context that fits is " << fits;
    // What a slot more costs: its caches, a row of logits and of the
    // attention workspace, its slot id (the arena and the row buffers grow
    // too past PREFILL_CHUNK slots).
    int64_t perRow =
        perSlot + vocab * 4 + 4 + (wsHeads > 0 ? 4 * wsHeads * 64 * (wsHeadDim + 2) : 0);
    int64_t base = total - maxBatch * perRow;
    int64_t slots = limit > base ? std::min<int64_t>((limit - base) / perRow, 256) : 0;
    if (batched && slots > 0)
      d << " (at --max-batch " << maxBatch << "); at --max-context " << maxContext
        << " the largest --max-batch that fits is " << slots;
    else if (batched)
      d << " (at --max-batch " << maxBatch << "); at --max-context " << maxContext
        << " not one slot fits";
  } else
    d << (libraryBytes > 0 ? "; the weights and the cuBLAS workspace alone do not fit"
                           : "; the weights alone do not fit");
  return failure();
}

LogicalResult Decoder::run(std::vector<EmittedFile> &files) {
  if (std::string why = modelNameError(prefix); !why.empty())
    return module.emitError("--name ") << prefix << ": " << why;
  if (failed(checkSignature()))
    return failure();
  used = {"n",       "last",    "stream", "d",   "ids",     "positions",
          "k_cache", "v_cache", "logits", "err", "attn_ws", "w8_ws", "w4_ws", "slot",
          "slots",   "slot_stride", "tail_rows", "slot_base"};
  // With --cuda-gemm cublas the int4 matmuls keep their own launches, so
  // that their prefill products run on cuBLAS (pare_llm_blas_matmul_w4).
  fusion = cuda::planDecoderFusion(func, opts.fusion, /*int4=*/!opts.cublas);
  if (failed(plan()))
    return failure();
  Block &block = func.getBody().front();
  for (Operation &op : block)
    if (failed(emitOp(&op)))
      return failure();
  Value result = block.getTerminator()->getOperand(0);
  if (!names.count(result))
    return func.emitError("the decoder's logits are not computed by its ops");
  if (!inTail)
    body += "  if (last) {\n";
  // The logits of the last row, as float; decode_batch: every row's, contiguous.
  std::string rows = batched ? "tail_rows" : "1";
  body += std::string("    /* the logits of the last row") +
          (batched ? " (of every row in decode_batch)" : "") + ", as float */\n";
  body += "    PARE_TRY(pare_llm_logits_" + sfx + "(" +
          (isTailValue(result)
               ? names[result]
               : names[result] + " + (size_t)(n - " + rows + ") * " + std::to_string(vocab)) +
          ", logits, " + (batched ? "tail_rows * " : "") + upper + "_VOCAB, stream));\n  }\n";
  if (int64_t(cacheLayers.size()) != layers)
    return func.emitError() << "pare.decoder says " << layers << " layers but "
                            << cacheLayers.size() << " pare.attention ops have a pare.kv_layer";
  if (kvHeads < 0) // no attention: a cache of nothing
    kvHeads = headDim = 0;
  // The device allocation. The caches are [slot][layer][...]: maxBatch
  // copies of one sequence's.
  cacheBytes = maxBatch * layers * kvHeads * maxContext * headDim * esize;
  arenaOffset = alignUp(int64_t(weights.payloadBytes()));
  kCacheOffset = arenaOffset + arenaBytes;
  vCacheOffset = kCacheOffset + alignUp(cacheBytes);
  idsOffset = vCacheOffset + alignUp(cacheBytes);
  positionsOffset = idsOffset + alignUp(rowsMax * 4);
  logitsOffset = positionsOffset + alignUp(rowsMax * 4);
  if (batched) { // decode_batch's int32 slot of each row
    slotsOffset = logitsOffset;
    logitsOffset = slotsOffset + alignUp(maxBatch * 4);
  }
  // PARE_LLM_ATTN_WORKSPACE_FLOATS(_ROWS) and PARE_LLM_SAMPLE_WORKSPACE_BYTES
  // of pare_cu_llm.cuh (the generated code asserts these sizes against
  // them): the split attention's partials of PARE_LLM_GEMV_ROWS (4) rows, or
  // of a decode_batch step's rows when more.
  attnWsBytes =
      wsHeads > 0 ? 4 * std::max<int64_t>(4, maxBatch) * wsHeads * 64 * (wsHeadDim + 2) : 0;
  sampleWsBytes = vocab * 8 + 4096;
  attnWsOffset = logitsOffset + alignUp(maxBatch * vocab * 4);
  sampleWsOffset = attnWsOffset + alignUp(attnWsBytes);
  stepOffset = sampleWsOffset + alignUp(sampleWsBytes);
  nextOffset = stepOffset + kDeviceAlign;
  deviceBytes = nextOffset + kDeviceAlign;
  if (w8MaxK > 0) {
    // PARE_LLM_W8_WORKSPACE_BYTES(rows of a step, largest K) (asserted in
    // the generated code).
    w8WsBytes = rowsMax * ((w8MaxK + 31) / 32 * 32) + rowsMax * 4 + 256;
    w8WsOffset = deviceBytes;
    deviceBytes = w8WsOffset + alignUp(w8WsBytes);
  }
  if (w4WsBytes > 0) {
    w4WsOffset = deviceBytes;
    deviceBytes = w4WsOffset + alignUp(w4WsBytes);
  }
  if (opts.cublas) {
    // pare_llm_blas_create's allocations: the scratch (float-sized xn and
    // products of a chunk), the libraries' 32 MiB workspace, the dequantized
    // int4 weight, and the int8 products' int32 sums.
    int64_t k = std::max<int64_t>(gemmMaxK, 1), n = std::max<int64_t>(gemmMaxN, 1);
    libraryBytes = alignUp(rowsMax * k * 4) + alignUp(rowsMax * n * 4) + (int64_t(32) << 20) +
                   w4MaxBytes + (w8MaxK > 0 ? rowsMax * n * 4 : 0);
  }
  if (failed(checkMemory()))
    return failure();
  files.push_back({prefix + ".h", decoderApiHeader(api())});
  files.push_back({prefix + ".cu", source()});
  files.push_back({prefix + "_weights.bin", weights.takeFile()});
  files.push_back({prefix + ".mk", makefile()});
  // The library-GEMM files only with --cuda-gemm cublas (the int8 one when
  // the step has int8 linears).
  for (const EmittedFile &f : cudaDecoderRuntimeFiles())
    if (!isLibraryGemmFile(f.path) ||
        (opts.cublas && (f.path != "pare_cu_llm_blas_w8.cu" || w8MaxK > 0)))
      files.push_back(f);
  // The kernels include the activation formulas shared with the C target.
  for (const EmittedFile &f : cudaRuntimeFiles())
    if (f.path == "pare_activation.h")
      files.push_back(f);
  if (opts.emitRunner) {
    files.push_back({"pare_model.h", decoderRunnerShim(api())});
    for (const EmittedFile &f : llmRunnerFiles())
      files.push_back(f);
  }
  return success();
}

// ---------------------------------------------------------------- files ----

std::string Decoder::banner() const {
  return "/* Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) +
         ": an LLM decoder for CUDA (" + opts.arch + ", " + (opts.fp16 ? "fp16" : "fp32") +
         (opts.cublas ? ", --cuda-gemm cublas: prefill products on cuBLAS / cuBLASLt" : "") +
         "). Do not edit; recompile the model. */\n";
}

/// Replaces @P@ by the symbol prefix and @U@ by its upper-cased form.
std::string expand(llvm::StringRef text, const std::string &prefix, const std::string &upper) {
  std::string out;
  while (!text.empty()) {
    size_t at = text.find('@');
    if (at == llvm::StringRef::npos || at + 2 >= text.size() || text[at + 2] != '@' ||
        (text[at + 1] != 'P' && text[at + 1] != 'U')) {
      size_t take = at == llvm::StringRef::npos ? text.size() : at + 1;
      out += text.take_front(take).str();
      text = text.drop_front(take);
      continue;
    }
    out += text.take_front(at).str();
    out += text[at + 1] == 'P' ? prefix : upper;
    text = text.drop_front(at + 3);
  }
  return out;
}

DecoderApi Decoder::api() const {
  DecoderApi a;
  a.name = prefix;
  a.banner = banner();
  a.maxContext = maxContext;
  a.vocab = vocab;
  a.prefillChunk = chunk;
  a.gpuSampling = true;
  a.maxBatch = maxBatch;
  return a;
}

std::string Decoder::source() const {
  std::string c = banner();
  c += "#include \"" + prefix + ".h\"\n#include \"pare_cu_llm.cuh\"\n";
  if (opts.cublas)
    c += "#include \"pare_cu_llm_blas.cuh\"\n";
  c += "\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n";
  auto def = [&](const std::string &name, int64_t v, const std::string &why) {
    if (!why.empty())
      c += "/* " + why + " */\n";
    c += "#define " + upper + "_" + name + " " + std::to_string(v) + "ull\n";
  };
  c += "/* The weights file: header, then the payload (blobs at 64-byte offsets). */\n";
  def("PAYLOAD_BYTES", weights.payloadBytes(), "payload bytes");
  c += "#define " + upper + "_WEIGHTS_HASH " + hex(weights.hash()) + " /* FNV-1a-64 of the payload */\n";
  c += "\n/* One device allocation: weights | activation arena | K cache | V cache |\n"
       " * ids | positions | " + std::string(batched ? "slots | " : "") + "logits. */\n";
  def("ARENA_OFFSET", arenaOffset, "activations of a prefill chunk, planned over their lifetimes");
  def("ARENA_BYTES", arenaBytes, "");
  def("K_CACHE_OFFSET", kCacheOffset,
      std::string(batched ? "[" + std::to_string(maxBatch) + " slots]" : "") + "[" +
          std::to_string(layers) + " layers][" + std::to_string(kvHeads) + " kv heads][" +
          std::to_string(maxContext) + " positions][" + std::to_string(headDim) + "]");
  def("V_CACHE_OFFSET", vCacheOffset, "the same for V");
  def("CACHE_BYTES", cacheBytes, "of K, and of V");
  def("LAYER_CACHE", kvHeads * maxContext * headDim, "cache elements of one layer");
  if (batched)
    def("SLOT_CACHE", layers * kvHeads * maxContext * headDim,
        "cache elements of one slot (a sequence): the kernels' slot_stride");
  def("IDS_OFFSET", idsOffset, "int32 token ids of the step's rows");
  def("POSITIONS_OFFSET", positionsOffset, "int32 positions of the step's rows");
  if (batched)
    def("SLOTS_OFFSET", slotsOffset, "int32 KV-cache slot of each row of a decode_batch step");
  def("LOGITS_OFFSET", logitsOffset,
      batched ? "float logits of the last row (of every row in decode_batch)"
              : "float logits of the last row");
  def("ATTN_WS_OFFSET", attnWsOffset,
      "the split decode attention's partials and merge tickets (zeroed once, at setup)");
  def("ATTN_WS_BYTES", attnWsBytes, "");
  def("SAMPLE_WS_OFFSET", sampleWsOffset, "pare_llm_sample's workspace");
  def("SAMPLE_WS_BYTES", sampleWsBytes, "");
  def("STEP_OFFSET", stepOffset, "the sampler's step counter (unsigned long long)");
  def("NEXT_OFFSET", nextOffset, "the int32 id the sampler draws");
  if (w8MaxK > 0) {
    def("W8_WS_OFFSET", w8WsOffset,
        "the int8 linears' workspace (quantized rows and their scales)");
    def("W8_WS_BYTES", w8WsBytes, "");
  }
  if (w4WsBytes > 0) {
    def("W4_WS_OFFSET", w4WsOffset,
        "the fused int4 linears' workspace (a prefill's weights dequantized)");
    def("W4_WS_BYTES", w4WsBytes, "");
  }
  def("DEVICE_BYTES", deviceBytes, "all of it");
  if (wsHeads > 0)
    c += "static_assert(" + upper + "_ATTN_WS_BYTES >= PARE_LLM_ATTN_WORKSPACE_FLOATS(" +
         std::to_string(wsHeads) + ", " + std::to_string(wsHeadDim) +
         ") * sizeof(float), \"the attention workspace of pare_cu_llm.cuh\");\n";
  if (wsHeads > 0 && batched)
    c += "static_assert(" + upper + "_ATTN_WS_BYTES >= PARE_LLM_ATTN_WORKSPACE_FLOATS_ROWS(" +
         upper + "_MAX_BATCH, " + std::to_string(wsHeads) + ", " + std::to_string(wsHeadDim) +
         ") * sizeof(float), \"the attention workspace of a decode_batch step\");\n";
  c += "static_assert(" + upper + "_SAMPLE_WS_BYTES >= PARE_LLM_SAMPLE_WORKSPACE_BYTES(" + upper +
       "_VOCAB), \"the sampling workspace of pare_cu_llm.cuh\");\n";
  if (w8MaxK > 0)
    c += "static_assert(" + upper + "_W8_WS_BYTES >= PARE_LLM_W8_WORKSPACE_BYTES(" +
         (rowsMax > chunk ? upper + "_MAX_BATCH" : upper + "_PREFILL_CHUNK") + ", " +
         std::to_string(w8MaxK) +
         "), \"the int8 linears' workspace of pare_cu_llm.cuh\");\n";
  if (w4WsBytes > 0)
    c += "static_assert(" + upper + "_W4_WS_BYTES >= PARE_LLM_W4_FUSED_WORKSPACE_BYTES(" +
         std::to_string(w4WsK) + ", " + std::to_string(w4WsOutputs) + ", sizeof(" + T +
         ")), \"the fused int4 linears' workspace of pare_cu_llm.cuh\");\n";
  // Every launch is preceded by PARE_PROF(family): the profile's event
  // marks (<name>_profile), nothing otherwise.
  std::vector<std::string> families;
  std::string marked;
  int64_t launches = 0;
  for (llvm::StringRef line : llvm::split(llvm::StringRef(body), '\n')) {
    if (line.empty())
      continue;
    size_t at = line.find("PARE_TRY(pare_llm_");
    if (at != llvm::StringRef::npos) {
      llvm::StringRef fn = line.drop_front(at + 18);
      fn = fn.take_until([](char ch) { return ch == '('; });
      fn.consume_back("_f16") || fn.consume_back("_f32");
      auto it = llvm::find(families, fn.str());
      size_t id = it - families.begin();
      if (it == families.end())
        families.push_back(fn.str());
      // On the launch's line: the mark is no statement of its own.
      marked += line.take_front(at).str() + "PARE_PROF(" + std::to_string(id) + "); " +
                line.drop_front(at).str() + "\n";
      ++launches;
      continue;
    }
    marked += line.str() + "\n";
  }
  families.push_back("sample");
  c += "\n/* Kernel families (the entry point's name) of the step's launches, for\n"
       " * " + prefix + "_profile; the last one is the GPU sampler's. */\n";
  c += "#define " + upper + "_LAUNCHES " + std::to_string(launches) + "\n";
  c += "#define " + upper + "_FAMILIES " + std::to_string(families.size()) + "\n";
  c += "static const char *const " + prefix + "_family_names[" + upper + "_FAMILIES] = {";
  for (size_t i = 0; i < families.size(); ++i)
    c += std::string(i ? ", " : "") + "\"" + families[i] + "\"";
  c += "};\n";
  c += R"PARE(
#define PARE_TRY(...)                   \
  do {                                  \
    cudaError_t err_ = (__VA_ARGS__);   \
    if (err_ != cudaSuccess)            \
      return err_;                      \
  } while (0)

)PARE";
  std::string typ = T;
  size_t structAt = c.size();
  c += expand(R"PARE(static struct {
  int ready;
  int32_t position@POS_DECL@;
  unsigned char *device;
  cudaStream_t stream;
  cudaGraphExec_t decode_graph; /* enqueue(1, 1), captured at the first decode */
  cudaGraphExec_t sample_graph; /* enqueue(1, 1) + pare_llm_sample with `sampling` */
  @P@_sampling sampling;        /* the parameters sample_graph was captured with */
@BATCH_FIELDS@  int32_t *staging;             /* pinned: ids, then positions, of up to MAX_CONTEXT rows */
  float *logits;                /* pinned: one logits row */
  int32_t *next;                /* pinned: the sampled id */
  /* Profile (@P@_profile): while `on`, PARE_PROF(f) records an event before
   * each launch (as external event nodes of the captured step). */
  int prof_on, prof_count;
  cudaEvent_t prof_events[@U@_LAUNCHES + 2];
  int prof_family[@U@_LAUNCHES + 2];
  char message[384];            /* the last weights / device failure */
@BLAS_FIELD@} @P@_g;

/* Every launch of one step over n rows (1 <= n <= @U@_PREFILL_CHUNK) whose ids
 * and positions are in device memory; with `last`, also the ops only the last
 * row's logits need (pare.tail: on the last row only) and the logits.@ENQ_DOC@ */
#define PARE_PROF(family)                                                       \
  do {                                                                          \
    if (@P@_g.prof_on && @P@_g.prof_count < @U@_LAUNCHES + 2) {                 \
      @P@_g.prof_family[@P@_g.prof_count] = (family);                           \
      PARE_TRY(cudaEventRecordWithFlags(@P@_g.prof_events[@P@_g.prof_count++],   \
                                        stream, cudaEventRecordExternal));      \
    }                                                                           \
  } while (0)

static cudaError_t @P@_enqueue(int32_t n, int last@ENQ_PARAM@) {
  cudaStream_t stream = @P@_g.stream;
  unsigned char *const d = @P@_g.device;
  const int32_t *const ids = (const int32_t *)(d + @U@_IDS_OFFSET);
  const int32_t *const positions = (const int32_t *)(d + @U@_POSITIONS_OFFSET);
)PARE",
              prefix, upper);
  {
    size_t at = c.find("@BLAS_FIELD@", structAt);
    c.replace(at, 12,
              opts.cublas ? "  pare_llm_blas *blas;          /* --cuda-gemm cublas: the prefill "
                            "products' library context */\n"
                          : "");
  }
  if (batched) {
    // One sequence: its slot's caches, as a single-sequence decoder's (the
    // kernels' slots NULL); decode_batch: the first slot's, each row moved
    // to its own by the kernels.
    c += expand("  /* slot >= 0: the rows are one sequence in that slot's caches; -1: row r is\n"
                "   * a sequence of its own in slot slots[r] (decode_batch), and the tail ops\n"
                "   * and the logits run on every row. */\n"
                "  const int32_t *const slots = slot < 0 ? (const int32_t *)(d + "
                "@U@_SLOTS_OFFSET) : NULL;\n"
                "  const long long slot_stride = slot < 0 ? (long long)@U@_SLOT_CACHE : 0;\n"
                "  const int32_t tail_rows = slot < 0 ? n : 1;\n"
                "  const size_t slot_base = slot < 0 ? 0 : (size_t)slot * @U@_SLOT_CACHE;\n",
                prefix, upper);
    c += "  " + typ + " *const k_cache = (" + typ + " *)(d + " + upper +
         "_K_CACHE_OFFSET) + slot_base;\n";
    c += "  " + typ + " *const v_cache = (" + typ + " *)(d + " + upper +
         "_V_CACHE_OFFSET) + slot_base;\n";
    c += "  (void)slots;\n  (void)slot_stride;\n";
  } else {
    c += "  " + typ + " *const k_cache = (" + typ + " *)(d + " + upper + "_K_CACHE_OFFSET);\n";
    c += "  " + typ + " *const v_cache = (" + typ + " *)(d + " + upper + "_V_CACHE_OFFSET);\n";
  }
  c += "  float *const logits = (float *)(d + " + upper + "_LOGITS_OFFSET);\n";
  c += "  float *const attn_ws = (float *)(d + " + upper + "_ATTN_WS_OFFSET);\n";
  c += "  (void)ids;\n  (void)positions;\n  (void)k_cache;\n  (void)v_cache;\n  (void)attn_ws;\n";
  if (w8MaxK > 0)
    c += "  void *const w8_ws = (void *)(d + " + upper + "_W8_WS_OFFSET);\n";
  if (w4WsBytes > 0)
    c += "  void *const w4_ws = (void *)(d + " + upper + "_W4_WS_OFFSET);\n";
  c += weightDecls + arenaDecls + "\n" + marked;
  c += "  /* the end of the last launch (profile) */\n  PARE_PROF(" +
       std::to_string(families.size() - 1) + ");\n";
  c += "  return cudaSuccess;\n}\n";
  c += expand(R"PARE(
static int @P@_device_error(const char *what, cudaError_t err) {
  snprintf(@P@_g.message, sizeof @P@_g.message, "%s: %s", what, cudaGetErrorString(err));
  return @U@_ERR_DEVICE;
}

static unsigned long long @P@_fnv1a(unsigned long long h, const unsigned char *p, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static unsigned long long @P@_u64(const unsigned char *p) {
  unsigned long long v = 0;
  int i;
  for (i = 7; i >= 0; --i)
    v = v << 8 | p[i];
  return v;
}

/* The 64-byte header: magic, version 1, alignment 64, this model's payload
 * size and hash. */
static int @P@_check_header(const unsigned char *h, const char *what) {
  if (memcmp(h, "PAREWTS1", 8) != 0 || h[8] != 1 || h[9] || h[10] || h[11]) {
    snprintf(@P@_g.message, sizeof @P@_g.message, "%s is not a pare weights file (version 1)", what);
    return @U@_ERR_WEIGHTS;
  }
  if (@P@_u64(h + 16) != @U@_PAYLOAD_BYTES || @P@_u64(h + 24) != @U@_WEIGHTS_HASH) {
    snprintf(@P@_g.message, sizeof @P@_g.message,
             "%s holds other weights (%llu payload bytes, hash %016llx) than this model's "
             "(%llu bytes, hash %016llx): recompile the model or pass its own weights file",
             what, @P@_u64(h + 16), @P@_u64(h + 24), (unsigned long long)@U@_PAYLOAD_BYTES,
             (unsigned long long)@U@_WEIGHTS_HASH);
    return @U@_ERR_WEIGHTS;
  }
  return @U@_OK;
}

/* The device allocation, the stream and the pinned buffers. */
static int @P@_setup(void) {
  cudaError_t err;
  @P@_free();
  if ((err = cudaStreamCreateWithFlags(&@P@_g.stream, cudaStreamNonBlocking)) != cudaSuccess)
    return @P@_device_error("cudaStreamCreate", err);
  if ((err = cudaMalloc((void **)&@P@_g.device, @U@_DEVICE_BYTES)) != cudaSuccess) {
    snprintf(@P@_g.message, sizeof @P@_g.message,
             "cudaMalloc of %llu bytes (weights %llu, KV cache %llu for @CACHE_FOR@%d positions, "
             "activations %llu) failed: %s",
             (unsigned long long)@U@_DEVICE_BYTES, (unsigned long long)@U@_PAYLOAD_BYTES,
             (unsigned long long)(2 * @U@_CACHE_BYTES), @U@_MAX_CONTEXT,
             (unsigned long long)@U@_ARENA_BYTES, cudaGetErrorString(err));
    @P@_g.device = NULL;
    @P@_free();
    return @U@_ERR_DEVICE;
  }
  if ((err = cudaMallocHost((void **)&@P@_g.staging, 2 * sizeof(int32_t) * @U@_MAX_CONTEXT)) !=
          cudaSuccess ||
      (err = cudaMallocHost((void **)&@P@_g.logits, sizeof(float) * @U@_VOCAB@LOGITS_ROWS@)) != cudaSuccess ||
      (err = cudaMallocHost((void **)&@P@_g.next, sizeof(int32_t))) != cudaSuccess@BATCH_ALLOC@) {
    @P@_device_error("cudaMallocHost", err);
    @P@_free();
    return @U@_ERR_DEVICE;
  }
  /* The attention workspace's merge tickets start at zero (its kernel puts
   * them back after every call), the sampler's step counter too; in stream
   * order before the weights' upload, which init waits for. */
  if ((err = cudaMemsetAsync(@P@_g.device + @U@_ATTN_WS_OFFSET, 0,
                             @U@_DEVICE_BYTES - @U@_ATTN_WS_OFFSET, @P@_g.stream)) != cudaSuccess) {
    @P@_device_error("clearing the workspaces", err);
    @P@_free();
    return @U@_ERR_DEVICE;
  }
@BLAS_CREATE@  return @U@_OK;
}

int @P@_init(const char *weights_path) {
  unsigned char head[64];
  unsigned char *buf = NULL;
  unsigned long long hash = 0xcbf29ce484222325ull, done = 0;
  const size_t piece = (size_t)16 << 20;
  cudaError_t err = cudaSuccess;
  int rc;
  FILE *f;
  if (!weights_path)
    return @U@_ERR_ARG;
  @P@_free();
  f = fopen(weights_path, "rb");
  if (!f) {
    snprintf(@P@_g.message, sizeof @P@_g.message, "cannot open weights file '%s'", weights_path);
    return @U@_ERR_WEIGHTS;
  }
  if (fread(head, 1, sizeof head, f) != sizeof head) {
    fclose(f);
    snprintf(@P@_g.message, sizeof @P@_g.message, "weights file '%s' is too short", weights_path);
    return @U@_ERR_WEIGHTS;
  }
  if ((rc = @P@_check_header(head, weights_path)) != @U@_OK || (rc = @P@_setup()) != @U@_OK) {
    fclose(f);
    return rc;
  }
  /* Streamed to the GPU through one pinned piece: read once, copied once. */
  if ((err = cudaMallocHost((void **)&buf, piece)) != cudaSuccess) {
    fclose(f);
    @P@_free();
    return @P@_device_error("cudaMallocHost", err);
  }
  while (done < @U@_PAYLOAD_BYTES) {
    size_t want = @U@_PAYLOAD_BYTES - done < piece ? (size_t)(@U@_PAYLOAD_BYTES - done) : piece;
    size_t got = fread(buf, 1, want, f);
    if (got != want)
      break;
    hash = @P@_fnv1a(hash, buf, got);
    /* On the decoder's stream (which does not wait for the legacy one), and
     * finished before the piece is read again. */
    if ((err = cudaMemcpyAsync(@P@_g.device + done, buf, got, cudaMemcpyHostToDevice,
                               @P@_g.stream)) != cudaSuccess ||
        (err = cudaStreamSynchronize(@P@_g.stream)) != cudaSuccess)
      break;
    done += got;
  }
  rc = @U@_OK;
  if (err != cudaSuccess)
    rc = @P@_device_error("uploading the weights", err);
  else if (done != @U@_PAYLOAD_BYTES || fgetc(f) != EOF) {
    snprintf(@P@_g.message, sizeof @P@_g.message, "weights file '%s' is %s than its header says",
             weights_path, done != @U@_PAYLOAD_BYTES ? "shorter" : "longer");
    rc = @U@_ERR_WEIGHTS;
  } else if (hash != @U@_WEIGHTS_HASH) {
    snprintf(@P@_g.message, sizeof @P@_g.message,
             "weights file '%s' is damaged (its payload does not have the hash of its header)",
             weights_path);
    rc = @U@_ERR_WEIGHTS;
  }
  cudaFreeHost(buf);
  fclose(f);
  if (rc != @U@_OK) {
    @P@_free();
    return rc;
  }
  @P@_g.ready = 1;
  return @U@_OK;
}

int @P@_init_from_memory(const void *blob, size_t size) {
  const unsigned char *p = (const unsigned char *)blob;
  cudaError_t err;
  int rc;
  if (!blob)
    return @U@_ERR_ARG;
  @P@_free();
  if (size != 64 + @U@_PAYLOAD_BYTES) {
    snprintf(@P@_g.message, sizeof @P@_g.message,
             "the weights in memory are %llu bytes; this model's are %llu",
             (unsigned long long)size, (unsigned long long)(64 + @U@_PAYLOAD_BYTES));
    return @U@_ERR_WEIGHTS;
  }
  if ((rc = @P@_check_header(p, "the weights in memory")) != @U@_OK)
    return rc;
  if (@P@_fnv1a(0xcbf29ce484222325ull, p + 64, @U@_PAYLOAD_BYTES) != @U@_WEIGHTS_HASH) {
    snprintf(@P@_g.message, sizeof @P@_g.message,
             "the weights in memory are damaged (their payload does not have the hash of "
             "their header)");
    return @U@_ERR_WEIGHTS;
  }
  if ((rc = @P@_setup()) != @U@_OK)
    return rc;
  /* A copy from pageable memory may return before its DMA is done: on the
   * decoder's stream, waited for. */
  if ((err = cudaMemcpyAsync(@P@_g.device, p + 64, @U@_PAYLOAD_BYTES, cudaMemcpyHostToDevice,
                             @P@_g.stream)) != cudaSuccess ||
      (err = cudaStreamSynchronize(@P@_g.stream)) != cudaSuccess) {
    rc = @P@_device_error("uploading the weights", err);
    @P@_free();
    return rc;
  }
  @P@_g.ready = 1;
  return @U@_OK;
}

void @P@_free(void) {
  int i;
  if (@P@_g.decode_graph)
    cudaGraphExecDestroy(@P@_g.decode_graph);
  if (@P@_g.sample_graph)
    cudaGraphExecDestroy(@P@_g.sample_graph);
@BATCH_FREE@  for (i = 0; i < @U@_LAUNCHES + 2; ++i)
    if (@P@_g.prof_events[i]) {
      cudaEventDestroy(@P@_g.prof_events[i]);
      @P@_g.prof_events[i] = NULL;
    }
  if (@P@_g.next)
    cudaFreeHost(@P@_g.next);
  if (@P@_g.device)
    cudaFree(@P@_g.device);
  if (@P@_g.staging)
    cudaFreeHost(@P@_g.staging);
  if (@P@_g.logits)
    cudaFreeHost(@P@_g.logits);
@BLAS_DESTROY@  if (@P@_g.stream)
    cudaStreamDestroy(@P@_g.stream);
  @P@_g.ready = 0;
@RESET_POS@  @P@_g.device = NULL;
  @P@_g.stream = NULL;
  @P@_g.decode_graph = NULL;
  @P@_g.sample_graph = NULL;
  @P@_g.next = NULL;
  @P@_g.staging = NULL;
  @P@_g.logits = NULL;
}

void @P@_reset(void) {
@RESET_POS@  /* The sampler's draws restart with its step counter (same seed, same text). */
  if (@P@_g.ready)
    cudaMemsetAsync(@P@_g.device + @U@_STEP_OFFSET, 0, sizeof(unsigned long long), @P@_g.stream);
}

int32_t @P@_position(void) { return @P@_g.position@S0@; }

/* Waits for the step and copies its logits out. */
static int @P@_finish(float *logits) {
  cudaError_t err;
  if (logits && (err = cudaMemcpyAsync(@P@_g.logits, @P@_g.device + @U@_LOGITS_OFFSET,
                                       sizeof(float) * @U@_VOCAB, cudaMemcpyDeviceToHost,
                                       @P@_g.stream)) != cudaSuccess)
    return @P@_device_error("copying the logits", err);
  if ((err = cudaStreamSynchronize(@P@_g.stream)) != cudaSuccess)
    return @P@_device_error("running the step", err);
  if (logits)
    memcpy(logits, @P@_g.logits, sizeof(float) * @U@_VOCAB);
  return @U@_OK;
}

/* Copies rows [from, from + rows) of the staged ids and positions to the device. */
static cudaError_t @P@_upload(int32_t from, int32_t rows) {
  int32_t *staged_ids = @P@_g.staging, *staged_positions = @P@_g.staging + @U@_MAX_CONTEXT;
  cudaError_t err = cudaMemcpyAsync(@P@_g.device + @U@_IDS_OFFSET, staged_ids + from,
                                    sizeof(int32_t) * rows, cudaMemcpyHostToDevice, @P@_g.stream);
  if (err != cudaSuccess)
    return err;
  return cudaMemcpyAsync(@P@_g.device + @U@_POSITIONS_OFFSET, staged_positions + from,
                         sizeof(int32_t) * rows, cudaMemcpyHostToDevice, @P@_g.stream);
}

@PREFILL_HEAD@ {
  int32_t i, done, rows;
  cudaError_t err;
  int rc;
  if (!@P@_g.ready)
    return @U@_ERR_STATE;
  if (!ids || n <= 0@SLOT_BAD@)
    return @U@_ERR_ARG;
  for (i = 0; i < n; ++i)
    if (ids[i] < 0 || ids[i] >= @U@_VOCAB)
      return @U@_ERR_ARG;
  if (n > @U@_MAX_CONTEXT - @P@_g.position@SP@)
    return @U@_ERR_CONTEXT;
  /* Staged at distinct places, so that every chunk's copy is queued before
   * the first one has run. */
  for (i = 0; i < n; ++i) {
    @P@_g.staging[i] = ids[i];
    @P@_g.staging[@U@_MAX_CONTEXT + i] = @P@_g.position@SP@ + i;
  }
  for (done = 0; done < n; done += rows) {
    rows = n - done < @U@_PREFILL_CHUNK ? n - done : @U@_PREFILL_CHUNK;
    if ((err = @P@_upload(done, rows)) != cudaSuccess)
      return @P@_device_error("copying the token ids", err);
    if ((err = @P@_enqueue(rows, done + rows == n && logits_of_last != NULL@ENQ_SLOT@)) != cudaSuccess)
      return @P@_device_error("launching the prefill", err);
  }
  if ((rc = @P@_finish(logits_of_last)) != @U@_OK)
    return rc;
  @P@_g.position@SP@ += n;
  return @U@_OK;
}
@PREFILL_TAIL@
/* The decode step's launches (then pare_llm_sample with *sampling, unless
 * NULL) captured into one graph. */
static int @P@_capture(cudaGraphExec_t *exec, const @P@_sampling *sampling@CAP_PARAM@) {
  cudaGraph_t graph;
  cudaError_t err, launched;
  unsigned char *const d = @P@_g.device;
  cudaStream_t stream = @P@_g.stream;
  if ((err = cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal)) != cudaSuccess)
    return @P@_device_error("capturing the decode step", err);
  launched = @P@_enqueue(@CAP_ENQ@);
  if (launched == cudaSuccess && sampling) {
    launched = pare_llm_sample_f32((const float *)(d + @U@_LOGITS_OFFSET), @U@_VOCAB,
                                   sampling->temperature, sampling->top_k, sampling->top_p,
                                   (unsigned long long)sampling->seed,
                                   (unsigned long long *)(d + @U@_STEP_OFFSET),
                                   (int32_t *)(d + @U@_NEXT_OFFSET), d + @U@_SAMPLE_WS_OFFSET,
                                   stream);
    if (launched == cudaSuccess && @P@_g.prof_on && @P@_g.prof_count < @U@_LAUNCHES + 2)
      launched = cudaEventRecordWithFlags(@P@_g.prof_events[@P@_g.prof_count++], stream,
                                          cudaEventRecordExternal);
  }
  err = cudaStreamEndCapture(stream, &graph);
  if (launched != cudaSuccess || err != cudaSuccess)
    return @P@_device_error("capturing the decode step", launched != cudaSuccess ? launched : err);
  err = cudaGraphInstantiate(exec, graph, 0);
  cudaGraphDestroy(graph);
  if (err != cudaSuccess) {
    *exec = NULL;
    return @P@_device_error("instantiating the decode step", err);
  }
  return @U@_OK;
}

int @P@_decode(int32_t id, float *logits) {
  cudaError_t err;
  int rc;
  if (!@P@_g.ready)
    return @U@_ERR_STATE;
  if (id < 0 || id >= @U@_VOCAB)
    return @U@_ERR_ARG;
  if (@P@_g.position@S0@ >= @U@_MAX_CONTEXT)
    return @U@_ERR_CONTEXT;
  /* The step's launches read the id and position from device memory, so
   * one capture serves every later token. */
  if (!@P@_g.decode_graph && (rc = @P@_capture(&@P@_g.decode_graph, NULL@CAP0@)) != @U@_OK)
    return rc;
  @P@_g.staging[0] = id;
  @P@_g.staging[@U@_MAX_CONTEXT] = @P@_g.position@S0@;
  if ((err = @P@_upload(0, 1)) != cudaSuccess)
    return @P@_device_error("copying the token id", err);
  if ((err = cudaGraphLaunch(@P@_g.decode_graph, @P@_g.stream)) != cudaSuccess)
    return @P@_device_error("launching the decode step", err);
  if ((rc = @P@_finish(logits)) != @U@_OK)
    return rc;
  @P@_g.position@S0@ += 1;
  return @U@_OK;
}

/* Greedy, or the documented bounds of pare_llm_sample's parameters. */
static int @P@_check_sampling(const @P@_sampling *s) {
  return s->temperature == s->temperature && s->temperature < 1e30f && s->top_k >= 0 &&
         s->top_p > 0.0f && s->top_p == s->top_p;
}

/* Waits for the step and copies the drawn id out. */
static int @P@_finish_next(int32_t *next) {
  cudaError_t err;
  if ((err = cudaMemcpyAsync(@P@_g.next, @P@_g.device + @U@_NEXT_OFFSET, sizeof(int32_t),
                             cudaMemcpyDeviceToHost, @P@_g.stream)) != cudaSuccess)
    return @P@_device_error("copying the sampled id", err);
  if ((err = cudaStreamSynchronize(@P@_g.stream)) != cudaSuccess)
    return @P@_device_error("running the step", err);
  *next = *@P@_g.next;
  return @U@_OK;
}

int @P@_decode_sample(int32_t id, const @P@_sampling *params, int32_t *next) {
  static const @P@_sampling greedy = {0.0f, 0, 1.0f, 0};
  const @P@_sampling *s = params ? params : &greedy;
  cudaError_t err;
  int rc;
  if (!@P@_g.ready)
    return @U@_ERR_STATE;
  if (id < 0 || id >= @U@_VOCAB || !next || !@P@_check_sampling(s))
    return @U@_ERR_ARG;
  if (@P@_g.position@S0@ >= @U@_MAX_CONTEXT)
    return @U@_ERR_CONTEXT;
  /* The parameters are kernel arguments of the graph: captured again only
   * when they change. */
  if (@P@_g.sample_graph &&
      (@P@_g.sampling.temperature != s->temperature || @P@_g.sampling.top_k != s->top_k ||
       @P@_g.sampling.top_p != s->top_p || @P@_g.sampling.seed != s->seed)) {
    cudaGraphExecDestroy(@P@_g.sample_graph);
    @P@_g.sample_graph = NULL;
  }
  if (!@P@_g.sample_graph) {
    if ((rc = @P@_capture(&@P@_g.sample_graph, s@CAP0@)) != @U@_OK)
      return rc;
    @P@_g.sampling = *s;
  }
  @P@_g.staging[0] = id;
  @P@_g.staging[@U@_MAX_CONTEXT] = @P@_g.position@S0@;
  if ((err = @P@_upload(0, 1)) != cudaSuccess)
    return @P@_device_error("copying the token id", err);
  if ((err = cudaGraphLaunch(@P@_g.sample_graph, @P@_g.stream)) != cudaSuccess)
    return @P@_device_error("launching the decode step", err);
  if ((rc = @P@_finish_next(next)) != @U@_OK)
    return rc;
  @P@_g.position@S0@ += 1;
  return @U@_OK;
}

int @P@_sample(const @P@_sampling *params, int32_t *next) {
  static const @P@_sampling greedy = {0.0f, 0, 1.0f, 0};
  const @P@_sampling *s = params ? params : &greedy;
  unsigned char *const d = @P@_g.device;
  cudaError_t err;
  if (!@P@_g.ready)
    return @U@_ERR_STATE;
  if (!next || !@P@_check_sampling(s))
    return @U@_ERR_ARG;
  if ((err = pare_llm_sample_f32((const float *)(d + @U@_LOGITS_OFFSET), @U@_VOCAB,
                                 s->temperature, s->top_k, s->top_p,
                                 (unsigned long long)s->seed,
                                 (unsigned long long *)(d + @U@_STEP_OFFSET),
                                 (int32_t *)(d + @U@_NEXT_OFFSET), d + @U@_SAMPLE_WS_OFFSET,
                                 @P@_g.stream)) != cudaSuccess)
    return @P@_device_error("launching the sampler", err);
  return @P@_finish_next(next);
}

int @P@_profile(int32_t id, int32_t tokens) {
  static const @P@_sampling greedy = {0.0f, 0, 1.0f, 0};
  double us[@U@_FAMILIES], total = 0;
  int count[@U@_FAMILIES];
  cudaGraphExec_t exec = NULL;
  cudaError_t err = cudaSuccess;
  int32_t t;
  int i, rc;
  if (!@P@_g.ready)
    return @U@_ERR_STATE;
  if (id < 0 || id >= @U@_VOCAB || tokens <= 0)
    return @U@_ERR_ARG;
  if (tokens > @U@_MAX_CONTEXT - @P@_g.position@S0@)
    return @U@_ERR_CONTEXT;
  for (i = 0; i < @U@_LAUNCHES + 2; ++i)
    if (!@P@_g.prof_events[i] &&
        (err = cudaEventCreate(&@P@_g.prof_events[i])) != cudaSuccess)
      return @P@_device_error("creating the profile's events", err);
  /* The step as decode_sample replays it, with an event node before each
   * launch and after the last. */
  @P@_g.prof_on = 1;
  @P@_g.prof_count = 0;
  rc = @P@_capture(&exec, &greedy@CAP0@);
  @P@_g.prof_on = 0;
  if (rc != @U@_OK)
    return rc;
  for (i = 0; i < @U@_FAMILIES; ++i) {
    us[i] = 0;
    count[i] = 0;
  }
  @P@_g.prof_family[@P@_g.prof_count - 1] = @U@_FAMILIES - 1;
  for (i = 0; i + 1 < @P@_g.prof_count; ++i)
    ++count[@P@_g.prof_family[i]];
  for (t = 0; t < tokens && err == cudaSuccess; ++t) {
    @P@_g.staging[0] = id;
    @P@_g.staging[@U@_MAX_CONTEXT] = @P@_g.position@S0@;
    if ((err = @P@_upload(0, 1)) != cudaSuccess ||
        (err = cudaGraphLaunch(exec, @P@_g.stream)) != cudaSuccess ||
        (err = cudaStreamSynchronize(@P@_g.stream)) != cudaSuccess)
      break;
    for (i = 0; i + 1 < @P@_g.prof_count; ++i) {
      float ms = 0;
      if ((err = cudaEventElapsedTime(&ms, @P@_g.prof_events[i], @P@_g.prof_events[i + 1])) !=
          cudaSuccess)
        break;
      us[@P@_g.prof_family[i]] += 1000.0 * ms;
      total += 1000.0 * ms;
    }
    @P@_g.position@S0@ += 1;
  }
  cudaGraphExecDestroy(exec);
  if (err != cudaSuccess)
    return @P@_device_error("profiling the decode step", err);
  fprintf(stderr, "profile: family | launches/token | us/token | %%\n");
  for (i = 0; i < @U@_FAMILIES; ++i)
    if (count[i])
      fprintf(stderr, "profile: %s | %d | %.2f | %.1f\n", @P@_family_names[i], count[i],
              us[i] / tokens, total > 0 ? 100.0 * us[i] / total : 0.0);
  fprintf(stderr, "profile: total | %d | %.2f | 100.0 (%d tokens, graph replays with an event "
                  "node between launches)\n",
          @P@_g.prof_count - 1, total / tokens, (int)tokens);
  return @U@_OK;
}

const char *@P@_strerror(int code) {
  switch (code) {
  case @U@_OK:
    return "ok";
  case @U@_ERR_CONTEXT:
    return "the tokens would pass @U@_MAX_CONTEXT";
  case @U@_ERR_ARG:
    return "invalid argument (NULL pointer, n <= 0 or a token id outside the vocabulary@ARG_MSG@)";
  case @U@_ERR_WEIGHTS:
    return @P@_g.message[0] ? @P@_g.message : "weights file missing, of the wrong size or not this model's";
  case @U@_ERR_STATE:
    return "not initialised (call @P@_init first)";
  case @U@_ERR_DEVICE:
    return @P@_g.message[0] ? @P@_g.message : "CUDA error";
  default:
    return "unknown error code";
  }
}
@BATCH_API@)PARE",
              prefix, upper);
  // --cuda-gemm cublas: the library context, made with the stream (sized for
  // a prefill chunk of the step's largest products) and freed before it.
  std::string create, destroy;
  if (opts.cublas) {
    create = expand("  /* cuBLAS / cuBLASLt for the prefill products (--cuda-gemm cublas): chunks "
                    "of\n   * " +
                        std::string(rowsMax > chunk ? "@U@_MAX_BATCH" : "@U@_PREFILL_CHUNK") +
                        " rows, K <= " +
                        std::to_string(gemmMaxK) + ", N <= " + std::to_string(gemmMaxN) +
                        " (a gated pair and q, k, v count\n   * their sum), " +
                        std::to_string(w4MaxBytes) +
                        " bytes of dequantized int4 weight. */\n"
                        "  if ((err = pare_llm_blas_create(&@P@_g.blas, " +
                        (rowsMax > chunk ? "@U@_MAX_BATCH" : "@U@_PREFILL_CHUNK") + ", " +
                        std::to_string(std::max<int64_t>(gemmMaxK, 1)) + ", " +
                        std::to_string(std::max<int64_t>(gemmMaxN, 1)) + ", " +
                        std::to_string(w4MaxBytes) + "ull, " +
                        (w8MaxK > 0 ? "1" : "0") +
                        ", @P@_g.stream)) != cudaSuccess) {\n"
                        "    @P@_device_error(\"pare_llm_blas_create (cuBLAS, --cuda-gemm "
                        "cublas)\", err);\n"
                        "    @P@_free();\n    return @U@_ERR_DEVICE;\n  }\n",
                    prefix, upper);
    destroy = expand("  pare_llm_blas_destroy(@P@_g.blas);\n  @P@_g.blas = NULL;\n", prefix, upper);
  }
  size_t at = c.find("@BLAS_CREATE@");
  c.replace(at, 13, create);
  at = c.find("@BLAS_DESTROY@");
  c.replace(at, 14, destroy);
  fillSlotMarks(c);
  return c;
}

/// The marks of the runtime's text: the single-sequence code as it is, or
/// with --max-batch a position a slot, the enqueue of a slot, the graphs
/// of decode_batch and the slot API after the rest.
void Decoder::fillSlotMarks(std::string &c) const {
  std::vector<std::pair<std::string, std::string>> marks;
  if (!batched) {
    for (const char *m : {"@POS_DECL@", "@BATCH_FIELDS@", "@ENQ_DOC@", "@ENQ_PARAM@",
                          "@CACHE_FOR@", "@LOGITS_ROWS@", "@BATCH_ALLOC@", "@BATCH_FREE@",
                          "@S0@", "@SLOT_BAD@", "@SP@", "@ENQ_SLOT@", "@PREFILL_TAIL@",
                          "@CAP_PARAM@", "@CAP0@", "@ARG_MSG@", "@BATCH_API@"})
      marks.push_back({m, ""});
    marks.push_back({"@RESET_POS@", expand("  @P@_g.position = 0;\n", prefix, upper)});
    marks.push_back({"@PREFILL_HEAD@", expand("int @P@_prefill(const int32_t *ids, int32_t n, "
                                              "float *logits_of_last)",
                                              prefix, upper)});
    marks.push_back({"@CAP_ENQ@", "1, 1"});
  } else {
    std::string n = std::to_string(maxBatch);
    marks = {
        {"@POS_DECL@", "[@U@_MAX_BATCH]"},
        {"@BATCH_FIELDS@",
         "  /* decode_batch of n rows: enqueue(n, 1, -1) captured at its first step */\n"
         "  cudaGraphExec_t batch_graphs[@U@_MAX_BATCH];\n"
         "  int32_t *batch_staging;       /* pinned: ids, positions, slots of MAX_BATCH rows */\n"},
        {"@ENQ_DOC@", "\n * `slot` >= 0: the rows are a sequence in that KV-cache slot (prefill,\n"
                      " * decode); -1: decode_batch, n <= @U@_MAX_BATCH rows, row r in the slot\n"
                      " * at SLOTS_OFFSET[r], the tail ops and the logits on every row (`last`\n"
                      " * is 1)."},
        {"@ENQ_PARAM@", ", int32_t slot"},
        {"@CACHE_FOR@", n + " slots of "},
        {"@LOGITS_ROWS@", " * @U@_MAX_BATCH"},
        {"@BATCH_ALLOC@",
         " ||\n      (err = cudaMallocHost((void **)&@P@_g.batch_staging,\n"
         "                            3 * sizeof(int32_t) * @U@_MAX_BATCH)) != cudaSuccess"},
        {"@BATCH_FREE@", "  for (i = 0; i < @U@_MAX_BATCH; ++i)\n"
                         "    if (@P@_g.batch_graphs[i]) {\n"
                         "      cudaGraphExecDestroy(@P@_g.batch_graphs[i]);\n"
                         "      @P@_g.batch_graphs[i] = NULL;\n    }\n"
                         "  if (@P@_g.batch_staging)\n    cudaFreeHost(@P@_g.batch_staging);\n"
                         "  @P@_g.batch_staging = NULL;\n"},
        {"@RESET_POS@", "  memset(@P@_g.position, 0, sizeof @P@_g.position);\n"},
        {"@S0@", "[0]"},
        {"@PREFILL_HEAD@", "int @P@_prefill_slot(int32_t slot, const int32_t *ids, int32_t n, "
                           "float *logits_of_last)"},
        {"@SLOT_BAD@", " || slot < 0 || slot >= @U@_MAX_BATCH"},
        {"@SP@", "[slot]"},
        {"@ENQ_SLOT@", ", slot"},
        {"@PREFILL_TAIL@", "\nint @P@_prefill(const int32_t *ids, int32_t n, "
                           "float *logits_of_last) {\n"
                           "  return @P@_prefill_slot(0, ids, n, logits_of_last);\n}\n"},
        {"@CAP_PARAM@", ", int32_t rows, int32_t slot"},
        {"@CAP_ENQ@", "rows, 1, slot"},
        {"@CAP0@", ", 1, 0"},
        {"@ARG_MSG@", "; decode_batch: a slot outside 0 .. " + std::to_string(maxBatch - 1) +
                          ", a slot twice or more than " + n + " rows"},
        {"@BATCH_API@", batchApi()},
    };
  }
  for (auto &[mark, text] : marks) {
    std::string with = expand(text, prefix, upper);
    size_t at = c.find(mark);
    assert(at != std::string::npos && "every mark of the runtime's text is filled");
    for (; at != std::string::npos; at = c.find(mark, at + with.size()))
      c.replace(at, mark.size(), with);
  }
}

std::string Decoder::batchApi() const {
  return R"PARE(
/* --max-batch: several sequences, one a KV-cache slot. */
int @P@_reset_slot(int32_t slot) {
  if (slot < 0 || slot >= @U@_MAX_BATCH)
    return @U@_ERR_ARG;
  @P@_g.position[slot] = 0;
  return @U@_OK;
}

int32_t @P@_slot_position(int32_t slot) {
  return slot < 0 || slot >= @U@_MAX_BATCH ? -1 : @P@_g.position[slot];
}

/* Waits for a decode_batch step and copies its n rows of logits out. */
static int @P@_finish_rows(float *logits, int32_t n) {
  cudaError_t err;
  if ((err = cudaMemcpyAsync(@P@_g.logits, @P@_g.device + @U@_LOGITS_OFFSET,
                             sizeof(float) * @U@_VOCAB * (size_t)n, cudaMemcpyDeviceToHost,
                             @P@_g.stream)) != cudaSuccess)
    return @P@_device_error("copying the logits", err);
  if ((err = cudaStreamSynchronize(@P@_g.stream)) != cudaSuccess)
    return @P@_device_error("running the step", err);
  memcpy(logits, @P@_g.logits, sizeof(float) * @U@_VOCAB * (size_t)n);
  return @U@_OK;
}

int @P@_decode_batch(const int32_t *slots, const int32_t *ids, int32_t n, float *logits) {
  unsigned char seen[@U@_MAX_BATCH];
  int32_t *const staged = @P@_g.batch_staging; /* ids | positions | slots */
  cudaError_t err;
  int32_t i;
  int rc;
  if (!@P@_g.ready)
    return @U@_ERR_STATE;
  if (!slots || !ids || !logits || n <= 0 || n > @U@_MAX_BATCH)
    return @U@_ERR_ARG;
  memset(seen, 0, sizeof seen);
  for (i = 0; i < n; ++i) {
    if (slots[i] < 0 || slots[i] >= @U@_MAX_BATCH || seen[slots[i]] || ids[i] < 0 ||
        ids[i] >= @U@_VOCAB)
      return @U@_ERR_ARG;
    seen[slots[i]] = 1;
  }
  /* Checked before anything is written: every slot stays as it was. */
  for (i = 0; i < n; ++i)
    if (@P@_g.position[slots[i]] >= @U@_MAX_CONTEXT)
      return @U@_ERR_CONTEXT;
  /* One graph a row count: the launches read ids, positions and slots from
   * device memory, so a capture serves every later step of n rows. */
  if (!@P@_g.batch_graphs[n - 1] &&
      (rc = @P@_capture(&@P@_g.batch_graphs[n - 1], NULL, n, -1)) != @U@_OK)
    return rc;
  for (i = 0; i < n; ++i) {
    staged[i] = ids[i];
    staged[@U@_MAX_BATCH + i] = @P@_g.position[slots[i]];
    staged[2 * @U@_MAX_BATCH + i] = slots[i];
  }
  if ((err = cudaMemcpyAsync(@P@_g.device + @U@_IDS_OFFSET, staged, sizeof(int32_t) * n,
                             cudaMemcpyHostToDevice, @P@_g.stream)) != cudaSuccess ||
      (err = cudaMemcpyAsync(@P@_g.device + @U@_POSITIONS_OFFSET, staged + @U@_MAX_BATCH,
                             sizeof(int32_t) * n, cudaMemcpyHostToDevice, @P@_g.stream)) !=
          cudaSuccess ||
      (err = cudaMemcpyAsync(@P@_g.device + @U@_SLOTS_OFFSET, staged + 2 * @U@_MAX_BATCH,
                             sizeof(int32_t) * n, cudaMemcpyHostToDevice, @P@_g.stream)) !=
          cudaSuccess)
    return @P@_device_error("copying the token ids", err);
  if ((err = cudaGraphLaunch(@P@_g.batch_graphs[n - 1], @P@_g.stream)) != cudaSuccess)
    return @P@_device_error("launching the decode_batch step", err);
  if ((rc = @P@_finish_rows(logits, n)) != @U@_OK)
    return rc;
  for (i = 0; i < n; ++i)
    @P@_g.position[slots[i]] += 1;
  return @U@_OK;
}
)PARE";
}

std::string Decoder::makefile() const {
  std::string archNum = llvm::StringRef(opts.arch).drop_front(3).str();
  std::string m = "# Generated by pare " + opts.version + " from " + commentText(opts.sourceModel) +
                  ". Builds the generate runner of " + prefix + " (CUDA):\n#   make -f " + prefix +
                  ".mk            (needs --emit-runner's generate.c)\n";
  if (opts.cublas)
    m += "# --cuda-gemm cublas: the prefill products run on cuBLAS / cuBLASLt (linked with "
         "-lcublas -lcublasLt).\n";
  m += "NVCC ?= nvcc\nCC ?= cc\nNVCCFLAGS ?= -O3 -arch=sm_" + archNum + "\nCFLAGS ?= -O3\n";
  // The int8 kernels are built only for a step that has W8A8 linears.
  m += expand(R"PARE(@U@_OBJECTS = @P@.o pare_cu_llm.o pare_cu_llm_attn.o pare_cu_llm_w4.o)PARE",
              prefix, upper);
  m += w8MaxK > 0 ? " pare_cu_llm_w8.o" : "";
  // --cuda-gemm cublas: the library-GEMM prefill and its libraries.
  if (opts.cublas)
    m += std::string(" pare_cu_llm_blas.o") +
         (w8MaxK > 0 ? " pare_cu_llm_blas_w8.o" : "") +
         "\n" + upper + "_LIBS = -lcublas -lcublasLt";
  m += "\n";
  m += expand(R"PARE(RUNNER_SOURCES = generate.c pare_tokenizer.c

generate: $(RUNNER_SOURCES) $(@U@_OBJECTS)
	$(CC) -std=c99 $(CFLAGS) -c generate.c -o generate.o
	$(CC) -std=c99 $(CFLAGS) -c pare_tokenizer.c -o pare_tokenizer.o
	$(NVCC) $(NVCCFLAGS) -o $@ generate.o pare_tokenizer.o $(@U@_OBJECTS)@LIBS@ -lm

@P@.o: @P@.cu @P@.h pare_cu_llm.cuh@BLAS_H@ pare_activation.h
	$(NVCC) -std=c++17 $(NVCCFLAGS) -c @P@.cu -o $@

pare_cu_llm.o: pare_cu_llm.cu pare_cu_llm.cuh pare_cu_llm_device.cuh pare_activation.h
	$(NVCC) -std=c++17 $(NVCCFLAGS) -c pare_cu_llm.cu -o $@

pare_cu_llm_attn.o: pare_cu_llm_attn.cu pare_cu_llm.cuh pare_cu_llm_device.cuh pare_activation.h
	$(NVCC) -std=c++17 $(NVCCFLAGS) -c pare_cu_llm_attn.cu -o $@

pare_cu_llm_w4.o: pare_cu_llm_w4.cu pare_cu_llm.cuh pare_cu_llm_device.cuh pare_activation.h
	$(NVCC) -std=c++17 $(NVCCFLAGS) -c pare_cu_llm_w4.cu -o $@
)PARE",
              prefix, upper);
  auto fill = [&](llvm::StringRef mark, const std::string &with) {
    size_t at = m.find(mark.str());
    m.replace(at, mark.size(), with);
  };
  fill("@LIBS@", opts.cublas ? " $(" + upper + "_LIBS)" : "");
  fill("@BLAS_H@", opts.cublas ? " pare_cu_llm_blas.cuh" : "");
  if (opts.cublas) {
    m += "\npare_cu_llm_blas.o: pare_cu_llm_blas.cu pare_cu_llm_blas.cuh pare_cu_llm_blas_impl.cuh "
         "pare_cu_llm.cuh pare_cu_llm_device.cuh pare_activation.h\n\t$(NVCC) -std=c++17 "
         "$(NVCCFLAGS) -c pare_cu_llm_blas.cu -o $@\n";
    if (w8MaxK > 0)
      m += "\npare_cu_llm_blas_w8.o: pare_cu_llm_blas_w8.cu pare_cu_llm_blas.cuh "
           "pare_cu_llm_blas_impl.cuh pare_cu_llm_w8_impl.cuh pare_cu_llm.cuh "
           "pare_cu_llm_device.cuh pare_activation.h\n"
           "\t$(NVCC) -std=c++17 $(NVCCFLAGS) -c pare_cu_llm_blas_w8.cu -o $@\n";
  }
  if (w8MaxK > 0)
    m += "\npare_cu_llm_w8.o: pare_cu_llm_w8.cu pare_cu_llm_w8_impl.cuh pare_cu_llm.cuh "
         "pare_cu_llm_device.cuh pare_activation.h\n\t$(NVCC) -std=c++17 $(NVCCFLAGS) -c "
         "pare_cu_llm_w8.cu -o $@\n";
  return m;
}

} // namespace

bool isLibraryGemmFile(llvm::StringRef path) { return path.starts_with("pare_cu_llm_blas"); }

int64_t defaultGpuMemoryBytes(llvm::StringRef arch) {
  if (arch == "sm_86" || arch == "sm_89")
    return 24'000'000'000LL;
  return 80'000'000'000LL; // sm_80 (A100 80GB), sm_90 (H100 80GB)
}

FailureOr<std::vector<EmittedFile>> emitDecoderCuda(ModuleOp module,
                                                    const CudaEmitOptions &options) {
  func::FuncOp func;
  int count = 0;
  module.walk([&](func::FuncOp f) {
    ++count;
    if (!func || f.getName() == "main")
      func = f;
  });
  if (!func)
    return module.emitError("no decoder step function to emit");
  if (count > 1 && func.getName() != "main")
    return module.emitError("several functions and none is @main");
  Decoder d(module, func, options);
  std::vector<EmittedFile> files;
  if (failed(d.run(files)))
    return failure();
  return files;
}

} // namespace pare::codegen
