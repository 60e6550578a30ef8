/**
 * Puts a node's TLS material where every GlusterFS process reads it, before its container
 * starts: glusterd, the bricks, the self-heal daemon and the CLI all read the fixed files
 * of one directory compiled into GlusterFS (`/etc/ssl/glusterfs.{pem,key,ca}` in Debian 13), and turn TLS on
 * for management when `/var/lib/glusterd/secure-access` exists when they start. The image
 * links those files into the node's state storage (`/var/lib/glusterd/tls/`), which this
 * step writes: they outlive a replaced container, and a new certificate (rotation) is taken
 * up by every new connection, with no container replaced.
 *
 * The material reaches the host as the command's standard input, never in its script, a
 * log line or an output; a throw-away container of the node's image writes it into the
 * state storage.
 */
import * as pulumi from "@pulumi/pulumi";
import { hostCommand } from "./commands";
import { nodeHostDirs, nodeVolumeNames, STATE_DIR } from "./container";
import { dq, shq } from "./shell";
import { childOptions, Scope, whileTls } from "./scope";
import { NodeSpec } from "./spec";

/** Where the image links OpenSSL's glusterfs.* files to, in the node's state storage. */
export const TLS_DIR = `${STATE_DIR}/tls`;
/** The management switch: glusterd, the CLI and a client speak TLS to each other when it exists at their start. */
export const SECURE_ACCESS = `${STATE_DIR}/secure-access`;

/**
 * Refuses TLS for a pool member that runs plain: a state (`dir`) that knows peers or a volume
 * and has no `secure-access`. Its glusterd would start with TLS at its next restart, cut off
 * from its plain peers. A state that is new (a new node, a host rebuilt in place) knows
 * neither. `what` says what was found, and the message names the ways out. Used by the
 * preflight (the first node, before anything is touched) and by each node's files step.
 */
export function plainMemberRefused(dir: string, what: string): string[] {
    return [
        `# glusterd runs management TLS only where secure-access exists: a pool member without it runs plain.`,
        `if [ ! -e ${dir}/secure-access ] && { [ -n "$(ls -A ${dir}/peers 2>/dev/null)" ] || [ -n "$(ls -A ${dir}/vols 2>/dev/null)" ]; }; then`,
        `  echo "error: ${what}. Nothing was changed. Keep it plain: set tls.enabled: false, and replace the identity step once more so that it records that (pulumi up --replace with its URN: pulumi stack --show-urns | grep identity). Or switch it: set tls.enabled: true and tls.acceptOutage: true, which stops the volume for the switch (README: TLS)." >&2`,
        `  exit 1`,
        `fi`,
    ];
}

/**
 * The script run in the throw-away container: it splits the PEM on its standard input —
 * the key, the node's certificate, then the CAs — into the three files, replaces each
 * whole, and creates the management switch. A node whose state holds a pool member that runs
 * plain is refused, unless the switch to TLS was accepted (`switchAccepted`): its glusterd
 * would start with TLS at its next restart, cut off from its plain peers.
 */
export function tlsFilesInnerScript(node: string, switchAccepted = false): string {
    return [
        `set -eu`,
        `umask 077`,
        ...(switchAccepted
            ? []
            : plainMemberRefused(
                  STATE_DIR,
                  `${dq(node)} runs without TLS (its state holds a pool member and no secure-access), and its TLS files would turn TLS on at its next restart, cut off from its peers`,
              )),
        `d=${TLS_DIR}`,
        `mkdir -p "$d"`,
        ...pemSplitSteps(node),
        `# Management TLS (glusterd, the CLI) is on when this file exists at their start.`,
        `: > ${SECURE_ACCESS}`,
        `echo "TLS files of ${dq(node)} in place"`,
        ``,
    ].join("\n");
}

/**
 * Splits the PEM on standard input — a key, a certificate, then the CA certificates — into
 * the directory `$d` as glusterfs.key, glusterfs.pem and glusterfs.ca, each replaced whole.
 */
export function pemSplitSteps(node: string): string[] {
    return [
        `# The key, then the certificate, then every CA certificate: one file each.`,
        `awk -v d="$d" '`,
        `  /^-----BEGIN .*PRIVATE KEY-----$/ { f = d "/glusterfs.key.new" }`,
        `  /^-----BEGIN CERTIFICATE-----$/ { f = (certs++ == 0) ? d "/glusterfs.pem.new" : d "/glusterfs.ca.new" }`,
        `  f != "" { print > f }`,
        `  /^-----END / { f = "" }'`,
        `for f in key pem ca; do`,
        `  [ -s "$d/glusterfs.$f.new" ] || { echo "error: the TLS material of ${dq(node)} has no glusterfs.$f part" >&2; exit 1; }`,
        `done`,
        `chmod 0644 "$d/glusterfs.pem.new" "$d/glusterfs.ca.new"`,
        `# Each file replaced whole: a connection opened meanwhile reads an old or a new file, never half of one.`,
        `for f in key pem ca; do mv -f "$d/glusterfs.$f.new" "$d/glusterfs.$f"; done`,
    ];
}

/** The host-side command: the node's image, its state storage mounted, no network, the material on standard input. */
export function tlsFilesScript(spec: Scope["spec"], node: NodeSpec, image: string): string {
    const state = spec.networkMode === "host" ? nodeHostDirs(node).state : nodeVolumeNames(spec, node).state;
    return [
        `set -eu`,
        `docker run --rm -i --network none -v ${shq(`${state}:${STATE_DIR}`)} --entrypoint sh ${shq(image)} -c ${shq(tlsFilesInnerScript(node.name, spec.tlsSwitch === "on"))}`,
        ``,
    ].join("\n");
}

/** What the files step does for a cluster that runs plain (TLS by default, off): nothing. */
export function tlsFilesPlainScript(node: NodeSpec): string {
    return `echo "${dq(node.name)}: the cluster runs without TLS (it ran plain before TLS was the default): no TLS files written"\n`;
}

/** A node's files step: after its storage (and the image), before any container. */
export function declareTlsFiles(
    scope: Scope,
    node: NodeSpec,
    image: pulumi.Output<string>,
    bundle: pulumi.Output<string>,
    after: pulumi.Resource[],
): pulumi.Resource {
    const create = pulumi.all([image, scope.tlsOn]).apply(([i, on]) => (on ? tlsFilesScript(scope.spec, node, i) : tlsFilesPlainScript(node)));
    // A plain cluster's hosts get no key material.
    return hostCommand(scope.names.tlsFiles(node.name), node.host, { create, stdin: whileTls(scope, bundle, "") }, childOptions(scope, { dependsOn: after }));
}
