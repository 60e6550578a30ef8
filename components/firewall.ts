/**
 * Host firewall rules for GlusterFS, as scripts for the firewall child that runs on each
 * host. What is opened (the same for every backend):
 *
 * | from    | what                                                                  |
 * |---------|-----------------------------------------------------------------------|
 * | peers   | tcp+udp 24007-24008 (glusterd), tcp brick range, ICMP echo            |
 * | clients | tcp 24007 (volfile and port map), tcp brick range, ICMP echo          |
 * | both    | packets of connections already established (replies to our own)      |
 *
 * The rules are stateful on purpose: glusterd and clients connect *from* ports just below
 * 49152, so replies to them would be dropped by a stateless port list (glusterfs#4389).
 * Names among the sources are resolved to IPv4 addresses on the host when the rules are
 * applied. Nothing else is opened and nothing of the host's own rules is changed: delete
 * removes exactly what create added.
 */
import { FirewallBackend } from "./args";
import { shq, shqAll } from "./shell";

export interface FirewallParams {
    /** Names the host in messages. */
    host: string;
    backend: FirewallBackend;
    /** Every server's address (IPv4 or a name the host resolves). */
    peers: string[];
    /** CIDRs that may mount; `0.0.0.0/0` when every client is allowed. */
    clients: string[];
    ports: { base: number; max: number };
}

/** The iptables chain and the nftables chain the component owns. */
export const CHAIN = "GLUSTERFS";
export const NFT_CHAIN = "glusterfs";
/** The table used when the host has no nftables input chain of its own. */
export const NFT_TABLE = "glusterfs";
/**
 * Where the firewalld backend records the rich rules it added (firewalld has no rule
 * comments); GLUSTERFS_CLUSTER_STATE_DIR on the host overrides it.
 */
export const RECORD_DIR = "/var/lib/glusterfs-cluster";
export const UFW_COMMENT = "glusterfs-cluster";

/** Shell helpers shared by the backends; `host` names the host in every message. */
const prelude = (host: string) => `set -eu
host=${shq(host)}
die() { echo "error on host $host: $*" >&2; exit 1; }
state_dir=\${GLUSTERFS_CLUSTER_STATE_DIR:-${RECORD_DIR}}
# ipv4 NAME-OR-ADDRESS-OR-CIDR: prints it as an IPv4 address or CIDR, resolving names.
ipv4() {
  case $1 in
    *[!0-9./]*) a=$(getent ahostsv4 "$1" | awk 'NR == 1 { print $1 }'); [ -n "$a" ] || die "cannot resolve $1"; echo "$a" ;;
    *) echo "$1" ;;
  esac
}`;

function lists(p: FirewallParams): string[] {
    return [
        `peers=""; for s in ${shqAll(p.peers)}; do peers="$peers $(ipv4 "$s")"; done`,
        p.clients.length > 0 ? `clients=""; for s in ${shqAll(p.clients)}; do clients="$clients $(ipv4 "$s")"; done` : `clients=""`,
        ...(p.clients.includes("0.0.0.0/0")
            ? [`echo "WARNING: the GlusterFS client ports are open to ANY source on $host (firewall.allowAllClients)" >&2`]
            : []),
    ];
}

/** The backend `auto` resolves to: what the host runs. */
const DETECT = `detect() {
  if command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then echo firewalld; return; fi
  if command -v ufw >/dev/null 2>&1 && ufw status 2>/dev/null | grep -q '^Status: active'; then echo ufw; return; fi
  if command -v nft >/dev/null 2>&1 && [ -n "$(nft_input_chain)" ]; then echo nftables; return; fi
  if command -v iptables >/dev/null 2>&1; then echo iptables; return; fi
  die "no firewall tool found (iptables, nft, firewall-cmd or ufw)"
}`;

/**
 * Prints "FAMILY TABLE CHAIN" of the host's own nftables input filter chain, preferring the
 * inet family; empty when there is none. Chains that iptables-nft manages (table "filter",
 * chain "INPUT") belong to the iptables backend and are skipped.
 */
