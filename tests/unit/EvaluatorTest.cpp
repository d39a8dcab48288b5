//===- EvaluatorTest.cpp - host evaluation of pare IR and calibration -----===//
//
// dialects/Pare/Eval/Evaluator.h and compiler/Calibration.h on small hand-written
// functions whose results are computed by hand: conv (+relu, NCHW and NHWC,
// depthwise), gemm, broadcasting binary ops, pooling, softmax, quantize /
// dequantize (ties to even, saturation, per axis), ranges (min/max and
// percentile), sample loading and errors.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Eval/Evaluator.h"
#include "compiler/Calibration.h"
#include "compiler/Npy.h"
#include "dialects/Pare/Transforms/Pipelines.h"
#include "frontends/onnx/OnnxImporter.h"

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareDialect.h"
#include "dialects/Pare/IR/PareOps.h"
#include "runtime-stubs/c/pare_llm.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"

#include "onnx/onnx_pb.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <limits>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace mlir;
using pare::eval::Tensor;

namespace {

struct Fixture {
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::string diagnostics;
  std::unique_ptr<ScopedDiagnosticHandler> handler;

  explicit Fixture(const std::string &body) {
    ctx.loadDialect<pare::PareDialect, func::FuncDialect, quant::QuantDialect>();
    handler = std::make_unique<ScopedDiagnosticHandler>(&ctx, [this](Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return success();
    });
    module = parseSourceString<ModuleOp>(body, &ctx);
    REQUIRE(module);
  }
  func::FuncOp func() {
    func::FuncOp f;
    module->walk([&](func::FuncOp g) { f = g; });
    return f;
  }
  std::vector<Tensor> run(const std::vector<Tensor> &inputs) {
    auto r = pare::eval::run(func(), inputs);
    INFO(diagnostics);
    REQUIRE(succeeded(r));
    return *r;
  }
};

void requireClose(const std::vector<float> &got, const std::vector<float> &want,
                  float tol = 1e-5f) {
  REQUIRE(got.size() == want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    INFO("element " << k << ": got " << got[k] << ", want " << want[k]);
    CHECK(std::fabs(got[k] - want[k]) <= tol * std::max(1.0f, std::fabs(want[k])));
  }
}

Tensor F(std::vector<int64_t> shape, std::vector<float> data) {
  return Tensor::floats(std::move(shape), std::move(data));
}

std::string tempDir() {
  static int counter = 0;
  std::string d =
      "/tmp/pare-eval-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  llvm::sys::fs::remove_directories(d);
  llvm::sys::fs::create_directories(d);
  return d;
}

void writeNpy(const std::string &path, std::vector<int64_t> shape, const std::vector<float> &v) {
  pare::npy::Array a;
  a.descr = "<f4";
  a.shape = std::move(shape);
  a.data.resize(v.size() * sizeof(float));
  std::memcpy(a.data.data(), v.data(), a.data.size());
  std::string error;
  REQUIRE(pare::npy::write(path, a, error));
}

} // namespace

TEST_CASE("evaluator: NHWC conv with bias and fused relu", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x3x3x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = pare.constant dense<[[[[-1.0], [0.0]], [[0.0], [1.0]]], [[[1.0], [1.0]], [[1.0], [1.0]]]]> : tensor<2x2x2x1xf32>
  %b = pare.constant dense<[-5.0, 0.0]> : tensor<2xf32>
  %0 = pare.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, activation = "relu"} : (tensor<1x3x3x1xf32>, tensor<2x2x2x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}
)mlir");
  auto r = f.run({F({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 20})});
  REQUIRE(r.size() == 1);
  CHECK(r[0].shape == std::vector<int64_t>{1, 2, 2, 2});
  requireClose(r[0].f, {0, 12, 0, 16, 0, 24, 10, 39});
  // Constants are cached by an Evaluator: a second run gives the same.
  pare::eval::Evaluator ev(f.func());
  for (int k = 0; k < 2; ++k) {
    auto again = ev.run({F({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 20})});
    REQUIRE(succeeded(again));
    requireClose((*again)[0].f, {0, 12, 0, 16, 0, 24, 10, 39});
  }
}

TEST_CASE("evaluator: NCHW conv", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = pare.constant dense<[[[[-1.0, 0.0], [0.0, 1.0]]], [[[1.0, 1.0], [1.0, 1.0]]]]> : tensor<2x1x2x2xf32>
  %b = pare.constant dense<[-5.0, 0.0]> : tensor<2xf32>
  %0 = pare.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, activation = "relu"} : (tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}
)mlir");
  auto r = f.run({F({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 20})});
  requireClose(r[0].f, {0, 0, 0, 10, 12, 16, 24, 39});
}

TEST_CASE("evaluator: depthwise conv with [C,kh,kw,1] weights", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = pare.constant dense<[[[[1.0], [1.0]], [[1.0], [1.0]]], [[[1.0], [0.0]], [[0.0], [-1.0]]]]> : tensor<2x2x2x1xf32>
  %0 = pare.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 1, 1>, group = 2 : i64, channels_last} : (tensor<1x2x2x2xf32>, tensor<2x2x2x1xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}
)mlir");
  // Channel 0: 1 2 / 3 4 (window sums), channel 1: 10 20 / 30 40 (x[i,j] - x[i+1,j+1]).
  auto r = f.run({F({1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 4, 40})});
  // Pads bottom/right 1: y(0,0) = full window; y(0,1) = column 1; y(1,0) = row 1; y(1,1) = x(1,1).
  requireClose(r[0].f, {10, 10 - 40, 6, 20, 7, 30, 4, 40});
}

