#!/usr/bin/env bash
# The whole test suite: unit tests beside the code and end-to-end tests against the real skiff binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm run build
# shellcheck disable=SC2046
exec node --import tsx --test --test-concurrency=2 --test-timeout=300000 $(find src test -name '*.test.ts' | sort)
