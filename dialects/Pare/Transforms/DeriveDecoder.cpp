//===- DeriveDecoder.cpp - full-sequence decoder -> KV-cache decode step --===//
//
// pare-derive-decoder: a decoder exported for a whole sequence (token ids
// [1, S] -> logits [1, S, V], attention already raised to pare.attention)
// computes every position by the same row-wise ops, except attention, which
// mixes positions. So the incremental decoder is the same graph on a
// run-time number of rows (one for a decode step, a chunk of the prompt for
// prefill) whose attentions read the keys and values of earlier positions
// from a cache, as --streaming derives a per-frame TSM from a clip model.
// This pass checks that claim op by op and builds that step function; a
// graph it cannot prove row-wise is left alone (and the reason recorded),
// so the model still compiles as a plain full-sequence graph.
//
//===----------------------------------------------------------------------===//

#include "dialects/Pare/Transforms/Passes.h"

#include "dialects/Pare/IR/PareAttrs.h"
#include "dialects/Pare/IR/PareOps.h"
#include "dialects/Pare/IR/ShapeInference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

namespace pare {
#define GEN_PASS_DEF_DERIVEDECODERPASS
#include "dialects/Pare/Transforms/Passes.h.inc"
} // namespace pare

using namespace mlir;
using namespace pare;

namespace {

/// A value computed per position: the sequence dim of its full-sequence
/// shape (every dim before it is 1, so rows are contiguous) and the elements
/// of one row.
struct Row {
  int64_t seqDim = 0;
  SmallVector<int64_t> inner; ///< the dims after seqDim
  int64_t width() const {
    int64_t w = 1;
    for (int64_t d : inner)
      w *= d;
    return w;
  }
};

ArrayRef<int64_t> dims(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }
Type elemOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

/// The row layout of a full-sequence value of sequence length `s`: one dim
/// equals s and every dim before it is 1 (the first such dim: a later one
/// equal to s would be a row's content, as in a [S, S] mask).
std::optional<Row> rowLayout(ArrayRef<int64_t> shape, int64_t s) {
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == s) {
      Row r;
      r.seqDim = int64_t(i);
      r.inner.assign(shape.begin() + i + 1, shape.end());
      return r;
    }
    if (shape[i] != 1)
      return std::nullopt;
  }
  return std::nullopt;
}

/// True when `v` is the constant 0, 1, ..., n-1 (any integer type, any
/// shape holding n elements).
bool isIota(Value v, int64_t n) {
  DenseIntElementsAttr a;
  if (!matchPattern(v, m_Constant(&a)) || a.getNumElements() != n)
    return false;
  int64_t i = 0;
  for (const APInt &x : a.getValues<APInt>())
    if (x.getSExtValue() != i++)
      return false;
  return true;
}

/// The one operand of `c` that holds elements (a present = concat(past,
/// new) with no past), or null when there are none or several.
Value soleNonEmptyOperand(ConcatOp c) {
  Value only;
  for (Value v : c.getOperands()) {
    if (cast<RankedTensorType>(v.getType()).getNumElements() == 0)
      continue;
    if (only)
      return Value();
    only = v;
  }
  return only;
}

class Deriver {
public:
  Deriver(func::FuncOp fn, int64_t maxContext) : fn(fn), maxContext(maxContext) {}

  /// Builds the step function beside `fn`; on failure returns the reason.
  FailureOr<func::FuncOp> run(std::string &why);

private:
  /// Why the op cannot run row by row (fills `why`, returns failure).
  LogicalResult refuse(Operation *op, const Twine &reason);
  /// The row form (2-D [?, width]) of a constant operand of a binary op
  /// whose other operand is the row value `row` of full shape `full`:
  /// a scalar or a per-row vector, never position-dependent.
  FailureOr<Value> broadcastConstant(Operation *op, Value c, const Row &row,
                                     ArrayRef<int64_t> full);
  LogicalResult step(Operation *op);

  func::FuncOp fn;
  int64_t maxContext;
  int64_t seqLen = 0;
  std::string *why = nullptr;
  OpBuilder *b = nullptr;
  func::FuncOp step_;
  Value ids, positions;
  DenseMap<Value, Row> rows;    ///< full-sequence value -> its row layout
  IRMapping map;                ///< full-sequence value -> step value
  int64_t layers = 0;
};

