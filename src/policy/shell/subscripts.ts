import { addUnresolved, type Analysis, type Base } from './context.js';

/**
 * bash evaluates array subscripts as arithmetic wherever a name may carry one: `(( a[$(cmd)] ))`,
 * `[[ 'a[$(cmd)]' -eq 1 ]]`, `printf -v`, `read`, `test -v`, `declare -n`, `let`, `${!ref}` —
 * so a quoted string like 'a[$(cmd)]' runs cmd although the shell grammar sees plain text.
 * Any subscript holding a command substitution is judged as the commands inside it and is
 * unresolved (what the text becomes at run time is not followed).
 */
const SUBSCRIPT = /[A-Za-z_]\w*\[[^\]\n]*?(\$\(|`)/g;

export function subscriptCommands(a: Analysis, text: string, base: Base, judge: (script: string) => void): void {
  if (!text.includes('[')) return;
  let found = 0;
  for (const m of text.matchAll(SUBSCRIPT)) {
    const start = m.index + m[0].length;
    const body = m[1] === '`' ? backtickBody(text, start) : parenBody(text, start);
    if (body === undefined || body.trim() === '') continue;
    if (found++ === 0)
      addUnresolved(a, 'eval', base.text, 'an array subscript runs a command substitution when bash evaluates it');
    judge(body);
    if (found >= 8) break;
  }
}

function parenBody(text: string, from: number): string | undefined {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return text.slice(from, i);
  }
  return undefined;
}

function backtickBody(text: string, from: number): string | undefined {
  const end = text.indexOf('`', from);
  return end === -1 ? undefined : text.slice(from, end);
}
