# Linux on riscv64 with Debian's cross gcc; tests run under qemu-riscv64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER riscv64-linux-gnu-gcc)
# qemu-user runs the program with the cross libc from Debian's libc6-*-cross.
find_program(TRAMPGEN_QEMU qemu-riscv64)
if(TRAMPGEN_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TRAMPGEN_QEMU} -L /usr/riscv64-linux-gnu)
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
