//===- PareOps.h - pare dialect operations --------------------------------===//
#ifndef PARE_DIALECT_PARE_IR_PAREOPS_H
#define PARE_DIALECT_PARE_IR_PAREOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Pare/IR/PareDialect.h"

#define GET_OP_CLASSES
#include "dialects/Pare/IR/PareOps.h.inc"

#endif // PARE_DIALECT_PARE_IR_PAREOPS_H