TEST_CASE("evaluator: NCHW transposed conv, stride 2, bias and fused relu", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x4x4xf32> {
  %w = pare.constant dense<[[[[1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, -1.0]]]]> : tensor<1x2x2x2xf32>
  %b = pare.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %0 = pare.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1 : i64, activation = "relu"} : (tensor<1x1x2x2xf32>, tensor<1x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}
)mlir");
  // Each input pixel becomes a 2x2 block of itself times the kernel.
  auto r = f.run({F({1, 1, 2, 2}, {1, 2, 3, 4})});
  REQUIRE(r.size() == 1);
  CHECK(r[0].shape == std::vector<int64_t>{1, 2, 4, 4});
  requireClose(r[0].f, {1.5, 1.5, 2.5, 2.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5, 3.5, 3.5, 4.5,
                        4.5, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0});
}

TEST_CASE("evaluator: NHWC transposed conv, overlapping taps, pads and output_padding",
          "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x2x2x1xf32>) -> tensor<1x3x2x1xf32> {
  %w = pare.constant dense<[[[[1.0], [2.0]], [[3.0], [4.0]]]]> : tensor<1x2x2x1xf32>
  %0 = pare.conv_transpose %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 0, 0>, output_padding = array<i64: 1, 0>, group = 1 : i64, channels_last} : (tensor<1x2x2x1xf32>, tensor<1x2x2x1xf32>) -> tensor<1x3x2x1xf32>
  return %0 : tensor<1x3x2x1xf32>
}
)mlir");
  // Full output 1 4 4 / 6 20 16 / 9 24 16; the pads crop the first row and
  // column; the extra row that output_padding adds sees no input.
  auto r = f.run({F({1, 2, 2, 1}, {1, 2, 3, 4})});
  requireClose(r[0].f, {20, 16, 24, 16, 0, 0});
}

TEST_CASE("evaluator: gemm with alpha, beta, transposed B and broadcast C", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%a: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %b = pare.constant dense<[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]> : tensor<2x3xf32>
  %c = pare.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %0 = pare.gemm %a, %b, %c {alpha = 2.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}
)mlir");
  auto r = f.run({F({2, 3}, {1, 2, 3, 4, 5, 6})});
  requireClose(r[0].f, {9, 3, 21, 9});
}

TEST_CASE("evaluator: batched matmul with broadcasting", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%a: tensor<2x1x2xf32>) -> tensor<2x1x2xf32> {
  %b = pare.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %0 = pare.matmul %a, %b : (tensor<2x1x2xf32>, tensor<2x2xf32>) -> tensor<2x1x2xf32>
  return %0 : tensor<2x1x2xf32>
}
)mlir");
  auto r = f.run({F({2, 1, 2}, {1, 0, 1, 1})});
  requireClose(r[0].f, {1, 2, 4, 6});
}

TEST_CASE("evaluator: broadcasting binary ops with fused activation", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%a: tensor<2x3xf32>, %c: tensor<2x1xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %b = pare.constant dense<[1.0, 1.0, 1.0]> : tensor<3xf32>
  %0 = pare.add %a, %b {activation = "relu"} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = pare.mul %c, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = pare.sub %1, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %2 : tensor<2x3xf32>, tensor<2x3xf32>
}
)mlir");
  auto r = f.run({F({2, 3}, {1, -2, 3, -4, 5, -6}), F({2, 1}, {10, 20})});
  REQUIRE(r.size() == 2);
  requireClose(r[0].f, {2, 0, 4, 0, 6, 0});
  requireClose(r[1].f, {9, 12, 7, 24, 15, 26});
}

TEST_CASE("evaluator: clip with run-time bounds (power_to_db floor, NaN as onnxruntime)",
          "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<6xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> (tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) {
  %big = pare.constant dense<3.40282347E+38> : tensor<f32>
  %eighty = pare.constant dense<80.0> : tensor<f32>
  %mx = pare.reduce_max %x {axes = array<i64: 0>, keepdims = false} : (tensor<6xf32>) -> tensor<f32>
  %floor = pare.sub %mx, %eighty : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %0 = pare.clip_dynamic %x, %floor, %big : (tensor<6xf32>, tensor<f32>, tensor<f32>) -> tensor<6xf32>
  %1 = pare.clip_dynamic %x, %lo, %hi : (tensor<6xf32>, tensor<f32>, tensor<f32>) -> tensor<6xf32>
  %2 = pare.clip_dynamic %x, %hi, %lo : (tensor<6xf32>, tensor<f32>, tensor<f32>) -> tensor<6xf32>
  return %0, %1, %2 : tensor<6xf32>, tensor<6xf32>, tensor<6xf32>
}
)mlir");
  float nan = std::numeric_limits<float>::quiet_NaN();
  auto r = f.run({F({6}, {-200, -90, -30, 0, 10, 5}), F({}, {-40}), F({}, {nan})});
  // Floor at max - 80 = -70; a NaN max bound is ignored, and so is a NaN min.
  requireClose(r[0].f, {-70, -70, -30, 0, 10, 5});
  requireClose(r[1].f, {-40, -40, -30, 0, 10, 5});
  // min -> NaN (ignored), max = -40: min(x, -40).
  requireClose(r[2].f, {-200, -90, -40, -40, -40, -40});
  auto q = f.run({F({6}, {nan, -90, -30, 0, 10, 5}), F({}, {3}), F({}, {-3})});
  // A NaN x stays NaN; min > max gives max.
  CHECK(std::isnan(q[1].f[0]));
  requireClose(std::vector<float>(q[1].f.begin() + 1, q[1].f.end()), {-3, -3, -3, -3, -3});
  requireClose(std::vector<float>(q[2].f.begin() + 1, q[2].f.end()), {-3, -3, 0, 3, 3});
}

