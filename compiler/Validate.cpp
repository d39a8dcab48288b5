//===- Validate.cpp - pare validate: build, run, compare ------------------===//
//
// Compiles the model for the host with a runner, builds it with the system C
// compiler, runs it on given or seeded random inputs and compares every output
// with reference .npy files or with onnxruntime (through python3).
//
//===----------------------------------------------------------------------===//

#include "compiler/Driver.h"
#include "compiler/DriverCommon.h"
#include "compiler/Npy.h"

#include "codegen/EmitterSupport.h"
#include "codegen/c/CEmitter.h"
#include "dialects/Pare/IR/PareAttrs.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

using namespace mlir;

namespace pare::driver {
namespace {

struct TensorInfo {
  std::string name, descr;
  std::vector<int64_t> shape;
};

std::string descrOf(Type t) {
  if (t.isF32())
    return "<f4";
  if (t.isF64())
    return "<f8";
  if (t.isInteger(1))
    return "|b1";
  auto it = cast<IntegerType>(t);
  std::string k = it.isUnsigned() ? "u" : "i";
  unsigned bytes = it.getWidth() / 8;
  return (bytes == 1 ? "|" : "<") + k + std::to_string(bytes);
}

/// At most this many bytes of random input data per input.
constexpr int64_t kMaxInputBytes = int64_t(1) << 30;

int runCommand(const std::string &cmd) {
  int rc = std::system(cmd.c_str());
  return rc == -1 ? -1 : WEXITSTATUS(rc);
}

std::string quote(const std::string &s) {
  std::string r = "'";
  for (char c : s)
    r += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return r + "'";
}

const char *kReferenceScript = R"PY(
import sys
try:
    import numpy as np
    import onnxruntime as ort
except ImportError:
    sys.stderr.write("numpy or onnxruntime is not installed for this python\n")
    sys.exit(3)
model, outdir, names, files = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4:]
opts = ort.SessionOptions()
opts.intra_op_num_threads = 1
if model.endswith(".onnxtext"):
    import onnx.parser
    with open(model) as f:
        model = onnx.parser.parse_model(f.read()).SerializeToString()
sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
feeds = {i.name: np.load(f) for i, f in zip(sess.get_inputs(), files)}
outs = sess.run(None, feeds)
for name, v in zip(names, outs):
    np.save(f"{outdir}/{name}.npy", np.ascontiguousarray(v))
)PY";

/// The model's inputs and outputs: names, .npy dtypes, shapes.
void signature(func::FuncOp func, std::vector<TensorInfo> &ins, std::vector<TensorInfo> &outs) {
  for (auto [i, a] : llvm::enumerate(func.getArguments())) {
    auto rt = cast<RankedTensorType>(a.getType());
    auto n = attrs::getArgName(func, i);
    ins.push_back({n ? n->str() : "input" + std::to_string(i),
                   descrOf(rt.getElementType()),
                   {rt.getShape().begin(), rt.getShape().end()}});
  }
  for (auto [i, t] : llvm::enumerate(func.getResultTypes())) {
    auto rt = cast<RankedTensorType>(t);
    auto n = attrs::getResultName(func, i);
    outs.push_back({n ? n->str() : "output" + std::to_string(i),
                    descrOf(rt.getElementType()),
                    {rt.getShape().begin(), rt.getShape().end()}});
  }
}

/// Element counts checked before anything is allocated: symbolic dims
/// (negative) and products that overflow or exceed kMaxInputBytes are
/// refused.
bool checkInputSizes(const std::vector<TensorInfo> &ins) {
  for (const TensorInfo &t : ins) {
    int64_t count = 1, esize = t.descr == "<f8" || t.descr == "<i8"   ? 8
                               : t.descr == "<f4" || t.descr == "<i4" ? 4
                                                                      : 1;
    bool ok = true;
    for (int64_t d : t.shape)
      ok = ok && d >= 0 && !llvm::MulOverflow(count, d, count);
    if (!ok || count > kMaxInputBytes / esize) {
      printError("input '" + codegen::displayText(t.name) + "' is too large for pare validate (" +
                 (ok ? std::to_string(count) + " elements" : std::string("its shape overflows")) +
                 "; at most " + std::to_string(kMaxInputBytes) + " bytes per input)");
      return false;
    }
  }
  return true;
}