const NFT_FIND = `nft_input_chain() {
  nft list chains 2>/dev/null | awk '
    $1 == "table" { fam = $2; tab = $3 }
    $1 == "chain" { ch = $2 }
    /type filter hook input/ && !(tab == "filter" && ch == "INPUT") && tab != "${NFT_TABLE}" { print fam, tab, ch }
  ' | sort -k1,1r | head -n 1
}`;

function iptablesApply(p: FirewallParams): string {
    const ports = `24007:24008,${p.ports.base}:${p.ports.max}`;
    const clientPorts = `24007,${p.ports.base}:${p.ports.max}`;
    return [
        `command -v iptables-restore >/dev/null || die "iptables-restore is not installed"`,
        `# Build the chain's whole content, then load it in one iptables-restore transaction:`,
        `# declaring the chain flushes it, so the old set is replaced atomically.`,
        `{`,
        `  echo '*filter'`,
        `  echo ':${CHAIN} - [0:0]'`,
        `  for s in $peers; do`,
        `    echo "-A ${CHAIN} -s $s -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"`,
        `    echo "-A ${CHAIN} -s $s -p tcp -m multiport --dports ${ports} -j ACCEPT"`,
        `    echo "-A ${CHAIN} -s $s -p udp -m multiport --dports 24007:24008 -j ACCEPT"`,
        `    echo "-A ${CHAIN} -s $s -p icmp --icmp-type echo-request -j ACCEPT"`,
        `  done`,
        `  for s in $clients; do`,
        `    echo "-A ${CHAIN} -s $s -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"`,
        `    echo "-A ${CHAIN} -s $s -p tcp -m multiport --dports ${clientPorts} -j ACCEPT"`,
        `    echo "-A ${CHAIN} -s $s -p icmp --icmp-type echo-request -j ACCEPT"`,
        `  done`,
        `  echo 'COMMIT'`,
        `} | iptables-restore --noflush`,
        `# Jump to it first thing in INPUT, once. Packets it does not accept return to INPUT.`,
        `iptables -C INPUT -j ${CHAIN} 2>/dev/null || iptables -I INPUT 1 -j ${CHAIN}`,
        `echo "iptables on $host: chain ${CHAIN} holds $(iptables -S ${CHAIN} | grep -c '^-A') rules"`,
    ].join("\n");
}

const IPTABLES_REMOVE = [
    `if command -v iptables >/dev/null 2>&1; then`,
    `  while iptables -D INPUT -j ${CHAIN} 2>/dev/null; do :; done`,
    `  iptables -F ${CHAIN} 2>/dev/null || true`,
    `  iptables -X ${CHAIN} 2>/dev/null || true`,
    `fi`,
].join("\n");

function nftApply(p: FirewallParams): string {
    const ports = `24007-24008, ${p.ports.base}-${p.ports.max}`;
    const clientPorts = `24007, ${p.ports.base}-${p.ports.max}`;
    return [
        `command -v nft >/dev/null || die "nft is not installed"`,
        `# An accept verdict is final only within one table's chain: a drop-policy input chain`,
        `# of the host's own table would still drop the packet. So the component's chain goes`,
        `# into the table of the host's input chain and is jumped to from there; a host`,
        `# without an nftables input chain gets a table of ours.`,
        `ruleset=$(mktemp)`,
        `trap 'rm -f "$ruleset"' EXIT`,
        `set -- $(nft_input_chain)`,
        `if [ $# -eq 3 ]; then fam=$1; tab=$2; input=$3; own=""; else fam=inet; tab=${NFT_TABLE}; input=input; own=1; fi`,
        `{`,
        `  if [ -n "$own" ]; then`,
        `    echo "add table inet ${NFT_TABLE}"`,
        `    echo "add chain inet ${NFT_TABLE} input { type filter hook input priority filter; policy accept; }"`,
        `  fi`,
        `  echo "add chain $fam $tab ${NFT_CHAIN}"`,
        `  echo "flush chain $fam $tab ${NFT_CHAIN}"`,
        `  for s in $peers; do`,
        `    echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s ct state established,related accept"`,
        `    echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s tcp dport { ${ports} } accept"`,
        `    echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s udp dport 24007-24008 accept"`,
        `    echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s icmp type echo-request accept"`,
        `  done`,
        `  for s in $clients; do`,
        `    echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s ct state established,related accept"`,
        `    echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s tcp dport { ${clientPorts} } accept"`,
        `    echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s icmp type echo-request accept"`,
        `  done`,
        `  if ! nft list chain "$fam" "$tab" "$input" 2>/dev/null | grep -q 'jump ${NFT_CHAIN}$'; then`,
        `    echo "insert rule $fam $tab $input jump ${NFT_CHAIN}"`,
        `  fi`,
        `} > "$ruleset"`,
        `# One nft transaction: the chain's old content is replaced atomically.`,
        `nft -f "$ruleset"`,
        `echo "nftables on $host: chain $fam $tab ${NFT_CHAIN} holds $(nft list chain "$fam" "$tab" ${NFT_CHAIN} | grep -c accept) rules"`,
    ].join("\n");
}