TEST_CASE("evaluator: max pool, global average pool, softmax", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x4x4x1xf32>, %s: tensor<1x3xf32>) -> (tensor<1x2x2x1xf32>, tensor<1x1x1x1xf32>, tensor<1x3xf32>) {
  %0 = pare.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false, channels_last} : (tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32>
  %1 = pare.global_average_pool %x {channels_last} : (tensor<1x4x4x1xf32>) -> tensor<1x1x1x1xf32>
  %2 = pare.softmax %s {axis = 1 : i64} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  return %0, %1, %2 : tensor<1x2x2x1xf32>, tensor<1x1x1x1xf32>, tensor<1x3xf32>
}
)mlir");
  std::vector<float> x(16);
  for (int k = 0; k < 16; ++k)
    x[k] = float(k);
  auto r = f.run({F({1, 4, 4, 1}, x), F({1, 3}, {0.0f, std::log(2.0f), std::log(3.0f)})});
  requireClose(r[0].f, {5, 7, 13, 15});
  requireClose(r[1].f, {7.5f});
  requireClose(r[2].f, {1.0f / 6, 2.0f / 6, 3.0f / 6});
}

TEST_CASE("evaluator: rms_norm, rotary (both pairings), causal GQA attention", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x2xf32>, %r: tensor<2x4xf32>, %q: tensor<2x2xf32>, %k: tensor<2x1xf32>, %v: tensor<2x1xf32>) -> (tensor<1x2xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2xf32>) {
  %w = pare.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %pos = pare.constant dense<[0, 1]> : tensor<2xi64>
  %0 = pare.rms_norm %x, %w {epsilon = 0.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = pare.rotary %r, %pos {head_dim = 4 : i64, inv_freq = array<f32: 1.0, 0.5>, interleaved = false} : (tensor<2x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  %2 = pare.rotary %r, %pos {head_dim = 4 : i64, inv_freq = array<f32: 1.0, 0.5>, interleaved = true} : (tensor<2x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  %3 = pare.attention %q, %k, %v {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 1 : i64, scale = 1.0 : f32, causal} : (tensor<2x2xf32>, tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<2x2xf32>
  return %0, %1, %2, %3 : tensor<1x2xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2xf32>
}
)mlir");
  auto r = f.run({F({1, 2}, {3, 4}), F({2, 4}, {1, 2, 3, 4, 1, 0, 0, 1}), F({2, 2}, {1, 1, 0, 1}),
                  F({2, 1}, {0, 1}), F({2, 1}, {10, 20})});
  // rms of (3, 4) is sqrt(12.5).
  float rms = std::sqrt(12.5f);
  requireClose(r[0].f, {3 / rms, 8 / rms});
  // Position 0 leaves a row unchanged; position 1 turns pair (a, b) by 1 and
  // by 0.5 radians: rotate_half pairs dims (0, 2), (1, 3), GPT-J (0, 1), (2, 3).
  float c1 = std::cos(1.0f), s1 = std::sin(1.0f), ch = std::cos(0.5f), sh = std::sin(0.5f);
  requireClose(r[1].f, {1, 2, 3, 4, c1, -sh, s1, ch});
  requireClose(r[2].f, {1, 2, 3, 4, c1, s1, -sh, ch});
  // Both query heads read the one kv head. Row 0 sees key 0 only; row 1's
  // head 0 scores (0, 0), head 1 scores (0, 1).
  float e = std::exp(1.0f);
  requireClose(r[3].f, {10, 10, 15, 10 + 10 * e / (1 + e)});
}

TEST_CASE("evaluator: data movement keeps integer tensors integer", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<2x3xf32>) -> (tensor<3x2xf32>, tensor<2x5xf32>, tensor<2x2xi64>) {
  %0 = pare.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %c = pare.constant dense<[[7.0, 8.0], [9.0, 10.0]]> : tensor<2x2xf32>
  %1 = pare.concat %x, %c {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x2xf32>) -> tensor<2x5xf32>
  %i = pare.constant dense<[[1, -2], [3, 4]]> : tensor<2x2xi64>
  %n = pare.neg %i : (tensor<2x2xi64>) -> tensor<2x2xi64>
  return %0, %1, %n : tensor<3x2xf32>, tensor<2x5xf32>, tensor<2x2xi64>
}
)mlir");
  auto r = f.run({F({2, 3}, {1, 2, 3, 4, 5, 6})});
  requireClose(r[0].f, {1, 4, 2, 5, 3, 6});
  requireClose(r[1].f, {1, 2, 3, 7, 8, 4, 5, 6, 9, 10});
  CHECK(!r[2].isFloat());
  CHECK(r[2].i == std::vector<int64_t>{-1, 2, -3, -4});
}