LogicalResult Deriver::refuse(Operation *op, const Twine &reason) {
  std::string node;
  if (auto loc = dyn_cast<NameLoc>(op->getLoc()))
    node = " (ONNX node '" + loc.getName().str() + "')";
  *why = (op->getName().getStringRef() + node + ": " + reason).str();
  return failure();
}

FailureOr<Value> Deriver::broadcastConstant(Operation *op, Value c, const Row &row,
                                            ArrayRef<int64_t> full) {
  ElementsAttr value;
  if (!matchPattern(c, m_Constant(&value)))
    return refuse(op, "an operand is neither computed per position nor a constant");
  ArrayRef<int64_t> cd = dims(c);
  if (cd.size() > full.size())
    return refuse(op, "a constant operand has more dims than the row value");
  // Right-aligned: dims at or before the sequence dim must broadcast (1),
  // else the constant differs by position (a mask, a position table).
  size_t off = full.size() - cd.size();
  SmallVector<int64_t> innerDims;
  bool allOne = true;
  for (size_t i = 0; i < cd.size(); ++i) {
    int64_t at = int64_t(off + i);
    if (at <= row.seqDim) {
      if (cd[i] != 1)
        return refuse(op, "a constant operand differs by position (dim " + Twine(at) +
                              " of size " + Twine(cd[i]) + ")");
      continue;
    }
    innerDims.push_back(cd[i]);
    allOne &= cd[i] == 1;
  }
  RankedTensorType type;
  if (allOne) {
    type = RankedTensorType::get({}, elemOf(c));
  } else {
    // Broadcasting inside a row cannot be written on the flattened row.
    SmallVector<int64_t> want(row.inner.end() - int64_t(innerDims.size()), row.inner.end());
    if (ArrayRef<int64_t>(want) != ArrayRef<int64_t>(innerDims) ||
        int64_t(innerDims.size()) != int64_t(row.inner.size()))
      return refuse(op, "a constant operand broadcasts inside a row");
    type = RankedTensorType::get({row.width()}, elemOf(c));
  }
  auto reshaped = cast<DenseElementsAttr>(value).reshape(type);
  return ConstantOp::create(*b, c.getLoc(), type, reshaped).getResult();
}

