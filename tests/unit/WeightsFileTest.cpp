//===- WeightsFileTest.cpp - the decoders' binary weights file ------------===//
//
// codegen/WeightsFile.h: the header layout the generated code checks, blob
// alignment, storing identical bytes once (a tied embedding and the
// transposed lm_head weight), the transposed layout, FNV-1a-64 against its
// published test vectors, float -> half against LLVM's APFloat on special
// values and random bit patterns, and the 4-bit blobs of pare.matmul_nbits
// (packU4 against the C runtime's pare_pack_u4).
//
//===----------------------------------------------------------------------===//

#include "codegen/WeightsFile.h"
#include "runtime-stubs/c/pare_llm.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/APFloat.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

using namespace pare::codegen;

namespace {

uint64_t readLE(const std::string &s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint64_t(uint8_t(s[at + i])) << (8 * i);
  return v;
}

uint16_t apfloatHalf(float f) {
  llvm::APFloat a(f);
  bool lost = false;
  a.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven, &lost);
  return uint16_t(a.bitcastToAPInt().getZExtValue());
}

float fromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

} // namespace

TEST_CASE("FNV-1a-64 test vectors", "[weights]") {
  CHECK(weightsHash("") == 0xcbf29ce484222325ULL);
  CHECK(weightsHash("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(weightsHash("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("float to half rounds like APFloat", "[weights]") {
  const float specials[] = {0.0f,      -0.0f,       1.0f,        -2.5f,      65504.0f,
                            65519.99f, 65520.0f,    1e9f,        -1e9f,      6.1035156e-05f,
                            6.0e-05f,  5.9604645e-08f, 2.9802322e-08f, 2.9802326e-08f,
                            1e-10f,    0.1f,        1.0009766f, 1.00048828125f,
                            fromBits(0x7f800000u), fromBits(0xff800000u)};
  for (float f : specials) {
    INFO("value " << f);
    CHECK(floatToHalf(f) == apfloatHalf(f));
  }
  // NaN stays a NaN of the same sign.
  uint16_t nan = floatToHalf(fromBits(0xffc00001u));
  CHECK((nan & 0x7c00u) == 0x7c00u);
  CHECK((nan & 0x3ffu) != 0);
  CHECK((nan & 0x8000u) != 0);

  std::mt19937 rng(16);
  for (int i = 0; i < 200000; ++i) {
    uint32_t u = rng();
    if ((u & 0x7f800000u) == 0x7f800000u)
      continue; // NaN payloads may differ; infinities are covered above
    float f = fromBits(u);
    INFO("bits " << u);
    REQUIRE(floatToHalf(f) == apfloatHalf(f));
  }
  // Every half-way point between neighbouring halves of the normal range.
  for (uint32_t h = 0x0400; h < 0x7bff; h += 7) {
    uint32_t f32 = ((h & 0x7c00u) + 0x1c000u) << 13 | (h & 0x3ffu) << 13;
    float mid = fromBits(f32 | 0x1000u);
    INFO("half " << h);
    REQUIRE(floatToHalf(mid) == apfloatHalf(mid));
  }
}

TEST_CASE("weights file header and alignment", "[weights]") {
  WeightsFileBuilder b;
  size_t a = b.addFloats("a", {1.0f, 2.0f, 3.0f}, {3}, BlobDType::F32, BlobLayout::RowMajor);
  size_t c = b.addFloats("c", {4.0f}, {1}, BlobDType::F32, BlobLayout::RowMajor);
  REQUIRE(b.blobs().size() == 2);
  CHECK(b.blobs()[a].offset == 0);
  CHECK(b.blobs()[c].offset == 64);
  CHECK(b.blobs()[c].bytes == 4);
  CHECK(b.payloadBytes() == 68);

  std::string f = b.file();
  REQUIRE(f.size() == kWeightsHeaderBytes + 68);
  CHECK(f.substr(0, 8) == "PAREWTS1");
  CHECK(readLE(f, 8, 4) == 1);
  CHECK(readLE(f, 12, 4) == 64);
  CHECK(readLE(f, 16, 8) == 68);
  std::string payload = f.substr(kWeightsHeaderBytes);
  CHECK(readLE(f, 24, 8) == weightsHash(payload));
  for (size_t i = 32; i < kWeightsHeaderBytes; ++i)
    CHECK(f[i] == 0);
  // Little-endian float32, padding zero.
  float v;
  std::memcpy(&v, payload.data() + 8, 4);
  CHECK(v == 3.0f);
  for (size_t i = 12; i < 64; ++i)
    CHECK(payload[i] == 0);
  std::memcpy(&v, payload.data() + 64, 4);
  CHECK(v == 4.0f);
}

TEST_CASE("tied weights are stored once", "[weights]") {
  // An embedding table [V=3, F=2] and the lm_head MatMul weight [F, V] that
  // is its transpose: stored transposed, the two are the same bytes.
  std::vector<float> table = {1, 2, 3, 4, 5, 6};
  std::vector<float> head = {1, 3, 5, 2, 4, 6};
  WeightsFileBuilder b;
  size_t e = b.addFloats("embed", table, {3, 2}, BlobDType::F32, BlobLayout::RowMajor);
  size_t h = b.addFloats("lm_head", head, {2, 3}, BlobDType::F32, BlobLayout::Transposed);
  REQUIRE(b.blobs().size() == 2);
  CHECK(b.blobs()[h].offset == b.blobs()[e].offset);
  CHECK(b.blobs()[h].sharedWith == int64_t(e));
  CHECK(b.blobs()[h].shape == std::vector<int64_t>{3, 2});
  CHECK(b.blobs()[h].layout == BlobLayout::Transposed);
  CHECK(b.payloadBytes() == 24);

  // The same bytes as another element type are a different blob; different
  // bytes of the same length too.
  size_t h16 = b.addFloats("lm_head16", head, {2, 3}, BlobDType::F16, BlobLayout::Transposed);
  size_t d = b.addFloats("other", {1, 2, 3, 4, 5, 7}, {3, 2}, BlobDType::F32,
                         BlobLayout::RowMajor);
  CHECK(b.blobs()[h16].sharedWith == -1);
  CHECK(b.blobs()[d].sharedWith == -1);
  CHECK(b.blobs()[h16].offset == 64);
  CHECK(b.blobs()[h16].bytes == 12);
  CHECK(b.blobs()[d].offset == 128);
  std::string p = b.file().substr(kWeightsHeaderBytes);
  // f16 of the transposed [3, 2] matrix: 1, 2, 3, ...
  CHECK(readLE(p, 64, 2) == 0x3c00);
  CHECK(readLE(p, 66, 2) == 0x4000);
  CHECK(readLE(p, 68, 2) == 0x4200);
}

TEST_CASE("large transposed blobs, the running hash and takeFile", "[weights]") {
  // A matrix larger than the transpose's 64 x 64 tiles and not a multiple
  // of them, as f16 and f32, a splat constant and a dense one; the file is
  // checked against an element-by-element reference built here.
  const int64_t k = 130, cols = 70;
  std::vector<float> m(size_t(k * cols));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  for (float &v : m)
    v = dist(rng);
  mlir::MLIRContext ctx;
  auto loc = mlir::UnknownLoc::get(&ctx);
  auto type = mlir::RankedTensorType::get({k, cols}, mlir::Float32Type::get(&ctx));
  auto dense = mlir::DenseElementsAttr::get(type, llvm::ArrayRef<float>(m));
  auto splat = mlir::DenseElementsAttr::get(type, 0.5f);

  WeightsFileBuilder b;
  REQUIRE(succeeded(b.addConstant(loc, "t16", dense, BlobDType::F16, BlobLayout::Transposed)));
  REQUIRE(succeeded(b.addConstant(loc, "r32", dense, BlobDType::F32, BlobLayout::RowMajor)));
  REQUIRE(succeeded(b.addConstant(loc, "s16", splat, BlobDType::F16, BlobLayout::RowMajor)));
  // Equal bytes again: shared, and neither the size nor the hash moves.
  uint64_t size = b.payloadBytes(), hash = b.hash();
  REQUIRE(succeeded(b.addConstant(loc, "t16b", dense, BlobDType::F16, BlobLayout::Transposed)));
  CHECK(b.blobs().back().sharedWith == 0);
  CHECK(b.payloadBytes() == size);
  CHECK(b.hash() == hash);

  std::string want;
  auto pad = [&] { want.resize((want.size() + 63) / 64 * 64, '\0'); };
  for (int64_t o = 0; o < cols; ++o)
    for (int64_t i = 0; i < k; ++i) {
      uint16_t h = floatToHalf(m[size_t(i * cols + o)]);
      want += char(h & 0xff);
      want += char(h >> 8);
    }
  pad();
  for (float v : m) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    for (int j = 0; j < 4; ++j)
      want += char((u >> (8 * j)) & 0xff);
  }
  pad();
  for (int64_t i = 0; i < k * cols; ++i) {
    want += char(0x00);
    want += char(0x38); // 0.5 in binary16
  }
  CHECK(b.payloadBytes() == want.size());
  CHECK(b.hash() == weightsHash(want));
  CHECK(b.blobs()[1].offset == 18240); // 130 * 70 * 2 = 18200, aligned to 64
  std::string f = b.file();
  CHECK(f.substr(kWeightsHeaderBytes) == want);
  CHECK(readLE(f, 24, 8) == weightsHash(want));
  // takeFile gives the same bytes; the description of the blobs stays.
  CHECK(b.takeFile() == f);
  CHECK(b.payloadBytes() == want.size());
  CHECK(b.hash() == weightsHash(want));
  CHECK(b.blobs().size() == 4);
}

TEST_CASE("constants: element type and rank are checked", "[weights]") {
  mlir::MLIRContext ctx;
  auto loc = mlir::UnknownLoc::get(&ctx);
  auto f32 = mlir::RankedTensorType::get({2, 2}, mlir::Float32Type::get(&ctx));
  auto attr = mlir::DenseElementsAttr::get(f32, llvm::ArrayRef<float>({1.0f, 2.0f, 3.0f, 4.0f}));
  WeightsFileBuilder b;
  auto ok = b.addConstant(loc, "w", attr, BlobDType::F32, BlobLayout::Transposed);
  REQUIRE(mlir::succeeded(ok));
  std::string p = b.file().substr(kWeightsHeaderBytes);
  float v[4];
  std::memcpy(v, p.data(), 16);
  CHECK(v[0] == 1.0f);
  CHECK(v[1] == 3.0f);
  CHECK(v[2] == 2.0f);
  CHECK(v[3] == 4.0f);

  std::string message;
  ctx.getDiagEngine().registerHandler([&](mlir::Diagnostic &d) { message = d.str(); });
  auto i32 = mlir::RankedTensorType::get({2}, mlir::IntegerType::get(&ctx, 32));
  auto ints = mlir::DenseElementsAttr::get(i32, llvm::ArrayRef<int32_t>({1, 2}));
  CHECK(mlir::failed(b.addConstant(loc, "ids", ints, BlobDType::F32, BlobLayout::RowMajor)));
  CHECK(message.find("'ids'") != std::string::npos);
  auto vec = mlir::RankedTensorType::get({4}, mlir::Float32Type::get(&ctx));
  auto flat = mlir::DenseElementsAttr::get(vec, llvm::ArrayRef<float>({1.0f, 2.0f, 3.0f, 4.0f}));
  CHECK(mlir::failed(b.addConstant(loc, "v", flat, BlobDType::F32, BlobLayout::Transposed)));
  CHECK(message.find("not a matrix") != std::string::npos);
}

TEST_CASE("4-bit weights: packU4 and pare_pack_u4 agree byte for byte", "[weights]") {
  // Odd and even K, one row and several: low nibble = even k, an odd K's
  // last byte with a zero high nibble.
  std::mt19937 rng(18);
  for (auto [rows, k] : {std::pair<int, int>{1, 1}, {3, 7}, {2, 64}, {5, 33}, {4, 100}}) {
    std::vector<int8_t> v(size_t(rows * k));
    for (int8_t &x : v)
      x = int8_t(rng() % 16);
    std::string ours = packU4(v, rows, k);
    std::vector<uint8_t> theirs(size_t(rows * ((k + 1) / 2)), 0xee);
    pare_pack_u4(v.data(), theirs.data(), rows, k);
    REQUIRE(ours.size() == theirs.size());
    CHECK(std::memcmp(ours.data(), theirs.data(), ours.size()) == 0);
    for (int r = 0; r < rows; ++r)
      for (int i = 0; i < k; ++i) {
        uint8_t byte = uint8_t(ours[size_t(r * ((k + 1) / 2) + i / 2)]);
        CHECK((i % 2 ? byte >> 4 : byte & 15) == v[size_t(r * k + i)]);
      }
    if (k % 2)
      CHECK((uint8_t(ours.back()) >> 4) == 0);
  }
}

TEST_CASE("4-bit weights: u4 and u8 blobs from integer constants", "[weights]") {
  mlir::MLIRContext ctx;
  auto loc = mlir::UnknownLoc::get(&ctx);
  auto i8 = mlir::IntegerType::get(&ctx, 8);
  auto q = mlir::DenseElementsAttr::get(mlir::RankedTensorType::get({2, 3}, i8),
                                        llvm::ArrayRef<int8_t>({1, 2, 3, 15, 0, 9}));
  auto z = mlir::DenseElementsAttr::get(mlir::RankedTensorType::get({2, 1}, i8),
                                        llvm::ArrayRef<int8_t>({8, 7}));
  WeightsFileBuilder b;
  auto qi = b.addIntegers(loc, "q", q, BlobDType::U4);
  auto zi = b.addIntegers(loc, "z", z, BlobDType::U8);
  REQUIRE(mlir::succeeded(qi));
  REQUIRE(mlir::succeeded(zi));
  const WeightBlob &qb = b.blobs()[*qi], &zb = b.blobs()[*zi];
  CHECK(std::string(blobDTypeName(qb.dtype)) == "u4");
  CHECK(std::string(blobDTypeName(zb.dtype)) == "u8");
  CHECK(qb.shape == std::vector<int64_t>{2, 3});
  CHECK(qb.bytes == 4); // two rows of ceil(3 / 2) bytes
  std::string p = b.file().substr(kWeightsHeaderBytes);
  CHECK(readLE(p, qb.offset, 4) == 0x090f0321u); // {1,2}{3,-} / {15,0}{9,-}, low nibble first
  CHECK(zb.offset % kWeightsAlignment == 0);
  CHECK(readLE(p, zb.offset, 2) == 0x0708u);

  std::string message;
  ctx.getDiagEngine().registerHandler([&](mlir::Diagnostic &d) { message = d.str(); });
  auto bad = mlir::DenseElementsAttr::get(mlir::RankedTensorType::get({1, 2}, i8),
                                          llvm::ArrayRef<int8_t>({3, 16}));
  CHECK(mlir::failed(b.addIntegers(loc, "w16", bad, BlobDType::U4)));
  CHECK(message.find("'w16' holds 16 at element 1") != std::string::npos);
  auto flat = mlir::DenseElementsAttr::get(mlir::RankedTensorType::get({2}, i8),
                                           llvm::ArrayRef<int8_t>({3, 4}));
  CHECK(mlir::failed(b.addIntegers(loc, "v", flat, BlobDType::U4)));
  CHECK(message.find("not a matrix") != std::string::npos);
}

TEST_CASE("int8 weights: s8 blobs from integer constants", "[weights]") {
  mlir::MLIRContext ctx;
  auto loc = mlir::UnknownLoc::get(&ctx);
  auto i8 = mlir::IntegerType::get(&ctx, 8);
  auto w = mlir::DenseElementsAttr::get(mlir::RankedTensorType::get({2, 2}, i8),
                                        llvm::ArrayRef<int8_t>({-127, 5, 127, -1}));
  WeightsFileBuilder b;
  auto wi = b.addIntegers(loc, "w", w, BlobDType::S8);
  REQUIRE(mlir::succeeded(wi));
  const WeightBlob &wb = b.blobs()[*wi];
  CHECK(std::string(blobDTypeName(wb.dtype)) == "s8");
  CHECK(wb.shape == std::vector<int64_t>{2, 2});
  CHECK(wb.bytes == 4); // one byte each, two's complement
  std::string p = b.file().substr(kWeightsHeaderBytes);
  CHECK(readLE(p, wb.offset, 4) == 0xff7f0581u);

  // -128 has no place in the symmetric codes.
  std::string message;
  ctx.getDiagEngine().registerHandler([&](mlir::Diagnostic &d) { message = d.str(); });
  auto bad = mlir::DenseElementsAttr::get(mlir::RankedTensorType::get({2}, i8),
                                          llvm::ArrayRef<int8_t>({0, -128}));
  CHECK(mlir::failed(b.addIntegers(loc, "m", bad, BlobDType::S8)));
  CHECK(message.find("'m' holds -128 at element 1; int8 weights lie in -127 .. 127") !=
        std::string::npos);
}
