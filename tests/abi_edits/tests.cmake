# ABI edits are spec edits (issue 9, item 3). Included by tests/tests.cmake for
# the host build, with T (the host's spec target, TRAMPGEN_HOST_TARGET), SRC
# and TRAMPGEN_PYTHON set.
#
# abi-edit/<edit>   tests/abi_edits/run.py: a copy of spec/, templates/ and gen/
#                   in ${CMAKE_CURRENT_BINARY_DIR}/abi-edits/<edit>, one ABI edit
#                   made on the parsed target spec (no literal text), regenerated,
#                   and then either a sub-build of cmake/target against that
#                   copy's out/ running the fault suite and conformance, or (for
#                   an edit that makes the spec inconsistent) generation exiting
#                   2 with one line naming the file and the key. run.py's
#                   docstring says what each edit is.
get_filename_component(ABI_EDITS_DIR "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)

set(ABI_EDITS
  rewrite_unchanged scratch callee_saved_reversed callee_saved_shorter callee_saved_dropped
  stack_alignment_doubled kind_register
  bad_scratch_callee_saved bad_scratch_inject_arg)

if(NOT TRAMPGEN_PYTHON)
  foreach(e IN LISTS ABI_EDITS)
    trampgen_skip_test(abi-edit/${e} "no Python 3 to run tests/abi_edits/run.py (pass -DTRAMPGEN_PYTHON=...)")
  endforeach()
  return()
endif()

# The compiler that builds this host target, for the sub-builds and to measure
# context field offsets a new scratch register needs.
trampgen_c_command(_abi_cc)
foreach(e IN LISTS ABI_EDITS)
  add_test(NAME abi-edit/${e}
    COMMAND "${TRAMPGEN_PYTHON}" "${ABI_EDITS_DIR}/run.py" --src "${SRC}"
            --work "${CMAKE_CURRENT_BINARY_DIR}/abi-edits/${e}" --target ${T} --edit ${e}
            --generator "${CMAKE_GENERATOR}" --jobs 2
            --host-system "${CMAKE_HOST_SYSTEM_NAME}" --host-processor "${CMAKE_HOST_SYSTEM_PROCESSOR}"
            # tests/checker/host.cmake defines it after this file, where re2c exists.
            "$<$<TARGET_EXISTS:trampgen_check>:--checker=$<TARGET_FILE:trampgen_check>>"
            -- ${_abi_cc})
  # A sub-build is a configure, ~10 compilations and the suite: well under a
  # minute here; the bound is for a loaded machine.
  set_tests_properties(abi-edit/${e} PROPERTIES TIMEOUT 300 LABELS abi-edit)
endforeach()
