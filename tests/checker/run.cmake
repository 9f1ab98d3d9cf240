# One checker/<target> test: write the model from spec/, then check the
# committed assembly. Two commands in one test, so a CMake script runs them.
execute_process(COMMAND "${PYTHON}" "${ROOT}/tests/checker/model.py" --root "${ROOT}" "${TARGET}" -o "${MODEL}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "model.py ${TARGET} failed")
endif()
execute_process(COMMAND "${CHECKER}" "${MODEL}" "${ROOT}/out/${TARGET}/trampolines.S" --cpp "${CC}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "trampgen_check found problems in out/${TARGET}/trampolines.S (exit ${rc})")
endif()
