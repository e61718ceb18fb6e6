/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). Used for ledger records and signed statements:
 * the bytes that are hashed and signed must be reproducible by any verifier.
 *
 * Refuses (throws CanonicalError) what has no canonical form: undefined, functions, symbols,
 * bigint, NaN/Infinity, lone UTF-16 surrogates, non-plain objects.
 *
 * Hot path of ledger verification: strings are built by concatenation and the error path is
 * computed only when something is refused.
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

/** Thrown inside the recursion; the path is assembled while it unwinds. */
class Refusal extends Error {
  readonly segments: string[] = [];
  constructor(readonly reason: string) {
    super(reason);
  }
}

function serializeString(s: string): string {
  const j = JSON.stringify(s);
  // Well-formed JSON.stringify escapes lone surrogates as \udXXX; only then look closer.
  if (j.includes('\\u') && LONE_SURROGATE.test(s)) throw new Refusal('lone surrogate in string');
  return j;
}

function serialize(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new Refusal('non-finite number');
      return JSON.stringify(value); // ECMAScript Number::toString, as JCS requires; -0 → 0
    case 'string':
      return serializeString(value);
    case 'object':
      return Array.isArray(value) ? serializeArray(value) : serializeObject(value);
    default:
      throw new Refusal(`cannot canonicalize a ${typeof value}`);
  }
}

function serializeArray(value: unknown[]): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ',';
    try {
      out += serialize(value[i]);
    } catch (err) {
      if (err instanceof Refusal) err.segments.push(`[${i}]`);
      throw err;
    }
  }
  return `${out}]`;
}

function serializeObject(value: object): string {
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new Refusal('not a plain object');
  const keys = Object.keys(value).sort(); // UTF-16 code unit order, as JCS requires
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = (value as Record<string, unknown>)[k];
    try {
      if (v === undefined) throw new Refusal('undefined value');
      if (i > 0) out += ',';
      out += serializeString(k);
      out += ':';
      out += serialize(v);
    } catch (err) {
      if (err instanceof Refusal) err.segments.push(`.${k}`);
      throw err;
    }
  }
  return `${out}}`;
}

/** Canonical JSON text of a value. */
export function canonicalize(value: unknown): string {
  try {
    return serialize(value);
  } catch (err) {
    if (err instanceof Refusal) throw new CanonicalError(err.reason, err.segments.reverse().join(''));
    throw err;
  }
}

/** Canonical JSON as UTF-8 bytes (the form that is hashed and signed). */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
