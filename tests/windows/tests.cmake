# A Windows target built for Windows (mingw-w64), its fault suite run under
# wine: real vectored exception and continue handlers.
include("${SRC}/tests/faults/faults.cmake")
fault_suite(suite "${SRC}/tests/faults/platform_windows.c")
# The harness mirrors of CONTEXT, checked against the real <windows.h>.
target_sources(suite PRIVATE "${SRC}/tests/harness/layout_check.c")

if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(reason "no wine runs ${T} programs here")
  if(EXISTS "${TRAMPGEN_STATE_DIR}/wine32.skip" AND T STREQUAL "windows-386")
    file(READ "${TRAMPGEN_STATE_DIR}/wine32.skip" why)
    string(STRIP "${why}" why)
    set(reason "wine32 is not installed: ${why} (windows-386 runs in the emulated-OS harness instead)")
  endif()
  fault_suite_skipped("${reason}")
  return()
endif()

# One wine prefix per build, created once before the tests share it.
set(prefix "${CMAKE_BINARY_DIR}/wineprefix")
get_filename_component(wine_dir "${CMAKE_CROSSCOMPILING_EMULATOR}" DIRECTORY)
set(env "WINEPREFIX=${prefix}" "WINEDEBUG=-all" "WINEDLLOVERRIDES=mscoree,mshtml=")
add_test(NAME ${NAME}/wineprefix COMMAND ${CMAKE_CROSSCOMPILING_EMULATOR} wineboot --init)
set_tests_properties(${NAME}/wineprefix PROPERTIES FIXTURES_SETUP ${NAME}-wine ENVIRONMENT "${env}" TIMEOUT 300)
fault_suite_tests(suite ENVIRONMENT "${env}" FIXTURES ${NAME}-wine)
