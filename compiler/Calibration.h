//===- Calibration.h - value ranges for int8 post-training quantization ---===//
//
// Runs calibration samples through the host evaluator (dialects/Pare/Eval/Evaluator.h)
// and records the range of every float value, by exact min/max or by a
// percentile of each value's distribution.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_COMPILER_CALIBRATION_H
#define PARE_COMPILER_CALIBRATION_H

#include "dialects/Pare/Eval/Evaluator.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"

namespace pare::calib {

enum class Method { MinMax, Percentile };

struct Options {
  Method method = Method::MinMax;
  double percentile = 99.99;
};

struct Range {
  float min, max;
};

/// Runs every sample through `func` and returns, for every float value
/// (function arguments and op results of float type), its range over all
/// samples. MinMax: exact min/max. Percentile: the given percentile of the
/// values' distribution on each side (lower tail (100-p)%, upper tail p%),
/// from a histogram (2 passes over the samples: min/max, then a 2048-bin
/// histogram), never wider than min/max. NaNs are ignored.
mlir::FailureOr<llvm::DenseMap<mlir::Value, Range>>
collectRanges(mlir::func::FuncOp func, llvm::ArrayRef<std::vector<eval::Tensor>> samples,
              const Options &options);

/// Stores ranges in the IR: op results get attribute `pare.ranges`
/// (DenseF32ArrayAttr, [min0,max0,min1,max1...] per result; NaN for a result
/// without a range), func arguments get arg attribute `pare.range`
/// (DenseF32ArrayAttr [min,max]).
void attachRanges(mlir::func::FuncOp func, const llvm::DenseMap<mlir::Value, Range> &ranges);

/// Reads calibration samples from a directory, sorted by file name:
///  - .npy files, one sample per file: with one function argument the files
///    whose names start with its name if there are any, else every *.npy;
///    with several, files named <argname>*.npy (argname: the argument's
///    `pare.name`, or that name with characters outside [A-Za-z0-9._-] as '_';
///    the longest matching name wins), the k-th file of each argument forming
///    sample k;
///  - ONNX TensorProto .pb files, flat as the .npy files (a tensor whose
///    `name` is an argument's name goes to that argument), or in
///    subdirectories as ONNX test data (test_data_set_N/input_K.pb: one
///    sample per subdirectory, input K for argument K).
/// Shapes must equal the argument shapes (a [1,...] argument also accepts a
/// file without the leading 1); errors name the file.
mlir::FailureOr<std::vector<std::vector<eval::Tensor>>> loadSamples(mlir::func::FuncOp func,
                                                                    llvm::StringRef dir);

} // namespace pare::calib

#endif // PARE_COMPILER_CALIBRATION_H
