# Linux on armv7l with Debian's cross gcc; tests run under qemu-arm.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_ASM_COMPILER arm-linux-gnueabihf-gcc)
# qemu-user runs the program with the cross libc from Debian's libc6-*-cross.
find_program(TRAMPGEN_QEMU qemu-arm)
if(TRAMPGEN_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TRAMPGEN_QEMU} -L /usr/arm-linux-gnueabihf)
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
