/** Reads a stack's config file (Pulumi.<stack>.yaml) into the `ns:key` → value form the SDK takes. */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

export function stackConfig(stack: string): Record<string, unknown> {
    const file = path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    return { ...(doc.config ?? {}) };
}
