//===- Calibration.cpp - value ranges for int8 post-training quantization -===//

#include "compiler/Calibration.h"
#include "compiler/Npy.h"
#include "frontends/InputFiles.h"

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/QuantUtils.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>

using namespace mlir;

namespace pare::calib {

using eval::Tensor;

namespace {

constexpr int kBins = 2048;

bool isFloatValue(Value v) {
  auto st = dyn_cast<ShapedType>(v.getType());
  return st && isa<FloatType>(st.getElementType());
}

struct Acc {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  std::vector<uint64_t> hist;
  bool constantDone = false;

  bool valid() const { return min <= max; }
  double width() const { return (double(max) - double(min)) / kBins; }
  bool histogrammable() const {
    return valid() && std::isfinite(min) && std::isfinite(max) && max > min;
  }
  void minMax(const std::vector<float> &xs) {
    for (float x : xs) {
      if (x < min)
        min = x;
      if (x > max)
        max = x;
    }
  }
  void addHistogram(const std::vector<float> &xs) {
    if (!histogrammable())
      return;
    if (hist.empty())
      hist.assign(kBins, 0);
    double lo = min, scale = kBins / (double(max) - double(min));
    for (float x : xs) {
      if (std::isnan(x))
        continue;
      double b = (double(x) - lo) * scale;
      int idx = b <= 0 ? 0 : b >= kBins - 1 ? kBins - 1 : int(b);
      ++hist[idx];
    }
  }
  Range percentile(double p) const {
    Range r{min, max};
    if (hist.empty())
      return r;
    uint64_t total = 0;
    for (uint64_t h : hist)
      total += h;
    if (total == 0)
      return r;
    double tail = double(total) * (100.0 - p) / 100.0;
    double w = width();
    // Lowest bin holding values past the lower tail; its lower edge.
    uint64_t cum = 0;
    for (int b = 0; b < kBins; ++b) {
      cum += hist[b];
      if (double(cum) > tail) {
        r.min = b == 0 ? min : float(double(min) + b * w);
        break;
      }
    }
    cum = 0;
    for (int b = kBins - 1; b >= 0; --b) {
      cum += hist[b];
      if (double(cum) > tail) {
        r.max = b == kBins - 1 ? max : float(double(min) + (b + 1) * w);
        break;
      }
    }
    r.min = std::max(r.min, min);
    r.max = std::min(r.max, max);
    if (r.min > r.max)
      r.min = r.max = (r.min + r.max) * 0.5f;
    return r;
  }
};

} // namespace

FailureOr<DenseMap<Value, Range>>
collectRanges(func::FuncOp func, ArrayRef<std::vector<Tensor>> samples, const Options &options) {
  if (samples.empty())
    return func.emitError("calibration needs at least one sample");
  bool pct = options.method == Method::Percentile;
  if (pct && !(options.percentile >= 50.0 && options.percentile <= 100.0))
    return func.emitError() << "calibration percentile must be in [50, 100], got "
                            << options.percentile;
  eval::Evaluator ev(func);
  DenseMap<Value, Acc> acc;
  Block &body = func.getBody().front();

  for (int pass = 0; pass < (pct ? 2 : 1); ++pass) {
    auto visit = [&](Value v, const Tensor &t) {
      if (!isFloatValue(v) || !t.isFloat())
        return;
      Acc &a = acc[v];
      // A constant is the same in every run: count it once per pass.
      bool isConst = isa_and_nonnull<ConstantOp>(v.getDefiningOp());
      if (isConst && a.constantDone)
        return;
      if (pass == 0)
        a.minMax(t.f);
      else
        a.addHistogram(t.f);
      if (isConst)
        a.constantDone = true;
    };
    for (auto &kv : acc)
      kv.second.constantDone = false;
    for (const auto &sample : samples) {
      if (sample.size() == body.getNumArguments())
        for (auto [k, arg] : llvm::enumerate(body.getArguments()))
          visit(arg, sample[k]);
      if (failed(ev.run(sample, visit)))
        return failure();
    }
  }

  DenseMap<Value, Range> out;
  for (auto &kv : acc) {
    const Acc &a = kv.second;
    if (!a.valid())
      continue; // empty tensor or all NaN
    out[kv.first] = pct ? a.percentile(options.percentile) : Range{a.min, a.max};
  }
  return out;
}

void attachRanges(func::FuncOp func, const DenseMap<Value, Range> &ranges) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (auto arg : func.getArguments()) {
    auto it = ranges.find(arg);
    if (it != ranges.end())
      pare::attrs::setArgRange(func, arg.getArgNumber(), it->second.min, it->second.max);
  }
  func.walk([&](Operation *op) {
    if (op->getNumResults() == 0)
      return;
    std::vector<float> v;
    bool any = false;
    for (Value r : op->getResults()) {
      auto it = ranges.find(r);
      if (it == ranges.end()) {
        v.push_back(nan);
        v.push_back(nan);
      } else {
        any = true;
        v.push_back(it->second.min);
        v.push_back(it->second.max);
      }
    }
    if (any)
      pare::attrs::setRanges(op, v);
  });
}

