/** Option parsing shared by the commander-free fast paths (src/cli/fast-exec.ts, src/cli/fast-hook.ts). */

/**
 * Store the option at `args[i]` (`--name value` or `--name=value`, names from `valued`) in `opts`
 * under commander's key; the index of the last word taken, or undefined for an unknown option or
 * a missing value.
 */
export function takeValued<K extends string>(
  args: readonly string[],
  i: number,
  valued: Readonly<Record<string, K>>,
  opts: { [P in K]?: string | undefined },
): number | undefined {
  const a = args[i]!;
  const eq = a.indexOf('=');
  const key = valued[eq === -1 ? a : a.slice(0, eq)];
  if (key === undefined) return undefined;
  if (eq !== -1) opts[key] = a.slice(eq + 1);
  else {
    if (i + 1 >= args.length) return undefined;
    opts[key] = args[++i];
  }
  return i;
}
