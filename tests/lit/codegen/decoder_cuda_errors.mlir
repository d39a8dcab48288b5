// What the CUDA decoder target refuses, reported at the op (node name) or the
// module, exit code 1 and no files: an op without a decoder kernel, an int8
// weight of pare.matmul_w8a8 outside the symmetric -127 .. 127, a non-causal
// attention, an attention marked pare.tail, two attentions writing
// one cache layer, a layer count the attentions do not match, an embedding of
// something else than the step's ids, a KV cache that does not fit in the GPU
// memory --cuda-arch assumes (80 GB for sm_90, 24 GB for sm_89: the same
// decoder fits in fp16 on sm_90, 51.5 GB of cache) or --gpu-memory gives.
// RUN: rm -rf %t && split-file %s %t
// RUN: for f in $(LC_ALL=C ls %t/*.mlir); do echo "== $(basename $f)"; not pare compile $f --target cuda -o %t/out 2>&1; done > %t/log
// RUN: echo "== big_sm89_fp16.mlir" >> %t/log
// RUN: not pare compile %t/big.mlir --target cuda --precision fp16 --cuda-arch sm_89 -o %t/out 2>> %t/log
// RUN: echo "== big_gpu_memory.mlir" >> %t/log
// RUN: not pare compile %t/big.mlir --target cuda --gpu-memory 100 -o %t/out 2>> %t/log
// RUN: FileCheck %s --input-file %t/log
// RUN: not ls %t/out
// RUN: pare compile %t/big.mlir --target cuda --precision fp16 -o %t/fp16 -q
// RUN: FileCheck %s --check-prefix=FP16 --input-file %t/fp16/big.cu

// CHECK-LABEL: == big.mlir
// CHECK-NEXT: big.mlir:1:1: error: --max-context 1048576 needs 103100326912 bytes of GPU memory (weights 65536, KV cache 103079215104, activations and I/O 21046272), more than the 80000000000 bytes assumed for --cuda-arch sm_90 (--gpu-memory gives the GPU's size); the largest --max-context that fits is 813587
// CHECK-LABEL: == exp.mlir
// CHECK-NEXT: node 'exp': error: the cuda decoder cannot emit pare.exp: no decoder kernel for it
// CHECK-LABEL: == layers.mlir
// CHECK-NEXT: error: pare.decoder says 2 layers but 1 pare.attention ops have a pare.kv_layer
// CHECK-LABEL: == not_causal.mlir
// CHECK-NEXT: node 'attn': error: the cuda decoder cannot emit pare.attention: a decoder's attention is causal
// CHECK-LABEL: == not_ids.mlir
// CHECK-NEXT: node 'gather': error: the cuda decoder cannot emit pare.gather: an embedding gathers the step's token ids
// CHECK-LABEL: == tail_attention.mlir
// CHECK-NEXT: node 'attn': error: the cuda decoder cannot emit pare.attention: an attention writes the KV cache of every row; it cannot be pare.tail
// CHECK-LABEL: == twice.mlir
// CHECK-NEXT: node 'attn1': error: the cuda decoder cannot emit pare.attention: KV cache layer 0 is written twice
// CHECK-LABEL: == w8a8.mlir
// CHECK-NEXT: node 'w8a8': error: the cuda decoder cannot emit pare.matmul_w8a8: int8 weight value -128 at [2, 5] is outside -127 .. 127 (symmetric quantization)
// CHECK-LABEL: == big_sm89_fp16.mlir
// CHECK-NEXT: error: --max-context 1048576 needs {{[0-9]+}} bytes of GPU memory {{.*}} more than the 24000000000 bytes assumed for --cuda-arch sm_89 (--gpu-memory gives the GPU's size); the largest --max-context that fits is 488023

// CHECK-LABEL: == big_gpu_memory.mlir
// CHECK-NEXT: error: --max-context 1048576 needs 103100326912 bytes of GPU memory {{.*}} more than the 100000000000 bytes of --gpu-memory; the largest --max-context that fits is 1017037

// FP16: #define BIG_CACHE_BYTES 25769803776ull

