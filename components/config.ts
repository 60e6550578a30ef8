import * as pulumi from "@pulumi/pulumi";
import { GlusterClusterArgs, GlusterNodeArgs, NodeMountArgs, RancherArgs, SshConnectionArgs, TlsArgs } from "./args";
import { argKeys, nearest } from "./keys";
import { ArgProblem, GlusterClusterArgsError } from "./validate";

/** A node as written in stack config: the SSH key is named, never written in the node itself. */
export interface NodeConfig extends Omit<GlusterNodeArgs, "host"> {
    host?: {
        dockerHost: string;
        ssh: {
            host: string;
            port?: number;
            user?: string;
            /** The config key holding this host's private key (a secret). Defaults to `sshPrivateKey`. */
            privateKeySecret?: string;
            /** The host's public key, pinned ("ssh-ed25519 AAAA..."). */
            hostKey?: string;
        };
        /** A tcp:// endpoint's TLS material: the certificates, and the config key holding the client key (a secret). */
        dockerTls?: { caCert: string; cert: string; keySecret?: string };
    };
}

function dockerTlsConfigKeys(): string[] {
    return ["caCert", "cert", "keySecret"];
}

function sshConfigKeys(): string[] {
    return ["host", "port", "user", "privateKeySecret", "hostKey"];
}

/**
 * Every key of the namespace must be one the program reads: a misspelt key (`clientCidr`)
 * would otherwise be dropped while the user believes a restriction is in place.
 */
