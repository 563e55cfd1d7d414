#!/usr/bin/env bash
# Fails when a tracked C file differs from what clang-format (.clang-format
# at the root) would write. Fix with: scripts/check-format.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(--dry-run -Werror)
[ "${1:-}" = "--fix" ] && mode=(-i)
git ls-files '*.c' '*.h' | xargs -r clang-format "${mode[@]}"
echo "check-format: $(git ls-files '*.c' '*.h' | wc -l) files formatted as .clang-format says"
