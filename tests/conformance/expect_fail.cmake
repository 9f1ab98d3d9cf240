# cmake -DPROGRAM=... -DARGS=... -DEXPECT=<regex> -P expect_fail.cmake
# cmake -DPROGRAM=... -DARGS=... -DEXPECT_FILE=<file setting EXPECT> -P expect_fail.cmake
# Passes when PROGRAM ARGS exits non-zero and its output matches EXPECT: the
# check under test noticed the mistake it was shown, and named it.
if(EXPECT_FILE)
  include("${EXPECT_FILE}")
endif()
if(NOT EXPECT)
  message(FATAL_ERROR "expect_fail.cmake: no EXPECT (nor EXPECT_FILE setting it): nothing says what the failure must name")
endif()
execute_process(COMMAND "${PROGRAM}" ${ARGS} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${out}${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "expected ${PROGRAM} ${ARGS} to fail; it passed")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "${PROGRAM} ${ARGS} failed (${rc}), but without saying: ${EXPECT}")
endif()
message("failed as it must (${rc}), naming the mistake")
