# Writes es_build_info.c (cmake -P): the git revision is read at every build, not at configure
# time, so a result never names a commit older than the code that produced it.
# In: SRC_DIR, TEMPLATE, OUTPUT, ES_VERSION, ES_NS3_VERSION.
set(ES_GIT_REVISION unknown)
find_program(GIT git)
if(GIT)
  execute_process(COMMAND ${GIT} -C ${SRC_DIR} rev-parse HEAD
    OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0 AND rev)
    set(ES_GIT_REVISION ${rev})
    # Uncommitted changes make the revision alone unable to reproduce the build.
    execute_process(COMMAND ${GIT} -C ${SRC_DIR} status --porcelain --untracked-files=no
      OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
    if(NOT rc EQUAL 0 OR dirty)
      set(ES_GIT_REVISION ${rev}-dirty)
    endif()
  endif()
endif()
configure_file(${TEMPLATE} ${OUTPUT} @ONLY)
