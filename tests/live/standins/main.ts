/**
 * A stand-in provider plugin's entry point: `main.ts <docker|command|rancher2|tls> [engine address]`.
 * The engine starts it through a launcher installed as the plugin (engine/cli.ts).
 */
import { commandStandIn } from "./commands";
import { dockerStandIn } from "./docker";
import { rancherStandIn } from "./rancher";
import { serve } from "./server";
import { tlsStandIn } from "./tls";

const standIns = { docker: dockerStandIn, command: commandStandIn, rancher2: rancherStandIn, tls: tlsStandIn };

const [kind, ...rest] = process.argv.slice(2);
const standIn = standIns[kind as keyof typeof standIns];
if (!standIn) {
    process.stderr.write(`stand-in provider: unknown kind ${JSON.stringify(kind)}; one of ${Object.keys(standIns).join(", ")}\n`);
    process.exit(2);
}
serve(standIn, rest).catch((e) => {
    process.stderr.write(`stand-in provider ${kind}: ${e instanceof Error ? e.stack : e}\n`);
    process.exit(1);
});
