import type { Word } from '../shell/words.js';

export const GIT_COMMAND_KEYS =
  /^(?:alias\.[^=]+=\s*!|core\.(?:pager|editor|sshcommand|fsmonitor|askpass|hookspath)=|(?:pager|sequence)\.[^=]*=|sequence\.editor=|credential\.helper=\s*!|diff\.[^=]*\.(?:textconv|command)=|filter\.[^=]*\.(?:clean|smudge|process)=|gpg\.program=|ssh\.variant=)/i;

const GIT_VALUE_OPTS = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--exec-path', '--config-env']);

/**
 * Shell text and git commands hidden in git configuration: `-c alias.x='!cmd'`, `-c core.pager=…`,
 * `-c alias.p='push --force' p` (the alias is expanded), `-c remote.origin.mirror=true push`, and
 * the same keys written with `git config KEY VALUE` (they take effect in a later command).
 */
export function gitCarried(args: Word[]): Word[] {
  const out: Word[] = [];
  const lit = (text: string, like: Word): Word => ({ ...like, text });
  const settings: [string, Word][] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const t = args[i]!.text;
    if (!t.startsWith('-')) break;
    if (t === '-c') {
      const v = args[++i];
      if (v !== undefined) settings.push([v.text, v]);
    } else if (GIT_VALUE_OPTS.has(t)) i++;
  }
  const sub = args[i];
  const rest = args.slice(i + 1);
  if (sub?.text === 'config') {
    const pos = rest.filter(
      (w, j) =>
        !w.text.startsWith('-') && !/^(?:-f|--file|--type|--blob|--default|--comment)$/.test(rest[j - 1]?.text ?? ''),
    );
    const [k, v] = pos[0]?.text === 'set' || pos[0]?.text === 'add' ? [pos[1], pos[2]] : [pos[0], pos[1]];
    if (k !== undefined && v !== undefined) settings.push([`${k.text}=${v.text}`, v]);
  }
  for (const [kv, w] of settings) {
    const m = GIT_COMMAND_KEYS.exec(kv);
    if (m !== null) {
      out.push(lit(kv.slice(m[0].length), w));
      continue;
    }
    const alias = /^alias\.([^=]+)=\s*(.*)$/is.exec(kv);
    if (alias !== null) {
      // a git alias: `git <value> <args…>` when used here, and judged as such when only defined
      const extra = sub?.text === alias[1] ? rest.map((r) => shellQuoteLite(r.text)).join(' ') : '';
      out.push(lit(`git ${alias[2]!} ${extra}`.trim(), w));
      continue;
    }
    const push = /^remote\.[^=]+\.(push|mirror)=\s*(.*)$/is.exec(kv);
    if (
      push !== null &&
      (push[1]!.toLowerCase() === 'push'
        ? push[2]!.startsWith('+') || push[2]!.startsWith(':')
        : /^(true|yes|on|1)$/i.test(push[2]!))
    )
      out.push(
        lit(push[1]!.toLowerCase() === 'push' ? `git push origin ${shellQuoteLite(push[2]!)}` : 'git push --mirror', w),
      );
  }
  return out;
}

function shellQuoteLite(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
