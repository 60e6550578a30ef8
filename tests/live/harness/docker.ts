/**
 * The Docker resources the component declares, applied through the real Docker engine the
 * way @pulumi/docker 5.x (the kreuzwerker provider) applies them. Each translation covers
 * exactly the arguments the component sets; any other argument fails the run.
 */
import { check, run } from "./run";
import { Strict } from "./strict";

export type DockerHost = string | undefined;

export function dockerArgv(host: DockerHost, ...args: string[]): string[] {
    return host ? ["docker", "-H", host, ...args] : ["docker", ...args];
}

/** docker.Image with a local build (skipPush): `docker build`. Delete keeps the image, as the provider does. */
export async function applyImage(host: DockerHost, s: Strict): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const imageName = s.string("imageName");
    // Whether `pulumi preview` builds too; an apply builds either way.
    s.optionalBool("buildOnPreview");
    if (s.bool("skipPush") !== true) throw new Error(`${s.where}: only local builds (skipPush: true) can be applied here`);
    const build = s.object("build");
    const context = build.string("context");
    const dockerfile = build.optionalString("dockerfile");
    build.done();
    s.done();
    await check(dockerArgv(host, "build", "-q", "-t", imageName, ...(dockerfile ? ["-f", dockerfile] : []), context));
    const id = await check(dockerArgv(host, "image", "inspect", "-f", "{{.Id}}", imageName));
    return { id, outputs: { imageName, context, dockerfile, repoDigest: id } };
}

/** docker.RemoteImage: the image must be present or pullable. keepLocally keeps it on delete. */
export async function applyRemoteImage(host: DockerHost, s: Strict): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const name = s.string("name");
    const keepLocally = s.optionalBool("keepLocally");
    s.done();
    let id = (await run(dockerArgv(host, "image", "inspect", "-f", "{{.Id}}", name))).stdout.trim();
    if (!id) {
        await check(dockerArgv(host, "pull", name), { timeoutMs: 300_000 });
        id = await check(dockerArgv(host, "image", "inspect", "-f", "{{.Id}}", name));
    }
    return { id: `${id}${name}`, outputs: { name, keepLocally, imageId: id, repoDigest: id } };
}

export async function applyNetwork(host: DockerHost, s: Strict): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const name = s.string("name");
    const driver = s.optionalString("driver") ?? "bridge";
    const labels = s.optionalLabels("labels");
    s.done();
    const id = await check(dockerArgv(host, "network", "create", "--driver", driver, ...labels.flatMap((l) => ["--label", `${l.label}=${l.value}`]), name));
    return { id, outputs: { name, driver } };
}

export async function applyVolume(host: DockerHost, s: Strict): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const name = s.string("name");
    const labels = s.optionalLabels("labels");
    s.done();
    const id = await check(dockerArgv(host, "volume", "create", ...labels.flatMap((l) => ["--label", `${l.label}=${l.value}`]), name));
    return { id, outputs: { name, mountpoint: `/var/lib/docker/volumes/${name}/_data` } };
}

/** docker.Container: `docker run -d` with each argument translated to its flag. */
export async function applyContainer(host: DockerHost, s: Strict): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const argv = ["run", "-d"];
    const name = s.string("name");
    argv.push("--name", name);
    const image = s.string("image");
    const restart = s.optionalString("restart");
    if (restart) argv.push("--restart", restart);
    const caps = s.optionalObject("capabilities");
    if (caps) {
        for (const c of caps.stringList("adds")) argv.push("--cap-add", c);
        caps.done();
    }
    if (s.optionalBool("privileged")) argv.push("--privileged");
    for (const e of s.optionalStringList("envs")) argv.push("--env", e);
    for (const [path, options] of Object.entries(s.optionalStringMap("tmpfs"))) argv.push("--tmpfs", `${path}:${options}`);
    for (const v of s.optionalObjectList("volumes")) {
        const target = v.string("containerPath");
        const source = v.optionalString("volumeName") ?? v.optionalString("hostPath");
        if (!source) throw new Error(`${v.where}: needs volumeName or hostPath`);
        v.done();
        // The provider passes these as Binds, which creates a missing host path.
        argv.push("--volume", `${source}:${target}`);
    }
    for (const h of s.optionalObjectList("hosts")) {
        argv.push("--add-host", `${h.string("host")}:${h.string("ip")}`);
        h.done();
    }
    const networkMode = s.optionalString("networkMode");
    const networks = s.optionalObjectList("networksAdvanced");
    if (networkMode && networks.length > 0) throw new Error(`${s.where}: networkMode and networksAdvanced together are not translated`);
    if (networkMode) argv.push("--network", networkMode);
    // The provider creates the container on the default bridge, disconnects it and connects
    // each networks_advanced entry; the end state is what --network with aliases gives.
    if (networks.length > 1) throw new Error(`${s.where}: more than one networksAdvanced entry is not translated`);
    for (const n of networks) {
        argv.push("--network", n.string("name"));
        for (const a of n.optionalStringList("aliases")) argv.push("--network-alias", a);
        n.done();
    }
    const hostname = s.optionalString("hostname");
    if (hostname) argv.push("--hostname", hostname);
    const hc = s.optionalObject("healthcheck");
    if (hc) {
        const tests = hc.stringList("tests");
        if (tests[0] !== "CMD-SHELL" || tests.length !== 2) throw new Error(`${hc.where}: only ["CMD-SHELL", cmd] is translated`);
        argv.push("--health-cmd", tests[1]);
        const interval = hc.optionalString("interval");
        if (interval) argv.push("--health-interval", interval);
        const timeout = hc.optionalString("timeout");
        if (timeout) argv.push("--health-timeout", timeout);
        const startPeriod = hc.optionalString("startPeriod");
        if (startPeriod) argv.push("--health-start-period", startPeriod);
        const retries = hc.optionalNumber("retries");
        if (retries !== undefined) argv.push("--health-retries", String(retries));
        hc.done();
    }
    for (const l of s.optionalLabels("labels")) argv.push("--label", `${l.label}=${l.value}`);
    if (s.optionalBool("wait") === true) throw new Error(`${s.where}: wait: true is not translated (the component polls itself)`);
    s.done();
    argv.push(image);
    const id = await check(dockerArgv(host, ...argv));
    return { id, outputs: { name, image } };
}

export async function deleteContainer(host: DockerHost, id: string): Promise<void> {
    // The provider stops the container and removes it with its anonymous volumes.
    await run(dockerArgv(host, "rm", "-f", "-v", id));
}

export async function deleteVolume(host: DockerHost, name: string): Promise<void> {
    await check(dockerArgv(host, "volume", "rm", name));
}

export async function deleteNetwork(host: DockerHost, name: string): Promise<void> {
    await check(dockerArgv(host, "network", "rm", name));
}
