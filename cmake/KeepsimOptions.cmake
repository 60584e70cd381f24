# Warnings and sanitizers shared by every keepsim target, through one interface library.
add_library(keepsim_options INTERFACE)
target_compile_options(keepsim_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
if(KEEPSIM_WERROR)
  target_compile_options(keepsim_options INTERFACE -Werror)
endif()
if(KEEPSIM_SANITIZE)
  target_compile_options(keepsim_options INTERFACE -fsanitize=${KEEPSIM_SANITIZE} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  target_link_options(keepsim_options INTERFACE -fsanitize=${KEEPSIM_SANITIZE})
endif()
if(KEEPSIM_FUZZ)
  # Coverage feedback for libFuzzer in every keepsim object; fuzz/ links the fuzzer's main into its targets.
  target_compile_options(keepsim_options INTERFACE -fsanitize=fuzzer-no-link
    -fsanitize-coverage-ignorelist=${CMAKE_SOURCE_DIR}/fuzz/coverage_ignore.txt)
endif()
if(KEEPSIM_SANITIZE MATCHES "thread")
  # TSan cannot see inside Debian's uninstrumented libtbb; parallel.hpp switches to std::thread for this build.
  target_compile_definitions(keepsim_options INTERFACE KEEPSIM_STD_THREADS)
endif()
# Vision counts are popcounts over bit layers (core/bit_layer.hpp): use the instruction, which every x86-64 CPU
# since about 2008 has, rather than GCC's software fallback (about five times the instructions per count).
option(KEEPSIM_POPCNT "Use the x86-64 POPCNT instruction" ON)
if(KEEPSIM_POPCNT AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  target_compile_options(keepsim_options INTERFACE -mpopcnt)
endif()
