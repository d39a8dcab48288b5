//===- PareOps.td - pare dialect operations -----------------*- tablegen -*-===//
//
// The pare dialect: tensor-level operations with static shapes. Every op
// infers its result type from its operands and attributes (the verifier checks
// the declared type against the inferred one), so the importer, the passes and
// hand-written IR all agree on shapes.
//
// Spatial ops (conv, pools, batch norm) carry `channels_last`: absent, they
// compute in the ONNX layout (NCHW, weights OIHW); present, in NHWC with
// weights OHWI (a depthwise weight is [C, kh, kw, 1]). The ConvertToNHWC pass sets it.
//
//===----------------------------------------------------------------------===//

#ifndef PARE_OPS_TD
#define PARE_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Dialect/Quant/IR/QuantBase.td"

def Pare_Dialect : Dialect {
  let name = "pare";
  let summary = "Tensor-level operations of the pare model compiler";
  let description = [{
    Operations on statically shaped tensors, close to ONNX semantics, that
    pare's graph passes, memory planner and code generators work on.
  }];
  let cppNamespace = "::pare";
  let usePropertiesForAttributes = 0;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::quant::QuantDialect"];

  // The discardable attributes that one stage of the compiler leaves for the
  // next (the importer for the passes, calibration for quantization, the
  // passes for the analyses and the code generators). Their names in the IR
  // are "pare." followed by the name below. Read and write them through
  // dialects/Pare/IR/PareAttrs.h; the helpers generated from this list give
  // their names (e.g. PareDialect::ArenaBytesAttrHelper::getNameStr()).
  let discardableAttrs = (ins
    // Importer. Module: the model's opset and producer. Function arguments
    // and results: the ONNX value name. Casts of ConvInteger / MatMulInteger
    // operands: the integer arithmetic must be exact (LowerQuantized).
    "::mlir::IntegerAttr":$opset,
    "::mlir::StringAttr":$producer,
    "::mlir::StringAttr":$name,
    "::mlir::UnitAttr":$exact_integer,
    // Driver. Module: "onnx" (models that arrive quantized) or "tflite".
    "::mlir::StringAttr":$int8_rounding,
    // Driver. Module: "keep" (ops that a quantized model leaves in float
    // between dequantize and quantize stay in float) or "quantize" (they
    // become int8: LowerQuantized's quantizeIslands).
    "::mlir::StringAttr":$int8_islands,
    // UniqueDequantize: a dequantize cloned from one that fed several ops
    // (onnxruntime fuses none of its consumers into an int8 op).
    "::mlir::UnitAttr":$shared_dequantize,
    // LowerQuantized (quantizeIslands), per function: the island nodes made
    // int8, one dictionary each (node, op, scales), for -v and the memory
    // report.
    "::mlir::ArrayAttr":$islands,
    // Calibration: [min, max] of a function argument; [min, max] per result
    // of an op (NaN when unknown). InsertQDQ consumes and removes them.
    "::mlir::DenseF32ArrayAttr":$range,
    "::mlir::DenseF32ArrayAttr":$ranges,
    // LowerQuantized: output quantization of an int8 op whose result type
    // does not carry it (lookup tables, softmax, average pools).
    "::mlir::FloatAttr":$out_scale,
    "::mlir::IntegerAttr":$out_zero_point,
    // FuseResidualAdd: the producer's kernel adds the following residual.
    "::mlir::UnitAttr":$residual_add,
    // FuseTemporalShift: a 1x1 conv that reads its input through a shift.
    "::mlir::IntegerAttr":$shift_frames,
    "::mlir::IntegerAttr":$shift_fold,
    "::mlir::StringAttr":$shift_mode,
    // PlanMemory, per op: arena byte offset of each result (-1 outside the
    // arena), bytes live while it runs, scratch buffer offset, the operand
    // it overwrites, patch stage membership and tile / crop buffer offsets.
    "::mlir::DenseI64ArrayAttr":$offsets,
    "::mlir::IntegerAttr":$live_bytes,
    "::mlir::IntegerAttr":$scratch_offset,
    "::mlir::IntegerAttr":$in_place,
    "::mlir::UnitAttr":$patch_stage,
    "::mlir::IntegerAttr":$tile_offset,
    "::mlir::IntegerAttr":$crop_offset,
    // PlanMemory, per function: arena size, lower bound on any placement,
    // ops reordered for memory, patch grid and the MACs patches add.
    "::mlir::IntegerAttr":$arena_bytes,
    "::mlir::IntegerAttr":$live_bytes_bound,
    "::mlir::UnitAttr":$reordered,
    "::mlir::IntegerAttr":$patch_grid,
    "::mlir::IntegerAttr":$patch_extra_macs,
    // pare inspect: the layer index of an op in its per-layer report.
    "::mlir::IntegerAttr":$layer,
    // pare-derive-decoder. Module: {max_context, layers} of the decoder step
    // function. pare.attention: its KV cache layer. Any op: it feeds no
    // attention (prefill may compute it for the last row only).
    "::mlir::DictionaryAttr":$decoder,
    "::mlir::IntegerAttr":$kv_layer,
    "::mlir::UnitAttr":$tail,
    // pare-derive-decoder. Module: why a model compiled with --max-context
    // stays a plain full-sequence graph (the driver prints it with -v).
    "::mlir::StringAttr":$not_decoder
  );
}

