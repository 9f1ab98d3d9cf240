# The generator under hostile conditions (issue 8, items 1-5 and 13): one test
# per group, each in scratch copies of the whole tree (.git included) under
# the build tree. A group this machine cannot run (no setpriv, no tmpfs
# mount) is reported skipped with its reason (exit 77), never passed.
# ctest -L reliability runs them all.
set(_trampgen_rel_scratch "${CMAKE_BINARY_DIR}/reliability/gen")
foreach(_group hostile kill concurrent unprivileged fullfs)
  add_test(NAME gen/reliability-${_group}
    COMMAND "${TRAMPGEN_PYTHON}" tests/reliability/gen/run.py ${_group}
            --scratch "${_trampgen_rel_scratch}" --iterations 20 --seed 1
    WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
  set_tests_properties(gen/reliability-${_group} PROPERTIES
    LABELS reliability SKIP_RETURN_CODE 77 TIMEOUT 900)
endforeach()
# Two generators (plus a --check) at once.
set_tests_properties(gen/reliability-concurrent PROPERTIES PROCESSORS 2)
