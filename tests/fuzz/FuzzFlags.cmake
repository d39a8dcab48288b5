# Included by the top-level CMakeLists.txt when PARE_FUZZ=ON, before any library is defined:
# every pare library of this build gets libFuzzer coverage instrumentation and ASan + UBSan
# (UBSan aborts on the first report, so that it is a finding). MLIR, LLVM, ONNX and protobuf
# stay Debian's gcc-built shared libraries (same libstdc++), uninstrumented.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "PARE_FUZZ=ON needs clang (configure with -DCMAKE_CXX_COMPILER=clang++-22 "
                      "-DCMAKE_C_COMPILER=clang-22; see tests/fuzz/README.md)")
endif()
set(PARE_FUZZ_SANITIZERS "address,undefined" CACHE STRING "sanitizers of the fuzz build")
# -O1 (libFuzzer's advice) for long runs; the CI test builds with -O0, which compiles in less than
# half the time. Line tables only: readable stack traces. NDEBUG as in the Release build, so that
# MLIR's headers see the configuration libMLIR.so was built with.
set(PARE_FUZZ_OPT "-O1" CACHE STRING "optimisation level of the fuzz build (-O0 / -O1)")
add_compile_options(${PARE_FUZZ_OPT} -gline-tables-only -DNDEBUG -fno-omit-frame-pointer
                    -Wno-deprecated-declarations
                    -fsanitize=fuzzer-no-link,${PARE_FUZZ_SANITIZERS}
                    -fno-sanitize-recover=all)
add_link_options(-fsanitize=${PARE_FUZZ_SANITIZERS})
