/**
 * The brick ports, reserved from the kernel's ephemeral range. A brick port inside
 * `net.ipv4.ip_local_port_range` (32768-60999 by default: the default brick range is in it)
 * can be taken as the source port of an outgoing connection — glusterd's own included —
 * before the brick binds it; the brick then fails to start. The reservation
 * (`net.ipv4.ip_local_reserved_ports`) covers only the ranges that overlap, keeps the host's
 * own reservations, and is recorded so that an update or a delete takes back exactly it.
 */

/** `GLUSTERFS_CLUSTER_SYSCTL_DIR` stands in for /proc/sys/net/ipv4 (the unit tests use it). */
export function portsFunctions(): string {
    return `sysctl_dir=\${GLUSTERFS_CLUSTER_SYSCTL_DIR:-/proc/sys/net/ipv4}
# port_set CURRENT MINUS PLUS [SEP]: the port list CURRENT without the ranges of MINUS and with
# those of PLUS, each list "a-b,c" (the kernel's form) or "a-b c"; printed in the kernel's form,
# or with SEP between the ranges.
port_set() {
  awk -v cur="$1" -v minus="$2" -v plus="$3" -v sep="\${4:-,}" '
    function mark(x, v,   ab, a, b, k) {
      if (x == "") return
      if (split(x, ab, "-") == 2) { a = ab[1] + 0; b = ab[2] + 0 } else { a = x + 0; b = a }
      for (k = a; k <= b; k++) { if (v) on[k] = 1; else delete on[k] }
    }
    BEGIN {
      n = split(cur, r, /[ ,]+/); for (i = 1; i <= n; i++) mark(r[i], 1)
      n = split(minus, r, /[ ,]+/); for (i = 1; i <= n; i++) mark(r[i], 0)
      n = split(plus, r, /[ ,]+/); for (i = 1; i <= n; i++) mark(r[i], 1)
      out = ""
      for (p = 1; p <= 65535; p++) {
        if (!(p in on)) continue
        s = p; while ((p + 1) in on) p++
        out = out (out == "" ? "" : sep) (s == p ? s : s "-" p)
      }
      print out
    }'
}
# reserve_brick_ports: reserves the brick ranges that overlap the ephemeral range.
reserve_brick_ports() {
  [ -r "$sysctl_dir/ip_local_port_range" ] || return 0
  old=""
  [ ! -f "$state_dir/reserved-ports" ] || read -r old < "$state_dir/reserved-ports" || true
  # Not "read < file" for a sysctl file: it answers only reads from its start, and dash reads
  # a byte at a time (it would see "3" and then the end of the file).
  range=$(cat "$sysctl_dir/ip_local_port_range")
  # "32768<tab>60999": the digits before the first non-digit, and after the last.
  lo=\${range%%[!0-9]*}; hi=\${range##*[!0-9]}
  want=""
  for r in $brick_ranges; do
    [ "\${r#*-}" -lt "$lo" ] || [ "\${r%-*}" -gt "$hi" ] || want="$want $r"
  done
  [ -n "$old$want" ] || return 0
  # The host's own reservations (without what this added before), and what of the brick
  # ranges they do not hold already: only that is recorded, and ever taken back.
  own=$(port_set "$(cat "$sysctl_dir/ip_local_reserved_ports")" "$old" "")
  added=$(port_set "$want" "$own" "" " ")
  if ! port_set "$own" "" "$want" > "$sysctl_dir/ip_local_reserved_ports" 2>/dev/null; then
    echo "WARNING: cannot reserve the brick ports$want on $host (net.ipv4.ip_local_reserved_ports): an outgoing connection may take one before its brick starts" >&2
    return 0
  fi
  echo "$added" > "$state_dir/reserved-ports"
  if [ -n "$want" ]; then echo "reserved the brick ports$want on $host from the ephemeral range $lo-$hi"; fi
}
# release_brick_ports: takes back what reserve_brick_ports reserved.
release_brick_ports() {
  [ -f "$state_dir/reserved-ports" ] || return 0
  read -r added < "$state_dir/reserved-ports" || true
  port_set "$(cat "$sysctl_dir/ip_local_reserved_ports")" "$added" "" > "$sysctl_dir/ip_local_reserved_ports" 2>/dev/null || true
  rm -f "$state_dir/reserved-ports"
}`;
}