LogicalResult Deriver::step(Operation *op) {
  auto isRow = [&](Value v) { return rows.count(v) != 0; };
  bool anyRow = llvm::any_of(op->getOperands(), isRow);
  if (!anyRow) {
    // Constants and what folding left of them: the same in every step. A
    // position table the recognisers did not absorb (a rotary's cos / sin,
    // a causal mask) shows later as a position-dependent operand.
    b->clone(*op, map);
    return success();
  }
  auto rowType = [&](Value like, int64_t width) {
    return RankedTensorType::get({ShapedType::kDynamic, width}, elemOf(like));
  };
  auto create = [&](ArrayRef<Value> operands, Type result) {
    OperationState st(op->getLoc(), op->getName());
    st.addOperands(operands);
    st.addTypes(result);
    st.addAttributes(op->getAttrs());
    return b->create(st);
  };
  Value result = op->getNumResults() == 1 ? op->getResult(0) : Value();
  if (!result)
    return refuse(op, "ops with several results are not derived");

  if (auto g = dyn_cast<GatherOp>(op)) {
    // Embedding lookup: a constant table indexed by the token ids (or, for
    // learned absolute positions, by the positions 0..S-1).
    Value table = g.getData();
    if (isRow(table) || g.getAxis() != 0 || dims(table).size() != 2)
      return refuse(op, "only a lookup in a constant [rows, width] table is derived");
    const Row &r = rows[g.getIndices()];
    if (!r.inner.empty())
      return refuse(op, "the indices have more than one per position");
    Row out{r.seqDim, {dims(table)[1]}};
    rows[result] = out;
    Value t = map.lookupOrDefault(table);
    map.map(result, create({t, map.lookup(g.getIndices())}, rowType(result, out.width()))->getResult(0));
    return success();
  }
  if (auto c = dyn_cast<ConcatOp>(op)) {
    // A decode-step export's present = concat(past, new) with no past
    // (pare-bind-decoder-inputs): the new rows themselves.
    Value only = soleNonEmptyOperand(c);
    if (!only || !isRow(only))
      return refuse(op, "concatenates computed values");
    rows[result] = rows[only];
    map.map(result, map.lookup(only));
    return success();
  }
  if (auto r = dyn_cast<ReshapeOp>(op)) {
    // A reshape that keeps every row whole is nothing on [rows, width].
    const Row &in = rows[r.getInput()];
    std::optional<Row> out = rowLayout(dims(result), seqLen);
    if (!out || out->width() != in.width())
      return refuse(op, "the reshape moves elements between positions");
    rows[result] = *out;
    map.map(result, map.lookup(r.getInput()));
    return success();
  }

  // The op's row operands share one layout; its result keeps it.
  Value first = *llvm::find_if(op->getOperands(), isRow);
  Row layout = rows[first];
  SmallVector<int64_t> full(dims(first));
  SmallVector<Value> operands;

  if (isa<RmsNormOp>(op)) {
    if (layout.inner.size() != 1)
      return refuse(op, "normalises over more than one dim of a row");
    operands = {map.lookup(op->getOperand(0)), map.lookupOrDefault(op->getOperand(1))};
    if (isRow(op->getOperand(1)))
      return refuse(op, "the scale is computed per position");
  } else if (isa<RotaryOp>(op)) {
    if (layout.inner.size() != 1 || !isIota(op->getOperand(1), seqLen))
      return refuse(op, "expected rows of heads and the positions 0..S-1");
    operands = {map.lookup(op->getOperand(0)), positions};
  } else if (isa<AttentionOp>(op)) {
    for (Value v : op->getOperands())
      if (!isRow(v) || rows[v].inner.size() != 1)
        return refuse(op, "queries, keys and values must be rows of heads");
    for (Value v : op->getOperands())
      operands.push_back(map.lookup(v));
  } else if (auto mm = dyn_cast<MatMulOp>(op)) {
    Value w = mm.getB();
    if (!isRow(mm.getA()) || isRow(w) || dims(w).size() != 2 || layout.inner.size() != 1 ||
        !matchPattern(w, m_Constant()))
      return refuse(op, "only a product of rows with a constant [K, N] matrix is derived");
    operands = {map.lookup(mm.getA()), map.lookupOrDefault(w)};
    layout.inner = {dims(w)[1]};
  } else if (auto nb = dyn_cast<MatMulNBitsOp>(op)) {
    // The 4-bit linear: rows times a constant weight stored [N, K] with its
    // scales and zero points, like MatMulOp's [K, N].
    SmallVector<Value> weight = {nb.getQweight(), nb.getScales(), nb.getZeroPoints()};
    if (!isRow(nb.getInput()) || layout.inner.size() != 1 ||
        llvm::any_of(weight, [&](Value v) { return isRow(v) || !matchPattern(v, m_Constant()); }))
      return refuse(op, "only a product of rows with a constant 4-bit weight is derived");
    operands = {map.lookup(nb.getInput())};
    for (Value v : weight)
      operands.push_back(map.lookupOrDefault(v));
    layout.inner = {dims(nb.getQweight())[0]};
  } else if (auto w8 = dyn_cast<MatMulW8A8Op>(op)) {
    // The int8 linear: its activations are quantized per row (per token) or
    // by one constant scale (per tensor), so it is row-wise like MatMulOp.
    SmallVector<Value> weight = {w8.getWeight(), w8.getWeightScales()};
    if (!isRow(w8.getInput()) || layout.inner.size() != 1 ||
        llvm::any_of(weight, [&](Value v) { return isRow(v) || !matchPattern(v, m_Constant()); }))
      return refuse(op, "only a product of rows with a constant int8 weight is derived");
    operands = {map.lookup(w8.getInput())};
    for (Value v : weight)
      operands.push_back(map.lookupOrDefault(v));
    layout.inner = {dims(w8.getWeight())[0]};
  } else if (op->hasTrait<OpTrait::SameOperandsAndResultShape>() || isa<CastOp>(op) ||
             (op->getNumOperands() == 1 && dims(result) == dims(first))) {
    // Unary elementwise ops (activations, casts).
    if (op->getNumOperands() != 1)
      return refuse(op, "is not elementwise per position");
    operands = {map.lookup(first)};
  } else if (op->getNumOperands() == 2 && isa<AddOp, SubOp, MulOp, DivOp>(op)) {
    if (dims(result) != ArrayRef<int64_t>(full))
      return refuse(op, "broadcasts a row value");
    for (Value v : op->getOperands()) {
      if (isRow(v)) {
        if (rows[v].seqDim != layout.seqDim || rows[v].inner != layout.inner)
          return refuse(op, "combines rows of different layouts");
        operands.push_back(map.lookup(v));
        continue;
      }
      FailureOr<Value> c = broadcastConstant(op, v, layout, full);
      if (failed(c))
        return failure();
      operands.push_back(*c);
    }
  } else {
    return refuse(op, "is not known to work per position");
  }

  std::optional<Row> out = rowLayout(dims(result), seqLen);
  if (!out)
    return refuse(op, "its result is not a row per position");
  if (out->width() != layout.width() && !isa<MatMulOp, MatMulNBitsOp, MatMulW8A8Op>(op))
    return refuse(op, "changes the width of a row");
  rows[result] = *out;
  Operation *made = create(operands, rowType(result, out->width()));
  if (isa<AttentionOp>(op))
    attrs::setKvLayer(made, layers++);
  map.map(result, made->getResult(0));
  return success();
}

