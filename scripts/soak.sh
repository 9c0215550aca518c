#!/bin/sh
# The long watch soak: tests/placard/soak.rs with 10,000 operations (issue 7 item 5).
#
#   scripts/soak.sh                  # 10,000 operations, a fresh seed (printed first)
#   PLACARD_SOAK_SEED=0x1234 PLACARD_SOAK_OPS=2000 scripts/soak.sh
#   PLACARD_SOAK_DEBUG=1 scripts/soak.sh   # a debug build instead of release
#
# It builds into its own target folder (target/soak unless CARGO_TARGET_DIR is set), so that
# builds of the working tree made while it runs (an hour or so) do not swap the `placard`
# binary under it. The summary line goes to stderr; the op log to target/soak-<seed>.log
# (also on success); on failure the test prints how to reproduce the walk.
set -eu
cd "$(dirname "$0")/.."
: "${PLACARD_SOAK_OPS:=10000}"
: "${PLACARD_SOAK_SEED:=$(date +%s)}"
: "${PLACARD_SOAK_EVERY:=3}"
: "${CARGO_TARGET_DIR:=target/soak}"
: "${PLACARD_SOAK_LOG:=$PWD/target/soak-$PLACARD_SOAK_SEED.log}"
export PLACARD_SOAK_OPS PLACARD_SOAK_SEED PLACARD_SOAK_EVERY CARGO_TARGET_DIR PLACARD_SOAK_LOG
profile=--release
if [ -n "${PLACARD_SOAK_DEBUG:-}" ]; then profile=; fi
mkdir -p target
echo "soak: seed $PLACARD_SOAK_SEED, $PLACARD_SOAK_OPS operations, compared every $PLACARD_SOAK_EVERY steps, ${profile:-debug} build in $CARGO_TARGET_DIR; log $PLACARD_SOAK_LOG"
cargo test $profile --test placard --no-run
start=$(date +%s)
status=0
cargo test $profile --test placard -- --exact soak::a_random_walk_of_edits_serves_what_a_clean_build_makes --nocapture || status=$?
echo "soak: wall time $(( $(date +%s) - start )) s, exit $status"
exit $status
