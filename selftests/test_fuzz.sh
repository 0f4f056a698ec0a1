#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Run the libFuzzer harnesses (selftests/fuzz/fuzz_*.c, built with ASan and
# UBSan by `make tests`) for a while each, from their seed corpus
# (selftests/fuzz/corpus/NAME). One line per harness: "PASS NAME: RUNS runs
# in S s (N/s), corpus C" or "FAIL NAME: ..." with the report and the input
# that failed, kept in DIR/artifacts to be run again: `DIR/NAME FILE`.
#
# Usage: test_fuzz.sh [-d DIR] [-s SECONDS] [-k] [NAME...]   (default: all)
#   -d DIR      where the harnesses are (default .output/fuzz)
#   -s SECONDS  how long each one runs (default 10)
#   -k          keep what the run finds in DIR/corpus/NAME, and start from it
#               next time (`make fuzz`); without it, found inputs are dropped
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/.output/fuzz
secs=10
keep=
all=(fuzz_config fuzz_answer fuzz_name_prefix fuzz_wg_uapi)

while getopts d:s:k opt; do
	case $opt in
	d) dir=$OPTARG ;;
	s) secs=$OPTARG ;;
	k) keep=1 ;;
	*) echo "usage: $0 [-d DIR] [-s SECONDS] [-k] [NAME...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $secs in
'' | *[!0-9]* | 0) echo "$0: -s takes a whole number of seconds, not '$secs'" >&2; exit 2 ;;
esac

# Options a harness needs beyond the defaults: a dictionary of the config
# keywords; replies longer than the reader's 4096-byte line.
extra_opts() {
	case $1 in
	fuzz_config) echo "-dict=$top/selftests/fuzz/fuzz_config.dict" ;;
	fuzz_wg_uapi) echo "-max_len=9000" ;;
	esac
}

tmp=$(mktemp -d /tmp/test_fuzz.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dir/artifacts" || exit 1

# No UBSan finding may pass as a warning; stack traces for every report.
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rc=0
for name in "${@:-${all[@]}}"; do
	bin=$dir/$name
	seeds=$top/selftests/fuzz/corpus/${name#fuzz_}
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: no harness $bin (make tests builds it)"
		rc=1
		continue
	fi
	if [ -n "$keep" ]; then
		found=$dir/corpus/$name
	else
		found=$tmp/$name
	fi
	mkdir -p "$found" || exit 1
	log=$tmp/$name.log
	# shellcheck disable=SC2046	# extra_opts gives whole words
	"$bin" -max_total_time="$secs" -timeout=25 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$name-" $(extra_opts "$name") \
		"$found" "$seeds" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n 1)
	if [ "$status" -ne 0 ] || [ -z "$runs" ]; then
		echo "FAIL $name: exited with status $status"
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written|^    #[0-9]' "$log" |
			head -n 40 | sed 's/^/  /'
		rc=1
		continue
	fi
	echo "PASS $name: $runs runs in $secs s (${rate}/s), ${corpus:-corp: ?}"
done
exit "$rc"