FailureOr<func::FuncOp> Deriver::run(std::string &whyOut) {
  why = &whyOut;
  Block &body = fn.getBody().front();
  if (fn.getNumArguments() != 1 || fn.getNumResults() < 1) {
    whyOut = "expected one input (token ids) and the logits as the first output; the model has " +
             std::to_string(fn.getNumArguments()) + " inputs and " +
             std::to_string(fn.getNumResults()) + " outputs";
    return failure();
  }
  Value in = body.getArgument(0);
  auto inType = cast<RankedTensorType>(in.getType());
  if (!inType.getElementType().isInteger(64) && !inType.getElementType().isInteger(32)) {
    whyOut = "the input is not integer token ids";
    return failure();
  }
  for (int64_t d : inType.getShape())
    if (d != 1)
      seqLen = seqLen ? -1 : d;
  if (seqLen < 2) {
    whyOut = "the token ids need one sequence dim of at least 2 positions (got " +
             shape::toString(shape::Shape(inType.getShape().begin(), inType.getShape().end())) + ")";
    return failure();
  }
  if (!llvm::any_of(body, [](Operation &op) { return isa<AttentionOp>(op); })) {
    whyOut = "no attention was recognised";
    return failure();
  }

  OpBuilder builder(fn);
  b = &builder;
  MLIRContext *ctx = fn.getContext();
  auto dyn = RankedTensorType::get({ShapedType::kDynamic}, inType.getElementType());
  auto pos = RankedTensorType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 64));
  Value ret = body.getTerminator()->getOperand(0); // the logits
  auto logits = RankedTensorType::get({ShapedType::kDynamic, 1}, elemOf(ret));
  step_ = func::FuncOp::create(builder, fn.getLoc(), fn.getName(),
                               builder.getFunctionType({dyn, pos}, {logits}));
  Block *entry = step_.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  ids = entry->getArgument(0);
  positions = entry->getArgument(1);
  rows[in] = Row{*rowLayout(inType.getShape(), seqLen)};
  map.map(in, ids);

  auto abandon = [&]() -> FailureOr<func::FuncOp> {
    step_.erase();
    return failure();
  };
  // What the logits are computed from; the rest computes only further
  // outputs (a decode-step export's presents), checked below.
  llvm::DenseSet<Operation *> needed;
  SmallVector<Value> pending{ret};
  while (!pending.empty()) {
    Operation *d = pending.pop_back_val().getDefiningOp();
    if (d && needed.insert(d).second)
      llvm::append_range(pending, d->getOperands());
  }
  for (Operation &op : body.without_terminator()) {
    if (!needed.contains(&op))
      continue;
    // Learned absolute positions: a lookup by the constant 0..S-1 is a
    // lookup by the step's positions.
    if (auto g = dyn_cast<GatherOp>(op); g && !rows.count(g.getIndices()) &&
                                         isIota(g.getIndices(), seqLen) &&
                                         dims(g.getIndices()).size() <= 2) {
      rows[g.getIndices()] = Row{*rowLayout(dims(g.getIndices()), seqLen)};
      map.map(g.getIndices(), positions);
      if (dims(g.getData()).empty() || dims(g.getData())[0] < maxContext) {
        whyOut = "the position table of '" + op.getName().getStringRef().str() + "' has fewer rows than --max-context";
        return abandon();
      }
    }
    if (failed(step(&op)))
      return abandon();
  }
  if (!rows.count(ret) || rows[ret].inner.size() != 1) {
    whyOut = "the output is not one row of logits per position";
    return abandon();
  }
  // Further outputs must be the keys or values an attention reads (a
  // decode-step export's presents): the cache holds them.
  auto source = [&](Value v) {
    while (Operation *d = v.getDefiningOp()) {
      if (isa<ReshapeOp, TransposeOp>(d)) {
        v = d->getOperand(0);
      } else if (auto c = dyn_cast<ConcatOp>(d); c && soleNonEmptyOperand(c)) {
        v = soleNonEmptyOperand(c);
      } else {
        break;
      }
    }
    return v;
  };
  llvm::DenseSet<Value> cached;
  body.walk([&](AttentionOp a) {
    cached.insert(source(a.getK()));
    cached.insert(source(a.getV()));
  });
  for (unsigned i = 1; i < fn.getNumResults(); ++i) {
    Value r = body.getTerminator()->getOperand(i);
    if (!cached.contains(source(r))) {
      std::string name = attrs::getResultName(fn, i).value_or("").str();
      whyOut = "output " + std::to_string(i) + (name.empty() ? "" : " ('" + name + "')") +
               " is neither the logits nor keys or values an attention reads";
      return abandon();
    }
  }
  Value out = map.lookup(ret);
  func::ReturnOp::create(builder, fn.getLoc(), out);
  step_.setFunctionType(builder.getFunctionType({dyn, pos}, {out.getType()}));
  // Argument and result names (pare.name) follow the model's.
  step_.setArgAttrs(0, fn.getArgAttrDict(0));
  step_.setResultAttrs(0, fn.getResultAttrDict(0));

  // What feeds no attention (the final norm, the logits) is needed for the
  // last position only when prefill returns the last logits.
  llvm::SetVector<Operation *> feeds;
  SmallVector<Operation *> work;
  step_.walk([&](AttentionOp a) {
    // Attention fills the cache from every row.
    feeds.insert(a);
    work.push_back(a);
  });
  while (!work.empty()) {
    Operation *o = work.pop_back_val();
    for (Value v : o->getOperands())
      if (Operation *d = v.getDefiningOp(); d && feeds.insert(d))
        work.push_back(d);
  }
  step_.walk([&](Operation *o) {
    if (o != step_ && !isa<func::ReturnOp, ConstantOp>(o) && !feeds.contains(o))
      attrs::setTail(o);
  });
  return step_;
}

struct DeriveDecoderPass : pare::impl::DeriveDecoderPassBase<DeriveDecoderPass> {
  using DeriveDecoderPassBase::DeriveDecoderPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> fns(module.getOps<func::FuncOp>());
    if (maxContext <= 0)
      return;
    if (fns.size() != 1) {
      attrs::setNotDecoder(module, "the module has " + std::to_string(fns.size()) +
                                       " functions, not one");
      return;
    }
    std::string why;
    Deriver d(fns[0], maxContext);
    FailureOr<func::FuncOp> step = d.run(why);
    if (failed(step)) {
      attrs::setNotDecoder(module, why);
      return;
    }
    int64_t layers = 0;
    step->walk([&](AttentionOp) { ++layers; });
    fns[0].erase();
    attrs::setDecoder(module, maxContext, layers);
  }
};

} // namespace
