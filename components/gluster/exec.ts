import { dq, shq } from "../shell";

/** Runs `script` inside `container` on the Docker host the command runs on. */
export function inContainer(container: string, script: string): string {
    return `docker exec ${shq(container)} sh -c ${shq(script)}`;
}

/**
 * For delete commands: a container that is already gone has nothing to clean up, so the
 * delete succeeds instead of blocking `pulumi destroy`; a container that exists but is
 * stopped fails the delete with the way out, instead of a cryptic "is not running". Only
 * "no such container" means gone: any other failure of docker fails the delete, saying
 * what docker said, rather than "succeeding" without doing anything.
 */
export function inContainerIfPresent(container: string, script: string): string {
    return [
        ...containerState(container),
        `if [ "$state" = gone ]; then`,
        `  echo "container ${dq(container)} is gone; nothing to do"`,
        `  exit 0`,
        `fi`,
        `if [ "$state" != running ]; then`,
        `  echo "error: container ${dq(container)} is $state, so its glusterd cannot be asked to clean up. Start it (docker start ${dq(container)}) and run this again; or, to leave the volume definition and peers as they are, remove the container (docker rm ${dq(container)}) and run this again." >&2`,
        `  exit 1`,
        `fi`,
        inContainer(container, script),
    ].join("\n");
}

/**
 * Sets $state to the container's state ("running", "exited", ...) or "gone"; any other
 * failure of docker stops the script, saying what docker said. What docker prints on stderr
 * beside a success (a warning about its config file, a podman shim's notice) is not the
 * state: the state is the line docker's template marks.
 */
export function containerState(container: string): string[] {
    const c = shq(container);
    return [
        `if said=$(docker container inspect -f 'state={{.State.Status}}' ${c} 2>&1); then`,
        `  state=$(printf '%s\n' "$said" | sed -n 's/^state=//p' | tail -n 1)`,
        `  [ -n "$state" ] || { echo "error: cannot tell whether container ${dq(container)} runs: docker said: $said" >&2; exit 1; }`,
        `else`,
        `  case $said in`,
        `    *"No such container"*|*"No such object"*) state=gone ;;`,
        `    *) echo "error: cannot tell whether container ${dq(container)} runs: docker said: $said" >&2; exit 1 ;;`,
        `  esac`,
        `fi`,
    ];
}
