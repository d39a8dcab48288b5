//===- PareDialect.h - pare dialect ---------------------------------------===//
#ifndef PARE_DIALECT_PARE_IR_PAREDIALECT_H
#define PARE_DIALECT_PARE_IR_PAREDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/Operation.h"

#include "dialects/Pare/IR/PareDialect.h.inc"

#endif // PARE_DIALECT_PARE_IR_PAREDIALECT_H
