import { compileGlob, globSource, isLiteral, type Glob } from './glob.js';
import type { Cmd } from '../shell/model.js';
import type { MatchDoc } from '../load/schema.js';
import type { PolicyRequest } from '../types.js';
import type { Word } from '../shell/words.js';
import { pathForms, resolvePath } from '../shell/paths.js';

/** A command's arguments classified once for all rules: flags, positionals, possible option values. */
export interface Tokens {
  args: Word[];
  /** Positional words (not options, or after `--`), with `maybeValue` when an option precedes them. */
  positional: { w: Word; maybeValue: boolean }[];
  flags: Word[];
  joined: string;
  /** `sqlText(joined)`. */
  sqlJoined: string;
  /** The value of an option that carries the command text (`psql -c "$SQL"`) is computed at run time. */
  payloadComputed: boolean;
  /**
   * Other spellings of path-like words (`pathForms` from this command's directories), kept for the
   * rules that test the same word after one another. Filled as rules ask.
   */
  forms?: Map<string, string[]> | undefined;
}

/** Options of database and script clients whose value is the text to run. */
const PAYLOAD_OPTS = new Set(['-c', '--command', '-e', '--execute', '-q', '--query', '-Q', '--eval']);

export function tokens(cmd: Cmd): Tokens {
  const positional: Tokens['positional'] = [];
  const flags: Word[] = [];
  let afterDD = false;
  let prevFlag = false;
  for (const w of cmd.args) {
    const t = w.text;
    if (!afterDD && t === '--') {
      afterDD = true;
      prevFlag = false;
      continue;
    }
    if (!afterDD && ((t.startsWith('-') && t.length > 1) || w.lead)) {
      flags.push(w);
      if (!w.lead) {
        prevFlag = !t.includes('=');
        continue;
      }
    }
    positional.push({ w, maybeValue: prevFlag || w.lead });
    prevFlag = false;
  }
  return new CommandTokens(cmd, positional, flags);
}

/**
 * Tokens with the text and the payload test built when a rule first reads them (most commands meet
 * no text rule). A class, not an object literal with getters: such a literal is built slowly and
 * read through slow property lookups, once per command and many times per rule (decision 0029).
 */
class CommandTokens implements Tokens {
  readonly args: Word[];
  forms: Map<string, string[]> | undefined = undefined;
  private joinedMemo: string | undefined = undefined;
  private sqlMemo: string | undefined = undefined;
  private payload: boolean | undefined = undefined;
  constructor(
    private readonly cmd: Cmd,
    readonly positional: Tokens['positional'],
    readonly flags: Word[],
  ) {
    this.args = cmd.args;
  }
  get joined(): string {
    return (this.joinedMemo ??= joinedText(this.cmd));
  }
  get sqlJoined(): string {
    return (this.sqlMemo ??= sqlText(this.joined));
  }
  get payloadComputed(): boolean {
    const args = this.cmd.args;
    return (this.payload ??=
      args.some((w, i) => w.lead && i > 0 && PAYLOAD_OPTS.has(args[i - 1]!.text)) ||
      args.some((w) => w.dynamic && /^(?:-[ceqQ]|--(?:command|execute|query|eval)=)\$/.test(w.text)));
  }
}

/** The words, values glued to short options, stdin and the text of files the command names. */
function joinedText(cmd: Cmd): string {
  // `-c"drop table x"`: the value glued to a short option is also text of its own
  let glued = '';
  for (const w of cmd.args) if (/^-[A-Za-z]./.test(w.text) && w.text[1] !== '-') glued += `\n${w.text.slice(2)}`;
  const files = cmd.fileText.length > 0 ? `\n${cmd.fileText.join('\n')}` : '';
  return cmd.args.map((w) => w.text).join(' ') + glued + (cmd.stdin !== undefined ? `\n${cmd.stdin}` : '') + files;
}

type FlagTest = (w: Word) => boolean;

