import type { Node } from 'web-tree-sitter';
import { addUnresolved, derive, programsSince, union, type Analysis, type Base } from './context.js';
import { LIMITS, NO_STDIN, type StdinInfo } from './model.js';
import { fileKey, outputText } from './written-files.js';
import { resolveCommand } from './resolve.js';
import { assignmentVars, declaration } from './vars.js';
import { expandBraces, wordOf, type Word } from './words.js';
import { subscriptCommands } from './subscripts.js';
import { plainLine, type PlainLine } from './plain.js';

/**
 * Parse a shell line with tree-sitter-bash and judge every simple command in it: lists,
 * pipelines, compound statements, functions, substitutions anywhere (strings, assignments,
 * redirect targets, heredoc bodies). A tree with ERROR/MISSING nodes is unresolved, but what
 * could be parsed is still judged (so a deny inside a broken line still denies).
 */
export function parseScript(a: Analysis, text: string, base: Base): void {
  if (base.depth > LIMITS.maxScriptDepth) {
    addUnresolved(
      a,
      'too-deep',
      text,
      `scripts nested more than ${LIMITS.maxScriptDepth} levels (sh -c inside sh -c …)`,
    );
    return;
  }
  if (text.length > LIMITS.maxInputChars) {
    addUnresolved(a, 'too-long', text, `command text longer than ${LIMITS.maxInputChars} characters`);
    return;
  }
  // Line continuations (backslash-newline) are removed first, as the shell does: the grammar
  // splits `r\<newline>m` into two words. A heredoc must end with a newline for the grammar.
  const joined = text.includes('\\\n') ? text.replace(/(?<!\\)((?:\\\\)*)\\\n/g, '$1') : text;
  // most lines are commands of plain words: read them without the parser (decision 0032)
  const plain = a.treeOnly ? undefined : plainLine(joined);
  if (plain !== undefined && a.sink.nodes + plain.nodes <= LIMITS.maxNodes) {
    a.sink.nodes += plain.nodes;
    plainScript(a, plain, base);
    subscriptCommands(a, joined, base, (script) =>
      parseScript(a, script, derive(base, { depth: base.depth + 1, text: script })),
    );
    return;
  }
  const tree = a.parser.parse(joined.endsWith('\n') ? joined : `${joined}\n`);
  if (tree === null) {
    addUnresolved(a, 'parse-error', text, 'the shell parser returned no tree');
    return;
  }
  try {
    if (tree.rootNode.hasError)
      addUnresolved(
        a,
        'parse-error',
        text,
        'the command line does not parse as shell (unbalanced quote, bracket or keyword)',
      );
    walk(a, tree.rootNode, base, 0);
    subscriptCommands(a, joined, base, (script) =>
      parseScript(a, script, derive(base, { depth: base.depth + 1, text: script })),
    );
  } finally {
    tree.delete();
  }
}

/** What `walk` does with the tree of a plain line: judge each command in order (see `command`). */
function plainScript(a: Analysis, plain: PlainLine, base: Base): void {
  for (const cmd of plain.commands) {
    const assignments: Record<string, string> = { ...base.assignments };
    for (const [name, value] of cmd.assignments) assignments[name] = value;
    resolveCommand(a, cmd.words, derive(base, { assignments, argFedBy: [], text: cmd.text }));
  }
}

/** `type`: the node's type when the caller already read it (each read is a call into the parser). */
function walk(a: Analysis, node: Node, base: Base, depth: number, type: string = node.type): void {
  if (++a.sink.nodes > LIMITS.maxNodes) {
    if (!a.sink.unresolved.some((u) => u.kind === 'too-complex'))
      addUnresolved(a, 'too-complex', base.text, `more than ${LIMITS.maxNodes} syntax nodes`);
    return;
  }
  if (depth > LIMITS.maxTreeDepth) {
    if (!a.sink.unresolved.some((u) => u.kind === 'too-deep'))
      addUnresolved(a, 'too-deep', node.text.slice(0, 200), `syntax nested more than ${LIMITS.maxTreeDepth} levels`);
    return;
  }
  switch (type) {
    case 'command':
      command(a, node, base, [], depth);
      return;
    case 'pipeline':
      pipeline(a, flatten(node), base, undefined, depth);
      return;
    case 'redirected_statement':
      redirected(a, node, base, depth);
      return;
    case 'variable_assignment':
    case 'declaration_command':
    case 'unset_command':
      // `export PAGER='…'`, `PS4='$(…)'`, `BASH_ENV=<(…)`: values some program runs later
      assignmentVars(a, node, base);
      declaration(a, node, base);
      // the assignments were judged with the declaration: only substitutions inside them are left
      for (const c of type === 'variable_assignment' ? [node] : node.namedChildren) {
        const t = c?.type;
        if (c !== null && t !== undefined && !LEAVES.has(t))
          if (t === 'variable_assignment') children(a, c, base, depth + 1);
          else walk(a, c, base, depth + 1, t);
      }
      return;
    case 'command_substitution':
    case 'process_substitution':
      children(a, node, derive(base, { stdin: NO_STDIN, argFedBy: [], writes: [] }), depth + 1);
      return;
    default:
      children(a, node, base, depth + 1);
  }
}