function configProblems(
    config: pulumi.Config,
    nodes: NodeConfig[],
    mounts: NonNullable<RancherConfig["nodeMounts"]>,
    tlsCa: NonNullable<TlsConfig["ca"]> | undefined,
): ArgProblem[] {
    const problems: ArgProblem[] = [];
    const prefix = `${config.name}:`;
    const secrets = [
        "sshPrivateKey",
        ...nodes.map((n) => n?.host?.ssh?.privateKeySecret).filter((k): k is string => typeof k === "string"),
        ...nodes.flatMap((n) => (n?.host?.dockerTls ? [n.host.dockerTls.keySecret ?? "dockerTlsKey"] : [])),
        ...mounts.map((m) => m?.ssh?.privateKeySecret).filter((k): k is string => typeof k === "string"),
        ...(tlsCa ? [tlsCa.keySecret ?? "tlsCaKey"] : []),
    ];
    const known = [...argKeys()[""], ...secrets];
    for (const full of Object.keys(pulumi.runtime.allConfig())) {
        if (!full.startsWith(prefix)) continue;
        const key = full.slice(prefix.length);
        if (known.includes(key)) continue;
        const close = nearest(key, known);
        problems.push({
            field: full,
            message: `is not a configuration key of this program, and would be ignored. Fix: ${close ? `did you mean \`${prefix}${close}\`?` : `remove it (pulumi config rm ${full}).`}`,
        });
    }
    nodes.forEach((node, i) => {
        for (const key of Object.keys((node?.host?.dockerTls as Record<string, unknown> | undefined) ?? {})) {
            if (dockerTlsConfigKeys().includes(key)) continue;
            const field = `${prefix}nodes[${i}].host.dockerTls.${key}`;
            problems.push(
                key === "key"
                    ? {
                          field,
                          message: `never holds a key in stack config (it would be stored in clear text). Fix: pulumi config set --secret dockerTlsKey < KEY, and name another key with keySecret if hosts differ.`,
                      }
                    : { field, message: `is not a known key here, and would be ignored. Fix: the keys are ${dockerTlsConfigKeys().join(", ")}.` },
            );
        }
        problems.push(...sshConfigProblems(node?.host?.ssh, `${prefix}nodes[${i}].host.ssh`));
    });
    mounts.forEach((m, i) => problems.push(...sshConfigProblems(m?.ssh, `${prefix}rancher.nodeMounts[${i}].ssh`)));
    if (tlsCa && "key" in tlsCa) {
        problems.push({
            field: `${prefix}tls.ca.key`,
            message: `never holds a key in stack config (it would be stored in clear text). Fix: pulumi config set --secret tlsCaKey < ca.key, and name another key with keySecret.`,
        });
    }
    return problems;
}

/** An SSH connection of stack config: its key named by privateKeySecret, never written; no unknown key. */
function sshConfigProblems(ssh: unknown, at: string): ArgProblem[] {
    return Object.keys((ssh as Record<string, unknown> | undefined) ?? {})
        .filter((key) => !sshConfigKeys().includes(key))
        .map((key) =>
            key === "privateKey"
                ? {
                      field: `${at}.${key}`,
                      message: `never holds a key in stack config (it would be stored in clear text). Fix: pulumi config set --secret sshPrivateKey < KEY, and name another key with privateKeySecret if hosts differ.`,
                  }
                : {
                      field: `${at}.${key}`,
                      message: `is not a known key here, and would be ignored. Fix: ${nearest(key, sshConfigKeys()) ? `did you mean \`${nearest(key, sshConfigKeys())}\`?` : `the keys are ${sshConfigKeys().join(", ")}.`}`,
                  },
        );
}

/** A node of stack config as the component takes it: its SSH key read from the secret it names. */
function nodeArgs(config: pulumi.Config, node: NodeConfig): GlusterNodeArgs {
    const ssh = node.host?.ssh;
    return {
        ...node,
        host: node.host && {
            ...node.host,
            // A missing `ssh` goes on to the argument checks, which name it.
            ssh: (ssh && {
                host: ssh.host,
                port: ssh.port,
                user: ssh.user,
                privateKey: config.requireSecret(ssh.privateKeySecret ?? "sshPrivateKey"),
                hostKey: ssh.hostKey,
            }) as SshConnectionArgs,
            dockerTls: node.host.dockerTls && {
                caCert: node.host.dockerTls.caCert,
                cert: node.host.dockerTls.cert,
                key: config.requireSecret(node.host.dockerTls.keySecret ?? "dockerTlsKey"),
            },
        },
    };
}

/** `tls` as written in stack config: an operator CA's key is named (keySecret, default tlsCaKey), never written. */
type TlsConfig = Omit<TlsArgs, "ca"> & { ca?: { cert: string; keySecret?: string; key?: unknown } };

/** `tls` as the component takes it: the CA's key read from the secret it names. */
function tlsArgs(config: pulumi.Config, t: TlsConfig | undefined): TlsArgs | undefined {
    if (!t?.ca || typeof t.ca !== "object") return t as TlsArgs | undefined;
    return { ...t, ca: { cert: t.ca.cert, key: config.requireSecret(t.ca.keySecret ?? "tlsCaKey") } };
}

/** `rancher` as written in stack config: each node mount's SSH key is named, never written. */
type RancherConfig = Omit<RancherArgs, "nodeMounts"> & { nodeMounts?: Array<Omit<NodeMountArgs, "ssh"> & { ssh?: NonNullable<NodeConfig["host"]>["ssh"] }> };

/** `rancher` as the component takes it: each node mount's SSH key read from the secret it names. */
function rancherArgs(config: pulumi.Config, r: RancherConfig | undefined): RancherArgs | undefined {
    if (!r || !Array.isArray(r.nodeMounts)) return r as RancherArgs | undefined;
    return {
        ...r,
        nodeMounts: r.nodeMounts.map((m) => ({
            ...m,
            ssh: (m?.ssh && {
                host: m.ssh.host,
                port: m.ssh.port,
                user: m.ssh.user,
                privateKey: config.requireSecret(m.ssh.privateKeySecret ?? "sshPrivateKey"),
                hostKey: m.ssh.hostKey,
            }) as SshConnectionArgs,
        })),
    };
}

/**
 * Builds GlusterCluster arguments from stack config (the `glusterfs:` namespace of the
 * stack program, or any namespace another stack chooses). SSH keys are read as secrets.
 * A key of the namespace that the program does not read is refused.
 */
export function clusterArgsFromConfig(config: pulumi.Config): GlusterClusterArgs {
    const nodes = config.getObject<NodeConfig[]>("nodes") ?? [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }];
    const rancher = config.getObject<RancherConfig>("rancher");
    const tlsCa = config.getObject<TlsConfig>("tls")?.ca;
    const problems = configProblems(config, Array.isArray(nodes) ? nodes : [], Array.isArray(rancher?.nodeMounts) ? rancher.nodeMounts : [], tlsCa);
    if (problems.length > 0) throw new GlusterClusterArgsError(problems);
    return {
        volumeName: config.get("volumeName"),
        networkMode: config.get<NonNullable<GlusterClusterArgs["networkMode"]>>("networkMode"),
        network: config.getObject("network"),
        // Anything but a list goes to the argument checks as it is, which name it.
        nodes: Array.isArray(nodes) ? nodes.map((node) => nodeArgs(config, node)) : nodes,
        image: config.get("image"),
        dataRoot: config.get("dataRoot"),
        deleteDataOnDestroy: config.getBoolean("deleteDataOnDestroy"),
        volumeOptions: config.getObject("volumeOptions"),
        clientCidrs: config.getObject("clientCidrs"),
        extraHosts: config.getObject("extraHosts"),
        firewall: config.getObject("firewall"),
        brickPorts: config.getObject("brickPorts"),
        mountPoint: config.get("mountPoint"),
        timeouts: config.getObject("timeouts"),
        rancher: rancherArgs(config, config.getObject<RancherConfig>("rancher")),
        insecureAllowAnyClient: config.getBoolean("insecureAllowAnyClient"),
        allowBricksOnRootFilesystem: config.getBoolean("allowBricksOnRootFilesystem"),
        createMissingVolume: config.getBoolean("createMissingVolume"),
        tls: tlsArgs(config, config.getObject<TlsConfig>("tls")),
    };
}
