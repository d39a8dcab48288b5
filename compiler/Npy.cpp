//===- Npy.cpp - NumPy .npy files for validate ----------------------------===//
#include "compiler/Npy.h"
#include "frontends/InputFiles.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pare::npy {

size_t Array::elementSize() const {
  return descr.size() >= 3 && std::isdigit(static_cast<unsigned char>(descr[2]))
             ? size_t(descr[2] - '0')
             : 0;
}

size_t Array::count() const {
  size_t n = 1;
  for (int64_t d : shape)
    n *= size_t(d);
  return n;
}

double Array::at(size_t k) const {
  const char *p = data.data() + k * elementSize();
  std::string t = descr.substr(1);
  auto load = [&](auto v) {
    std::memcpy(&v, p, sizeof v);
    return double(v);
  };
  if (t == "f4")
    return load(float());
  if (t == "f8")
    return load(double());
  if (t == "i8")
    return load(int64_t());
  if (t == "i4")
    return load(int32_t());
  if (t == "i2")
    return load(int16_t());
  if (t == "i1")
    return load(int8_t());
  if (t == "u1" || t == "b1")
    return load(uint8_t());
  if (t == "u2")
    return load(uint16_t());
  return 0.0;
}

bool read(const std::string &path, Array &out, std::string &error) {
  // The whole file, from a regular file only (never a FIFO or a device), so
  // every size below is checked against bytes that exist.
  std::string file;
  if (!input::readRegularFile(path, input::kMaxModelFileBytes, file, error))
    return false;
  if (file.size() < 10 || std::memcmp(file.data(), "\x93NUMPY", 6) != 0) {
    error = "'" + path + "' is not a .npy file";
    return false;
  }
  unsigned major = static_cast<unsigned char>(file[6]);
  size_t lenBytes = major == 1 ? 2 : 4;
  if (major < 1 || major > 3 || file.size() < 8 + lenBytes) {
    error = "'" + path + "' has an unsupported .npy version " + std::to_string(major);
    return false;
  }
  const auto *b = reinterpret_cast<const unsigned char *>(file.data() + 8);
  uint64_t hlen = b[0] | (uint32_t(b[1]) << 8);
  if (lenBytes == 4)
    hlen |= (uint32_t(b[2]) << 16) | (uint64_t(b[3]) << 24);
  size_t dataStart = 8 + lenBytes;
  if (hlen > file.size() - dataStart) {
    error = "truncated header in '" + path + "'";
    return false;
  }
  std::string header = file.substr(dataStart, hlen);
  dataStart += hlen;
  auto field = [&](const std::string &key) -> std::string {
    size_t k = header.find("'" + key + "'");
    if (k == std::string::npos)
      return "";
    size_t colon = header.find(':', k);
    if (colon == std::string::npos)
      return "";
    size_t start = header.find_first_not_of(" ", colon + 1);
    if (start == std::string::npos)
      return "";
    if (header[start] == '\'' || header[start] == '(') {
      size_t end = header.find(header[start] == '(' ? ')' : '\'', start + 1);
      if (end == std::string::npos)
        return "";
      return header.substr(start + 1, end - start - 1);
    }
    size_t end = header.find_first_of(",}", start);
    return header.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  out.descr = field("descr");
  if (field("fortran_order") == "True") {
    error = "'" + path + "' is Fortran-ordered; save it C-ordered";
    return false;
  }
  out.shape.clear();
  std::stringstream ss(field("shape"));
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    size_t a = tok.find_first_not_of(" ");
    if (a == std::string::npos)
      continue;
    size_t e = tok.find_last_not_of(" ");
    auto d = input::parseUnsigned(std::string_view(tok).substr(a, e - a + 1), uint64_t(INT64_MAX));
    if (!d) {
      error = "'" + path + "' has a malformed shape '" + field("shape") + "'";
      return false;
    }
    out.shape.push_back(int64_t(*d));
  }
  static const char *known[] = {"<f4", "<f8", "<i8", "<i4", "<i2", "|i1", "|u1", "|b1", "<u2"};
  bool ok = false;
  for (const char *k : known)
    ok |= out.descr == k;
  if (!ok) {
    error = "'" + path + "' has unsupported dtype '" + out.descr + "'";
    return false;
  }
  // The shape must describe the bytes the file holds: checked before any
  // buffer is sized from it (a header may claim billions of elements).
  int64_t count = 1, bytes = 0;
  for (int64_t d : out.shape)
    if (__builtin_mul_overflow(count, d, &count))
      count = INT64_MAX;
  if (__builtin_mul_overflow(count, int64_t(out.elementSize()), &bytes) ||
      uint64_t(bytes) > file.size() - dataStart) {
    error = "'" + path + "' holds fewer elements than its shape says";
    return false;
  }
  out.data.assign(file.begin() + dataStart, file.begin() + dataStart + bytes);
  return true;
}

bool write(const std::string &path, const Array &a, std::string &error) {
  std::string dims;
  for (size_t i = 0; i < a.shape.size(); ++i)
    dims += std::to_string(a.shape[i]) +
            (a.shape.size() == 1 ? "," : (i + 1 < a.shape.size() ? ", " : ""));
  std::string header =
      "{'descr': '" + a.descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((header.size() + 11) % 64 != 0)
    header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t hlen = uint16_t(header.size());
  out.put(char(hlen & 0xff));
  out.put(char(hlen >> 8));
  out.write(header.data(), header.size());
  out.write(a.data.data(), a.data.size());
  return bool(out);
}

} // namespace pare::npy
