//===- Passes.h - pare dialect passes -------------------------------------===//
#ifndef PARE_DIALECT_PARE_TRANSFORMS_PASSES_H
#define PARE_DIALECT_PARE_TRANSFORMS_PASSES_H

#include "dialects/Pare/Analysis/PlanKinds.h"
#include "dialects/Pare/IR/PareOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace pare {

#define GEN_PASS_DECL
#include "dialects/Pare/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/Pare/Transforms/Passes.h.inc"

} // namespace pare

#endif // PARE_DIALECT_PARE_TRANSFORMS_PASSES_H
