/**
 * The one quoting helper for every value that reaches a shell.
 *
 * Values are validated before they get here (see validate.ts), so quoting is a second
 * line of defence, not the only one: whatever a value holds, it reaches the shell as a
 * single literal word.
 */

/**
 * Quotes `value` as one POSIX shell word. Plain words made only of characters that no
 * shell treats specially are left bare so that generated scripts stay readable; anything
 * else is wrapped in single quotes, with embedded single quotes written as `'\''`.
 */
export function shq(value: string | number): string {
    const s = String(value);
    // "+": the empty word is not plain, and is quoted as ''.
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) {
        return s;
    }
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each value and joins them with spaces. */
export function shqAll(values: ReadonlyArray<string | number>): string {
    return values.map(shq).join(" ");
}

/**
 * `value` as text inside a double-quoted shell word (a message, a description): `"`, `$`,
 * `` ` `` and `\` are escaped, so it is taken literally there. A message is then one word,
 * `"glusterd on gluster-0 to answer"`, rather than three words run together
 * (`"glusterd on "gluster-0" to answer"`, which ShellCheck questions: SC2140).
 */
export function dq(value: string | number): string {
    return String(value).replace(/[\\"$`]/g, (c) => `\\${c}`);
}
