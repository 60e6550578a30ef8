import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { HostSpec } from "./spec";

/** What a host command does; the same shape for local and remote hosts. */
export interface HostCommandArgs {
    create: pulumi.Input<string>;
    /** Defaults to `create`: every script is idempotent, and a changed trigger must update, not replace. */
    update?: pulumi.Input<string>;
    delete?: pulumi.Input<string>;
    triggers?: pulumi.Input<any[]>;
}

/**
 * Declares a command that runs on `host`: `local.Command` for the local Docker engine's
 * machine, `remote.Command` over SSH for a remote host. The SSH key is a secret and never
 * reaches a log: the scripts do not print it, and remote commands receive no environment.
 */
export function hostCommand(
    name: string,
    host: HostSpec,
    args: HostCommandArgs,
    opts: pulumi.CustomResourceOptions,
): command.local.Command | command.remote.Command {
    const common = {
        create: args.create,
        update: args.update ?? args.create,
        ...(args.delete !== undefined ? { delete: args.delete } : {}),
        ...(args.triggers !== undefined ? { triggers: args.triggers } : {}),
    };
    if (!host.ssh) {
        return new command.local.Command(name, { ...common, interpreter: ["/bin/sh", "-c"] }, opts);
    }
    return new command.remote.Command(
        name,
        {
            ...common,
            connection: {
                host: host.ssh.host,
                port: host.ssh.port,
                user: host.ssh.user,
                privateKey: host.ssh.privateKey,
            },
        },
        opts,
    );
}
