// pare-quantize-w4a16 on small hand-written graphs: the exact codes, scales
// and zero points of round to nearest (the pare.matmul_nbits contract) and
// the errors.
// RUN: pare-opt %s --pass-pipeline='builtin.module(pare-quantize-w4a16{group-size=16 awq=false})' 2>&1 | FileCheck %s --check-prefix=RTN
// RUN: not pare-opt %s --pass-pipeline='builtin.module(pare-quantize-w4a16{group-size=24 awq=false})' 2>&1 | FileCheck %s --check-prefix=POW2
// RUN: not pare-opt %s --pass-pipeline='builtin.module(pare-quantize-w4a16{group-size=32 awq=false})' 2>&1 | FileCheck %s --check-prefix=DIVIDE
// RUN: not pare-opt %s --pass-pipeline='builtin.module(pare-quantize-w4a16{group-size=16})' 2>&1 | FileCheck %s --check-prefix=NOSTATS

// Weight column 0 is 0, 0.1, ..., 1.5 and column 1 is -1.5, ..., 0: codes
// 0..15 with zero points 0 and 15, scale fp16(0.1) = 0.0999755859375.
// RTN-LABEL: func.func @contract
// RTN-DAG: pare.constant dense<{{\[}}[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]]> : tensor<2x16xi8>
// RTN-DAG: pare.constant dense<0.0999755859> : tensor<2x1xf32>
// RTN-DAG: pare.constant dense<{{\[}}[0], [15]]> : tensor<2x1xi8>
// RTN: pare.matmul_nbits %arg0, {{.*}} {bits = 4 : i64, group_size = 16 : i64} : (tensor<?x16xf32>, tensor<2x16xi8>, tensor<2x1xf32>, tensor<2x1xi8>) -> tensor<?x2xf32>
// RTN-NOT: pare.matmul %
func.func @contract(%x: tensor<?x16xf32>) -> tensor<?x2xf32> {
  %w = pare.constant dense<[[0.0, -1.5], [0.1, -1.4], [0.2, -1.3], [0.3, -1.2], [0.4, -1.1], [0.5, -1.0], [0.6, -0.9], [0.7, -0.8], [0.8, -0.7], [0.9, -0.6], [1.0, -0.5], [1.1, -0.4], [1.2, -0.3], [1.3, -0.2], [1.4, -0.1], [1.5, 0.0]]> : tensor<16x2xf32>
  %y = pare.matmul %x, %w : (tensor<?x16xf32>, tensor<16x2xf32>) -> tensor<?x2xf32>
  %z = pare.add %y, %y : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %z : tensor<?x2xf32>
}

// POW2: error: the group size must be a power of two >= 16, not 24 (--group-size)
// DIVIDE: error: the group size 32 does not divide this linear's 16 inputs (--group-size)
// NOSTATS: error: AWQ needs calibration statistics (--calibration; pare-opt: ids=...)
