# Find a Python 3.11+ interpreter that can import jinja2 (the generator needs
# tomllib and Jinja2). Set TRAMPGEN_PYTHON to choose one.
set(_candidates)
if(TRAMPGEN_PYTHON)
  list(APPEND _candidates "${TRAMPGEN_PYTHON}")
endif()
find_program(_py_path NAMES python3 NO_CACHE)
find_program(_py_system NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH NO_CACHE)
list(APPEND _candidates ${_py_path} ${_py_system})
list(REMOVE_DUPLICATES _candidates)

set(_tried)
foreach(_py IN LISTS _candidates)
  execute_process(
    COMMAND "${_py}" -c "import sys, tomllib, jinja2; assert sys.version_info >= (3, 11)"
    RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(_rc EQUAL 0)
    set(TRAMPGEN_PYTHON "${_py}" CACHE FILEPATH "Python 3.11+ with Jinja2, for the generator" FORCE)
    message(STATUS "trampgen: generator runs with ${TRAMPGEN_PYTHON}")
    return()
  endif()
  list(APPEND _tried "${_py}")
endforeach()
message(FATAL_ERROR
  "trampgen: no Python 3.11+ that can import jinja2 (tried: ${_tried}). "
  "Run scripts/setup.sh (installs python3-jinja2), or pass -DTRAMPGEN_PYTHON=/path/to/python3.")
