import type { Word } from '../shell/words.js';

/**
 * Options whose value a program runs as a shell command (`tar --to-command`, `rsync -e`,
 * `man -P`, `zip -TT`, `gdb -ex 'shell …'`). A value prefix (`exec=`, `shell `, `!`) is removed.
 */
const COMMAND_OPTIONS: Record<string, { opts: string[]; prefix?: RegExp; required?: boolean }> = {
  tar: {
    opts: [
      '--to-command',
      '--checkpoint-action',
      '-I',
      '--use-compress-program',
      '--rsh-command',
      '-F',
      '--info-script',
      '--new-volume-script',
    ],
    prefix: /^exec=/,
  },
  gtar: {
    opts: ['--to-command', '--checkpoint-action', '-I', '--use-compress-program', '--rsh-command'],
    prefix: /^exec=/,
  },
  rsync: { opts: ['-e', '--rsh'] },
  zip: { opts: ['-TT', '--unzip-command'] },
  man: { opts: ['-P', '--pager'] },
  gdb: {
    opts: ['-ex', '--ex', '-eval-command', '--eval-command', '-iex'],
    prefix: /^\s*(?:shell\s+|!)/,
    required: true,
  },
};

/** Client-side shell escapes of database shells: psql `\!`, mysql `system`/`\!`, sqlite `.shell`/`.system`. */
const DB_SHELL_ESCAPE: Record<string, RegExp> = {
  psql: /(?:^|\n|;)\s*\\!\s*([^\n]*)/g,
  mysql: /(?:^|\n|;)\s*(?:\\!|system)\s+([^\n;]*)/gi,
  mariadb: /(?:^|\n|;)\s*(?:\\!|system)\s+([^\n;]*)/gi,
  sqlite3: /(?:^|\n)\s*\.(?:shell|system)\s+([^\n]*)/g,
  duckdb: /(?:^|\n)\s*\.(?:shell|system)\s+([^\n]*)/g,
};

export function optionCommands(name: string, args: Word[]): Word[] | undefined {
  const spec = COMMAND_OPTIONS[name];
  if (spec === undefined) return undefined;
  const out: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const t = w.text;
    for (const o of spec.opts) {
      let v: Word | undefined;
      if (t === o) v = args[++i];
      else if (o.startsWith('--') && t.startsWith(`${o}=`)) v = { ...w, text: t.slice(o.length + 1) };
      else if (!o.startsWith('--') && o.length === 2 && t.startsWith(o) && t.length > 2) v = { ...w, text: t.slice(2) };
      if (v === undefined) continue;
      if (spec.required !== true || spec.prefix!.test(v.text))
        out.push({ ...v, text: spec.prefix !== undefined ? v.text.replace(spec.prefix, '') : v.text });
      break;
    }
  }
  return out;
}

export function dbShellEscapes(name: string, args: Word[], stdin: string | undefined): Word[] | undefined {
  const re = DB_SHELL_ESCAPE[name];
  if (re === undefined) return undefined;
  const out: Word[] = [];
  for (const t of [...args.map((w) => w.text), stdin ?? ''])
    for (const m of t.matchAll(re))
      if (m[1]!.trim() !== '') out.push({ text: m[1]!, dynamic: false, lead: false, glob: false });
  return out.length > 0 ? out : undefined;
}