TEST_CASE("evaluator: gather_elements, negative indices, integer data, out-of-range index",
          "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<2x3xf32>, %i: tensor<2x2xi64>) -> (tensor<2x2xf32>, tensor<1x3xi64>) {
  %0 = pare.gather_elements %x, %i {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x2xi64>) -> tensor<2x2xf32>
  %d = pare.constant dense<[[10, 11, 12], [20, 21, 22]]> : tensor<2x3xi64>
  %j = pare.constant dense<[[1, -2, 0]]> : tensor<1x3xi32>
  %1 = pare.gather_elements %d, %j {axis = 0 : i64} : (tensor<2x3xi64>, tensor<1x3xi32>) -> tensor<1x3xi64>
  return %0, %1 : tensor<2x2xf32>, tensor<1x3xi64>
}
)mlir");
  auto r = f.run({F({2, 3}, {1, 2, 3, 4, 5, 6}), Tensor::ints({2, 2}, {2, -3, -1, 1})});
  // Row 0 picks columns 2, 0; row 1 columns 2, 1.
  requireClose(r[0].f, {3, 1, 6, 5});
  CHECK(!r[1].isFloat());
  CHECK(r[1].i == std::vector<int64_t>{20, 11, 12});
  auto bad = pare::eval::run(f.func(), {F({2, 3}, {1, 2, 3, 4, 5, 6}), Tensor::ints({2, 2}, {3, 0, 0, 0})});
  CHECK(failed(bad));
  CHECK(f.diagnostics.find("index out of range") != std::string::npos);
}

TEST_CASE("evaluator: resize nearest, bilinear, integer nearest, crop with extrapolation",
          "[evaluator]") {
  // The bilinear values are the ONNX backend test's
  // (test_resize_upsample_scales_linear).
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x1x2x2xf32>, %i: tensor<2x2xi64>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<2x3xi64>, tensor<1x1x1x3xf32>) {
  %0 = pare.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  %1 = pare.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  %2 = pare.resize %i {sizes = array<i64: 2, 3>, scales = array<f64: 1.0, 1.5>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "ceil", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64>, extrapolation_value = 0.0 : f64} : (tensor<2x2xi64>) -> tensor<2x3xi64>
  %3 = pare.resize %x {sizes = array<i64: 1, 1, 1, 3>, scales = array<f64: 1.0, 1.0, 0.5, 1.5>, mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, antialias = false, roi = array<f64: 0.0, 0.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.5>, extrapolation_value = -7.0 : f64} : (tensor<1x1x2x2xf32>) -> tensor<1x1x1x3xf32>
  return %0, %1, %2, %3 : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<2x3xi64>, tensor<1x1x1x3xf32>
}
)mlir");
  Tensor ints;
  ints.shape = {2, 2};
  ints.i = {10, 20, 30, 40};
  auto r = f.run({F({1, 1, 2, 2}, {1, 2, 3, 4}), ints});
  requireClose(r[0].f, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  requireClose(r[1].f, {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3,
                        3.25f, 3.75f, 4});
  // Columns x / 1.5 = 0, 0.67, 1.33 rounded up: 0, 1, 2 -> clamped to 1.
  CHECK(!r[2].isFloat());
  CHECK(r[2].i == std::vector<int64_t>{10, 20, 20, 30, 40, 40});
  // Row 1 of the input; columns 0.5, 1 and 1.5 (outside the crop).
  requireClose(r[3].f, {3.5f, 4, -7});
}

TEST_CASE("evaluator: quantize / dequantize round trip, ties to even, saturation",
          "[evaluator][quant]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<7xf32>) -> (tensor<7x!quant.uniform<i8:f32, 5.000000e-01:-1>>, tensor<7xf32>) {
  %q = pare.quantize %x : (tensor<7xf32>) -> tensor<7x!quant.uniform<i8:f32, 5.000000e-01:-1>>
  %d = pare.dequantize %q : (tensor<7x!quant.uniform<i8:f32, 5.000000e-01:-1>>) -> tensor<7xf32>
  return %q, %d : tensor<7x!quant.uniform<i8:f32, 5.000000e-01:-1>>, tensor<7xf32>
}
)mlir");
  auto r = f.run({F({7}, {0.25f, 0.75f, -0.25f, 1.25f, 100.0f, -100.0f, 0.0f})});
  REQUIRE(r.size() == 2);
  CHECK(!r[0].isFloat());
  // x / 0.5 = 0.5, 1.5, -0.5, 2.5, 200, -200, 0 -> 0, 2, -0, 2 (ties to even),
  // then + zp (-1), saturated to [-128, 127].
  CHECK(r[0].i == std::vector<int64_t>{-1, 1, -1, 1, 127, -128, -1});
  requireClose(r[1].f, {0, 1, 0, 1, 64, -63.5f, 0});
}

