/**
 * The iptables, firewalld and ufw backends (nftables has a file of its own): each opens
 * what common.ts lists, and removes exactly what it added.
 */
import { CHAIN, UFW_COMMENT } from "./common";

export function iptablesApply(): string {
    return [
        `# Each brick range a-b as iptables writes it (a:b), comma-separated.`,
        `ranges=""; for r in $brick_ranges; do ranges="\${ranges:+$ranges,}\${r%-*}:\${r#*-}"; done`,
        `command -v iptables-restore >/dev/null || die "iptables-restore is not installed"`,
        `# Build the chain's whole content, then load it in one iptables-restore transaction:`,
        `# declaring the chain flushes it, so the old set is replaced atomically.`,
        `{`,
        `  echo '*filter'`,
        `  echo ':${CHAIN} - [0:0]'`,
        `  for s in $peers; do`,
        `    echo "-A ${CHAIN} -s $s -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"`,
        `    echo "-A ${CHAIN} -s $s -p tcp -m multiport --dports 24007:24008,$ranges -j ACCEPT"`,
        `    echo "-A ${CHAIN} -s $s -p udp -m multiport --dports 24007:24008 -j ACCEPT"`,
        `    echo "-A ${CHAIN} -s $s -p icmp --icmp-type echo-request -j ACCEPT"`,
        `  done`,
        `  for s in $clients; do`,
        `    echo "-A ${CHAIN} -s $s -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"`,
        `    echo "-A ${CHAIN} -s $s -p tcp -m multiport --dports 24007,$ranges -j ACCEPT"`,
        `    echo "-A ${CHAIN} -s $s -p icmp --icmp-type echo-request -j ACCEPT"`,
        `  done`,
        `  echo 'COMMIT'`,
        `} | iptables-restore --noflush`,
        `# Jump to it first thing in INPUT, once. Packets it does not accept return to INPUT.`,
        `iptables -C INPUT -j ${CHAIN} 2>/dev/null || iptables -I INPUT 1 -j ${CHAIN}`,
        `echo "iptables on $host: chain ${CHAIN} holds $(iptables -S ${CHAIN} | grep -c '^-A') rules"`,
    ].join("\n");
}

export function iptablesRemove(): string {
    return [
        `remove_iptables() {`,
        `  if command -v iptables >/dev/null 2>&1; then`,
        `    while iptables -D INPUT -j ${CHAIN} 2>/dev/null; do :; done`,
        `    iptables -F ${CHAIN} 2>/dev/null || true`,
        `    iptables -X ${CHAIN} 2>/dev/null || true`,
        `  fi`,
        `}`,
    ].join("\n");
}

export function firewalldApply(): string {
    const rule = (what: string) => `printf 'rule family="ipv4" source address="%s" ${what} accept\\n' "$s"`;
    const brickRules = `for r in $brick_ranges; do printf 'rule family="ipv4" source address="%s" port port="%s" protocol="tcp" accept\\n' "$s" "$r"; done`;
    return [
        `firewall-cmd --state >/dev/null 2>&1 || die "firewalld is not running"`,
        `# The rules go into the zone of the interface the peers come in on (an interface bound to`,
        `# another zone than the default one would otherwise get nothing). This host's own address`,
        `# is among the peers and routes through lo: the first peer reached through another interface.`,
        `dev=""`,
        `for s in $peers; do`,
        `  d=$(ip route get "$s" 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')`,
        `  if [ -n "$d" ] && [ "$d" != lo ]; then dev=$d; break; fi`,
        `done`,
        `zone=$( { [ -n "$dev" ] && firewall-cmd --get-zone-of-interface="$dev" 2>/dev/null; } || firewall-cmd --get-default-zone)`,
        `# firewalld rules carry no comment, so the rich rules added are recorded in a file;`,
        `# an update removes the recorded ones that are no longer wanted.`,
        `want=$(`,
        `  for s in $peers; do`,
        `    ${rule(`port port="24007-24008" protocol="tcp"`)}`,
        `    ${rule(`port port="24007-24008" protocol="udp"`)}`,
        `    ${brickRules}`,
        `    ${rule(`icmp-type name="echo-request"`)}`,
        `  done`,
        `  for s in $clients; do`,
        `    ${rule(`port port="24007" protocol="tcp"`)}`,
        `    ${brickRules}`,
        `    ${rule(`icmp-type name="echo-request"`)}`,
        `  done`,
        `)`,
        `old_zone=$(cat "$state_dir/firewalld-zone" 2>/dev/null || echo "$zone")`,
        `if [ -f "$state_dir/firewalld-rich-rules" ]; then`,
        `  while IFS= read -r r; do`,
        `    [ "$old_zone" = "$zone" ] && printf '%s\n' "$want" | grep -qxF "$r" && continue`,
        `    firewall-cmd --permanent --zone="$old_zone" --remove-rich-rule="$r" >/dev/null`,
        `  done < "$state_dir/firewalld-rich-rules"`,
        `fi`,
        `printf '%s\n' "$want" | while IFS= read -r r; do`,
        `  firewall-cmd --permanent --zone="$zone" --query-rich-rule="$r" >/dev/null 2>&1 || firewall-cmd --permanent --zone="$zone" --add-rich-rule="$r" >/dev/null`,
        `done`,
        `printf '%s\n' "$want" > "$state_dir/firewalld-rich-rules"`,
        `echo "$zone" > "$state_dir/firewalld-zone"`,
        `# Stateful by itself: firewalld accepts established and related packets.`,
        `firewall-cmd --reload >/dev/null`,
        `echo "firewalld on $host: $(printf '%s\n' "$want" | grep -c .) rich rules in zone $zone"`,
    ].join("\n");
}