//===----------------------------------------------------------------------===//
// Samples
//===----------------------------------------------------------------------===//

namespace {

/// A tensor read from a file, before conversion to an argument's type.
struct RawTensor {
  std::vector<int64_t> shape;
  std::vector<double> values;
  std::string name; ///< TensorProto name ("" for .npy)
};

std::string sanitize(const std::string &s) {
  std::string r;
  for (char c : s)
    r +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  return r;
}

bool readNpy(const std::string &path, RawTensor &out, std::string &error) {
  npy::Array a;
  if (!npy::read(path, a, error))
    return false;
  out.shape = a.shape;
  size_t n = a.count();
  out.values.resize(n);
  for (size_t k = 0; k < n; ++k)
    out.values[k] = a.at(k);
  return true;
}

template <typename T> void fromRaw(const std::string &raw, std::vector<double> &vals) {
  size_t n = raw.size() / sizeof(T);
  vals.resize(n);
  for (size_t k = 0; k < n; ++k) {
    T v;
    std::memcpy(&v, raw.data() + k * sizeof(T), sizeof(T));
    vals[k] = double(v);
  }
}

bool readPb(const std::string &path, RawTensor &out, std::string &error) {
  std::string bytes;
  if (!input::readRegularFile(path, input::kMaxModelFileBytes, bytes, error))
    return false;
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes)) {
    error = "not an ONNX TensorProto";
    return false;
  }
  auto count = shape::checkedNumElements({t.dims().begin(), t.dims().end()});
  if (!count || *count > input::kMaxTensorBytes) {
    error = "its dims are negative or too large";
    return false;
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    error = "tensors with external data are not supported";
    return false;
  }
  out.name = t.name();
  out.shape.assign(t.dims().begin(), t.dims().end());
  const std::string &raw = t.raw_data();
  bool hasRaw = t.has_raw_data();
  auto &vals = out.values;
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    if (hasRaw)
      fromRaw<float>(raw, vals);
    else
      vals.assign(t.float_data().begin(), t.float_data().end());
    break;
  case onnx::TensorProto::DOUBLE:
    if (hasRaw)
      fromRaw<double>(raw, vals);
    else
      vals.assign(t.double_data().begin(), t.double_data().end());
    break;
  case onnx::TensorProto::INT64:
    if (hasRaw)
      fromRaw<int64_t>(raw, vals);
    else
      vals.assign(t.int64_data().begin(), t.int64_data().end());
    break;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::BOOL:
    if (hasRaw) {
      switch (t.data_type()) {
      case onnx::TensorProto::INT32:
        fromRaw<int32_t>(raw, vals);
        break;
      case onnx::TensorProto::INT16:
        fromRaw<int16_t>(raw, vals);
        break;
      case onnx::TensorProto::INT8:
        fromRaw<int8_t>(raw, vals);
        break;
      case onnx::TensorProto::UINT16:
        fromRaw<uint16_t>(raw, vals);
        break;
      default:
        fromRaw<uint8_t>(raw, vals);
      }
    } else {
      vals.assign(t.int32_data().begin(), t.int32_data().end());
    }
    break;
  default:
    error = "unsupported TensorProto data type " + std::to_string(t.data_type());
    return false;
  }
  if (int64_t(vals.size()) != *count) {
    error = "data does not match the tensor's dims";
    return false;
  }
  return true;
}

