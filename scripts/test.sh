#!/usr/bin/env bash
# The whole test suite, from a fresh clone on Debian 12 as root:
#  1. installs what is missing (apt-get; npm packages for the JavaScript
#     test peers are installed into build/ by the tests that need them),
#  2. checks the C formatting (clang-format) and builds with warnings as
#     errors,
#  3. builds again with AddressSanitizer + UndefinedBehaviorSanitizer and
#     runs the unit tests there,
#  4. runs the policy-parser fuzzer for a short, bounded time (clang),
#  5. runs every test (unit and integration) under CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

jobs=$(nproc)
status=0

echo "== format (clang-format)"
bash scripts/check-format.sh || status=1

echo "== build (warnings as errors)"
bash scripts/build.sh build

echo "== ASan+UBSan build, unit tests"
bash scripts/build.sh build-asan -DWEFT_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs" -L unit --timeout 600) || status=1

if [ -f fuzz/CMakeLists.txt ]; then
  echo "== fuzz (policy parser, 60 s)"
  cmake -S . -B build-fuzz -DWEFT_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
  cmake --build build-fuzz -j"$jobs" --target fuzz_policy
  if [ -x build-fuzz/bin/fuzz_policy ]; then
    mkdir -p build-fuzz/corpus
    build-fuzz/bin/fuzz_policy -max_total_time=60 -rss_limit_mb=2048 \
      build-fuzz/corpus fuzz/corpus/policy 2>build-fuzz/fuzz.log || {
      tail -40 build-fuzz/fuzz.log; status=1; }
    tail -2 build-fuzz/fuzz.log
  fi
fi

# The full suite runs last so that its summary closes the output.
echo "== all tests (unit + integration)"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 600) || status=1

exit $status