const NFT_REMOVE = [
    `if command -v nft >/dev/null 2>&1; then`,
    `  # Every jump to our chain, by handle; then the chain; then our own table if we made one.`,
    `  nft -a list ruleset 2>/dev/null | awk '`,
    `    $1 == "table" { fam = $2; tab = $3 }`,
    `    $1 == "chain" { ch = $2 }`,
    `    /jump ${NFT_CHAIN} # handle/ { print fam, tab, ch, $NF }`,
    `  ' | while read -r fam tab ch handle; do nft delete rule "$fam" "$tab" "$ch" handle "$handle"; done`,
    `  for t in $(nft list tables 2>/dev/null | awk '{ print $2 "/" $3 }'); do`,
    `    if nft list chain "\${t%%/*}" "\${t#*/}" ${NFT_CHAIN} >/dev/null 2>&1; then`,
    `      nft delete chain "\${t%%/*}" "\${t#*/}" ${NFT_CHAIN}`,
    `    fi`,
    `  done`,
    `  if nft list table inet ${NFT_TABLE} >/dev/null 2>&1; then nft delete table inet ${NFT_TABLE}; fi`,
    `fi`,
].join("\n");

function firewalldApply(p: FirewallParams): string {
    const rule = (what: string) => `printf 'rule family="ipv4" source address="%s" ${what} accept\\n' "$s"`;
    return [
        `firewall-cmd --state >/dev/null 2>&1 || die "firewalld is not running"`,
        `# firewalld rules carry no comment, so the rich rules added are recorded in a file;`,
        `# an update removes the recorded ones that are no longer wanted.`,
        `want=$(`,
        `  for s in $peers; do`,
        `    ${rule(`port port="24007-24008" protocol="tcp"`)}`,
        `    ${rule(`port port="24007-24008" protocol="udp"`)}`,
        `    ${rule(`port port="${p.ports.base}-${p.ports.max}" protocol="tcp"`)}`,
        `    ${rule(`icmp-type name="echo-request"`)}`,
        `  done`,
        `  for s in $clients; do`,
        `    ${rule(`port port="24007" protocol="tcp"`)}`,
        `    ${rule(`port port="${p.ports.base}-${p.ports.max}" protocol="tcp"`)}`,
        `    ${rule(`icmp-type name="echo-request"`)}`,
        `  done`,
        `)`,
        `mkdir -p "$state_dir"`,
        `if [ -f "$state_dir/firewalld-rich-rules" ]; then`,
        `  while IFS= read -r r; do`,
        `    printf '%s\n' "$want" | grep -qxF "$r" || firewall-cmd --permanent --remove-rich-rule="$r" >/dev/null`,
        `  done < "$state_dir/firewalld-rich-rules"`,
        `fi`,
        `printf '%s\n' "$want" | while IFS= read -r r; do`,
        `  firewall-cmd --permanent --query-rich-rule="$r" >/dev/null 2>&1 || firewall-cmd --permanent --add-rich-rule="$r" >/dev/null`,
        `done`,
        `printf '%s\n' "$want" > "$state_dir/firewalld-rich-rules"`,
        `# Stateful by itself: firewalld accepts established and related packets.`,
        `firewall-cmd --reload >/dev/null`,
        `echo "firewalld on $host: $(printf '%s\n' "$want" | grep -c .) rich rules"`,
    ].join("\n");
}

