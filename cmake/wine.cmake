# The runner of a Windows build: wine, as CMAKE_CROSSCOMPILING_EMULATOR.
# Included by cmake/target in windows mode, before the tests. Sets
#   TRAMPGEN_NO_RUNNER     why nothing runs this build's programs (empty if wine does)
#   TRAMPGEN_WINE_ENV      the environment of every test run under wine
#   TRAMPGEN_WINE_FIXTURE  the fixture that creates the shared wine prefix
# and registers ${NAME}/wineprefix, which creates that prefix once.
set(TRAMPGEN_NO_RUNNER "")
set(TRAMPGEN_WINE_ENV "")
set(TRAMPGEN_WINE_FIXTURE "")
# A toolchain whose wine is an optional install (TRAMPGEN_WINE_PACKAGE)
# finds why scripts/setup.sh could not install it in build-env/.
set(_skip "${TRAMPGEN_STATE_DIR}/${TRAMPGEN_WINE_PACKAGE}.skip")
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(TRAMPGEN_NO_RUNNER "no wine runs ${T} programs here")
  if(TRAMPGEN_WINE_PACKAGE AND EXISTS "${_skip}")
    file(READ "${_skip}" _why)
    string(STRIP "${_why}" _why)
    set(TRAMPGEN_NO_RUNNER "${TRAMPGEN_WINE_PACKAGE} is not installed: ${_why} (the harness-${T} build runs ${T} under qemu instead)")
  endif()
  return()
endif()

set(TRAMPGEN_WINE_ENV "WINEPREFIX=${CMAKE_BINARY_DIR}/wineprefix" "WINEDEBUG=-all" "WINEDLLOVERRIDES=mscoree,mshtml=")
set(TRAMPGEN_WINE_FIXTURE ${NAME}-wine)
add_test(NAME ${NAME}/wineprefix COMMAND "${CMAKE_COMMAND}" "-DWINE=${CMAKE_CROSSCOMPILING_EMULATOR}"
  "-DPREFIX=${CMAKE_BINARY_DIR}/wineprefix" -P "${CMAKE_CURRENT_LIST_DIR}/wineprefix.cmake")
set_tests_properties(${NAME}/wineprefix PROPERTIES FIXTURES_SETUP ${TRAMPGEN_WINE_FIXTURE}
  ENVIRONMENT "${TRAMPGEN_WINE_ENV}" TIMEOUT 300)
