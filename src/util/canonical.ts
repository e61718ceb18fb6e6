/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). Used for ledger records and signed statements:
 * the bytes that are hashed and signed must be reproducible by any verifier.
 *
 * Refuses (throws CanonicalError) what has no canonical form: undefined, functions, symbols,
 * bigint, NaN/Infinity, lone UTF-16 surrogates, non-plain objects.
 */
export class CanonicalError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${message} at ${path || '$'}`);
    this.name = 'CanonicalError';
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function serializeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new CanonicalError('lone surrogate in string', path);
  return JSON.stringify(s);
}

function serialize(value: unknown, path: string, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalError('non-finite number', path);
      out.push(JSON.stringify(value)); // ECMAScript Number::toString, as JCS requires; -0 → 0
      return;
    case 'string':
      out.push(serializeString(value, path));
      return;
    case 'object': {
      if (Array.isArray(value)) {
        out.push('[');
        value.forEach((v, i) => {
          if (i > 0) out.push(',');
          serialize(v, `${path}[${i}]`, out);
        });
        out.push(']');
        return;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new CanonicalError('not a plain object', path);
      const keys = Object.keys(value).sort(); // UTF-16 code unit order, as JCS requires
      out.push('{');
      let first = true;
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) throw new CanonicalError('undefined value', `${path}.${k}`);
        if (!first) out.push(',');
        first = false;
        out.push(serializeString(k, `${path}.${k}`), ':');
        serialize(v, `${path}.${k}`, out);
      }
      out.push('}');
      return;
    }
    default:
      throw new CanonicalError(`cannot canonicalize a ${typeof value}`, path);
  }
}

/** Canonical JSON text of a value. */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  serialize(value, '', out);
  return out.join('');
}

/** Canonical JSON as UTF-8 bytes (the form that is hashed and signed). */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
