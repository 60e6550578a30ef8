/**
 * The cluster's certificates (TLS on): two CAs made with `@pulumi/tls` — the server CA signs
 * one certificate per node (its address as CN: how peers and clients name it), the client CA
 * one per client identity (its name as CN). Servers trust both CAs; a client trusts only the
 * server CA, so a client's certificate cannot pass for a server (GlusterFS clients check no
 * name, only the chain). Every private key is a secret in the state.
 *
 * Keys are ECDSA P-256: `@pulumi/tls` defaults to P-224, which TLS 1.3 does not offer.
 * `rotation` is written into each leaf's subject (OU), so raising it re-issues every leaf.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { childOptions, Scope } from "./scope";

/** What a client needs to mount: the CA that signs the servers, its certificate and its key (PEM). */
export interface ClientBundle {
    ca: string;
    cert: string;
    key: string;
    /** When its certificate expires (RFC 3339). */
    expires: string;
}

export interface TlsMaterial {
    /** A node's key, certificate and the CAs it trusts, as PEM in that order: the input of its files step. A secret. */
    nodeBundle(node: string): pulumi.Output<string>;
    /** A client's key, certificate and the server CA, as PEM in that order: what a node mount puts in place. A secret. */
    clientBundle(client: string): pulumi.Output<string>;
    /** Each client identity's bundle. A secret. */
    clients: pulumi.Output<Record<string, ClientBundle>>;
    /** When each node's and client's certificate expires, by CN ("node gluster-0", "client app"). */
    expiries: pulumi.Output<Record<string, string>>;
    /** The CNs the volume's auth.ssl-allow lists: every node's address and every client's name. */
    allowed: string[];
}

const CA_HOURS = 10 * 365 * 24;
const LEAF_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"];

/** An ECDSA P-256 key. */
function key(scope: Scope, name: string): tls.PrivateKey {
    return new tls.PrivateKey(name, { algorithm: "ECDSA", ecdsaCurve: "P256" }, childOptions(scope));
}

/** A CA: the key (a secret) and the certificate that signs. */
interface Authority {
    keyPem: pulumi.Output<string>;
    certPem: pulumi.Output<string>;
}

/** A CA of this cluster: its key and its self-signed certificate. */
function authority(scope: Scope, role: "server" | "client"): Authority {
    const caKey = key(scope, scope.names.tlsCaKey(role));
    const cert = new tls.SelfSignedCert(
        scope.names.tlsCa(role),
        {
            privateKeyPem: caKey.privateKeyPem,
            isCaCertificate: true,
            subject: { commonName: `${scope.spec.name} ${role} CA`, organization: "glusterfs-cluster" },
            validityPeriodHours: CA_HOURS,
            allowedUses: ["cert_signing", "crl_signing"],
        },
        childOptions(scope),
    );
    return { keyPem: caKey.privateKeyPem, certPem: cert.certPem };
}

/** A leaf: a key, a request with `cn`, and a certificate signed by `ca`. */
function leaf(
    scope: Scope,
    names: { key: string; request: string; cert: string },
    cn: string,
    ca: Authority,
): { key: tls.PrivateKey; cert: tls.LocallySignedCert } {
    const t = scope.spec.tls!;
    const leafKey = key(scope, names.key);
    const request = new tls.CertRequest(
        names.request,
        { privateKeyPem: leafKey.privateKeyPem, subject: { commonName: cn, organizationalUnit: `rotation ${t.rotation}` } },
        childOptions(scope),
    );
    const cert = new tls.LocallySignedCert(
        names.cert,
        {
            certRequestPem: request.certRequestPem,
            caPrivateKeyPem: ca.keyPem,
            caCertPem: ca.certPem,
            validityPeriodHours: t.validityDays * 24,
            allowedUses: LEAF_USES,
        },
        childOptions(scope),
    );
    return { key: leafKey, cert };
}

/** The certificates (by "node NAME" / "client NAME") that end within `days` of `now`, with when. */
export function expiringSoon(expiries: Record<string, string>, now: Date, days = 30): Array<[string, string]> {
    const limit = now.getTime() + days * 24 * 3600 * 1000;
    return Object.entries(expiries).filter(([, end]) => !Number.isNaN(Date.parse(end)) && Date.parse(end) <= limit);
}

/** PEM blocks, one after the other, each ending in a newline. */
function pem(s: string): string {
    return s.endsWith("\n") ? s : `${s}\n`;
}

/** The blocks joined; "" while one is missing (mocks that echo inputs give no certificate). */
function joinPem(parts: Array<string | undefined>): string {
    return parts.every((p): p is string => typeof p === "string") ? parts.map(pem).join("") : "";
}

