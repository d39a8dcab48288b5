//===- CudaEmitter.cpp - pare IR -> standalone CUDA C++ -------------------===//
//
// Same plan, same naming and comments as the C emitter; the arena lives in
// device memory, weights travel in <name>_weights.bin and are uploaded once,
// and all launches of one inference are captured into a CUDA graph that is
// replayed while the caller's pointers stay the same.
//
// Here: the module state (weights, storage, fused residual adds), the
// per-op prologue (operand pointers, the comment line) and the dispatch to
// the op families' emitters (CudaOps*.cpp); CudaFiles.cpp writes the files.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaEmitter.h"
#include "codegen/cuda/CudaModule.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareAttrs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;

namespace pare::codegen {
namespace cuda {

std::string suffix(Type t) { return t.isF32() ? "f32" : t.isF16() ? "f16" : ""; }

std::string cuShape(const Shape &dims, std::vector<std::vector<int64_t>> strides) {
  Shape d = dims.empty() ? Shape{1} : dims;
  strides.resize(3);
  std::string s = "pare_cu_shape{" + std::to_string(d.size()) + ", " + intArray(d) + ", {";
  for (size_t i = 0; i < 3; ++i) {
    std::vector<int64_t> st = strides[i];
    if (st.empty())
      st.assign(d.size(), 0);
    s += (i ? ", " : "") + intArray(st);
  }
  return s + "}}";
}

LogicalResult CudaOp::needFloat(CudaModule &m) const {
  for (Value v : op->getOperands())
    if (suffix(elemOf(v)).empty() && !isa<GatherOp>(op))
      return m.unsupported(op, "only float32 / float16 tensors");
  return success();
}

CudaModule::CudaModule(func::FuncOp func, const CudaEmitOptions &opts)
    : func(func), opts(opts), prefix(sanitizeIdentifier(opts.name)),
      upper(llvm::StringRef(prefix).upper()), storage(func, prefix) {}

std::string CudaModule::floatTable(const std::string &base, const std::vector<float> &vals) {
  while (blob.size() % 256)
    blob.push_back('\0');
  size_t off = blob.size();
  blob.append(reinterpret_cast<const char *>(vals.data()), vals.size() * sizeof(float));
  std::string name = uniqueName(localIdentifier(base, prefix), used);
  weightDecls +=
      "  const float *" + name + " = (const float *)(w + " + std::to_string(off) + ");\n";
  return name;
}

std::string CudaModule::int32Table(const std::string &base, const std::vector<int32_t> &vals) {
  while (blob.size() % 256)
    blob.push_back('\0');
  size_t off = blob.size();
  blob.append(reinterpret_cast<const char *>(vals.data()), vals.size() * sizeof(int32_t));
  std::string name = uniqueName(localIdentifier(base, prefix), used);
  weightDecls += "  const int *" + name + " = (const int *)(w + " + std::to_string(off) + ");\n";
  return name;
}

std::string CudaModule::weight(Value v, Layout layout) {
  bool depthwiseHWC = layout == Layout::DepthwiseHWC;
  DenseElementsAttr attr;
  bool ok = matchPattern(v, m_Constant(&attr));
  assert(ok && "weight() needs a dense constant");
  (void)ok;
  auto key = std::make_pair(attr.getAsOpaquePointer(), int(layout));
  auto it = weightNames.find(key);
  if (it != weightNames.end())
    return it->second;
  Shape s = shapeOf(v);
  Type t = attr.getElementType();
  size_t esize = elemBytes(t);
  while (blob.size() % 256)
    blob.push_back('\0');
  size_t off = blob.size();
  std::vector<char> raw;
  if (t.isInteger(1)) {
    for (bool b : attr.getValues<bool>())
      raw.push_back(b ? 1 : 0);
  } else {
    ArrayRef<char> data = attr.getRawData();
    size_t n = shape::numElements(s);
    raw.resize(n * esize);
    for (size_t i = 0; i < n; ++i) // splats hold one element
      std::memcpy(&raw[i * esize], &data[attr.isSplat() ? 0 : i * esize], esize);
  }
  if (depthwiseHWC) { // [C][kh][kw][1] -> [kh][kw][C]
    int64_t c = s[0], kh = s[1], kw = s[2];
    std::vector<char> r(raw.size());
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t ch = 0; ch < c; ++ch)
          std::memcpy(&r[((y * kw + x) * c + ch) * esize], &raw[((ch * kh + y) * kw + x) * esize],
                      esize);
    raw.swap(r);
  }
  if (layout == Layout::Transposed2D) { // [K][N] -> [N][K]
    int64_t k = s[0], n = s[1];
    std::vector<char> r(raw.size());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        std::memcpy(&r[(j * k + i) * esize], &raw[(i * n + j) * esize], esize);
    raw.swap(r);
  }
  blob.append(raw.data(), raw.size());
  std::string name = uniqueName(localIdentifier(sanitizeIdentifier(nodeName(v.getDefiningOp())) +
                                                    (depthwiseHWC ? "_hwc" : "") +
                                                    (layout == Layout::Transposed2D ? "_t" : ""),
                                                prefix),
                                used);
  std::string ct = cudaType(t);
  weightDecls += "  /* " + commentText(nodeName(v.getDefiningOp())) + ": " + shape::toString(s) +
                 (depthwiseHWC                     ? " as HxWxC"
                  : layout == Layout::Transposed2D ? " transposed"
                                                   : "") +
                 " */\n  const " + ct + " *" + name + " = (const " + ct + " *)(w + " +
                 std::to_string(off) + ");\n";
  weightNames[key] = name;
  return name;
}
LogicalResult CudaModule::ptr(Value v, std::string &out) {
  return storage.ptr(
      v, [&](Value root) { return weight(root); }, "the cuda target needs constants with data",
      out);
}

void CudaModule::findResidualFusions() {
  // FuseResidualAdd marked the producers; the plan starts each add's buffer
  // at its producer, so the producer may write it while reading its inputs.
  for (Operation &op : func.getBody().front()) {
    if (!attrs::hasResidualAdd(&op))
      continue;
    Value produced = op.getResult(0);
    Operation *user = *produced.getUsers().begin();
    if (isa<ReshapeOp>(user)) {
      produced = user->getResult(0);
      user = *produced.getUsers().begin();
    }
    auto add = cast<AddOp>(user);
    Value other = add.getLhs() == produced ? add.getRhs() : add.getLhs();
    residualOf[&op] = {add, other};
    fusedAdds.insert(add);
  }
}
namespace {

/// Every op the CUDA target emits, by class.
const OpTable &opTable() {
  static const OpTable table = [] {
    OpTable t;
    registerConvGemmOps(t);
    registerElementwiseOps(t);
    registerReductionOps(t);
    registerDataMovementOps(t);
    registerLlmOps(t);
    return t;
  }();
  return table;
}

/// A constant operand a kernel reads in another layout than its own (the
/// op's emitter asks CudaModule::weight for it): depthwise weights as HWC;
/// [K][N] gemm / matmul weights as [N][K]; matmul_nbits' packed int4.
bool relaidOut(Operation *op, Value v) {
  if (auto c = dyn_cast<ConvOp>(op))
    return v == c.getWeight() && c.isDepthwise() && shapeOf(v)[3] == 1 &&
           matchPattern(v, m_Constant());
  if (auto g = dyn_cast<GemmOp>(op))
    return v == g.getB() && !g.getTransB() && matchPattern(v, m_Constant());
  if (auto mm = dyn_cast<MatMulOp>(op))
    return v == mm.getB() && shapeOf(v).size() == 2 && matchPattern(v, m_Constant());
  // int4 weights, scales and zero points are packed together (CudaW4.h).
  if (auto q = dyn_cast<MatMulNBitsOp>(op))
    return v != q.getInput() && matchPattern(v, m_Constant());
  // A constant Clip bound is passed by value (CudaOpsElementwise).
  if (auto c = dyn_cast<ClipDynamicOp>(op))
    return v != c.getInput() && matchPattern(v, m_Constant());
  return false;
}

/// The comment line above an op's launch, its storage, and its launch.
LogicalResult emitOp(CudaModule &m, Operation *op) {
  // TSM: the CUDA pipeline leaves temporal shifts unfused (PipelineOptions:
  // no fuseShifts with residualFusion), as the GPU convolutions read no
  // shift; a conv marked by FuseTemporalShift (pare-opt alone) is refused.
  if (attrs::hasShiftFrames(op))
    return m.unsupported(op, "a convolution through a fused temporal shift (compile the "
                             "shift unfused: pare-temporal-shift-pipeline without fuse)");
  if (isa<ConstantOp, ReshapeOp, IdentityOp, func::ReturnOp>(op) || m.fusedAdds.count(op))
    return success();
  if (op->getNumResults() == 1 && numel(op->getResult(0)) == 0)
    return success();
  CudaOp o;
  o.op = op;
  for (Value v : op->getOperands()) {
    std::string p;
    if (!relaidOut(op, v) && failed(m.ptr(v, p)))
      return failure();
    o.in.push_back(p);
  }
  auto res = m.residualOf.find(op);
  bool fusedResidual = res != m.residualOf.end();
  for (Value r : op->getResults()) {
    std::string p;
    // A producer that adds its residual writes the add's result.
    if (failed(m.ptr(fusedResidual ? res->second.add->getResult(0) : r, p)))
      return failure();
    o.out.push_back(p);
  }
  o.os = op->getNumResults() ? shapeOf(op->getResult(0)) : Shape{};
  o.fused = fusedActivation(op);
  std::string comment = nodeComment(op);
  if (fusedResidual) {
    Operation *add = res->second.add;
    if (failed(m.ptr(res->second.other, o.residual)))
      return failure();
    o.fused = fusedActivation(add);
    std::vector<std::string> names;
    locNames(add->getLoc(), names);
    for (const std::string &n : names)
      comment += " + \"" + commentText(n) + "\"";
  }
  std::string head = "  /* " + comment + ": " + op->getName().stripDialect().str() + " -> " +
                     shape::toString(o.os);
  if (fusedResidual)
    head += ", fused residual add";
  if (auto act = (fusedResidual ? res->second.add : op)->getAttrOfType<StringAttr>("activation"))
    head += ", fused " + commentText(act.getValue());
  m.body += head + " */\n";
  o.t = op->getNumResults() ? elemOf(op->getResult(0)) : Type();
  o.sfx = o.t ? suffix(o.t) : "";
  OpEmitter emit = opTable().lookup(op);
  // The int8 W8A8 kernels take the decoder's layout and workspace: a graph
  // not derived into a decoder has none.
  if (!emit && isa<MatMulW8A8Op>(op))
    return m.unsupported(op, "int8 W8A8 linears run in CUDA decoders only (--max-context N "
                             "with a graph pare can derive a decoder from)");
  if (!emit)
    return m.unsupported(op, "no CUDA kernel for this op");
  return emit(m, o);
}

} // namespace
} // namespace cuda

