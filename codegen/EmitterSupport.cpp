//===- EmitterSupport.cpp - helpers shared by the C and CUDA emitters -----===//
#include "codegen/EmitterSupport.h"
#include "codegen/TextEscape.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include "dialects/Pare/Analysis/MemoryPlan.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"

#include "llvm/ADT/STLExtras.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

using namespace mlir;

namespace pare::codegen {

std::vector<int64_t> shapeOf(Value v) {
  auto s = cast<RankedTensorType>(v.getType()).getShape();
  return std::vector<int64_t>(s.begin(), s.end());
}
Type elemOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }
int64_t numel(Value v) { return shape::numElements(shapeOf(v)); }

namespace {

/// C99 and C++ keywords (the header is also C++), names of the generated
/// code's own locals and helpers, and C library names the generated code
/// uses or whose headers may define them as macros.
const std::set<std::string> &reservedIdentifiers() {
  static const std::set<std::string> reserved = {
      // C99
      "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
      "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
      "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
      "union", "unsigned", "void", "volatile", "while", "_Bool", "_Complex", "_Imaginary",
      // C++ (model.h is included from C++; CUDA output is C++)
      "alignas", "alignof", "and", "and_eq", "asm", "bitand", "bitor", "bool", "catch", "char16_t",
      "char32_t", "char8_t", "class", "compl", "concept", "const_cast", "consteval", "constexpr",
      "constinit", "co_await", "co_return", "co_yield", "decltype", "delete", "dynamic_cast",
      "explicit", "export", "false", "friend", "mutable", "namespace", "new", "noexcept", "not",
      "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public",
      "reinterpret_cast", "requires", "static_assert", "static_cast", "template", "this",
      "thread_local", "throw", "true", "try", "typeid", "typename", "using", "virtual", "wchar_t",
      "xor", "xor_eq",
      // the generated code's locals and helpers
      "arena", "arena_memory", "main", "shape", "a_strides", "b_strides", "c_strides", "x_strides",
      "y_strides", "in_shape", "out_shape", "perm", "starts", "steps", "mask", "scale", "shift",
      "value", "pads_begin", "batch_shape", "a_batch_strides", "b_batch_strides", "argc", "argv",
      "fail", "read_npy", "write_npy", "now_ms", "cmp_double", "ctx", "stream", "err", "host",
      "enqueue", "fnv1a", "set_error", "g_error", "kWeightHash", "graph", "ptrs", "launched", "got",
      "bytes", "weights", "weights_path", "CHECK", "PARE_TRY", "RUNNER_HAS_INPUTS", "path_join",
      "write_output",
      // locals of patch-stage loops and temporal-shift row gathers
      "patch", "r", "ih", "iw", "oh", "ow", "pad_top", "pad_left", "pad_bottom", "pad_right", "row",
      "ch", "col", "n", "one", "src", "dst", "tsm_zero", "tsm_row", "tsm_f", "tsm_r",
      // C library names (functions the generated code calls, object-like macros)
      "NULL", "INFINITY", "NAN", "HUGE_VAL", "HUGE_VALF", "EOF", "BUFSIZ", "RAND_MAX",
      "FILENAME_MAX", "FOPEN_MAX", "TMP_MAX", "CLOCKS_PER_SEC", "MB_CUR_MAX", "EXIT_SUCCESS",
      "EXIT_FAILURE", "errno", "stdin", "stdout", "stderr", "assert", "offsetof", "FILE", "memcpy",
      "memset", "memcmp", "memmove", "strlen", "strcmp", "strcat", "strcpy", "strstr", "printf",
      "fprintf", "sprintf", "snprintf", "fopen", "fclose", "fread", "fwrite", "fputc", "malloc",
      "calloc", "realloc", "free", "qsort", "atoi", "exit", "abort", "clock_gettime", "timespec",
      "sqrtf", "sqrt", "expf", "exp", "logf", "log", "powf", "pow", "tanhf", "tanh", "erff", "erf",
      "fabsf", "fabs", "floorf", "floor", "ceilf", "ceil", "roundf", "round", "nearbyintf", "rintf",
      "fmaxf", "fminf", "fmodf", "fmod", "sinf", "cosf", "isnan", "isinf", "isfinite", "signbit",
      "half", "dim3", "threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize"};
  return reserved;
}

/// Families of C library macros: <stdint.h> limits and constant macros,
/// <math.h> / <time.h> / <stdio.h> constants, and POSIX "_t" types.
bool reservedFamily(llvm::StringRef s) {
  if (s.ends_with("_t"))
    return true;
  for (llvm::StringRef p : {"INT", "UINT", "SIZE_", "PTRDIFF_", "WCHAR_", "WINT_", "SIG_", "FP_",
                            "M_", "CLOCK_", "SEEK_", "MATH_", "PRI", "SCN", "__"})
    if (s.starts_with(p) && s.upper() == s)
      return true;
  return false;
}

} // namespace

