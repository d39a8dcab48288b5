# PARE_STATIC_LLVM=ON: link against the static MLIR/LLVM component archives
# (libMLIR*.a, libLLVM*.a) instead of libMLIR.so / libLLVM.so, so that the
# `pare` binary runs on a machine without LLVM installed (scripts/build_portable.sh).
#
# The subdirectories link the shared imported targets `MLIR` and `LLVM`. After
# they are added, pare_use_static_llvm() rewrites every target's link libraries:
# `MLIR` becomes PareStaticMLIR (an INTERFACE target listing the archives) and
# `LLVM` is dropped. Static and shared MLIR are never mixed in one binary.
#
# Debian builds its MLIR archives with LLVM_LINK_LLVM_DYLIB, so their exported
# INTERFACE_LINK_LIBRARIES name the shared `LLVM` target; we walk that graph
# ourselves and replace `LLVM` by the static LLVMSupport (+ its closure).

# What pare's own code uses (func, IR, Pass, Transforms, Parser, Rewrite,
# interfaces) plus MLIROptLib for pare-opt.
set(PARE_STATIC_MLIR_SEEDS
  MLIRIR MLIRSupport MLIRFuncDialect MLIRPass MLIRTransforms MLIRTransformUtils
  MLIRParser MLIRRewrite MLIRInferTypeOpInterface MLIRSideEffectInterfaces
  MLIRBytecodeOpInterface MLIRAnalysis MLIRQuantDialect
  CACHE STRING "MLIR component libraries linked statically with PARE_STATIC_LLVM")
set(PARE_STATIC_MLIR_EXTRA_SEEDS "" CACHE STRING
  "More MLIR/LLVM components to link statically (e.g. MLIROptLib for pare-opt)")
# What the shared `LLVM` target stands for in MLIR's link interfaces.
set(PARE_STATIC_LLVM_COMPONENTS LLVMSupport LLVMDemangle CACHE STRING
  "LLVM component libraries that replace libLLVM.so with PARE_STATIC_LLVM")

function(_pare_static_closure out)
  set(queue ${ARGN})
  set(seen)
  set(archives)
  set(system)
  while(queue)
    list(POP_FRONT queue item)
    if(item STREQUAL "LLVM")
      list(PREPEND queue ${PARE_STATIC_LLVM_COMPONENTS})
      continue()
    endif()
    if(item STREQUAL "MLIR")
      message(FATAL_ERROR "PARE_STATIC_LLVM: an MLIR archive depends on the shared MLIR target")
    endif()
    list(FIND seen "${item}" idx)
    if(NOT idx EQUAL -1)
      continue()
    endif()
    list(APPEND seen "${item}")
    if(item MATCHES "^(MLIR|LLVM)" AND TARGET ${item})
      get_target_property(type ${item} TYPE)
      if(NOT type STREQUAL "STATIC_LIBRARY")
        message(FATAL_ERROR "PARE_STATIC_LLVM: ${item} is a ${type}, not a static archive")
      endif()
      set(loc "")
      foreach(prop IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_RELEASE
                   IMPORTED_LOCATION IMPORTED_LOCATION_MINSIZEREL IMPORTED_LOCATION_DEBUG)
        get_target_property(loc ${item} ${prop})
        if(loc)
          break()
        endif()
      endforeach()
      if(NOT loc)
        message(FATAL_ERROR "PARE_STATIC_LLVM: no archive for ${item}")
      endif()
      list(APPEND archives "${loc}")
      get_target_property(deps ${item} INTERFACE_LINK_LIBRARIES)
      if(deps)
        list(APPEND queue ${deps})
      endif()
    elseif(item MATCHES "libz3\\.so")
      # Only LLVMSupport's Z3 solver needs it; pare never pulls that object in.
    elseif(item MATCHES "^\\$<")
      # generator expressions from the exports (none expected); skip.
    elseif(item MATCHES "::" AND NOT TARGET ${item})
      # e.g. zstd::libzstd_shared when Findzstd found no headers: link the
      # runtime library directly if it exists (Ubuntu and Debian ship it).
      if(item MATCHES "^zstd::")
        find_library(PARE_ZSTD_LIBRARY NAMES zstd libzstd.so.1)
        if(PARE_ZSTD_LIBRARY)
          list(APPEND system "${PARE_ZSTD_LIBRARY}")
        endif()
      endif()
    else()
      list(APPEND system "${item}")
    endif()
  endwhile()
  list(REMOVE_DUPLICATES system)
  set(${out}_ARCHIVES "${archives}" PARENT_SCOPE)
  set(${out}_SYSTEM "${system}" PARENT_SCOPE)
endfunction()

function(_pare_all_targets out dir)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    _pare_all_targets(sub_targets "${sub}")
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} "${targets}" PARENT_SCOPE)
endfunction()

function(_pare_rewrite_list var)
  set(result)
  foreach(item ${${var}})
    if(item STREQUAL "MLIR")
      list(APPEND result PareStaticMLIR)
    elseif(item STREQUAL "$<LINK_ONLY:MLIR>")
      list(APPEND result "$<LINK_ONLY:PareStaticMLIR>")
    elseif(item STREQUAL "LLVM" OR item STREQUAL "$<LINK_ONLY:LLVM>")
      # covered by PareStaticMLIR
    elseif(item MATCHES "^(MLIR|LLVM)[A-Za-z0-9]+$" AND TARGET ${item})
      # an individual component: its archive is in PareStaticMLIR's group
      list(APPEND result PareStaticMLIR)
    else()
      list(APPEND result "${item}")
    endif()
  endforeach()
  set(${var} "${result}" PARENT_SCOPE)
endfunction()

function(pare_use_static_llvm)
  _pare_static_closure(closure ${PARE_STATIC_MLIR_SEEDS} ${PARE_STATIC_MLIR_EXTRA_SEEDS})
  list(LENGTH closure_ARCHIVES n)
  message(STATUS "PARE_STATIC_LLVM: linking ${n} static MLIR/LLVM archives; system libs: ${closure_SYSTEM}")
  add_library(PareStaticMLIR INTERFACE)
  # One group so that the order of the archives does not matter with GNU ld
  # (lld ignores the group and resolves archives lazily anyway).
  target_link_libraries(PareStaticMLIR INTERFACE
    "-Wl,--start-group" ${closure_ARCHIVES} "-Wl,--end-group" ${closure_SYSTEM})

  _pare_all_targets(targets "${PROJECT_SOURCE_DIR}")
  foreach(t ${targets})
    if(t STREQUAL "PareStaticMLIR")
      continue()
    endif()
    get_target_property(type ${t} TYPE)
    foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      if(type STREQUAL "INTERFACE_LIBRARY" AND prop STREQUAL "LINK_LIBRARIES")
        continue()
      endif()
      get_target_property(libs ${t} ${prop})
      if(libs)
        _pare_rewrite_list(libs)
        set_property(TARGET ${t} PROPERTY ${prop} "${libs}")
      endif()
    endforeach()
    if(type STREQUAL "EXECUTABLE" OR type STREQUAL "SHARED_LIBRARY")
      # LLVM's archives are built with -ffunction-sections/-fdata-sections.
      target_link_options(${t} PRIVATE "LINKER:--gc-sections")
    endif()
  endforeach()
endfunction()
