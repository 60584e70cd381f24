# Configures, builds and tests keepsim with one sanitizer (cmake -P script, run by the "sanitizer:" tests).
# Sanitizer reports abort the process (-fno-sanitize-recover=all, halt_on_error), so any report fails a test.
foreach(var SOURCE BUILD SANITIZE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "sanitizer_build.cmake needs -D${var}=...")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

# Line tables only (-g1): a report still names file and line, and the address+undefined build compiles in about
# half the time it takes with full debug information (-g; 26 s against 52 s for test_peace_mechanisms.cpp).
run(${CMAKE_COMMAND} -S ${SOURCE} -B ${BUILD} -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEEPSIM_SANITIZE=${SANITIZE}
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" -DKEEPSIM_WERROR=ON -DKEEPSIM_BENCH=OFF
    -DKEEPSIM_SANITIZER_TESTS=OFF)
include(ProcessorCount)
ProcessorCount(cores)
run(${CMAKE_COMMAND} --build ${BUILD} -j ${cores})
set(ENV{ASAN_OPTIONS} "detect_leaks=1:halt_on_error=1:abort_on_error=1")
set(ENV{UBSAN_OPTIONS} "halt_on_error=1:print_stacktrace=1")
set(ENV{TSAN_OPTIONS} "halt_on_error=1:second_deadlock_stack=1")
set(ENV{KEEPSIM_SANITIZED} ${SANITIZE})  # tests/cli/cli_common.py: runs that must only last a while do less work
# The Python reader tests exercise Python libraries, not keepsim's code: they run in the plain build only. So
# does the browser test, which checks the page in Chromium; the explorer's server is checked under the
# sanitizers by "cli: test_view".
# The tests run as many at once as there are cores: a sanitized test is slow and mostly one thread, and the two
# sanitizer builds take most of the suite's time when their tests run one after another.
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir ${BUILD} --output-on-failure -LE "python|browser"
                        --parallel ${cores} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  # The full output is above, often longer than a CI log keeps: the lines that say what failed come again last.
  set(log ${BUILD}/Testing/Temporary/LastTest.log)
  if(EXISTS ${log})
    file(STRINGS ${log} lines REGEX "^(FAIL |[0-9]+ passed, [1-9]|.*(Sanitizer|runtime error|FAILED|REQUIRE|CHECK\\())")
    list(LENGTH lines n)
    if(n GREATER 60)
      list(SUBLIST lines 0 60 lines)
    endif()
    set(summary "")
    foreach(line IN LISTS lines)
      string(SUBSTRING "${line}" 0 300 line)
      string(APPEND summary "\n  ${line}")
    endforeach()
    message("what failed in the ${SANITIZE} build:${summary}")
  endif()
  message(FATAL_ERROR "failed (${rc}): the tests of the ${SANITIZE} build")
endif()
