//===- ActivationUtils.h - activations as (name, parameters) --------------===//
//
// Activations appear as ops (pare.relu, pare.clip ...) and as the fused
// `activation` / `activation_params` attributes of their producers. These
// helpers convert between the two and evaluate one on a scalar (used for
// int8 lookup tables).
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_TRANSFORMS_ACTIVATIONUTILS_H
#define PARE_DIALECT_PARE_TRANSFORMS_ACTIVATIONUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"

#include <optional>

namespace pare {

using Activation = std::pair<llvm::StringRef, llvm::SmallVector<float>>;

/// The fused-activation name and parameters of an activation op, if it is one.
std::optional<Activation> activationOf(mlir::Operation *op);

/// How many parameters activation `name` takes (clip: min, max; leaky_relu:
/// alpha ...); nullopt for an unknown name.
std::optional<size_t> activationParamCount(llvm::StringRef name);

/// Builds the standalone activation op for a fused (name, params); a null
/// value for an unknown name or too few parameters.
mlir::Value createActivation(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef name,
                             llvm::ArrayRef<float> params, mlir::Value input);

/// Unfuses `op`'s fused activation: builds the standalone activation op after
/// it, moves `op`'s users onto it and drops the activation attributes.
/// Returns the new op, or null (and `op` unchanged) for an unknown name or
/// too few activation_params.
mlir::Operation *splitFusedActivation(mlir::Operation *op);

/// Evaluates an activation on one value; nullopt for an unknown name or too
/// few parameters.
std::optional<double> evalActivation(llvm::StringRef name, llvm::ArrayRef<float> params, double x);

/// True for relu and clip: activations an int8 kernel applies as its output clamp.
inline bool isClampActivation(llvm::StringRef name) { return name == "relu" || name == "clip"; }

} // namespace pare

#endif // PARE_DIALECT_PARE_TRANSFORMS_ACTIVATIONUTILS_H
