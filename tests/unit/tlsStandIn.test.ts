/**
 * The @pulumi/tls stand-in (tests/live/standins/tls.ts), driven directly rather than through the
 * engine: its keys are in the forms the provider writes, its certificates chain and verify with
 * `openssl verify`, subjects and validity are as given, and its diffs replace or update as
 * terraform-provider-tls's schemas say. Everything runs on the host's openssl; no Docker.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { tlsStandIn } from "../live/standins/tls";
import { ProviderContext, Res } from "../live/standins/provider";
import { StandInServer } from "../live/standins/server";
import { UNKNOWN } from "../live/standins/strict";
import { tempDir } from "../support/temp-dirs";

const KEY = "tls:index/privateKey:PrivateKey";
const REQUEST = "tls:index/certRequest:CertRequest";
const SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
const LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
const HOUR = 3_600_000;

const warnings: string[] = [];
const ctx: ProviderContext = { dockerEndpoint: () => "unused", warn: (_urn, message) => void warnings.push(message), options: {} };
const res = (type: string, inputs: Record<string, any>, outputs: Record<string, any> = {}): Res => ({
    urn: `urn:pulumi:s::p::${type}::r`,
    type,
    name: "r",
    id: outputs.id ?? "",
    inputs,
    outputs,
});

/** Checks and creates a resource as the engine would; resolves with its state (inputs, outputs and id), as the engine stores it. */
async function create(type: string, inputs: Record<string, any>): Promise<Record<string, any>> {
    const impl = tlsStandIn.resource(type);
    impl.check(res(type, inputs));
    const created = await impl.create(ctx, res(type, inputs));
    return { ...inputs, ...created.outputs, id: created.id };
}

/** The stand-in's diff from a stored resource to new inputs, as "kind keys". */
function diff(type: string, stored: Record<string, any>, inputs: Record<string, any>): string {
    const d = tlsStandIn.resource(type).diff(ctx, res(type, stored, stored), res(type, inputs));
    return [d.kind, ...d.keys].join(" ");
}

/** The provider's hashForState: SHA-1 of strings.TrimSpace of the bytes (DER starts with 0x30, so only trailing Unicode white space goes). */
function sha1TrimSpace(der: Buffer): string {
    const trailing = /(?:[\t-\r ]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)+$/;
    return crypto
        .createHash("sha1")
        .update(Buffer.from(der.toString("latin1").replace(trailing, ""), "latin1"))
        .digest("hex");
}

