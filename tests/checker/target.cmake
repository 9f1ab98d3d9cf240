# The checker on what was built (issue 9, item 2), for one target build.
# Included by cmake/target/CMakeLists.txt and, for the host, tests/tests.cmake,
# with T, NAME, SRC, TRAMPGEN_MODE and TRAMPGEN_PYTHON set.
#
# ${NAME}/disassembly   out/${T}/trampolines.S assembled as the build
#                       assembles it, disassembled by this build's own objdump
#                       (tests/checker/disasm.py), and judged by trampgen_check
#                       against the spec like the source is: registers saved and
#                       restored, their slots and order, what sigresume writes.
get_filename_component(_chk_dir "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)
find_program(TRAMPGEN_RE2C re2c)
if(SRC STREQUAL CMAKE_SOURCE_DIR)
  if(TRAMPGEN_RE2C)
    set(_chk_exe $<TARGET_FILE:trampgen_check>)   # tests/checker/host.cmake, in this build
  endif()
elseif(TRAMPGEN_CHECKER)
  set(_chk_exe "${TRAMPGEN_CHECKER}")     # the host build's, passed by cmake/cross.cmake
endif()
if(TRAMPGEN_MODE STREQUAL "windows" OR TRAMPGEN_MODE STREQUAL "objects")
  # COFF records no function sizes, so alignment padding cannot be told from code.
  trampgen_skip_test(${NAME}/disassembly "${T} is built as COFF here, whose symbols carry no sizes; the harness-${T} build disassembles the same instructions as ELF")
  return()
endif()
if(NOT CMAKE_OBJDUMP)
  trampgen_skip_test(${NAME}/disassembly "no objdump for this toolchain (CMAKE_OBJDUMP): nothing can disassemble what was built")
  return()
endif()
if(NOT _chk_exe)
  trampgen_skip_test(${NAME}/disassembly "no trampgen_check (it needs re2c, which scripts/setup.sh installs)")
  return()
endif()
add_library(disassembly_objects OBJECT "${SRC}/out/${T}/trampolines.S")
target_compile_options(disassembly_objects PRIVATE ${TRAMPGEN_ASM_FATAL_WARNINGS})
add_test(NAME ${NAME}/disassembly
  COMMAND "${CMAKE_COMMAND}" -DPYTHON=${TRAMPGEN_PYTHON} -DROOT=${SRC} -DTARGET=${T}
          -DOBJDUMP=${CMAKE_OBJDUMP} "-DOBJECT=$<TARGET_OBJECTS:disassembly_objects>"
          -DCHECKER=${_chk_exe} -DOUT=${CMAKE_CURRENT_BINARY_DIR}/disassembly
          -P "${_chk_dir}/disasm.cmake")
set_tests_properties(${NAME}/disassembly PROPERTIES SKIP_REGULAR_EXPRESSION "skipped: ")