bool readTensorFile(const std::string &path, RawTensor &out, std::string &error) {
  return llvm::StringRef(path).ends_with(".pb") ? readPb(path, out, error)
                                                : readNpy(path, out, error);
}

std::vector<std::string> listDir(const std::string &dir, bool wantDirs) {
  std::vector<std::string> r;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
    llvm::sys::fs::file_status st;
    if (llvm::sys::fs::status(it->path(), st))
      continue;
    bool isDir = llvm::sys::fs::is_directory(st);
    if (isDir != wantDirs)
      continue;
    std::string p = it->path();
    if (!wantDirs && !llvm::StringRef(p).ends_with(".npy") && !llvm::StringRef(p).ends_with(".pb"))
      continue;
    r.push_back(p);
  }
  std::sort(r.begin(), r.end());
  return r;
}

} // namespace

FailureOr<std::vector<std::vector<Tensor>>> loadSamples(func::FuncOp func, StringRef dirRef) {
  std::string dir = dirRef.str();
  if (!llvm::sys::fs::is_directory(dir))
    return func.emitError() << "calibration data '" << dir << "' is not a directory";
  unsigned nargs = func.getNumArguments();
  if (nargs == 0)
    return func.emitError("calibration needs a model with inputs");
  std::vector<std::string> argNames;
  for (unsigned k = 0; k < nargs; ++k) {
    auto n = pare::attrs::getArgName(func, k);
    argNames.push_back(n ? n->str() : "input" + std::to_string(k));
  }

  // Converts a file's tensor to argument k's type and shape.
  auto convert = [&](const std::string &path, unsigned k, RawTensor &raw,
                     Tensor &out) -> LogicalResult {
    auto type = cast<RankedTensorType>(func.getArgument(k).getType());
    std::vector<int64_t> want(type.getShape().begin(), type.getShape().end());
    bool ok =
        raw.shape == want || (!want.empty() && want[0] == 1 &&
                              raw.shape == std::vector<int64_t>(want.begin() + 1, want.end()));
    if (!ok)
      return func.emitError() << "calibration sample '" << path << "' has shape "
                              << shape::toString(raw.shape) << ", but input '" << argNames[k]
                              << "' is " << shape::toString(want);
    out = Tensor();
    out.shape = want;
    Type et = type.getElementType();
    // Ranges come from these values: a NaN or an infinity would make every
    // scale downstream meaningless (and the int8 model silently wrong).
    for (size_t e = 0; e < raw.values.size(); ++e)
      if (!std::isfinite(raw.values[e]))
        return func.emitError() << "calibration sample '" << path << "' holds "
                                << (std::isnan(raw.values[e]) ? "NaN" : "an infinity")
                                << " (element " << e << "); calibration needs finite values";
    if (isa<FloatType>(et)) {
      out.f.assign(raw.values.begin(), raw.values.end());
    } else if (isa<IntegerType>(et)) {
      out.i.reserve(raw.values.size());
      for (double v : raw.values) {
        if (!(v >= -9.2e18 && v <= 9.2e18))
          return func.emitError() << "calibration sample '" << path << "' holds " << v
                                  << ", outside the range of input '" << argNames[k] << "'";
        out.i.push_back(int64_t(v));
      }
    } else {
      return func.emitError() << "calibration: input '" << argNames[k]
                              << "' has an element type samples cannot provide";
    }
    return success();
  };
  auto load = [&](const std::string &path, RawTensor &raw) -> LogicalResult {
    std::string error;
    if (!readTensorFile(path, raw, error))
      return func.emitError() << "calibration sample '" << path << "': " << error;
    return success();
  };

  std::vector<std::vector<Tensor>> samples;
  std::vector<std::string> files = listDir(dir, false);

  if (files.empty()) {
    // ONNX test data layout: DIR/<set>/input_K.pb, one sample per set.
    for (const std::string &sub : listDir(dir, true)) {
      std::vector<std::string> inputs;
      for (const std::string &f : listDir(sub, false)) {
        llvm::StringRef name = llvm::sys::path::filename(f);
        if (name.starts_with("input_") && name.ends_with(".pb"))
          inputs.push_back(f);
      }
      if (inputs.empty())
        continue;
      std::vector<Tensor> sample(nargs);
      std::vector<bool> have(nargs, false);
      for (const std::string &f : inputs) {
        llvm::StringRef idxStr = llvm::sys::path::stem(f).drop_front(6);
        unsigned idx;
        if (idxStr.getAsInteger(10, idx) || idx >= nargs)
          return func.emitError() << "calibration sample '" << f
                                  << "' is not input_K.pb with K below " << nargs;
        RawTensor raw;
        if (failed(load(f, raw)) || failed(convert(f, idx, raw, sample[idx])))
          return failure();
        have[idx] = true;
      }
      for (unsigned k = 0; k < nargs; ++k)
        if (!have[k])
          return func.emitError() << "calibration data '" << sub << "' has no input_" << k
                                  << ".pb (input '" << argNames[k] << "')";
      samples.push_back(std::move(sample));
    }
    if (samples.empty())
      return func.emitError() << "no calibration samples (*.npy or *.pb files, or ONNX "
                                 "test data sets with input_K.pb) in '"
                              << dir << "'";
    return samples;
  }

  if (nargs == 1) {
    // One input: the files named after it when there are such (so labels
    // or notes next to the samples are left alone), else every file.
    std::vector<std::string> named;
    for (const std::string &f : files)
      if (llvm::sys::path::filename(f).starts_with(argNames[0]))
        named.push_back(f);
    if (!named.empty())
      files = named;
    for (const std::string &f : files) {
      RawTensor raw;
      std::vector<Tensor> sample(1);
      if (failed(load(f, raw)) || failed(convert(f, 0, raw, sample[0])))
        return failure();
      samples.push_back(std::move(sample));
    }
    return samples;
  }

  // Several inputs: each file belongs to the input it is named after.
  std::vector<std::vector<std::pair<std::string, RawTensor>>> perArg(nargs);
  for (const std::string &f : files) {
    RawTensor raw;
    if (failed(load(f, raw)))
      return failure();
    std::string base = llvm::sys::path::filename(f).str();
    int best = -1;
    size_t bestLen = 0;
    for (unsigned k = 0; k < nargs; ++k) {
      if (!raw.name.empty() && raw.name == argNames[k]) {
        best = int(k);
        break;
      }
      for (const std::string &n : {argNames[k], sanitize(argNames[k])})
        if (!n.empty() && llvm::StringRef(base).starts_with(n) && n.size() > bestLen) {
          best = int(k);
          bestLen = n.size();
        }
    }
    if (best < 0) {
      std::string expected;
      for (const std::string &n : argNames)
        expected += (expected.empty() ? "" : ", ") + sanitize(n) + "*";
      return func.emitError() << "calibration sample '" << f
                              << "' does not name a model input (expected files named " << expected
                              << ")";
    }
    perArg[best].push_back({f, std::move(raw)});
  }
  size_t count = perArg[0].size();
  for (unsigned k = 0; k < nargs; ++k)
    if (perArg[k].size() != count)
      return func.emitError() << "calibration data '" << dir << "' has " << perArg[k].size()
                              << " file(s) for input '" << argNames[k] << "' but " << count
                              << " for input '" << argNames[0] << "'";
  for (size_t s = 0; s < count; ++s) {
    std::vector<Tensor> sample(nargs);
    for (unsigned k = 0; k < nargs; ++k)
      if (failed(convert(perArg[k][s].first, k, perArg[k][s].second, sample[k])))
        return failure();
    samples.push_back(std::move(sample));
  }
  return samples;
}

} // namespace pare::calib
