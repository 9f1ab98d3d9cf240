# Shared by the top-level build and every per-toolchain build (cmake/target).
#
# trampgen_runtime(<library> TARGET <spec target> [BACKEND windows|posix])
#   A static library of one target's generated trampolines and context stubs,
#   the shared dispatcher and, with BACKEND, that OS backend. Without
#   BACKEND the caller supplies the trampgen_os_* functions (the
#   emulated-OS harness does).

get_filename_component(TRAMPGEN_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

function(trampgen_runtime lib)
  cmake_parse_arguments(A "" "TARGET;BACKEND" "" ${ARGN})
  set(out "${TRAMPGEN_SOURCE_DIR}/out/${A_TARGET}")
  if(NOT EXISTS "${TRAMPGEN_SOURCE_DIR}/spec/target/${A_TARGET}.toml")
    message(FATAL_ERROR "trampgen: no spec for target '${A_TARGET}' (spec/target/${A_TARGET}.toml)")
  endif()
  set(srcs "${out}/trampolines.S" "${out}/context.c" "${TRAMPGEN_SOURCE_DIR}/runtime/dispatch.c")
  if(A_BACKEND)
    list(APPEND srcs "${TRAMPGEN_SOURCE_DIR}/runtime/${A_BACKEND}.c")
  endif()
  add_library(${lib} STATIC ${srcs})
  target_include_directories(${lib} PUBLIC "${out}" "${TRAMPGEN_SOURCE_DIR}/runtime")
  target_compile_options(${lib} PRIVATE $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra>)
  set_target_properties(${lib} PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)
endfunction()

# trampgen_skip_test(<name> <reason>): a test that reports "skipped" with its
# reason (CTest shows it as Skipped, never as Passed).
function(trampgen_skip_test name reason)
  add_test(NAME ${name} COMMAND sh -c "echo \"skipped: $1\"; exit 77" sh "${reason}")
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
endfunction()
