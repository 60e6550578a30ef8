import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
// The SDK's marker of a value not known yet: what a preview holds for a command's output.
import { unknown } from "@pulumi/pulumi/output";
import { shq } from "./shell";
import { HostSpec } from "./spec";

/** What a host command does; the same shape for local and remote hosts. */
export interface HostCommandArgs {
    create: pulumi.Input<string>;
    /**
     * Defaults to `create`: every script is idempotent, so an input change (an update in
     * place) runs it again. A changed trigger *replaces* the command (the command SDK adds
     * replaceOnChanges ["triggers[*]"]): its create runs, and its delete, if any, runs too.
     */
    update?: pulumi.Input<string>;
    delete?: pulumi.Input<string>;
    triggers?: pulumi.Input<unknown[]>;
    /**
     * The scripts' standard input (create and update; the delete gets the stored one). It is
     * never logged nor quoted in an error (the provider quotes the script): the way secret
     * material reaches a host. Pass a secret: it is kept in the state as one.
     */
    stdin?: pulumi.Input<string>;
}

/**
 * The local engine's commands pin the Docker CLI to the engine the Docker provider uses:
 * DOCKER_HOST, else the default socket. The provider ignores `docker context use`; so must
 * the CLI.
 */
function localEnvironment(): Record<string, string> {
    return { DOCKER_CONTEXT: "default" };
}

/**
 * Declares a command that runs on `host`: `local.Command` for the local Docker engine's
 * machine, `remote.Command` over SSH for a remote host. The SSH key is a secret and never
 * reaches a log: the scripts do not print it, and remote commands receive no environment.
 * No script reads the previous run's output, so none is sent (a stock sshd refuses it with
 * a warning per command).
 *
 * The type (local or remote) follows the host, but a host declared another way (the local
 * engine as an SSH host on the same machine, or back) keeps each command: an alias to the
 * other type makes it the same resource, updated in place, instead of a new one whose
 * predecessor's stored delete would run at the end of the update and undo it.
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
        ...(args.stdin !== undefined ? { stdin: args.stdin } : {}),
        addPreviousOutputInEnv: false,
    };
    const other = host.ssh ? "command:local:Command" : "command:remote:Command";
    opts = { ...opts, aliases: [...(opts.aliases ?? []), { type: other }] };
    if (!host.ssh) {
        return new command.local.Command(name, { ...common, interpreter: ["/bin/sh", "-c"], environment: localEnvironment() }, opts);
    }
    // sshd runs a command with the login user's shell: through `sh -c`, a login shell other
    // than sh (zsh, fish) cannot change what the POSIX scripts mean.
    const viaSh = (script: pulumi.Input<string>) => pulumi.output(script).apply((s) => `sh -c ${shq(s)}`);
    return new command.remote.Command(
        name,
        {
            ...common,
            create: viaSh(common.create),
            update: viaSh(common.update),
            ...(common.delete !== undefined ? { delete: viaSh(common.delete) } : {}),
            connection: {
                host: host.ssh.host,
                port: host.ssh.port,
                user: host.ssh.user,
                privateKey: host.ssh.privateKey,
                ...(host.ssh.hostKey !== undefined ? { hostKey: host.ssh.hostKey } : {}),
            },
        },
        opts,
    );
}

/**
 * A command's stdout as the rest of the component reads it. A stdout that is not there (a
 * consumer's unit tests with mocks that echo the inputs) is "not known yet", as in a
 * preview: nothing downstream reads it, and nothing crashes.
 */
export function stdoutOf(cmd: command.local.Command | command.remote.Command): pulumi.Output<string> {
    return cmd.stdout.apply((s: string | undefined) => (s === undefined || s === null ? (unknown as unknown as string) : s));
}