export function firewalldRemove(): string {
    return [
        `remove_firewalld() {`,
        `  if [ -f "$state_dir/firewalld-rich-rules" ] && command -v firewall-cmd >/dev/null 2>&1; then`,
        `    z=$(cat "$state_dir/firewalld-zone" 2>/dev/null || firewall-cmd --get-default-zone)`,
        `    while IFS= read -r r; do firewall-cmd --permanent --zone="$z" --remove-rich-rule="$r" >/dev/null 2>&1 || true; done < "$state_dir/firewalld-rich-rules"`,
        `    firewall-cmd --reload >/dev/null 2>&1 || true`,
        `    rm -f "$state_dir/firewalld-rich-rules" "$state_dir/firewalld-zone"`,
        `  fi`,
        `}`,
    ].join("\n");
}

export function ufwApply(): string {
    return [
        `ufw status 2>/dev/null | grep -q '^Status: active' || die "ufw is not active"`,
        `# The wanted rules, as ufw takes them; the ones added are recorded so that an update adds`,
        `# the new ones first and then deletes those no longer wanted: peers are never refused meanwhile.`,
        `want=$(`,
        `  for s in $peers; do`,
        `    echo "proto tcp from $s to any port 24007:24008"`,
        `    echo "proto udp from $s to any port 24007:24008"`,
        `    for r in $brick_ranges; do echo "proto tcp from $s to any port \${r%-*}:\${r#*-}"; done`,
        `  done`,
        `  for s in $clients; do`,
        `    echo "proto tcp from $s to any port 24007"`,
        `    for r in $brick_ranges; do echo "proto tcp from $s to any port \${r%-*}:\${r#*-}"; done`,
        `  done`,
        `)`,
        `# Stateful by itself: ufw accepts established and related packets.`,
        `printf '%s\n' "$want" | while IFS= read -r r; do ufw allow $r comment ${UFW_COMMENT} >/dev/null; done`,
        `if [ -f "$state_dir/ufw-rules" ]; then`,
        `  while IFS= read -r r; do`,
        `    printf '%s\n' "$want" | grep -qxF "$r" || ufw delete allow $r >/dev/null 2>&1 || true`,
        `  done < "$state_dir/ufw-rules"`,
        `fi`,
        `printf '%s\n' "$want" > "$state_dir/ufw-rules"`,
        `# ufw's default before.rules already accept ICMP echo requests.`,
        `echo "ufw on $host: $(ufw status | grep -c '# ${UFW_COMMENT}') rules"`,
    ].join("\n");
}

/** ufw rules are removed by number, highest first, matched by their comment. */
export function ufwRemove(): string {
    return `remove_ufw() {
  command -v ufw >/dev/null 2>&1 || return 0
  # Highest first (each delete renumbers the rules after it): ufw lists them lowest first.
  nums=""
  for n in $(ufw status numbered 2>/dev/null | sed -n 's/^\\[ *\\([0-9][0-9]*\\)\\].*# ${UFW_COMMENT}$/\\1/p'); do nums="$n $nums"; done
  for n in $nums; do ufw --force delete "$n" >/dev/null; done
  [ ! -f "$state_dir/ufw-rules" ] || rm -f "$state_dir/ufw-rules"
}`;
}
