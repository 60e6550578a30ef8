/**
 * @pulumi/tls 5.6.1, imitated with Node's crypto (keys) and the host's `openssl` (requests and
 * certificates): PrivateKey, SelfSignedCert, CertRequest and LocallySignedCert. pulumi-tls bridges
 * them from terraform-provider-tls without overrides (provider/resources.go); 5.6.x carries 4.4.x,
 * whose only change from 4.2.1 for these types is the write-only key inputs (.changes/4.3.0.md,
 * 4.4.0.md). Read in internal/provider/: resource_private_key.go, resource_self_signed_cert.go,
 * resource_cert_request.go, resource_locally_signed_cert.go, common_cert.go, common_key.go,
 * common.go, types.go, attribute_plan_modifier_bool/default_value.go; and Go's crypto/x509 and
 * x/crypto/ssh for what the provider leaves to them (subject order, key identifiers, OpenSSH format).
 *
 * - Every configurable input forces a replacement except `earlyRenewalHours` (an in-place update
 *   that only records it). The PEM inputs replace only when the stored value is a PEM
 *   (requireReplaceIfStateContainsPEMString). `maxPathLength` left out keeps the stored value.
 * - Defaults: ecdsaCurve P224, rsaBits 2048, earlyRenewalHours 0, isCaCertificate,
 *   setSubjectKeyId and setAuthorityKeyId false; readyForRenewal false unless the validity is 0
 *   or earlyRenewalHours ≥ validityPeriodHours.
 * - A certificate within `earlyRenewalHours` of its end is replaced by the next update (the
 *   plan's readyForRenewal) and shows readyForRenewal true after a refresh.
 * - Keys as the provider encodes them: RSA PKCS#1, ECDSA SEC1, ED25519 PKCS#8; OpenSSH forms
 *   empty for P224. Validity times are RFC 3339 in the local zone (Go's Time.MarshalText).
 * - Refused: the write-only inputs (*Wo, *WoVersion), setAuthorityKeyId true, empty subject
 *   fields other than commonName/serialNumber, and the provider's `proxy` setting.
 *
 * A private key reaches openssl only on its standard input; no key is written to disk or put
 * into an argument, a log or an error.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as util from "util";
import { Diff, ProviderConfig, ProviderContext, ProviderImpl, Res, StandIn } from "./provider";
import { hasUnknown, Strict, UNKNOWN } from "./strict";

// ---- the provider's vocabulary (common_cert.go keyUsages/extKeyUsages, types.go) ----

/** allowed_uses → openssl's key usage names (x509.KeyUsage* bits). */
const KEY_USAGES: Record<string, string> = {
    digital_signature: "digitalSignature",
    content_commitment: "nonRepudiation",
    key_encipherment: "keyEncipherment",
    data_encipherment: "dataEncipherment",
    key_agreement: "keyAgreement",
    cert_signing: "keyCertSign",
    crl_signing: "cRLSign",
    encipher_only: "encipherOnly",
    decipher_only: "decipherOnly",
};
/** allowed_uses → extended key usage OIDs (Go's oidExtKeyUsage*). */
const EXT_KEY_USAGES: Record<string, string> = {
    any_extended: "2.5.29.37.0",
    server_auth: "1.3.6.1.5.5.7.3.1",
    client_auth: "1.3.6.1.5.5.7.3.2",
    code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4",
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8",
    ocsp_signing: "1.3.6.1.5.5.7.3.9",
    microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
    microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};
const ALGORITHMS = ["RSA", "ECDSA", "ED25519"];
const CURVES: Record<string, string> = { P224: "P-224", P256: "P-256", P384: "P-384", P521: "P-521" };
/** The subject's fields in the order Go writes them (pkix.Name.ToRDNSequence), with openssl's names. */
const SUBJECT: Array<[key: string, rdn: string]> = [
    ["country", "C"],
    ["province", "ST"],
    ["locality", "L"],
    ["streetAddresses", "street"],
    ["postalCode", "postalCode"],
    ["organization", "O"],
    ["organizationalUnit", "OU"],
    ["commonName", "CN"],
    ["serialNumber", "serialNumber"],
    ["emailAddress", "emailAddress"],
];
/** A subject as relative distinguished names: openssl's attribute name and its values (several make one multi-valued RDN). */
type Rdns = Array<[string, string[]]>;
/** Go's time.Duration overflows past this many hours. */
const MAX_HOURS = 2_562_047;

// ---- Go's encodings ----

/** A PEM block as Go's pem.EncodeToMemory writes it. */
function pemOf(type: string, der: Buffer): string {
    return `-----BEGIN ${type}-----\n${der
        .toString("base64")
        .match(/.{1,64}/g)!
        .join("\n")}\n-----END ${type}-----\n`;
}

