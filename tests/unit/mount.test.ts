import * as assert from "assert";
import { clientDockerArgs, clientDockerNote, mountInfo } from "../../components/mount";
import { resolveSpec } from "../../components/spec";
import { threeRemoteNodes } from "../helpers";

const THREE = [{ name: "gluster-0" }, { name: "gluster-1" }, { name: "gluster-2" }];

describe("what clients are told", () => {
    it("a client container gets FUSE, SYS_ADMIN and, in container mode, the cluster's network", () => {
        assert.deepStrictEqual(clientDockerArgs(resolveSpec("g", { nodes: THREE, network: { name: "storage-net" } })), [
            "--device",
            "/dev/fuse",
            "--cap-add",
            "SYS_ADMIN",
            "--network",
            "storage-net",
        ]);
    });

    it("in host mode, no network, and a hosts entry for each of extraHosts", () => {
        const spec = resolveSpec("g", {
            networkMode: "host",
            nodes: threeRemoteNodes(),
            clientCidrs: ["10.0.5.0/24"],
            extraHosts: { "gfs1.example.net": "10.10.0.1", "gfs2.example.net": "10.10.0.2" },
        });
        assert.deepStrictEqual(clientDockerArgs(spec), [
            "--device",
            "/dev/fuse",
            "--cap-add",
            "SYS_ADMIN",
            "--add-host",
            "gfs1.example.net:10.10.0.1",
            "--add-host",
            "gfs2.example.net:10.10.0.2",
        ]);
    });

    it("mounts from the first brick node with the others as backups, never repeating the first", () => {
        const m = mountInfo(resolveSpec("g", { nodes: [...THREE, { name: "gluster-3" }], volumeName: "v1", mountPoint: "/srv/v1" }));
        assert.deepStrictEqual(m.servers, ["gluster-0", "gluster-1", "gluster-2"]);
        assert.strictEqual(m.command, "mount -t glusterfs -o backup-volfile-servers=gluster-1:gluster-2 gluster-0:/v1 /srv/v1");
        assert.strictEqual(m.fstab, "gluster-0:/v1 /srv/v1 glusterfs defaults,_netdev,backup-volfile-servers=gluster-1:gluster-2 0 0");
    });

    it("the note names AppArmor's fix and the client package's version rule", () => {
        assert.strictEqual(
            clientDockerNote(),
            "On hosts where AppArmor confines containers (Ubuntu), also pass --security-opt apparmor=unconfined: the default profile denies the mount. " +
                "The client image needs the GlusterFS client (glusterfs-client) of the same major version as the servers.",
        );
    });
});