std::string sanitizeIdentifier(const std::string &s) {
  std::string r;
  for (char c : s)
    r += (llvm::isAlnum(c) ? c : '_');
  // Collapse runs of '_' and trim them at the ends for readability.
  std::string out;
  for (char c : r)
    if (!(c == '_' && !out.empty() && out.back() == '_'))
      out += c;
  while (!out.empty() && out.back() == '_')
    out.pop_back();
  while (!out.empty() && out.front() == '_')
    out.erase(out.begin());
  if (out.empty() || llvm::isDigit(out[0]))
    out = "t_" + out;
  // Long names keep their start and a hash of the whole name: stable, and
  // distinct for distinct names (uniqueName settles the rest).
  if (out.size() > kMaxIdentifier) {
    char hash[24];
    std::snprintf(hash, sizeof hash, "_%016llx", (unsigned long long)fnv1a64(s));
    out.resize(kMaxIdentifier - 17);
    while (!out.empty() && out.back() == '_')
      out.pop_back();
    out += hash;
  }
  if (reservedIdentifiers().count(out) || reservedFamily(out))
    out += "_v";
  return out;
}

std::string localIdentifier(std::string id, const std::string &prefix) {
  auto in = [&](const std::string &ns) {
    return llvm::StringRef(id).starts_with_insensitive(ns + "_");
  };
  while (in("pare") || in(prefix) || in("runner"))
    id.insert(id.find('_'), "v");
  return id;
}

std::string modelNameError(const std::string &name) {
  llvm::StringRef n(name);
  if (n.empty() || llvm::isDigit(n[0]) ||
      llvm::any_of(n, [](char c) { return !llvm::isAlnum(c) && c != '_'; }))
    return "is not a C identifier (letters, digits and '_', not starting with a digit)";
  if (n.size() > kMaxIdentifier)
    return "is longer than " + std::to_string(kMaxIdentifier) + " characters";
  if (n.starts_with("_"))
    return "starts with '_' (reserved in C)";
  std::string lower = n.lower();
  if (lower == "pare" || llvm::StringRef(lower).starts_with("pare_") || lower == "runner")
    return "is reserved: pare's own files and symbols are named runner and pare_*";
  if (reservedIdentifiers().count(name) || reservedFamily(n))
    return "is reserved: a C / C++ keyword, a C library name or a name of the generated code";
  return "";
}

std::string npyFileName(const std::string &tensorName) {
  std::string s;
  for (char c : tensorName)
    s += (llvm::isAlnum(c) || c == '.' || c == '_' || c == '-') ? c : '_';
  if (s.size() > 100) {
    char hash[24];
    std::snprintf(hash, sizeof hash, "_%016llx", (unsigned long long)fnv1a64(tensorName));
    s = s.substr(0, 83) + hash;
  }
  return s;
}

std::vector<std::string> npyFileNames(const std::vector<std::string> &tensorNames) {
  std::vector<std::string> out, lower;
  for (const std::string &t : tensorNames) {
    std::string base = npyFileName(t), s = base;
    for (int k = 1; llvm::is_contained(lower, llvm::StringRef(s).lower()); ++k)
      s = base + "_" + std::to_string(k);
    lower.push_back(llvm::StringRef(s).lower());
    out.push_back(s);
  }
  return out;
}

