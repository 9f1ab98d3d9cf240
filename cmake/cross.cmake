# Every non-host build: one CMake build per toolchain (cmake/target), run at
# build time, whose tests join this build's CTest run. A build whose compiler
# is missing becomes a skipped test that says so.
include(ExternalProject)

function(trampgen_cross name)
  cmake_parse_arguments(A "" "TARGET;MODE;TOOLCHAIN;COMPILER" "CMAKE_ARGS;OWN_CC" ${ARGN})
  set(bin "${CMAKE_BINARY_DIR}/cross/${name}")
  find_program(_cc_${name} ${A_COMPILER})
  if(NOT _cc_${name})
    trampgen_skip_test(${name}/build "${A_COMPILER} is not installed (scripts/setup.sh installs it)")
    return()
  endif()
  set(args -DTRAMPGEN_TARGET=${A_TARGET} -DTRAMPGEN_MODE=${A_MODE} -DTRAMPGEN_BUILD_NAME=${name}
           "-DTRAMPGEN_PYTHON=${TRAMPGEN_PYTHON}")
  if(A_MODE STREQUAL "windows")
    # Where scripts/setup.sh records why an optional runner (wine32) is missing.
    list(APPEND args "-DTRAMPGEN_STATE_DIR=${CMAKE_SOURCE_DIR}/build-env")
  endif()
  list(APPEND args ${A_CMAKE_ARGS})
  if(A_OWN_CC)
    string(REPLACE ";" "|" own "${A_OWN_CC}")   # a list: LIST_SEPARATOR below
    list(APPEND args "-DTRAMPGEN_OWN_CC=${own}")
  endif()
  if(A_TOOLCHAIN)
    list(APPEND args "-DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/toolchains/${A_TOOLCHAIN}.cmake")
  endif()
  ExternalProject_Add(cross-${name}
    SOURCE_DIR "${CMAKE_SOURCE_DIR}/cmake/target"
    BINARY_DIR "${bin}"
    CMAKE_ARGS ${args}
    LIST_SEPARATOR |
    BUILD_ALWAYS 1
    INSTALL_COMMAND ""
    DEPENDS generate)
  # Its tests join ours; if it was never built, that is a failure, not silence.
  file(WRITE "${bin}-tests.cmake"
    "if(EXISTS \"${bin}/CTestTestfile.cmake\")\n"
    "  include(\"${bin}/CTestTestfile.cmake\")\n"
    "else()\n"
    "  add_test(${name}/not-built sh -c \"echo '${name} was not built: build the project first'; exit 1\")\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${bin}-tests.cmake")
endfunction()

# Windows targets, built for Windows: run under wine where wine runs them.
trampgen_cross(windows-amd64 TARGET windows-amd64 MODE windows TOOLCHAIN x86_64-w64-mingw32 COMPILER x86_64-w64-mingw32-gcc)
trampgen_cross(windows-386 TARGET windows-386 MODE windows TOOLCHAIN i686-w64-mingw32 COMPILER i686-w64-mingw32-gcc)
# Windows on ARM: COFF objects from clang against the mingw-w64 headers (no runner exists here).
trampgen_cross(windows-arm64-coff TARGET windows-arm64 MODE objects TOOLCHAIN aarch64-w64-windows-gnu COMPILER clang)
trampgen_cross(windows-arm-coff TARGET windows-arm MODE objects TOOLCHAIN armv7-w64-windows-gnu COMPILER clang)
# The same Windows trampolines, executed in the emulated-OS harness. OWN_CC:
# the target's own compiler, for tests that ask it about the target's ABI.
trampgen_cross(harness-windows-arm64 TARGET windows-arm64 MODE harness TOOLCHAIN aarch64-linux-gnu COMPILER aarch64-linux-gnu-gcc
  OWN_CC clang --target=aarch64-w64-windows-gnu)
trampgen_cross(harness-windows-arm TARGET windows-arm MODE harness TOOLCHAIN arm-linux-gnueabihf COMPILER arm-linux-gnueabihf-gcc
  OWN_CC clang --target=armv7-w64-windows-gnu)
trampgen_cross(harness-windows-386 TARGET windows-386 MODE harness TOOLCHAIN i686-linux-gnu COMPILER i686-linux-gnu-gcc
  OWN_CC i686-w64-mingw32-gcc)
trampgen_cross(harness-windows-amd64 TARGET windows-amd64 MODE harness COMPILER cc
  OWN_CC x86_64-w64-mingw32-gcc)
# Linux targets other than the host's: real signals, under qemu-user.
trampgen_cross(linux-386 TARGET linux-386 MODE posix TOOLCHAIN i686-linux-gnu COMPILER i686-linux-gnu-gcc)
# linux-arm64 also runs the reliability suite's signal storms, under qemu, with counts / 4.
trampgen_cross(linux-arm64 TARGET linux-arm64 MODE posix TOOLCHAIN aarch64-linux-gnu COMPILER aarch64-linux-gnu-gcc
  CMAKE_ARGS "-DTRAMPGEN_STRESS_SUBSET=storm_default|storm_private" -DTRAMPGEN_STRESS_SCALE=4)
trampgen_cross(linux-arm TARGET linux-arm MODE posix TOOLCHAIN arm-linux-gnueabihf COMPILER arm-linux-gnueabihf-gcc)
trampgen_cross(linux-riscv64 TARGET linux-riscv64 MODE posix TOOLCHAIN riscv64-linux-gnu COMPILER riscv64-linux-gnu-gcc)

# The host target again, with AddressSanitizer and UndefinedBehaviorSanitizer:
# the runtime and the whole fault suite, natively.
trampgen_cross(linux-amd64-sanitize TARGET linux-amd64 MODE posix COMPILER cc
  CMAKE_ARGS "-DCMAKE_C_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
             -DTRAMPGEN_SANITIZE=ON -DTRAMPGEN_STRESS_SCALE=2)
# The host target with ThreadSanitizer: the runtime and its reliability suite.
trampgen_cross(linux-amd64-tsan TARGET linux-amd64 MODE reliability COMPILER cc
  CMAKE_ARGS "-DCMAKE_C_FLAGS=-fsanitize=thread -fno-omit-frame-pointer"
             -DTRAMPGEN_SANITIZE=thread -DTRAMPGEN_STRESS_SCALE=2)
