# The emulated-OS harness: a Linux program plays Windows for a Windows
# target's generated trampolines (included by cmake/target when
# TRAMPGEN_MODE is harness; T, NAME and SRC are set, and so is the library
# `trampgen`: trampolines.S, context.c and runtime/dispatch.c, no backend).
#
# harness_add_test(<name> <sources...>)
#   An executable <name> built from <sources> for the harness, linked with
#   `harness` (and through it `trampgen`), and one CTest test
#   ${NAME}/<name> that runs it (under CMAKE_CROSSCOMPILING_EMULATOR).
# harness_add_executable(<name> <sources...>)
#   The same executable without a test, for callers that register their
#   own tests (one per scenario, say).
# harness_target_options(<target>)
#   The Windows-ABI compile options below, for any other target whose code
#   faults or is entered from a trampoline.
get_filename_component(HARNESS_DIR "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)
find_package(Threads REQUIRED)

# Code the trampolines enter or resume must honour the target's ABI where it
# promises less than the Linux ABI of the same ISA (a smaller stack alignment,
# a smaller red zone). Which options say so comes from the spec, rendered at
# configure time: tests/harness/options.cmake.j2 sets HARNESS_C_OPTIONS.
set(_harness_options "${CMAKE_CURRENT_BINARY_DIR}/tgen/harness_options.cmake")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${TRAMPGEN_SPEC_FILES} ${TRAMPGEN_GEN_FILES} "${HARNESS_DIR}/options.cmake.j2" "${HARNESS_DIR}/record.j2")
execute_process(
  COMMAND "${TRAMPGEN_PYTHON}" -m gen.testgen --root "${SRC}" --target "${T}"
          --template tests/harness/options.cmake.j2 --output "${_harness_options}"
  WORKING_DIRECTORY "${SRC}"
  RESULT_VARIABLE _harness_rc
  ERROR_VARIABLE _harness_err)
if(NOT _harness_rc EQUAL 0)
  string(STRIP "${_harness_err}" _harness_err)
  message(FATAL_ERROR "harness: the compile options of ${T} could not be rendered:\n${_harness_err}")
endif()
include("${_harness_options}")

function(harness_target_options tgt)
  if(HARNESS_C_OPTIONS)
    target_compile_options(${tgt} PRIVATE $<$<COMPILE_LANGUAGE:C>:${HARNESS_C_OPTIONS}>)
  endif()
endfunction()

# The generated library's C (dispatcher, context stubs) runs on the stack
# sigtramp set up: the same options.
harness_target_options(trampgen)

# The backend: runtime/windows.c without _WIN32 (trampgen_windows_dispatch
# only) and the harness's trampgen_os_*, install and exception dispatcher.
# context.h (the CONTEXT mirror), context.c (ucontext_t <-> CONTEXT, the
# access kind) and emulation.h (what Linux reports differently) are rendered
# from the spec for ${T}.
trampgen_test_sources(HARNESS_GENERATED tests/harness/context.h.j2 tests/harness/context.c.j2
                      tests/harness/emulation.h.j2)
add_library(harness STATIC
  "${SRC}/runtime/windows.c"
  "${HARNESS_DIR}/harness.c"
  ${HARNESS_GENERATED})
target_include_directories(harness PUBLIC "${HARNESS_DIR}" "${CMAKE_CURRENT_BINARY_DIR}/tgen")
target_link_libraries(harness PUBLIC trampgen Threads::Threads)
target_compile_options(harness PRIVATE $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra>)
set_target_properties(harness PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)
harness_target_options(harness)
# The two static libraries refer to each other (sigtramp calls windows.c,
# dispatch.c calls trampgen_os_*; harness.c calls the trampolines): a
# cycle, which CMake links by repeating the pair.
target_link_libraries(trampgen PUBLIC harness)

function(harness_add_executable exe)
  add_executable(${exe} ${ARGN})
  target_link_libraries(${exe} PRIVATE harness)
  target_compile_options(${exe} PRIVATE $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra>)
  set_target_properties(${exe} PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)
  harness_target_options(${exe})
endfunction()

function(harness_add_test exe)
  harness_add_executable(${exe} ${ARGN})
  if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
    trampgen_skip_test(${NAME}/${exe} "no emulator for ${T}'s ISA (qemu-user is installed by scripts/setup.sh)")
    return()
  endif()
  add_test(NAME ${NAME}/${exe} COMMAND ${exe})
  set_tests_properties(${NAME}/${exe} PROPERTIES TIMEOUT 120)
endfunction()

harness_add_test(smoke "${HARNESS_DIR}/smoke.c")

# The fault suite, with the harness playing Windows.
include("${SRC}/tests/faults/faults.cmake")
fault_suite(suite "${SRC}/tests/faults/platform_harness.c" "${SRC}/tests/faults/platform_posix.c")
target_compile_definitions(suite PRIVATE PLATFORM_HARNESS)
target_link_libraries(suite PRIVATE harness)
harness_target_options(suite)
if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  fault_suite_skipped("no emulator for ${T}'s ISA (qemu-user is installed by scripts/setup.sh)")
else()
  fault_suite_tests(suite)
endif()
