/**
 * The nftables backend. A packet on the input hook must pass *every* base chain hooked
 * there, and an accept verdict ends only the table that gave it: a drop-policy input chain
 * in another table still drops the packet. So the component adds a chain of its own to
 * each table whose input chain can drop, and jumps to it first thing from that input chain.
 * Tables that another program owns and rewrites (kube-proxy, Docker, libvirt, firewalld,
 * iptables-nft, CNI plugins) are never touched: if one of them drops by default the layout
 * cannot be opened safely, and the apply is refused saying what to do.
 */
import { NFT_CHAIN, NFT_TABLE } from "./common";

/** Prints "FAMILY TABLE CHAIN POLICY" for each input filter base chain of the ip and inet tables. */
export function nftInputChains(): string {
    return `nft_input_chains() {
  nft list chains 2>/dev/null | awk '
    $1 == "table" { fam = $2; tab = $3 }
    $1 == "chain" { ch = $2 }
    /type filter hook input/ && (fam == "ip" || fam == "inet") { print fam, tab, ch, ($0 ~ /policy drop/ ? "drop" : "accept") }
  '
}
# nft_owner TABLE CHAIN: the program that owns the table ("" for the host's own, "ours" for the component's).
nft_owner() {
  case $1 in
    ${NFT_TABLE}) echo ours ;;
    kube-proxy*) echo kube-proxy ;;
    docker*|DOCKER*) echo Docker ;;
    libvirt*) echo libvirt ;;
    firewalld*) echo firewalld ;;
    cali*|cilium*|antrea*|flannel*|weave*) echo "the CNI plugin" ;;
    filter|raw|mangle|security|nat) case $2 in [A-Z]*) echo iptables-nft ;; *) echo "" ;; esac ;;
    *) echo "" ;;
  esac
}
# nft_targets: prints "FAMILY/TABLE/CHAIN" for each input chain of the host's own tables that can
# drop (drop policy, or a drop or reject rule in its table); dies when a table another
# program owns drops input by default.
nft_targets() {
  chains=$(nft_input_chains)
  while read -r fam tab ch pol; do
    [ -n "$fam" ] || continue
    owner=$(nft_owner "$tab" "$ch")
    case $owner in
      ours) ;;
      "")
        if [ "$pol" = drop ] || nft list table "$fam" "$tab" 2>/dev/null | grep -Eqw 'drop|reject'; then
          echo "$fam/$tab/$ch"
        fi ;;
      *)
        [ "$pol" = accept ] || die "the nftables input chain $fam $tab $ch drops packets by default and belongs to $owner, which rewrites it: rules added there would vanish. Open tcp+udp 24007-24008 and the brick ports to the peers, and tcp 24007 and the brick ports to the clients, in $owner's own configuration (or pick firewall.backend for the tool that owns it)" ;;
    esac
  done <<EOF
$chains
EOF
}`;
}

export function nftApply(): string {
    return [
        `ranges=""; for r in $brick_ranges; do ranges="\${ranges:+$ranges, }$r"; done`,
        `command -v nft >/dev/null || die "nft is not installed"`,
        `targets=$(nft_targets)`,
        `# A host without a dropping input chain of its own gets a table of ours (accept policy):`,
        `# the rules are then in place should the host add one later.`,
        `[ -n "$targets" ] || targets="inet/${NFT_TABLE}/input"`,
        `ruleset=$(mktemp)`,
        `trap 'rm -f "$ruleset"' EXIT`,
        `tables=""`,
        `{`,
        `  for t in $targets; do`,
        `    fam=\${t%%/*}; rest=\${t#*/}; tab=\${rest%%/*}; input=\${rest#*/}`,
        `    if [ "$tab" = ${NFT_TABLE} ]; then`,
        `      echo "add table inet ${NFT_TABLE}"`,
        `      echo "add chain inet ${NFT_TABLE} input { type filter hook input priority filter; policy accept; }"`,
        `    fi`,
        `    # One chain of ours per table, whatever the number of input chains jumping to it.`,
        `    case " $tables " in`,
        `      *" $fam/$tab "*) ;;`,
        `      *)`,
        `        tables="$tables $fam/$tab"`,
        `        echo "add chain $fam $tab ${NFT_CHAIN}"`,
        `        echo "flush chain $fam $tab ${NFT_CHAIN}"`,
        `        for s in $peers; do`,
        `          echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s ct state established,related accept"`,
        `          echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s tcp dport { 24007-24008, $ranges } accept"`,
        `          echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s udp dport 24007-24008 accept"`,
        `          echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s icmp type echo-request accept"`,
        `        done`,
        `        for s in $clients; do`,
        `          echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s ct state established,related accept"`,
        `          echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s tcp dport { 24007, $ranges } accept"`,
        `          echo "add rule $fam $tab ${NFT_CHAIN} ip saddr $s icmp type echo-request accept"`,
        `        done ;;`,
        `    esac`,
        `    if ! nft list chain "$fam" "$tab" "$input" 2>/dev/null | grep -q 'jump ${NFT_CHAIN}$'; then`,
        `      echo "insert rule $fam $tab $input jump ${NFT_CHAIN}"`,
        `    fi`,
        `  done`,
        `} > "$ruleset"`,
        `# One nft transaction: every chain's old content is replaced atomically.`,
        `nft -f "$ruleset"`,
        `# Chains of ours in tables no longer opened (the host's layout changed) go only now that`,
        `# the new ones hold.`,
        `nft_remove "$tables"`,
        `for t in $tables; do`,
        `  echo "nftables on $host: chain \${t%%/*} \${t#*/} ${NFT_CHAIN} holds $(nft list chain "\${t%%/*}" "\${t#*/}" ${NFT_CHAIN} | grep -c accept) rules"`,
        `done`,
    ].join("\n");
}

/**
 * nft_remove KEEP: removes the jumps to the component's chain, the chain itself, and the
 * component's own table, from every table not listed in KEEP ("FAMILY/TABLE ...").
 */
export function nftRemove(): string {
    return `nft_remove() {
  command -v nft >/dev/null 2>&1 || return 0
  keep=" $1 "
  nft -a list ruleset 2>/dev/null | awk '
    $1 == "table" { fam = $2; tab = $3 }
    $1 == "chain" { ch = $2 }
    /jump ${NFT_CHAIN} # handle/ { print fam, tab, ch, $NF }
  ' | while read -r fam tab ch handle; do
    case $keep in *" $fam/$tab "*) continue ;; esac
    nft delete rule "$fam" "$tab" "$ch" handle "$handle"
  done
  # "table FAMILY NAME" per line.
  nft list tables 2>/dev/null | while read -r _ fam tab _; do
    case $keep in *" $fam/$tab "*) continue ;; esac
    if nft list chain "$fam" "$tab" ${NFT_CHAIN} >/dev/null 2>&1; then
      nft delete chain "$fam" "$tab" ${NFT_CHAIN}
    fi
  done
  case $keep in *" inet/${NFT_TABLE} "*) ;; *)
    if nft list table inet ${NFT_TABLE} >/dev/null 2>&1; then nft delete table inet ${NFT_TABLE}; fi ;;
  esac
}
remove_nftables() { nft_remove ""; }`;
}