TEST_CASE("evaluator: per-axis quantize, storage_cast, requantize", "[evaluator][quant]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<2x2xf32>) -> (tensor<2x2xi8>, tensor<2x2xf32>, tensor<2x2x!quant.uniform<i8:f32, 1.000000e+00>>) {
  %q = pare.quantize %x : (tensor<2x2xf32>) -> tensor<2x2x!quant.uniform<i8:f32:0, {5.000000e-01, 2.000000e+00:1}>>
  %s = pare.storage_cast %q : (tensor<2x2x!quant.uniform<i8:f32:0, {5.000000e-01, 2.000000e+00:1}>>) -> tensor<2x2xi8>
  %d = pare.dequantize %q : (tensor<2x2x!quant.uniform<i8:f32:0, {5.000000e-01, 2.000000e+00:1}>>) -> tensor<2x2xf32>
  %t = pare.quantize %x : (tensor<2x2xf32>) -> tensor<2x2x!quant.uniform<i8:f32, 5.000000e-01>>
  %r = pare.requantize %t : (tensor<2x2x!quant.uniform<i8:f32, 5.000000e-01>>) -> tensor<2x2x!quant.uniform<i8:f32, 1.000000e+00>>
  return %s, %d, %r : tensor<2x2xi8>, tensor<2x2xf32>, tensor<2x2x!quant.uniform<i8:f32, 1.000000e+00>>
}
)mlir");
  auto r = f.run({F({2, 2}, {1.0f, -1.0f, 3.0f, -5.0f})});
  // Row 0: scale 0.5, zp 0 -> 2, -2. Row 1: scale 2, zp 1 -> 1.5 -> 2 (+1 = 3), -2.5 -> -2 (+1 =
  // -1).
  CHECK(r[0].i == std::vector<int64_t>{2, -2, 3, -1});
  requireClose(r[1].f, {1, -1, 4, -4});
  // 1, -1, 3, -5 at scale 1 (from scale 0.5 codes 2, -2, 6, -10).
  CHECK(r[2].i == std::vector<int64_t>{1, -1, 3, -5});
}

TEST_CASE("evaluator: max pool and reshape of quantized tensors", "[evaluator][quant]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x2x2x1xf32>) -> tensor<1x1xf32> {
  %q = pare.quantize %x : (tensor<1x2x2x1xf32>) -> tensor<1x2x2x1x!quant.uniform<i8:f32, 2.500000e-01:3>>
  %p = pare.max_pool %q {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false, channels_last} : (tensor<1x2x2x1x!quant.uniform<i8:f32, 2.500000e-01:3>>) -> tensor<1x1x1x1x!quant.uniform<i8:f32, 2.500000e-01:3>>
  %r = pare.reshape %p : (tensor<1x1x1x1x!quant.uniform<i8:f32, 2.500000e-01:3>>) -> tensor<1x1x!quant.uniform<i8:f32, 2.500000e-01:3>>
  %d = pare.dequantize %r : (tensor<1x1x!quant.uniform<i8:f32, 2.500000e-01:3>>) -> tensor<1x1xf32>
  return %d : tensor<1x1xf32>
}
)mlir");
  auto r = f.run({F({1, 2, 2, 1}, {-1.0f, 2.0f, 0.5f, 1.75f})});
  requireClose(r[0].f, {2.0f});
}

TEST_CASE("evaluator: unsupported ops and bad inputs are errors", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<4x!quant.uniform<i8:f32, 5.000000e-01>>) -> tensor<4x!quant.uniform<i8:f32, 5.000000e-01>> {
  %0 = pare.qadd %x, %x : (tensor<4x!quant.uniform<i8:f32, 5.000000e-01>>, tensor<4x!quant.uniform<i8:f32, 5.000000e-01>>) -> tensor<4x!quant.uniform<i8:f32, 5.000000e-01>> loc("the_add")
  return %0 : tensor<4x!quant.uniform<i8:f32, 5.000000e-01>>
}
)mlir");
  auto r = pare::eval::run(f.func(), {Tensor::ints({4}, {1, 2, 3, 4})});
  CHECK(failed(r));
  CHECK(f.diagnostics.find("calibration cannot evaluate 'pare.qadd' (node the_add)") !=
        std::string::npos);
  f.diagnostics.clear();
  auto bad = pare::eval::run(f.func(), {F({4}, {1, 2, 3, 4})});
  CHECK(failed(bad));
  CHECK(f.diagnostics.find("input 0") != std::string::npos);
  f.diagnostics.clear();
  auto wrongCount = pare::eval::run(f.func(), {});
  CHECK(failed(wrongCount));
}

