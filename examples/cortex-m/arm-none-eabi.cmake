# CMake toolchain file for bare-metal Arm Cortex-M with the GNU Arm toolchain
# (Debian: gcc-arm-none-eabi, libnewlib-arm-none-eabi).
#   cmake -DCMAKE_TOOLCHAIN_FILE=examples/cortex-m/arm-none-eabi.cmake ...
# The cpu flags (-mcpu, -mfpu, -mfloat-abi) are set by the project, not here.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar CACHE FILEPATH "")
set(CMAKE_RANLIB arm-none-eabi-ranlib CACHE FILEPATH "")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "")

# No executable can be linked without the project's startup code and linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