/// Shortest decimal that reads back as the same float.
std::string floatLiteral(float f) {
  if (std::isnan(f))
    return "NAN";
  if (std::isinf(f))
    return f > 0 ? "INFINITY" : "-INFINITY";
  // Shortest decimal that reads back as the same float (C++17 to_chars).
  char buf[48];
  auto res = std::to_chars(buf, buf + sizeof buf - 1, f);
  *res.ptr = '\0';
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s + "f";
}

std::string doubleLiteral(double d) {
  if (std::isnan(d))
    return "NAN";
  if (std::isinf(d))
    return d > 0 ? "INFINITY" : "-INFINITY";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}

std::string intLiteral(int64_t v, unsigned width, bool isUnsigned) {
  if (width == 64) {
    if (v == INT64_MIN)
      return "(-INT64_C(9223372036854775807) - 1)";
    return "INT64_C(" + std::to_string(v) + ")";
  }
  if (width == 32 && !isUnsigned && v == INT32_MIN)
    return "(-2147483647 - 1)";
  return std::to_string(v);
}

/// All ONNX node names an op came from (fused activations add theirs).
void locNames(Location loc, std::vector<std::string> &out) {
  if (auto n = dyn_cast<NameLoc>(loc)) {
    out.push_back(n.getName().str());
  } else if (auto f = dyn_cast<FusedLoc>(loc)) {
    for (Location l : f.getLocations())
      locNames(l, out);
  }
}

std::string intArray(ArrayRef<int64_t> v) {
  std::string s = "{";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  if (v.empty())
    s += "0";
  return s + "}";
}

FailureOr<func::FuncOp> mainFunction(ModuleOp module) {
  func::FuncOp main;
  module.walk([&](func::FuncOp f) {
    if (f.getName() == "main")
      main = f;
  });
  if (!main)
    return module.emitError("no func.func @main to emit");
  return main;
}

std::string nodeName(Operation *op) {
  std::vector<std::string> names;
  locNames(op->getLoc(), names);
  return names.empty() ? op->getName().stripDialect().str() : names.front();
}

std::string layoutSuffix(Operation *op) {
  auto t = dyn_cast<pare::TransposeOp>(op);
  if (!t || t.getPerm().size() != 4)
    return "";
  if (t.getPerm() == ArrayRef<int64_t>{0, 2, 3, 1})
    return "_nhwc";
  if (t.getPerm() == ArrayRef<int64_t>{0, 3, 1, 2})
    return "_nchw";
  return "";
}

std::string nodeComment(Operation *op) {
  std::vector<std::string> names;
  locNames(op->getLoc(), names);
  std::string s;
  for (size_t i = 0; i < names.size(); ++i)
    s += (i ? " + " : "") + ("\"" + commentText(names[i]) + "\"");
  std::string layout = layoutSuffix(op);
  if (!layout.empty())
    return std::string(layout == "_nhwc" ? "NCHW -> NHWC" : "NHWC -> NCHW") +
           " layout change at ONNX node " + s;
  return s.empty() ? "(inserted by pare)" : "ONNX node " + s;
}

std::string uniqueName(const std::string &base, NameSet &used) {
  std::string n = base;
  for (int k = 1; used.count(n); ++k)
    n = base + "_" + std::to_string(k);
  used.insert(n);
  return n;
}

std::string cType(Type t) {
  if (auto q = dyn_cast<quant::QuantizedType>(t))
    return q.getStorageTypeIntegralWidth() == 8 ? (q.isSigned() ? "int8_t" : "uint8_t") : "int32_t";
  if (t.isF32())
    return "float";
  if (t.isF64())
    return "double";
  if (t.isInteger(1))
    return "uint8_t";
  if (auto it = dyn_cast<IntegerType>(t)) {
    switch (it.getWidth()) {
    case 8:
    case 16:
    case 32:
    case 64:
      return std::string(it.isUnsigned() ? "uint" : "int") + std::to_string(it.getWidth()) + "_t";
    default:
      return "";
    }
  }
  return "";
}

