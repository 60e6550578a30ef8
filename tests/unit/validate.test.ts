import * as assert from "assert";
import { GlusterCluster, GlusterClusterArgs, GlusterClusterArgsError, findProblems } from "../../components";
import { isOpenToAnyClient } from "../../components/validate";
import { runProgram } from "../helpers";

const THREE = [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }];
const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-material\n-----END OPENSSH PRIVATE KEY-----";
const remote = (h: string, extra: object = {}) => ({
    dockerHost: `ssh://root@${h}`,
    ssh: { host: h, privateKey: key, ...extra },
});
const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
const TLS_KEY = "-----BEGIN EC PRIVATE KEY-----\ntls-secret-material\n-----END EC PRIVATE KEY-----";
const tcp = (h: string, tls?: object) => ({ ...remote(h), dockerHost: `tcp://${h}:2376`, ...(tls ? { dockerTls: tls } : {}) });
const HOST_NODES = [
    { name: "g1", address: "gfs1.example.net", host: remote("gfs1.example.net") },
    { name: "g2", address: "gfs2.example.net", host: remote("gfs2.example.net") },
    { name: "g3", address: "gfs3.example.net", host: remote("gfs3.example.net") },
];

/** [what, args, field expected, a fragment of the message] */
const CASES: Array<[string, GlusterClusterArgs, string, RegExp]> = [
    ["fewer than 3 nodes", { nodes: THREE.slice(0, 2) }, "nodes", /at least 3 nodes.*got 2.*add 1 more/],
    ["duplicate node names", { nodes: [...THREE, { name: "gluster-1" }] }, "nodes[3].name", /also the name of nodes\[1\]/],
    ["a node name with a shell character", { nodes: [THREE[0], THREE[1], { name: "g;rm -rf /" }] }, "nodes[2].name", /DNS label.*"g;rm -rf \/"/],
    ["an upper-case node name", { nodes: [THREE[0], THREE[1], { name: "Gluster_2" }] }, "nodes[2].name", /DNS label/],
    ["a volume name with a space", { nodes: THREE, volumeName: "my vol" }, "volumeName", /letters, digits.*"my vol"/],
    ["a volume name with a quote", { nodes: THREE, volumeName: "v'x" }, "volumeName", /letters, digits/],
    ["a volume name starting with '-'", { nodes: THREE, volumeName: "-v" }, "volumeName", /not starting with '-'/],
    ["a reserved volume name", { nodes: THREE, volumeName: "all" }, "volumeName", /reserves/],
    ["an unknown network mode", { nodes: THREE, networkMode: "bridge" as any }, "networkMode", /"container" or "host"; got "bridge"/],
    [
        "two nodes on one host in host mode",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: remote("gfs1.example.net") }] },
        "nodes[2].host",
        /nodes\[0\] already runs on "ssh:\/\/root@gfs1.example.net"; host mode allows one node per host/,
    ],
    [
        "two local nodes in host mode",
        { networkMode: "host", nodes: [{ name: "a", address: "10.0.0.1" }, { name: "b", address: "10.0.0.2" }, HOST_NODES[2]] },
        "nodes[1].host",
        /already runs on the local Docker engine/,
    ],
    [
        "host mode without an address",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { name: "g3", host: remote("gfs3.example.net") }] },
        "nodes[2].address",
        /required in host mode/,
    ],
    [
        "an address in container mode",
        { nodes: [THREE[0], THREE[1], { name: "gluster-2", address: "x.example.net" }] },
        "nodes[2].address",
        /only applies in host mode/,
    ],
    [
        "a loopback address",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], address: "127.0.0.1" }] },
        "nodes[2].address",
        /loopback/,
    ],
    [
        "a remote host without SSH",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: { dockerHost: "tcp://10.0.0.3:2376" } as any }] },
        "nodes[2].host.ssh",
        /needs an SSH connection/,
    ],
    [
        "a remote host without a key",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: remote("gfs3.example.net", { privateKey: "" }) }] },
        "nodes[2].host.ssh.privateKey",
        /is required/,
    ],
    [
        "a malformed Docker endpoint",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: { ...remote("gfs3.example.net"), dockerHost: "gfs3:2376" } }] },
        "nodes[2].host.dockerHost",
        /Docker endpoint/,
    ],
    [
        "a bad SSH port",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: remote("gfs3.example.net", { port: 70000 }) }] },
        "nodes[2].host.ssh.port",
        /1 to 65535; got 70000/,
    ],
    ["a malformed CIDR", { nodes: THREE, clientCidrs: ["10.0.0.0/33"] }, "clientCidrs[0]", /CIDR form; got "10.0.0.0\/33"/],
    ["a CIDR that is a name", { nodes: THREE, clientCidrs: ["clients.example.net"] }, "clientCidrs[0]", /CIDR/],
    [
        "an unknown firewall backend",
        { networkMode: "host", nodes: HOST_NODES, firewall: { backend: "pf" as any } },
        "firewall.backend",
        /one of "auto", "iptables", "nftables", "firewalld", "ufw"; got "pf"/,
    ],
    ["a firewall in container mode", { nodes: THREE, firewall: { enabled: true } }, "firewall.enabled", /container mode does not support/],
    ["a one-port brick range", { nodes: THREE, brickPorts: { base: 49152, max: 49152 } }, "brickPorts.max", /TIME_WAIT/],
    ["a brick range below glusterd's ports", { nodes: THREE, brickPorts: { base: 24007, max: 24100 } }, "brickPorts.base", /24010 to 65534/],
    [
        "nodes on several engines with a created bridge network",
        { nodes: HOST_NODES.map(({ address: _address, ...n }) => n) },
        "network.existing",
        /cannot span them/,
    ],
    ["an option with a newline", { nodes: THREE, volumeOptions: { "auth.allow": "a\nb" } }, 'volumeOptions["auth.allow"]', /one-line/],
    [
        "an option value that the gluster CLI would take as its own option",
        { nodes: THREE, volumeOptions: { "diagnostics.client-log-level": "--log-file=/var/lib/glusterd/glusterd.info" } },
        'volumeOptions["diagnostics.client-log-level"]',
        /must not start with '-'.*gluster CLI would read it as one of its own options/,
    ],
    ["an option name with a space", { nodes: THREE, volumeOptions: { "auth allow": "x" } }, 'volumeOptions["auth allow"]', /not a GlusterFS option name/],
    ["an extra host mapped to a name", { nodes: THREE, extraHosts: { "g1.example.net": "gfs1" } }, 'extraHosts["g1.example.net"]', /IPv4 address/],
    ["a relative mount point", { nodes: THREE, mountPoint: "mnt/x" }, "mountPoint", /absolute path/],
    ["a data root of /", { networkMode: "host", nodes: HOST_NODES, dataRoot: "/" }, "dataRoot", /not "\/"/],
    ["a zero timeout", { nodes: THREE, timeouts: { peersSeconds: 0 } }, "timeouts.peersSeconds", /1 to 3600/],
    ["a misspelt top-level key", { nodes: THREE, clientCidr: ["10.0.5.0/24"] } as any, "clientCidr", /would be ignored. Fix: did you mean `clientCidrs`\?/],
    [
        "a key under the wrong argument",
        { nodes: THREE, firewall: { clientCidrs: ["10.0.5.0/24"] } } as any,
        "firewall.clientCidrs",
        /belongs elsewhere: the top-level argument `clientCidrs`/,
    ],
    ["a misspelt node key", { nodes: [THREE[0], THREE[1], { name: "gluster-2", adress: "x" } as any] }, "nodes[2].adress", /did you mean `nodes\[2\].address`/],
    [
        "a misspelt SSH key",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: remote("gfs3.example.net", { privatekey: key }) }] },
        "nodes[2].host.ssh.privatekey",
        /did you mean `nodes\[2\].host.ssh.privateKey`/,
    ],
    [
        "an unknown timeout",
        { nodes: THREE, timeouts: { bricksSeconds: 5 } } as any,
        "timeouts.bricksSeconds",
        /Fix: remove it; the keys here are `glusterdSeconds`/,
    ],
    [
        "a misspelt Rancher key",
        { nodes: THREE, rancher: { clusterId: "local", clusterID: "local" } } as any,
        "rancher.clusterID",
        /did you mean `rancher.clusterId`/,
    ],
    [
        "a volume open to any client (firewall admits all, no clientCidrs)",
        { networkMode: "host", nodes: HOST_NODES, firewall: { allowAllClients: true } },
        "firewall.allowAllClients",
        /admits every source and no clientCidrs.*could mount the volume read-write.*insecureAllowAnyClient: true/,
    ],
    [
        "a volume open to any client (no firewall, no clientCidrs)",
        { networkMode: "host", nodes: HOST_NODES, firewall: { enabled: false } },
        "firewall.enabled",
        /firewall is disabled and no clientCidrs.*clientCidrs.*insecureAllowAnyClient: true/,
    ],
    [
        "an open volume whose own auth.allow is *",
        { networkMode: "host", nodes: HOST_NODES, firewall: { enabled: false }, volumeOptions: { "auth.allow": "*" } },
        "firewall.enabled",
        /could mount the volume read-write/,
    ],
    [
        "a client network of every address",
        { networkMode: "host", nodes: HOST_NODES, clientCidrs: ["10.0.5.0/24", "0.0.0.0/0"] },
        "clientCidrs[1]",
        /admits every address.*insecureAllowAnyClient: true/,
    ],
    [
        "insecureAllowAnyClient that is not a boolean",
        { nodes: THREE, insecureAllowAnyClient: "yes" as any },
        "insecureAllowAnyClient",
        /true or false; got "yes"/,
    ],
    [
        "a host key that is not a key",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: remote("gfs3.example.net", { hostKey: "SHA256:abcdef" }) }] },
        "nodes[2].host.ssh.hostKey",
        /one public key as in authorized_keys.*ssh_host_ed25519_key.pub/,
    ],
    [
        "a host key as ssh-keyscan prints it",
        {
            networkMode: "host",
            nodes: [
                HOST_NODES[0],
                HOST_NODES[1],
                { ...HOST_NODES[2], host: remote("gfs3.example.net", { hostKey: "gfs3.example.net ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq" }) },
            ],
        },
        "nodes[2].host.ssh.hostKey",
        /starts with a host name.*drop "gfs3.example.net"/,
    ],
    [
        "allowBricksOnRootFilesystem in container mode",
        { nodes: THREE, allowBricksOnRootFilesystem: true },
        "allowBricksOnRootFilesystem",
        /only applies in host mode/,
    ],
    [
        "replaces on a node that is still listed",
        { nodes: [THREE[0], { name: "gluster-5", replaces: "gluster-2" }, THREE[2]] },
        "nodes[1].replaces",
        /"gluster-2" is still in the node list.*Fix: remove "gluster-2" from nodes; or, if the replacement is done and the name is used again, remove replaces/,
    ],
    [
        "a node name that names another child too (a node 'pool' beside the pool step)",
        { nodes: [THREE[0], THREE[1], { name: "pool" }] },
        "nodes[2].name",
        /"pool" would give two of the component's resources the same name \(NAME-pool, after the component's name\)\. Fix: choose another node name\./,
    ],
    [
        "node names whose resources share a name (a's state volume and the container of a-state)",
        { nodes: [THREE[0], { name: "a" }, { name: "a-state" }] },
        "nodes[1].name",
        /"a" would give two of the component's resources the same name \(NAME-a-state/,
    ],
    [
        "a pool-only node named 'back' (its probe step and the first node's probe-back)",
        { nodes: [...THREE, { name: "back" }] },
        "nodes[3].name",
        /"back" would give two of the component's resources the same name \(NAME-probe-back/,
    ],
    [
        "rebuilt that is not a boolean",
        { nodes: [THREE[0], THREE[1], { name: "gluster-2", rebuilt: "yes" as unknown as boolean }] },
        "nodes[2].rebuilt",
        /must be true or false; got "yes"/,
    ],
    [
        "rebuilt and replaces on one node",
        { nodes: [THREE[0], { name: "gluster-5", replaces: "gluster-2", rebuilt: true }, THREE[2]] },
        "nodes[1].rebuilt",
        /either rebuilt in place .* or replaces another .*this one says both\. Fix: remove replaces if "gluster-5" is the rebuilt host itself; else remove rebuilt/,
    ],
    [
        "replaces on a pool-only node",
        { nodes: [...THREE, { name: "gluster-5", replaces: "gluster-9" }] },
        "nodes[3].replaces",
        /only a brick node \(one of the first three\) can replace a lost brick node/,
    ],
    [
        "replaces that is not a node name",
        { nodes: [THREE[0], { name: "gluster-5", replaces: "Gluster 1" }, THREE[2]] },
        "nodes[1].replaces",
        /must be the name of the brick node this node takes the place of; got "Gluster 1"/,
    ],
    [
        "the self-heal daemon turned off",
        { nodes: THREE, volumeOptions: { "cluster.self-heal-daemon": "off" } },
        'volumeOptions["cluster.self-heal-daemon"]',
        /would leave nothing to heal a node that comes back.*Fix: remove it/,
    ],
    [
        "Docker's TLS port without TLS material",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: tcp("gfs3.example.net") }] },
        "nodes[2].host.dockerTls",
        /is required for "tcp:\/\/gfs3\.example\.net:2376": port 2376 is Docker's TLS port.*Fix: dockerTls: \{ caCert, cert, key/,
    ],
    [
        "TLS material on an ssh:// endpoint",
        {
            networkMode: "host",
            nodes: [
                HOST_NODES[0],
                HOST_NODES[1],
                { ...HOST_NODES[2], host: { ...remote("gfs3.example.net"), dockerTls: { caCert: CERT, cert: CERT, key: TLS_KEY } } },
            ],
        },
        "nodes[2].host.dockerTls",
        /only applies to a tcp:\/\/ endpoint/,
    ],
    [
        "a CA that is not a PEM certificate",
        {
            networkMode: "host",
            nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: tcp("gfs3.example.net", { caCert: "ca.pem", cert: CERT, key: TLS_KEY }) }],
        },
        "nodes[2].host.dockerTls.caCert",
        /must be a PEM certificate/,
    ],
    [
        "a TLS key that is not a key",
        {
            networkMode: "host",
            nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: tcp("gfs3.example.net", { caCert: CERT, cert: CERT, key: "key.pem" }) }],
        },
        "nodes[2].host.dockerTls.key",
        /must be the client certificate's private key \(PEM\)/,
    ],
    [
        "a misspelt TLS key",
        {
            networkMode: "host",
            nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: tcp("gfs3.example.net", { ca: CERT, cert: CERT, key: TLS_KEY }) }],
        } as any,
        "nodes[2].host.dockerTls.ca",
        /would be ignored/,
    ],
    ["nodes that are not a list", { nodes: "g1,g2,g3" as any }, "nodes", /must be a list of at least 3 nodes; got "g1,g2,g3"/],
    [
        "two nodes with one address",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], address: "gfs1.example.net" }] },
        "nodes[2].address",
        /also the address of nodes\[0\]/,
    ],
    [
        "an address that is neither a name nor IPv4",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], address: "gfs 3" }] },
        "nodes[2].address",
        /host name or an IPv4 address; got "gfs 3"/,
    ],
    [
        "a node dataRoot in container mode",
        { nodes: [THREE[0], THREE[1], { name: "gluster-2", dataRoot: "/srv/g" }] },
        "nodes[2].dataRoot",
        /only applies in host mode/,
    ],
    [
        "a node dataRoot with ..",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], dataRoot: "/srv/../etc" }] },
        "nodes[2].dataRoot",
        /without "\.\."; got "\/srv\/\.\.\/etc"/,
    ],
    ["a dataRoot in container mode", { nodes: THREE, dataRoot: "/srv/g" }, "dataRoot", /only applies in host mode/],
    [
        "a network in host mode",
        { networkMode: "host", nodes: HOST_NODES, clientCidrs: ["10.0.5.0/24"], network: { name: "n" } },
        "network",
        /only applies in container mode/,
    ],
    ["a network name with a space", { nodes: THREE, network: { name: "my net" } }, "network.name", /Docker network name.*"my net"/],
    ["an existing network without a name", { nodes: THREE, network: { existing: true } }, "network.name", /required with existing: true/],
    ["an image reference with a space", { nodes: THREE, image: "glusterfs 11" }, "image", /Docker image reference.*"glusterfs 11"/],
    ["a mount point with ..", { nodes: THREE, mountPoint: "/mnt/../etc" }, "mountPoint", /absolute path/],
    [
        "the component's own option",
        { nodes: THREE, volumeOptions: { "user.glusterfs-cluster.owner": "x" } },
        'volumeOptions["user.glusterfs-cluster.owner"]',
        /reserved/,
    ],
    [
        "an empty option value",
        { nodes: THREE, volumeOptions: { "network.ping-timeout": "" } },
        'volumeOptions["network.ping-timeout"]',
        /non-empty one-line string; got ""/,
    ],
    ["an extra host whose key is not a name", { nodes: THREE, extraHosts: { "g 1": "10.0.0.1" } }, 'extraHosts["g 1"]', /the key must be a host name/],
    ["a brick range past 65535", { nodes: THREE, brickPorts: { base: 65530, max: 65536 } }, "brickPorts.max", /up to 65535; got 65536/],
    [
        "a brick range wider than 10000 ports",
        { nodes: THREE, brickPorts: { base: 30000, max: 45000 } },
        "brickPorts.max",
        /wider than 10000 ports.*e\.g\. 30099/,
    ],
    ["a heal deadline over a day", { nodes: THREE, timeouts: { healSeconds: 86401 } }, "timeouts.healSeconds", /1 to 86400; got 86401/],
    ["a fractional timeout", { nodes: THREE, timeouts: { volumeSeconds: 1.5 } }, "timeouts.volumeSeconds", /whole number/],
    [
        "an SSH host with a shell character",
        {
            networkMode: "host",
            nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: { ...remote("gfs3.example.net"), ssh: { host: "gfs3;id", privateKey: key } } }],
        },
        "nodes[2].host.ssh.host",
        /host name or IPv4 address; got "gfs3;id"/,
    ],
    [
        "an SSH user with a space",
        { networkMode: "host", nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: remote("gfs3.example.net", { user: "ro ot" }) }] },
        "nodes[2].host.ssh.user",
        /Unix user name; got "ro ot"/,
    ],
    [
        "one Docker host reached over two SSH connections",
        {
            networkMode: "container",
            network: { name: "ov", existing: true },
            nodes: [
                { name: "a", host: remote("gfs1.example.net") },
                { name: "b", host: { ...remote("gfs1.example.net"), ssh: { host: "10.0.0.1", privateKey: key } } },
                { name: "c", host: remote("gfs3.example.net") },
            ],
        },
        "nodes[1].host.ssh",
        /reached over SSH as "gfs1.example.net:22" by another node, and as "10.0.0.1:22" here/,
    ],
    [
        "one SSH host given two Docker endpoints",
        {
            networkMode: "container",
            network: { name: "ov", existing: true },
            nodes: [
                { name: "a", host: remote("gfs1.example.net") },
                { name: "b", host: { ...remote("gfs1.example.net"), dockerHost: "tcp://gfs1.example.net:2376" } },
                { name: "c", host: remote("gfs3.example.net") },
            ],
        },
        "nodes[1].host.dockerHost",
        /is given Docker host "ssh:\/\/root@gfs1.example.net" by another node, and "tcp:\/\/gfs1.example.net:2376" here/,
    ],
    ["a Rancher cluster id that is a name", { nodes: THREE, rancher: { clusterId: "prod" } }, "rancher.clusterId", /Rancher v1 cluster id.*"prod"/],
    [
        "a Rancher namespace with capitals",
        { nodes: THREE, rancher: { clusterId: "local", namespace: "Storage" } },
        "rancher.namespace",
        /Kubernetes namespace name/,
    ],
    [
        "a ConfigMap name with a slash",
        { nodes: THREE, rancher: { clusterId: "local", configMapName: "a/b" } },
        "rancher.configMapName",
        /Kubernetes object name/,
    ],
    [
        "createNamespace without a project",
        { nodes: THREE, rancher: { clusterId: "local", createNamespace: true } },
        "rancher.projectId",
        /required with createNamespace/,
    ],
    [
        "a malformed project id",
        { nodes: THREE, rancher: { clusterId: "local", projectId: "p-abc" } },
        "rancher.projectId",
        /must be "<clusterId>:p-xxxxx"; got "p-abc"/,
    ],
    [
        "a project of another cluster",
        { nodes: THREE, rancher: { clusterId: "local", projectId: "c-abcde:p-xyz12" } },
        "rancher.projectId",
        /belongs to cluster "c-abcde", not to rancher.clusterId "local"/,
    ],
    [
        "an unknown node address kind",
        { nodes: THREE, rancher: { clusterId: "local", nodeAddress: "public" as any } },
        "rancher.nodeAddress",
        /"internal" or "external"; got "public"/,
    ],
];