/// Seeded random data for input `t`: floats in [-1, 1], integers in 0..3
/// (booleans 0..1).
npy::Array randomInput(const TensorInfo &t, std::mt19937 &rng) {
  npy::Array a;
  a.descr = t.descr;
  a.shape = t.shape;
  a.data.resize(a.count() * a.elementSize());
  std::uniform_real_distribution<float> uf(-1.0f, 1.0f);
  std::uniform_int_distribution<int> ui(0, 3);
  for (size_t k = 0; k < a.count(); ++k) {
    char *p = a.data.data() + k * a.elementSize();
    if (t.descr == "<f4") {
      float v = uf(rng);
      std::memcpy(p, &v, 4);
    } else if (t.descr == "<f8") {
      double v = uf(rng);
      std::memcpy(p, &v, 8);
    } else if (t.descr == "<i8") {
      int64_t v = ui(rng);
      std::memcpy(p, &v, 8);
    } else if (t.descr == "<i4") {
      int32_t v = ui(rng);
      std::memcpy(p, &v, 4);
    } else {
      p[0] = char(ui(rng) & (t.descr == "|b1" ? 1 : 3));
    }
  }
  return a;
}

/// The input files: NAME.npy from --inputs (checked against the model), or
/// seeded random data written to `inDir`.
bool prepareInputs(const ValidateOptions &o, const std::vector<TensorInfo> &ins,
                   const std::vector<std::string> &inFileNames, const std::string &inDir,
                   std::vector<std::string> &inFiles) {
  std::mt19937 rng(o.seed);
  for (auto [k, t] : llvm::enumerate(ins)) {
    std::string path = inDir + "/" + inFileNames[k] + ".npy";
    if (!o.inputsDir.empty()) {
      std::string given = o.inputsDir + "/" + inFileNames[k] + ".npy";
      npy::Array a;
      std::string err;
      if (!npy::read(given, a, err)) {
        printError("--inputs: " + err + " (expected one NAME.npy per model input)");
        return false;
      }
      if (a.descr != t.descr || a.shape != t.shape) {
        printError("--inputs: '" + given + "' has dtype " + a.descr + " and shape " +
                   std::to_string(a.shape.size()) + "-D, but input '" +
                   codegen::displayText(t.name) + "' needs dtype " + t.descr +
                   " with the compiled shape");
        return false;
      }
      inFiles.push_back(given);
      continue;
    }
    std::string err;
    if (!npy::write(path, randomInput(t, rng), err)) {
      printError(err);
      return false;
    }
    inFiles.push_back(path);
  }
  return true;
}

/// Builds the generated code in `gen` and runs it on `inFiles`, writing
/// the outputs to `outDir`.
bool buildAndRun(const ValidateOptions &o, const std::string &gen, const std::string &outDir,
                 const std::vector<std::string> &inFiles) {
  std::string build =
      o.cc + " -std=c99 -O2 -o " + quote(gen + "/runner") + " " + quote(gen) + "/*.c -lm";
  if (runCommand(build) != 0) {
    printError("building the generated code failed: " + build);
    return false;
  }
  std::string run = quote(gen + "/runner") + " -o " + quote(outDir);
  for (auto &f : inFiles)
    run += " " + quote(f);
  if (runCommand(run) != 0) {
    printError("running the generated code failed");
    return false;
  }
  return true;
}

/// The reference outputs of onnxruntime (through `o.python`) in `refDir`.
bool runReference(const ValidateOptions &o, const std::string &dir, const std::string &refDir,
                  const std::vector<std::string> &outFileNames,
                  const std::vector<std::string> &inFiles) {
  if (llvm::StringRef(o.model).ends_with(".mlir")) {
    printError("a .mlir model needs --reference DIR");
    return false;
  }
  std::string script = dir + "/reference.py";
  std::ofstream(script) << kReferenceScript;
  std::string names;
  for (const std::string &f : outFileNames)
    names += (names.empty() ? "" : ",") + f;
  std::string cmd = quote(o.python) + " " + quote(script) + " " + quote(o.model) + " " +
                    quote(refDir) + " " + quote(names.empty() ? "," : names);
  for (auto &f : inFiles)
    cmd += " " + quote(f);
  int rc = runCommand(cmd);
  if (rc != 0) {
    printError(rc == 3 ? "no reference: numpy / onnxruntime are not installed for '" + o.python +
                             "'; pass --reference DIR or --python PATH"
                       : "onnxruntime failed to run the model");
    return false;
  }
  return true;
}

