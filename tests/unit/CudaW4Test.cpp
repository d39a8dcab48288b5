//===- CudaW4Test.cpp - pare.matmul_nbits packing of the CUDA target ------===//
//
// codegen/cuda/CudaW4.h packW4() against the weights file's own 4-bit packing
// (packU4, itself checked against the C runtime's pare_pack_u4 and, end to end,
// onnxruntime): the CUDA rows are packU4's rows, zero-padded to 16 bytes; the
// (scale, zero) pairs are the op's values per group, float or half, zeros for
// the padding's groups; out-of-range values and non-constant weights are
// errors naming the node.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaW4.h"

#include "codegen/WeightsFile.h"
#include "dialects/Pare/IR/PareDialect.h"
#include "dialects/Pare/IR/PareOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace mlir;
using namespace pare;
using namespace pare::codegen;

namespace {

std::string list(const std::vector<int> &v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s;
}

/// `v` with enough digits to parse back to the same float.
std::string num(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(v));
  return buf;
}

} // namespace

TEST_CASE("CUDA int4 packing: packU4's rows padded to 16 bytes, (scale, zero) per group",
          "[cuda-w4]") {
  MLIRContext ctx;
  ctx.loadDialect<PareDialect, func::FuncDialect>();
  std::mt19937 rng(18);
  for (auto [k, n, group] : {std::tuple<int, int, int>{32, 3, 32}, {20, 2, 16}, {48, 5, 16},
                             {100, 4, 64}, {80, 3, 32}, {256, 2, 128}}) {
    int groups = (k + group - 1) / group;
    std::vector<int> q(size_t(n * k)), z(size_t(n * groups));
    std::vector<float> s(size_t(n * groups));
    for (int &v : q)
      v = int(rng() % 16);
    for (int &v : z)
      v = int(rng() % 16);
    for (float &v : s) // fp16-representable: 1/1024 steps
      v = float(1 + rng() % 200) / 1024.0f;
    std::string gt = std::to_string(n) + "x" + std::to_string(groups);
    std::string qs, ss, zs;
    for (int r = 0; r < n; ++r) {
      std::vector<int> qr(q.begin() + r * k, q.begin() + (r + 1) * k),
          zr(z.begin() + r * groups, z.begin() + (r + 1) * groups);
      std::string sr;
      for (int g = 0; g < groups; ++g)
        sr += (g ? ", " : "") + num(s[size_t(r * groups + g)]);
      qs += std::string(r ? ", " : "") + "[" + list(qr) + "]";
      zs += std::string(r ? ", " : "") + "[" + list(zr) + "]";
      ss += std::string(r ? ", " : "") + "[" + sr + "]";
    }
    std::string text =
        "func.func @main(%x: tensor<2x" + std::to_string(k) + "xf32>) -> tensor<2x" +
        std::to_string(n) + "xf32> {\n"
        "  %q = pare.constant dense<[" + qs + "]> : tensor<" + std::to_string(n) + "x" +
        std::to_string(k) + "xi8>\n"
        "  %s = pare.constant dense<[" + ss + "]> : tensor<" + gt + "xf32>\n"
        "  %z = pare.constant dense<[" + zs + "]> : tensor<" + gt + "xi8>\n"
        "  %y = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = " +
        std::to_string(group) + " : i64} : (tensor<2x" + std::to_string(k) + "xf32>, tensor<" +
        std::to_string(n) + "x" + std::to_string(k) + "xi8>, tensor<" + gt + "xf32>, tensor<" +
        gt + "xi8>) -> tensor<2x" + std::to_string(n) + "xf32>\n"
        "  return %y : tensor<2x" + std::to_string(n) + "xf32>\n}\n";
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &ctx);
    REQUIRE(module);
    MatMulNBitsOp op;
    module->walk([&](MatMulNBitsOp o) { op = o; });
    REQUIRE(op);
    INFO("k " << k << " n " << n << " group " << group);
    for (bool fp16 : {false, true}) {
      FailureOr<cuda::W4Weights> w = cuda::packW4(op, fp16, "cuda target");
      REQUIRE(succeeded(w));
      int64_t rowBytes = cuda::w4RowBytes(k), padded = cuda::w4PaddedGroups(k, group);
      CHECK(rowBytes == (k + 31) / 32 * 16);
      CHECK(padded * group >= (k + 31) / 32 * 32);
      std::vector<int8_t> q8(q.begin(), q.end());
      std::string ref = packU4(q8, n, k);
      int64_t refRow = (k + 1) / 2;
      REQUIRE(w->qweight.size() == size_t(n * rowBytes));
      for (int r = 0; r < n; ++r) {
        CHECK(w->qweight.substr(size_t(r * rowBytes), size_t(refRow)) ==
              ref.substr(size_t(r * refRow), size_t(refRow)));
        CHECK(w->qweight.substr(size_t(r * rowBytes + refRow), size_t(rowBytes - refRow)) ==
              std::string(size_t(rowBytes - refRow), '\0'));
      }
      size_t esize = fp16 ? 2 : 4;
      REQUIRE(w->scaleZero.size() == size_t(n * padded * 2) * esize);
      auto at = [&](int64_t i) {
        if (!fp16) {
          float f;
          std::memcpy(&f, &w->scaleZero[size_t(i) * 4], 4);
          return f;
        }
        uint16_t h;
        std::memcpy(&h, &w->scaleZero[size_t(i) * 2], 2);
        // The test's scales and zero points are exact in half: compare bits.
        return float(h);
      };
      for (int r = 0; r < n; ++r)
        for (int64_t g = 0; g < padded; ++g) {
          float sv = g < groups ? s[size_t(r * groups + g)] : 0.0f;
          float zv = g < groups ? float(z[size_t(r * groups + g)]) : 0.0f;
          CHECK(at((r * padded + g) * 2) == (fp16 ? float(floatToHalf(sv)) : sv));
          CHECK(at((r * padded + g) * 2 + 1) == (fp16 ? float(floatToHalf(zv)) : zv));
        }
    }
  }
}