describe("argument validation", () => {
    for (const [what, args, field, message] of CASES) {
        it(`refuses ${what}, naming \`${field}\``, () => {
            const problems = findProblems(args);
            const hit = problems.find((p) => p.field === field);
            assert.ok(hit, `no problem reported for ${field}; got ${JSON.stringify(problems)}`);
            assert.match(hit.message, message);
        });
    }

    it("accepts the local default and a three-host host-mode config", () => {
        assert.deepStrictEqual(findProblems({ nodes: THREE }), []);
        assert.deepStrictEqual(findProblems({ networkMode: "host", nodes: HOST_NODES, clientCidrs: ["10.0.5.0/24"] }), []);
    });

    it("leaves replaces in the config once the replacement is done, the new node listed first too (the identity guard judges a replacement to do)", () => {
        assert.deepStrictEqual(findProblems({ nodes: [{ name: "gluster-5", replaces: "gluster-2" }, THREE[0], THREE[1]] }), []);
    });

    it("accepts a valid value for every optional field", () => {
        const pinned = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGqXcOmvbb4v4VOT8kCg9o3d5x1Wl0X7zWjmrb0i9bOy root@gfs3";
        const everything: GlusterClusterArgs = {
            volumeName: "data_01",
            networkMode: "host",
            nodes: [
                { ...HOST_NODES[0], dataRoot: "/srv/gluster-a" },
                { ...HOST_NODES[1], address: "10.0.0.12" },
                { ...HOST_NODES[2], host: remote("gfs3.example.net", { port: 2222, user: "deploy", hostKey: pinned }) },
                {
                    name: "g4",
                    address: "gfs4.example.net",
                    host: remote("gfs4.example.net", { hostKey: "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY=" }),
                },
            ],
            image: "registry.example.net/glusterfs:11.1@sha256:0123abcd",
            dataRoot: "/data/gfs",
            deleteDataOnDestroy: true,
            volumeOptions: { "network.ping-timeout": "20", "performance.cache-size": "256MB" },
            clientCidrs: ["10.0.5.0/24", "10.0.6.7/32"],
            extraHosts: { "gfs4.example.net": "10.0.0.14" },
            firewall: { enabled: true, backend: "nftables", allowAllClients: true },
            brickPorts: { base: 50000, max: 50099 },
            mountPoint: "/mnt/data",
            timeouts: { glusterdSeconds: 3600, peersSeconds: 1, volumeSeconds: 600, healSeconds: 86400 },
            rancher: {
                clusterId: "c-m-abcd1234",
                namespace: "storage",
                createNamespace: true,
                projectId: "c-m-abcd1234:p-xyz12",
                configMapName: "glusterfs.mount",
                allowClusterNodes: true,
                nodeAddress: "external",
            },
            allowBricksOnRootFilesystem: true,
        };
        assert.deepStrictEqual(findProblems(everything), []);
        assert.deepStrictEqual(
            findProblems({ nodes: THREE, network: { name: "gluster.overlay", existing: true }, brickPorts: { base: 24010, max: 34010 } }),
            [],
        );
        assert.deepStrictEqual(findProblems({ nodes: [THREE[0], { name: "gluster-5", replaces: "gluster-1" }, THREE[2]] }), []);
        assert.deepStrictEqual(
            findProblems({
                networkMode: "host",
                clientCidrs: ["10.0.5.0/24"],
                nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], host: tcp("gfs3.example.net", { caCert: CERT, cert: CERT, key: TLS_KEY }) }],
            }),
            [],
        );
        // The declared default (Pulumi.yaml gives every stack `false`) means nothing in container mode, and is accepted.
        assert.deepStrictEqual(findProblems({ nodes: THREE, allowBricksOnRootFilesystem: false }), []);
        // An open volume is accepted when insecureAllowAnyClient says so, in either form.
        assert.deepStrictEqual(findProblems({ networkMode: "host", nodes: HOST_NODES, firewall: { enabled: false }, insecureAllowAnyClient: true }), []);
        assert.deepStrictEqual(findProblems({ networkMode: "host", nodes: HOST_NODES, firewall: { allowAllClients: true }, insecureAllowAnyClient: true }), []);
        assert.deepStrictEqual(findProblems({ networkMode: "host", nodes: HOST_NODES, clientCidrs: ["0.0.0.0/0"], insecureAllowAnyClient: true }), []);
        // auth.allow of one's own, or Rancher's nodes, restrict mounting: the volume is not open.
        assert.deepStrictEqual(
            findProblems({ networkMode: "host", nodes: HOST_NODES, firewall: { enabled: false }, volumeOptions: { "auth.allow": "10.0.5.*" } }),
            [],
        );
        assert.deepStrictEqual(
            findProblems({ networkMode: "host", nodes: HOST_NODES, firewall: { enabled: false }, rancher: { clusterId: "local", allowClusterNodes: true } }),
            [],
        );
    });

    it("lists every problem in one error, and never shows an SSH key", () => {
        const args: GlusterClusterArgs = {
            volumeName: "bad name",
            networkMode: "host",
            nodes: [HOST_NODES[0], { ...HOST_NODES[1], name: "G2" }, { ...HOST_NODES[2], host: remote("gfs1.example.net") }],
        };
        const err = (() => {
            try {
                new GlusterCluster("x", args);
            } catch (e) {
                return e as GlusterClusterArgsError;
            }
            return undefined;
        })();
        assert.ok(err instanceof GlusterClusterArgsError);
        assert.deepStrictEqual(err.problems.map((p) => p.field).sort(), ["nodes[1].name", "nodes[2].host", "volumeName"]);
        assert.match(err.message, /nothing was created/);
        assert.doesNotMatch(err.message, /secret-material|PRIVATE KEY/);
    });

    it("registers nothing when the arguments are bad", async () => {
        const { rec } = await runProgram(() => {
            try {
                new GlusterCluster("x", { nodes: THREE.slice(0, 1) });
            } catch {
                /* expected */
            }
            return {};
        });
        assert.deepStrictEqual(
            rec.records.map((r) => r.type),
            ["pulumi:pulumi:Stack"],
        );
    });
});