function flagTest(pattern: string, abbreviations = true): FlagTest {
  const alts = pattern.split('|').map((alt): FlagTest => {
    if (alt.startsWith('--')) {
      const name = alt.includes('=') ? alt.slice(0, alt.indexOf('=')) : alt;
      const wantValue = alt.includes('=') ? compileGlob(alt.slice(alt.indexOf('=') + 1)) : undefined;
      return (w) => {
        const t = w.text;
        if (!t.startsWith('--')) return false;
        const eq = t.indexOf('=');
        const n = eq === -1 ? t : t.slice(0, eq);
        // getopt_long and git accept unambiguous prefixes: --forc, --del, --ha (git reset --hard).
        // Any prefix of one letter or more counts; an ambiguous one is refused by the tool.
        const same = n === name || (abbreviations && n.length >= 3 && name.startsWith(n));
        if (!same) return false;
        return wantValue === undefined || (eq !== -1 && wantValue(t.slice(eq + 1)));
      };
    }
    if (alt.length === 2) {
      const ch = alt[1]!;
      return (w) =>
        w.text.startsWith(alt[0]!) && !w.text.startsWith('--') && w.text.length > 1 && w.text.slice(1).includes(ch);
    }
    return (w) => w.text === alt;
  });
  return (w) => alts.some((f) => f(w));
}

export interface MatchResult {
  /** Index in Tokens.positional just after the matched subcommand words. */
  end: number;
  /** Some condition held only through a word computed at run time: a possible, not certain, match. */
  maybe: boolean;
}

export type Matcher = (cmd: Cmd, tok: Tokens, req: PolicyRequest) => MatchResult | undefined;

