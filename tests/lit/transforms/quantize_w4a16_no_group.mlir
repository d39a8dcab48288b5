// pare-quantize-w4a16: a norm whose output also feeds the residual add cannot
// take 1/s, so the linear it feeds is quantized without a scale (no group);
// the LM head (the returned matmul) stays float.
// RUN: pare-opt %s --pass-pipeline='builtin.module(pare-quantize-w4a16{group-size=16 ids=0,1,2,3,1,0 verbose=true})' 2>&1 | FileCheck %s
// CHECK-NOT: scale group
// CHECK: pare: w4a16: 'proj' quantized without a scale (its input's producer takes no scale)
// CHECK-NEXT: pare: w4a16: clipping search over the ratios 1, 0.975, ..., 0.525
// CHECK-NEXT: pare: w4a16: clipping 'proj': 0 of 16 groups shrunk
// CHECK-NEXT: pare: w4a16: 1 linear, 0 scale groups
// CHECK-LABEL: func.func @shared_norm
// CHECK: pare.matmul_nbits
// CHECK: pare.matmul %{{.*}} : (tensor<?x16xf32>, tensor<16x4xf32>) -> tensor<?x4xf32>
func.func @shared_norm(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
  %embed = pare.constant dense<[[1.0, -2.0, 3.0, 0.5, 1.0, -2.0, 3.0, 0.5, 1.0, -2.0, 3.0, 0.5, 1.0, -2.0, 3.0, 0.5], [0.2, 0.4, -0.6, 0.8, 0.2, 0.4, -0.6, 0.8, 0.2, 0.4, -0.6, 8.0, 0.2, 0.4, -0.6, 0.8], [-1.0, 0.0, 1.0, 2.0, -1.0, 0.0, 1.0, 2.0, -1.0, 0.0, 1.0, 2.0, -1.0, 0.0, 1.0, 2.0], [0.3, 0.3, 0.3, -0.3, 0.3, 0.3, 0.3, -0.3, 0.3, 0.3, 0.3, -0.3, 0.3, 0.3, 0.3, -0.3]]> : tensor<4x16xf32>
  %nw = pare.constant dense<1.0> : tensor<16xf32>
  %w = pare.constant dense<0.25> : tensor<16x16xf32>
  %head = pare.constant dense<0.5> : tensor<16x4xf32>
  %x = pare.gather %embed, %ids {axis = 0 : i64} : (tensor<4x16xf32>, tensor<?xi64>) -> tensor<?x16xf32>
  %h = pare.rms_norm %x, %nw {epsilon = 1.0e-05 : f32} : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32> loc("norm")
  %p = pare.matmul %h, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32> loc("proj")
  %r = pare.add %h, %p : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %logits = pare.matmul %r, %head : (tensor<?x16xf32>, tensor<16x4xf32>) -> tensor<?x4xf32> loc("lm_head")
  return %logits : tensor<?x4xf32>
}

