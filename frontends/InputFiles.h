//===- InputFiles.h - reading files that come with an untrusted model -----===//
//
// pare compiles models it did not make. Every file it reads because a model,
// a flag or a calibration directory names it goes through these functions:
//   - only regular files are read (a directory, a device such as /dev/zero,
//     a FIFO or a socket is refused before any byte is read, so nothing
//     blocks), and only up to a size limit;
//   - an ONNX external-data location must be a relative path that stays
//     inside the model's directory after `..` and symbolic links are
//     resolved; its offset and length are decimal integers inside the file.
// Plain C++ (POSIX), no MLIR: the importer, the .npy reader and the
// calibration loader share it, and it is unit-tested with Catch2.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_FRONTENDS_INPUTFILES_H
#define PARE_FRONTENDS_INPUTFILES_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pare::input {

/// Largest model file pare reads: protobuf cannot parse a message of 2 GiB.
constexpr uint64_t kMaxModelFileBytes = (uint64_t(1) << 31) - 1;
/// Largest tensor (bytes) pare accepts anywhere: the generated kernels index
/// elements with `int`, and protobuf caps a tensor's bytes at 2 GiB too.
constexpr int64_t kMaxTensorBytes = (int64_t(1) << 31) - 1;

/// Reads the whole of `path`, which must be a regular file (after following
/// symbolic links) of at most `maxBytes` bytes. On failure returns false and
/// sets `error` to a sentence naming the file ("'x' is a directory, not a
/// file", "... is larger than ...").
bool readRegularFile(const std::string &path, uint64_t maxBytes, std::string &out,
                     std::string &error);

/// Reads `length` bytes at `offset` of the regular file `path`.
bool readFileRange(const std::string &path, uint64_t offset, uint64_t length, std::string &out,
                   std::string &error);

/// Size of the regular file `path`; false (with `error`) for anything else.
bool regularFileSize(const std::string &path, uint64_t &size, std::string &error);

/// Resolves the external-data `location` of a tensor of the model at
/// `modelPath`: relative, no NUL byte, existing, and inside the model's
/// directory once `..` and symbolic links are resolved. `resolved` is the
/// real path.
bool resolveExternalData(const std::string &modelPath, const std::string &location,
                         std::string &resolved, std::string &error);

/// A decimal integer in [0, max] with no sign, space or suffix; nullopt for
/// anything else ("12a", "-5", "", "99999999999999999999").
std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max = UINT64_MAX);

} // namespace pare::input

#endif // PARE_FRONTENDS_INPUTFILES_H
