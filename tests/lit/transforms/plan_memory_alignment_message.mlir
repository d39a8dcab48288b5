// Bug: dialects/Pare/Transforms/PlanMemory.cpp streams the pass option itself,
// `func.emitError("alignment must be a power of two, got ") << alignment;`,
// and the Pass::Option<int64_t> ends up printed as a char: alignment=3 prints
// the control byte 0x03, alignment=-8 the byte 0xF8. Fix: stream
// `static_cast<int64_t>(alignment)` (or alignment.getValue()).
// RUN: pare-opt %s --pass-pipeline='builtin.module(func.func(pare-plan-memory{alignment=3}))' -verify-diagnostics

// expected-error @+1 {{alignment must be a power of two, got 3}}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = pare.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  %1 = pare.neg %0 : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