FailureOr<std::vector<EmittedFile>> emitCuda(ModuleOp module, const CudaEmitOptions &options) {
  auto main = mainFunction(module);
  if (failed(main))
    return failure();
  cuda::CudaModule m(*main, options);
  // enqueue()'s own locals.
  m.used = {"ctx", "stream", "w", "arena", "err"};
  if (failed(m.storage.nameParameters(m.used, cudaType, "cuda")))
    return failure();
  auto locals = m.storage.nameArenaLocals(m.used, cudaType, "cuda");
  if (failed(locals))
    return failure();
  for (const FunctionStorage::ArenaTensor &a : *locals)
    m.localDecls += "  " + a.ctype + " *" + a.name + " = (" + a.ctype + " *)(arena + " +
                    std::to_string(a.offset) + ");\n";
  m.findResidualFusions();
  for (Operation &op : main->getBody().front())
    if (failed(cuda::emitOp(m, &op)))
      return failure();
  for (const FunctionStorage::OutputCopy &copy : m.storage.outputCopies()) {
    std::string src;
    if (failed(m.ptr(copy.value, src)))
      return failure();
    m.body += m.storage.outputCopyComment(copy.index) +
              m.launch("cudaMemcpyAsync(" + m.storage.outNames[copy.index] + ", " + src + ", " +
                       std::to_string(copy.bytes) + ", cudaMemcpyDeviceToDevice, stream");
  }
  std::vector<EmittedFile> files;
  cuda::writeFiles(m, attrs::getArenaBytes(*main).value_or(0), files);
  return files;
}

} // namespace pare::codegen
