/**
 * Inline interpreter code (`python -c`, `node -e`, heredocs into python…) is not parsed as a
 * language. The analyser looks for calls that start a shell or a process; when it finds one,
 * the line is unresolved (the code could run anything) and every string literal in the code is
 * also judged as a shell command, and every list of string literals as an argv, so
 * `os.system('rm -rf /')` and `subprocess.run(["rm", "-rf", "/"])` reach the rm rules.
 */
const COMMON =
  /\b(?:os\s*\.\s*(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)|subprocess|pty\s*\.\s*spawn|commands\s*\.\s*getoutput|child_process|exec(?:File)?Sync|spawnSync|Deno\s*\.\s*(?:run|Command)|Bun\s*\.\s*(?:spawn|\$)|IO\s*\.\s*popen|Open3|Kernel\s*\.\s*(?:system|exec|spawn)|shell_exec|passthru|proc_open|popen|Runtime\s*\.\s*getRuntime|do\s+shell\s+script)\b/;
/** Languages where backticks, qx// or %x{} run a shell, and a bare system()/exec() is a process call. */
const BACKTICK = /`|%x[{([<|]|\bqx\s*[{([</|]|\b(?:system|exec|spawn)\s*[( ]/;
const BACKTICK_LANGS = new Set(['ruby', 'perl', 'php', 'lua']);

/**
 * Code that builds code or reaches a function by a computed name (`__import__("os").system`,
 * `getattr(os, 'sys'+'tem')`, `exec(…)`, `require("child"+"_process")`): the scan cannot follow
 * it, so it counts as starting processes.
 */
const DYNAMIC =
  /(?<![.\w$])(?:__import__|getattr|importlib|exec|eval|execfile|compile|Function|binding)\s*\(|\b(?:ctypes|importlib)\b|\.\s*(?:system|popen|spawn|send|public_send|__send__|instance_eval|class_eval|const_get|method|dlopen)\s*\(|\brequire\s*\(\s*(?:[^'"`\s)]|['"`][^'"`]*['"`]\s*\+)|\bprocess\s*\.\s*(?:binding|dlopen)|(?<![.\w$])import\s*\(/;

/** Language-level recursive deletes and writes to block devices: no process, same effect as rm -rf / dd. */
const DESTRUCTIVE =
  /\b(?:rmtree|remove_tree|rm_rf|rm_r|remove_dir|remove_entry_secure|rimraf|rmSync|emptyDirSync|removeSync|RemoveAll)\b|\bfs\s*\.\s*(?:promises\s*\.\s*)?rm\s*\(|\bDeno\s*\.\s*remove\s*\(|\/dev\/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk|md|dm-|nbd|mapper\/|disk\/)/;

/** Does inline code delete trees or write devices without starting a process? */
export function destroysData(code: string): boolean {
  return DESTRUCTIVE.test(code);
}

/** Does inline code start processes or shells? (A heuristic: see docs/policy.md.) */
export function shellsOut(code: string, family: string): boolean {
  if (COMMON.test(code) || DYNAMIC.test(code)) return true;
  if (family === 'lua' && /\bos\s*\.\s*execute|io\s*\.\s*popen/.test(code)) return true;
  // PowerShell is a shell: guard does not parse it, so any inline PowerShell is unresolved
  if (family === 'pwsh') return true;
  if (family === 'tcl' && /\b(?:exec|spawn|open\s*"?\|)|\bfile\s+delete\b/.test(code)) return true;
  if (family === 'r' && /\b(?:system2?|shell|pipe|unlink)\s*\(/.test(code)) return true;
  if (family === 'jshell' && /\bProcessBuilder\b/.test(code)) return true;
  if (family === 'julia' && /\brun\s*\(|`|\brm\s*\(/.test(code)) return true;
  return BACKTICK_LANGS.has(family) && BACKTICK.test(code);
}

export interface Extracted {
  scripts: string[];
  argvs: string[][];
}

const STRING = /'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g;
const LIST =
  /\[\s*((?:(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")\s*,\s*)*(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")\s*,?\s*)\]/g;

function unquote(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

/** String literals (as shell lines) and lists of string literals (as argvs) in code. Bounded. */
export function extractCommands(code: string, limit = 200): Extracted {
  const argvs: string[][] = [];
  const scripts: string[] = [];
  for (const m of code.matchAll(LIST)) {
    if (argvs.length >= limit) break;
    const items = [...m[1]!.matchAll(STRING)].map((s) => unquote(s[1] ?? s[2] ?? s[3] ?? ''));
    if (items.length > 0) argvs.push(items);
  }
  for (const m of code.matchAll(STRING)) {
    if (scripts.length >= limit) break;
    const s = unquote(m[1] ?? m[2] ?? m[3] ?? '').trim();
    if (s !== '') scripts.push(s);
  }
  return { scripts, argvs };
}

const LIT = String.raw`(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")`;
const LIST_LIT = String.raw`\[\s*(?:${LIT}\s*,\s*)*${LIT}\s*,?\s*\]`;
const PY_KW = String.raw`(?:text|capture_output|check|shell|universal_newlines)\s*=\s*(?:True|False)|(?:stdout|stderr)\s*=\s*subprocess\s*\.\s*(?:PIPE|DEVNULL|STDOUT)`;
const JS_OPTS = String.raw`\{\s*(?:(?:stdio|encoding)\s*:\s*${LIT}\s*,?\s*)*\}`;
/** Process calls whose every argument is a literal (the strings are judged as the command they run). */
const LITERAL_CALLS: Record<string, RegExp> = {
  python: new RegExp(
    String.raw`\bsubprocess\s*\.\s*(?:run|call|check_call|check_output|Popen)\s*\(\s*(?:${LIT}|${LIST_LIT})(?:\s*,\s*(?:${PY_KW}))*\s*,?\s*\)|\bos\s*\.\s*system\s*\(\s*${LIT}\s*\)|\bimport\s+(?:os|subprocess|sys|json|re)(?:\s*,\s*(?:os|subprocess|sys|json|re))*\s*(?=;|\n|$)`,
    'g',
  ),
  node: new RegExp(
    String.raw`\brequire\s*\(\s*(['"])(?:node:)?child_process\1\s*\)\s*\.\s*execSync\s*\(\s*${LIT}(?:\s*,\s*${JS_OPTS})?\s*\)`,
    'g',
  ),
};

/**
 * Inline code whose only process calls take literal arguments, with no other way to start a
 * process or build code: the extracted strings are all it can run, so it is judged on them alone
 * (`python3 -c 'import subprocess; subprocess.run(["ls"])'`). Aliases, variables, `executable=`
 * or any other call keep it unresolved.
 */
export function literalCallsOnly(code: string, family: string): boolean {
  const calls = LITERAL_CALLS[family];
  if (calls === undefined) return false;
  const rest = code.replace(calls, ' ');
  return rest !== code && !shellsOut(rest, family);
}
