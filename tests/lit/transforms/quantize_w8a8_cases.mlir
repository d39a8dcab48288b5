// pare-quantize-w8a8 where no producer can absorb 1/s: the norm's output
// also feeds an add, and the second linear reads that add. Both linears are
// quantized unsmoothed (no smoothing group), the norm weight is kept, the LM
// head (returned) stays float; without calibration, per-token alpha=off
// needs none.
// RUN: pare-opt %s --pass-pipeline='builtin.module(pare-quantize-w8a8{ids=1,2,3,4,5,6,7,0 verbose=true})' 2>&1 | FileCheck %s
// RUN: pare-opt %s --pass-pipeline='builtin.module(pare-quantize-w8a8{alpha=off verbose=true})' 2>&1 | FileCheck %s --check-prefix=OFF

// CHECK-NOT: smoothing group
// CHECK: pare: w8a8: 'a' quantized unsmoothed
// CHECK-NEXT: pare: w8a8: 'b' quantized unsmoothed
// CHECK-NEXT: pare: w8a8: 2 linears (per-token), 0 smoothing groups folded
// CHECK: pare.constant dense<[1.000000e+00, 2.000000e+00, 1.000000e+00, 1.000000e+00, 5.000000e-01, 1.000000e+00, 1.000000e+00, 1.000000e+00]>
// CHECK: pare.matmul_w8a8 {{.*}} {act_quant = "per-token"} : (tensor<?x8xf32>, tensor<8x8xi8>, tensor<8xf32>) -> tensor<?x8xf32>
// CHECK: pare.matmul_w8a8 {{.*}} {act_quant = "per-token"} : (tensor<?x8xf32>, tensor<8x8xi8>, tensor<8xf32>) -> tensor<?x8xf32>
// CHECK: pare.matmul {{.*}} : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>

// OFF: pare: w8a8: 'a' quantized unsmoothed (alpha off)
// OFF: pare: w8a8: 2 linears (per-token), 0 smoothing groups folded
// OFF: pare.matmul_w8a8

module attributes {pare.decoder = {layers = 0 : i64, max_context = 16 : i64}} {
  func.func @main(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %embed = pare.constant dense<[[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8], [1.0, 0.5, -0.25, 0.125, 0.3, -0.7, 0.2, 0.9], [-0.3, 0.8, 0.1, -0.6, 0.4, 0.2, -0.9, 0.5], [0.7, -0.1, 0.6, 0.2, -0.3, 0.9, 0.4, -0.2], [0.2, 0.3, -0.8, 0.5, 0.1, -0.4, 0.6, 0.7], [-0.9, 0.4, 0.2, -0.1, 0.8, 0.3, -0.5, 0.6], [0.5, -0.7, 0.9, 0.3, -0.2, 0.1, 0.8, -0.4], [0.3, 0.6, -0.4, 0.8, 0.7, -0.3, 0.1, 0.2]]> : tensor<8x8xf32> loc("embed")
    %norm = pare.constant dense<[1.0, 2.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0]> : tensor<8xf32> loc("norm")
    %wa = pare.constant dense<[[0.3, -0.1, 0.2, 0.5, -0.4, 0.1, 0.6, -0.2], [0.1, 0.4, -0.3, 0.2, 0.5, -0.6, 0.1, 0.3], [-0.5, 0.2, 0.4, -0.1, 0.3, 0.2, -0.4, 0.6], [0.2, 0.6, -0.2, 0.3, -0.1, 0.4, 0.5, -0.3], [0.4, -0.3, 0.1, 0.6, 0.2, -0.5, 0.3, 0.1], [-0.2, 0.5, 0.3, -0.4, 0.6, 0.1, -0.1, 0.2], [0.6, 0.1, -0.5, 0.2, -0.3, 0.3, 0.4, -0.6], [0.1, -0.6, 0.2, 0.4, 0.1, -0.2, 0.3, 0.5]]> : tensor<8x8xf32> loc("wa")
    %wb = pare.constant dense<[[0.2, 0.1, -0.3, 0.4, 0.5, -0.1, 0.2, 0.3], [-0.4, 0.3, 0.2, -0.1, 0.6, 0.2, -0.5, 0.1], [0.3, -0.2, 0.5, 0.1, -0.4, 0.6, 0.1, -0.3], [0.1, 0.5, -0.1, 0.3, 0.2, -0.6, 0.4, 0.2], [-0.6, 0.2, 0.4, -0.3, 0.1, 0.3, 0.5, -0.1], [0.5, -0.4, 0.1, 0.2, -0.2, 0.4, -0.3, 0.6], [0.2, 0.3, -0.6, 0.5, 0.3, -0.1, 0.2, 0.4], [-0.1, 0.6, 0.3, -0.2, 0.4, 0.5, -0.6, 0.1]]> : tensor<8x8xf32> loc("wb")
    %head = pare.constant dense<[[0.5, -0.2, 0.1, 0.3], [0.2, 0.4, -0.3, 0.1], [-0.1, 0.3, 0.5, -0.4], [0.4, -0.5, 0.2, 0.6], [0.3, 0.1, -0.6, 0.2], [-0.4, 0.6, 0.3, -0.1], [0.1, -0.3, 0.4, 0.5], [0.6, 0.2, -0.1, -0.3]]> : tensor<8x4xf32> loc("head")
    %x = pare.gather %embed, %ids {axis = 0 : i64} : (tensor<8x8xf32>, tensor<?xi64>) -> tensor<?x8xf32> loc("embed_tokens")
    %h = pare.rms_norm %x, %norm {epsilon = 1.0e-05 : f32} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> loc("norm_op")
    %a = pare.matmul %h, %wa : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32> loc("a")
    %s = pare.add %h, %a : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("skip")
    %b = pare.matmul %s, %wb : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32> loc("b")
    %o = pare.matmul %b, %head : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32> loc("lm_head")
    return %o : tensor<?x4xf32>
  }
}
