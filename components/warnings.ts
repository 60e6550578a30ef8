/**
 * What the component says on every apply about a config it accepts but that deserves
 * attention: an open door, unchecked host keys, the server-quorum arithmetic.
 */
import { ClusterSpec } from "./spec";

export function configWarnings(spec: ClusterSpec): string[] {
    return [openDoorWarning(spec), ...hostKeyWarnings(spec), serverQuorumWarning(spec)].filter((w): w is string => w !== undefined);
}

/** The firewall admits every source: loud, and louder when nothing else restricts mounting. */
export function openDoorWarning(spec: ClusterSpec): string | undefined {
    if (spec.openToAnyClient) {
        return `insecureAllowAnyClient is set and nothing restricts mounting (no clientCidrs, so no auth.allow${spec.firewall.enabled ? ", and the firewall admits every source" : ", and no firewall"}): ANY host that reaches the servers can mount the volume read-write.`;
    }
    if (spec.firewall.enabled && spec.firewall.allowAllClients) {
        return `firewall.allowAllClients is set: GlusterFS's client ports are open to ANY source on every host (auth.allow still admits only the servers and clientCidrs).`;
    }
    return undefined;
}

/** One warning per remote host whose SSH host key is not pinned. */
export function hostKeyWarnings(spec: ClusterSpec): string[] {
    return spec.hosts
        .filter((h) => h.ssh !== undefined && h.ssh.hostKey === undefined)
        .map(
            (h) =>
                `the SSH host key of ${h.ssh!.host} is not pinned: commands run there as ${h.ssh!.user} on whatever answers. Set nodes[].host.ssh.hostKey (README: SSH host keys).`,
        );
}

/**
 * With server quorum on, glusterd counts every node of the pool, pool-only ones included:
 * say what then takes the volume offline although two of three bricks are healthy.
 */
export function serverQuorumWarning(spec: ClusterSpec): string | undefined {
    const extras = spec.nodes.length - 3;
    if (spec.volumeOptions["cluster.server-quorum-type"] !== "server" || extras < 1) return undefined;
    const ratio = Number((spec.volumeOptions["cluster.server-quorum-ratio"] ?? "51%").replace("%", "")) || 51;
    const needed = Math.ceil((spec.nodes.length * ratio) / 100);
    return (
        `server quorum is on with ${extras} pool-only node(s): glusterd counts all ${spec.nodes.length} nodes and stops its bricks when fewer than ${needed} are up, ` +
        `so losing the pool-only node(s) and one brick node takes the volume offline although two of three bricks are healthy. ` +
        `Pool-only nodes must then be as available as the brick nodes (README: Quorum).`
    );
}

/** A host-mode cluster that ran plain before TLS was the default (tls.enabled unset): it stays plain, and says how to move. */
export function plainByDefaultWarning(): string {
    return `TLS is off: this cluster ran without it before TLS became the default, and is not switched silently. File contents and management traffic cross the network in clear, and only auth.allow decides who mounts. Switch it with tls.enabled: true and tls.acceptOutage: true, which stops the volume for the switch (clients then mount with a bundle); or set tls.enabled: false to say plain is meant (README: TLS).`;
}