TEST_CASE("CUDA int4 packing: values outside 0..15 and weights that are not constants",
          "[cuda-w4]") {
  MLIRContext ctx;
  ctx.loadDialect<PareDialect, func::FuncDialect>();
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return success();
  });
  auto pack = [&](const std::string &qDecl, const std::string &zValue, const std::string &args) {
    std::string text = "func.func @main(%x: tensor<1x32xf32>" + args +
                       ") -> tensor<1x2xf32> {\n" + qDecl +
                       "  %s = pare.constant dense<0.5> : tensor<2x1xf32>\n"
                       "  %z = pare.constant dense<" + zValue + "> : tensor<2x1xi8>\n"
                       "  %y = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = "
                       "32 : i64} : (tensor<1x32xf32>, tensor<2x32xi8>, tensor<2x1xf32>, "
                       "tensor<2x1xi8>) -> tensor<1x2xf32> loc(\"lin\")\n"
                       "  return %y : tensor<1x2xf32>\n}\n";
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &ctx);
    REQUIRE(module);
    MatMulNBitsOp op;
    module->walk([&](MatMulNBitsOp o) { op = o; });
    diagnostics.clear();
    return succeeded(cuda::packW4(op, false, "cuda target"));
  };
  std::string q7 = "  %q = pare.constant dense<7> : tensor<2x32xi8>\n";
  CHECK(pack(q7, "8", ""));
  CHECK_FALSE(pack("  %q = pare.constant dense<16> : tensor<2x32xi8>\n", "8", ""));
  CHECK(diagnostics.find("'lin': a qweight value 16 is outside 0..15") != std::string::npos);
  CHECK_FALSE(pack(q7, "-3", ""));
  CHECK(diagnostics.find("a zero point -3 is outside 0..15") != std::string::npos);
  CHECK_FALSE(pack("", "8", ", %q: tensor<2x32xi8>"));
  CHECK(diagnostics.find("must be constants") != std::string::npos);
}
