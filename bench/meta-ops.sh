#!/usr/bin/env bash
# Metadata operations through a dvs mount next to a bindfs mount of a local directory, as
# ratios (dvs ops/s / bindfs ops/s; >= 1 means dvs is faster). Run as root from anywhere:
#   bench/meta-ops.sh [FILES]        (default 50000)
# dvs runs as `dvs mount` with its embedded cluster (one MS, one SN, loopback) on a fresh data
# directory; bindfs runs with its defaults plus --multithreaded. Both mount under $WORK.
#
# Attribute caching decides the stat row, so each filesystem also runs with the other's
# policy: dvs mounts with attr_timeout=0 (every stat asks the filesystem: exact nlink, size
# and mtime through every hard-link name), bindfs with libfuse's default of 1 s (a name shows
# what it cached for up to 1 s, whatever was done through another name). The extra rows are
# "dvs -o attr_timeout=1" and "bindfs -o attr_timeout=0".
# A JFR recording of the default dvs process is left in $WORK/dvs.jfr when DVS_JFR=1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
files="${1:-50000}"
work="${WORK:-$(mktemp -d /tmp/dvs-meta-ops.XXXXXX)}"
jar="$here/tools/target/dvs.jar"
[ -f "$jar" ] || (cd "$here" && mvn -o -q -pl tools -am package -DskipTests)
command -v bindfs >/dev/null || apt-get install -y -qq bindfs

dvs_pid=
bind_mnt=
cleanup() {
  [ -n "$bind_mnt" ] && fusermount -u "$bind_mnt" 2>/dev/null || true
  [ -n "$dvs_pid" ] && kill "$dvs_pid" 2>/dev/null && wait "$dvs_pid" 2>/dev/null || true
}
trap cleanup EXIT

# run_dvs NAME [dvs mount options...]: a fresh embedded dvs mount, meta-ops.py, unmount.
run_dvs() {
  local name=$1; shift
  local jfr=()
  [ "${DVS_JFR:-0}" = 1 ] && [ "$name" = dvs ] \
    && jfr=("-XX:StartFlightRecording=filename=$work/dvs.jfr,settings=profile")
  mkdir -p "$work/$name-mnt"
  java "${jfr[@]}" -jar "$jar" mount "$@" --data "$work/$name-data" "$work/$name-mnt" \
    > "$work/$name.log" 2>&1 &
  dvs_pid=$!
  for _ in $(seq 600); do grep -q "mounted at" "$work/$name.log" && break; sleep 0.1; done
  grep -q "mounted at" "$work/$name.log" || { cat "$work/$name.log"; exit 1; }
  python3 "$here/bench/meta-ops.py" "$work/$name-mnt" "$files" > "$work/$name.txt"
  kill "$dvs_pid"; wait "$dvs_pid" 2>/dev/null || true
  dvs_pid=
}

# run_bindfs NAME [bindfs options...]
run_bindfs() {
  local name=$1; shift
  mkdir -p "$work/$name-src" "$work/$name-mnt"
  bindfs --multithreaded "$@" "$work/$name-src" "$work/$name-mnt"
  bind_mnt="$work/$name-mnt"
  python3 "$here/bench/meta-ops.py" "$work/$name-mnt" "$files" > "$work/$name.txt"
  fusermount -u "$bind_mnt"
  bind_mnt=
}

run_bindfs bindfs
run_dvs dvs
run_bindfs bindfs-attr0 -o attr_timeout=0
run_dvs dvs-attr1 -o attr_timeout=1

col() { awk '{print $1, $4}' "$work/$1.txt"; }
printf "%-20s %10s %10s %10s %10s %9s %9s\n" "operation ($files)" "dvs" "bindfs" \
  "dvs-attr1" "bindfs-attr0" "defaults" "same-cache"
join <(col dvs) <(col bindfs) | join - <(col dvs-attr1) | join - <(col bindfs-attr0) \
  | awk '{printf "%-20s %10d %10d %10d %10d %8.2fx %8.2fx\n",
          $1, $2, $3, $4, $5, $2 / $3, ($2 / $5 < $4 / $3 ? $2 / $5 : $4 / $3)}'
cat <<'TXT'
ops/s; "defaults" = dvs / bindfs as each mounts by default; "same-cache" = the lower of
dvs / bindfs-attr0 (neither caches attributes) and dvs-attr1 / bindfs (both cache them 1 s).
TXT
echo "(raw: $work/*.txt; dvs logs: $work/dvs.log $work/dvs-attr1.log)"
