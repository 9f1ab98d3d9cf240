# Checks that a COFF library for TARGET defines every trampgen entry point.
execute_process(COMMAND ${NM} --defined-only ${LIB} OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "llvm-nm failed on ${LIB}")
endif()
execute_process(COMMAND ${NM} --format=just-symbols -A ${LIB} OUTPUT_VARIABLE any)
foreach(s trampgen_exceptiontramp trampgen_firstcontinuetramp trampgen_lastcontinuetramp
          trampgen_sigtramp trampgen_sigresume trampgen_windows_dispatch
          trampgen_prepare_context_for_sig_resume trampgen_inject_call trampgen_install)
  if(NOT syms MATCHES " T ${s}\n")
    message(FATAL_ERROR "${TARGET}: ${s} is not defined as code in ${LIB}")
  endif()
  message(STATUS "${TARGET}: ${s} defined")
endforeach()
