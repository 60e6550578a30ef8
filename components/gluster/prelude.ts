/**
 * The helpers every gluster script starts with. Each script is POSIX sh that runs *inside*
 * a server container (where `gluster` and `xmllint` are), built only from validated plain
 * values, each passed through `shq`.
 *
 * Conventions in every script:
 * - gluster is driven as `gluster --mode=script --xml ... --`: it never prompts, and results
 *   are judged by <opRet>/<opErrno> in its XML, because in XML mode the CLI exits 0 even
 *   when the operation failed. `--` ends its options: the CLI scans all of argv for
 *   `--options`, so a value such as `--log-file=...` would otherwise be taken as one.
 * - waits poll a condition every 0.1 s and give up at a deadline; nothing sleeps for a
 *   fixed time.
 * - progress goes to stdout as short lines ("ok: ... (0.42 s)") so `pulumi up` shows
 *   where the time goes.
 */
export function prelude(): string {
    return `set -eu
# g ARGS...: the gluster CLI in script mode (never prompts) with XML output; it gives up
# on glusterd after $cli_timeout seconds. Everything after "--" is the command's own.
cli_timeout=60
g() { gluster --mode=script --xml --timeout="$cli_timeout" -- "$@" 2>/dev/null || true; }
# gr HOST ARGS...: the same, answered by HOST's glusterd (read-only commands only).
gr() { gr_host=$1; shift; gluster --mode=script --xml --timeout="$cli_timeout" --remote-host="$gr_host" -- "$@" 2>/dev/null || true; }
# xv XPATH: the string value of XPATH in the XML reply held in $out ("" if none). The reply
# goes in as a here-document rather than through a pipe: one process fewer per query.
xv() { xmllint --xpath "string($1)" - 2>/dev/null <<XML || true
$out
XML
}
# xl XPATH: the text of every node XPATH matches, one per line.
xl() { xmllint --xpath "$1" - 2>/dev/null <<XML || true
$out
XML
}
die() { echo "error: $*" >&2; exit 1; }
# ms: milliseconds on the kernel's monotonic clock (/proc/uptime, in steps of 10 ms), read
# by the shell itself: no process per call, and no jump when the wall clock is set.
ms() { read -r ms_up _ < /proc/uptime; echo $(( \${ms_up%.*} * 1000 + 1\${ms_up#*.} * 10 - 1000 )); }
since() { t=$(( $(ms) - $1 )); printf '%d.%02d' $((t / 1000)) $((t % 1000 / 10)); }
# poll SECONDS CHECK...: run CHECK every 0.1 s until it succeeds (returns 0) or SECONDS
# have passed (returns 1). A CHECK may set $why to say what it saw last.
poll() {
  poll_limit=$1; shift
  why=""; poll_end=$(( $(ms) + poll_limit * 1000 ))
  until "$@"; do
    [ "$(ms)" -lt "$poll_end" ] || return 1
    sleep 0.1
  done
}
# wait_for DESCRIPTION SECONDS CHECK...: poll CHECK; at the deadline, fail saying what it
# waited for and what it saw last.
wait_for() {
  desc=$1; limit=$2; shift 2
  t0=$(ms)
  poll "$limit" "$@" || die "gave up after $limit s waiting for $desc\${why:+ (last seen: $why)}"
  echo "ok: $desc ($(since "$t0") s)"
}
# tx ARGS...: run a gluster operation that takes the cluster-wide lock. "Another
# transaction is in progress" (opErrno 30802) is transient: retry it with backoff.
# Returns 0 when <opRet> is 0; otherwise leaves the reply in $out for the caller.
tx() {
  n=0
  while :; do
    out=$(g "$@")
    [ "$(xv /cliOutput/opRet)" = 0 ] && return 0
    [ "$(xv /cliOutput/opErrno)" = 30802 ] || return 1
    n=$((n + 1))
    [ "$n" -le 40 ] || return 1
    case $n in 1) sleep 0.1 ;; 2) sleep 0.2 ;; 3) sleep 0.4 ;; *) sleep 1 ;; esac
  done
}
# reason: the error text of the reply in $out, or why there was none.
reason() {
  r=$(xv /cliOutput/opErrstr)
  [ -n "$r" ] || r=$(xv /cliOutput/output)
  e=$(xv /cliOutput/opErrno)
  if [ -z "$r$e" ]; then printf 'no reply from glusterd within %s s' "$cli_timeout"; else printf '%s (opErrno %s)' "$r" "$e"; fi
}
# peers_not_ok: the peers in the "peer status" reply held in $out that are not "Peer in
# Cluster" and connected, as "name (state, disconnected)", comma-separated; "" when none.
peers_not_ok() {
  pno=""
  for p in $(xl '//peer[not(state=3 and connected=1)]/hostname/text()'); do
    st=$(xv "//peer[hostname='$p']/stateStr"); cn=$(xv "//peer[hostname='$p']/connected")
    pno="\${pno:+$pno, }$p (\${st:-unknown state}, $([ "$cn" = 1 ] && echo connected || echo disconnected))"
  done
  printf '%s' "$pno"
}
# peer_ok ADDRESS: the local glusterd knows ADDRESS as "Peer in Cluster", connected.
# (The common case, a peer that is fine, costs one xmllint; what it is otherwise, two more.)
peer_ok() {
  out=$(g peer status)
  [ "$(xv "boolean(//peer[hostnames/hostname='$1' and state=3 and connected=1])")" = true ] && return 0
  st=$(xv "//peer[hostnames/hostname='$1']/stateStr")
  cn=$(xv "//peer[hostnames/hostname='$1']/connected")
  why="$1: \${st:-not a peer}\${cn:+, $([ "$cn" = 1 ] && echo connected || echo disconnected)}"
  return 1
}`;
}

/**
 * An XPath string literal for a validated name or address (letters, digits, '.', '-', '_'),
 * to be placed inside a double-quoted shell word.
 */
export function xpathLiteral(value: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new Error(`not a name or address: ${JSON.stringify(value)}`);
    return `'${value}'`;
}

/** Sets $uuid: only the scripts that read it have it (an unused variable is a ShellCheck warning). */
function myUuid(): string {
    return `# my_uuid: sets $uuid to this node's glusterd UUID ("" if glusterd has none yet).
my_uuid() {
  uuid=""
  [ -f /var/lib/glusterd/glusterd.info ] || return 0
  while IFS= read -r l; do case $l in UUID=*) uuid=\${l#UUID=} ;; esac; done < /var/lib/glusterd/glusterd.info
}`;
}

/** A whole script: the prelude (with my_uuid when the script calls it), then `parts`, one line each. */
export function script(...parts: string[]): string {
    const body = parts.join("\n");
    return [prelude(), ...(/\bmy_uuid\b/.test(body) ? [myUuid()] : []), body].join("\n") + "\n";
}
