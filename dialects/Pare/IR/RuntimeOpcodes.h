//===- RuntimeOpcodes.h - runtime opcode of each pare op --------*- C++ -*-===//
//
// Looks up the runtime kernel opcode of an op (or of an activation name) in
// RuntimeOpcodes.def, the one list of them. The emitters print `enumerator`
// into the generated code; the evaluator casts `value` to the C kernels' enum
// (pare_unop_t, pare_binop_t, ...), which RuntimeOpcodes.def matches.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_DIALECT_PARE_IR_RUNTIMEOPCODES_H
#define PARE_DIALECT_PARE_IR_RUNTIMEOPCODES_H

#include "dialects/Pare/IR/PareOps.h"

#include "llvm/ADT/StringRef.h"

#include <optional>

namespace pare {

/// Which runtime enum an opcode belongs to.
enum class RuntimeOpFamily { Unary, Binary, Compare, Reduce, Activation };

struct RuntimeOpcode {
  RuntimeOpFamily family;
  /// The enumerator as the runtime headers spell it, e.g. "PARE_UN_SQRT".
  llvm::StringLiteral enumerator;
  /// Its value in the runtime enum.
  int value;
};

/// The opcode of a unary, binary, compare or reduce op; std::nullopt for any
/// other op (activations are looked up by name: see activationOpcode).
inline std::optional<RuntimeOpcode> runtimeOpcode(mlir::Operation *op) {
#define PARE_OPCODE_CASE(Family, Prefix, Op, Name, Value)                                          \
  if (llvm::isa<Op>(op))                                                                           \
    return RuntimeOpcode{RuntimeOpFamily::Family, Prefix #Name, Value};
#define PARE_UNARY_OPCODE(Op, Name, Value) PARE_OPCODE_CASE(Unary, "PARE_UN_", Op, Name, Value)
#define PARE_BINARY_OPCODE(Op, Name, Value) PARE_OPCODE_CASE(Binary, "PARE_BIN_", Op, Name, Value)
#define PARE_COMPARE_OPCODE(Op, Name, Value) PARE_OPCODE_CASE(Compare, "PARE_CMP_", Op, Name, Value)
#define PARE_REDUCE_OPCODE(Op, Name, Value) PARE_OPCODE_CASE(Reduce, "PARE_RED_", Op, Name, Value)
#include "dialects/Pare/IR/RuntimeOpcodes.def"
#undef PARE_OPCODE_CASE
  return std::nullopt;
}

/// The opcode of an activation by its name: the mnemonic of a standalone
/// activation op ("gelu_tanh" for a GeluOp with the tanh approximation) or
/// the value of a fused `activation` attribute. std::nullopt for an unknown
/// name.
inline std::optional<RuntimeOpcode> activationOpcode(llvm::StringRef name) {
#define PARE_ACTIVATION_OPCODE(Str, Name, Value)                                                   \
  if (name == Str)                                                                                 \
    return RuntimeOpcode{RuntimeOpFamily::Activation, "PARE_ACT_" #Name, Value};
#include "dialects/Pare/IR/RuntimeOpcodes.def"
  return std::nullopt;
}

} // namespace pare

#endif // PARE_DIALECT_PARE_IR_RUNTIMEOPCODES_H
