# cmake "-DCC=<compiler|args...>" -DFLAG=<fatal-warnings flag> -DSRC=warns.S -DOUT=<dir> -P fatal_warnings.cmake
string(REPLACE "|" ";" CC "${CC}")
# The build treats assembler warnings as errors: warns.S assembles with a
# warning without FLAG, and must fail with it. Proves the flag the runtime is
# built with is what stops a warning from passing silently.
execute_process(COMMAND ${CC} -c "${SRC}" -o "${OUT}/warns-plain.o"
  RESULT_VARIABLE plain_rc OUTPUT_VARIABLE plain_out ERROR_VARIABLE plain_out)
execute_process(COMMAND ${CC} ${FLAG} -c "${SRC}" -o "${OUT}/warns-fatal.o"
  RESULT_VARIABLE fatal_rc OUTPUT_VARIABLE fatal_out ERROR_VARIABLE fatal_out)
message("without ${FLAG}: exit ${plain_rc}\n${plain_out}")
message("with ${FLAG}: exit ${fatal_rc}\n${fatal_out}")
if(NOT plain_rc EQUAL 0 AND fatal_rc EQUAL 0)
  message(FATAL_ERROR "the fatal-warnings flag made a failing file pass")
endif()
if(plain_rc EQUAL 0 AND NOT plain_out MATCHES "[Ww]arning")
  message(FATAL_ERROR "warns.S gave no warning: the check proves nothing on this assembler")
endif()
if(fatal_rc EQUAL 0)
  message(FATAL_ERROR "an assembler warning did not fail the build's assembler command")
endif()
message("an assembler warning fails the build")