/** Declares the CAs and every node's and client's certificate. */
export function declareTls(scope: Scope): TlsMaterial {
    const { spec, names } = scope;
    const t = spec.tls!;
    // An operator's CA signs both roles; else the cluster's own two.
    const operator: Authority | undefined = t.ca ? { keyPem: pulumi.secret(pulumi.output(t.ca.key)), certPem: pulumi.output(t.ca.cert) } : undefined;
    const serverCa = operator ?? authority(scope, "server");
    const clientCa = operator ?? authority(scope, "client");
    const trusted = operator ? [operator.certPem] : [serverCa.certPem, clientCa.certPem];
    const nodes = new Map(
        spec.nodes.map((n) => [
            n.name,
            leaf(scope, { key: names.tlsNodeKey(n.name), request: names.tlsNodeRequest(n.name), cert: names.tlsNodeCert(n.name) }, n.address, serverCa),
        ]),
    );
    const clients = new Map(
        t.clients.map((c) => [c, leaf(scope, { key: names.tlsClientKey(c), request: names.tlsClientRequest(c), cert: names.tlsClientCert(c) }, c, clientCa)]),
    );
    return {
        nodeBundle: (node) => {
            const n = nodes.get(node)!;
            return pulumi.secret(pulumi.all([n.key.privateKeyPem, n.cert.certPem, ...trusted]).apply(joinPem));
        },
        clientBundle: (client) => {
            const c = clients.get(client)!;
            return pulumi.secret(pulumi.all([c.key.privateKeyPem, c.cert.certPem, serverCa.certPem]).apply(joinPem));
        },
        clients: pulumi.secret(
            pulumi
                .all([...clients].map(([c, l]) => pulumi.all([c, serverCa.certPem, l.cert.certPem, l.key.privateKeyPem, l.cert.validityEndTime])))
                .apply((rows) =>
                    Object.fromEntries(rows.map(([c, ca, cert, k, expires]) => [c, { ca: joinPem([ca]), cert: joinPem([cert]), key: joinPem([k]), expires }])),
                ),
        ),
        expiries: pulumi
            .all([
                ...[...nodes].map(([n, l]) => pulumi.all([`node ${n}`, l.cert.validityEndTime])),
                ...[...clients].map(([c, l]) => pulumi.all([`client ${c}`, l.cert.validityEndTime])),
            ])
            .apply((rows) => Object.fromEntries(rows)),
        allowed: [...new Set([...spec.nodes.map((n) => n.address), ...t.clients])].sort(),
    };
}

/**
 * Where a client puts its bundle: the directory compiled into its GlusterFS (`/etc/ssl` in
 * Debian 13's 11.1, `/usr/lib/ssl` in Debian 12's 10.3: the path of `glusterfs.pem` among
 * the strings of its `rpc-transport/socket.so` says), and the switch for management TLS.
 */
export function clientTlsFiles(): Record<string, string> {
    return {
        "/etc/ssl/glusterfs.ca": "ca",
        "/etc/ssl/glusterfs.pem": "cert",
        "/etc/ssl/glusterfs.key": "key",
        "/var/lib/glusterd/secure-access": "(empty: its presence turns on TLS for the mount's volfile fetch)",
    };
}

/** Where, on a client's Docker host, `tlsClientDockerArgs` expects the bundle's files. */
export function clientBundleDir(cluster: string): string {
    return `/etc/glusterfs-cluster/${cluster}`;
}

/**
 * `docker run` arguments that mount a bundle kept in `dir` (the files under their own names)
 * read-only where the client's GlusterFS reads them. Docker binds a file through a link in
 * the image, so an image that links the files elsewhere (this project's) works too.
 */
export function tlsClientDockerArgs(dir: string): string[] {
    return Object.keys(clientTlsFiles()).flatMap((target) => ["-v", `${dir}/${target.split("/").pop()}:${target}:ro`]);
}

/** What the mocks of `glusterfs-cluster/testing` answer for the `@pulumi/tls` resources: placeholder PEM, a fixed expiry. */
export function tlsStateForTests(type: string): Record<string, string> {
    // "mock", base64: a block any PEM splitter takes, that no TLS library would.
    const block = (kind: string) => `-----BEGIN ${kind}-----\nbW9jaw==\n-----END ${kind}-----\n`;
    switch (type) {
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: block("EC PRIVATE KEY"), publicKeyPem: block("PUBLIC KEY") };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: block("CERTIFICATE REQUEST") };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: block("CERTIFICATE"), validityStartTime: "2026-01-01T00:00:00Z", validityEndTime: "2036-01-01T00:00:00Z" };
        default:
            return {};
    }
}
