# Windows on x86 with mingw-w64 gcc (Debian gcc-mingw-w64-i686); tests run under wine32 when it is installed.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR X86)
set(CMAKE_C_COMPILER i686-w64-mingw32-gcc)
set(CMAKE_ASM_COMPILER i686-w64-mingw32-gcc)
# wine32 (Debian i386 multiarch) runs 32-bit PE programs; scripts/setup.sh records why when it could not be installed.
set(TRAMPGEN_WINE_PACKAGE wine32)
find_program(TRAMPGEN_WINE32 NAMES wine PATHS /usr/lib/wine)
if(TRAMPGEN_WINE32)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TRAMPGEN_WINE32})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
