import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

/** A parsed YAML document that can name the line:col of any path in it. */
export interface Located {
  doc: Document | undefined;
  value: unknown;
  errors: string[];
  at(path: readonly PropertyKey[]): string;
}

export function parseYaml(file: string, text: string): Located {
  const lc = new LineCounter();
  const pos = (offset: number): string => {
    const p = lc.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true });
  } catch (err) {
    return {
      doc: undefined,
      value: undefined,
      errors: [`${file}:1:1: cannot parse YAML: ${String(err)}`],
      at: () => `${file}:1:1`,
    };
  }
  const errors = doc.errors.map(
    (e) =>
      `${e.linePos ? `${file}:${e.linePos[0].line}:${e.linePos[0].col}` : pos(e.pos[0])}: ${e.message.split('\n')[0]!}`,
  );
  const at = (path: readonly PropertyKey[]): string => {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return pos(node.range[0]);
      if (n > 0) {
        // a missing key: point at its parent map
        continue;
      }
    }
    return `${file}:1:1`;
  };
  let value: unknown;
  if (errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 50 });
    } catch (err) {
      errors.push(`${file}:1:1: ${String(err)}`);
    }
  }
  return { doc, value, errors, at };
}

/**
 * What parseYaml yields for one text, as plain data: the value, and the line:col of every node
 * by its path. The build stores one per shipped policy file (see shipped.ts), so a start-up does
 * not spend a quarter of a second of CPU parsing YAML that was parsed when guard was built.
 */
export interface YamlSnapshot {
  value: unknown;
  /** JSON.stringify(path) → [line, col]. */
  positions: Record<string, [number, number]>;
  /**
   * Set by the build when the policy file schema accepted `value` and returned it unchanged, so a
   * load of this exact text need not validate it again (shipped-build.ts).
   */
  checked?: true;
}

/** The snapshot of a text that parses cleanly (undefined when it has errors: those need the parser). */
export function snapshotYaml(text: string): YamlSnapshot | undefined {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true });
  if (doc.errors.length > 0) return undefined;
  const positions: Record<string, [number, number]> = {};
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (!isNode(node)) return;
    if (node.range) {
      const p = lc.linePos(node.range[0]);
      positions[JSON.stringify(path)] = [p.line, p.col];
    }
    if (isMap(node))
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (typeof key === 'string' || typeof key === 'number') walk(pair.value, [...path, key]);
      }
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i]));
  };
  walk(doc.contents, []);
  return { value: doc.toJS({ maxAliasCount: 50 }), positions };
}

/** parseYaml's answer for a text whose snapshot is known. */
export function locatedFromSnapshot(file: string, snap: YamlSnapshot): Located {
  return {
    doc: undefined,
    value: snap.value,
    errors: [],
    at: (path) => {
      for (let n = path.length; n >= 0; n--) {
        const p = snap.positions[JSON.stringify(path.slice(0, n))];
        if (p !== undefined) return `${file}:${p[0]}:${p[1]}`;
      }
      return `${file}:1:1`;
    },
  };
}
