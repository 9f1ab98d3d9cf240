# A Windows target with no runner here: the trampolines, stubs and runtime
# compile and assemble to COFF for the real target (the stubs' layout
# asserts check the spec against the mingw-w64 CONTEXT), and the objects
# carry the symbols Windows needs. Execution is the harness's job.
include("${SRC}/tests/harness/layout.cmake")
add_library(layout_check STATIC)
harness_layout_check(layout_check)
find_program(LLVM_NM NAMES llvm-nm llvm-nm-14 REQUIRED)
add_test(NAME ${NAME}/coff-symbols
  COMMAND ${CMAKE_COMMAND} -DNM=${LLVM_NM} -DLIB=$<TARGET_FILE:trampgen> -DTARGET=${T}
          -P "${SRC}/tests/objects/check_symbols.cmake")