class Pare_Op<string mnemonic, list<Trait> traits = []>
    : Op<Pare_Dialect, mnemonic, !listconcat(traits, [Pure])> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

// An op whose result type is computed by a shape function in PareOps.cpp.
class Pare_InferredOp<string mnemonic, list<Trait> traits = []>
    : Pare_Op<mnemonic, !listconcat(traits, [InferTypeOpAdaptor])>;

def Pare_Tensor : RankedTensorOf<[AnyType]>;

// Fused activation: the name of an activation applied to the op's result
// ("relu", "clip", "leaky_relu", "hard_sigmoid", "hard_swish", "sigmoid",
// "tanh", ...) and its float parameters.
defvar Pare_ActAttrs = (ins OptionalAttr<StrAttr>:$activation,
                            OptionalAttr<DenseF32ArrayAttr>:$activation_params);

//===----------------------------------------------------------------------===//
// Constants and identity
//===----------------------------------------------------------------------===//

def Pare_ConstantOp : Pare_Op<"constant", [ConstantLike]> {
  let summary = "A constant tensor (weights, folded shapes)";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Pare_Tensor:$output);
  let assemblyFormat = ?;
  let hasCustomAssemblyFormat = 1;
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Pare_IdentityOp : Pare_InferredOp<"identity"> {
  let summary = "Identity (also Dropout in inference); folded away";
  let arguments = (ins Pare_Tensor:$input);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Convolution and matrix products
//===----------------------------------------------------------------------===//

def Pare_ConvOp : Pare_InferredOp<"conv"> {
  let summary = "2-D convolution with groups, strides, dilations and pads";
  let description = [{
    `pads` are [top, left, bottom, right]. With `channels_last` the input and
    output are NHWC and the weight is OHWI, else NCHW and OIHW. A depthwise
    convolution is `group` = input channels = output channels.
  }];
  let arguments = !con((ins Pare_Tensor:$input, Pare_Tensor:$weight,
                            Optional<Pare_Tensor>:$bias,
                            DenseI64ArrayAttr:$strides,
                            DenseI64ArrayAttr:$dilations,
                            DenseI64ArrayAttr:$pads,
                            I64Attr:$group,
                            UnitAttr:$channels_last), Pare_ActAttrs);
  let results = (outs Pare_Tensor:$output);
  let extraClassDeclaration = [{
    bool isDepthwise();
  }];
}

def Pare_ConvTransposeOp : Pare_InferredOp<"conv_transpose"> {
  let summary = "2-D transposed convolution (ONNX ConvTranspose)";
  let description = [{
    The gradient of `pare.conv` with respect to its input: every input pixel
    scatters its kernel-weighted values over a stride-spaced window of the
    output. `pads` are [top, left, bottom, right] and are cropped from the
    full output; `output_padding` [h, w] adds rows and columns at the bottom
    and right. The importer resolves auto_pad and output_shape into these.
    Output size per dim: stride * (in - 1) + output_padding
    + dilation * (kernel - 1) + 1 - pad_begin - pad_end.
    Weights are [C_in, C_out / group, kh, kw] (the ONNX layout), or with
    `channels_last` [C_in, kh, kw, C_out / group] (NHWC input and output).
  }];
  let arguments = !con((ins Pare_Tensor:$input, Pare_Tensor:$weight,
                            Optional<Pare_Tensor>:$bias,
                            DenseI64ArrayAttr:$strides,
                            DenseI64ArrayAttr:$dilations,
                            DenseI64ArrayAttr:$pads,
                            DenseI64ArrayAttr:$output_padding,
                            I64Attr:$group,
                            UnitAttr:$channels_last), Pare_ActAttrs);
  let results = (outs Pare_Tensor:$output);
}

def Pare_GemmOp : Pare_InferredOp<"gemm"> {
  let summary = "alpha * op(A) * op(B) + beta * C (ONNX Gemm)";
  let arguments = !con((ins Pare_Tensor:$a, Pare_Tensor:$b,
                            Optional<Pare_Tensor>:$c,
                            F32Attr:$alpha, F32Attr:$beta,
                            BoolAttr:$trans_a, BoolAttr:$trans_b), Pare_ActAttrs);
  let results = (outs Pare_Tensor:$output);
}

def Pare_MatMulOp : Pare_InferredOp<"matmul"> {
  let summary = "Batched matrix product with NumPy broadcasting (ONNX MatMul)";
  let arguments = !con((ins Pare_Tensor:$a, Pare_Tensor:$b), Pare_ActAttrs);
  let results = (outs Pare_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Pare_BinaryOp<string mnemonic, string doc>
    : Pare_InferredOp<mnemonic> {
  let summary = doc # " with NumPy broadcasting";
  let arguments = !con((ins Pare_Tensor:$lhs, Pare_Tensor:$rhs), Pare_ActAttrs);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
}

def Pare_AddOp : Pare_BinaryOp<"add", "Elementwise sum">;
def Pare_SubOp : Pare_BinaryOp<"sub", "Elementwise difference">;
def Pare_MulOp : Pare_BinaryOp<"mul", "Elementwise product">;
def Pare_DivOp : Pare_BinaryOp<"div", "Elementwise quotient">;
def Pare_PowOp : Pare_BinaryOp<"pow", "Elementwise power">;
def Pare_MaxOp : Pare_BinaryOp<"max", "Elementwise maximum">;
def Pare_MinOp : Pare_BinaryOp<"min", "Elementwise minimum">;
def Pare_ModOp : Pare_BinaryOp<"mod", "Elementwise remainder (ONNX Mod)"> {
  let arguments = (ins Pare_Tensor:$lhs, Pare_Tensor:$rhs, BoolAttr:$fmod,
                       OptionalAttr<StrAttr>:$activation,
                       OptionalAttr<DenseF32ArrayAttr>:$activation_params);
}

class Pare_CompareOp<string mnemonic, string doc> : Pare_InferredOp<mnemonic> {
  let summary = doc # " with NumPy broadcasting; i1 result";
  let arguments = (ins Pare_Tensor:$lhs, Pare_Tensor:$rhs);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
}

def Pare_EqualOp : Pare_CompareOp<"equal", "a == b">;
def Pare_LessOp : Pare_CompareOp<"less", "a < b">;
def Pare_LessOrEqualOp : Pare_CompareOp<"less_or_equal", "a <= b">;
def Pare_GreaterOp : Pare_CompareOp<"greater", "a > b">;
def Pare_GreaterOrEqualOp : Pare_CompareOp<"greater_or_equal", "a >= b">;
def Pare_AndOp : Pare_CompareOp<"and", "Logical and">;
def Pare_OrOp : Pare_CompareOp<"or", "Logical or">;
def Pare_XorOp : Pare_CompareOp<"xor", "Logical xor">;

def Pare_WhereOp : Pare_InferredOp<"where"> {
  let summary = "cond ? x : y with NumPy broadcasting";
  let arguments = (ins Pare_Tensor:$condition, Pare_Tensor:$x, Pare_Tensor:$y);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
}

class Pare_UnaryOp<string mnemonic, string doc, list<Trait> traits = []>
    : Pare_InferredOp<mnemonic, traits> {
  let summary = doc;
  let arguments = (ins Pare_Tensor:$input);
  let results = (outs Pare_Tensor:$output);
}

// Math functions: the C target calls pare_unary_* with the matching opcode.
def Pare_SqrtOp : Pare_UnaryOp<"sqrt", "Square root">;
def Pare_ExpOp : Pare_UnaryOp<"exp", "Exponential">;
def Pare_ErfOp : Pare_UnaryOp<"erf", "Error function">;
def Pare_NegOp : Pare_UnaryOp<"neg", "Negation"> { let hasFolder = 1; }
def Pare_ReciprocalOp : Pare_UnaryOp<"reciprocal", "1 / x">;
def Pare_AbsOp : Pare_UnaryOp<"abs", "Absolute value">;
def Pare_LogOp : Pare_UnaryOp<"log", "Natural logarithm">;
def Pare_FloorOp : Pare_UnaryOp<"floor", "Floor">;
def Pare_CeilOp : Pare_UnaryOp<"ceil", "Ceiling">;
def Pare_RoundOp : Pare_UnaryOp<"round", "Round half to even">;
def Pare_SignOp : Pare_UnaryOp<"sign", "Sign">;
def Pare_SinOp : Pare_UnaryOp<"sin", "Sine">;
def Pare_CosOp : Pare_UnaryOp<"cos", "Cosine">;
def Pare_TanOp : Pare_UnaryOp<"tan", "Tangent">;
def Pare_AsinOp : Pare_UnaryOp<"asin", "Arcsine">;
def Pare_AcosOp : Pare_UnaryOp<"acos", "Arccosine">;
def Pare_AtanOp : Pare_UnaryOp<"atan", "Arctangent">;
def Pare_SinhOp : Pare_UnaryOp<"sinh", "Hyperbolic sine">;
def Pare_CoshOp : Pare_UnaryOp<"cosh", "Hyperbolic cosine">;
def Pare_AsinhOp : Pare_UnaryOp<"asinh", "Inverse hyperbolic sine">;
def Pare_AcoshOp : Pare_UnaryOp<"acosh", "Inverse hyperbolic cosine">;
def Pare_AtanhOp : Pare_UnaryOp<"atanh", "Inverse hyperbolic tangent">;
def Pare_NotOp : Pare_UnaryOp<"not", "Logical not">;

// Activations: fusable into conv / gemm / matmul / binary producers.
def Pare_ReluOp : Pare_UnaryOp<"relu", "max(x, 0)">;
def Pare_SigmoidOp : Pare_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Pare_TanhOp : Pare_UnaryOp<"tanh", "Hyperbolic tangent">;
def Pare_HardSwishOp : Pare_UnaryOp<"hard_swish", "x * relu6(x + 3) / 6">;
def Pare_SoftplusOp : Pare_UnaryOp<"softplus", "log(1 + exp(x))">;
def Pare_SoftsignOp : Pare_UnaryOp<"softsign", "x / (1 + |x|)">;
def Pare_MishOp : Pare_UnaryOp<"mish", "x * tanh(softplus(x))">;

def Pare_ClipOp : Pare_InferredOp<"clip"> {
  let summary = "min(max(x, min), max)";
  let arguments = (ins Pare_Tensor:$input, F32Attr:$min, F32Attr:$max);
  let results = (outs Pare_Tensor:$output);
}

def Pare_ClipDynamicOp : Pare_InferredOp<"clip_dynamic"> {
  let summary = "min(max(x, min), max) with bounds computed at run time";
  let description = [{
    ONNX Clip (opset 11+) whose `min` or `max` input is computed by the graph
    (librosa's power_to_db floor: Clip(x, ReduceMax(x) - 80)). `min` and
    `max` are one-element tensors of x's element type, read when the op runs
    and broadcast over x; a bound the model leaves out is a constant lowest /
    max float. Semantics of pare.clip (onnxruntime's: a NaN x stays NaN, a NaN
    bound is ignored, min > max gives max). Bounds known at compile time make
    a pare.clip instead (the importer, and canonicalization once folding has
    made both constant), which can fuse into its producer.
  }];
  let arguments = (ins Pare_Tensor:$input, Pare_Tensor:$min, Pare_Tensor:$max);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

class Pare_AlphaActOp<string mnemonic, string doc> : Pare_InferredOp<mnemonic> {
  let summary = doc;
  let arguments = (ins Pare_Tensor:$input, F32Attr:$alpha);
  let results = (outs Pare_Tensor:$output);
}
def Pare_LeakyReluOp : Pare_AlphaActOp<"leaky_relu", "x >= 0 ? x : alpha * x">;
def Pare_EluOp : Pare_AlphaActOp<"elu", "x >= 0 ? x : alpha * (exp(x) - 1)">;
def Pare_CeluOp : Pare_AlphaActOp<"celu", "max(0,x) + min(0, alpha*(exp(x/alpha)-1))">;
def Pare_ThresholdedReluOp : Pare_AlphaActOp<"thresholded_relu", "x > alpha ? x : 0">;

def Pare_HardSigmoidOp : Pare_InferredOp<"hard_sigmoid"> {
  let summary = "max(0, min(1, alpha * x + beta))";
  let arguments = (ins Pare_Tensor:$input, F32Attr:$alpha, F32Attr:$beta);
  let results = (outs Pare_Tensor:$output);
}

def Pare_SeluOp : Pare_InferredOp<"selu"> {
  let summary = "gamma * (x > 0 ? x : alpha * (exp(x) - 1))";
  let arguments = (ins Pare_Tensor:$input, F32Attr:$alpha, F32Attr:$gamma);
  let results = (outs Pare_Tensor:$output);
}

def Pare_GeluOp : Pare_InferredOp<"gelu"> {
  let summary = "Gaussian error linear unit (exact or tanh approximation)";
  let arguments = (ins Pare_Tensor:$input, BoolAttr:$tanh_approximation);
  let results = (outs Pare_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Pooling and normalisation
//===----------------------------------------------------------------------===//

class Pare_PoolOp<string mnemonic, string doc> : Pare_InferredOp<mnemonic> {
  let summary = doc;
  let description = [{
    `pads` are [top, left, bottom, right]; ceil_mode is resolved by the
    importer into extra bottom/right padding that windows may not start in.
  }];
  let arguments = (ins Pare_Tensor:$input,
                       DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads,
                       BoolAttr:$ceil_mode,
                       BoolAttr:$count_include_pad,
                       UnitAttr:$channels_last);
  let results = (outs Pare_Tensor:$output);
}
def Pare_MaxPoolOp : Pare_PoolOp<"max_pool", "2-D max pooling">;
def Pare_AveragePoolOp : Pare_PoolOp<"average_pool", "2-D average pooling">;

class Pare_GlobalPoolOp<string mnemonic, string doc> : Pare_InferredOp<mnemonic> {
  let summary = doc;
  let arguments = (ins Pare_Tensor:$input, UnitAttr:$channels_last);
  let results = (outs Pare_Tensor:$output);
}
def Pare_GlobalAveragePoolOp : Pare_GlobalPoolOp<"global_average_pool",
                                                 "Mean over all spatial positions">;
def Pare_GlobalMaxPoolOp : Pare_GlobalPoolOp<"global_max_pool",
                                             "Maximum over all spatial positions">;

def Pare_BatchNormOp : Pare_InferredOp<"batch_norm"> {
  let summary = "Inference-mode batch normalisation";
  let arguments = (ins Pare_Tensor:$input, Pare_Tensor:$scale,
                       Pare_Tensor:$bias, Pare_Tensor:$mean, Pare_Tensor:$variance,
                       F32Attr:$epsilon, UnitAttr:$channels_last);
  let results = (outs Pare_Tensor:$output);
}

def Pare_LayerNormOp : Pare_InferredOp<"layer_norm"> {
  let summary = "Layer normalisation over the dims from `axis` on";
  let arguments = (ins Pare_Tensor:$input, Pare_Tensor:$scale,
                       Optional<Pare_Tensor>:$bias, I64Attr:$axis,
                       F32Attr:$epsilon);
  let results = (outs Pare_Tensor:$output);
}

class Pare_SoftmaxBase<string mnemonic, string doc> : Pare_InferredOp<mnemonic> {
  let summary = doc # " along one axis";
  let arguments = (ins Pare_Tensor:$input, I64Attr:$axis);
  let results = (outs Pare_Tensor:$output);
}
def Pare_SoftmaxOp : Pare_SoftmaxBase<"softmax", "Softmax">;
def Pare_LogSoftmaxOp : Pare_SoftmaxBase<"log_softmax", "Log of softmax">;

class Pare_ReduceOp<string mnemonic, string doc> : Pare_InferredOp<mnemonic> {
  let summary = doc # " over `axes` (non-negative, sorted)";
  let arguments = (ins Pare_Tensor:$input, DenseI64ArrayAttr:$axes,
                       BoolAttr:$keepdims);
  let results = (outs Pare_Tensor:$output);
}
def Pare_ReduceSumOp : Pare_ReduceOp<"reduce_sum", "Sum">;
def Pare_ReduceMeanOp : Pare_ReduceOp<"reduce_mean", "Mean">;
def Pare_ReduceMaxOp : Pare_ReduceOp<"reduce_max", "Maximum">;
def Pare_ReduceMinOp : Pare_ReduceOp<"reduce_min", "Minimum">;
def Pare_ReduceProdOp : Pare_ReduceOp<"reduce_prod", "Product">;
def Pare_ReduceL1Op : Pare_ReduceOp<"reduce_l1", "Sum of absolute values">;
def Pare_ReduceL2Op : Pare_ReduceOp<"reduce_l2", "Euclidean norm">;
def Pare_ReduceSumSquareOp : Pare_ReduceOp<"reduce_sum_square", "Sum of squares">;
def Pare_ReduceLogSumExpOp : Pare_ReduceOp<"reduce_log_sum_exp", "log(sum(exp(x)))">;

class Pare_ArgReduceOp<string mnemonic, string doc> : Pare_InferredOp<mnemonic> {
  let summary = doc;
  let arguments = (ins Pare_Tensor:$input, I64Attr:$axis, BoolAttr:$keepdims,
                       BoolAttr:$select_last_index);
  let results = (outs Pare_Tensor:$output);
}
def Pare_ArgMaxOp : Pare_ArgReduceOp<"arg_max", "Index of the maximum (int64)">;
def Pare_ArgMinOp : Pare_ArgReduceOp<"arg_min", "Index of the minimum (int64)">;

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Pare_ReshapeOp : Pare_Op<"reshape"> {
  let summary = "Reinterpret the shape; same elements in the same order";
  let description = [{
    The target shape is the result type. Flatten, Squeeze and Unsqueeze
    canonicalise to this op. It never copies: the memory planner aliases the
    result with the input.
  }];
  let arguments = (ins Pare_Tensor:$input);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Pare_FlattenOp : Pare_InferredOp<"flatten"> {
  let summary = "Flatten to 2-D at `axis`";
  let arguments = (ins Pare_Tensor:$input, I64Attr:$axis);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Pare_SqueezeOp : Pare_InferredOp<"squeeze"> {
  let summary = "Remove size-1 dims at `axes`";
  let arguments = (ins Pare_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Pare_UnsqueezeOp : Pare_InferredOp<"unsqueeze"> {
  let summary = "Insert size-1 dims at `axes` (of the result)";
  let arguments = (ins Pare_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Pare_TransposeOp : Pare_InferredOp<"transpose"> {
  let summary = "Permute dims: result dim i is input dim perm[i]";
  let arguments = (ins Pare_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Pare_ConcatOp : Pare_InferredOp<"concat"> {
  let summary = "Concatenate along `axis`";
  let arguments = (ins Variadic<Pare_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
}

def Pare_SliceOp : Pare_InferredOp<"slice"> {
  let summary = "Strided slice with one start / end / step per dim";
  let description = [{
    `starts`, `ends` and `steps` have one entry per input dim, already
    clamped as ONNX Slice specifies (ends may be -1 for a negative step that
    runs to the front).
  }];
  let arguments = (ins Pare_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
}

def Pare_SplitOp : Pare_InferredOp<"split"> {
  let summary = "Split along `axis` into parts of the given sizes";
  let arguments = (ins Pare_Tensor:$input, I64Attr:$axis,
                       DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Pare_Tensor>:$outputs);
}

def Pare_PadOp : Pare_InferredOp<"pad"> {
  let summary = "Pad (or crop, with negative pads) each dim";
  let arguments = (ins Pare_Tensor:$input, DenseI64ArrayAttr:$pads_begin,
                       DenseI64ArrayAttr:$pads_end, StrAttr:$mode,
                       AnyAttr:$value);
  let results = (outs Pare_Tensor:$output);
}

def Pare_GatherOp : Pare_InferredOp<"gather"> {
  let summary = "Gather slices along `axis` by integer indices";
  let arguments = (ins Pare_Tensor:$data, Pare_Tensor:$indices, I64Attr:$axis);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
}

def Pare_GatherElementsOp : Pare_InferredOp<"gather_elements"> {
  let summary = "Gather single elements along `axis` (ONNX GatherElements)";
  let description = [{
    `indices` (i32 or i64) has the rank of `data` and, except at `axis`, no
    dim larger than data's; the result has its shape and
    out[i0, .., ia, ..] = data[i0, .., indices[i0, .., ia, ..], ..].
    Negative indices count from the end of the axis; an index outside
    [-len, len) reads 0, as `pare.gather` does.
  }];
  let arguments = (ins Pare_Tensor:$data, Pare_Tensor:$indices, I64Attr:$axis);
  let results = (outs Pare_Tensor:$output);
}

def Pare_ScatterNDOp : Pare_InferredOp<"scatter_nd"> {
  let summary = "Copy `data`, then write `updates` at N-d `indices` (ONNX ScatterND)";
  let description = [{
    `indices` has rank q with a last dim k <= rank r of `data`; each of its
    index tuples selects a slice data[i0, .., ik-1, ...] that the matching
    slice of `updates` (shape indices.shape[:-1] + data.shape[k:]) replaces,
    or combines with by `reduction` ("none", "add", "mul", "max", "min").
    Negative indices count from the end of their dim. The result has the
    type of `data`.
  }];
  let arguments = (ins Pare_Tensor:$data, Pare_Tensor:$indices,
                       Pare_Tensor:$updates, StrAttr:$reduction);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
}

def Pare_CastOp : Pare_InferredOp<"cast"> {
  let summary = "Convert the element type";
  let arguments = (ins Pare_Tensor:$input, TypeAttr:$to);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
}

def Pare_ExpandOp : Pare_InferredOp<"expand"> {
  let summary = "Broadcast to a shape (ONNX Expand)";
  let arguments = (ins Pare_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Pare_Tensor:$output);
  let hasFolder = 1;
}

def Pare_ResizeOp : Pare_InferredOp<"resize"> {
  let summary = "Resize by interpolation (ONNX Resize, Upsample)";
  let description = [{
    Every dim d is resized on its own to `sizes[d]`: output coordinate x
    maps to an input coordinate by `coordinate_transformation_mode` with the
    scale `scales[d]` (ONNX's scale, or output / input size where the model
    gave sizes), which `mode` nearest rounds by `nearest_mode` and linear /
    cubic interpolate (`cubic_coeff_a`, `exclude_outside`, `antialias` as
    ONNX). A dim whose coordinates map to themselves is copied. `roi` (empty,
    or 2 * rank numbers: the starts, then the ends) is tf_crop_and_resize's
    crop, outside which the result is `extrapolation_value`. nearest_mode
    "simple" is the rounding of Resize-10 and Upsample (floor, and ceil where
    the dim shrinks). Works on any element type for nearest, float and int8
    (TFLite's integer bilinear) for linear, float for cubic. The input
    coordinates and weights of each dim are computed at compile time
    (resizeDims, ResizeTaps.h); the op works on any layout, so a transpose
    moves through it.
  }];
  let arguments = (ins Pare_Tensor:$input, DenseI64ArrayAttr:$sizes,
                       DenseF64ArrayAttr:$scales, StrAttr:$mode,
                       StrAttr:$coordinate_transformation_mode,
                       StrAttr:$nearest_mode, F64Attr:$cubic_coeff_a,
                       BoolAttr:$exclude_outside, BoolAttr:$antialias,
                       DenseF64ArrayAttr:$roi, F64Attr:$extrapolation_value);
  let results = (outs Pare_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Quantization
//
// Quantized tensors use MLIR's quant element types: `!quant.uniform<i8:f32,
// 0.05:-3>` per tensor, `!quant.uniform<i8:f32:0, {0.1,0.2}>` per channel
// (axis 0 of a weight). Storage is int8 (uint8 is converted to int8 with the
// zero point moved by 128 at the graph's edges). The ops below carry no scales
// of their own: they read them from their operand and result types. Layout and
// selection ops (reshape, transpose, concat, slice, pad, max_pool, average_pool
// with equal quantization) work on quantized tensors unchanged.
//===----------------------------------------------------------------------===//

def Pare_QuantizeOp : Pare_Op<"quantize"> {
  let summary = "float -> quantized: saturate(round_half_even(x / scale) + zp)";
  let arguments = (ins Pare_Tensor:$input);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
}

def Pare_DequantizeOp : Pare_Op<"dequantize"> {
  let summary = "quantized -> float: (q - zp) * scale (per tensor or per channel)";
  let arguments = (ins Pare_Tensor:$input);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
}

def Pare_RequantizeOp : Pare_Op<"requantize"> {
  let summary = "quantized -> quantized with other per-tensor parameters";
  let arguments = (ins Pare_Tensor:$input);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Pare_StorageCastOp : Pare_Op<"storage_cast"> {
  let summary = "Reinterpret integer storage as a quantized type or back; no code";
  let description = [{
    Between a raw integer tensor (i8, ui8, i32) and a quantized tensor with that
    storage type, same shape. Constant weights are `storage_cast` of an integer
    `pare.constant`. The memory planner aliases the result with the input.
  }];
  let arguments = (ins Pare_Tensor:$input);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Pare_QConvOp : Pare_Op<"qconv"> {
  let summary = "Quantized 2-D convolution (int8 x int8 -> int32 -> requantized)";
  let description = [{
    Attributes as `pare.conv`. The input is per-tensor quantized, the weight
    per tensor or per output channel (axis 0); the bias, when present, is i32
    with scale input_scale * weight_scale[c]. The result is either a quantized
    tensor (requantized, then clamped by the fused `activation`: relu or clip
    only) or raw i32 accumulators (ONNX ConvInteger).
  }];
  let arguments = !con((ins Pare_Tensor:$input, Pare_Tensor:$weight,
                            Optional<Pare_Tensor>:$bias,
                            DenseI64ArrayAttr:$strides,
                            DenseI64ArrayAttr:$dilations,
                            DenseI64ArrayAttr:$pads,
                            I64Attr:$group,
                            UnitAttr:$channels_last), Pare_ActAttrs);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isDepthwise();
  }];
}

def Pare_QConvTransposeOp : Pare_Op<"qconv_transpose"> {
  let summary = "Quantized 2-D transposed convolution (TFLite int8 TRANSPOSE_CONV)";
  let description = [{
    Attributes and layouts as `pare.conv_transpose` (group 1). The input is
    per-tensor quantized, the weight per tensor or per output channel (axis 1
    of [C_in, C_out, kh, kw], axis 3 of the channels-last [C_in, kh, kw,
    C_out]); the bias, when present, is i32 with scale
    input_scale * weight_scale[c]. The int32 sums are requantized per output
    channel, then clamped by the fused `activation` (relu or clip only).
  }];
  let arguments = !con((ins Pare_Tensor:$input, Pare_Tensor:$weight,
                            Optional<Pare_Tensor>:$bias,
                            DenseI64ArrayAttr:$strides,
                            DenseI64ArrayAttr:$dilations,
                            DenseI64ArrayAttr:$pads,
                            DenseI64ArrayAttr:$output_padding,
                            I64Attr:$group,
                            UnitAttr:$channels_last), Pare_ActAttrs);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
}

def Pare_QFullyConnectedOp : Pare_Op<"qfully_connected"> {
  let summary = "Quantized fully connected: y[m][n] = sum_k x[m][k] * w[n][k] + b[n]";
  let description = [{
    Input [M, K] per tensor; weight [N, K] per tensor or per row (axis 0);
    i32 bias [N]; quantized or i32 result [M, N]. Fused relu / clip only.
  }];
  let arguments = !con((ins Pare_Tensor:$input, Pare_Tensor:$weight,
                            Optional<Pare_Tensor>:$bias), Pare_ActAttrs);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
}

def Pare_QMatMulOp : Pare_Op<"qmatmul"> {
  let summary = "Quantized batched matrix product of two activations (QLinearMatMul, MatMulInteger)";
  let description = [{
    NumPy broadcasting as `pare.matmul`. A is per tensor, B per tensor or per
    column (axis = its last dim); the result is quantized or raw i32.
  }];
  let arguments = (ins Pare_Tensor:$a, Pare_Tensor:$b);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
}

class Pare_QBinaryOp<string mnemonic, string doc> : Pare_Op<mnemonic> {
  let summary = doc # " of quantized tensors, with NumPy broadcasting";
  let arguments = !con((ins Pare_Tensor:$lhs, Pare_Tensor:$rhs), Pare_ActAttrs);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
}
def Pare_QAddOp : Pare_QBinaryOp<"qadd", "Sum (TFLite int8 ADD)">;
def Pare_QMulOp : Pare_QBinaryOp<"qmul", "Product (TFLite int8 MUL)">;

def Pare_QGlobalAveragePoolOp : Pare_Op<"qglobal_average_pool"> {
  let summary = "Quantized mean over all spatial positions, requantized";
  let arguments = (ins Pare_Tensor:$input, UnitAttr:$channels_last);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
}

def Pare_TemporalShiftOp : Pare_Op<"temporal_shift"> {
  let summary = "TSM temporal shift: some channels move one frame forward or back in time";
  let description = [{
    The input holds N clips of `frames` (T) frames along dim 0: [N*T, C, H, W]
    (NCHW), or [N*T, H, W, C] with `channels_last`. `fold` channels move each
    way (TSM's C / 8):
      bidirectional: channels [0, fold) of frame t take frame t+1's values
        (zero at the last frame), channels [fold, 2*fold) take frame t-1's
        (zero at the first frame); the rest are unchanged.
      bidirectional_reversed: the two groups' directions swapped, channels
        [0, fold) take frame t-1's values and [fold, 2*fold) frame t+1's (the
        same shift written with the other group first, as some exports do).
      unidirectional (online TSM): channels [0, fold) take frame t-1's values
        (zero at the first frame); the rest are unchanged.
    `streaming` (unidirectional only): the input is one frame of a stream per
    clip (dim 0 = N, `frames` = 1); channels [0, fold) come from a persistent
    state buffer holding the previous frame's, which then takes this frame's
    (zero after a reset). Quantized tensors shift their stored values; zero
    is the zero point.
  }];
  let arguments = (ins Pare_Tensor:$input, I64Attr:$frames, I64Attr:$fold, StrAttr:$mode,
                       UnitAttr:$channels_last, UnitAttr:$streaming);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Channels of the channel axis.
    int64_t getChannelCount();
    /// `mode` as the kernels take it (pare_temporal_shift's `bidirectional`):
    /// 0 unidirectional, 1 bidirectional, 2 bidirectional_reversed; -1 for
    /// any other string.
    static int kernelMode(::llvm::StringRef mode) {
      return mode == "unidirectional" ? 0
             : mode == "bidirectional" ? 1
             : mode == "bidirectional_reversed" ? 2
             : -1;
    }
    int kernelMode() { return kernelMode(getMode()); }
    /// Two groups of `fold` channels move (either direction order).
    bool isBidirectional() { return kernelMode() > 0; }
  }];
}

//===----------------------------------------------------------------------===//
// Decoder (LLM) ops
//
// What the recognition passes raise from exported transformer decoders
// (RecognizeDecoderPatterns.cpp) and what pare-derive-decoder turns into the
// per-row decoder step. Dim 0 (rows: sequence positions) may be dynamic (`?`)
// in the decoder step function; the feature dims are static.
//===----------------------------------------------------------------------===//

def Pare_RmsNormOp : Pare_InferredOp<"rms_norm"> {
  let summary = "RMS normalisation over the last dim, times a weight";
  let description = [{
    x [..., F], w [F] -> like x:
      y = x / sqrt(mean(x^2 over the last dim) + epsilon) * w
    (Llama's RMSNorm; ONNX RMSNormalization with axis -1).
  }];
  let arguments = (ins Pare_Tensor:$input, Pare_Tensor:$weight, F32Attr:$epsilon);
  let results = (outs Pare_Tensor:$output);
}

def Pare_RotaryOp : Pare_InferredOp<"rotary"> {
  let summary = "Rotary position embedding of every head of a [S, H * head_dim] tensor";
  let description = [{
    x [S, H * head_dim] (float), positions [S] (i64) -> like x. Per row s and
    head, the first rotary_dim = 2 * len(inv_freq) dims of the head are
    rotated in pairs (a, b) by the angle positions[s] * inv_freq[i]:
      a' = a * cos - b * sin,  b' = b * cos + a * sin.
    `interleaved` false pairs dims (i, i + rotary_dim / 2) (HF rotate_half),
    true pairs (2i, 2i + 1) (GPT-J). Dims from rotary_dim on pass through.
  }];
  let arguments = (ins Pare_Tensor:$input, Pare_Tensor:$positions, I64Attr:$head_dim,
                       DenseF32ArrayAttr:$inv_freq, BoolAttr:$interleaved);
  let results = (outs Pare_Tensor:$output);
  let extraClassDeclaration = [{
    /// Dims of each head that are rotated (2 * len(inv_freq)).
    int64_t getRotaryDim() { return 2 * int64_t(getInvFreq().size()); }
  }];
}

def Pare_AttentionOp : Pare_InferredOp<"attention"> {
  let summary = "Multi-head scaled dot-product attention with grouped KV heads";
  let description = [{
    q [S, heads * head_dim], k and v [T, kv_heads * head_dim] ->
    [S, heads * head_dim]. Query head h attends with kv head
    h / (heads / kv_heads) (GQA; MQA is kv_heads = 1):
      out_h = softmax(scale * q_h k_g^T + mask) v_g
    where with `causal` row s sees keys t <= s + (T - S) (the mask is -inf
    above that diagonal) and without it every key. Full-sequence semantics;
    in the decoder step function an op with `pare.kv_layer` reads and writes
    the KV cache instead (docs/architecture.md).
  }];
  let arguments = (ins Pare_Tensor:$q, Pare_Tensor:$k, Pare_Tensor:$v, I64Attr:$heads,
                       I64Attr:$kv_heads, I64Attr:$head_dim, F32Attr:$scale,
                       UnitAttr:$causal);
  let results = (outs Pare_Tensor:$output);
}

def Pare_MatMulNBitsOp : Pare_InferredOp<"matmul_nbits"> {
  let summary = "Matrix product with a block-quantized (weight-only, 4-bit) constant weight";
  let description = [{
    x [..., K] times W [K, N] -> [..., N], where W is stored transposed and
    quantized in blocks of `group_size` along K (AWQ / round-to-nearest W4A16,
    onnxruntime's MatMulNBits, DequantizeLinear with int4 blocks):
      W[k, n] = (qweight[n, k] - zero_points[n, k / group_size])
                * scales[n, k / group_size]
    qweight: [N, K] integers in [0, 2^bits - 1], one per element (packing is
    the emitters' business: the weights file holds two per byte); scales:
    [N, ceil(K / group_size)] float (the element type of x); zero_points:
    [N, ceil(K / group_size)] integers in [0, 2^bits - 1]. Accumulation is
    float32; the C kernel and the evaluator dequantize each weight exactly as
    above (one float multiply), so the two agree bit for bit.
  }];
  let arguments = !con((ins Pare_Tensor:$input, Pare_Tensor:$qweight, Pare_Tensor:$scales,
                            Pare_Tensor:$zero_points, I64Attr:$bits, I64Attr:$group_size),
                       Pare_ActAttrs);
  let results = (outs Pare_Tensor:$output);
}

def Pare_MatMulW8A8Op : Pare_InferredOp<"matmul_w8a8"> {
  let summary = "Matrix product with int8 weights and int8 activations (SmoothQuant W8A8)";
  let description = [{
    x [rows, K] float times W [K, N] -> [rows, N] float, where W is stored
    transposed as int8, symmetric per output channel:
      W[k, n] = weight[n, k] * weight_scales[n]      (weight in [-127, 127])
    The activations are quantized to int8 at run time, each row r with
      sx[r] = max_k |x[r, k]| / 127   (act_quant = "per-token")
      sx[r] = act_scale               (act_quant = "per-tensor", calibrated)
      q[r, k] = clamp(round(x[r, k] / sx[r]), -127, 127)
    rounding half away from zero (C99 lroundf; a row of zeros has sx = 0 and
    q = 0). The products accumulate in int32 and
      y[r, n] = (float)acc[r, n] * sx[r] * weight_scales[n]
    in that order of float multiplies. The C kernel (pare_llm_w8.c) and the
    evaluator (which calls it) agree bit for bit.
  }];
  let arguments = (ins Pare_Tensor:$input, Pare_Tensor:$weight, Pare_Tensor:$weight_scales,
                       StrAttr:$act_quant, OptionalAttr<F32Attr>:$act_scale);
  let results = (outs Pare_Tensor:$output);
}

def Pare_LookupTableOp : Pare_Op<"lookup_table"> {
  let summary = "Elementwise int8 -> int8 by a 256-entry table (any unary activation)";
  let description = [{
    `table[q + 128]` is the result for input q: the compiler evaluates the
    float function on every dequantized input value and quantizes the result.
  }];
  let arguments = (ins Pare_Tensor:$input, DenseI8ArrayAttr:$table,
                       StrAttr:$function);
  let results = (outs Pare_Tensor:$output);
  let hasVerifier = 1;
}

#endif // PARE_OPS_TD