/** The first PEM block (pem.Decode): its type and bytes. */
function firstPem(text: string): { type: string; der: Buffer } | undefined {
    const m = /-----BEGIN ([^\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
    return m ? { type: m[1], der: Buffer.from(m[2].replace(/\s+/g, ""), "base64") } : undefined;
}

/** A block of the expected type (resource_locally_signed_cert.go decodePEM). */
function decodePem(text: string, type: string): Buffer {
    const block = firstPem(text);
    if (!block) throw new Error(`failed to decode PEM of expected type "${type}" from bytes`);
    if (block.type !== type) throw new Error(`invalid PEM type - expected "${type}", got "${block.type}"`);
    return block.der;
}

/** Unicode white space at the end of UTF-8 bytes (U+0085, U+00A0, U+1680, U+2000–200A, U+2028/9, U+202F, U+205F, U+3000). */
const SPACE_SUFFIXES = [
    "c285",
    "c2a0",
    "e19a80",
    "e280a8",
    "e280a9",
    "e280af",
    "e2819f",
    "e38080",
    ...Array.from({ length: 11 }, (_, i) => `e280${(0x80 + i).toString(16)}`),
].map((h) => Buffer.from(h, "hex"));

/** hashForState (common.go): the SHA-1 of strings.TrimSpace of the bytes; DER starts with 0x30, so only the end can trim. */
function hashForState(der: Buffer): string {
    let end = der.length;
    const trims = () => {
        if (end > 0 && (der[end - 1] === 0x20 || (der[end - 1] >= 0x09 && der[end - 1] <= 0x0d))) return 1;
        return SPACE_SUFFIXES.find((s) => end >= s.length && der.subarray(end - s.length, end).equals(s))?.length ?? 0;
    };
    for (let n = trims(); n > 0; n = trims()) end -= n;
    return crypto.createHash("sha1").update(der.subarray(0, end)).digest("hex");
}

/** Go's Time.MarshalText (RFC 3339 with the fraction's trailing zeros cut) in the local zone; JavaScript keeps milliseconds. */
function goTime(d: Date): string {
    const offset = -d.getTimezoneOffset();
    const local = new Date(d.getTime() + offset * 60_000).toISOString();
    const fraction = local.slice(20, 23).replace(/0+$/, "");
    const pad = (n: number) => String(n).padStart(2, "0");
    const zone = offset === 0 ? "Z" : `${offset > 0 ? "+" : "-"}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
    return `${local.slice(0, 19)}${fraction ? `.${fraction}` : ""}${zone}`;
}

// ---- reading DER (requests and CA certificates) ----

interface Tlv {
    tag: number;
    /** The whole element, header included. */
    raw: Buffer;
    body: Buffer;
    end: number;
}

function tlv(buf: Buffer, at = 0): Tlv {
    let len = buf[at + 1];
    let p = at + 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
    }
    if (p + len > buf.length) throw new Error("malformed DER: truncated");
    return { tag: buf[at], raw: buf.subarray(at, p + len), body: buf.subarray(p, p + len), end: p + len };
}

function kids(body: Buffer): Tlv[] {
    const out: Tlv[] = [];
    for (let at = 0; at < body.length; at = out[out.length - 1].end) out.push(tlv(body, at));
    return out;
}

/** The value of the extension `oidHex` among X.509 extensions (a SEQUENCE of Extension). */
function extension(extensions: Tlv | undefined, oidHex: string): Buffer | undefined {
    for (const ext of extensions ? kids(extensions.body) : []) {
        const parts = kids(ext.body);
        if (parts[0].body.toString("hex") === oidHex) return parts[parts.length - 1].body;
    }
    return undefined;
}

/** A directory string as Go's asn1 decodes it into a string; other types are not read (they stay out of pkix.Name's fields). */
function directoryString(v: Tlv): string | undefined {
    if (v.tag === 0x0c || v.tag === 0x13 || v.tag === 0x16) return v.body.toString("utf8");
    if (v.tag === 0x14) return v.body.toString("latin1");
    if (v.tag === 0x1e) return Buffer.from(v.body).swap16().toString("utf16le");
    return undefined;
}

/** A parsed subject as Go writes it again (pkix.Name FillFromRDNSequence, then ToRDNSequence): known fields only, in Go's order. */
function goSubject(name: Tlv): Rdns {
    const byType = new Map<number, string[]>();
    for (const atv of kids(name.body).flatMap((set) => kids(set.body))) {
        const [oid, value] = kids(atv.body);
        const s = directoryString(value);
        if (s === undefined || oid.body.length !== 3 || oid.body[0] !== 0x55 || oid.body[1] !== 0x04) continue;
        const t = oid.body[2];
        byType.set(t, t === 3 || t === 5 ? [s] : [...(byType.get(t) ?? []), s]);
    }
    const order: Array<[number, string]> = [
        [6, "C"],
        [8, "ST"],
        [7, "L"],
        [9, "street"],
        [17, "postalCode"],
        [10, "O"],
        [11, "OU"],
        [3, "CN"],
        [5, "serialNumber"],
    ];
    return order.filter(([t]) => (byType.get(t) ?? []).some((v) => v !== "" || (t !== 3 && t !== 5))).map(([t, rdn]) => [rdn, byType.get(t)!]);
}

function ipFromBytes(b: Buffer): string {
    if (b.length === 4) return [...b].join(".");
    if (b.length !== 16) throw new Error(`x509: cannot parse IP address of length ${b.length}`);
    if (b.subarray(0, 12).equals(Buffer.from("00000000000000000000ffff", "hex"))) return [...b.subarray(12)].join(".");
    return Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(":");
}

interface Names {
    dns: string[];
    ips: string[];
    uris: string[];
}

/** What LocallySignedCert takes from a request (x509.ParseCertificateRequest): subject, public key, DNS/IP/URI names. */
function readRequest(pem: string): Names & { der: Buffer; subject: Rdns; publicKey: crypto.KeyObject } {
    const der = decodePem(pem, "CERTIFICATE REQUEST");
    const [info] = kids(tlv(der).body);
    const [, name, spki, attributes] = kids(info.body);
    const names: Names = { dns: [], ips: [], uris: [] };
    for (const attr of attributes?.tag === 0xa0 ? kids(attributes.body) : []) {
        const [oid, values] = kids(attr.body);
        if (oid.body.toString("hex") !== "2a864886f70d01090e") continue;
        const san = extension(kids(values.body)[0], "551d11");
        for (const n of san ? kids(tlv(san).body) : []) {
            if (n.tag === 0x82) names.dns.push(n.body.toString("latin1"));
            if (n.tag === 0x87) names.ips.push(ipFromBytes(n.body));
            if (n.tag === 0x86) names.uris.push(n.body.toString("latin1"));
        }
    }
    const publicKey = crypto.createPublicKey({ key: spki.raw, format: "der", type: "spki" });
    return { der, subject: goSubject(name), publicKey, ...names };
}

/** What LocallySignedCert reads of its CA certificate: whether it is a CA, and whether it carries a subject key identifier. */
function readCaCert(pem: string): { der: Buffer; isCa: boolean; hasSki: boolean } {
    const der = decodePem(pem, "CERTIFICATE");
    const [tbs] = kids(tlv(der).body);
    const extensions = kids(tbs.body).find((k) => k.tag === 0xa3);
    return { der, isCa: new crypto.X509Certificate(der).ca, hasSki: extension(extensions && tlv(extensions.body), "551d0e") !== undefined };
}

// ---- keys (resource_private_key.go Create, common_key.go) ----

interface Key {
    key: crypto.KeyObject;
    /** The key as PKCS#8 PEM: what openssl reads on its standard input. */
    pkcs8: string;
    algorithm: string;
}

/** parsePrivateKeyPEM (common_key.go): the first PEM block, one of the three private key forms; `what` prefixes errors as the resource does. */
function parseKey(text: string, what: string): Key {
    const fail = (m: string): never => {
        throw new Error(`${what}: ${m}`);
    };
    const block = firstPem(text) ?? fail("failed to decode PEM block");
    const types: Record<string, "pkcs1" | "sec1" | "pkcs8"> = { "RSA PRIVATE KEY": "pkcs1", "EC PRIVATE KEY": "sec1", "PRIVATE KEY": "pkcs8" };
    const known = ["PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST", ...Object.keys(types)];
    if (!known.includes(block.type)) fail(`unsupported PEM preamble/type: ${block.type}`);
    const type = types[block.type] ?? fail(`unable to determine parser for PEM preamble: ${block.type}`);
    let key: crypto.KeyObject;
    try {
        key = crypto.createPrivateKey({ key: block.der, format: "der", type });
    } catch (e) {
        return fail(`failed to parse private key given PEM preamble '${block.type}': ${(e as Error).message}`);
    }
    const algorithm = { rsa: "RSA", ec: "ECDSA", ed25519: "ED25519" }[key.asymmetricKeyType as string];
    if (!algorithm) fail(`failed to determine key algorithm for private key of type ${key.asymmetricKeyType}`);
    return { key, pkcs8: key.export({ type: "pkcs8", format: "pem" }) as string, algorithm: algorithm! };
}

/** The key bytes of a public key's SubjectPublicKeyInfo (its BIT STRING without the unused-bits byte). */
function publicKeyBits(pub: crypto.KeyObject): Buffer {
    return kids(tlv(pub.export({ type: "spki", format: "der" })).body)[1].body.subarray(1);
}

/** generateSubjectKeyID (common_cert.go): SHA-1 of PKCS#1 (RSA), the point (ECDSA), or the key as an ASN.1 OCTET STRING (ED25519). */
function subjectKeyId(pub: crypto.KeyObject): Buffer {
    const bits = publicKeyBits(pub);
    const material = pub.asymmetricKeyType === "ed25519" ? Buffer.concat([Buffer.from([0x04, bits.length]), bits]) : bits;
    return crypto.createHash("sha1").update(material).digest();
}

/** The digest Go signs with for the key (x509 signingParamsForKey); undefined for ED25519. */
function digestFor(key: crypto.KeyObject): string | undefined {
    if (key.asymmetricKeyType === "ed25519") return undefined;
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === "secp384r1" ? "sha384" : curve === "secp521r1" ? "sha512" : "sha256";
}

// ---- OpenSSH forms (x/crypto/ssh MarshalPrivateKey, MarshalAuthorizedKey, Fingerprint*) ----

const sshString = (b: Buffer | string) => {
    const data = Buffer.from(b);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, data]);
};
const mpint = (b64url: string | undefined) => {
    let b = Buffer.from(b64url ?? "", "base64url");
    while (b.length > 0 && b[0] === 0) b = b.subarray(1);
    return sshString(b.length > 0 && b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
};

/** The key's SSH type, public blob and private fields; undefined for P-224, which x/crypto/ssh does not handle. */
function sshParts(key: crypto.KeyObject): { type: string; pub: Buffer; priv: Buffer } | undefined {
    if (key.asymmetricKeyType === "rsa") {
        const j = key.export({ format: "jwk" });
        const pub = Buffer.concat([sshString("ssh-rsa"), mpint(j.e), mpint(j.n)]);
        return { type: "ssh-rsa", pub, priv: Buffer.concat([mpint(j.n), mpint(j.e), mpint(j.d), mpint(j.qi), mpint(j.p), mpint(j.q)]) };
    }
    if (key.asymmetricKeyType === "ed25519") {
        const j = key.export({ format: "jwk" });
        const [x, d] = [Buffer.from(j.x!, "base64url"), Buffer.from(j.d!, "base64url")];
        return {
            type: "ssh-ed25519",
            pub: Buffer.concat([sshString("ssh-ed25519"), sshString(x)]),
            priv: Buffer.concat([sshString(x), sshString(Buffer.concat([d, x]))]),
        };
    }
    const curve = { prime256v1: "nistp256", secp384r1: "nistp384", secp521r1: "nistp521" }[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!curve) return undefined;
    const point = publicKeyBits(crypto.createPublicKey(key));
    const type = `ecdsa-sha2-${curve}`;
    const rest = [sshString(curve), sshString(point)];
    return { type, pub: Buffer.concat([sshString(type), ...rest]), priv: Buffer.concat([...rest, mpint(key.export({ format: "jwk" }).d)]) };
}

/** The unencrypted openssh-key-v1 block: random check words, the key, an empty comment, padding to 8. */
function opensshPrivateKey(parts: { type: string; pub: Buffer; priv: Buffer }): string {
    const check = crypto.randomBytes(4);
    let block = Buffer.concat([check, check, sshString(parts.type), parts.priv, sshString("")]);
    const pad = (8 - (block.length % 8)) % 8;
    block = Buffer.concat([block, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
    const one = Buffer.from([0, 0, 0, 1]);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0"),
        sshString("none"),
        sshString("none"),
        sshString(""),
        one,
        sshString(parts.pub),
        sshString(block),
    ]);
    return pemOf("OPENSSH PRIVATE KEY", body);
}

/** Every output of a PrivateKey, and its id (the SHA-1 of its public key's DER). */
function keyOutputs(key: crypto.KeyObject): { id: string; outputs: Record<string, string> } {
    const pub = crypto.createPublicKey(key);
    const spki = pub.export({ type: "spki", format: "der" });
    const form = { rsa: "pkcs1", ec: "sec1" }[key.asymmetricKeyType as string] ?? "pkcs8";
    const ssh = sshParts(key);
    const outputs = {
        privateKeyPem: key.export({ type: form as "pkcs1", format: "pem" }) as string,
        privateKeyPemPkcs8: key.export({ type: "pkcs8", format: "pem" }) as string,
        privateKeyOpenssh: ssh ? opensshPrivateKey(ssh) : "",
        publicKeyPem: pemOf("PUBLIC KEY", spki),
        publicKeyOpenssh: ssh ? `${ssh.type} ${ssh.pub.toString("base64")}\n` : "",
        publicKeyFingerprintMd5: ssh ? crypto.createHash("md5").update(ssh.pub).digest("hex").match(/../g)!.join(":") : "",
        publicKeyFingerprintSha256: ssh ? `SHA256:${crypto.createHash("sha256").update(ssh.pub).digest("base64").replace(/=+$/, "")}` : "",
    };
    return { id: hashForState(spki), outputs };
}

function generateKey(algorithm: string, curve: string, bits: number): crypto.KeyObject {
    if (algorithm === "RSA") {
        // crypto/rsa checkKeySize (Go 1.24 and later, which builds this provider).
        if (bits < 1024) throw new Error(`Unable to generate Key from configuration: crypto/rsa: ${bits}-bit keys are insecure`);
        return crypto.generateKeyPairSync("rsa", { modulusLength: bits }).privateKey;
    }
    if (algorithm === "ECDSA") return crypto.generateKeyPairSync("ec", { namedCurve: CURVES[curve] }).privateKey;
    return crypto.generateKeyPairSync("ed25519").privateKey;
}

// ---- openssl ----

/** A private directory for one openssl run's public files (requests, certificates, its CA database), removed afterwards. */
function inScratch<T>(work: (dir: string) => T): T {
    const dir = fs.mkdtempSync(path.join(process.env.STANDIN_SCRATCH_DIR || os.tmpdir(), "tls-"));
    try {
        return work(dir);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * Runs openssl in `dir` with `key` (PEM) on its standard input, which it opens as /dev/stdin: Node's stdin
 * is a socket, which cannot be opened so, hence `cat |` in between. Fails with `what` and openssl's
 * error lines, which hold no key.
 */
function openssl(dir: string, args: string[], key: string, what: string): string {
    const r = spawnSync("/bin/sh", ["-c", 'cat | openssl "$@"', "openssl", ...args], { cwd: dir, input: key, encoding: "utf8", timeout: 60_000 });
    if (r.error) throw new Error(`${what}: running openssl: ${r.error.message}`);
    if (r.status !== 0) {
        const lines = r.stderr.split("\n").filter((l) => /error|unable|invalid|not match|wrong/i.test(l));
        throw new Error(`${what}: openssl ${args[0]}: ${(lines.length > 0 ? lines : r.stderr.trim().split("\n").slice(-3)).join("; ")}`);
    }
    return r.stdout;
}

/** A value in openssl's configuration syntax (conf_def.c: backslash escapes, `#` comments, `$` variables, quotes). */
function confValue(v: string): string {
    if (v !== v.trim() || [...v].some((c) => c.charCodeAt(0) < 0x20))
        throw new Error(`${JSON.stringify(v)}: leading or trailing white space or control characters are not imitated`);
    return v.replace(/[\\"'#$]/g, "\\$&");
}

/** The subject as `-subj`: Go's order, one RDN per field, several values of a field in one multi-valued RDN. */
function subjectArg(rdns: Rdns): string {
    return `/${rdns.map(([rdn, values]) => values.map((v) => `${rdn}=${v.replace(/[\\/+]/g, "\\$&")}`).join("+")).join("/")}`;
}

/** openssl.cnf for a run: PrintableString where Go would write one, else UTF8String; a CA database; then `sections`. */
function config(sections: string[]): string {
    const strings = ["string_mask = MASK:0x2002", "utf8 = yes"];
    return [
        ...["[req]", "distinguished_name = dn", ...strings, "[dn]"],
        ...["[ca]", "default_ca = ca_section", "[ca_section]", ...strings, "database = index.txt", "new_certs_dir = .", "serial = serial"],
        ...["policy = policy", "unique_subject = no", "email_in_dn = yes", "[policy]"],
        ...sections,
        "",
    ].join("\n");
}

/** A subjectAltName section: DNS names, then IPs, then URIs (Go's marshalSANs order). */
function altNames(n: Names): string[] {
    const lines = [
        ...n.dns.map((v, i) => `DNS.${i + 1} = ${confValue(v)}`),
        ...n.ips.map((v, i) => `IP.${i + 1} = ${v}`),
        ...n.uris.map((v, i) => `URI.${i + 1} = ${confValue(v)}`),
    ];
    return lines.length > 0 ? ["[alt]", ...lines] : [];
}

/** A certificate request signed by `key` (x509.CreateCertificateRequest): subject, and the names as a requested extension. */
function makeRequest(key: Key, rdns: Rdns, names: Names): string {
    const alt = altNames(names);
    return inScratch((dir) => {
        fs.writeFileSync(path.join(dir, "openssl.cnf"), config(alt.length > 0 ? ["[req_ext]", "subjectAltName = @alt", ...alt] : []));
        const digest = digestFor(key.key);
        const args = ["req", "-new", "-config", "openssl.cnf", "-key", "/dev/stdin", "-passin", "pass:", "-utf8", "-subj", subjectArg(rdns)];
        return openssl(
            dir,
            [...args, ...(digest ? [`-${digest}`] : []), ...(alt.length > 0 ? ["-reqexts", "req_ext"] : [])],
            key.pkcs8,
            "Error creating certificate request",
        );
    });
}

interface CertSpec {
    uses: string[];
    isCa: boolean;
    maxPathLength?: number;
    ski?: Buffer;
    /** Whether the issuer has a subject key identifier, which Go copies as the authority key identifier. */
    aki: boolean;
    names: Names;
    emptySubject: boolean;
}

/** The extensions in Go's order (x509 buildCertExtensions): key usage, extended key usage, basic constraints, key ids, names. */
function certExtensions(c: CertSpec): string[] {
    const ku = [...new Set(c.uses.filter((u) => u in KEY_USAGES).map((u) => KEY_USAGES[u]))];
    const eku = c.uses.filter((u) => u in EXT_KEY_USAGES).map((u) => EXT_KEY_USAGES[u]);
    // Go writes a path length only above 0: the provider never sets MaxPathLenZero (common_cert.go:188-190).
    const pathLen = c.isCa && (c.maxPathLength ?? 0) > 0 ? `,pathlen:${c.maxPathLength}` : "";
    const alt = altNames(c.names);
    return [
        "[ext]",
        ...(ku.length > 0 ? [`keyUsage = critical,${ku.join(",")}`] : []),
        ...(eku.length > 0 ? [`extendedKeyUsage = ${eku.join(",")}`] : []),
        `basicConstraints = critical,CA:${c.isCa ? "TRUE" : "FALSE"}${pathLen}`,
        `subjectKeyIdentifier = ${c.ski ? c.ski.toString("hex").match(/../g)!.join(":") : "none"}`,
        `authorityKeyIdentifier = ${c.aki ? "keyid" : "none"}`,
        ...(alt.length > 0 ? [`subjectAltName = ${c.emptySubject ? "critical," : ""}@alt`, ...alt] : []),
    ];
}

interface Signing {
    /** The request; its subject unless `subject` is given. */
    request: string;
    subject?: Rdns;
    signer: Key;
    /** The issuer's certificate; absent: self-signed by `signer`. */
    caCert?: string;
    hours: number;
    spec: CertSpec;
}

/** createCertificate (common_cert.go): valid from now for `hours`, a random 128-bit serial; signed by `openssl ca`, which takes exact dates. */
function signCertificate(s: Signing): { id: string; certPem: string; validityStartTime: string; validityEndTime: string } {
    if (!s.spec.isCa && (s.spec.maxPathLength ?? 0) > 0) throw new Error("Failed to create certificate: x509: only CAs are allowed to specify MaxPathLen");
    const start = new Date();
    const end = new Date(start.getTime() + s.hours * 3_600_000);
    const serial = crypto.randomBytes(16).toString("hex");
    const when = (d: Date) => `${d.toISOString().slice(0, 19).replace(/[-:T]/g, "")}Z`;
    const certPem = inScratch((dir) => {
        const file = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
        file("openssl.cnf", config(certExtensions(s.spec)));
        file("request.pem", s.request);
        file("index.txt", "");
        file("serial", `${serial}\n`);
        const args = ["ca", "-batch", "-config", "openssl.cnf", "-extensions", "ext", "-in", "request.pem", "-out", "cert.pem", "-notext", "-preserveDN"];
        args.push("-utf8", "-startdate", when(start), "-enddate", when(end), "-md", digestFor(s.signer.key) ?? "default");
        args.push("-keyfile", "/dev/stdin", "-passin", "pass:");
        if (s.caCert) file("ca.pem", s.caCert);
        args.push(...(s.caCert ? ["-cert", "ca.pem"] : ["-selfsign"]), ...(s.subject ? ["-subj", subjectArg(s.subject)] : []));
        openssl(dir, args, s.signer.pkcs8, "Failed to create certificate");
        return fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
    });
    return { id: BigInt(`0x${serial}`).toString(), certPem, validityStartTime: goTime(start), validityEndTime: goTime(end) };
}

// ---- reading the arguments (the schemas' attributes and validators) ----

function oneOf(where: string, key: string, value: string, allowed: string[]): void {
    if (value !== UNKNOWN && !allowed.includes(value)) {
        throw new Error(`${where}.${key}: value must be one of: [${allowed.map((a) => JSON.stringify(a)).join(" ")}], got: ${JSON.stringify(value)}`);
    }
}

function int(s: Strict, key: string, min?: number): number | undefined {
    const v = s.optionalNumber(key);
    if (v !== undefined && !Number.isInteger(v)) throw new Error(`${s.where}.${key}: expected an integer, got ${v}`);
    if (v !== undefined && min !== undefined && v < min) throw new Error(`${s.where}.${key}: value must be at least ${min}, got: ${v}`);
    return v;
}

/** The write-only inputs of 5.6.x (terraform-provider-tls 4.4.0) and the other inputs this stand-in refuses. */
function refuse(inputs: Record<string, any>, where: string, keys: string[]): void {
    for (const k of keys.filter((k) => inputs[k] !== undefined)) {
        throw new Error(`${where}.${k}: write-only inputs are not imitated by the tls stand-in; refusing it`);
    }
}

/** The subject block (createSubjectDistinguishedNames): empty commonName and serialNumber are left out as Go does. */
function readSubject(s: Strict | undefined): Rdns {
    if (!s) return [];
    const rdns: Rdns = [];
    for (const [key, rdn] of SUBJECT) {
        const values = key === "streetAddresses" ? s.optionalStringList(key) : [s.optionalString(key)].filter((v): v is string => v !== undefined);
        if ((key === "commonName" || key === "serialNumber") && values[0] === "") continue;
        if (values.includes("")) throw new Error(`${s.where}.${key}: an empty value is not imitated (Go writes an empty attribute, openssl none)`);
        if (values.length > 0) rdns.push([rdn, values]);
    }
    s.done();
    return rdns;
}

/** dns_names, ip_addresses (each at least 1 character) and uris, as the resources read them. */
function readNames(s: Strict): Names {
    const names = { dns: s.optionalStringList("dnsNames"), ips: s.optionalStringList("ipAddresses"), uris: s.optionalStringList("uris") };
    for (const [key, list] of [
        ["ipAddresses", names.ips],
        ["uris", names.uris],
    ] as const) {
        if (list.includes("")) throw new Error(`${s.where}.${key}: each value must be at least 1 character long`);
    }
    return names;
}

/** net.ParseIP as Go writes the address: IPv4 (also IPv4-mapped IPv6) as 4 bytes, other IPv6 as 16. */
function goIp(ip: string): string {
    if (net.isIPv4(ip)) return ip;
    if (!net.isIPv6(ip) || ip.includes("%")) throw new Error(`Invalid IP address: Failed to parse ${JSON.stringify(ip)}`);
    const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
    const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
    if (!m) return canonical;
    const [hi, lo] = [parseInt(m[1], 16), parseInt(m[2], 16)];
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
}

function readUses(s: Strict): string[] {
    const uses = s.stringList("allowedUses");
    for (const u of uses) oneOf(s.where, "allowedUses", u, [...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES)].sort());
    return uses;
}

function readHours(s: Strict): number {
    const hours = int(s, "validityPeriodHours", 0);
    if (hours === undefined && !s.isUnknown("validityPeriodHours")) throw new Error(`${s.where}.validityPeriodHours: expected a number, got undefined`);
    if ((hours ?? 0) > MAX_HOURS) throw new Error(`${s.where}.validityPeriodHours: more than ${MAX_HOURS} overflows Go's time.Duration; not imitated`);
    return hours ?? 0;
}

const where = (g: Res) => `${g.type} ${g.name}`;

function readPrivateKey(g: Res) {
    const s = new Strict(g.inputs, where(g));
    const algorithm = s.string("algorithm");
    const ecdsaCurve = s.optionalString("ecdsaCurve") ?? "P224";
    const rsaBits = int(s, "rsaBits") ?? 2048;
    s.done();
    oneOf(s.where, "algorithm", algorithm, ALGORITHMS);
    oneOf(s.where, "ecdsaCurve", ecdsaCurve, Object.keys(CURVES));
    return { algorithm, ecdsaCurve, rsaBits };
}

function readCertRequest(g: Res) {
    refuse(g.inputs, where(g), ["privateKeyPemWo", "privateKeyPemWoVersion"]);
    const s = new Strict(g.inputs, where(g));
    const privateKeyPem = s.string("privateKeyPem");
    const names = readNames(s);
    const subject = readSubject(s.optionalObject("subject"));
    s.done();
    return { privateKeyPem, names, subject };
}

/** What both certificate resources read besides their keys. */
function readCertCommon(s: Strict) {
    const hours = readHours(s);
    const uses = readUses(s);
    const earlyRenewalHours = int(s, "earlyRenewalHours", 0) ?? 0;
    const isCa = s.optionalBool("isCaCertificate") ?? false;
    const maxPathLength = int(s, "maxPathLength", -1);
    const setSubjectKeyId = s.optionalBool("setSubjectKeyId") ?? false;
    return { hours, uses, earlyRenewalHours, isCa, maxPathLength, setSubjectKeyId };
}

function readSelfSigned(g: Res) {
    refuse(g.inputs, where(g), ["privateKeyPemWo", "privateKeyPemWoVersion"]);
    const s = new Strict(g.inputs, where(g));
    const privateKeyPem = s.string("privateKeyPem");
    const common = readCertCommon(s);
    if (s.optionalBool("setAuthorityKeyId"))
        throw new Error(`${s.where}.setAuthorityKeyId: true is not imitated (openssl omits a self-signed certificate's own key id)`);
    const names = readNames(s);
    const subject = readSubject(s.optionalObject("subject"));
    s.done();
    return { privateKeyPem, ...common, names, subject };
}

function readLocallySigned(g: Res) {
    refuse(g.inputs, where(g), ["caPrivateKeyPemWo", "caPrivateKeyPemWoVersion"]);
    const s = new Strict(g.inputs, where(g));
    const certRequestPem = s.string("certRequestPem");
    const caPrivateKeyPem = s.string("caPrivateKeyPem");
    const caCertPem = s.string("caCertPem");
    const common = readCertCommon(s);
    s.done();
    return { certRequestPem, caPrivateKeyPem, caCertPem, ...common };
}

// ---- plans: which changes replace, which update, what a refresh sees ----

/** How a configurable attribute plans: whether a change replaces, its default, whether leaving it out keeps the stored value. */
interface Attr {
    replaces: "always" | "if stored PEM" | "never";
    default?: unknown;
    keepsState?: boolean;
}
type Schema = Record<string, Attr>;
const FORCE_NEW: Attr = { replaces: "always" };
const PEM: Attr = { replaces: "if stored PEM" };

/** The planned value of each attribute: as given, else its default, else (UseStateForUnknown) the stored one. */
function plan(schema: Schema, old: Res, goal: Res): Record<string, unknown> {
    const value = (k: string, a: Attr) => goal.inputs[k] ?? (a.default !== undefined ? a.default : a.keepsState ? old.outputs[k] : undefined);
    return Object.fromEntries(Object.entries(schema).map(([k, a]) => [k, value(k, a)]));
}

/** requireReplaceIfStateContainsPEMString's test (common.go:60). */
const isPem = (v: unknown) => typeof v === "string" && /^-----BEGIN [A-Za-z ]+-----\n[\s\S]+\n-----END [A-Za-z ]+-----\n?$/.test(v);

/** Whether a stored certificate is within `earlyRenewalHours` of its end (modifyPlan/StateIfCertificateReadyForRenewal). */
function dueForRenewal(validityEndTime: unknown, earlyRenewalHours: unknown): boolean {
    if (typeof validityEndTime !== "string" || typeof earlyRenewalHours !== "number") return false;
    return Date.parse(validityEndTime) - earlyRenewalHours * 3_600_000 <= Date.now();
}

/** ready_for_renewal's plan (attribute_plan_modifier_bool/default_value.go): true for a validity of 0 or an early renewal covering it. */
const plannedReady = (hours: unknown, early: unknown) => hours === 0 || (typeof hours === "number" && typeof early === "number" && early >= hours);

function diffBy(schema: Schema, renews: boolean) {
    return (_c: ProviderContext, old: Res, goal: Res): Diff => {
        const planned = plan(schema, old, goal);
        const changed = Object.keys(schema).filter((k) => hasUnknown(planned[k]) || !util.isDeepStrictEqual(planned[k], old.outputs[k]));
        const replacing = changed.filter((k) => schema[k].replaces === "always" || (schema[k].replaces === "if stored PEM" && isPem(old.outputs[k])));
        // The plan of a certificate due for renewal marks ready_for_renewal unknown and requires a replacement.
        if (renews && dueForRenewal(old.outputs.validityEndTime, planned.earlyRenewalHours)) replacing.push("readyForRenewal");
        if (replacing.length > 0) return { kind: "replace", keys: replacing };
        return { kind: changed.length > 0 ? "update" : "same", keys: [] };
    };
}

/** Update copies the plan into the state (updatedUsingPlan); the computed values stay (UseStateForUnknown). */
function updateBy(schema: Schema, renews: boolean) {
    return async (_c: ProviderContext, old: Res, goal: Res) => {
        const planned = Object.fromEntries(Object.entries(plan(schema, old, goal)).filter(([, v]) => v !== undefined));
        const ready = renews ? { readyForRenewal: plannedReady(planned.validityPeriodHours, planned.earlyRenewalHours) } : {};
        return { outputs: { ...old.outputs, ...planned, ...ready } };
    };
}

/** Read of a certificate: ready_for_renewal becomes true once it is due. */
async function readCert(_c: ProviderContext, old: Res): Promise<Res> {
    if (!dueForRenewal(old.outputs.validityEndTime, old.outputs.earlyRenewalHours)) return old;
    return { ...old, outputs: { ...old.outputs, readyForRenewal: true } };
}

// resource_private_key.go:57-92: all three RequiresReplace.
const PRIVATE_KEY_SCHEMA: Schema = { algorithm: FORCE_NEW, ecdsaCurve: { ...FORCE_NEW, default: "P224" }, rsaBits: { ...FORCE_NEW, default: 2048 } };
// resource_cert_request.go:43-89 and the subject block (121-204): all RequiresReplace.
const CERT_REQUEST_SCHEMA: Schema = { privateKeyPem: PEM, dnsNames: FORCE_NEW, ipAddresses: FORCE_NEW, uris: FORCE_NEW, subject: FORCE_NEW };
/** What both certificates plan alike (resource_self_signed_cert.go:63-185, resource_locally_signed_cert.go:76-152). */
const CERT_SCHEMA: Schema = {
    validityPeriodHours: FORCE_NEW,
    allowedUses: FORCE_NEW,
    earlyRenewalHours: { replaces: "never", default: 0 },
    isCaCertificate: { ...FORCE_NEW, default: false },
    maxPathLength: { ...FORCE_NEW, keepsState: true },
    setSubjectKeyId: { ...FORCE_NEW, default: false },
};
const SELF_SIGNED_SCHEMA: Schema = {
    privateKeyPem: PEM,
    ...CERT_SCHEMA,
    setAuthorityKeyId: { ...FORCE_NEW, default: false },
    dnsNames: FORCE_NEW,
    ipAddresses: FORCE_NEW,
    uris: FORCE_NEW,
    subject: FORCE_NEW,
};
const LOCALLY_SIGNED_SCHEMA: Schema = { certRequestPem: PEM, caPrivateKeyPem: PEM, caCertPem: PEM, ...CERT_SCHEMA };

/** The state's values of the attributes with a schema Default: as given, else the default. */
const defaults = (schema: Schema, inputs: Record<string, any>) =>
    Object.fromEntries(Object.entries(schema).flatMap(([k, a]) => (a.default !== undefined ? [[k, inputs[k] ?? a.default]] : [])));

// ---- the resources ----

const privateKey: ProviderImpl = {
    check: (g) => void readPrivateKey(g),
    diff: diffBy(PRIVATE_KEY_SCHEMA, false),
    computed: [
        "privateKeyPem",
        "privateKeyPemPkcs8",
        "privateKeyOpenssh",
        "publicKeyPem",
        "publicKeyOpenssh",
        "publicKeyFingerprintMd5",
        "publicKeyFingerprintSha256",
    ],
    async create(_c, g) {
        const a = readPrivateKey(g);
        const { id, outputs } = keyOutputs(generateKey(a.algorithm, a.ecdsaCurve, a.rsaBits));
        return { id, outputs: { ...defaults(PRIVATE_KEY_SCHEMA, g.inputs), ...outputs } };
    },
    update: updateBy(PRIVATE_KEY_SCHEMA, false),
    delete: async () => undefined,
};

const certRequest: ProviderImpl = {
    check: (g) => void readCertRequest(g),
    diff: diffBy(CERT_REQUEST_SCHEMA, false),
    computed: ["certRequestPem", "keyAlgorithm"],
    async create(_c, g) {
        const a = readCertRequest(g);
        const key = parseKey(a.privateKeyPem, "Failed to parse private key PEM");
        const certRequestPem = makeRequest(key, a.subject, { ...a.names, ips: a.names.ips.map(goIp) });
        return { id: hashForState(decodePem(certRequestPem, "CERTIFICATE REQUEST")), outputs: { keyAlgorithm: key.algorithm, certRequestPem } };
    },
    update: updateBy(CERT_REQUEST_SCHEMA, false),
    delete: async () => undefined,
};

const selfSignedCert: ProviderImpl = {
    check: (g) => void readSelfSigned(g),
    diff: diffBy(SELF_SIGNED_SCHEMA, true),
    computed: ["certPem", "keyAlgorithm", "validityStartTime", "validityEndTime"],
    async create(_c, g) {
        const a = readSelfSigned(g);
        const key = parseKey(a.privateKeyPem, "Failed to parse private key PEM");
        const names = { ...a.names, ips: a.names.ips.map(goIp) };
        if (a.isCa && a.subject.length === 0) {
            throw new Error("Invalid Certificate Subject: Must contain at least one Distinguished Name when creating Certificate Authority (CA)");
        }
        const ski = a.isCa || a.setSubjectKeyId ? subjectKeyId(crypto.createPublicKey(key.key)) : undefined;
        const spec = { uses: a.uses, isCa: a.isCa, maxPathLength: a.maxPathLength, ski, aki: false, names, emptySubject: a.subject.length === 0 };
        const request = makeRequest(key, a.subject, { dns: [], ips: [], uris: [] });
        const { id, ...cert } = signCertificate({ request, signer: key, hours: a.hours, spec });
        const readyForRenewal = plannedReady(a.hours, a.earlyRenewalHours);
        return {
            id,
            outputs: { ...defaults(SELF_SIGNED_SCHEMA, g.inputs), keyAlgorithm: key.algorithm, ...cert, readyForRenewal },
        };
    },
    update: updateBy(SELF_SIGNED_SCHEMA, true),
    delete: async () => undefined,
    read: readCert,
};

const CA_WARNING =
    "Potentially Invalid Certificate Authority: Certificate provided as Authority does not appear to be a valid Certificate Authority. " +
    "The resulting certificate might fail certificate validation.";

const locallySignedCert: ProviderImpl = {
    check: (g) => void readLocallySigned(g),
    diff: diffBy(LOCALLY_SIGNED_SCHEMA, true),
    computed: ["certPem", "caKeyAlgorithm", "validityStartTime", "validityEndTime"],
    async create(ctx, g) {
        const a = readLocallySigned(g);
        const request = prefixed("Failed to parse certificate request PEM", () => readRequest(a.certRequestPem));
        const caKey = parseKey(a.caPrivateKeyPem, "Failed to parse CA private key PEM");
        const ca = prefixed("Failed to parse CA certificate PEM", () => readCaCert(a.caCertPem));
        if (!ca.isCa) ctx.warn(g.urn, CA_WARNING);
        const ski = a.isCa || a.setSubjectKeyId ? subjectKeyId(request.publicKey) : undefined;
        const spec = {
            uses: a.uses,
            isCa: a.isCa,
            maxPathLength: a.maxPathLength,
            ski,
            aki: ca.hasSki,
            names: request,
            emptySubject: request.subject.length === 0,
        };
        const signing = {
            request: pemOf("CERTIFICATE REQUEST", request.der),
            subject: request.subject,
            signer: caKey,
            caCert: pemOf("CERTIFICATE", ca.der),
            hours: a.hours,
            spec,
        };
        const { id, ...cert } = signCertificate(signing);
        const readyForRenewal = plannedReady(a.hours, a.earlyRenewalHours);
        return {
            id,
            outputs: { ...defaults(LOCALLY_SIGNED_SCHEMA, g.inputs), caKeyAlgorithm: caKey.algorithm, ...cert, readyForRenewal },
        };
    },
    update: updateBy(LOCALLY_SIGNED_SCHEMA, true),
    delete: async () => undefined,
    read: readCert,
};

/** `work`'s result; its error prefixed with `what`, as the resource reports it. */
function prefixed<T>(what: string, work: () => T): T {
    try {
        return work();
    } catch (e) {
        throw new Error(`${what}: ${(e as Error).message}`, { cause: e });
    }
}

// ---- the provider ----

const providerConfig: ProviderConfig = {
    check(config, where) {
        const s = new Strict(config, where);
        s.optionalString("version");
        if (s.isUnknown("proxy") || s.optionalString("proxy") !== undefined) {
            throw new Error(`${where}.proxy: not imitated (it serves only getCertificate, which the tls stand-in does not answer)`);
        }
        s.done();
    },
};

/** @pulumi/tls 5.6.1. */
export const tlsStandIn: StandIn = {
    name: "tls",
    version: "5.6.1",
    config: providerConfig,
    resource,
};

function resource(type: string): ProviderImpl {
    switch (type) {
        case "tls:index/privateKey:PrivateKey":
            return privateKey;
        case "tls:index/certRequest:CertRequest":
            return certRequest;
        case "tls:index/selfSignedCert:SelfSignedCert":
            return selfSignedCert;
        case "tls:index/locallySignedCert:LocallySignedCert":
            return locallySignedCert;
        default:
            throw new Error(`the tls stand-in does not know the resource type ${type}`);
    }
}
