//===- Passes.td - pare dialect passes ---------------------*- tablegen -*-===//
//
// Grouped by the phase of the compile pipeline that runs them (graph,
// quantize, plan: Pipelines.h), alphabetical inside a group. A pass's file,
// its flag and its lit test (tests/lit/transforms/) carry its name: Foo.cpp,
// --pare-foo, foo.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef PARE_TRANSFORMS_PASSES_TD
#define PARE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Graph phase: the same for every precision
//===----------------------------------------------------------------------===//

def ConvertToNHWCPass : Pass<"pare-convert-to-nhwc", "mlir::func::FuncOp"> {
  let summary = "Compute convolutions, pools and batch norms in NHWC";
  let description = [{
    Rewrites every rank-4 NCHW conv / pool / global pool / batch norm /
    temporal shift to its channels_last form, wrapping it in transposes, then
    pushes transposes through layout-agnostic ops (elementwise, concat,
    reductions, softmax, log_softmax) and above per-tensor dequantize /
    storage_cast, transposes quantized constant weights at compile time (a
    per-channel axis follows its dimension) and cancels inverse pairs. The
    function's own inputs and outputs keep the model's layout; only the
    transposes at the boundary remain.

    Before:
    ```mlir
    %0 = pare.conv %x, %w {...} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
    %1 = pare.relu %0 : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    ```
    After:
    ```mlir
    %t = pare.transpose %x {perm = array<i64: 0, 2, 3, 1>} : ... -> tensor<1x8x8x3xf32>
    %0 = pare.conv %t, %w_ohwi {channels_last, ...} : ... -> tensor<1x6x6x4xf32>
    %1 = pare.relu %0 : (tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
    %2 = pare.transpose %1 {perm = array<i64: 0, 3, 1, 2>} : ... -> tensor<1x4x6x6xf32>
    ```
  }];
  let dependentDialects = ["pare::PareDialect"];
}

def FoldBatchNormPass : Pass<"pare-fold-batch-norm", "mlir::func::FuncOp"> {
  let summary = "Fold inference batch norm into the preceding conv or gemm";
  let description = [{
    `batch_norm(conv(x, W, b))` with constant W, b and BN parameters becomes
    `conv(x, W * s, (b - mean) * s + beta)` with s = scale / sqrt(var + eps)
    per output channel. The same for gemm with trans_b over its N axis. A
    batch norm that follows anything else stays (the C target runs it as a
    per-channel affine).
  }];
  let dependentDialects = ["pare::PareDialect"];
}

def FoldPadPass : Pass<"pare-fold-pad", "mlir::func::FuncOp"> {
  let summary = "Fold an explicit zero pad into the following conv or pool's pads";
  let description = [{
    A constant-mode pad of the spatial dims (none negative) whose only user
    is a conv, max pool or average pool becomes part of that op's `pads`:
    `conv(pad(x, 0))` -> `conv(x)` with the pad added. The pad may be float
    (`pad(x, 0.0)`), between a dequantize and a quantize (tf2onnx's form of
    a TFLite int8 PAD: `dequantize(quantize(pad(x, 0.0)))`, the padded cells
    dequantize to 0), or on int8 storage with the zero point as its value.
    Max pools pad with -inf, so they take a pad of -inf, or of 0 where the
    input is >= 0 (a relu / clip from 0 before the pad, or an int8 zero
    point at the bottom of the range) and every window keeps a real cell.
    Average pools take a float zero pad and count it (`count_include_pad`)
    where they pad nothing themselves or count their pads already.
  }];
  let dependentDialects = ["pare::PareDialect"];
}