std::string cudaType(Type t) {
  if (t.isF16())
    return "pare_half";
  if (isa<quant::QuantizedType>(t) || t.isF64())
    return "";
  return cType(t);
}

int64_t elemBytes(Type t) {
  if (auto q = dyn_cast<quant::QuantizedType>(t))
    return q.getStorageTypeIntegralWidth() / 8;
  return t.isInteger(1) ? 1 : t.getIntOrFloatBitWidth() / 8;
}

FunctionStorage::FunctionStorage(func::FuncOp func, std::string prefix)
    : owners(planning::outputOwners(func)), func(func), prefix(std::move(prefix)) {}

LogicalResult FunctionStorage::nameParameters(NameSet &used, function_ref<std::string(Type)> typeOf,
                                              StringRef target) {
  NameSet usedUpper;
  auto param = [&](const std::string &orig) {
    std::string base = localIdentifier(sanitizeIdentifier(orig), prefix), n = base;
    for (int k = 1; used.count(n) || usedUpper.count(StringRef(n).upper()); ++k)
      n = base + "_" + std::to_string(k);
    used.insert(n);
    usedUpper.insert(StringRef(n).upper());
    return n;
  };
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto a = attrs::getArgName(func, i);
    inOrig.push_back(a ? a->str() : "input" + std::to_string(i));
    inNames.push_back(param(inOrig.back()));
  }
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto a = attrs::getResultName(func, i);
    outOrig.push_back(a ? a->str() : "output" + std::to_string(i));
    outNames.push_back(param(outOrig.back()));
  }
  for (Value v : func.getArguments())
    if (typeOf(elemOf(v)).empty())
      return func.emitError("the ")
             << target << " target has no type for input element type " << elemOf(v);
  return success();
}

FailureOr<std::vector<FunctionStorage::ArenaTensor>>
FunctionStorage::nameArenaLocals(NameSet &used, function_ref<std::string(Type)> typeOf,
                                 StringRef target, function_ref<bool(Operation *)> skip) {
  std::vector<ArenaTensor> tensors;
  for (Operation &op : func.getBody().front()) {
    if (skip && skip(&op))
      continue;
    DenseI64ArrayAttr offsets = attrs::getOffsets(&op);
    for (auto [i, r] : llvm::enumerate(op.getResults())) {
      if (!planning::needsArena(r, owners))
        continue;
      if (!offsets)
        return op.emitError("internal: no memory plan (run pare-plan-memory)");
      std::string ct = typeOf(elemOf(r));
      if (ct.empty())
        return op.emitError("the ")
               << target << " target has no type for element type " << elemOf(r);
      std::string base = sanitizeIdentifier(nodeName(&op)) + layoutSuffix(&op);
      if (op.getNumResults() > 1)
        base += "_" + std::to_string(i);
      std::string name = uniqueName(localIdentifier(base, prefix), used);
      locals[r] = name;
      tensors.push_back({&op, r, offsets[i], planning::byteSize(r.getType()), ct, name});
    }
  }
  return tensors;
}

LogicalResult FunctionStorage::ptr(Value v, function_ref<std::string(Value)> weight,
                                   StringRef noData, std::string &out) const {
  Value root = planning::storageRoot(v);
  if (auto arg = dyn_cast<BlockArgument>(root)) {
    out = inNames[arg.getArgNumber()];
    return success();
  }
  if (matchPattern(root, m_Constant())) {
    DenseElementsAttr dense;
    if (!matchPattern(root, m_Constant(&dense)))
      return root.getDefiningOp()->emitError(noData);
    out = weight(root);
    return success();
  }
  auto own = owners.find(root);
  if (own != owners.end()) {
    out = outNames[own->second];
    return success();
  }
  auto it = locals.find(root);
  if (it == locals.end())
    return root.getDefiningOp()->emitError("internal: value has no storage");
  out = it->second;
  return success();
}

