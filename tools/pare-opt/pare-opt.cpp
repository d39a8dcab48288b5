//===- pare-opt.cpp - run pare passes on .mlir files (for lit tests) ------===//
#include "dialects/Pare/IR/PareDialect.h"
#include "dialects/Pare/Transforms/Passes.h"
#include "dialects/Pare/Transforms/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  pare::registerParePasses();
  pare::registerPipelines();
  mlir::DialectRegistry registry;
  registry.insert<pare::PareDialect, mlir::func::FuncDialect, mlir::quant::QuantDialect>();
  return mlir::asMainReturnCode(mlir::MlirOptMain(argc, argv, "pare optimizer driver\n", registry));
}
