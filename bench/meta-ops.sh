#!/usr/bin/env bash
# Metadata operations through a dvs mount next to a bindfs mount of a local directory, as
# ratios (dvs ops/s / bindfs ops/s; >= 1 means dvs is faster). Run as root from anywhere:
#   bench/meta-ops.sh [FILES]        (default 50000)
# dvs runs as `dvs mount` with its embedded cluster (one MS, one SN, loopback) on a fresh data
# directory; bindfs runs with its defaults plus --multithreaded. Both mount under $WORK.
# A JFR recording of the dvs process is left in $WORK/dvs.jfr when DVS_JFR=1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
files="${1:-50000}"
work="${WORK:-$(mktemp -d /tmp/dvs-meta-ops.XXXXXX)}"
jar="$here/tools/target/dvs.jar"
[ -f "$jar" ] || (cd "$here" && mvn -o -q -pl tools -am package -DskipTests)
command -v bindfs >/dev/null || apt-get install -y -qq bindfs

mkdir -p "$work/dvs-mnt" "$work/bind-src" "$work/bind-mnt"
cleanup() {
  fusermount -u "$work/bind-mnt" 2>/dev/null || true
  [ -n "${dvs_pid:-}" ] && kill "$dvs_pid" 2>/dev/null && wait "$dvs_pid" 2>/dev/null || true
}
trap cleanup EXIT

jfr=()
[ "${DVS_JFR:-0}" = 1 ] && jfr=("-XX:StartFlightRecording=filename=$work/dvs.jfr,settings=profile")
java "${jfr[@]}" -jar "$jar" mount --data "$work/dvs-data" "$work/dvs-mnt" > "$work/dvs.log" 2>&1 &
dvs_pid=$!
for _ in $(seq 600); do grep -q "mounted at" "$work/dvs.log" && break; sleep 0.1; done
grep -q "mounted at" "$work/dvs.log" || { cat "$work/dvs.log"; exit 1; }
bindfs --multithreaded "$work/bind-src" "$work/bind-mnt"

python3 "$here/bench/meta-ops.py" "$work/bind-mnt" "$files" > "$work/bindfs.txt"
python3 "$here/bench/meta-ops.py" "$work/dvs-mnt" "$files" > "$work/dvs.txt"

printf "%-20s %12s %12s %8s\n" "operation ($files files)" "dvs ops/s" "bindfs ops/s" "ratio"
join <(awk '{print $1, $4}' "$work/dvs.txt") <(awk '{print $1, $4}' "$work/bindfs.txt") \
  | awk '{printf "%-20s %12d %12d %7.2fx\n", $1, $2, $3, $2 / $3}'
echo "(raw: $work/dvs.txt $work/bindfs.txt; dvs log: $work/dvs.log)"