TEST_CASE("calibration: min/max and percentile ranges", "[calibration]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x1000xf32>) -> tensor<1x1000xf32> {
  %0 = pare.relu %x : (tensor<1x1000xf32>) -> tensor<1x1000xf32>
  return %0 : tensor<1x1000xf32>
}
)mlir");
  auto func = f.func();
  std::vector<std::vector<Tensor>> samples;
  for (int s = 0; s < 2; ++s) {
    std::vector<float> v(1000);
    for (int k = 0; k < 1000; ++k)
      v[k] = float(k - 100) + s * 0.5f; // -100 .. 899.5
    if (s == 1)
      v[500] = 1.0e5f; // an outlier
    samples.push_back({F({1, 1000}, v)});
  }
  Value arg = func.getArgument(0);
  Value relu = func.getBody().front().front().getResult(0);

  pare::calib::Options mm;
  auto r = pare::calib::collectRanges(func, samples, mm);
  REQUIRE(succeeded(r));
  CHECK(r->lookup(arg).min == -100.0f);
  CHECK(r->lookup(arg).max == 1.0e5f);
  CHECK(r->lookup(relu).min == 0.0f);
  CHECK(r->lookup(relu).max == 1.0e5f);

  pare::calib::Options p100;
  p100.method = pare::calib::Method::Percentile;
  p100.percentile = 100.0;
  auto r100 = pare::calib::collectRanges(func, samples, p100);
  REQUIRE(succeeded(r100));
  CHECK(r100->lookup(arg).min == -100.0f);
  CHECK(r100->lookup(arg).max == 1.0e5f);
  CHECK(r100->lookup(relu).min == 0.0f);
  CHECK(r100->lookup(relu).max == 1.0e5f);

  pare::calib::Options p99;
  p99.method = pare::calib::Method::Percentile;
  p99.percentile = 99.0;
  auto r99 = pare::calib::collectRanges(func, samples, p99);
  REQUIRE(succeeded(r99));
  pare::calib::Range a = r99->lookup(arg);
  CHECK(a.min >= -100.0f);
  CHECK(a.max <= 1.0e5f);
  CHECK(a.min <= a.max);
  // The outlier is one value in 2000: the 99th percentile cuts it off.
  CHECK(a.max < 1000.0f);

  pare::calib::attachRanges(func, *r);
  auto attr = pare::attrs::getArgRange(func, 0);
  REQUIRE(attr);
  CHECK(attr.asArrayRef().vec() == std::vector<float>{-100.0f, 1.0e5f});
  auto ranges = pare::attrs::getRanges(relu.getDefiningOp());
  REQUIRE(ranges);
  CHECK(ranges.asArrayRef().vec() == std::vector<float>{0.0f, 1.0e5f});
}

TEST_CASE("calibration: samples from .npy files", "[calibration]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x4xf32> {pare.name = "image"}) -> tensor<1x4xf32> {
  %0 = pare.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}
)mlir");
  std::string dir = tempDir();
  writeNpy(dir + "/b.npy", {1, 4}, {5, 6, 7, 8});
  writeNpy(dir + "/a.npy", {4}, {1, 2, 3, 4}); // the leading 1 may be left out
  auto s = pare::calib::loadSamples(f.func(), dir);
  INFO(f.diagnostics);
  REQUIRE(succeeded(s));
  REQUIRE(s->size() == 2);
  CHECK((*s)[0][0].shape == std::vector<int64_t>{1, 4});
  CHECK((*s)[0][0].f == std::vector<float>{1, 2, 3, 4}); // sorted by name
  CHECK((*s)[1][0].f == std::vector<float>{5, 6, 7, 8});

  writeNpy(dir + "/c.npy", {2, 2}, {1, 2, 3, 4});
  f.diagnostics.clear();
  CHECK(failed(pare::calib::loadSamples(f.func(), dir)));
  CHECK(f.diagnostics.find("c.npy") != std::string::npos);
  CHECK(f.diagnostics.find("2x2") != std::string::npos);
  llvm::sys::fs::remove_directories(dir);
}

TEST_CASE("calibration: several inputs take files named after them", "[calibration]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<2xf32> {pare.name = "x"}, %y: tensor<2xf32> {pare.name = "x_mask"}) -> tensor<2xf32> {
  %0 = pare.add %x, %y : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
)mlir");
  std::string dir = tempDir();
  writeNpy(dir + "/x_0.npy", {2}, {1, 2});
  writeNpy(dir + "/x_1.npy", {2}, {3, 4});
  writeNpy(dir + "/x_mask_0.npy", {2}, {10, 20});
  writeNpy(dir + "/x_mask_1.npy", {2}, {30, 40});
  auto s = pare::calib::loadSamples(f.func(), dir);
  INFO(f.diagnostics);
  REQUIRE(succeeded(s));
  REQUIRE(s->size() == 2);
  CHECK((*s)[1][0].f == std::vector<float>{3, 4});
  CHECK((*s)[1][1].f == std::vector<float>{30, 40});
  auto ranges = pare::calib::collectRanges(f.func(), *s, {});
  REQUIRE(succeeded(ranges));
  Value sum = f.func().getBody().front().front().getResult(0);
  CHECK(ranges->lookup(sum).min == 11.0f);
  CHECK(ranges->lookup(sum).max == 44.0f);
  llvm::sys::fs::remove_directories(dir);
}

