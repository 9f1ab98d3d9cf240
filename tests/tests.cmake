# Tests of the top-level (host) build. The cross builds add their own.

# The generator: its unit tests, and out/ matching spec/ + templates/.
add_test(NAME gen/unit
  COMMAND "${TRAMPGEN_PYTHON}" -m unittest discover -s tests/gen -v
  WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
add_test(NAME gen/check
  COMMAND "${TRAMPGEN_PYTHON}" -m gen generate --check
  WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")

if(TRAMPGEN_HOST_TARGET)
  # The host target runs the same suite as every other target, natively.
  set(T ${TRAMPGEN_HOST_TARGET})
  set(NAME ${TRAMPGEN_HOST_TARGET})
  set(SRC "${CMAKE_SOURCE_DIR}")
  set(TRAMPGEN_MODE posix)
  include(tests/posix/tests.cmake)
  # The runtime reliability suite, natively (label: reliability).
  include(tests/reliability/runtime/tests.cmake)
  foreach(extra conformance oracle checker)
    include("${SRC}/tests/${extra}/target.cmake" OPTIONAL)
  endforeach()
  trampgen_fatal_warnings_test(${NAME}/asm-fatal-warnings)
  # ABI edits applied to a copy of the spec, regenerated, rebuilt and run.
  include(tests/abi_edits/tests.cmake)
  add_test(NAME ${NAME}/demo COMMAND demo)
  set_tests_properties(${NAME}/demo PROPERTIES PASS_REGULAR_EXPRESSION "demo: 3 faults handled, 2 recovered by an injected call, 1 resumed exactly")
endif()

# Independent checks over every target, run from the host build.
foreach(extra fuzz checker reliability/gen)
  include("${CMAKE_SOURCE_DIR}/tests/${extra}/host.cmake" OPTIONAL)
endforeach()