/** Args in host mode with the third node changed by `third`, the rest valid. */
const hostWith = (third: object, extra: Partial<GlusterClusterArgs> = {}): GlusterClusterArgs => ({
    networkMode: "host",
    clientCidrs: ["10.0.5.0/24"],
    nodes: [HOST_NODES[0], HOST_NODES[1], { ...HOST_NODES[2], ...third }],
    ...extra,
});
const sshWith = (ssh: object) => hostWith({ host: { dockerHost: "ssh://root@gfs3.example.net", ssh: { host: "gfs3.example.net", privateKey: key, ...ssh } } });
const long = (n: number) =>
    Array.from({ length: Math.ceil(n / 50) }, () => "a".repeat(49))
        .join(".")
        .slice(0, n);

/** [what, args, the fields reported: exactly these, in order ([] when it must be accepted)] */
const EXACT: Array<[string, GlusterClusterArgs, string[]]> = [
    // Values of the wrong type are refused, never coerced to a string that passes.
    ["a numeric volume name", { nodes: THREE, volumeName: 12 as any }, ["volumeName"]],
    ["a numeric node name", { nodes: [{ name: 7 as any }, THREE[1], THREE[2]] }, ["nodes[0].name"]],
    ["a numeric address", hostWith({ address: 5 }), ["nodes[2].address"]],
    ["a numeric Docker endpoint", hostWith({ host: { ...remote("gfs3.example.net"), dockerHost: 5 } }), ["nodes[2].host.dockerHost"]],
    ["a numeric SSH host", sshWith({ host: 5 }), ["nodes[2].host.ssh.host"]],
    ["a numeric host key", sshWith({ hostKey: 5 }), ["nodes[2].host.ssh.hostKey"]],
    ["a numeric image", { nodes: THREE, image: 11 as any }, ["image"]],
    ["a numeric option value", { nodes: THREE, volumeOptions: { "network.ping-timeout": 20 as any } }, ['volumeOptions["network.ping-timeout"]']],
    ["a numeric extra host address", { nodes: THREE, extraHosts: { gfs1: 10 as any } }, ['extraHosts["gfs1"]']],
    ["a numeric client network", hostWith({}, { clientCidrs: [10 as any] }), ["clientCidrs[0]"]],
    ["a numeric dataRoot", hostWith({}, { dataRoot: 5 as any }), ["dataRoot"]],
    [
        "a numeric Rancher cluster id (its project is then not compared)",
        { nodes: THREE, rancher: { clusterId: 5 as any, projectId: "c-abcde:p-xyz12" } },
        ["rancher.clusterId"],
    ],
    // Missing or null parts are named, never a TypeError.
    ["nodes that are not a list: that alone", { nodes: "g1,g2,g3" as any }, ["nodes"]],
    ["a null node", { nodes: [null as any, THREE[1], THREE[2]] }, ["nodes[0].name"]],
    ["a null node in host mode", hostWith({}, { nodes: [HOST_NODES[0], HOST_NODES[1], null as any] }), ["nodes[2].name", "nodes[2].address"]],
    ["a null SSH connection", hostWith({ host: { dockerHost: "ssh://root@gfs3.example.net", ssh: null } }), ["nodes[2].host.ssh"]],
    ["an SSH connection without a key", sshWith({ privateKey: undefined }), ["nodes[2].host.ssh.privateKey"]],
    ["an SSH connection with a null key", sshWith({ privateKey: null }), ["nodes[2].host.ssh.privateKey"]],
    ["an unknown network mode: that alone", { nodes: THREE, networkMode: "bridge" as any }, ["networkMode"]],
    // Boundaries.
    ["one-letter node names", { nodes: [{ name: "a" }, { name: "b" }, { name: "c" }] }, []],
    ["a 63-letter node name", { nodes: [{ name: "a".repeat(63) }, THREE[1], THREE[2]] }, []],
    ["a 64-letter node name", { nodes: [{ name: "a".repeat(64) }, THREE[1], THREE[2]] }, ["nodes[0].name"]],
    ["a node name ending in '-'", { nodes: [{ name: "gluster-" }, THREE[1], THREE[2]] }, ["nodes[0].name"]],
    ["the address localhost", hostWith({ address: "localhost" }), ["nodes[2].address"]],
    ["an address of 253 characters", hostWith({ address: long(253) }), []],
    ["an address of 254 characters", hostWith({ address: long(254) }), ["nodes[2].address"]],
    ["an address label of 64 letters", hostWith({ address: `${"a".repeat(64)}.example.net` }), ["nodes[2].address"]],
    ["an address label ending in '-'", hostWith({ address: "gfs3-.example.net" }), ["nodes[2].address"]],
    ["an address ending in '.'", hostWith({ address: "gfs3.example.net." }), ["nodes[2].address"]],
    ["an address of one letter", hostWith({ address: "g" }), []],
    ["an IPv4 address of five parts", { nodes: THREE, extraHosts: { gfs1: "10.0.0.3.4" } }, ['extraHosts["gfs1"]']],
    ["an IPv4 address with an octet over 255", { nodes: THREE, extraHosts: { gfs1: "10.0.0.256" } }, ['extraHosts["gfs1"]']],
    ["an IPv4 address with a leading zero", { nodes: THREE, extraHosts: { gfs1: "10.0.0.09" } }, ['extraHosts["gfs1"]']],
    ["an IPv4 address with a prefix", { nodes: THREE, extraHosts: { gfs1: "x10.0.0.9" } }, ['extraHosts["gfs1"]']],
    ["an IPv4 address with a suffix", { nodes: THREE, extraHosts: { gfs1: "10.0.0.9x" } }, ['extraHosts["gfs1"]']],
    ["an IPv4 address of four-digit octets", { nodes: THREE, extraHosts: { gfs1: "10.0.0.1000" } }, ['extraHosts["gfs1"]']],
    ["the edges of IPv4", { nodes: THREE, extraHosts: { a: "0.0.0.0", b: "255.255.255.255" } }, []],
    ["a CIDR with a suffix", hostWith({}, { clientCidrs: ["10.0.0.0/24x"] }), ["clientCidrs[0]"]],
    ["a CIDR with a prefix", hostWith({}, { clientCidrs: ["x10.0.0.0/24"] }), ["clientCidrs[0]"]],
    ["a CIDR with a leading zero", hostWith({}, { clientCidrs: ["10.0.0.0/08"] }), ["clientCidrs[0]"]],
    ["a CIDR of a bad address", hostWith({}, { clientCidrs: ["10.0.0.256/24"] }), ["clientCidrs[0]"]],
    ["a CIDR /32 and /1", hostWith({}, { clientCidrs: ["10.0.0.7/32", "10.0.0.0/1"] }), []],
    ["every address first, in host mode", hostWith({}, { clientCidrs: ["0.0.0.0/0"] }), ["clientCidrs[0]"]],
    ["every address in container mode (no firewall there)", { nodes: THREE, clientCidrs: ["0.0.0.0/0"] }, []],
    ["a mount point of /", { nodes: THREE, mountPoint: "/" }, ["mountPoint"]],
    ["a mount point with a space", { nodes: THREE, mountPoint: "/mnt/x y" }, ["mountPoint"]],
    ["a dataRoot with ..", hostWith({}, { dataRoot: "/srv/../etc" }), ["dataRoot"]],
    ["a dataRoot with a space", hostWith({}, { dataRoot: "/srv/g fs" }), ["dataRoot"]],
    [
        "a Docker endpoint with a prefix",
        hostWith({ host: { ...remote("gfs3.example.net"), dockerHost: "xssh://root@gfs3.example.net" } }),
        ["nodes[2].host.dockerHost"],
    ],
    ["a Docker endpoint with a space", hostWith({ host: { ...remote("gfs3.example.net"), dockerHost: "ssh://root@gfs3 x" } }), ["nodes[2].host.dockerHost"]],
    [
        "SSH ports 1 and 65535",
        hostWith(
            {},
            {
                nodes: [
                    HOST_NODES[0],
                    { ...HOST_NODES[1], host: remote("gfs2.example.net", { port: 1 }) },
                    { ...HOST_NODES[2], host: remote("gfs3.example.net", { port: 65535 }) },
                ],
            },
        ),
        [],
    ],
    ["SSH port 0", sshWith({ port: 0 }), ["nodes[2].host.ssh.port"]],
    ["SSH port 65536", sshWith({ port: 65536 }), ["nodes[2].host.ssh.port"]],
    ["a fractional SSH port", sshWith({ port: 22.5 }), ["nodes[2].host.ssh.port"]],
    ["a host key with a line break in its comment", sshWith({ hostKey: "ssh-ed25519 AAAAC3Nz root@gfs3\nssh-rsa AAAA" }), ["nodes[2].host.ssh.hostKey"]],
    ["a host key with a character outside base64", sshWith({ hostKey: "ssh-ed25519 AAAA$C3Nz" }), ["nodes[2].host.ssh.hostKey"]],
    ["a host key of another type", sshWith({ hostKey: "ssh-dss AAAAB3NzaC1kc3M=" }), ["nodes[2].host.ssh.hostKey"]],
    [
        "host keys of each accepted type",
        hostWith(
            {},
            {
                nodes: [
                    { ...HOST_NODES[0], host: remote("gfs1.example.net", { hostKey: "ssh-rsa AAAAB3NzaC1yc2E=" }) },
                    { ...HOST_NODES[1], host: remote("gfs2.example.net", { hostKey: "ecdsa-sha2-nistp521 AAAAE2VjZHNh== comment" }) },
                    { ...HOST_NODES[2], host: remote("gfs3.example.net", { hostKey: "sk-ssh-ed25519@openssh.com AAAAGnNr" }) },
                ],
            },
        ),
        [],
    ],
    ["a brick range ending at 65535", { nodes: THREE, brickPorts: { base: 65526, max: 65535 } }, []],
    ["a brick range starting at 65535", { nodes: THREE, brickPorts: { base: 65535, max: 65535 } }, ["brickPorts.base", "brickPorts.max"]],
    ["a brick range starting at 24010", { nodes: THREE, brickPorts: { base: 24010, max: 24019 } }, []],
    ["a fractional brick base", { nodes: THREE, brickPorts: { base: 30000.5, max: 30010 } }, ["brickPorts.base"]],
    ["a brick range of exactly 10000 ports", { nodes: THREE, brickPorts: { base: 30000, max: 40000 } }, []],
    // Rancher.
    ["a one-letter namespace and ConfigMap name", { nodes: THREE, rancher: { clusterId: "local", namespace: "a", configMapName: "b" } }, []],
    ["a ConfigMap name of 254 characters", { nodes: THREE, rancher: { clusterId: "local", configMapName: long(254) } }, ["rancher.configMapName"]],
    ["a ConfigMap name ending in '.'", { nodes: THREE, rancher: { clusterId: "local", configMapName: "glusterfs." } }, ["rancher.configMapName"]],
    ["a namespace of 63 letters", { nodes: THREE, rancher: { clusterId: "local", namespace: "a".repeat(63) } }, []],
    ["a namespace ending in '-'", { nodes: THREE, rancher: { clusterId: "local", namespace: "storage-" } }, ["rancher.namespace"]],
    ["cluster ids of each form", { nodes: THREE, rancher: { clusterId: "c-abcde" } }, []],
    ["a cluster id with a prefix", { nodes: THREE, rancher: { clusterId: "xlocal" } }, ["rancher.clusterId"]],
    ["a cluster id with a suffix", { nodes: THREE, rancher: { clusterId: "c-m-abcd1234x" } }, ["rancher.clusterId"]],
    ["a short cluster id", { nodes: THREE, rancher: { clusterId: "c-abcd" } }, ["rancher.clusterId"]],
    ["a cluster id with capitals", { nodes: THREE, rancher: { clusterId: "c-ABCDE" } }, ["rancher.clusterId"]],
    ["a project id with a prefix", { nodes: THREE, rancher: { clusterId: "local", projectId: "c-ab:local:p-abc12" } }, ["rancher.projectId"]],
    ["a project id with a suffix", { nodes: THREE, rancher: { clusterId: "local", projectId: "local:p-abc12 " } }, ["rancher.projectId"]],
    ["a project of this cluster", { nodes: THREE, rancher: { clusterId: "c-m-abcd1234", projectId: "c-m-abcd1234:p-abc12" } }, []],
    ["internal node addresses", { nodes: THREE, rancher: { clusterId: "local", nodeAddress: "internal" } }, []],
];

