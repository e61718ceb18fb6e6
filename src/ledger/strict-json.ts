/**
 * Finds the first duplicate object key in JSON text (JSON.parse silently keeps the last one).
 * Only used to explain why a record is not canonical; returns undefined when none is found.
 */
export function findDuplicateKey(text: string): string | undefined {
  const stack: { keys: Set<string> | undefined; expectKey: boolean }[] = [];
  // eslint-disable-next-line no-control-regex -- JSON strings exclude raw control characters
  const str = /"(?:[^"\\\u0000-\u001f]|\\.)*"/y;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '{') stack.push({ keys: new Set(), expectKey: true });
    else if (c === '[') stack.push({ keys: undefined, expectKey: false });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',' && top?.keys !== undefined) top.expectKey = true;
    else if (c === '"') {
      str.lastIndex = i;
      const m = str.exec(text);
      if (m === null) return undefined;
      i += m[0].length - 1;
      if (top?.keys !== undefined && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(m[0]) as string;
        } catch {
          return undefined;
        }
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
    }
  }
  return undefined;
}
