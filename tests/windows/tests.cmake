# A Windows target built for Windows (mingw-w64), its fault suite run under
# wine: real vectored exception and continue handlers.
include("${SRC}/tests/faults/faults.cmake")
fault_suite(suite "${SRC}/tests/faults/platform_windows.c")
# The harness mirrors of CONTEXT, checked against the real <windows.h>.
target_sources(suite PRIVATE "${SRC}/tests/harness/layout_check.c")

if(TRAMPGEN_NO_RUNNER)                    # cmake/wine.cmake
  fault_suite_skipped("${TRAMPGEN_NO_RUNNER}")
  return()
endif()
fault_suite_tests(suite ENVIRONMENT "${TRAMPGEN_WINE_ENV}" FIXTURES ${TRAMPGEN_WINE_FIXTURE})
