// Stryker ignorers for this project (see stryker.config.mjs).
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";

/** The text of a string or template literal with no interpolation, else undefined. */
function literalText(node) {
    if (node.type === "StringLiteral") return node.value;
    if (node.type === "TemplateLiteral") return node.quasis.map((q) => q.value.cooked ?? "").join("${}");
    return undefined;
}

/**
 * A line of a generated shell script that is only a comment ("# ..."): removing or changing
 * it changes nothing the script does, so a mutant of it is equivalent by construction.
 * A shebang ("#!") is not a comment and is kept.
 */
const shellComments = {
    shouldIgnore(path) {
        const text = literalText(path.node);
        if (text === undefined) return undefined;
        const line = text.trimStart();
        if (line.startsWith("#") && !line.startsWith("#!") && !line.includes("\n")) {
            return "a comment line of a generated shell script: equivalent";
        }
        return undefined;
    },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, "shell-comments", shellComments)];
