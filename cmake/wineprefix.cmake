# cmake -DWINE=<wine> -DPREFIX=<dir> -P wineprefix.cmake
# Creates the shared wine prefix of a Windows build (the ${NAME}/wineprefix
# fixture, cmake/wine.cmake). wineboot can fail at once ("could not load
# kernel32.dll") while a wine server of an earlier run is still shutting
# down; that is not a fault of the code under test, so a failure is said,
# the half-made prefix removed, the server given time to go, and wineboot
# run again, three times at most. A prefix that still cannot be made fails
# the fixture, and its tests do not run.
if(NOT WINE OR NOT PREFIX)
  message(FATAL_ERROR "wineprefix.cmake: pass -DWINE=<wine> -DPREFIX=<prefix directory>")
endif()
set(ENV{WINEPREFIX} "${PREFIX}")
foreach(attempt 1 2 3)
  execute_process(COMMAND "${WINE}" wineboot --init RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 AND EXISTS "${PREFIX}/system.reg")
    message("wine prefix ${PREFIX} ready (attempt ${attempt})")
    return()
  endif()
  message("wineboot --init failed (attempt ${attempt}, exit ${rc}):\n${out}${err}")
  execute_process(COMMAND "${WINE}" wineboot --kill RESULT_VARIABLE _ignored OUTPUT_QUIET ERROR_QUIET)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E sleep 3)
  file(REMOVE_RECURSE "${PREFIX}")
endforeach()
message(FATAL_ERROR "could not create the wine prefix ${PREFIX} in three attempts")