function seq(pos: Tokens['positional'], globs: Glob[], gi: number, from: number, st: { maybe: boolean }): number {
  if (gi === globs.length) return from;
  for (let i = from; i < pos.length; i++) {
    const p = pos[i]!;
    const certain = !p.w.lead && globs[gi]!(p.w.text);
    if (certain || p.w.lead) {
      const r = seq(pos, globs, gi + 1, i + 1, st);
      if (r !== -1) {
        if (!certain) st.maybe = true;
        return r;
      }
    }
    if (!p.maybeValue) break;
  }
  return -1;
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

/** One test for a list of globs: a set for the literal ones, one combined RegExp for the rest. */
function anyGlob(patterns: string[], ignoreCase = false): Glob {
  if (ignoreCase) {
    const re = new RegExp(`^(?:${patterns.map((p) => `(?:${globSource(p)})`).join('|')})$`, 'i');
    return (s) => re.test(s);
  }
  const literal = new Set(patterns.filter(isLiteral));
  const rest = patterns.filter((p) => !isLiteral(p));
  if (rest.length === 0) return (s) => literal.has(s);
  const re = new RegExp(`^(?:${rest.map((p) => `(?:${globSource(p)})`).join('|')})$`);
  return (s) => literal.has(s) || re.test(s);
}

function dirsOf(dirs: string[], cwd: string): string[] {
  return [cwd, ...dirs.map((d) => (d.startsWith('/') || d.startsWith('~') ? d : resolvePath(cwd, d)))];
}

/** A glob over path-like words that also tries the normalised / resolved spellings of each word. */
/** Every positional argument is a literal plain name in the working directory matching `names`. */
function onlyPlainNames(tok: Tokens, dirs: string[], names: (s: string) => boolean, scratch: Set<string>): boolean {
  if (dirs.length > 0 || tok.positional.length === 0) return false;
  return tok.positional.every(({ w }) => {
    if (w.dynamic || w.lead || w.glob) return false;
    // `/tmp/NAME`: one entry directly in a listed scratch directory (a link there is removed, not followed)
    const slash = w.text.lastIndexOf('/');
    if (w.text.startsWith('/') && scratch.has(w.text.slice(0, slash))) {
      const base = w.text.slice(slash + 1);
      return base !== '' && base !== '.' && base !== '..' && names(w.text);
    }
    const name = w.text.startsWith('./') ? w.text.slice(2).replace(/\/$/, '') : w.text.replace(/\/$/, '');
    return name !== '' && !name.includes('/') && name !== '.' && name !== '..' && names(name);
  });
}

type PathTest = (s: string, dirs: string[], cwd: string, tok: Tokens) => boolean;

/** `pathForms` of a word, once per command (`dirs` and `cwd` are the command's). */
function formsOf(s: string, dirs: string[], cwd: string, tok: Tokens): string[] {
  const seen = (tok.forms ??= new Map<string, string[]>());
  let f = seen.get(s);
  if (f === undefined) {
    f = pathForms(s, dirs.length === 0 ? [cwd] : dirsOf(dirs, cwd));
    seen.set(s, f);
  }
  return f;
}

function pathGlob(patterns: string[], g: Glob): PathTest {
  if (!patterns.some((p) => p.includes('/'))) return (s) => g(s);
  return (s, dirs, cwd, tok) => g(s) || formsOf(s, dirs, cwd, tok).some(g);
}

/** Compile the non-program parts of a rule's match into one predicate. Throws on a bad regex. */
export function compileMatch(m: MatchDoc): Matcher {
  const ic = m.ignore_case === true;
  const anyProgram = m.program === '*' || (Array.isArray(m.program) && m.program.includes('*'));
  const sub = list(m.subcommand).map((p) => compileGlob(p, ic));
  const flags = (m.flags ?? []).map((f) => flagTest(f));
  // exclusions take exact names only: an abbreviation must never make a rule weaker
  const noFlags = (m.no_flags ?? []).map((f) => flagTest(f, false));
  const options = Object.entries(m.options ?? {}).map(([names, value]) => ({
    names: names.split('|'),
    value: compileGlob(value, ic),
  }));
  const anyArg = m.any_arg ? pathGlob(m.any_arg, anyGlob(m.any_arg, ic)) : undefined;
  const noArg = m.no_arg ? anyGlob(m.no_arg, ic) : undefined;
  const text = m.text !== undefined ? new RegExp(m.text, 'i') : undefined;
  const noText = m.no_text !== undefined ? new RegExp(m.no_text, 'i') : undefined;
  const sql = m.sql === true;
  const literalArgs = m.literal_args === true;
  // a key with glob characters (`GUARD_*`) matches any variable the line itself assigns by that name
  const env = Object.entries(m.env ?? {}).map(([k, v]) => ({
    k,
    key: /[*?[]/.test(k) ? compileGlob(k) : undefined,
    g: compileGlob(v),
  }));
  const cwd = m.cwd !== undefined ? anyGlob(list(m.cwd)) : undefined;
  const user = m.requester?.user !== undefined ? anyGlob(list(m.requester.user)) : undefined;
  const agent = m.requester?.agent !== undefined ? anyGlob(list(m.requester.agent)) : undefined;
  const fedBy = m.fed_by ? anyGlob(m.fed_by) : undefined;
  const via = m.via ? anyGlob(m.via) : undefined;
  const writes = m.writes ? pathGlob(m.writes, anyGlob(m.writes)) : undefined;
  const onlyArgs = m.unless_only_args ? anyGlob(m.unless_only_args) : undefined;
  const scratch = new Set(
    (m.unless_only_args ?? []).filter((p) => p.startsWith('/') && p.endsWith('/*')).map((p) => p.slice(0, -2)),
  );
  return (cmd, tok, req) => {
    if (onlyArgs !== undefined && onlyPlainNames(tok, cmd.dirs, onlyArgs, scratch)) return undefined;
    let end = 0;
    const st = { maybe: false };
    if (sub.length > 0) {
      end = seq(tok.positional, sub, 0, 0, st);
      if (end === -1) return undefined;
    }
    let flagWild = false;
    for (const f of flags) {
      if (tok.flags.some((w) => !w.lead && f(w))) continue;
      if (!tok.flags.some((w) => w.lead)) return undefined;
      st.maybe = true;
      flagWild = true;
    }
    // a quoted computed word is one word: used as the missing flag, it is no longer a target
    if (flagWild && !tok.args.some((w) => w.lead && w.split === true) && !targetBesideFlag(tok)) return undefined;
    for (const f of noFlags) if (tok.flags.some((w) => !w.lead && f(w))) return undefined;
    for (const o of options) {
      const r = optionMatches(tok.args, o.names, o.value);
      if (r === 'no') return undefined;
      if (r === 'maybe') st.maybe = true;
    }
    if (anyArg && !tok.args.some((w) => !w.lead && anyArg(w.text, cmd.dirs, req.cwd, tok))) {
      if (literalArgs || !tok.args.some((w) => w.lead)) return undefined;
      st.maybe = true;
    }
    if (noArg && tok.args.some((w) => !w.lead && noArg(w.text))) return undefined;
    if (text || noText) {
      const subject = sql ? tok.sqlJoined : tok.joined;
      if (text && !text.test(subject)) {
        if (!tok.payloadComputed || anyProgram) return undefined;
        st.maybe = true; // `psql -c "$SQL"`: the text is computed at run time
      }
      if (noText && noText.test(subject)) return undefined;
    }
    for (const e of env) {
      if (e.key !== undefined) {
        const key = e.key;
        if (!Object.entries(cmd.assignments).some(([k, v]) => key(k) && e.g(v))) return undefined;
        continue;
      }
      const v = cmd.assignments[e.k] ?? req.env?.[e.k];
      if (v === undefined || !e.g(v)) return undefined;
    }
    if (cwd && !cwd(req.cwd)) return undefined;
    if (user && !user(req.requester.user)) return undefined;
    if (agent && !agent(req.requester.agent ?? '')) return undefined;
    if (fedBy && !cmd.fedBy.some((p) => fedBy(p))) return undefined;
    if (via && !cmd.via.some((p) => via(p))) return undefined;
    if (writes && !cmd.writes.some((p) => writes(p, cmd.dirs, req.cwd, tok))) return undefined;
    return { end, maybe: st.maybe };
  };
}

/** SQL (and psql meta-commands) that turn a string into code: literals must then be read too. */
const RUNS_STRINGS =
  /\\g|\bexec(?:ute)?\b|\bprepare\b|\bdblink|\bsp_executesql\b|\bcall\b|\bdo\b|\beval\b|\\set\b|\\i|\\o|\bprogram\b|\bquery_to_|\bxpath\b|\bcopy\b/i;

/** SQL text with the contents of '…' literals blanked (`select 'drop table x'` names no table). */
export function sqlText(s: string): string {
  // quotes in identifiers, comments, dollar quotes or escapes could hide where a literal ends
  if (RUNS_STRINGS.test(s) || /["`#$\\]|--|\/\*/.test(s) || s.length > 65536) return s;
  return s.replace(/'(?:[^']|'')*'/g, "''");
}

/** Some positional word is left when one quoted computed word is taken as a flag. */
function targetBesideFlag(tok: Tokens): boolean {
  const leads = tok.positional.filter((p) => p.w.lead).length;
  return leads >= 2 || tok.positional.some((p) => !p.w.lead);
}

function optionMatches(args: Word[], names: string[], value: Glob): 'yes' | 'maybe' | 'no' {
  let maybe = false;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const t = w.text;
    if (w.lead) maybe = true;
    if (t === '--') break;
    for (const n of names) {
      if (t === n) {
        const v = args[i + 1];
        if (v !== undefined && !v.lead && value(v.text)) return 'yes';
        if (v !== undefined && v.lead) maybe = true;
      } else if (n.startsWith('--') ? t.startsWith(`${n}=`) : t.startsWith(n) && !t.startsWith('--')) {
        const v = t.slice(n.length).replace(/^=/, '');
        if (value(v)) return 'yes';
      }
    }
  }
  return maybe ? 'maybe' : 'no';
}