std::vector<FunctionStorage::OutputCopy> FunctionStorage::outputCopies() {
  std::vector<OutputCopy> copies;
  Operation *ret = func.getBody().front().getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    auto own = owners.find(planning::storageRoot(v));
    if (own != owners.end() && own->second == i)
      continue;
    copies.push_back({unsigned(i), v, planning::byteSize(v.getType())});
  }
  return copies;
}

std::string FunctionStorage::outputCopyComment(unsigned index) const {
  return "  /* output \"" + commentText(outOrig[index]) + "\" is a copy of another tensor */\n";
}

ActArgs fusedActivation(Operation *op) {
  ActArgs r;
  auto name = op->getAttrOfType<StringAttr>("activation");
  if (!name)
    return r;
  // The attribute comes from the IR (a .mlir input may hold any text): only
  // identifier characters reach the code.
  std::string kind = name.getValue().upper();
  for (char &c : kind)
    if (!llvm::isAlnum(c))
      c = '_';
  r.kind = "PARE_ACT_" + kind;
  if (auto params = op->getAttrOfType<DenseF32ArrayAttr>("activation_params")) {
    auto p = params.asArrayRef();
    if (p.size() > 0)
      r.a = floatLiteral(p[0]);
    if (p.size() > 1)
      r.b = floatLiteral(p[1]);
  }
  return r;
}

ActArgs standaloneActivation(Operation *op) {
  ActArgs r;
  std::string act = op->getName().stripDialect().str();
  if (auto c = dyn_cast<pare::ClipOp>(op)) {
    r.a = floatLiteral(c.getMin().convertToFloat());
    r.b = floatLiteral(c.getMax().convertToFloat());
  } else if (auto h = dyn_cast<pare::HardSigmoidOp>(op)) {
    r.a = floatLiteral(h.getAlpha().convertToFloat());
    r.b = floatLiteral(h.getBeta().convertToFloat());
  } else if (auto s = dyn_cast<pare::SeluOp>(op)) {
    r.a = floatLiteral(s.getAlpha().convertToFloat());
    r.b = floatLiteral(s.getGamma().convertToFloat());
  } else if (auto g = dyn_cast<pare::GeluOp>(op)) {
    act = g.getTanhApproximation() ? "gelu_tanh" : "gelu";
  } else if (auto alpha = op->getAttrOfType<FloatAttr>("alpha")) {
    r.a = floatLiteral(float(alpha.getValueAsDouble()));
  }
  r.kind = "PARE_ACT_" + llvm::StringRef(act).upper();
  return r;
}

bool batchNormAffine(Operation *op, std::vector<float> &scale, std::vector<float> &shift) {
  auto bn = cast<pare::BatchNormOp>(op);
  std::vector<float> p[4];
  Value params[4] = {bn.getScale(), bn.getBias(), bn.getMean(), bn.getVariance()};
  for (int i = 0; i < 4; ++i) {
    DenseElementsAttr attr;
    if (!matchPattern(params[i], m_Constant(&attr)))
      return false;
    for (APFloat x : attr.getValues<APFloat>()) {
      bool lost;
      x.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      p[i].push_back(x.convertToFloat());
    }
  }
  float eps = bn.getEpsilon().convertToFloat();
  scale.clear();
  shift.clear();
  for (size_t c = 0; c < p[0].size(); ++c) {
    scale.push_back(p[0][c] / std::sqrt(p[3][c] + eps));
    shift.push_back(p[1][c] - p[2][c] * scale.back());
  }
  return true;
}

std::string npyDescr(Type t) {
  if (t.isF32())
    return "<f4";
  if (t.isF64())
    return "<f8";
  if (t.isInteger(1))
    return "|b1";
  auto it = dyn_cast<IntegerType>(t);
  if (!it)
    return "";
  unsigned bytes = it.getWidth() / 8;
  return (bytes == 1 ? "|" : "<") + std::string(it.isUnsigned() ? "u" : "i") +
         std::to_string(bytes);
}

