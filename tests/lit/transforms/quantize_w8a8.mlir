// pare-quantize-w8a8 (SmoothQuant) on one decoder layer (Inputs/w4a16_layer.mlir,
// whose embedding channels 5 and 17 are outliers): the smoothing groups come from
// the graph (norm -> q/k/v, attention -> o with the GQA heads tied, norm ->
// gate/up, gated product -> down); every linear but the LM head becomes
// pare.matmul_w8a8 (int8 [N, K], one scale per output channel; pare.tail kept);
// the input norm's weight takes 1/s (channel 5, the outlier, shrinks most: 0.8066
// -> 0.2947); per tensor, the linears reading one value share its calibrated
// scale; alpha auto searches each group (and beats unsmoothed on its error);
// bad options are refused naming the driver flag. Calibration: one window of 12
// token ids run in the evaluator.
// RUN: pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w8a8{ids=1,5,9,3,0,12,7,7,2,15,4,11 verbose=true})' -mlir-elide-elementsattrs-if-larger=40 2>&1 | FileCheck %s --check-prefix=HALF
// RUN: pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w8a8{alpha=off ids=1,5,9,3,0,12,7,7,2,15,4,11 verbose=true})' -mlir-elide-elementsattrs-if-larger=40 2>&1 | FileCheck %s --check-prefix=OFF
// RUN: pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w8a8{alpha=auto act-quant=per-tensor ids=1,5,9,3,0,12,7,7,2,15,4,11 verbose=true})' -mlir-elide-elementsattrs-if-larger=4 2>&1 | FileCheck %s --check-prefix=AUTO
// RUN: pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w8a8{alpha=auto ids=1,5,9,3,0,12,7,7,2,15,4,11 verbose=true})' -mlir-elide-elementsattrs-if-larger=4 2>&1 | FileCheck %s --check-prefix=AUTOTOK
// RUN: not pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w8a8{alpha=1.5 ids=1,2})' 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w8a8{alpha=abc ids=1,2})' 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w8a8{act-quant=per-row ids=1,2})' 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w8a8)' 2>&1 | FileCheck %s --check-prefix=NOSTATS
// RUN: not pare-opt %S/Inputs/w4a16_layer.mlir --pass-pipeline='builtin.module(pare-quantize-w8a8{alpha=off act-quant=per-tensor})' 2>&1 | FileCheck %s --check-prefix=NOSTATS-TENSOR

// HALF: pare: w8a8: smoothing group: rms_norm 'input_layernorm' -> 'q_proj' 'k_proj' 'v_proj': alpha 0.50
// HALF-NEXT: pare: w8a8: smoothing group: attention 'attention' -> 'o_proj' (1/s into 'v_proj' output columns, tied over the 2 query heads of each KV head): alpha 0.50
// HALF-NEXT: pare: w8a8: smoothing group: rms_norm 'post_attention_layernorm' -> 'gate_proj' 'up_proj': alpha 0.50
// HALF-NEXT: pare: w8a8: smoothing group: gated product 'gated' -> 'down_proj' (1/s into 'up_proj' output columns): alpha 0.50
// HALF-NEXT: pare: w8a8: 7 linears (per-token), 4 smoothing groups folded, output error on the sampled rows [[HALFERR:[0-9.]+]]
// HALF-NOT: pare.matmul %
// HALF: pare.constant dense<[0.886690378, 0.615579426, 0.813010275, 0.834534287, 0.639626443, 0.294716865,
// HALF-NEXT: pare.rms_norm
// HALF: pare.matmul_w8a8 {{.*}} {act_quant = "per-token"} : (tensor<?x32xf32>, tensor<32x32xi8>, tensor<32xf32>) -> tensor<?x32xf32>
// HALF: pare.matmul_w8a8 {{.*}} : (tensor<?x32xf32>, tensor<16x32xi8>, tensor<16xf32>) -> tensor<?x16xf32>
// HALF: pare.matmul_w8a8 {{.*}} : (tensor<?x32xf32>, tensor<16x32xi8>, tensor<16xf32>) -> tensor<?x16xf32>
// HALF: pare.attention
// HALF: pare.matmul_w8a8
// HALF: pare.matmul_w8a8 {{.*}} {act_quant = "per-token", pare.tail} : (tensor<?x32xf32>, tensor<64x32xi8>, tensor<64xf32>) -> tensor<?x64xf32>
// HALF: pare.matmul_w8a8 {{.*}} pare.tail
// HALF: pare.matmul_w8a8 {{.*}} {act_quant = "per-token", pare.tail} : (tensor<?x64xf32>, tensor<32x64xi8>, tensor<32xf32>) -> tensor<?x32xf32>
// HALF: pare.matmul {{.*}} {pare.tail} : (tensor<?x32xf32>, tensor<32x16xf32>) -> tensor<?x16xf32>
// HALF-NOT: pare.matmul_w8a8

