# One checker/<target> test: write the model from spec/, then check the
# committed assembly. Two commands in one test, so a CMake script runs them.
# An ISA with no spec/semantics file: model.py prints "skipped: ..." and exits
# 77; the test's SKIP_REGULAR_EXPRESSION turns that line into a skip.
execute_process(COMMAND "${PYTHON}" "${ROOT}/tests/checker/model.py" --root "${ROOT}" "${TARGET}" -o "${MODEL}"
  --table "${MODEL}.tab" RESULT_VARIABLE rc)
if(rc EQUAL 77)
  return()
elseif(NOT rc EQUAL 0)
  message(FATAL_ERROR "model.py ${TARGET} failed")
endif()
execute_process(COMMAND "${CHECKER}" "${MODEL}" "${ROOT}/out/${TARGET}/trampolines.S" --table "${MODEL}.tab"
  --cpp "${CC}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "trampgen_check found problems in out/${TARGET}/trampolines.S (exit ${rc})")
endif()
