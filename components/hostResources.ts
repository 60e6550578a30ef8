/**
 * What the component declares once per Docker host: the Docker provider, the engine check
 * (its platform; whether the command user may use it), the image, and the firewall.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hostCommand, stdoutOf } from "./commands";
import { engineScript, platformFromOutput } from "./engine";
import { firewallApplyScript, firewallRemoveScript } from "./firewall";
import { imageBuildContext, projectImageName } from "./image";
import { ChildNames } from "./names";
import { clusterClaim, ownerToken } from "./owner";
import { childOptions, Scope } from "./scope";
import { HostSpec, serverSourceAddresses } from "./spec";

export interface HostResources {
    provider: docker.Provider;
    /** The image to run on this host (its name or id). */
    image: pulumi.Output<string>;
}

/** Aliases under the names earlier versions gave a host's children (by SSH host). */
function legacyAliases(names: ChildNames, host: HostSpec, role: "engine" | "docker" | "image" | "firewall"): pulumi.Alias[] {
    return host.legacyId && host.legacyId !== host.id ? [{ name: names[role](host.legacyId) }] : [];
}

/**
 * The engine check of a host: first of all, before the identity guard (which reads the
 * engine's ID); it only reads.
 */
export function declareEngine(parent: pulumi.ComponentResource, names: ChildNames, host: HostSpec): pulumi.Output<string> {
    return stdoutOf(hostCommand(names.engine(host.id), host, { create: engineScript(host.id) }, { parent, aliases: legacyAliases(names, host, "engine") }));
}

/** A host's Docker provider and image. They change nothing a cluster runs with: they may come before the preflight check. */
export function declareHost(scope: Scope, host: HostSpec, engine: pulumi.Output<string>): HostResources {
    const { spec, names } = scope;
    const tls = host.dockerTls ? { caMaterial: host.dockerTls.caCert, certMaterial: host.dockerTls.cert, keyMaterial: host.dockerTls.key } : {};
    const provider = new docker.Provider(
        names.docker(host.id),
        host.dockerHost ? { host: host.dockerHost, ...tls } : {},
        childOptions(scope, { aliases: legacyAliases(names, host, "docker") }),
    );
    const imageOpts = childOptions(scope, { provider, aliases: legacyAliases(names, host, "image") });
    let image: pulumi.Output<string>;
    if (spec.image) {
        image = new docker.RemoteImage(names.image(host.id), { name: spec.image, keepLocally: true }, imageOpts).imageId;
    } else {
        const build = { ...imageBuildContext(), platform: engine.apply(platformFromOutput) };
        // Built for the target engine's platform, not for the machine running pulumi.
        image = new docker.Image(names.image(host.id), { imageName: projectImageName(), build, skipPush: true }, imageOpts).imageName;
    }
    return { provider, image };
}

/** The firewall rules of a host, as its firewall command applies them. */
function firewallScript(scope: Scope, host: HostSpec, extraClients: pulumi.Output<string[]>, owner: string): pulumi.Output<string> {
    const { spec } = scope;
    return extraClients.apply((extra) =>
        firewallApplyScript({
            host: host.ssh?.host ?? host.id,
            backend: spec.firewall.backend,
            peers: serverSourceAddresses(spec),
            clients: spec.firewall.allowAllClients ? ["0.0.0.0/0"] : [...spec.clientCidrs, ...extra.map((ip) => `${ip}/32`)],
            ports: spec.ports,
            owner,
            claim: clusterClaim(spec.name),
            cluster: spec.name,
        }),
    );
}

/**
 * A host's firewall rules. They come after the checks that can refuse the update (the
 * identity guard and the preflight, in `after`): a refused update has changed no host's rules.
 */
export function declareFirewall(scope: Scope, host: HostSpec, extraClients: pulumi.Output<string[]>, after: pulumi.Resource[]): pulumi.Resource {
    const name = scope.names.firewall(host.id);
    const owner = ownerToken(host, name);
    const opts = childOptions(scope, { dependsOn: after, aliases: legacyAliases(scope.names, host, "firewall") });
    return hostCommand(
        name,
        host,
        { create: firewallScript(scope, host, extraClients, owner), delete: firewallRemoveScript(host.ssh?.host ?? host.id, owner) },
        opts,
    );
}

/**
 * The same rules applied again once every node is in service: the firewall opens, besides
 * the configured brick ports, those the cluster's running containers still use, so that a
 * change of `brickPorts` keeps the old range open until every node has moved; this step
 * then narrows it. It shares the firewall command's ownership (it has no delete).
 */
export function declareFirewallSettle(scope: Scope, host: HostSpec, extraClients: pulumi.Output<string[]>, after: pulumi.Resource[]): pulumi.Resource {
    const owner = ownerToken(host, scope.names.firewall(host.id));
    return hostCommand(
        scope.names.firewallSettle(host.id),
        host,
        { create: firewallScript(scope, host, extraClients, owner) },
        childOptions(scope, { dependsOn: after }),
    );
}
