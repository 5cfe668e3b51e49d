#!/usr/bin/env bash
# The whole test suite: unit tests beside the code and end-to-end tests against the real skiff binary, then
# the e2e suite a second time in netns mode where it can run (root on Linux). A file that names its mode
# (`network: 'loopback'` or `network: 'netns'` in its TestCluster options) runs once, in the first pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm run build
status=0
# shellcheck disable=SC2046
SKIFF_TEST_NETWORK=loopback node --import tsx --test --test-concurrency=2 --test-timeout=300000 $(find src test -name '*.test.ts' | sort) || status=1
reason=$(node --import tsx -e "const m = await import('./test/support/netns.ts'); process.stdout.write((await m.netnsSkipReason()) ?? '')")
if [ -n "$reason" ]; then
  echo "# e2e suite in netns mode: SKIPPED: $reason"
else
  mapfile -t files < <(grep -L -E "network: '(loopback|netns)'" test/e2e/*.test.ts | sort)
  echo "# e2e suite in netns mode (SKIFF_TEST_NETWORK=netns): ${#files[@]} files"
  start=$(date +%s)
  SKIFF_TEST_NETWORK=netns node --import tsx --test --test-concurrency=2 --test-timeout=300000 "${files[@]}" || status=1
  echo "# e2e suite in netns mode: $(( $(date +%s) - start )) s"
fi
exit $status