// Without smoothing: the norm weight as it was, a larger output error.
// OFF-NOT: smoothing group
// OFF: pare: w8a8: 'q_proj' quantized unsmoothed (alpha off)
// OFF: pare: w8a8: 'down_proj' quantized unsmoothed (alpha off)
// OFF-NEXT: pare: w8a8: 7 linears (per-token), 0 smoothing groups folded, output error on the sampled rows 0.570222
// OFF: pare.constant dense<[1.093000e+00, 8.693000e-01, 9.039000e-01, 8.938000e-01, 9.998000e-01, 0.806599974,

// AUTO: pare: w8a8: smoothing group: rms_norm 'input_layernorm' -> 'q_proj' 'k_proj' 'v_proj': alpha 0.80, output error 0.0375788 (unsmoothed 0.213488)
// AUTO-NEXT: pare: w8a8: smoothing group: attention 'attention' -> 'o_proj' {{.*}}: alpha 0.60, output error 0.00620273 (unsmoothed 0.00859619)
// AUTO-NEXT: pare: w8a8: smoothing group: rms_norm 'post_attention_layernorm' -> 'gate_proj' 'up_proj': alpha 0.70, output error 0.088315 (unsmoothed 0.401638)
// AUTO-NEXT: pare: w8a8: smoothing group: gated product 'gated' -> 'down_proj' {{.*}}: alpha 0.70, output error 0.0366005 (unsmoothed 0.322916)
// AUTO-NEXT: pare: w8a8: 7 linears (per-tensor), 4 smoothing groups folded
// AUTO: pare.matmul_w8a8 {{.*}} {act_quant = "per-tensor", act_scale = [[QKV:[0-9.e-]+]] : f32} : (tensor<?x32xf32>, tensor<32x32xi8>
// AUTO: pare.matmul_w8a8 {{.*}} {act_quant = "per-tensor", act_scale = [[QKV]] : f32} : (tensor<?x32xf32>, tensor<16x32xi8>
// AUTO: pare.matmul_w8a8 {{.*}} {act_quant = "per-tensor", act_scale = [[QKV]] : f32} : (tensor<?x32xf32>, tensor<16x32xi8>
// AUTO: pare.matmul_w8a8 {{.*}} {act_quant = "per-tensor", act_scale = [[GU:[0-9.e-]+]] : f32, pare.tail} : (tensor<?x32xf32>, tensor<64x32xi8>
// AUTO: pare.matmul_w8a8 {{.*}} {act_quant = "per-tensor", act_scale = [[GU]] : f32, pare.tail} : (tensor<?x32xf32>, tensor<64x32xi8>

// Per token the search runs on to 1.0 and refines the grid's best by the
// midpoints beside it (0.75, 0.55: off the 0.1 grid).
// AUTOTOK: pare: w8a8: smoothing group: rms_norm 'input_layernorm' -> 'q_proj' 'k_proj' 'v_proj': alpha 0.75, output error 0.0259338 (unsmoothed 0.121005)
// AUTOTOK-NEXT: pare: w8a8: smoothing group: attention 'attention' -> 'o_proj' {{.*}}: alpha 0.55, output error 0.00465824 (unsmoothed 0.0071849)
// AUTOTOK-NEXT: pare: w8a8: smoothing group: rms_norm 'post_attention_layernorm' -> 'gate_proj' 'up_proj': alpha 0.60, output error 0.0659232 (unsmoothed 0.339542)
// AUTOTOK-NEXT: pare: w8a8: smoothing group: gated product 'gated' -> 'down_proj' {{.*}}: alpha 0.50, output error 0.0307333 (unsmoothed 0.10249)
// AUTOTOK-NEXT: pare: w8a8: 7 linears (per-token), 4 smoothing groups folded

// RANGE: error: alpha must be a number in [0, 1], auto or off, not '1.5' (--smooth-alpha)
// NAN: error: alpha must be a number in [0, 1], auto or off, not 'abc' (--smooth-alpha)
// MODE: error: act-quant must be per-token or per-tensor, not 'per-row' (--act-quant)
// NOSTATS: error: smoothing needs calibration statistics (--calibration; pare-opt: ids=...)
// NOSTATS-TENSOR: error: per-tensor activation scales needs calibration statistics