TEST_CASE("evaluator: ppocr MobileNetV3 after the graph pipeline matches onnxruntime",
          "[evaluator][model]") {
  // examples/models/ppocr_cls_mobilenetv3.onnx at 1x3x48x192 on a fixed input;
  // tests/unit/data/ppocr_cls_reference.npy is onnxruntime's output for it:
  //   k = np.arange(3*48*192); x = (((k*7919) % 201) - 100).astype(np.float32) / np.float32(100)
  std::string src = PARE_SOURCE_DIR;
  MLIRContext ctx;
  ctx.loadDialect<pare::PareDialect, func::FuncDialect, quant::QuantDialect>();
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return success();
  });
  pare::onnx_frontend::ImportOptions io;
  io.inputShapes["x"] = {1, 3, 48, 192};
  auto module = pare::onnx_frontend::importModelFile(
      ctx, src + "/examples/models/ppocr_cls_mobilenetv3.onnx", io);
  INFO(diagnostics);
  REQUIRE(succeeded(module));
  PassManager pm(&ctx);
  pare::buildGraphPipeline(pm);
  REQUIRE(succeeded(pm.run(**module)));
  func::FuncOp func;
  (**module)->walk([&](func::FuncOp f) { func = f; });

  std::vector<float> x(3 * 48 * 192);
  for (int64_t k = 0; k < int64_t(x.size()); ++k)
    x[k] = float(((k * 7919) % 201) - 100) / 100.0f;
  pare::npy::Array ref;
  std::string error;
  REQUIRE(pare::npy::read(src + "/tests/unit/data/ppocr_cls_reference.npy", ref, error));

  pare::eval::Evaluator ev(func);
  std::vector<Tensor> in{F({1, 3, 48, 192}, x)};
  int observed = 0;
  double best = 1e9;
  for (int it = 0; it < 3; ++it) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = ev.run(in, [&](Value, const Tensor &) { ++observed; });
    best = std::min(
        best,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    REQUIRE(succeeded(r));
    REQUIRE((*r)[0].shape == ref.shape);
    for (size_t k = 0; k < ref.count(); ++k)
      CHECK(std::fabs((*r)[0].f[k] - float(ref.at(k))) < 1e-4f);
  }
  CHECK(observed > 0);
  // Calibration needs many samples: well under 100 ms each (about 3 ms).
  CHECK(best < 100.0);
}

TEST_CASE("calibration: samples from ONNX test data sets (input_K.pb)", "[calibration]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x3xf32> {pare.name = "x"}, %n: tensor<2xi64> {pare.name = "n"}) -> tensor<1x3xf32> {
  %0 = pare.relu %x : (tensor<1x3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}
)mlir");
  std::string dir = tempDir();
  for (int s = 0; s < 2; ++s) {
    std::string set = dir + "/test_data_set_" + std::to_string(s);
    llvm::sys::fs::create_directories(set);
    onnx::TensorProto x;
    x.set_name("x");
    x.set_data_type(onnx::TensorProto::FLOAT);
    x.add_dims(1);
    x.add_dims(3);
    float v[3] = {1.0f + s, -2.0f, 3.0f}; // raw little-endian data
    x.set_raw_data(std::string(reinterpret_cast<const char *>(v), sizeof(v)));
    onnx::TensorProto n;
    n.set_name("n");
    n.set_data_type(onnx::TensorProto::INT64);
    n.add_dims(2);
    n.add_int64_data(7);
    n.add_int64_data(-8 - s);
    std::ofstream(set + "/input_0.pb", std::ios::binary) << x.SerializeAsString();
    std::ofstream(set + "/input_1.pb", std::ios::binary) << n.SerializeAsString();
  }
  auto samples = pare::calib::loadSamples(f.func(), dir);
  INFO(f.diagnostics);
  REQUIRE(succeeded(samples));
  REQUIRE(samples->size() == 2);
  CHECK((*samples)[1][0].f == std::vector<float>{2, -2, 3});
  CHECK((*samples)[1][1].i == std::vector<int64_t>{7, -9});
  CHECK((*samples)[1][1].shape == std::vector<int64_t>{2});
  llvm::sys::fs::remove_directories(dir);
}

