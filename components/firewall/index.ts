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
 *
 * Persistence: the apply script is kept on the host (`$state_dir/firewall.sh`) and run from
 * there. A systemd unit runs that file again at boot, and after the host's iptables or
 * nftables service starts or reloads (either wipes the runtime rules). firewalld and ufw
 * keep their own rules; the unit still restores the brick ports' reservation at boot.
 */
import { dq, shq } from "../shell";
import { firewalldRemove, iptablesRemove, ufwRemove, firewalldApply, iptablesApply, ufwApply } from "./backends";
import { FirewallParams, lists, prelude } from "./common";
import { nftInputChains, nftRemove, nftApply } from "./nft";
import { portsFunctions } from "./ports";

export { CHAIN, FirewallParams, NFT_CHAIN, NFT_TABLE, RECORD_DIR, UFW_COMMENT } from "./common";

/** The systemd unit that re-applies the iptables or nftables rules. */
export const FIREWALL_UNIT = "glusterfs-cluster-firewall.service";
function unitPath(): string {
    return `"$systemd_root/etc/systemd/system/${FIREWALL_UNIT}"`;
}

/**
 * The unit's text, for rules kept in `stateDir`. Ordered after the host's own firewall
 * services and tied to them: when one of them starts, restarts or reloads (and so replaces
 * the rule set), the component's rules are applied again right after.
 */
export function firewallUnit(stateDir: string): string {
    const hostFirewalls = "nftables.service netfilter-persistent.service iptables.service";
    return [
        `[Unit]`,
        `Description=GlusterFS ports for the glusterfs-cluster component`,
        `# The kept script resolves peer names: at boot, not before the network is up. And before`,
        `# Docker starts the bricks: the brick ports are reserved from the ephemeral range first.`,
        `Wants=network-online.target`,
        `After=network-online.target ${hostFirewalls} firewalld.service ufw.service`,
        `Before=docker.service`,
        `PartOf=${hostFirewalls}`,
        `ReloadPropagatedFrom=${hostFirewalls}`,
        ``,
        `[Service]`,
        `Type=oneshot`,
        `RemainAfterExit=yes`,
        `ExecStart=/bin/sh ${stateDir}/firewall.sh`,
        `ExecReload=/bin/sh ${stateDir}/firewall.sh`,
        ``,
        `[Install]`,
        `# PartOf passes on stops and restarts, not starts: a host firewall started again after a`,
        `# stop (which flushed the rules) pulls this unit in once more.`,
        `WantedBy=multi-user.target ${hostFirewalls}`,
    ].join("\n");
}

/** The backend `auto` resolves to: what the host runs. */
function detectBackend(): string {
    return `detect() {
  if command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then echo firewalld; return; fi
  if command -v ufw >/dev/null 2>&1 && ufw status 2>/dev/null | grep -q '^Status: active'; then echo ufw; return; fi
  if command -v nft >/dev/null 2>&1 && [ -n "$(nft_targets 2>/dev/null)" ]; then echo nftables; return; fi
  if command -v iptables >/dev/null 2>&1; then echo iptables; return; fi
  if command -v nft >/dev/null 2>&1; then echo nftables; return; fi
  die "no firewall tool found (iptables, nft, firewall-cmd or ufw)"
}`;
}

function backends() {
    return { iptables: iptablesApply, nftables: nftApply, firewalld: firewalldApply, ufw: ufwApply };
}

/** Every backend's remove function: whatever held the rules before is cleaned up. */
function removers(): string[] {
    return [iptablesRemove(), nftInputChains(), nftRemove(), firewalldRemove(), ufwRemove()];
}

/** The rules themselves: the script kept on the host as `$state_dir/firewall.sh`. Idempotent. */
export function firewallRulesScript(p: FirewallParams): string {
    return [
        prelude(p.host),
        ...removers(),
        portsFunctions(),
        detectBackend(),
        ...lists(p),
        p.backend === "auto" ? `backend=$(detect)` : `backend=${p.backend}`,
        `echo "firewall backend on $host: $backend"`,
        `# Whatever applied the rules last owns them: a stale delete of an earlier resource leaves them.`,
        `# Beside the token, whose rules they are: the next apply of another stack or cluster refuses.`,
        `[ -d "$state_dir" ] || mkdir -p "$state_dir"`,
        `echo ${shq(`${p.owner} ${p.claim}`)} > "$state_dir/firewall-owner"`,
        `case $backend in`,
        // A fixed backend gets only its own branch; `auto` needs them all.
        ...(Object.entries(backends()) as Array<[string, () => string]>)
            .filter(([name]) => p.backend === "auto" || p.backend === name)
            .flatMap(([name, apply]) => [`${name})`, apply(), `;;`]),
        `esac`,
        `# Another backend may hold rules from before (a changed backend, or \`auto\` finding`,
        `# another tool): they go once the new ones hold, so no removed client keeps a door.`,
        `for other in iptables nftables firewalld ufw; do`,
        `  [ "$other" = "$backend" ] || remove_$other`,
        `done`,
        `echo "$backend" > "$state_dir/firewall-backend"`,
        `reserve_brick_ports`,
        `# What each peer name resolved to, for a boot at which DNS does not answer yet.`,
        `# and the brick ranges the containers had, for a boot (which must not ask Docker).`,
        `if [ "\${GLUSTERFS_CLUSTER_APPLY:-}" = 1 ]; then printf "$resolved" > "$resolved_file"; printf '%s\\n' $brick_ranges > "$ranges_file"; fi`,
        ``,
    ].join("\n");
}

/**
 * Installs the unit that applies the kept script at boot (every backend: the brick ports'
 * reservation is runtime-only too) and after each reload of an iptables or nftables service.
 */