function sh(argv: string[], input?: string): { code: number | null; out: string } {
    const r = spawnSync(argv[0], argv.slice(1), { input, encoding: "utf8" });
    return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

/** A CA, a leaf key with a request, and the leaf certificate signed by the CA, as components/tls.ts declares them. */
async function chain() {
    const caKey = await create(KEY, { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const ca = await create(SELF_SIGNED, {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: "demo server CA", organization: "glusterfs-cluster" },
        validityPeriodHours: 87600,
        allowedUses: ["cert_signing", "crl_signing"],
    });
    const leafKey = await create(KEY, { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const request = await create(REQUEST, {
        privateKeyPem: leafKey.privateKeyPem,
        subject: { commonName: "10.0.0.5", organizationalUnit: "rotation 1" },
        dnsNames: ["gluster-0.example"],
        ipAddresses: ["10.0.0.5"],
    });
    const leaf = await create(LOCALLY_SIGNED, {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: 90 * 24,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
    });
    return { caKey, ca, leafKey, request, leaf };
}

describe("tls stand-in: keys in the provider's forms", () => {
    it("PrivateKey: SEC1, PKCS#1 or PKCS#8 as the algorithm says, PKCS#8 always, and OpenSSH forms ssh-keygen reads", async () => {
        const dir = tempDir("tls-keys-");
        for (const [inputs, header, sshType] of [
            [{ algorithm: "ECDSA", ecdsaCurve: "P256" }, "EC PRIVATE KEY", "ecdsa-sha2-nistp256"],
            [{ algorithm: "ED25519" }, "PRIVATE KEY", "ssh-ed25519"],
            [{ algorithm: "RSA", rsaBits: 1024 }, "RSA PRIVATE KEY", "ssh-rsa"],
        ] as const) {
            const key = await create(KEY, inputs);
            assert.match(key.privateKeyPem, new RegExp(`^-----BEGIN ${header}-----\\n[\\s\\S]+\\n-----END ${header}-----\\n$`));
            assert.match(key.privateKeyPemPkcs8, /^-----BEGIN PRIVATE KEY-----\n/);
            const spki = crypto.createPublicKey(key.privateKeyPem).export({ type: "spki", format: "der" });
            assert.strictEqual(key.publicKeyPem, crypto.createPublicKey(key.privateKeyPem).export({ type: "spki", format: "pem" }));
            assert.strictEqual(key.id, sha1TrimSpace(spki));
            const file = path.join(dir, "id");
            fs.writeFileSync(file, key.privateKeyOpenssh, { mode: 0o600 });
            assert.deepStrictEqual(sh(["ssh-keygen", "-y", "-f", file]), { code: 0, out: key.publicKeyOpenssh.trim() });
            assert.ok(key.publicKeyOpenssh.startsWith(`${sshType} `));
            fs.writeFileSync(`${file}.pub`, key.publicKeyOpenssh);
            assert.match(sh(["ssh-keygen", "-l", "-E", "md5", "-f", `${file}.pub`]).out, new RegExp(`MD5:${key.publicKeyFingerprintMd5}`));
            assert.match(sh(["ssh-keygen", "-l", "-f", `${file}.pub`]).out, new RegExp(key.publicKeyFingerprintSha256.replace(/[+/]/g, "\\$&")));
        }
    });

    it("PrivateKey: the defaults (P224, 2048) are stored; P224 has no OpenSSH forms", async () => {
        const key = await create(KEY, { algorithm: "ECDSA" });
        assert.deepStrictEqual([key.ecdsaCurve, key.rsaBits], ["P224", 2048]);
        assert.strictEqual(crypto.createPrivateKey(key.privateKeyPem).asymmetricKeyDetails?.namedCurve, "secp224r1");
        assert.deepStrictEqual([key.privateKeyOpenssh, key.publicKeyOpenssh, key.publicKeyFingerprintMd5, key.publicKeyFingerprintSha256], ["", "", "", ""]);
    });
});

describe("tls stand-in: certificates", () => {
    it("the chain verifies with openssl verify, for a server and a client; subject, names and uses as given", async () => {
        const { ca, leaf, request } = await chain();
        const dir = tempDir("tls-chain-");
        fs.writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
        fs.writeFileSync(path.join(dir, "leaf.pem"), leaf.certPem);
        for (const purpose of ["sslserver", "sslclient"]) {
            assert.deepStrictEqual(sh(["openssl", "verify", "-CAfile", path.join(dir, "ca.pem"), "-purpose", purpose, path.join(dir, "leaf.pem")]), {
                code: 0,
                out: `${path.join(dir, "leaf.pem")}: OK`,
            });
        }
        const [caCert, leafCert] = [new crypto.X509Certificate(ca.certPem), new crypto.X509Certificate(leaf.certPem)];
        assert.deepStrictEqual(
            [caCert.subject, caCert.issuer, caCert.ca],
            ["O=glusterfs-cluster\nCN=demo server CA", "O=glusterfs-cluster\nCN=demo server CA", true],
        );
        assert.deepStrictEqual([leafCert.subject, leafCert.issuer, leafCert.ca], ["OU=rotation 1\nCN=10.0.0.5", caCert.subject, false]);
        assert.strictEqual(leafCert.subjectAltName, "DNS:gluster-0.example, IP Address:10.0.0.5");
        assert.deepStrictEqual(leafCert.keyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
        const ext = (pem: string) =>
            sh(["openssl", "x509", "-noout", "-ext", "keyUsage,basicConstraints,subjectKeyIdentifier,authorityKeyIdentifier"], pem).out;
        assert.match(
            ext(ca.certPem),
            /Key Usage: critical\n\s+Certificate Sign, CRL Sign\n.*Basic Constraints: critical\n\s+CA:TRUE\n.*Subject Key Identifier/s,
        );
        assert.doesNotMatch(ext(ca.certPem), /Authority Key Identifier/);
        assert.match(ext(leaf.certPem), /Key Usage: critical\n\s+Digital Signature, Key Encipherment\n.*CA:FALSE\n.*Authority Key Identifier/s);
        assert.deepStrictEqual([ca.keyAlgorithm, leaf.caKeyAlgorithm, request.keyAlgorithm], ["ECDSA", "ECDSA", "ECDSA"]);
        assert.deepStrictEqual([leaf.id, ca.id], [BigInt(`0x${leafCert.serialNumber}`).toString(), BigInt(`0x${caCert.serialNumber}`).toString()]);
        assert.strictEqual(
            request.id,
            crypto
                .createHash("sha1")
                .update(Buffer.from(request.certRequestPem.split("\n").slice(1, -2).join(""), "base64"))
                .digest("hex"),
        );
    });

    it("validity: RFC 3339 times, the end exactly validityPeriodHours after the start, as the certificate says to the second", async () => {
        const { ca, leaf } = await chain();
        for (const [cert, hours] of [
            [ca, 87600],
            [leaf, 90 * 24],
        ] as const) {
            assert.match(cert.validityStartTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
            const [start, end] = [Date.parse(cert.validityStartTime), Date.parse(cert.validityEndTime)];
            assert.strictEqual(end - start, hours * HOUR);
            assert.ok(Math.abs(start - Date.now()) < 60_000);
            const x = new crypto.X509Certificate(cert.certPem);
            assert.deepStrictEqual([Date.parse(x.validFrom), Date.parse(x.validTo)], [Math.floor(start / 1000) * 1000, Math.floor(end / 1000) * 1000]);
            assert.deepStrictEqual([cert.readyForRenewal, cert.earlyRenewalHours, cert.isCaCertificate, cert.setSubjectKeyId], [false, 0, cert === ca, false]);
        }
    });

    it("a subject's email is dropped from a locally signed certificate (Go re-encodes the request's subject); a non-CA issuer gets a warning", async () => {
        const key = await create(KEY, { algorithm: "ED25519" });
        const issuer = await create(SELF_SIGNED, {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: "plain" },
            validityPeriodHours: 1,
            allowedUses: [],
        });
        const request = await create(REQUEST, { privateKeyPem: key.privateKeyPem, subject: { commonName: "leaf", emailAddress: "ops@example.com" } });
        warnings.length = 0;
        const leaf = await create(LOCALLY_SIGNED, {
            certRequestPem: request.certRequestPem,
            caPrivateKeyPem: key.privateKeyPem,
            caCertPem: issuer.certPem,
            validityPeriodHours: 1,
            allowedUses: [],
            setSubjectKeyId: true,
        });
        assert.strictEqual(new crypto.X509Certificate(leaf.certPem).subject, "CN=leaf");
        assert.match(warnings.join("\n"), /Potentially Invalid Certificate Authority/);
        // Go's subject key id of an ED25519 key: SHA-1 of the key as an ASN.1 OCTET STRING.
        const raw = Buffer.from(crypto.createPublicKey(key.privateKeyPem).export({ format: "jwk" }).x!, "base64url");
        const ski = crypto
            .createHash("sha1")
            .update(Buffer.concat([Buffer.from([4, 32]), raw]))
            .digest("hex")
            .toUpperCase();
        assert.match(sh(["openssl", "x509", "-noout", "-ext", "subjectKeyIdentifier"], leaf.certPem).out, new RegExp(ski.match(/../g)!.join(":")));
    });
});

describe("tls stand-in: what it refuses, and what replaces", () => {
    it("refuses an argument it does not understand, the write-only inputs, and values the schema rejects", () => {
        const check = (type: string, inputs: Record<string, any>) => () => tlsStandIn.resource(type).check(res(type, inputs));
        const cert = { privateKeyPem: "x", validityPeriodHours: 1, allowedUses: [] };
        assert.throws(check(KEY, { algorithm: "ECDSA", bogus: 1 }), /does not understand 'bogus'/);
        assert.throws(check(SELF_SIGNED, { ...cert, subject: { commonName: "a", title: "b" } }), /subject: the stand-in does not understand 'title'/);
        assert.throws(check(SELF_SIGNED, { ...cert, privateKeyPemWo: "k", privateKeyPemWoVersion: 1 }), /privateKeyPemWo: write-only inputs are not imitated/);
        assert.throws(check(LOCALLY_SIGNED, { caPrivateKeyPemWo: "k" }), /caPrivateKeyPemWo: write-only/);
        assert.throws(check(SELF_SIGNED, { ...cert, setAuthorityKeyId: true }), /setAuthorityKeyId: true is not imitated/);
        assert.throws(check(KEY, { algorithm: "DSA" }), /algorithm: value must be one of: \["RSA" "ECDSA" "ED25519"\], got: "DSA"/);
        assert.throws(check(SELF_SIGNED, { ...cert, allowedUses: ["server"] }), /allowedUses: value must be one of/);
        assert.throws(check(SELF_SIGNED, { ...cert, validityPeriodHours: -1 }), /validityPeriodHours: value must be at least 0/);
        assert.throws(() => tlsStandIn.config.check({ proxy: "{}" }, "tls provider"), /proxy: not imitated/);
        // A preview's unknown values pass.
        check(SELF_SIGNED, { ...cert, privateKeyPem: UNKNOWN, subject: UNKNOWN })();
    });

    it("force-new inputs replace; earlyRenewalHours updates in place; defaults given explicitly change nothing", async () => {
        const { caKey, ca, request, leaf } = await chain();
        assert.strictEqual(diff(KEY, caKey, { algorithm: "ECDSA", ecdsaCurve: "P256", rsaBits: 2048 }), "same");
        assert.strictEqual(diff(KEY, caKey, { algorithm: "ECDSA", ecdsaCurve: "P384" }), "replace ecdsaCurve");
        const requested = { privateKeyPem: request.privateKeyPem, subject: request.subject, dnsNames: request.dnsNames, ipAddresses: request.ipAddresses };
        assert.strictEqual(diff(REQUEST, request, { ...requested, subject: { commonName: "10.0.0.5", organizationalUnit: "rotation 2" } }), "replace subject");
        assert.strictEqual(diff(REQUEST, request, { ...requested, privateKeyPem: UNKNOWN }), "replace privateKeyPem");
        const signed = { certRequestPem: leaf.certRequestPem, caPrivateKeyPem: leaf.caPrivateKeyPem, caCertPem: leaf.caCertPem, validityPeriodHours: 2160 };
        const uses = { allowedUses: leaf.allowedUses };
        assert.strictEqual(diff(LOCALLY_SIGNED, leaf, { ...signed, ...uses, isCaCertificate: false, earlyRenewalHours: 0 }), "same");
        assert.strictEqual(diff(LOCALLY_SIGNED, leaf, { ...signed, ...uses, validityPeriodHours: 24 }), "replace validityPeriodHours");
        assert.strictEqual(
            diff(LOCALLY_SIGNED, leaf, { ...signed, ...uses, caCertPem: UNKNOWN, allowedUses: ["server_auth"] }),
            "replace caCertPem allowedUses",
        );
        assert.strictEqual(diff(LOCALLY_SIGNED, leaf, { ...signed, ...uses, earlyRenewalHours: 48 }), "update");
        const updated = await tlsStandIn
            .resource(LOCALLY_SIGNED)
            .update(ctx, res(LOCALLY_SIGNED, leaf, leaf), res(LOCALLY_SIGNED, { ...signed, ...uses, earlyRenewalHours: 4000 }));
        assert.deepStrictEqual([updated.outputs.earlyRenewalHours, updated.outputs.readyForRenewal, updated.outputs.certPem], [4000, true, leaf.certPem]);
        // A stored maxPathLength left out is kept (UseStateForUnknown); isCaCertificate replaces.
        const caInputs = {
            privateKeyPem: ca.privateKeyPem,
            isCaCertificate: true,
            subject: ca.subject,
            validityPeriodHours: 87600,
            allowedUses: ca.allowedUses,
        };
        assert.strictEqual(diff(SELF_SIGNED, { ...ca, maxPathLength: 2 }, caInputs), "same");
        assert.strictEqual(diff(SELF_SIGNED, ca, { ...caInputs, isCaCertificate: false }), "replace isCaCertificate");
    });

    it("a certificate within earlyRenewalHours of its end: the next update replaces it, a refresh marks it ready", async () => {
        const { leaf } = await chain();
        const inputs = { certRequestPem: leaf.certRequestPem, caPrivateKeyPem: leaf.caPrivateKeyPem, caCertPem: leaf.caCertPem, validityPeriodHours: 2160 };
        const soon = new Date(Date.now() + 10 * HOUR).toISOString();
        const stored = { ...leaf, validityEndTime: soon };
        assert.strictEqual(diff(LOCALLY_SIGNED, stored, { ...inputs, allowedUses: leaf.allowedUses }), "same");
        assert.strictEqual(diff(LOCALLY_SIGNED, stored, { ...inputs, allowedUses: leaf.allowedUses, earlyRenewalHours: 24 }), "replace readyForRenewal");
        const refreshed = async (state: Record<string, any>) =>
            (await tlsStandIn.resource(LOCALLY_SIGNED).read!(ctx, res(LOCALLY_SIGNED, inputs, state)))!.outputs;
        assert.strictEqual((await refreshed({ ...stored, earlyRenewalHours: 24 })).readyForRenewal, true);
        assert.strictEqual((await refreshed(stored)).readyForRenewal, false);
    });

    it("through the protocol: a Create with the key sent as a secret answers every output", async () => {
        const provproto = require("@pulumi/pulumi/proto/provider_pb");
        const structproto = require("google-protobuf/google/protobuf/struct_pb");
        const key = await create(KEY, { algorithm: "ECDSA", ecdsaCurve: "P256" });
        const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: key.privateKeyPem };
        const req = new provproto.CreateRequest();
        req.setUrn(`urn:pulumi:s::p::${REQUEST}::csr`);
        req.setProperties(structproto.Struct.fromJavaScript({ privateKeyPem: secret, subject: { commonName: "c" } }));
        const server = new StandInServer(tlsStandIn, undefined) as any;
        const { err, value } = await new Promise<any>((resolve) => server.create({ request: req }, (e: any, v: any) => resolve({ err: e, value: v })));
        assert.ifError(err);
        const out = value.getProperties().toJavaScript();
        assert.deepStrictEqual(
            [out.keyAlgorithm, /^-----BEGIN CERTIFICATE REQUEST-----\n/.test(out.certRequestPem), value.getId().length],
            ["ECDSA", true, 40],
        );
    });
});