describe("argument validation, rule by rule", () => {
    for (const [what, args, fields] of EXACT) {
        it(`${fields.length === 0 ? "accepts" : "refuses"} ${what}${fields.length === 0 ? "" : `: ${fields.join(", ")}`}`, () => {
            assert.deepStrictEqual(
                findProblems(args).map((p) => p.field),
                fields,
            );
        });
    }

    it("refuses every word the gluster CLI reserves as a volume name, and accepts them as part of a name", () => {
        const reserved = [
            "volume",
            "type",
            "subvolumes",
            "option",
            "end-volume",
            "all",
            "volume_not_in_ring",
            "description",
            "force",
            "snap-max-hard-limit",
            "snap-max-soft-limit",
            "auto-delete",
            "activate-on-create",
        ];
        for (const volumeName of reserved) {
            const problems = findProblems({ nodes: THREE, volumeName });
            assert.deepStrictEqual(
                problems.map((p) => p.message),
                [`"${volumeName}" is a word the gluster CLI reserves. Fix: choose another name, e.g. "${volumeName}_vol".`],
            );
            assert.deepStrictEqual(findProblems({ nodes: THREE, volumeName: `${volumeName}_vol` }), []);
        }
    });

    it("hints at ssh-keyscan's host-name column only when dropping it leaves a valid key", () => {
        const message = (hostKey: unknown) => findProblems(sshWith({ hostKey })).find((p) => p.field === "nodes[2].host.ssh.hostKey")?.message ?? "";
        assert.match(message(" gfs3 ssh-ed25519 AAAAC3Nz "), / It starts with a host name, as ssh-keyscan prints it: drop "gfs3"\./);
        for (const bad of ["SHA256:abcdef", "gfs3 SHA256:abcdef", "ssh-ed25519", 5]) {
            assert.match(message(bad), /one public key as in authorized_keys/, String(bad));
            assert.doesNotMatch(message(bad), /ssh-keyscan/, String(bad));
        }
        assert.strictEqual(message(" ssh-ed25519 AAAAC3Nz root@gfs3 \n"), "");
    });

    it("says which values a brick range needs, with an example from the base", () => {
        assert.deepStrictEqual(
            findProblems({ nodes: THREE, brickPorts: { base: 30000, max: 30000 } }).map((p) => p.message),
            [
                "must be above brickPorts.base (30000): a single-port range makes glusterd restarts fail while the old port is in TIME_WAIT; got 30000. Fix: e.g. 30009.",
            ],
        );
    });

    it("the error lists each problem on its own line, under its own name", () => {
        const err = new GlusterClusterArgsError([
            { field: "a", message: "m1" },
            { field: "b.c", message: "m2" },
        ]);
        assert.strictEqual(err.name, "GlusterClusterArgsError");
        assert.strictEqual(err.message, "GlusterCluster: invalid arguments (nothing was created):\n  - `a`: m1\n  - `b.c`: m2");
    });
});

