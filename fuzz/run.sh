#!/usr/bin/env bash
# Runs placard's fuzz targets one after the other, each for SECONDS (default 60), and prints
# per target the executions, exec/s, coverage, corpus size and the result.
#
#   fuzz/run.sh [SECONDS] [TARGET...]        e.g. fuzz/run.sh 600 markdown
#
# Stable Rust, no sanitizer (`cargo fuzz run -s none`), with debug assertions and overflow
# checks on (`-a`). The corpus grows in fuzz/corpus/<target> (seeded read-only from
# fuzz/seeds/<target>); crashes and slow units go to fuzz/artifacts/<target>; each run's
# libFuzzer output is kept in fuzz/logs/<target>.log. A corpus over CMIN_BYTES (default 1 MiB)
# is minimised with `cargo fuzz cmin` afterwards.
#
# Environment: PLACARD_FUZZ_KNOWN=lone-cr skips a known, reported bug (see README.md);
# TIMEOUT (default 10) is the seconds after which one input counts as a hang.
# Exit status: 0 when no target failed, 1 otherwise.
set -uo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
cd "$fuzz"

secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(front_matter markdown slug_paths output_key)
timeout_s="${TIMEOUT:-10}"
cmin_bytes="${CMIN_BYTES:-1048576}"
flags=(-s none -a)

command -v cargo-fuzz >/dev/null || {
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
  exit 2
}
[ -d seeds/front_matter ] || ./seeds.sh
echo "== building the fuzz targets (cargo fuzz build ${flags[*]})"
cargo fuzz build "${flags[@]}" || exit 2
mkdir -p logs

summary=()
failed=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  dict=()
  [ -f "dict/$t.dict" ] && dict=("-dict=dict/$t.dict")
  log="logs/$t.log"
  echo "== $t: ${secs}s"
  cargo fuzz run "${flags[@]}" "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -print_final_stats=1 -max_len=65536 -timeout="$timeout_s" \
    -rss_limit_mb=2048 "${dict[@]}" >"$log" 2>&1
  rc=$?
  # The last status line: `#N DONE cov: C ft: F corp: U/SIZE lim: L exec/s: E rss: R`.
  last="$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  [ -n "$runs" ] || runs="$(printf '%s' "$last" | sed -E 's/^#([0-9]+).*/\1/')"
  eps="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
  [ -n "$eps" ] || eps="$(printf '%s' "$last" | sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p')"
  cov="$(printf '%s' "$last" | sed -nE 's/.*cov: ([0-9]+).*/\1/p')"
  ft="$(printf '%s' "$last" | sed -nE 's/.*ft: ([0-9]+).*/\1/p')"
  slowest="$(sed -n 's/^stat::slowest_unit_time_sec: *//p' "$log" | tail -n 1)"
  artifact="$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)"
  if [ "$rc" -eq 0 ]; then
    result="ok"
  else
    failed=1
    if grep -q 'ERROR: libFuzzer: timeout' "$log"; then
      result="TIMEOUT"
    elif grep -q 'out-of-memory' "$log"; then
      result="OOM"
    elif grep -q 'panicked at' "$log"; then
      result="CRASH ($(grep -m1 -A1 'panicked at' "$log" | tail -n 1 | cut -c1-80))"
    else
      result="FAILED (exit $rc)"
    fi
    [ -n "$artifact" ] && result="$result: $artifact"
  fi
  if [ "$(du -sb "corpus/$t" | cut -f1)" -gt "$cmin_bytes" ]; then
    echo "   corpus over $cmin_bytes bytes: cargo fuzz cmin"
    cargo fuzz cmin "${flags[@]}" "$t" "corpus/$t" -- -max_len=65536 -timeout="$timeout_s" \
      >"logs/$t.cmin.log" 2>&1 || echo "   cmin failed: see logs/$t.cmin.log"
  fi
  files="$(find "corpus/$t" -type f | wc -l)"
  bytes="$(du -sb "corpus/$t" | cut -f1)"
  line="$(printf '%-13s %10s runs %7s exec/s  cov %6s  ft %7s  corpus %5s files %9s B  slowest %ss  %s' \
    "$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$files" "$bytes" "${slowest:-?}" "$result")"
  echo "   $line"
  summary+=("$line")
done

echo "== summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