/** Leaves that cannot hold a command: not worth a visit (each visit allocates wasm-backed nodes). */
const LEAVES = new Set([
  'word',
  'raw_string',
  'number',
  'ansi_c_string',
  'string_content',
  'variable_name',
  'file_descriptor',
  'heredoc_start',
  'heredoc_end',
  'heredoc_content',
  'comment',
  'special_variable_name',
  'test_operator',
  'regex',
]);

function children(a: Analysis, node: Node, base: Base, depth: number): void {
  for (const c of node.namedChildren) {
    if (c === null) continue;
    const t = c.type;
    if (!LEAVES.has(t)) walk(a, c, base, depth, t);
  }
}

function flatten(node: Node): Node[] {
  const out: Node[] = [];
  for (const c of node.namedChildren) {
    if (c === null || c.type === 'comment') continue;
    if (c.type === 'pipeline') out.push(...flatten(c));
    else out.push(c);
  }
  return out;
}

const REDIRECTS = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect']);
const EXPANSION = new Set(['command_substitution', 'process_substitution', 'simple_expansion', 'expansion']);

function hasExpansion(node: Node, depth = 0): boolean {
  if (depth > 8) return true;
  for (const c of node.namedChildren)
    if (c !== null && (EXPANSION.has(c.type) || hasExpansion(c, depth + 1))) return true;
  return false;
}

/** Where a command's stdin comes from according to its redirects. Walks substitutions inside them. */
function stdinOf(a: Analysis, redirects: Node[], base: Base, depth: number): StdinInfo | undefined {
  let info: StdinInfo | undefined;
  for (const r of redirects) {
    const before = a.sink.commands.length;
    if (r.type === 'herestring_redirect') {
      const target = r.namedChildren.find((c) => c !== null && c.type !== 'file_descriptor');
      children(a, r, { ...base, stdin: NO_STDIN, argFedBy: [], writes: [] }, depth + 1);
      const w = target ? wordOf(target) : undefined;
      info = { fedBy: programsSince(a, before), text: w?.text, dynamic: w === undefined || w.dynamic, piped: true };
    } else if (r.type === 'heredoc_redirect') {
      const body = r.namedChildren.find((c) => c !== null && c.type === 'heredoc_body');
      if (body) children(a, body, { ...base, stdin: NO_STDIN, argFedBy: [], writes: [] }, depth + 1);
      for (const c of r.namedChildren)
        if (c !== null && c.type === 'file_redirect')
          children(a, c, { ...base, stdin: NO_STDIN, argFedBy: [], writes: [] }, depth + 1);
      info = {
        fedBy: programsSince(a, before),
        text: body?.text ?? '',
        dynamic: body !== undefined && hasExpansion(body),
        piped: true,
      };
    } else {
      children(a, r, { ...base, stdin: NO_STDIN, argFedBy: [], writes: [] }, depth + 1);
      const isInput = r.children.some((c) => c !== null && (c.type === '<' || c.type === '<&' || c.type === '<>'));
      if (isInput) {
        const fed = programsSince(a, before);
        const dest = r.childForFieldName('destination');
        const written = dest !== null && !hasExpansion(dest) ? a.files.get(fileKey(a, wordOf(dest).text)) : undefined;
        if (written !== undefined) {
          info = {
            fedBy: union(fed, written.fedBy),
            text: written.text,
            dynamic: written.text === undefined,
            piped: true,
          };
          continue;
        }
        const generated =
          dest !== null &&
          (dest.type === 'process_substitution' ||
            hasExpansion(dest) ||
            EXPANSION.has(dest.type) ||
            /^(\/dev\/(stdin|fd\/|tcp\/|udp\/)|\/proc\/self\/fd\/)/.test(dest.text));
        info = { fedBy: fed, text: undefined, dynamic: generated, piped: true };
      }
    }
  }
  return info;
}

const WRITE_OPS = new Set(['>', '>>', '>|', '&>', '&>>', '<>']);

/** Targets of output redirections among these redirect nodes. */
function writesOf(redirects: Node[]): string[] {
  const out: string[] = [];
  for (const r of redirects) {
    if (r.type !== 'file_redirect') continue;
    const d = r.childForFieldName('destination');
    // `>& file` writes the file (bash's `&>`); `>&2` and `>&-` only duplicate or close a descriptor
    const dup = r.children.some((c) => c !== null && c.type === '>&') && d !== null && !/^(?:\d+|-)$/.test(d.text);
    if (!dup && !r.children.some((c) => c !== null && WRITE_OPS.has(c.type))) continue;
    if (d !== null) out.push(wordOf(d).text);
  }
  return out;
}

function mergeStdin(outer: StdinInfo, own: StdinInfo | undefined): StdinInfo {
  return own ?? outer;
}

