// DeriveDecoder: a full-sequence decoder (ids [1, S] -> logits [1, S, V],
// attention raised) becomes the decode step: ids and positions of a run-time
// number of rows, every value [rows, width], attentions numbered by KV-cache
// layer, what feeds no attention marked pare.tail. Graphs it cannot prove
// row-wise stay as they are, with the reason on the module.
// RUN: pare-opt %s --pare-derive-decoder=max-context=64 --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: module attributes {pare.decoder = {layers = 1 : i64, max_context = 64 : i64}}
// CHECK: func.func @lm(%[[IDS:.*]]: tensor<?xi64>, %[[POS:.*]]: tensor<?xi64>) -> tensor<?x16xf32>
// The positions 0..S-1 are gone: the rotaries read the step's.
// CHECK-NOT: dense<[0, 1, 2, 3]>
// CHECK: %[[X:.*]] = pare.gather %{{.*}}, %[[IDS]] {axis = 0 : i64} : (tensor<16x8xf32>, tensor<?xi64>) -> tensor<?x8xf32>
// CHECK: %[[H:.*]] = pare.rms_norm %[[X]], %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
// CHECK: %[[Q:.*]] = pare.matmul %[[H]], %{{.*}} : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
// CHECK: %[[K:.*]] = pare.matmul %[[H]], %{{.*}} : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
// CHECK: %[[QR:.*]] = pare.rotary %[[Q]], %[[POS]]
// CHECK: %[[KR:.*]] = pare.rotary %[[K]], %[[POS]]
// CHECK: %[[A:.*]] = pare.attention %[[QR]], %[[KR]], %[[K]] {causal, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 1 : i64, pare.kv_layer = 0 : i64, scale = 5.000000e-01 : f32}
// The residual add's constant bias [1, 1, 8] becomes a per-row vector.
// Only the logits' path feeds no attention.
// CHECK: %[[R:.*]] = pare.add %[[X]], %{{.*}} {pare.tail} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
// CHECK: %[[S:.*]] = pare.add %[[R]], %[[A]] {pare.tail} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK: %[[L:.*]] = pare.matmul %[[S]], %{{.*}} {pare.tail} : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
// CHECK: return %[[L]] : tensor<?x16xf32>
module {
  func.func @lm(%ids: tensor<1x4xi64>) -> tensor<1x4x16xf32> {
    %e = pare.constant dense<0.25> : tensor<16x8xf32>
    %w = pare.constant dense<1.0> : tensor<8xf32>
    %wq = pare.constant dense<0.5> : tensor<8x8xf32>
    %wk = pare.constant dense<0.5> : tensor<8x4xf32>
    %bias = pare.constant dense<0.125> : tensor<1x1x8xf32>
    %wl = pare.constant dense<0.5> : tensor<8x16xf32>
    %pos = pare.constant dense<[0, 1, 2, 3]> : tensor<4xi64>
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
    %h = pare.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
    %q = pare.matmul %h, %wq : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
    %k = pare.matmul %h, %wk : (tensor<1x4x8xf32>, tensor<8x4xf32>) -> tensor<1x4x4xf32>
    %q2 = pare.reshape %q : (tensor<1x4x8xf32>) -> tensor<4x8xf32>
    %k2 = pare.reshape %k : (tensor<1x4x4xf32>) -> tensor<4x4xf32>
    %qr = pare.rotary %q2, %pos {head_dim = 4 : i64, inv_freq = array<f32: 1.0, 0.01>, interleaved = false} : (tensor<4x8xf32>, tensor<4xi64>) -> tensor<4x8xf32>
    %kr = pare.rotary %k2, %pos {head_dim = 4 : i64, inv_freq = array<f32: 1.0, 0.01>, interleaved = false} : (tensor<4x4xf32>, tensor<4xi64>) -> tensor<4x4xf32>
    %a = pare.attention %qr, %kr, %k2 {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal} : (tensor<4x8xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
    %a3 = pare.reshape %a : (tensor<4x8xf32>) -> tensor<1x4x8xf32>
    %r = pare.add %x, %bias : (tensor<1x4x8xf32>, tensor<1x1x8xf32>) -> tensor<1x4x8xf32>
    %s = pare.add %r, %a3 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
    %l = pare.matmul %s, %wl : (tensor<1x4x8xf32>, tensor<8x16xf32>) -> tensor<1x4x16xf32>
    return %l : tensor<1x4x16xf32>
  }
}

// -----

// A constant that differs by position (here a [1, S, F] table added to the
// embeddings; a causal mask or a cos / sin table the recognisers did not
// absorb looks the same): the module stays a full-sequence graph and says why.
// CHECK-LABEL: module attributes {pare.not_decoder = "pare.add (ONNX node 'table_add'): a constant operand differs by position (dim 1 of size 4)"}
// CHECK: func.func @table(%{{.*}}: tensor<1x4xi64>) -> tensor<1x4x4xf32>
module {
  func.func @table(%ids: tensor<1x4xi64>) -> tensor<1x4x4xf32> {
    %e = pare.constant dense<0.25> : tensor<16x4xf32>
    %t = pare.constant dense<0.5> : tensor<1x4x4xf32>
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<16x4xf32>, tensor<1x4xi64>) -> tensor<1x4x4xf32>
    %y = pare.add %x, %t : (tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x4xf32> loc("table_add")
    %x2 = pare.reshape %y : (tensor<1x4x4xf32>) -> tensor<4x4xf32>
    %a = pare.attention %x2, %x2, %x2 {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal} : (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    %a3 = pare.reshape %a : (tensor<4x4xf32>) -> tensor<1x4x4xf32>
    return %a3 : tensor<1x4x4xf32>
  }
}

// -----

// A decode-step export (after pare-bind-decoder-inputs) also returns its
// presents: the keys and values its attentions read, which the cache now
// holds. They leave the step function; any other further output refuses.
// CHECK-LABEL: module attributes {pare.decoder = {layers = 1 : i64, max_context = 64 : i64}}
// CHECK: func.func @presents(%{{.*}}: tensor<?xi64>, %{{.*}}: tensor<?xi64>) -> tensor<?x4xf32>
// CHECK-NOT: pare.transpose
// CHECK: return %{{.*}} : tensor<?x4xf32>
module {
  func.func @presents(%ids: tensor<1x4xi64>) -> (tensor<1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
    %e = pare.constant dense<0.25> : tensor<16x4xf32>
    %empty = pare.constant dense<> : tensor<1x1x0x4xf32>
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<16x4xf32>, tensor<1x4xi64>) -> tensor<1x4x4xf32>
    %x2 = pare.reshape %x : (tensor<1x4x4xf32>) -> tensor<4x4xf32>
    %a = pare.attention %x2, %x2, %x2 {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal} : (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    %a3 = pare.reshape %a : (tensor<4x4xf32>) -> tensor<1x4x4xf32>
    %k4 = pare.reshape %x2 : (tensor<4x4xf32>) -> tensor<1x4x1x4xf32>
    %kt = pare.transpose %k4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x1x4xf32>) -> tensor<1x1x4x4xf32>
    %present = pare.concat %empty, %kt {axis = 2 : i64} : (tensor<1x1x0x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
    return %a3, %present, %kt : tensor<1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
  }
}

// -----

// CHECK-LABEL: module attributes {pare.not_decoder = "output 1 is neither the logits nor keys or values an attention reads"}
module {
  func.func @extra(%ids: tensor<1x4xi64>) -> (tensor<1x4x4xf32>, tensor<1x4x4xf32>) {
    %e = pare.constant dense<0.25> : tensor<16x4xf32>
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<16x4xf32>, tensor<1x4xi64>) -> tensor<1x4x4xf32>
    %x2 = pare.reshape %x : (tensor<1x4x4xf32>) -> tensor<4x4xf32>
    %a = pare.attention %x2, %x2, %x2 {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal} : (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    %a3 = pare.reshape %a : (tensor<4x4xf32>) -> tensor<1x4x4xf32>
    %h = pare.sigmoid %a3 : (tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
    return %a3, %h : tensor<1x4x4xf32>, tensor<1x4x4xf32>
  }
}

// -----

// pare.matmul_w8a8 (issue 19) is row-wise in both activation modes (per
// token quantizes each row alone; per tensor uses one constant scale): it is
// derived like pare.matmul, [rows, K] -> [rows, N], weight and scales kept.
// CHECK-LABEL: module attributes {pare.decoder = {layers = 1 : i64, max_context = 64 : i64}}
// CHECK: func.func @w8(
// CHECK: %[[H:.*]] = pare.rms_norm
// CHECK: pare.matmul_w8a8 %[[H]], %{{.*}}, %{{.*}} {act_quant = "per-token"} : (tensor<?x8xf32>, tensor<8x8xi8>, tensor<8xf32>) -> tensor<?x8xf32>
// CHECK: pare.matmul_w8a8 %[[H]], %{{.*}}, %{{.*}} {act_quant = "per-tensor", act_scale = 5.000000e-01 : f32} : (tensor<?x8xf32>, tensor<4x8xi8>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK: pare.attention
module {
  func.func @w8(%ids: tensor<1x4xi64>) -> tensor<1x4x8xf32> {
    %e = pare.constant dense<0.25> : tensor<16x8xf32>
    %w = pare.constant dense<1.0> : tensor<8xf32>
    %wq = pare.constant dense<3> : tensor<8x8xi8>
    %sq = pare.constant dense<0.01> : tensor<8xf32>
    %wk = pare.constant dense<-5> : tensor<4x8xi8>
    %sk = pare.constant dense<0.02> : tensor<4xf32>
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
    %h = pare.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
    %q = pare.matmul_w8a8 %h, %wq, %sq {act_quant = "per-token"} : (tensor<1x4x8xf32>, tensor<8x8xi8>, tensor<8xf32>) -> tensor<1x4x8xf32>
    %k = pare.matmul_w8a8 %h, %wk, %sk {act_quant = "per-tensor", act_scale = 0.5 : f32} : (tensor<1x4x8xf32>, tensor<4x8xi8>, tensor<4xf32>) -> tensor<1x4x4xf32>
    %q2 = pare.reshape %q : (tensor<1x4x8xf32>) -> tensor<4x8xf32>
    %k2 = pare.reshape %k : (tensor<1x4x4xf32>) -> tensor<4x4xf32>
    %a = pare.attention %q2, %k2, %k2 {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal} : (tensor<4x8xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
    %a3 = pare.reshape %a : (tensor<4x8xf32>) -> tensor<1x4x8xf32>
    return %a3 : tensor<1x4x8xf32>
  }
}