describe("an open volume", () => {
    const open = (args: Partial<GlusterClusterArgs>) => isOpenToAnyClient({ networkMode: "host", nodes: HOST_NODES, ...args });
    it("is one that admits every address, or has no auth.allow behind an open firewall, in host mode only", () => {
        assert.strictEqual(open({ clientCidrs: ["10.0.5.0/24", "0.0.0.0/0"] }), true);
        assert.strictEqual(open({ clientCidrs: [5 as any, "0.0.0.0/0"] }), true);
        assert.strictEqual(open({ firewall: { enabled: false } }), true);
        assert.strictEqual(open({ firewall: { allowAllClients: true } }), true);
        assert.strictEqual(open({ firewall: { enabled: false }, volumeOptions: { "auth.allow": " * " } }), true);
        assert.strictEqual(open({}), false);
        assert.strictEqual(open({ clientCidrs: ["10.0.5.0/24"] }), false);
        assert.strictEqual(open({ firewall: { enabled: false }, clientCidrs: ["10.0.5.0/24"] }), false);
        assert.strictEqual(open({ firewall: { enabled: false }, volumeOptions: { "auth.allow": "10.0.5.*" } }), false);
        assert.strictEqual(open({ firewall: { enabled: false }, rancher: { clusterId: "local", allowClusterNodes: true } }), false);
        assert.strictEqual(open({ firewall: { enabled: false }, rancher: { clusterId: "local" } }), true);
        assert.strictEqual(open({ networkMode: "container", nodes: THREE, clientCidrs: ["0.0.0.0/0"] }), false);
        assert.strictEqual(open({ networkMode: "container", nodes: THREE, firewall: { enabled: false } }), false);
    });
});
