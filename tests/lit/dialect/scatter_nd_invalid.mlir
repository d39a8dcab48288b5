// Shape-function errors of pare.scatter_nd: index type and depth, the rank
// and shape of updates (indices rank q, data rank r, depth k: updates have
// rank q - 1 + r - k and shape indices.shape[:-1] + data.shape[k:]), the
// element types and the reduction.
// RUN: pare-opt %s -split-input-file -verify-diagnostics

func.func @indices_type(%a: tensor<4x3xf32>, %i: tensor<2x1xi32>, %u: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{scatter_nd: indices must be int64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.scatter_nd %a, %i, %u {reduction = "none"} : (tensor<4x3xf32>, tensor<2x1xi32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @depth(%a: tensor<4x3xf32>, %i: tensor<2x3xi64>, %u: tensor<2xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{scatter_nd: the last dim of indices (3) must be at most the rank of data (2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.scatter_nd %a, %i, %u {reduction = "none"} : (tensor<4x3xf32>, tensor<2x3xi64>, tensor<2xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @updates_rank(%a: tensor<4x3xf32>, %i: tensor<2x1xi64>, %u: tensor<2xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{scatter_nd: updates must have rank 2 (indices rank 2 - 1 + data rank 2 - 1), got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.scatter_nd %a, %i, %u {reduction = "none"} : (tensor<4x3xf32>, tensor<2x1xi64>, tensor<2xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @updates_shape(%a: tensor<4x3xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{scatter_nd: updates shape 2x4 must be 2x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.scatter_nd %a, %i, %u {reduction = "none"} : (tensor<4x3xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @updates_type(%a: tensor<4x3xf32>, %i: tensor<2x1xi64>, %u: tensor<2x3xi32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{scatter_nd: data and updates element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.scatter_nd %a, %i, %u {reduction = "none"} : (tensor<4x3xf32>, tensor<2x1xi64>, tensor<2x3xi32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @reduction(%a: tensor<4x3xf32>, %i: tensor<2x1xi64>, %u: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{scatter_nd: unknown reduction 'sum'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = pare.scatter_nd %a, %i, %u {reduction = "sum"} : (tensor<4x3xf32>, tensor<2x1xi64>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
