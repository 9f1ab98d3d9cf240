# A Windows target built for Windows (mingw-w64), its fault suite run under
# wine: real vectored exception and continue handlers.
include("${SRC}/tests/faults/faults.cmake")
fault_suite(suite "${SRC}/tests/faults/platform_windows.c")
# The harness mirrors of CONTEXT, checked against the real <windows.h>.
include("${SRC}/tests/harness/layout.cmake")
harness_layout_check(suite)

# Windows-only programs: the embedder entry (trampgen_try_handle_exception,
# nothing installed) and the thread lifecycle (mapped system stacks, thread
# exit without detach, the stack guarantee).
set(WINDOWS_PROGRAMS embedder lifecycle)
foreach(prog IN LISTS WINDOWS_PROGRAMS)
  add_executable(${prog} "${SRC}/tests/windows/${prog}.c")
  target_link_libraries(${prog} PRIVATE trampgen)
  target_compile_options(${prog} PRIVATE -Wall -Wextra)
  set_target_properties(${prog} PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)
endforeach()

if(TRAMPGEN_NO_RUNNER)                    # cmake/wine.cmake
  fault_suite_skipped("${TRAMPGEN_NO_RUNNER}")
  foreach(prog IN LISTS WINDOWS_PROGRAMS)
    trampgen_skip_test(${NAME}/${prog} "${TRAMPGEN_NO_RUNNER}")
  endforeach()
  return()
endif()
fault_suite_tests(suite ENVIRONMENT "${TRAMPGEN_WINE_ENV}" FIXTURES ${TRAMPGEN_WINE_FIXTURE})
foreach(prog IN LISTS WINDOWS_PROGRAMS)
  add_test(NAME ${NAME}/${prog} COMMAND ${prog})
  set_tests_properties(${NAME}/${prog} PROPERTIES ENVIRONMENT "${TRAMPGEN_WINE_ENV}" TIMEOUT 120
    FIXTURES_REQUIRED ${TRAMPGEN_WINE_FIXTURE})
endforeach()