const std::string &runnerHelpers() {
  static const std::string text = R"RUNNER(static int fail(const char *msg, const char *arg) {
  fprintf(stderr, "runner: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
  return 1;
}

#if RUNNER_HAS_INPUTS
/* Reads a C-order .npy with the given dtype descr and element count. */
static void *read_npy(const char *path, const char *descr, size_t count, size_t esize) {
  FILE *f = fopen(path, "rb");
  unsigned char pre[10];
  unsigned hlen;
  char *header;
  void *data;
  if (!f) { fail("cannot open", path); return NULL; }
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
    fclose(f); fail("not a .npy file:", path); return NULL;
  }
  if (pre[6] == 1) {
    hlen = pre[8] | (pre[9] << 8);
  } else {
    unsigned char more[2];
    if (fread(more, 1, 2, f) != 2) { fclose(f); fail("truncated", path); return NULL; }
    hlen = pre[8] | (pre[9] << 8) | (more[0] << 16) | ((unsigned)more[1] << 24);
  }
  header = (char *)calloc(hlen + 1, 1);
  if (!header || fread(header, 1, hlen, f) != hlen) {
    fclose(f); free(header); fail("truncated header in", path); return NULL;
  }
  if (!strstr(header, descr) || strstr(header, "'fortran_order': True")) {
    fprintf(stderr, "runner: %s must be a C-order array of dtype '%s' (header: %s)\n",
            path, descr, header);
    fclose(f); free(header); return NULL;
  }
  free(header);
  data = malloc(count * esize + 1);
  if (!data || fread(data, esize, count, f) != count) {
    fclose(f); free(data); fail("wrong element count in", path); return NULL;
  }
  fclose(f);
  return data;
}
#endif

static int write_npy(const char *path, const char *descr, const long *shape, int rank,
                     const void *data, size_t bytes) {
  char header[640];
  char dims[512] = "";
  size_t used = 0;
  int i, n;
  unsigned short hlen;
  FILE *f;
  for (i = 0; i < rank; ++i) {
    int k = snprintf(dims + used, sizeof dims - used, "%ld,%s", shape[i],
                     (rank > 1 && i + 1 < rank) ? " " : "");
    if (k < 0 || (size_t)k >= sizeof dims - used) return fail("shape too long for", path);
    used += (size_t)k;
  }
  if (rank > 1) dims[used - 1] = '\0';
  n = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
               descr, dims);
  if (n < 0 || (size_t)n + 64 >= sizeof header) return fail("shape too long for", path);
  while ((n + 11) % 64 != 0) header[n++] = ' ';
  header[n++] = '\n';
  hlen = (unsigned short)n;
  f = fopen(path, "wb");
  if (!f) return fail("cannot write", path);
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc(hlen & 0xff, f);
  fputc(hlen >> 8, f);
  fwrite(header, 1, n, f);
  if (bytes) fwrite(data, 1, bytes, f);
  if (fclose(f) != 0) return fail("cannot write", path);
  return 0;
}

/* DIR/FILE in a new buffer, whatever the lengths; NULL when out of memory. */
static char *path_join(const char *dir, const char *file) {
  size_t n = strlen(dir), m = strlen(file);
  char *p = (char *)malloc(n + m + 2);
  if (!p) return NULL;
  memcpy(p, dir, n);
  p[n] = '/';
  memcpy(p + n + 1, file, m + 1);
  return p;
}

/* Writes one output as DIR/FILE (see write_npy). */
static int write_output(const char *dir, const char *file, const char *descr,
                        const long *shape, int rank, const void *data, size_t bytes) {
  char *path = path_join(dir, file);
  int rc;
  if (!path) return fail("out of memory for the path of", file);
  rc = write_npy(path, descr, shape, rank, data, bytes);
  free(path);
  return rc;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

)RUNNER";
  return text;
}

} // namespace pare::codegen
