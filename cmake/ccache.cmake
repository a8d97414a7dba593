# Compiles through ccache, with hits across clones and build folders: CI builds a fresh clone in
# a new folder every time, and a cache keyed on absolute paths would never hit there.
#   CCACHE_BASEDIR=<source dir>  ccache rewrites absolute paths under it (sources, -I) to paths
#                                relative to the build folder before hashing;
#   CCACHE_NOHASHDIR=1           the build folder's own path is not hashed (it only reaches the
#                                object through debug info, which -ffile-prefix-map makes
#                                relative; see the top-level CMakeLists);
# so two clones built as <clone>/build share every object except the few test files that
# compile in a folder's absolute path (see zta_test). The cache's size is ccache's own
# setting (`ccache -M`; 5 GB unless configured): one RelWithDebInfo build stores about 0.1 GB
# (compressed; 102 compiles), so 5 GB keeps many builds and build types.
# Turn off with -DZTA_CCACHE=OFF; a CMAKE_CXX_COMPILER_LAUNCHER given on the command line wins.
option(ZTA_CCACHE "Compile through ccache when it is installed" ON)

if(ZTA_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(ZTA_CCACHE_PROGRAM ccache)
  find_program(ZTA_ENV_PROGRAM env)
  if(ZTA_CCACHE_PROGRAM AND ZTA_ENV_PROGRAM)
    set(CMAKE_CXX_COMPILER_LAUNCHER
        ${ZTA_ENV_PROGRAM} CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=1
        ${ZTA_CCACHE_PROGRAM})
    # A cache smaller than two builds evicts this build's objects before the next clone asks.
    execute_process(COMMAND ${ZTA_CCACHE_PROGRAM} --get-config max_size
                    OUTPUT_VARIABLE zta_ccache_max_size OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE zta_ccache_rc ERROR_QUIET)
    # ccache prints e.g. "5.0G"; 0 is unlimited. Warn below 1 GB.
    if(zta_ccache_rc EQUAL 0 AND zta_ccache_max_size MATCHES "^([0-9.]+) *([kKMGT]?)")
      set(zta_ccache_number ${CMAKE_MATCH_1})
      set(zta_ccache_unit "${CMAKE_MATCH_2}")
      if(NOT zta_ccache_number EQUAL 0 AND
         (zta_ccache_unit STREQUAL "" OR zta_ccache_unit STREQUAL "k" OR
          zta_ccache_unit STREQUAL "K" OR zta_ccache_unit STREQUAL "M" OR
          (zta_ccache_unit STREQUAL "G" AND zta_ccache_number LESS 1)))
        message(WARNING "ccache max_size is ${zta_ccache_max_size}; one zta build stores about "
                        "0.1 GB, so raise it (ccache -M 5G) or most builds will miss")
      endif()
    endif()
  endif()
endif()
