import { isNode, LineCounter, parseDocument, type Document } from 'yaml';

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