function persistSteps(): string {
    return [
        systemdRoot(),
        `if [ ! -d "$systemd_root/run/systemd/system" ]; then`,
        `  echo "WARNING: $host does not run systemd: nothing re-applies the GlusterFS rules after a reboot or a reload of the host firewall; have its firewall start-up run sh $state_dir/firewall.sh" >&2`,
        `  exit 0`,
        `fi`,
        `unit=$(cat <<GLUSTERFS_UNIT`,
        firewallUnit("$state_dir"),
        `GLUSTERFS_UNIT`,
        `)`,
        `if [ "$(cat ${unitPath()} 2>/dev/null)" != "$unit" ]; then`,
        `  printf '%s\n' "$unit" > ${unitPath()}`,
        `  systemctl daemon-reload`,
        `fi`,
        `systemctl enable --now ${FIREWALL_UNIT} >/dev/null 2>&1 || die "cannot enable ${FIREWALL_UNIT}"`,
        `echo "the rules on $host are applied again at boot and after every reload of its firewall (${FIREWALL_UNIT})"`,
    ].join("\n");
}

/** GLUSTERFS_CLUSTER_SYSTEMD_ROOT stands in for / under systemd's directories (the unit tests use it). */
function systemdRoot(): string {
    return `systemd_root=\${GLUSTERFS_CLUSTER_SYSTEMD_ROOT:-}`;
}

function removeUnit(): string {
    return `${systemdRoot()}
remove_unit() {
  [ -f ${unitPath()} ] || return 0
  systemctl disable ${FIREWALL_UNIT} >/dev/null 2>&1 || true
  rm -f ${unitPath()}
  systemctl daemon-reload 2>/dev/null || true
}`;
}

/**
 * The create/update script of a host's firewall child: keeps the rules script on the host,
 * runs it, and has systemd run it again whenever the host's firewall replaces the rule set.
 */
export function firewallApplyScript(p: FirewallParams): string {
    return [
        prelude(p.host),
        ...claimCheck(p.claim),
        `[ -d "$state_dir" ] || mkdir -p "$state_dir"`,
        `case $state_dir in *"'"*|*\\\\*) die "GLUSTERFS_CLUSTER_STATE_DIR must not contain quotes or backslashes" ;; esac`,
        `{`,
        `  printf "GLUSTERFS_CLUSTER_STATE_DIR='%s'\\n" "$state_dir"`,
        `  cat <<'GLUSTERFS_FIREWALL_RULES'`,
        firewallRulesScript(p),
        `GLUSTERFS_FIREWALL_RULES`,
        `} > "$state_dir/firewall.sh.new"`,
        `# The new rules are proven before they are kept: a failed apply leaves the kept script (what`,
        `# a boot or a reload of the host firewall runs) as it was, not half-replaced.`,
        `GLUSTERFS_CLUSTER_APPLY=1 sh "$state_dir/firewall.sh.new" || { rm -f "$state_dir/firewall.sh.new"; exit 1; }`,
        `mv "$state_dir/firewall.sh.new" "$state_dir/firewall.sh"`,
        persistSteps(),
        ``,
    ].join("\n");
}

/**
 * Refuses, before anything on the host changes, rules that another stack or another
 * GlusterCluster applied: two owners of one host's rules would undo each other (the other's
 * destroy removes them all). A record without a claim (written by an earlier version) is taken over.
 */
function claimCheck(claim: string): string[] {
    return [
        `if [ -f "$state_dir/firewall-owner" ]; then`,
        `  read -r _ claimed < "$state_dir/firewall-owner" || claimed=""`,
        `  if [ -n "$claimed" ] && [ "$claimed" != ${shq(claim)} ]; then`,
        `    other=\${claimed%/*}`,
        `    die "the GlusterFS firewall rules on $host belong to stack \${other##*/} of project \${other%/*} (GlusterCluster \${claimed##*/}), and this is ${dq(describeClaim(claim))}. Two stacks or clusters on one host would undo each other's rules (either's destroy removes them). Use other hosts, or destroy the other one first; if it no longer exists, remove $state_dir/firewall-owner on $host and run pulumi up again. Nothing was changed."`,
        `  fi`,
        `fi`,
    ];
}

/** "stack S of project P (GlusterCluster C)". */
function describeClaim(claim: string): string {
    const [project, stack, ...cluster] = claim.split("/");
    return `stack ${stack} of project ${project} (GlusterCluster ${cluster.join("/")})`;
}

/**
 * The delete script: removes what any backend of the component added (the backend in use
 * may have been `auto`), the kept script and the unit, and nothing else.
 */
export function firewallRemoveScript(host: string, owner: string): string {
    return [
        prelude(host),
        `# The record is "TOKEN CLAIM" (an earlier version wrote the token alone).`,
        `if [ -f "$state_dir/firewall-owner" ]; then`,
        `  read -r recorded claimed < "$state_dir/firewall-owner" || recorded=""`,
        `  if [ "$recorded" != ${shq(owner)} ]; then`,
        `    echo "the GlusterFS firewall rules on $host now belong to another resource (\${claimed:-$recorded}); leaving them"`,
        `    exit 0`,
        `  fi`,
        `fi`,
        ...removers(),
        `brick_ranges=""`,
        portsFunctions(),
        removeUnit(),
        `remove_unit`,
        `release_brick_ports`,
        `remove_iptables`,
        `remove_nftables`,
        `remove_firewalld`,
        `remove_ufw`,
        `rm -f "$state_dir/firewall-owner" "$state_dir/firewall-backend" "$state_dir/firewall.sh" "$state_dir/firewall-resolved" "$state_dir/firewall-brick-ranges"`,
        `echo "removed the GlusterFS firewall rules from $host"`,
        ``,
    ].join("\n");
}
