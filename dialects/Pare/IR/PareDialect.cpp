//===- PareDialect.cpp - pare dialect -------------------------------------===//
#include "dialects/Pare/IR/PareDialect.h"
#include "dialects/Pare/IR/PareOps.h"

using namespace mlir;
using namespace pare;

#include "dialects/Pare/IR/PareDialect.cpp.inc"

void PareDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Pare/IR/PareOps.cpp.inc"
      >();
}

Operation *PareDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                            Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, type, elements);
}
