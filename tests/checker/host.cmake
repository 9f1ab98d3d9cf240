# trampgen_check: an independent, re2c-lexed reading of every generated
# trampolines.S (tests/checker/checker.h says what it checks and why).
# Included from tests/tests.cmake with CMAKE_SOURCE_DIR and TRAMPGEN_PYTHON.

set(_chk "${CMAKE_SOURCE_DIR}/tests/checker")
find_program(TRAMPGEN_RE2C re2c)
if(NOT TRAMPGEN_RE2C)
  # No lexer generator: say so as a skipped test, never as a pass.
  add_test(NAME checker/re2c-missing COMMAND "${CMAKE_COMMAND}" -E echo
    "SKIP: re2c not found (scripts/setup.sh installs it); the checker cannot be built")
  set_tests_properties(checker/re2c-missing PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP:")
  return()
endif()

set(_lexer "${CMAKE_BINARY_DIR}/checker/lexer.c")
add_custom_command(
  OUTPUT "${_lexer}"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${CMAKE_BINARY_DIR}/checker"
  COMMAND "${TRAMPGEN_RE2C}" -W --no-generation-date "${_chk}/checker.re" -o "${_lexer}"
  DEPENDS "${_chk}/checker.re" "${_chk}/checker.h"
  COMMENT "re2c: tests/checker/checker.re"
  VERBATIM)
add_executable(trampgen_check "${_lexer}" "${_chk}/tables.c" "${_chk}/analyze.c" "${_chk}/main.c")
target_include_directories(trampgen_check PRIVATE "${_chk}")
set_target_properties(trampgen_check PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(trampgen_check PRIVATE -Wall -Wextra)
endif()

# One test per spec/target file: the model from the spec, then the checker on
# the committed out/<target>/trampolines.S (gen/check keeps out/ honest).
file(GLOB _chk_targets CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/spec/target/*.toml")
foreach(_t IN LISTS _chk_targets)
  get_filename_component(_t "${_t}" NAME_WE)
  set(_model "${CMAKE_BINARY_DIR}/checker/${_t}.model")
  add_test(NAME checker/${_t}
    COMMAND "${CMAKE_COMMAND}"
      -DPYTHON=${TRAMPGEN_PYTHON} -DROOT=${CMAKE_SOURCE_DIR} -DTARGET=${_t}
      -DMODEL=${_model} -DCHECKER=$<TARGET_FILE:trampgen_check> -DCC=${CMAKE_C_COMPILER}
      -P "${_chk}/run.cmake")
  set_tests_properties(checker/${_t} PROPERTIES SKIP_REGULAR_EXPRESSION "skipped: ")
endforeach()

# The checker's reading of a register prefix, on a made-up target written in
# the script (model, table and assembly; no spec/ file).
add_test(NAME checker/synthetic-prefix
  COMMAND "${TRAMPGEN_PYTHON}" "${_chk}/synthetic.py" --checker $<TARGET_FILE:trampgen_check> --cc "${CMAKE_C_COMPILER}")

# The negative cases: each deliberately broken spec must fail with its message.
execute_process(COMMAND "${TRAMPGEN_PYTHON}" "${_chk}/broken.py" --list
  OUTPUT_VARIABLE _chk_cases OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "tests/checker/broken.py --list failed")
endif()
foreach(_c IN LISTS _chk_cases)
  add_test(NAME checker/broken-${_c}
    COMMAND "${TRAMPGEN_PYTHON}" "${_chk}/broken.py" ${_c}
      --checker $<TARGET_FILE:trampgen_check> --cc "${CMAKE_C_COMPILER}")
endforeach()

# What reading the built object adds (issue 9, item 2): a broken idiom that
# assembles silently into something other than the register its text names
# passes the source check and must fail the disassembly check.
if(TRAMPGEN_HOST_TARGET AND CMAKE_OBJDUMP)
  add_test(NAME checker/broken-disasm
    COMMAND "${TRAMPGEN_PYTHON}" "${_chk}/broken_disasm.py" ${TRAMPGEN_HOST_TARGET}
      --checker $<TARGET_FILE:trampgen_check> --cc "${CMAKE_C_COMPILER}" --objdump "${CMAKE_OBJDUMP}")
  set_tests_properties(checker/broken-disasm PROPERTIES SKIP_RETURN_CODE 77)
endif()
