// BindDecoderInputs: a decode-step export (input_ids, attention_mask,
// position_ids, past_key_values.N.* with no cached positions) has its mask
// bound to ones, its positions to 0..S-1 and its empty pasts to empty
// constants: the full-sequence form. Inputs it cannot bind stay, with the
// reason on the module; one-input modules are left alone.
// RUN: pare-opt %s --pare-bind-decoder-inputs --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @step(%{{.*}}: tensor<1x3xi64> {pare.name = "input_ids"}) -> (tensor<1x3x8xf32>, tensor<1x1x3x4xf32>)
// CHECK-DAG: pare.constant dense<1> : tensor<1x3xi64>
// CHECK-DAG: pare.constant dense<{{\[\[}}0, 1, 2]]> : tensor<1x3xi64>
// CHECK-DAG: pare.constant dense<> : tensor<1x1x0x4xf32>
module {
  func.func @step(%ids: tensor<1x3xi64> {pare.name = "input_ids"}, %mask: tensor<1x3xi64> {pare.name = "attention_mask"},
                  %pos: tensor<1x3xi64> {pare.name = "position_ids"}, %past: tensor<1x1x0x4xf32> {pare.name = "past_key_values.0.key"})
                  -> (tensor<1x3x8xf32>, tensor<1x1x3x4xf32>) {
    %x = pare.constant dense<1.0> : tensor<1x3x8xf32>
    %k = pare.constant dense<2.0> : tensor<1x1x3x4xf32>
    %present = pare.concat %past, %k {axis = 2 : i64} : (tensor<1x1x0x4xf32>, tensor<1x1x3x4xf32>) -> tensor<1x1x3x4xf32>
    %m = pare.cast %mask {to = f32} : (tensor<1x3xi64>) -> tensor<1x3xf32>
    %p = pare.cast %pos {to = f32} : (tensor<1x3xi64>) -> tensor<1x3xf32>
    %s = pare.add %m, %p : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
    %s3 = pare.reshape %s : (tensor<1x3xf32>) -> tensor<1x3x1xf32>
    %y = pare.mul %x, %s3 : (tensor<1x3x8xf32>, tensor<1x3x1xf32>) -> tensor<1x3x8xf32>
    return %y, %present : tensor<1x3x8xf32>, tensor<1x1x3x4xf32>
  }
}

// -----

// Nothing is bound when one input cannot be (the mask stays an input).
// CHECK-LABEL: module attributes {pare.not_decoder = "input 'cache_position' is neither the token ids, an attention_mask, position_ids nor an empty past_key_values"}
// CHECK: func.func @other(%{{.*}}: tensor<1x3xi64> {pare.name = "input_ids"}, %{{.*}}: tensor<1x3xi64> {pare.name = "attention_mask"}, %{{.*}}: tensor<3xi64> {pare.name = "cache_position"})
// CHECK-NOT: pare.constant
module {
  func.func @other(%ids: tensor<1x3xi64> {pare.name = "input_ids"}, %mask: tensor<1x3xi64> {pare.name = "attention_mask"}, %cp: tensor<3xi64> {pare.name = "cache_position"}) -> tensor<3xi64> {
    return %cp : tensor<3xi64>
  }
}
