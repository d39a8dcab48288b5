//===- InputFiles.cpp - reading files that come with an untrusted model ---===//
#include "frontends/InputFiles.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pare::input {
namespace {

/// What `mode` is, for "'x' is a directory, not a regular file".
const char *kindOf(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

/// An open, read-only descriptor of a regular file; closes itself.
class RegularFile {
public:
  ~RegularFile() {
    if (fd >= 0)
      ::close(fd);
  }
  /// Opens `path` without blocking (a FIFO with no writer would block a plain
  /// open) and checks what it is through the descriptor, so the file checked
  /// is the file read.
  bool open(const std::string &path, std::string &error) {
    if (path.find('\0') != std::string::npos) {
      error = "a file name holds a NUL byte";
      return false;
    }
    fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      error = "cannot open '" + path + "': " + std::strerror(errno);
      return false;
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      error = "cannot stat '" + path + "': " + std::strerror(errno);
      return false;
    }
    if (!S_ISREG(st.st_mode)) {
      error = "'" + path + "' is " + kindOf(st.st_mode) + ", not a regular file";
      return false;
    }
    // Reads block as usual from here on.
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
      (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    size = uint64_t(st.st_size);
    return true;
  }
  /// Reads exactly `length` bytes at `offset`.
  bool read(const std::string &path, uint64_t offset, uint64_t length, std::string &out,
            std::string &error) {
    out.assign(length, '\0');
    uint64_t done = 0;
    while (done < length) {
      ssize_t r = ::pread(fd, out.data() + done, size_t(length - done), off_t(offset + done));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0) {
        error = "cannot read '" + path + "': " + std::strerror(errno);
        return false;
      }
      if (r == 0) {
        error = "'" + path + "' ended early (it changed while pare read it)";
        return false;
      }
      done += uint64_t(r);
    }
    return true;
  }
  uint64_t size = 0;

private:
  int fd = -1;
};

std::string sizeText(uint64_t bytes) {
  if (bytes >= (uint64_t(1) << 30) && bytes % (uint64_t(1) << 30) == 0)
    return std::to_string(bytes >> 30) + " GiB";
  if (bytes + 1 == (uint64_t(1) << 31))
    return "2 GiB";
  return std::to_string(bytes) + " bytes";
}

} // namespace

bool readRegularFile(const std::string &path, uint64_t maxBytes, std::string &out,
                     std::string &error) {
  RegularFile f;
  if (!f.open(path, error))
    return false;
  if (f.size > maxBytes) {
    error = "'" + path + "' is " + std::to_string(f.size) + " bytes, more than the " +
            sizeText(maxBytes) + " pare reads";
    return false;
  }
  return f.read(path, 0, f.size, out, error);
}

bool readFileRange(const std::string &path, uint64_t offset, uint64_t length, std::string &out,
                   std::string &error) {
  RegularFile f;
  if (!f.open(path, error))
    return false;
  if (offset > f.size || length > f.size - offset) {
    error = "bytes [" + std::to_string(offset) + ", " + std::to_string(offset) + " + " +
            std::to_string(length) + ") lie outside '" + path + "' (" + std::to_string(f.size) +
            " bytes)";
    return false;
  }
  return f.read(path, offset, length, out, error);
}

bool regularFileSize(const std::string &path, uint64_t &size, std::string &error) {
  RegularFile f;
  if (!f.open(path, error))
    return false;
  size = f.size;
  return true;
}

bool resolveExternalData(const std::string &modelPath, const std::string &location,
                         std::string &resolved, std::string &error) {
  if (location.empty()) {
    error = "has an empty external-data location";
    return false;
  }
  if (location.find('\0') != std::string::npos) {
    error = "has an external-data location with a NUL byte";
    return false;
  }
  if (location.front() == '/') {
    error = "has an absolute external-data location; ONNX locations are relative to the "
            "model's directory";
    return false;
  }
  // Lexically first: a location that climbs above its folder is refused
  // before anything outside is looked at (not even whether it exists).
  int depth = 0;
  for (size_t pos = 0; pos <= location.size();) {
    size_t next = location.find('/', pos);
    if (next == std::string::npos)
      next = location.size();
    std::string part = location.substr(pos, next - pos);
    if (part == "..") {
      if (--depth < 0) {
        error = "names external data '" + location +
                "', which lies outside the model's directory; pare reads external data "
                "only from the model's own directory";
        return false;
      }
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    pos = next + 1;
  }
  std::string dir = modelPath;
  size_t slash = dir.find_last_of('/');
  dir = slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash);
  char buf[PATH_MAX];
  if (!::realpath(dir.c_str(), buf)) {
    error = "cannot resolve the model's directory '" + dir + "': " + std::strerror(errno);
    return false;
  }
  std::string realDir = buf;
  std::string joined = dir + "/" + location;
  if (!::realpath(joined.c_str(), buf)) {
    error =
        "names external data '" + location + "', which cannot be opened: " + std::strerror(errno);
    return false;
  }
  std::string real = buf;
  if (real == realDir) {
    error = "names external data '" + location +
            "', which is the model's directory, not a "
            "file";
    return false;
  }
  std::string prefix = realDir == "/" ? "/" : realDir + "/";
  if (real.compare(0, prefix.size(), prefix) != 0 || real.size() == prefix.size()) {
    error = "names external data '" + location +
            "', which lies outside the model's directory (after resolving '..' and "
            "symbolic links: '" +
            real +
            "'); pare reads external data only from the "
            "model's own directory";
    return false;
  }
  resolved = real;
  return true;
}

std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max) {
  if (text.empty() || text.size() > 20)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    unsigned digit = unsigned(c - '0');
    if (v > (UINT64_MAX - digit) / 10)
      return std::nullopt;
    v = v * 10 + digit;
  }
  if (v > max)
    return std::nullopt;
  return v;
}

} // namespace pare::input
