//===- Npy.h - NumPy .npy files for validate ------------------------------===//
#ifndef PARE_COMPILER_NPY_H
#define PARE_COMPILER_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace pare::npy {

struct Array {
  std::string descr; ///< e.g. "<f4", "<i8", "|b1"
  std::vector<int64_t> shape;
  std::vector<char> data;

  size_t elementSize() const;
  size_t count() const;
  /// Element k converted to double (any supported dtype).
  double at(size_t k) const;
};

/// Reads a C-order .npy; on failure returns false and sets `error`.
bool read(const std::string &path, Array &out, std::string &error);
bool write(const std::string &path, const Array &a, std::string &error);

} // namespace pare::npy

#endif // PARE_COMPILER_NPY_H
