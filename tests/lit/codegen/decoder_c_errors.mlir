// What the C decoder emitter refuses in a decoder step function, reported at
// the op's node (or the function): an attention without its cache layer, not
// causal, or with a layer index outside pare.decoder's layers, a layer no
// attention fills, an op that is not [rows, features], a full-rows op that
// reads a pare.tail value (computed for the last row only), an op with no
// decoder kernel, a pare.matmul_w8a8 with a fused activation (its kernel has
// none) or an int8 weight of -128 (the kernel's codes are symmetric). Exit code 1, no files.
// RUN: rm -rf %t && split-file %s %t
// RUN: for f in $(LC_ALL=C ls %t/*.mlir); do echo "== $(basename $f)"; not pare compile $f -o %t/out 2>&1; done > %t/log
// RUN: FileCheck %s --input-file %t/log
// RUN: not ls %t/out

// CHECK-LABEL: == kv_layer_range.mlir
// CHECK-NEXT: node 'attn': error: pare.kv_layer 3 is outside the decoder's 1 layers
// CHECK-LABEL: == missing_layer.mlir
// CHECK-NEXT: error: no pare.attention has pare.kv_layer 1 (layers = 2)
// CHECK-LABEL: == no_kv_layer.mlir
// CHECK-NEXT: node 'attn': error: pare.attention in a decoder step function needs pare.kv_layer
// CHECK-LABEL: == not_causal.mlir
// CHECK-NEXT: node 'attn': error: the decoder attends causally: pare.attention needs `causal`
// CHECK-LABEL: == static_rows.mlir
// CHECK-NEXT: node 'computed_weight': error: decoder ops compute float32 [rows, features] (tensor<?xFxf32>), not 'tensor<4x4xf32>'
// CHECK-LABEL: == tail_read.mlir
// CHECK-NEXT: node 'after_tail': error: reads a value marked pare.tail (computed for the last row only) but is not marked pare.tail itself
// CHECK-LABEL: == unknown_op.mlir
// CHECK-NEXT: node 'soft': error: the C decoder emitter has no kernel for 'pare.softmax'
// CHECK-LABEL: == w8a8_activation.mlir
// CHECK-NEXT: node 'w8a8_activation': error: pare.matmul_w8a8 has no fused activation in the C decoder
// CHECK-LABEL: == w8a8_minus128.mlir
// CHECK-NEXT: node 'w': error: weight 'w8a8_minus128_w8a8_minus128_weight' holds -128 at element 0; int8 weights lie in -127 .. 127