/// Prints one line per output (max abs / rel error, ok or MISMATCH) and the
/// verdict; `match` tells whether every output is within the tolerances.
/// Returns false when an output cannot be read or has the wrong size.
bool compareOutputs(const ValidateOptions &o, const std::vector<TensorInfo> &outs,
                    const std::vector<std::string> &outFileNames, const std::string &outDir,
                    const std::string &refDir, bool &match) {
  match = true;
  llvm::outs() << llvm::format("%-32s %-14s %12s %12s %10s\n", "output", "shape", "max abs err",
                               "max rel err", "result");
  for (auto [k, t] : llvm::enumerate(outs)) {
    npy::Array got, ref;
    std::string err;
    if (!npy::read(outDir + "/" + outFileNames[k] + ".npy", got, err) ||
        !npy::read(refDir + "/" + outFileNames[k] + ".npy", ref, err)) {
      printError(err);
      return false;
    }
    if (got.count() != ref.count()) {
      printError("output '" + codegen::displayText(t.name) + "': " + std::to_string(got.count()) +
                 " elements, reference has " + std::to_string(ref.count()));
      return false;
    }
    double maxAbs = 0, maxRel = 0;
    bool pass = true;
    for (size_t k = 0; k < got.count(); ++k) {
      double a = got.at(k), r = ref.at(k);
      if (std::isnan(a) || std::isnan(r)) {
        pass &= std::isnan(a) && std::isnan(r);
        continue;
      }
      if (std::isinf(a) || std::isinf(r)) {
        pass &= a == r;
        continue;
      }
      double d = std::fabs(a - r);
      maxAbs = std::max(maxAbs, d);
      if (r != 0)
        maxRel = std::max(maxRel, d / std::fabs(r));
      pass &= d <= o.atol + o.rtol * std::fabs(r);
    }
    std::string shape;
    for (size_t i = 0; i < t.shape.size(); ++i)
      shape += (i ? "x" : "") + std::to_string(t.shape[i]);
    llvm::outs() << llvm::format("%-32s %-14s %12.3e %12.3e %10s\n",
                                 codegen::displayText(t.name).substr(0, 32).c_str(), shape.c_str(),
                                 maxAbs, maxRel, pass ? "ok" : "MISMATCH");
    match &= pass;
  }
  llvm::outs() << (match ? "pare: outputs match the reference"
                         : "pare: outputs differ from the reference")
               << " (rtol " << o.rtol << ", atol " << o.atol << ")\n";
  return true;
}

} // namespace

int validate(const ValidateOptions &o) {
  // Shapes and names come from the imported model.
  auto ctx = makeContext();
  auto module = loadModel(*ctx, o.model, o.inputShapes);
  if (failed(module))
    return 1;
  func::FuncOp func;
  (**module)->walk([&](func::FuncOp f) { func = f; });
  if (!func) {
    printError("the model has no function");
    return 1;
  }
  std::vector<TensorInfo> ins, outs;
  signature(func, ins, outs);

  llvm::SmallString<128> tmp;
  if (auto ec = llvm::sys::fs::createUniqueDirectory("pare-validate", tmp)) {
    printError("cannot create a temporary directory: " + ec.message());
    return 1;
  }
  std::string dir = std::string(tmp);
  std::string gen = dir + "/gen", inDir = dir + "/inputs", outDir = dir + "/outputs",
              refDir = o.referenceDir.empty() ? dir + "/reference" : o.referenceDir;
  llvm::sys::fs::create_directories(inDir);
  llvm::sys::fs::create_directories(outDir);
  if (o.referenceDir.empty())
    llvm::sys::fs::create_directories(refDir);
  auto cleanup = [&](int rc) {
    if (!o.keep)
      llvm::sys::fs::remove_directories(dir);
    else
      llvm::outs() << "pare: kept work files in " << dir << "\n";
    return rc;
  };

  // File names of the inputs and outputs (as the runner writes them).
  std::vector<std::string> inNames, outNames;
  for (const TensorInfo &t : ins)
    inNames.push_back(t.name);
  for (const TensorInfo &t : outs)
    outNames.push_back(t.name);
  std::vector<std::string> inFileNames = codegen::npyFileNames(inNames),
                           outFileNames = codegen::npyFileNames(outNames);
  if (!checkInputSizes(ins))
    return cleanup(1);

  CompileOptions co;
  co.model = o.model;
  co.outDir = gen;
  co.name = "model";
  co.inputShapes = o.inputShapes;
  co.emitRunner = true;
  co.quiet = true;
  if (compile(co) != 0)
    return cleanup(1);

  std::vector<std::string> inFiles;
  bool match = false;
  if (!prepareInputs(o, ins, inFileNames, inDir, inFiles) ||
      !buildAndRun(o, gen, outDir, inFiles) ||
      (o.referenceDir.empty() && !runReference(o, dir, refDir, outFileNames, inFiles)) ||
      !compareOutputs(o, outs, outFileNames, outDir, refDir, match))
    return cleanup(1);
  return cleanup(match ? 0 : 1);
}

} // namespace pare::driver
