#!/usr/bin/env bash
# The whole test suite, from a fresh clone on Debian 12 as root:
#  1. installs what is missing (apt-get; npm packages for the JavaScript
#     test peers are installed into build/ by the tests that need them),
#  2. checks the C formatting (clang-format) and builds with warnings as
#     errors,
#  3. builds again with AddressSanitizer + UndefinedBehaviorSanitizer and
#     runs the unit tests there,
#  4. runs each libFuzzer target (policy parser, xDS requests, F5 replies,
#     NETCONF get-config data, API requests) for 20 s (clang),
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
  # Each target 20 s (5 targets: under 2 minutes); a crash, a sanitizer
  # report, a leak or an input taking over 10 s fails the run. The corpus
  # grown in build-fuzz/corpus-<name> is kept between runs.
  echo "== fuzz (libFuzzer, 20 s per target)"
  fuzzers="policy:policy xds_request:xds f5_reply:f5 ncdev_config:ncdev api_request:api"
  cmake -S . -B build-fuzz -DWEFT_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
  cmake --build build-fuzz -j"$jobs" --target $(for f in $fuzzers; do
    printf 'fuzz_%s ' "${f%%:*}"; done)
  for f in $fuzzers; do
    target=fuzz_${f%%:*} seeds=${f##*:}
    if [ ! -x build-fuzz/bin/$target ]; then
      echo "$target: not built"; status=1; continue
    fi
    mkdir -p build-fuzz/corpus-$seeds
    build-fuzz/bin/$target -max_total_time=20 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix=build-fuzz/$target- build-fuzz/corpus-$seeds fuzz/corpus/$seeds \
      2>build-fuzz/$target.log || {
      echo "$target FAILED:"; tail -40 build-fuzz/$target.log; status=1; }
    echo "$target: $(grep -E '^Done ' build-fuzz/$target.log | tail -1)"
  done
fi

# The full suite runs last so that its summary closes the output.
echo "== all tests (unit + integration)"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 600) || status=1

exit $status
