#!/usr/bin/env bash
# Prints what failed in a `swift test` log, last, so that a CI page showing only the tail of the output still
# names the failing tests and their messages. Usage: scripts/test-failures.sh LOG
set -uo pipefail
log="${1:?usage: $0 LOG}"
echo
echo "==== what failed in $log ===="
# XCTest: "<file>:<line>: error: -[Module.Class testName] : message" and "Test Case '...' failed";
# Swift Testing: lines marked ✘; a crash: "Fatal error" or "unexpected signal". Long messages (a test may
# quote a whole log) are cut to 600 characters, and at most 80 lines are shown.
grep -a -E "error: |Test Case '.*' failed|✘|Fatal error|unexpected signal|Exited with" "$log" \
  | cut -c1-600 | head -n 80
echo "==== end of failures (full log: $log) ===="
