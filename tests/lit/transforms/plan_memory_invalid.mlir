// PlanMemory rejects an alignment that is not a power of two (the pass fails;
// the error is at the function; see plan_memory_alignment_message.mlir for
// the value in the message) and unknown planner / patches values.
// RUN: pare-opt %s --pass-pipeline='builtin.module(func.func(pare-plan-memory{alignment=3}))' -verify-diagnostics
// RUN: not pare-opt %s --pass-pipeline='builtin.module(func.func(pare-plan-memory{alignment=0}))' 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: error: alignment must be a power of two, got
// planner and patches are enum options: other values are refused when the
// pipeline is parsed, before any pass runs.
// RUN: not pare-opt %s --pass-pipeline='builtin.module(func.func(pare-plan-memory{planner=bogus}))' 2>&1 | FileCheck %s --check-prefix=PLANNER
// PLANNER: for the --planner option: Cannot find option named 'bogus'!
// PLANNER: failed to add `pare-plan-memory` with options `planner=bogus`
// RUN: not pare-opt %s --pass-pipeline='builtin.module(func.func(pare-plan-memory{patches=max}))' 2>&1 | FileCheck %s --check-prefix=PATCHES
// PATCHES: for the --patches option: Cannot find option named 'max'!

// expected-error-re @+1 {{alignment must be a power of two, got {{.*}}}}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = pare.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  %1 = pare.neg %0 : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
