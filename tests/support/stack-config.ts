/**
 * A stack's config as the Pulumi CLI gives it to the program: the defaults that Pulumi.yaml
 * declares, overridden by the stack's file (Pulumi.<stack>.yaml), in the `ns:key` → value
 * form the SDK takes.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

export function stackConfig(stack: string): Record<string, unknown> {
    const file = path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    return { ...projectDefaults(), ...(doc.config ?? {}) };
}

/** The config keys Pulumi.yaml declares with a default, and their defaults. */
export function projectDefaults(): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as { config?: Record<string, { default?: unknown }> };
    return Object.fromEntries(
        Object.entries(doc.config ?? {})
            .filter(([, decl]) => decl && typeof decl === "object" && "default" in decl)
            .map(([key, decl]) => [key, decl.default]),
    );
}
