// Reading files an untrusted model names (frontends/InputFiles): regular files
// only, size limits, external data confined to the model's folder, strict
// integers; and the overflow-checked shape arithmetic the importer relies on.
#include "frontends/InputFiles.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace pare;

namespace {

/// A fresh directory under $TMPDIR, removed at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/pare-input-XXXXXX";
    char *p = ::mkdtemp(tmpl.data());
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() { (void)std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string &name, const std::string &contents) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary) << contents;
    return p;
  }
};

} // namespace

TEST_CASE("parseUnsigned accepts plain decimal integers only", "[input]") {
  CHECK(input::parseUnsigned("0") == 0u);
  CHECK(input::parseUnsigned("4096") == 4096u);
  CHECK(input::parseUnsigned("18446744073709551615") == UINT64_MAX);
  for (const char *bad : {"", "-5", "+5", " 16", "16 ", "1e3", "0x10", "abc", "12a",
                          "18446744073709551616", "99999999999999999999999"})
    CHECK_FALSE(input::parseUnsigned(bad).has_value());
  CHECK(input::parseUnsigned("100", 100) == 100u);
  CHECK_FALSE(input::parseUnsigned("101", 100).has_value());
}

TEST_CASE("readRegularFile reads regular files within the limit only", "[input]") {
  TempDir d;
  std::string out, error;
  std::string f = d.file("a.bin", "hello");
  REQUIRE(input::readRegularFile(f, 5, out, error));
  CHECK(out == "hello");

  CHECK_FALSE(input::readRegularFile(f, 4, out, error));
  CHECK(error.find("more than the 4 bytes pare reads") != std::string::npos);

  CHECK_FALSE(input::readRegularFile(d.path, 100, out, error));
  CHECK(error.find("is a directory, not a regular file") != std::string::npos);

  CHECK_FALSE(input::readRegularFile("/dev/zero", 100, out, error));
  CHECK(error.find("is a character device") != std::string::npos);

  // A FIFO with no writer: refused at once instead of blocking forever.
  std::string fifo = d.path + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_FALSE(input::readRegularFile(fifo, 100, out, error));
  CHECK(error.find("is a FIFO") != std::string::npos);

  CHECK_FALSE(input::readRegularFile(d.path + "/missing", 100, out, error));
  CHECK(error.find("cannot open") != std::string::npos);
  CHECK_FALSE(input::readRegularFile(std::string("a\0b", 3), 100, out, error));
}

TEST_CASE("readFileRange checks offset and length against the file", "[input]") {
  TempDir d;
  std::string f = d.file("w.bin", "0123456789");
  std::string out, error;
  REQUIRE(input::readFileRange(f, 2, 3, out, error));
  CHECK(out == "234");
  REQUIRE(input::readFileRange(f, 10, 0, out, error));
  CHECK(out.empty());
  CHECK_FALSE(input::readFileRange(f, 8, 3, out, error));
  CHECK_FALSE(input::readFileRange(f, 11, 0, out, error));
  // offset + length would wrap around in 64 bits
  CHECK_FALSE(input::readFileRange(f, 5, UINT64_MAX - 2, out, error));
  CHECK(error.find("lie outside") != std::string::npos);
}

TEST_CASE("resolveExternalData keeps external data inside the model's folder", "[input]") {
  TempDir d;
  REQUIRE(::mkdir((d.path + "/m").c_str(), 0700) == 0);
  REQUIRE(::mkdir((d.path + "/m/sub").c_str(), 0700) == 0);
  std::string model = d.file("m/model.onnx", "x");
  d.file("m/w.bin", "weights");
  d.file("m/sub/v.bin", "weights");
  d.file("outside.bin", "secret");
  REQUIRE(::symlink("../outside.bin", (d.path + "/m/out_link.bin").c_str()) == 0);
  REQUIRE(::symlink("w.bin", (d.path + "/m/in_link.bin").c_str()) == 0);
  REQUIRE(::symlink("..", (d.path + "/m/sub/up").c_str()) == 0);

  std::string real, error;
  char buf[4096];
  REQUIRE(::realpath((d.path + "/m").c_str(), buf));
  std::string dir = buf;

  REQUIRE(input::resolveExternalData(model, "w.bin", real, error));
  CHECK(real == dir + "/w.bin");
  REQUIRE(input::resolveExternalData(model, "sub/v.bin", real, error));
  REQUIRE(input::resolveExternalData(model, "sub/../w.bin", real, error));
  REQUIRE(input::resolveExternalData(model, "./sub/./v.bin", real, error));
  REQUIRE(input::resolveExternalData(model, "in_link.bin", real, error));
  CHECK(real == dir + "/w.bin");
  // symlinked folder that leads back into the model's folder
  REQUIRE(input::resolveExternalData(model, "sub/up/w.bin", real, error));

  for (const char *bad :
       {"../outside.bin", "../../../../../../../../../../etc/passwd", "sub/../../outside.bin",
        "out_link.bin", "/etc/passwd", "/", ".", "sub/..", "", "missing.bin"}) {
    INFO(bad);
    CHECK_FALSE(input::resolveExternalData(model, bad, real, error));
  }
  CHECK_FALSE(input::resolveExternalData(model, std::string("w.bin\0x", 7), real, error));
  CHECK(input::resolveExternalData(model, "out_link.bin", real, error) == false);
  CHECK(error.find("lies outside the model's directory") != std::string::npos);
}

TEST_CASE("checked element counts and window arithmetic never overflow", "[shape]") {
  CHECK(shape::checkedNumElements({2, 3, 4}) == 24);
  CHECK(shape::checkedNumElements({}) == 1);
  CHECK(shape::checkedNumElements({0, int64_t(1) << 62}) == 0);
  CHECK_FALSE(shape::checkedNumElements({-1, 4}).has_value());
  CHECK_FALSE(shape::checkedNumElements({int64_t(1) << 62, 4}).has_value());
  CHECK_FALSE(shape::checkedNumElements({int64_t(1) << 32, int64_t(1) << 32}).has_value());

  // Ordinary windows as before.
  CHECK(shape::windowOutput(224, 3, 2, 1, 1, 1, false) == 112);
  CHECK(shape::windowOutput(7, 3, 2, 1, 0, 0, true) == 3);
  CHECK(shape::windowOutput(6, 3, 2, 1, 0, 0, true) == 3);
  CHECK(shape::windowOutput(6, 3, 2, 1, 0, 0, false) == 2);
  // Hostile attributes: no overflow, "does not fit" (0).
  const int64_t big = int64_t(1) << 62;
  CHECK(shape::windowOutput(5, 3, 1, 1, big, big, false) == 0);
  CHECK(shape::windowOutput(5, big, 1, big, 0, 0, false) == 0);
  CHECK(shape::windowOutput(INT64_MAX, 1, 1, 1, 1, 0, true) == 0);
  CHECK(shape::windowOutput(5, 3, 0, 1, 0, 0, false) == 0);
  CHECK(shape::windowOutput(5, 3, INT64_MAX, 1, 0, 0, true) == 1);
}
