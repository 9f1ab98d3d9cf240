# Windows on x64 with mingw-w64 gcc (Debian gcc-mingw-w64-x86-64); tests run under wine64.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_ASM_COMPILER x86_64-w64-mingw32-gcc)
# wine64 runs x86_64 PE programs with real vectored exception handling.
find_program(TRAMPGEN_WINE64 NAMES wine64 wine PATHS /usr/lib/wine)
if(TRAMPGEN_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TRAMPGEN_WINE64})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