//--- kv_layer_range.mlir
module attributes {pare.decoder = {layers = 1 : i64, max_context = 8 : i64}} {
  func.func @d(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %e = pare.constant dense<0.5> : tensor<4x4xf32> loc("embed")
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<4x4xf32>, tensor<?xi64>) -> tensor<?x4xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal, pare.kv_layer = 3 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("attn")
    %w = pare.constant dense<0.25> : tensor<4x4xf32> loc("head_w")
    %l = pare.matmul %a, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("lm_head")
    return %l : tensor<?x4xf32>
  }
}
//--- missing_layer.mlir
module attributes {pare.decoder = {layers = 2 : i64, max_context = 8 : i64}} {
  func.func @d(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %e = pare.constant dense<0.5> : tensor<4x4xf32> loc("embed")
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<4x4xf32>, tensor<?xi64>) -> tensor<?x4xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal, pare.kv_layer = 0 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("attn")
    %w = pare.constant dense<0.25> : tensor<4x4xf32> loc("head_w")
    %l = pare.matmul %a, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("lm_head")
    return %l : tensor<?x4xf32>
  }
}
//--- no_kv_layer.mlir
module attributes {pare.decoder = {layers = 1 : i64, max_context = 8 : i64}} {
  func.func @d(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %e = pare.constant dense<0.5> : tensor<4x4xf32> loc("embed")
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<4x4xf32>, tensor<?xi64>) -> tensor<?x4xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("attn")
    %w = pare.constant dense<0.25> : tensor<4x4xf32> loc("head_w")
    %l = pare.matmul %a, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("lm_head")
    return %l : tensor<?x4xf32>
  }
}
//--- not_causal.mlir
module attributes {pare.decoder = {layers = 1 : i64, max_context = 8 : i64}} {
  func.func @d(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %e = pare.constant dense<0.5> : tensor<4x4xf32> loc("embed")
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<4x4xf32>, tensor<?xi64>) -> tensor<?x4xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, pare.kv_layer = 0 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("attn")
    %w = pare.constant dense<0.25> : tensor<4x4xf32> loc("head_w")
    %l = pare.matmul %a, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("lm_head")
    return %l : tensor<?x4xf32>
  }
}
//--- static_rows.mlir
module attributes {pare.decoder = {layers = 1 : i64, max_context = 8 : i64}} {
  func.func @d(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %e = pare.constant dense<0.5> : tensor<4x4xf32> loc("embed")
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<4x4xf32>, tensor<?xi64>) -> tensor<?x4xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal, pare.kv_layer = 0 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("attn")
    %w0 = pare.constant dense<0.25> : tensor<4x4xf32> loc("w0")
    %w = pare.relu %w0 : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("computed_weight")
    %l = pare.matmul %a, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("lm_head")
    return %l : tensor<?x4xf32>
  }
}
//--- tail_read.mlir
module attributes {pare.decoder = {layers = 1 : i64, max_context = 8 : i64}} {
  func.func @d(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %e = pare.constant dense<0.5> : tensor<4x4xf32> loc("embed")
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<4x4xf32>, tensor<?xi64>) -> tensor<?x4xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal, pare.kv_layer = 0 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("attn")
    %t = pare.relu %a {pare.tail} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("tail_relu")
    %l = pare.add %a, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("after_tail")
    return %l : tensor<?x4xf32>
  }
}
//--- unknown_op.mlir
module attributes {pare.decoder = {layers = 1 : i64, max_context = 8 : i64}} {
  func.func @d(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %e = pare.constant dense<0.5> : tensor<4x4xf32> loc("embed")
    %x = pare.gather %e, %ids {axis = 0 : i64} : (tensor<4x4xf32>, tensor<?xi64>) -> tensor<?x4xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal, pare.kv_layer = 0 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("attn")
    %l = pare.softmax %a {axis = 1 : i64} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("soft")
    return %l : tensor<?x4xf32>
  }
}
//--- w8a8_activation.mlir
module attributes {pare.decoder = {layers = 1 : i64, max_context = 8 : i64}} {
  func.func @m(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %t = pare.constant dense<0.5> : tensor<4x8xf32> loc("embed")
    %x = pare.gather %t, %ids {axis = 0 : i64} : (tensor<4x8xf32>, tensor<?xi64>) -> tensor<?x8xf32> loc("gather")
    %w = pare.constant dense<1> : tensor<4x8xi8> loc("w")
    %s = pare.constant dense<0.01> : tensor<4xf32> loc("s")
    %l = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-token", activation = "relu"} : (tensor<?x8xf32>, tensor<4x8xi8>, tensor<4xf32>) -> tensor<?x4xf32> loc("w8a8_activation")
    return %l : tensor<?x4xf32>
  }
}
//--- w8a8_minus128.mlir
module attributes {pare.decoder = {layers = 1 : i64, max_context = 8 : i64}} {
  func.func @m(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %t = pare.constant dense<0.5> : tensor<4x8xf32> loc("embed")
    %x = pare.gather %t, %ids {axis = 0 : i64} : (tensor<4x8xf32>, tensor<?xi64>) -> tensor<?x8xf32> loc("gather")
    %w = pare.constant dense<-128> : tensor<4x8xi8> loc("w")
    %s = pare.constant dense<0.01> : tensor<4xf32> loc("s")
    %l = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-token"} : (tensor<?x8xf32>, tensor<4x8xi8>, tensor<4xf32>) -> tensor<?x4xf32> loc("w8a8_minus128")
    return %l : tensor<?x4xf32>
  }
}
