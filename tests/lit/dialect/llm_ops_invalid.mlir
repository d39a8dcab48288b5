// Shape-function errors of the decoder ops (rms_norm, rotary, attention):
// each names the op and what does not fit.
// RUN: pare-opt %s -split-input-file -verify-diagnostics

func.func @rms_norm_weight(%x: tensor<?x8xf32>, %w: tensor<4xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{rms_norm: weight 4 must be [8] (the input's last dim)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.rms_norm %x, %w {epsilon = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<4xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @rms_norm_dynamic_features(%x: tensor<4x?xf32>, %w: tensor<4xf32>) -> tensor<4x?xf32> {
  // expected-error @+2 {{rms_norm: the normalised (last) dim must be static}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.rms_norm %x, %w {epsilon = 1.0e-5 : f32} : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

func.func @rotary_features(%x: tensor<?x10xf32>, %p: tensor<?xi64>) -> tensor<?x10xf32> {
  // expected-error @+2 {{rotary: 10 features are not a multiple of head_dim 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.rotary %x, %p {head_dim = 4 : i64, inv_freq = array<f32: 1.0>, interleaved = false} : (tensor<?x10xf32>, tensor<?xi64>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @rotary_inv_freq(%x: tensor<?x8xf32>, %p: tensor<?xi64>) -> tensor<?x8xf32> {
  // expected-error @+2 {{rotary: inv_freq has 3 entries, expected 1 to head_dim / 2 = 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.rotary %x, %p {head_dim = 4 : i64, inv_freq = array<f32: 1.0, 0.5, 0.25>, interleaved = false} : (tensor<?x8xf32>, tensor<?xi64>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @rotary_positions(%x: tensor<4x8xf32>, %p: tensor<3xi64>) -> tensor<4x8xf32> {
  // expected-error @+2 {{rotary: 3 positions for 4 rows}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.rotary %x, %p {head_dim = 4 : i64, inv_freq = array<f32: 1.0>, interleaved = false} : (tensor<4x8xf32>, tensor<3xi64>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @rotary_positions_type(%x: tensor<4x8xf32>, %p: tensor<4xi32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{rotary: positions must be a rank-1 i64 tensor, got 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.rotary %x, %p {head_dim = 4 : i64, inv_freq = array<f32: 1.0>, interleaved = false} : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @attention_kv_heads(%q: tensor<?x12xf32>, %k: tensor<?x8xf32>) -> tensor<?x12xf32> {
  // expected-error @+2 {{attention: kv_heads (2) must divide heads (3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.attention %q, %k, %k {heads = 3 : i64, kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal} : (tensor<?x12xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x12xf32>
  return %0 : tensor<?x12xf32>
}

// -----

func.func @attention_q_features(%q: tensor<?x10xf32>, %k: tensor<?x4xf32>) -> tensor<?x10xf32> {
  // expected-error @+2 {{attention: q has 10 features, expected 2 heads x head_dim 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.attention %q, %k, %k {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32} : (tensor<?x10xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @attention_kv_rows(%q: tensor<4x8xf32>, %k: tensor<4x4xf32>, %v: tensor<3x4xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{attention: k has 4 rows, v 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.attention %q, %k, %v {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32} : (tensor<4x8xf32>, tensor<4x4xf32>, tensor<3x4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @attention_causal_keys(%q: tensor<4x8xf32>, %k: tensor<3x4xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{attention: causal attention needs at least as many keys (3) as queries (4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.attention %q, %k, %k {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal} : (tensor<4x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @nbits_bits(%x: tensor<?x64xf32>, %q: tensor<8x64xi8>, %s: tensor<8x1xf32>, %z: tensor<8x1xi8>) -> tensor<?x8xf32> {
  // expected-error @+2 {{matmul_nbits: bits must be 4, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul_nbits %x, %q, %s, %z {bits = 3 : i64, group_size = 64 : i64} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>, tensor<8x1xi8>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @nbits_group(%x: tensor<?x64xf32>, %q: tensor<8x64xi8>, %s: tensor<8x1xf32>, %z: tensor<8x1xi8>) -> tensor<?x8xf32> {
  // expected-error @+2 {{matmul_nbits: group_size must be a power of two >= 16, got 48}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = 48 : i64} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>, tensor<8x1xi8>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @nbits_k(%x: tensor<?x32xf32>, %q: tensor<8x64xi8>, %s: tensor<8x1xf32>, %z: tensor<8x1xi8>) -> tensor<?x8xf32> {
  // expected-error @+2 {{matmul_nbits: the input has 32 features, qweight 8x64 expects K = 64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = 64 : i64} : (tensor<?x32xf32>, tensor<8x64xi8>, tensor<8x1xf32>, tensor<8x1xi8>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @nbits_scales(%x: tensor<?x96xf32>, %q: tensor<8x96xi8>, %s: tensor<8x1xf32>, %z: tensor<8x2xi8>) -> tensor<?x8xf32> {
  // expected-error @+2 {{matmul_nbits: scales 8x1 must be [8, 2] of the input's element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, group_size = 64 : i64} : (tensor<?x96xf32>, tensor<8x96xi8>, tensor<8x1xf32>, tensor<8x2xi8>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @w8a8_mode(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{matmul_w8a8: act_quant must be "per-token" or "per-tensor", got "per-row"}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-row"} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @w8a8_no_scale(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{matmul_w8a8: act_quant = "per-tensor" needs a finite act_scale > 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-tensor", act_scale = 0.0 : f32} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @w8a8_token_scale(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{matmul_w8a8: act_scale is for act_quant = "per-tensor" only}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-token", act_scale = 1.0 : f32} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @w8a8_weight_type(%x: tensor<?x64xf32>, %w: tensor<8x64xi32>, %s: tensor<8xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{matmul_w8a8: weight must be a static [N, K] i8 tensor}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-token"} : (tensor<?x64xf32>, tensor<8x64xi32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @w8a8_k(%x: tensor<?x32xf32>, %w: tensor<8x64xi8>, %s: tensor<8xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{matmul_w8a8: the input has 32 features, weight 8x64 expects K = 64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-token"} : (tensor<?x32xf32>, tensor<8x64xi8>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @w8a8_scales(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<4xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{matmul_w8a8: weight_scales 4 must be [8] of the input's element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-token"} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<4xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
