# Linux on aarch64 with Debian's cross gcc; tests run under qemu-aarch64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
# qemu-user runs the program with the cross libc from Debian's libc6-*-cross.
find_program(TRAMPGEN_QEMU qemu-aarch64)
if(TRAMPGEN_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TRAMPGEN_QEMU} -L /usr/aarch64-linux-gnu)
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