function redirected(a: Analysis, node: Node, base: Base, depth: number): void {
  const body = node.childForFieldName('body');
  const redirects = node.namedChildren.filter((c): c is Node => c !== null && REDIRECTS.has(c.type));
  const before = a.sink.commands.length;
  if (body !== null && body.type === 'command') command(a, body, base, redirects, depth + 1);
  else if (body === null) {
    // `> /dev/sda` alone: the shell opens (and truncates) the target with no command; judge it as `:`
    stdinOf(a, redirects, base, depth);
    const writes = writesOf(redirects);
    if (writes.length > 0)
      resolveCommand(a, [{ text: ':', dynamic: false, lead: false, glob: false }], {
        ...base,
        writes: [...base.writes, ...writes],
        text: node.text,
      });
  } else {
    const own = stdinOf(a, redirects, base, depth);
    const writes = writesOf(redirects);
    if (body !== null)
      walk(
        a,
        body,
        {
          ...base,
          stdin: mergeStdin(base.stdin, own),
          writes: writes.length > 0 ? [...base.writes, ...writes] : base.writes,
        },
        depth + 1,
      );
  }
  // `cat <<EOF | sh`: the pipeline continues inside the heredoc redirect node
  const bodyCmds = a.sink.commands.slice(before);
  for (const r of redirects) {
    if (r.type !== 'heredoc_redirect') continue;
    for (const c of r.namedChildren) {
      if (
        c === null ||
        c.type === 'heredoc_start' ||
        c.type === 'heredoc_body' ||
        c.type === 'heredoc_end' ||
        c.type === 'file_redirect'
      )
        continue;
      if (c.type === 'pipeline') {
        const last = bodyCmds[bodyCmds.length - 1];
        pipeline(
          a,
          flatten(c),
          base,
          {
            programs: bodyCmds.map((x) => x.program),
            text: last ? outputText(last.program, last.args, last.stdin) : undefined,
          },
          depth + 1,
        );
      } else walk(a, c, base, depth + 1);
    }
  }
}

function pipeline(
  a: Analysis,
  stages: Node[],
  base: Base,
  prev: { programs: string[]; text: string | undefined } | undefined,
  depth: number,
): void {
  let fed = prev ? union(base.stdin.fedBy, prev.programs) : base.stdin.fedBy;
  let text = prev?.text;
  let piped = prev !== undefined;
  for (const stage of stages) {
    const stdin: StdinInfo = piped ? { fedBy: fed, text, dynamic: text === undefined, piped: true } : base.stdin;
    const before = a.sink.commands.length;
    walk(a, stage, derive(base, { stdin }), depth + 1);
    const produced = a.sink.commands.slice(before);
    fed = union(
      fed,
      produced.map((c) => c.program),
    );
    const last = produced[produced.length - 1];
    text = produced.length >= 1 && last !== undefined ? outputText(last.program, last.args, last.stdin) : undefined;
    piped = true;
  }
}

function command(a: Analysis, node: Node, base: Base, outerRedirects: Node[], depth: number): void {
  const words: Word[] = [];
  const assignments: Record<string, string> = { ...base.assignments };
  const redirects: Node[] = [...outerRedirects];
  const inner: Node[] = [];
  const innerTypes: string[] = [];
  for (const c of node.namedChildren) {
    if (c === null) continue;
    const t = c.type;
    if (t === 'command_name') words.push(wordOf(c));
    else if (t === 'variable_assignment') {
      const name = c.childForFieldName('name')?.text ?? '';
      const value = c.childForFieldName('value');
      assignments[name] = value !== null ? wordOf(value).text : '';
      inner.push(c);
      innerTypes.push(t);
    } else if (REDIRECTS.has(t)) redirects.push(c);
    else if (t !== 'comment') {
      words.push(wordOf(c));
      inner.push(c);
      innerTypes.push(t);
    }
  }
  for (const r of redirects) {
    if (r.type !== 'file_redirect') continue;
    const dests = r.childrenForFieldName('destination').filter((d): d is Node => d !== null);
    for (const d of dests.slice(1)) words.push(wordOf(d)); // substitutions in them are walked with the redirect
  }
  const before = a.sink.commands.length;
  let sub: Base | undefined;
  const subBase = (): Base => (sub ??= derive(base, { stdin: NO_STDIN, argFedBy: [], writes: [] }));
  inner.forEach((c, i) => {
    const t = innerTypes[i]!;
    if (LEAVES.has(t)) return;
    // the value of a leading VAR= is judged with the command (resolveCommand), only its substitutions here
    if (t === 'variable_assignment') children(a, c, subBase(), depth + 1);
    else walk(a, c, subBase(), depth + 1, t);
  });
  const name = node.childForFieldName('name');
  if (name !== null && name.namedChildCount === 1 && name.firstNamedChild?.type !== 'word')
    walk(a, name, subBase(), depth + 1);
  const argFedBy = programsSince(a, before);
  const own = stdinOf(a, redirects, base, depth);
  if (words.length === 0) return;
  const expanded: Word[] = [];
  for (const w of words) expanded.push(...expandBraces(w));
  const writes = writesOf(redirects);
  resolveCommand(
    a,
    expanded,
    derive(base, {
      assignments,
      argFedBy,
      stdin: mergeStdin(base.stdin, own),
      writes: writes.length > 0 ? [...base.writes, ...writes] : base.writes,
      text: node.text,
    }),
  );
}
