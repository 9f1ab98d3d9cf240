# cmake -DPROGRAM=... -DARGS=... -DEXPECT=<regex> -P expect_fail.cmake
# Passes when PROGRAM ARGS exits non-zero and its output matches EXPECT: the
# check under test noticed the mistake it was shown, and named it.
execute_process(COMMAND "${PROGRAM}" ${ARGS} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${out}${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "expected ${PROGRAM} ${ARGS} to fail; it passed")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "${PROGRAM} ${ARGS} failed (${rc}), but without saying: ${EXPECT}")
endif()
message("failed as it must (${rc}), naming the mistake")
