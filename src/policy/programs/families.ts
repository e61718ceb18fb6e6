/** Program-name normalisation and the program families the analyser treats specially. */

/** Basename, lower-cased, without a Windows `.exe` suffix: `/usr/bin/RM.exe` → `rm`. */
export function programName(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  let base = slash === -1 ? path : path.slice(slash + 1);
  if (/\.exe$/i.test(base)) base = base.slice(0, -4);
  return base.toLowerCase();
}

export const SHELLS = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'mksh',
  'ash',
  'rbash',
  'yash',
  'fish',
  'csh',
  'tcsh',
  'posh',
  'oksh',
  'loksh',
  'pdksh',
]);

/** Interpreters and the options that take inline code. */
export const INTERPRETERS: Record<string, { code: string[]; value: string[]; stop: string[] }> = {
  python: { code: ['-c'], value: ['-W', '-X', '-Q'], stop: ['-m'] },
  node: {
    code: ['-e', '--eval', '-p', '--print'],
    value: ['-r', '--require', '--import', '--loader', '--input-type', '--env-file'],
    stop: [],
  },
  deno: { code: [], value: [], stop: [] },
  bun: { code: ['-e', '--eval', '-p', '--print'], value: [], stop: [] },
  perl: { code: ['-e', '-E'], value: ['-I', '-M', '-m'], stop: [] },
  ruby: { code: ['-e'], value: ['-I', '-r', '-C', '-E'], stop: [] },
  php: { code: ['-r'], value: ['-c', '-d', '-z'], stop: [] },
  lua: { code: ['-e'], value: ['-l'], stop: [] },
  osascript: { code: ['-e'], value: [], stop: [] },
  tcl: { code: ['-c'], value: ['-f'], stop: [] },
  r: { code: ['-e'], value: ['-f', '--file'], stop: [] },
  pwsh: {
    code: ['-c', '-command', '-Command', '-e', '-ec', '-EncodedCommand', '-encodedcommand'],
    value: ['-f', '-File'],
    stop: [],
  },
  jshell: { code: [], value: [], stop: [] },
  julia: { code: ['-e', '--eval', '-E', '--print'], value: [], stop: [] },
};

/** `python3.12` → `python`, `nodejs` → `node`: the family of an interpreter name. */
/** TypeScript runners take node's options (`tsx -e code`). */
const TS_RUNNERS = new Set(['tsx', 'ts-node', 'ts-node-esm', 'esno', 'esr', 'vite-node']);

export function interpreterFamily(name: string): string | undefined {
  if (/^python[0-9.]*$/.test(name) || name === 'pypy' || name === 'pypy3') return 'python';
  if (name === 'nodejs' || TS_RUNNERS.has(name)) return 'node';
  if (/^perl[0-9.]*$/.test(name)) return 'perl';
  if (/^ruby[0-9.]*$/.test(name)) return 'ruby';
  if (/^php[0-9.]*$/.test(name)) return 'php';
  if (/^lua(jit|[0-9.]*)$/.test(name)) return 'lua';
  if (name === 'tclsh' || name === 'wish' || name === 'expect' || /^tclsh[0-9.]+$/.test(name)) return 'tcl';
  if (name === 'r' || name === 'rscript') return 'r';
  if (name === 'pwsh' || name === 'powershell') return 'pwsh';
  if (name === 'irb') return 'ruby';
  return INTERPRETERS[name] !== undefined ? name : undefined;
}
