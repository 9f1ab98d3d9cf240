# One ${NAME}/disassembly test (tests/checker/target.cmake): the model from
# spec/, the object's disassembly as checker input (disasm.py), the checker.
foreach(v PYTHON ROOT TARGET OBJDUMP OBJECT CHECKER OUT)
  if(NOT ${v})
    message(FATAL_ERROR "disasm.cmake: -D${v}=... is missing")
  endif()
endforeach()
# No spec/semantics file for the ISA: model.py prints "skipped: ..." (the
# test's SKIP_REGULAR_EXPRESSION) and exits 77.
execute_process(COMMAND "${PYTHON}" "${ROOT}/tests/checker/model.py" --root "${ROOT}" "${TARGET}" -o "${OUT}/${TARGET}.model"
  --table "${OUT}/${TARGET}.tab" RESULT_VARIABLE rc)
if(rc EQUAL 77)
  return()
elseif(NOT rc EQUAL 0)
  message(FATAL_ERROR "model.py ${TARGET} failed")
endif()
execute_process(COMMAND "${PYTHON}" "${ROOT}/tests/checker/disasm.py" --root "${ROOT}" "${TARGET}" "${OBJDUMP}" "${OBJECT}"
  -o "${OUT}/${TARGET}.dis.s" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "disasm.py found problems in ${OBJECT} (exit ${rc})")
endif()
execute_process(COMMAND "${CHECKER}" "${OUT}/${TARGET}.model" "${OUT}/${TARGET}.dis.s" --table "${OUT}/${TARGET}.tab"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "trampgen_check found problems in the disassembly of ${OBJECT} (exit ${rc})")
endif()