TEST_CASE("evaluator: matmul_nbits runs the C kernel, bit for bit", "[evaluator]") {
  // K = 20: one whole group of 16 and a partial one, an odd number of
  // partial-lane weights; three rows; a fused relu.
  Fixture f(R"mlir(
func.func @main(%x: tensor<3x20xf32>) -> tensor<3x2xf32> {
  %q = pare.constant dense<[[3, 15, 0, 7, 9, 1, 12, 4, 8, 2, 14, 6, 10, 5, 11, 13, 1, 0, 15, 7], [8, 8, 2, 9, 0, 15, 4, 3, 7, 11, 6, 1, 13, 12, 5, 10, 3, 14, 2, 9]]> : tensor<2x20xi8>
  %s = pare.constant dense<[[0.5, 0.125], [0.25, 2.0]]> : tensor<2x2xf32>
  %z = pare.constant dense<[[8, 3], [0, 15]]> : tensor<2x2xi8>
  %y = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = 16 : i64, activation = "relu"} : (tensor<3x20xf32>, tensor<2x20xi8>, tensor<2x2xf32>, tensor<2x2xi8>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
)mlir");
  const int8_t q[2][20] = {{3, 15, 0, 7, 9, 1, 12, 4, 8, 2, 14, 6, 10, 5, 11, 13, 1, 0, 15, 7},
                           {8, 8, 2, 9, 0, 15, 4, 3, 7, 11, 6, 1, 13, 12, 5, 10, 3, 14, 2, 9}};
  const float s[2][2] = {{0.5f, 0.125f}, {0.25f, 2.0f}};
  const uint8_t z[2][2] = {{8, 3}, {0, 15}};
  std::vector<float> x(3 * 20);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = std::sin(float(i) * 0.7f) * 3.0f;
  auto out = f.run({F({3, 20}, x)});
  REQUIRE(out[0].shape == std::vector<int64_t>{3, 2});
  // The same kernel on the bytes the C target writes.
  uint8_t packed[2 * 10];
  pare_pack_u4(&q[0][0], packed, 2, 20);
  float direct[6];
  pare_matmul_nbits_f32(x.data(), packed, &s[0][0], &z[0][0], direct, 3, 20, 2, 16, PARE_ACT_RELU,
                        0.0f, 0.0f);
  CHECK(std::memcmp(out[0].f.data(), direct, sizeof direct) == 0);
  // And the definition: relu(sum_k x[r][k] * (q[n][k] - z[n][k/16]) * s[n][k/16]).
  std::vector<float> want(6);
  for (int r = 0; r < 3; ++r)
    for (int n = 0; n < 2; ++n) {
      double acc = 0.0;
      for (int k = 0; k < 20; ++k)
        acc += double(x[size_t(r * 20 + k)]) *
               double((float(q[n][k]) - float(z[n][k / 16])) * s[n][k / 16]);
      want[size_t(r * 2 + n)] = float(std::max(acc, 0.0));
    }
  requireClose(out[0].f, want);
}

TEST_CASE("evaluator: matmul_nbits refuses a value outside 4 bits", "[evaluator]") {
  Fixture f(R"mlir(
func.func @main(%x: tensor<1x16xf32>) -> tensor<1x1xf32> {
  %q = pare.constant dense<1> : tensor<1x16xi8>
  %s = pare.constant dense<1.0> : tensor<1x1xf32>
  %z = pare.constant dense<16> : tensor<1x1xi8>
  %y = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = 16 : i64} : (tensor<1x16xf32>, tensor<1x16xi8>, tensor<1x1xf32>, tensor<1x1xi8>) -> tensor<1x1xf32> loc("lin")
  return %y : tensor<1x1xf32>
}
)mlir");
  auto r = pare::eval::run(f.func(), {F({1, 16}, std::vector<float>(16, 1.0f))});
  CHECK(failed(r));
  CHECK(f.diagnostics.find("'pare.matmul_nbits' (node lin): zero_points value 16 at 0 is outside "
                           "0 .. 15") != std::string::npos);
}

TEST_CASE("evaluator: matmul_w8a8 runs the C kernel, bit for bit", "[evaluator]") {
  // Three rows: one with an outlier channel, one of zeros, one with values on
  // .5 steps of the per-tensor scale; both activation modes.
  for (const char *mode : {"\"per-token\"", "\"per-tensor\", act_scale = 0.25 : f32"}) {
    Fixture f(std::string(R"mlir(
func.func @main(%x: tensor<3x5xf32>) -> tensor<3x2xf32> {
  %w = pare.constant dense<[[127, -127, 3, 0, -64], [5, 9, -100, 77, 1]]> : tensor<2x5xi8>
  %s = pare.constant dense<[0.5, 0.0625]> : tensor<2xf32>
  %y = pare.matmul_w8a8 %x, %w, %s {act_quant = )mlir") +
              mode + R"mlir(} : (tensor<3x5xf32>, tensor<2x5xi8>, tensor<2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
)mlir");
    INFO(mode);
    const int8_t w[2][5] = {{127, -127, 3, 0, -64}, {5, 9, -100, 77, 1}};
    const float sw[2] = {0.5f, 0.0625f};
    std::vector<float> x = {0.3f, -40.0f, 1.1f, 0.0f, -2.2f, 0, 0, 0, 0, 0,
                            0.125f, -0.375f, 1.0f, 100.0f, -0.625f};
    auto out = f.run({F({3, 5}, x)});
    REQUIRE(out[0].shape == std::vector<int64_t>{3, 2});
    float actScale = std::strstr(mode, "tensor") ? 0.25f : 0.0f;
    int8_t scratch[3 * 5]; // PARE_LLM_W8_SCRATCH(3, 5)
    float direct[6];
    pare_matmul_w8a8_f32(x.data(), &w[0][0], sw, direct, 3, 5, 2, actScale, scratch);
    CHECK(std::memcmp(out[0].f.data(), direct, sizeof direct) == 0);
    // The definition: codes round(x / s) half away from zero, clamped to
    // +-127, exact sums, (acc * s) * sw.
    std::vector<float> want(6);
    for (int r = 0; r < 3; ++r) {
      float m = 0.0f;
      for (int k = 0; k < 5; ++k)
        m = std::max(m, std::fabs(x[size_t(r * 5 + k)]));
      float s = actScale > 0.0f ? actScale : m / 127.0f;
      for (int n = 0; n < 2; ++n) {
        int32_t acc = 0;
        for (int k = 0; k < 5 && s > 0.0f; ++k) {
          float q = std::round(x[size_t(r * 5 + k)] / s);
          acc += int32_t(std::min(127.0f, std::max(-127.0f, q))) * w[n][k];
        }
        want[size_t(r * 2 + n)] = s > 0.0f ? (float(acc) * s) * sw[n] : 0.0f;
      }
    }
    CHECK(out[0].f == want);
  }
}
