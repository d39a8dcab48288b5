//===- Npy.cpp - NumPy .npy files for validate ----------------------------===//
#include "compiler/Npy.h"

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
  if (t == "f4") return load(float());
  if (t == "f8") return load(double());
  if (t == "i8") return load(int64_t());
  if (t == "i4") return load(int32_t());
  if (t == "i2") return load(int16_t());
  if (t == "i1") return load(int8_t());
  if (t == "u1" || t == "b1") return load(uint8_t());
  if (t == "u2") return load(uint16_t());
  return 0.0;
}

bool read(const std::string &path, Array &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = "'" + path + "' is not a .npy file";
    return false;
  }
  uint32_t hlen = 0;
  unsigned char b[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char *>(b), magic[6] == 1 ? 2 : 4);
  hlen = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  std::string header(hlen, '\0');
  if (!in.read(header.data(), hlen)) {
    error = "truncated header in '" + path + "'";
    return false;
  }
  auto field = [&](const std::string &key) -> std::string {
    size_t k = header.find("'" + key + "'");
    if (k == std::string::npos)
      return "";
    size_t colon = header.find(':', k);
    size_t start = header.find_first_not_of(" ", colon + 1);
    if (header[start] == '\'') {
      size_t end = header.find('\'', start + 1);
      return header.substr(start + 1, end - start - 1);
    }
    if (header[start] == '(') {
      size_t end = header.find(')', start);
      return header.substr(start + 1, end - start - 1);
    }
    size_t end = header.find_first_of(",}", start);
    return header.substr(start, end - start);
  };
  out.descr = field("descr");
  if (field("fortran_order") == "True") {
    error = "'" + path + "' is Fortran-ordered; save it C-ordered";
    return false;
  }
  out.shape.clear();
  std::stringstream ss(field("shape"));
  std::string tok;
  size_t total = 1;
  while (std::getline(ss, tok, ',')) {
    size_t a = tok.find_first_not_of(" ");
    if (a == std::string::npos)
      continue;
    size_t b = tok.find_last_not_of(" ");
    std::string digits = tok.substr(a, b - a + 1);
    if (digits.empty() || digits.size() > 12 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      error = "'" + path + "' has a malformed shape '" + field("shape") + "'";
      return false;
    }
    int64_t d = std::strtoll(digits.c_str(), nullptr, 10);
    if (d > 0 && total > (size_t(1) << 40) / size_t(d)) {
      error = "'" + path + "' has an implausibly large shape";
      return false;
    }
    total *= size_t(d);
    out.shape.push_back(d);
  }
  static const char *known[] = {"<f4", "<f8", "<i8", "<i4", "<i2", "|i1",
                                "|u1", "|b1", "<u2"};
  bool ok = false;
  for (const char *k : known)
    ok |= out.descr == k;
  if (!ok) {
    error = "'" + path + "' has unsupported dtype '" + out.descr + "'";
    return false;
  }
  out.data.resize(out.count() * out.elementSize());
  if (!in.read(out.data.data(), out.data.size())) {
    error = "'" + path + "' holds fewer elements than its shape says";
    return false;
  }
  return true;
}

bool write(const std::string &path, const Array &a, std::string &error) {
  std::string dims;
  for (size_t i = 0; i < a.shape.size(); ++i)
    dims += std::to_string(a.shape[i]) + (a.shape.size() == 1 ? "," : (i + 1 < a.shape.size() ? ", " : ""));
  std::string header = "{'descr': '" + a.descr + "', 'fortran_order': False, 'shape': (" +
                       dims + "), }";
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