def FuseActivationsPass : Pass<"pare-fuse-activations", "mlir::func::FuncOp"> {
  let summary = "Fuse activations into their producers";
  let description = [{
    An activation (relu, clip, leaky_relu, sigmoid, hard_sigmoid, hard_swish,
    tanh, gelu, ...) whose input is produced by a conv, gemm, matmul or a
    float binary op with no other user becomes that producer's `activation`
    attribute, so the kernel applies it while the value is in registers.
    First, a matmul followed by the add of a constant per-column bias (a
    Linear layer) becomes one gemm with that bias as C, exported exact GELU
    (x * (erf(x / sqrt(2)) + 1) * 0.5) one gelu and exported hard-swish
    (x * relu6(x + 3) / 6) one hard_swish.

    ```mlir
    %0 = pare.conv %x, %w, %b {...}
    %1 = pare.clip %0 {max = 6.0, min = 0.0}
    // becomes
    %1 = pare.conv %x, %w, %b {activation = "clip", activation_params = array<f32: 0.0, 6.0>, ...}
    ```
  }];
  let dependentDialects = ["pare::PareDialect"];
}

def RecognizeDecoderPatternsPass
    : Pass<"pare-recognize-decoder-patterns", "mlir::func::FuncOp"> {
  let summary = "Raise exported RMS norms, rotary embeddings and attentions to pare ops";
  let description = [{
    Runs on the imported graph, before the layout passes. Each pattern is
    recognised by what a bounded candidate region computes, not by its ops:
    the region is cloned with the values it computes from constants (cos /
    sin tables, causal masks) into a scratch function and run by the
    evaluator, the op's parameters are read off probe results, and the op's
    definition (dialects/Pare/Eval/EvalLlm.cpp) is checked against the
    region on random inputs. What fails stays generic and compiles as before.

    1. pare.rms_norm: a reduction over the last dim (ReduceMean of Pow(x, 2)
       or x * x, ReduceSumSquare, ...) and the elementwise ops around it,
       from x to a value shaped as x. Rows of ones and of 0.01 give epsilon
       and the weight (the model's own constants where they match); the
       check uses rows of scales 1e-3 to 1e3.
    2. pare.rotary: from a value [S, F] (a projection) through data
       movement and arithmetic (the head split, rotate_half's slices / neg /
       concat, the products with the tables) to a value holding [S, H, D] or
       [H, S, D]. One-hot inputs show which dims pair (rotate_half or
       interleaved, a pass-through tail for partial rotary) and the angle of
       each pair at positions 1 and S-1: inv_freq (the model's constant where
       it matches). Every table entry is checked (random inputs at all S
       positions). The positions become an operand: the constant 0..S-1.
    3. pare.attention: a softmax over the last dim between two matmuls of
       computed operands (q k^T and probabilities x v), with the data
       movement around them (head split and merge, GQA's Expand / Reshape
       repeat, k's transpose), a scale (Div / Mul) and an additive mask
       computed from constants. q, k and v are what the region reads; the
       scale comes from a probe (1/sqrt(head_dim) or the model's constant
       where they match) and causal or not from the check. q, k, v and the
       result become [S, heads * head_dim] through reshapes / transposes
       that the canonicalizer composes with the model's.
  }];
  let dependentDialects = ["pare::PareDialect"];
}

def LowerDecoderOpsPass : Pass<"pare-lower-decoder-ops", "mlir::func::FuncOp"> {
  let summary = "Rewrite pare.rms_norm / rotary / attention of a whole sequence as generic ops";
  let description = [{
    The definitions of the decoder ops on a static sequence as generic ops,
    for a target without kernels for them (both C and CUDA have kernels, so
    no pipeline runs it: pare-opt only): rms_norm becomes x / sqrt(mean(x *
    x) + eps) * w; rotary (constant positions) x * C + gather(x, partner) *
    S with per-position cos and signed sin tables; attention per-head
    matmuls, the scale, an additive causal mask of float32's lowest value,
    softmax, the kv heads gathered for GQA. A decoder step function
    (pare.decoder module) is left alone; run-time rows or pare.kv_layer
    anywhere else are an error.
  }];
  let dependentDialects = ["pare::PareDialect"];
}

def RecognizeTemporalShiftPass
    : Pass<"pare-recognize-temporal-shift", "mlir::func::FuncOp"> {
  let summary = "Find TSM temporal-shift subgraphs and rewrite them to pare.temporal_shift";
  let description = [{
    Runs on the NCHW graph, before the layout passes. Two forms:

    1. x [N*T, C, H, W] viewed as frames by a reshape to [N, T, ...] (a 5-D
       [N, T, C, H, W], MMAction2's [N, T, C, H*W], one view per group), or
       a 5-D x [N, T, C, H, W] (a model input), then data movement (slices,
       splits, concats with zeros, pads, ScatterND / Where / Expand / Equal
       chains: PyTorch's export of TSM's in-place slice assignment, ...),
       zeros made by arithmetic (x - x, x * 0) and values computed from
       constants only (ConstantOfShape, Expand of a scalar 0), up to a
       reshape to [N*T, C, H, W]. The region is what lies on the paths from
       x to that reshape (an activation or a convolution ends it). What it
       computes is established by running it (the evaluator,
       dialects/Pare/Eval) on two probe tensors whose every element is
       distinct and non-zero (1, 2, 3, ... and a permutation with
       alternating signs, so that arithmetic that does more than move and
       zero elements shows):
       it is a temporal shift when each output element is its input element
       from frame t+1, t-1 or t (or zero past the clip's ends) with TSM's
       channel ranges, either group order (`bidirectional_reversed`).
       Whatever the export pattern, no op-by-op matching is needed.
    2. Online TSM with explicit shift buffers: a function argument B
       [N, fold, H, W] concatenated on channels before x[:, fold:], and a
       function result x[:, :fold]. The buffer becomes the op's internal state
       (`streaming`): the argument and the result leave the function, whose
       API becomes a per-frame step.

    Anything else stays as it is and compiles through the generic ops.
  }];
}

def UniqueDequantizePass : Pass<"pare-unique-dequantize", "mlir::func::FuncOp"> {
  let summary = "One dequantize per user (onnxruntime's EnsureUniqueDQForNodeUnit)";
  let description = [{
    A dequantize that feeds several ops is cloned so that each op reads its
    own (a function result keeps the original). Quantized models share one
    DequantizeLinear between the consumers of a tensor (a residual add and
    the next block's convolution); with one per user, pare-convert-to-nhwc
    moves each consumer's layout transposes past its own dequantize and
    LowerQuantized finds every int8 op's dequantize operands next to it.
    Clones are marked `pare.shared_dequantize`: onnxruntime fuses none of
    the consumers of a shared DequantizeLinear, so under ONNX rounding
    LowerQuantized keeps average pools that read one in float, as it does.

    ```mlir
    %d = pare.dequantize %q : ...
    %a = pare.add %d, %e : ...
    %c = pare.conv %d, %w : ...
    // becomes
    %d0 = pare.dequantize %q {pare.shared_dequantize} : ...
    %a = pare.add %d0, %e : ...
    %d1 = pare.dequantize %q {pare.shared_dequantize} : ...
    %c = pare.conv %d1, %w : ...
    ```
  }];
  let dependentDialects = ["pare::PareDialect"];
}

//===----------------------------------------------------------------------===//
// Quantize phase: int8 and fp16
//===----------------------------------------------------------------------===//

def ConvertToFP16Pass : Pass<"pare-convert-to-fp16", "mlir::func::FuncOp"> {
  let summary = "Store and compute float tensors in fp16 (GPU target)";
  let description = [{
    Every f32 tensor inside the function becomes f16: constants are rounded
    to the nearest half, result types and `cast` targets change, and casts
    are inserted at the boundary so that the function still takes and
    returns f32 (the API keeps the model's types); they are named after the
    tensors they convert (`x_fp16`, `y_fp32`). Kernels accumulate in float;
    only storage is halved.

    ```mlir
    func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
      %0 = pare.relu %x : (tensor<4xf32>) -> tensor<4xf32>
      return %0 : tensor<4xf32>
    }
    // becomes
    func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
      %h = pare.cast %x {to = f16} : (tensor<4xf32>) -> tensor<4xf16>
      %0 = pare.relu %h : (tensor<4xf16>) -> tensor<4xf16>
      %1 = pare.cast %0 {to = f32} : (tensor<4xf16>) -> tensor<4xf32>
      return %1 : tensor<4xf32>
    }
    ```
  }];
  let dependentDialects = ["pare::PareDialect"];
}

def InsertQDQPass : Pass<"pare-insert-qdq", "mlir::func::FuncOp"> {
  let summary = "Post-training int8 quantization: quantize/dequantize pairs from calibrated ranges";
  let description = [{
    Reads the ranges that calibration stored (`pare.ranges` on op results,
    `pare.range` on arguments) and brings the float graph into QDQ form, the
    form quantized ONNX models arrive in: every float activation that feeds or
    leaves an op with an int8 kernel (conv; gemm with alpha 1, no trans_a and
    constant B; 2-D matmul with constant B; add, mul, pools, global average
    pool, concat, temporal shift, unary activations, layout ops) passes
    through `dequantize(quantize(x))` with asymmetric int8 parameters covering
    its range (and 0); conv / gemm / matmul weights become per-output-channel
    symmetric int8 constants. Biases stay float; LowerQuantized turns them into
    i32 with scale input_scale * weight_scale. Layout ops and max / average
    pools keep their input's parameters, so they need no requantization. An
    op with an input or a result without a range is left in float with a
    warning. The ranges are removed afterwards.
  }];
  let dependentDialects = ["pare::PareDialect", "mlir::quant::QuantDialect"];
}

def LowerQuantizedPass : Pass<"pare-lower-quantized", "mlir::func::FuncOp"> {
  let summary = "Turn dequantize -> float op -> quantize patterns into int8 ops";
  let description = [{
    `quantize(conv(dequantize(x), dequantize(w), b))` becomes `pare.qconv`
    (and likewise gemm / matmul with constant B -> qfully_connected, add ->
    qadd, mul -> qmul, global average pool -> qglobal_average_pool, a unary
    activation -> lookup_table, pools and layout ops -> the same op on int8,
    other matmuls -> qmatmul). uint8 tensors become int8 with the zero point
    moved by 128 (flips remain only at the graph's edges). `quantize(
    dequantize(x))` becomes `x` or a requantize. What has no int8 kernel stays
    float between the remaining quantize / dequantize ops. Under ONNX int8
    rounding (`pare.int8_rounding` = "onnx": models that arrive quantized)
    the int8 ops follow onnxruntime: a softmax runs on int8, and average /
    global average pools only where onnxruntime fuses them (otherwise they
    stay in float); softmax and average pool keep their input's type and
    carry the output's parameters in `pare.out_scale` / `pare.out_zero_point`.
    With `pare.int8_islands` = "quantize" on the module (the driver's
    `--int8-islands quantize`, the default for Cortex-M targets), what is
    left in float between dequantize and quantize ops (an island) becomes
    int8 too (QuantizeIslands.cpp): a value inside an island without
    quantization parameters takes those of its calibrated range
    (`pare.ranges`, `--calibration`), else those of the next quantize
    downstream through ops that keep its range (layout ops, max pools,
    concat, relu / clip, resize, a residual add), else the pass fails
    naming the node; then the patterns above run without the ONNX-rounding
    exceptions (a change of scale, average pools, means and bilinear resizes
    become int8 too). The function's `pare.islands` lists the nodes made
    int8 and where their scales came from.
    Errors: a ConvInteger / MatMulInteger (a cast to i32 marked
    `pare.exact_integer`) that cannot be lowered, an int32 bias with a nonzero
    zero point, and a requantization whose multiplier TFLite's Q31
    arithmetic cannot hold.
  }];
  let dependentDialects = ["pare::PareDialect", "mlir::quant::QuantDialect"];
}

def SplitActivationsPass : Pass<"pare-split-activations", "mlir::func::FuncOp"> {
  let summary = "Unfuse activations that an int8 kernel cannot apply as a clamp";
  let description = [{
    Before calibration for int8: a conv / gemm / matmul / binary op with a
    fused activation other than relu or clip gets it back as a separate op,
    so that calibration sees the tensor between them and the activation can
    become an int8 lookup table.
  }];
  let dependentDialects = ["pare::PareDialect"];
}

//===----------------------------------------------------------------------===//
// Plan phase: what the code generators read
//===----------------------------------------------------------------------===//

def FuseResidualAddPass : Pass<"pare-fuse-residual-add", "mlir::func::FuncOp"> {
  let summary = "Mark producers whose kernel can add the following residual";
  let description = [{
    For targets whose conv / gemm / matmul kernels take a residual operand
    (CUDA): a producer without activation whose only user is the next
    computing op, an `add` of the producer's result (possibly through a
    reshape) and another tensor of the same shape, gets `pare.residual_add`.
    The memory planner then starts the add's buffer at the producer, and the
    code generator emits one kernel that computes act(producer + residual)
    straight into the add's buffer. The IR ops stay as they are.
  }];
}

def FuseTemporalShiftPass : Pass<"pare-fuse-temporal-shift", "mlir::func::FuncOp"> {
  let summary = "Fold a temporal shift into the 1x1 convolutions that read it";
  let description = [{
    A non-streaming pare.temporal_shift whose every user is a channels-last
    1x1, stride-1, unpadded, group-1 convolution (float, or int8 on the TFLite
    kernels) disappears: each convolution reads its input through the shift
    (`pare.shift_frames`, `pare.shift_fold`, `pare.shift_mode`), one shifted
    row at a time, so the shifted tensor is never materialised.
  }];
}

def BindDecoderInputsPass : Pass<"pare-bind-decoder-inputs", "mlir::ModuleOp"> {
  let summary = "Bind a decode-step export's mask, positions and empty past to constants";
  let description = [{
    A decoder exported as one generation step with an explicit cache (the
    transformers / optimum form: input_ids, attention_mask, position_ids,
    past_key_values.N.key/value -> logits, present.N.key/value), imported
    with no cached positions (the past inputs have a 0-length sequence dim),
    computes a whole sequence from nothing when its mask is all ones and
    its positions are 0..S-1: the full-sequence form. This pass replaces
    those inputs by those constants (the empty pasts by empty constants), so
    that the recognisers and pare-derive-decoder work on it; the presents
    stay outputs until the derivation finds them to be what the attentions
    read (the cache). An input it cannot bind is recorded in
    `pare.not_decoder`. A module with one input is left alone.
  }];
}

def QuantizeW4A16Pass : Pass<"pare-quantize-w4a16", "mlir::ModuleOp"> {
  let summary = "Weight-only 4-bit quantization of a decoder's linears (AWQ or round to nearest)";
  let description = [{
    Every linear of the decoder step function (pare.matmul of rows by a
    constant [K, N] float32 weight; the LM head, whose result the function
    returns, stays in float) becomes pare.matmul_nbits: 4-bit codes in groups
    of `group-size` along K, an fp16-representable scale and a zero point
    per group (asymmetric).

    awq=true (AWQ, issue 18): scale groups are read from the graph: an
    rms_norm and the linears it feeds (the inverse scale folds into the norm
    weight); up -> down through a gated product mul(a, up(x)) (into up's
    output columns); v -> o through an attention whose o input has the
    channel layout of v's columns (with GQA the scales of the heads sharing
    a KV head are tied: their mean |x| is averaged). A linear whose input has
    no such producer, or whose input also feeds anything else, is quantized
    without a scale. Per group, alpha in {0, 0.05, ..., 1} of s = mean|x|^alpha
    minimises the squared output error of the group's linears (a gated MLP's
    gate / up: the MLP's output) on the sampled calibration rows (sample-rows
    of them; the driver's --awq-search-rows, default 2048); then, per linear
    (the queries' and keys' too, which llm-awq leaves out), each group's
    range is shrunk by the ratio (1, 0.975, ..., 0.525) that minimises its
    output error on the same rows. The statistics come from the
    driver (collectLinearStats on tokenized text); from pare-opt, `ids` gives
    one window of token ids. awq=false: plain round to nearest (no statistics
    needed). verbose prints the groups and each search's result on stderr.
  }];
  let options = [
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Inputs per quantization group (a power of two >= 16 dividing every K)">,
    Option<"awq", "awq", "bool", /*default=*/"true",
           "Activation-aware scale and clipping search (false: round to nearest)">,
    ListOption<"ids", "ids", "int64_t", "Calibration token ids (one window; pare-opt)">,
    Option<"sampleRows", "sample-rows", "int64_t", /*default=*/"2048",
           "Calibration rows the searches evaluate, per linear input">,
    Option<"verbose", "verbose", "bool", /*default=*/"false",
           "Print the scale groups and the searches' results on stderr">
  ];
  let dependentDialects = ["pare::PareDialect"];
}

def QuantizeW8A8Pass : Pass<"pare-quantize-w8a8", "mlir::ModuleOp"> {
  let summary = "SmoothQuant W8A8 of a decoder's linears (int8 weights and activations)";
  let description = [{
    Every linear of the decoder step function (pare.matmul of rows by a
    constant [K, N] float32 weight; the LM head, whose result the function
    returns, stays in float) becomes pare.matmul_w8a8: int8 weights,
    symmetric per output channel (max|w| / 127), int8 activations per token
    (act-quant=per-token, scaled at run time) or per tensor
    (act-quant=per-tensor, the scale max|x| / 127 of the calibration set).

    Smoothing (SmoothQuant, issue 19): the scale groups of the graph (an
    rms_norm and the linears it feeds; the gated product before down, into
    up's output columns; the attention before o, into v's output columns,
    tied over the query heads of a KV head) divide their input channels by
    s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) and multiply the linears'
    weight columns by it; the producer absorbs 1 / s, so it costs nothing at
    run time. Linears whose input has no such producer are quantized
    unsmoothed. alpha: a number in [0, 1] for every group; "auto" searches
    each group over 0.3, 0.4, ..., 1.0 and then the two midpoints beside the
    best (per tensor: 0.3, ..., 0.9 only), and no smoothing, for the least
    squared error of the group's W8A8 outputs (computed by the run-time
    kernel) against float on the sampled calibration rows; "off" quantizes
    without smoothing. The statistics come from the driver
    (collectLinearStats on tokenized text); from pare-opt, `ids` gives one
    window of token ids. alpha=off with per-token needs none. verbose
    prints the groups, their alphas and errors on stderr.
  }];
  let options = [
    Option<"alpha", "alpha", "std::string", /*default=*/"\"0.5\"",
           "Migration strength in [0, 1], auto (searched per group) or off">,
    Option<"actQuant", "act-quant", "std::string", /*default=*/"\"per-token\"",
           "Activation quantization: per-token (dynamic) or per-tensor (static)">,
    ListOption<"ids", "ids", "int64_t", "Calibration token ids (one window; pare-opt)">,
    Option<"sampleRows", "sample-rows", "int64_t", /*default=*/"64",
           "Calibration rows the alpha search evaluates, per linear input">,
    Option<"verbose", "verbose", "bool", /*default=*/"false",
           "Print the smoothing groups, alphas and errors on stderr">
  ];
  let dependentDialects = ["pare::PareDialect"];
}

def DeriveDecoderPass : Pass<"pare-derive-decoder", "mlir::ModuleOp"> {
  let summary = "Derive the KV-cache decode step of a full-sequence decoder";
  let description = [{
    With `max-context` > 0, a module whose one function maps token ids
    [1, S] (S >= 2) to logits [1, S, V] through ops that each work per
    position, except `pare.attention` (raised by the recognisers), becomes
    the decoder step function: arguments `ids: tensor<?xi64>` and
    `positions: tensor<?xi64>`, every value a 2-D [rows, width] tensor with
    a run-time row count (one token when decoding, a chunk of the prompt in
    prefill), each attention numbered by its KV-cache layer
    (`pare.kv_layer`), the ops that feed no attention marked `pare.tail`
    (prefill needs them for the last row only), and the module marked
    `pare.decoder = {layers, max_context}`.

    Per op: reshapes that keep rows whole vanish; an embedding lookup
    (gather of a constant table by the ids) stays; a lookup of a position
    table by the constant 0..S-1 reads the step's positions; rotary
    embeddings take the step's positions (their full-sequence operand must
    be 0..S-1); matmuls of rows by a constant [K, N]; elementwise ops whose
    constant operands are the same at every position (a constant that
    differs by position, such as a causal mask or a cos / sin table the
    recognisers did not absorb, refuses). Anything else leaves the module
    unchanged with the reason in `pare.not_decoder` (the driver prints it;
    the model then compiles as a plain full-sequence graph).
  }];
  let options = [
    Option<"maxContext", "max-context", "int64_t", /*default=*/"0",
           "Positions the KV cache holds (0: do nothing)">
  ];
}

def PlanMemoryPass : Pass<"pare-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Place every intermediate tensor in one static arena, with patches when they pay";
  let description = [{
    Computes each tensor's lifetime over the op order (reshapes alias their
    input and extend its lifetime) and places tensors in one arena
    (dialects/Pare/Analysis/MemoryPlan, ArenaPlanner).

    planner=pare (default): independent branches are first reordered where
    that lowers the peak (the function gets `pare.reordered`); ops that can
    write over an operand that dies with them run in place (elementwise ops,
    int8 depthwise convolutions through the in-place kernel; marked
    `pare.in_place` = operand index); then several greedy orders and a local
    search. planner=greedy-by-size: TFLite Micro's planner, no reordering and
    no in-place (a baseline).

    patches=min|auto: patch-based inference (dialects/Pare/Analysis/Patches). min picks the
    split op and n x n grid with the smallest arena whose recomputed halos
    add at most max-recompute of the model's MACs; auto does so only when
    the unpatched arena exceeds arena-budget. Stage ops get `pare.patch_stage`
    and `pare.tile_offset` (and `pare.crop_offset` when they read a whole
    outside tensor); the function gets `pare.patch_grid` and
    `pare.patch_extra_macs` (the MACs the recomputed halos add).

    Results: `pare.offsets` on each op (one byte offset per result, -1 for
    values outside the arena and for stage tiles), `pare.scratch_offset`,
    `pare.live_bytes` (when not 0), and on the function `pare.arena_bytes` and
    `pare.live_bytes_bound` (the largest sum of bytes live at one op, a
    lower bound for any placement of these lifetimes).
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"16",
           "Byte alignment of every tensor in the arena">,
    Option<"planner", "planner", "::pare::planning::Planner",
           /*default=*/"::pare::planning::Planner::Pare", "Arena planner",
           [{::llvm::cl::values(
             clEnumValN(::pare::planning::Planner::Pare, "pare",
                        "reordering, in-place ops, greedy orders and a local search"),
             clEnumValN(::pare::planning::Planner::GreedyBySize, "greedy-by-size",
                        "TFLite Micro's planner (a baseline)"))}]>,
    Option<"patches", "patches", "::pare::planning::PatchMode",
           /*default=*/"::pare::planning::PatchMode::Off", "Patch-based inference",
           [{::llvm::cl::values(
             clEnumValN(::pare::planning::PatchMode::Off, "off", "layer by layer"),
             clEnumValN(::pare::planning::PatchMode::Auto, "auto",
                        "only when the unpatched arena exceeds arena-budget"),
             clEnumValN(::pare::planning::PatchMode::Min, "min",
                        "the smallest arena within max-recompute"))}]>,
    Option<"arenaBudget", "arena-budget", "int64_t", /*default=*/"0",
           "Arena bytes available (patches=auto)">,
    Option<"maxRecompute", "max-recompute", "double", /*default=*/"0.10",
           "Extra MACs allowed for recomputed halos, as a fraction of the model's">,
    Option<"patchGrid", "patch-grid", "int64_t", /*default=*/"0",
           "Only try this n x n grid (0: 2..8)">
  ];
}

def StreamTemporalShiftPass : Pass<"pare-stream-temporal-shift", "mlir::func::FuncOp"> {
  let summary = "Turn a T-frame TSM model into a one-frame streaming step";
  let description = [{
    Every temporal shift must be unidirectional (online TSM) with the same T,
    and every other op must treat dim 0 as independent samples; otherwise
    the pass fails, naming the shift or op in the way. Dim 0 of every tensor,
    the function's arguments and results included, is divided by T and the
    shifts become `streaming` (the previous frame's shifted channels live in
    a state buffer).
  }];
}

#endif // PARE_TRANSFORMS_PASSES_TD
