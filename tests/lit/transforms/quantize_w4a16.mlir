// pare-quantize-w4a16 on one decoder layer (Inputs/w4a16_layer.mlir): the
// scale groups come from the graph (norm -> q/k/v, attention -> o with the
// GQA heads tied, norm -> gate/up, gated product -> down), every linear but
// the LM head becomes pare.matmul_nbits (pare.tail kept), the norm weights
// take 1/s, every linear's groups get a clipping search. Calibration: one
// window of 12 token ids run in the evaluator.
// RUN: pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w4a16{group-size=16 ids=1,5,9,3,0,12,7,7,2,15,4,11 verbose=true})' -mlir-elide-elementsattrs-if-larger=4 2>&1 | FileCheck %s --check-prefix=AWQ
// RUN: pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w4a16{group-size=32 awq=false verbose=true})' -mlir-elide-elementsattrs-if-larger=4 2>&1 | FileCheck %s --check-prefix=RTN

// AWQ: pare: w4a16: scale group: rms_norm 'input_layernorm' -> 'q_proj' 'k_proj' 'v_proj': alpha 0.45, output error 1.51802 (alpha 0: 4.11578)
// AWQ-NEXT: pare: w4a16: scale group: attention 'attention' -> 'o_proj' (1/s into 'v_proj' output columns, tied over the 2 query heads of each KV head): alpha 0.30
// AWQ-NEXT: pare: w4a16: scale group: rms_norm 'post_attention_layernorm' -> 'gate_proj' 'up_proj' (error on the MLP's output through 'down_proj'): alpha 0.60
// AWQ-NEXT: pare: w4a16: scale group: gated product 'gated' -> 'down_proj' (1/s into 'up_proj' output columns): alpha 0.35
// Every linear's clipping is searched, the queries' and keys' included.
// AWQ-NEXT: pare: w4a16: clipping search over the ratios 1, 0.975, ..., 0.525
// AWQ-NEXT: pare: w4a16: clipping 'q_proj': {{[0-9]+}} of 64 groups shrunk
// AWQ-NEXT: pare: w4a16: clipping 'k_proj': {{[0-9]+}} of 32 groups shrunk
// AWQ-NEXT: pare: w4a16: clipping 'v_proj': {{[0-9]+}} of 32 groups shrunk
// AWQ-NEXT: pare: w4a16: clipping 'o_proj': {{[0-9]+}} of 64 groups shrunk
// AWQ-NEXT: pare: w4a16: clipping 'gate_proj': {{[0-9]+}} of 128 groups shrunk
// AWQ-NEXT: pare: w4a16: clipping 'up_proj': {{[0-9]+}} of 128 groups shrunk
// AWQ-NEXT: pare: w4a16: clipping 'down_proj': {{[0-9]+}} of 128 groups shrunk
// AWQ-NEXT: pare: w4a16: 7 linears, 4 scale groups, output error on the sampled rows
// AWQ-NOT: pare.matmul %
// AWQ: pare.rms_norm
// AWQ: pare.matmul_nbits {{.*}} {bits = 4 : i64, group_size = 16 : i64} : (tensor<?x32xf32>, tensor<32x32xi8>, tensor<32x2xf32>, tensor<32x2xi8>) -> tensor<?x32xf32>
// AWQ: pare.matmul_nbits {{.*}} : (tensor<?x32xf32>, tensor<16x32xi8>, tensor<16x2xf32>, tensor<16x2xi8>) -> tensor<?x16xf32>
// AWQ: pare.matmul_nbits {{.*}} : (tensor<?x32xf32>, tensor<16x32xi8>, tensor<16x2xf32>, tensor<16x2xi8>) -> tensor<?x16xf32>
// AWQ: pare.attention
// AWQ: pare.matmul_nbits
// AWQ: pare.matmul_nbits {{.*}} {bits = 4 : i64, group_size = 16 : i64, pare.tail} : (tensor<?x32xf32>, tensor<64x32xi8>, tensor<64x2xf32>, tensor<64x2xi8>) -> tensor<?x64xf32>
// AWQ: pare.matmul_nbits {{.*}} pare.tail
// AWQ: pare.matmul_nbits {{.*}} {bits = 4 : i64, group_size = 16 : i64, pare.tail} : (tensor<?x64xf32>, tensor<32x64xi8>, tensor<32x4xf32>, tensor<32x4xi8>) -> tensor<?x32xf32>
// AWQ: pare.matmul {{.*}} {pare.tail} : (tensor<?x32xf32>, tensor<32x16xf32>) -> tensor<?x16xf32>
// AWQ-NOT: pare.matmul_nbits

// RTN-NOT: scale group
// RTN: pare: w4a16: 'q_proj' quantized without a scale (--awq off)
// RTN-NEXT: pare: w4a16: 'k_proj' quantized without a scale (--awq off)
// RTN-NEXT: pare: w4a16: 'v_proj' quantized without a scale (--awq off)
// RTN-NEXT: pare: w4a16: 'o_proj' quantized without a scale (--awq off)
// RTN-NEXT: pare: w4a16: 'gate_proj' quantized without a scale (--awq off)
// RTN-NEXT: pare: w4a16: 'up_proj' quantized without a scale (--awq off)
// RTN-NEXT: pare: w4a16: 'down_proj' quantized without a scale (--awq off)
// RTN: pare.matmul_nbits {{.*}} {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x32xf32>, tensor<32x32xi8>, tensor<32x1xf32>, tensor<32x1xi8>)
// RTN: pare.matmul_nbits {{.*}} {bits = 4 : i64, group_size = 32 : i64, pare.tail} : (tensor<?x64xf32>, tensor<32x64xi8>, tensor<32x2xf32>, tensor<32x2xi8>)
