/**
 * A host-mode node's data directories on its host: created (refusing bricks on the host's
 * root filesystem), owned by the resource that created them, and emptied on delete only
 * while that resource still owns them and no container uses them.
 */
import { shq, shqAll } from "./shell";

export const OWNER_FILE = ".glusterfs-cluster-owner";

/**
 * Creates a node's host directories and records which resource owns them; with `bricks`,
 * refuses a bricks directory on the host's root filesystem.
 */
export function dataCreateScript(dataRoot: string, dirs: string[], owner: string, bricks?: string, who = "the node"): string {
    return [
        `set -eu`,
        `mkdir -p ${shqAll(dirs)}`,
        ...(bricks ? rootFilesystemCheck(bricks, who) : []),
        `echo ${shq(owner)} > ${shq(`${dataRoot}/${OWNER_FILE}`)}`,
        ``,
    ].join("\n");
}

/**
 * GlusterFS refuses a brick on the root filesystem, but inside its container it sees the
 * container's root, never the host's: the check is made here, on the host.
 */
function rootFilesystemCheck(bricks: string, who: string): string[] {
    return [
        `if [ "$(stat -c %d /)" = "$(stat -c %d ${shq(bricks)})" ]; then`,
        `  echo ${shq(
            `error on the host of ${who}: ${bricks} is on the root filesystem; bricks filling it would stop Docker, sshd and the journal with them. ` +
                `Fix: mount a filesystem of its own at ${bricks} (or at its dataRoot), or accept the risk with allowBricksOnRootFilesystem: true.`,
        )} >&2`,
        `  exit 1`,
        `fi`,
    ];
}

/**
 * Empties a node's host directories (deleteDataOnDestroy), if this resource still owns them
 * and no container uses them. Mount points stay (the README advises a filesystem mounted at
 * the bricks directory): their contents go, the directories remain.
 */
export function dataDeleteScript(dataRoot: string, dirs: string[], owner: string): string {
    const record = shq(`${dataRoot}/${OWNER_FILE}`);
    return [
        `set -eu`,
        `if [ -f ${record} ] && [ "$(cat ${record})" != ${shq(owner)} ]; then`,
        `  echo ${shq(`${dataRoot} now belongs to another resource of this stack; leaving it`)}`,
        `  exit 0`,
        `fi`,
        `dirs=${shq(dirs.join(" "))}`,
        `for d in $dirs; do`,
        `  users=$(docker ps -a --format '{{.Names}}' --filter "volume=$d")`,
        `  [ -z "$users" ] || { echo "error: $d is still used by container(s) $users; not deleting it" >&2; exit 1; }`,
        `done`,
        `for d in $dirs; do`,
        `  [ -d "$d" ] || continue`,
        `  rm -rf -- "\${d:?}"/* "\${d:?}"/.[!.]* "\${d:?}"/..?*`,
        `  # A mount point cannot be removed, and must not be: it stays, empty.`,
        `  rmdir -- "$d" 2>/dev/null || echo "$d is a mount point (or not empty): kept, emptied"`,
        `done`,
        `rm -f ${record}`,
        `echo ${shq(`deleted the data under ${dataRoot}`)}`,
        ``,
    ].join("\n");
}