const FIREWALLD_REMOVE = [
    `if [ -f "$state_dir/firewalld-rich-rules" ] && command -v firewall-cmd >/dev/null 2>&1; then`,
    `  while IFS= read -r r; do firewall-cmd --permanent --remove-rich-rule="$r" >/dev/null 2>&1 || true; done < "$state_dir/firewalld-rich-rules"`,
    `  firewall-cmd --reload >/dev/null 2>&1 || true`,
    `  rm -f "$state_dir/firewalld-rich-rules"`,
    `fi`,
].join("\n");

function ufwApply(p: FirewallParams): string {
    const c = `comment ${UFW_COMMENT}`;
    return [
        `ufw status 2>/dev/null | grep -q '^Status: active' || die "ufw is not active"`,
        `remove_ours`,
        `# Stateful by itself: ufw accepts established and related packets.`,
        `for s in $peers; do`,
        `  ufw allow proto tcp from "$s" to any port 24007:24008 ${c} >/dev/null`,
        `  ufw allow proto udp from "$s" to any port 24007:24008 ${c} >/dev/null`,
        `  ufw allow proto tcp from "$s" to any port ${p.ports.base}:${p.ports.max} ${c} >/dev/null`,
        `done`,
        `for s in $clients; do`,
        `  ufw allow proto tcp from "$s" to any port 24007 ${c} >/dev/null`,
        `  ufw allow proto tcp from "$s" to any port ${p.ports.base}:${p.ports.max} ${c} >/dev/null`,
        `done`,
        `# ufw's default before.rules already accept ICMP echo requests.`,
        `echo "ufw on $host: $(ufw status | grep -c '# ${UFW_COMMENT}') rules"`,
    ].join("\n");
}

/** ufw rules are removed by number, highest first, matched by their comment. */
const UFW_REMOVE_FN = `remove_ours() {
  ufw status numbered 2>/dev/null | sed -n 's/^\\[ *\\([0-9][0-9]*\\)\\].*# ${UFW_COMMENT}$/\\1/p' | sort -rn |
    while read -r n; do ufw --force delete "$n" >/dev/null; done
}`;

const BACKENDS = { iptables: iptablesApply, nftables: nftApply, firewalld: firewalldApply, ufw: ufwApply };

/** The create/update script of a host's firewall child. Idempotent. */
export function firewallApplyScript(p: FirewallParams): string {
    return [
        prelude(p.host),
        NFT_FIND,
        DETECT,
        UFW_REMOVE_FN,
        ...lists(p),
        p.backend === "auto" ? `backend=$(detect)` : `backend=${p.backend}`,
        `echo "firewall backend on $host: $backend"`,
        `case $backend in`,
        // A fixed backend gets only its own branch; `auto` needs them all.
        ...(Object.entries(BACKENDS) as Array<[string, (p: FirewallParams) => string]>)
            .filter(([name]) => p.backend === "auto" || p.backend === name)
            .flatMap(([name, apply]) => [`${name})`, apply(p), `;;`]),
        `esac`,
        ``,
    ].join("\n");
}

/**
 * The delete script: removes what any backend of the component added (the backend in use
 * may have been `auto`), and nothing else.
 */
export function firewallRemoveScript(host: string): string {
    return [
        prelude(host),
        UFW_REMOVE_FN,
        IPTABLES_REMOVE,
        NFT_REMOVE,
        FIREWALLD_REMOVE,
        `if command -v ufw >/dev/null 2>&1; then remove_ours; fi`,
        `echo "removed the GlusterFS firewall rules from $host"`,
        ``,
    ].join("\n");
}