//--- big.mlir
module attributes {pare.decoder = {layers = 3 : i64, max_context = 1048576 : i64}} {
  func.func @big(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x2xf32> {
    %t = pare.constant dense<0.5> : tensor<2x4096xf32> loc("embed")
    %x = pare.gather %t, %ids {axis = 0 : i64} : (tensor<2x4096xf32>, tensor<?xi64>) -> tensor<?x4096xf32> loc("gather")
    %a0 = pare.attention %x, %x, %x {heads = 32 : i64, kv_heads = 32 : i64, head_dim = 128 : i64, scale = 0.088 : f32, causal, pare.kv_layer = 0 : i64} : (tensor<?x4096xf32>, tensor<?x4096xf32>, tensor<?x4096xf32>) -> tensor<?x4096xf32> loc("attn0")
    %a1 = pare.attention %a0, %a0, %a0 {heads = 32 : i64, kv_heads = 32 : i64, head_dim = 128 : i64, scale = 0.088 : f32, causal, pare.kv_layer = 1 : i64} : (tensor<?x4096xf32>, tensor<?x4096xf32>, tensor<?x4096xf32>) -> tensor<?x4096xf32> loc("attn1")
    %a2 = pare.attention %a1, %a1, %a1 {heads = 32 : i64, kv_heads = 32 : i64, head_dim = 128 : i64, scale = 0.088 : f32, causal, pare.kv_layer = 2 : i64} : (tensor<?x4096xf32>, tensor<?x4096xf32>, tensor<?x4096xf32>) -> tensor<?x4096xf32> loc("attn2")
    %w = pare.constant dense<0.25> : tensor<4096x2xf32> loc("lm_head")
    %l = pare.matmul %a2, %w {pare.tail} : (tensor<?x4096xf32>, tensor<4096x2xf32>) -> tensor<?x2xf32> loc("logits")
    return %l : tensor<?x2xf32>
  }
}
//--- exp.mlir
module attributes {pare.decoder = {layers = 0 : i64, max_context = 8 : i64}} {
  func.func @m(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %t = pare.constant dense<0.5> : tensor<4x8xf32> loc("embed")
    %x = pare.gather %t, %ids {axis = 0 : i64} : (tensor<4x8xf32>, tensor<?xi64>) -> tensor<?x8xf32> loc("gather")
    %e = pare.exp %x : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("exp")
    %w = pare.constant dense<0.25> : tensor<8x4xf32> loc("lm_head")
    %l = pare.matmul %e, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32> loc("logits")
    return %l : tensor<?x4xf32>
  }
}
//--- layers.mlir
module attributes {pare.decoder = {layers = 2 : i64, max_context = 8 : i64}} {
  func.func @m(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %t = pare.constant dense<0.5> : tensor<4x8xf32> loc("embed")
    %x = pare.gather %t, %ids {axis = 0 : i64} : (tensor<4x8xf32>, tensor<?xi64>) -> tensor<?x8xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal, pare.kv_layer = 0 : i64} : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("attn")
    %w = pare.constant dense<0.25> : tensor<8x4xf32> loc("lm_head")
    %l = pare.matmul %a, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32> loc("logits")
    return %l : tensor<?x4xf32>
  }
}
//--- not_causal.mlir
module attributes {pare.decoder = {layers = 1 : i64, max_context = 8 : i64}} {
  func.func @m(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %t = pare.constant dense<0.5> : tensor<4x8xf32> loc("embed")
    %x = pare.gather %t, %ids {axis = 0 : i64} : (tensor<4x8xf32>, tensor<?xi64>) -> tensor<?x8xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.5 : f32, pare.kv_layer = 0 : i64} : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("attn")
    %w = pare.constant dense<0.25> : tensor<8x4xf32> loc("lm_head")
    %l = pare.matmul %a, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32> loc("logits")
    return %l : tensor<?x4xf32>
  }
}
//--- not_ids.mlir
module attributes {pare.decoder = {layers = 0 : i64, max_context = 8 : i64}} {
  func.func @m(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %t = pare.constant dense<0.5> : tensor<4x8xf32> loc("embed")
    %x = pare.gather %t, %positions {axis = 0 : i64} : (tensor<4x8xf32>, tensor<?xi64>) -> tensor<?x8xf32> loc("gather")
    %w = pare.constant dense<0.25> : tensor<8x4xf32> loc("lm_head")
    %l = pare.matmul %x, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32> loc("logits")
    return %l : tensor<?x4xf32>
  }
}
//--- tail_attention.mlir
module attributes {pare.decoder = {layers = 1 : i64, max_context = 8 : i64}} {
  func.func @m(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %t = pare.constant dense<0.5> : tensor<4x8xf32> loc("embed")
    %x = pare.gather %t, %ids {axis = 0 : i64} : (tensor<4x8xf32>, tensor<?xi64>) -> tensor<?x8xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal, pare.kv_layer = 0 : i64, pare.tail} : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("attn")
    %w = pare.constant dense<0.25> : tensor<8x4xf32> loc("lm_head")
    %l = pare.matmul %a, %w {pare.tail} : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32> loc("logits")
    return %l : tensor<?x4xf32>
  }
}
//--- twice.mlir
module attributes {pare.decoder = {layers = 2 : i64, max_context = 8 : i64}} {
  func.func @m(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %t = pare.constant dense<0.5> : tensor<4x8xf32> loc("embed")
    %x = pare.gather %t, %ids {axis = 0 : i64} : (tensor<4x8xf32>, tensor<?xi64>) -> tensor<?x8xf32> loc("gather")
    %a = pare.attention %x, %x, %x {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal, pare.kv_layer = 0 : i64} : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("attn0")
    %b = pare.attention %a, %a, %a {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.5 : f32, causal, pare.kv_layer = 0 : i64} : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("attn1")
    %w = pare.constant dense<0.25> : tensor<8x4xf32> loc("lm_head")
    %l = pare.matmul %b, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32> loc("logits")
    return %l : tensor<?x4xf32>
  }
}
//--- w8a8.mlir
module attributes {pare.decoder = {layers = 0 : i64, max_context = 8 : i64}} {
  func.func @m(%ids: tensor<?xi64>, %positions: tensor<?xi64>) -> tensor<?x4xf32> {
    %t = pare.constant dense<0.5> : tensor<4x8xf32> loc("embed")
    %x = pare.gather %t, %ids {axis = 0 : i64} : (tensor<4x8xf32>, tensor<?xi64>) -> tensor<?x8xf32> loc("gather")
    %w = pare.constant dense<[[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, -128, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<4x8xi8> loc("w")
    %s = pare.constant dense<0.01> : tensor<4xf32> loc("s")
    %l = pare.matmul_w8a8 %x, %w, %s {act_quant = "per-token"} : (tensor<?x8xf32>, tensor<4x8xi8>, tensor<4xf32>) -> tensor<?x4xf32> loc("w8a8")
    return %l : tensor<?x4xf32>
  }
}
