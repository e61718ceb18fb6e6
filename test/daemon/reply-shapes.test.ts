/**
 * The shapes `guard requests` and `guard show` check the daemon's answers with before zod
 * (src/daemon/reply-shapes.ts, decision 0033) mirror the zod schemas exactly, and nothing fits a
 * shape that its schema refuses (the schema stays the authority: a shape may only be stricter).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fits, REQUEST_DETAIL, REQUEST_PAGE, type Shape } from '../../src/daemon/reply-shapes.js';
import { replySchemas } from '../../src/daemon/replies.js';

interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  keyType?: { _zod: { def: Def } };
  valueType?: { _zod: { def: Def } };
  entries?: Record<string, string>;
  checks?: unknown[];
}

/** The shape a zod schema describes; throws on anything a shape cannot say. */
function shapeOf(schema: { _zod: { def: Def } }): Shape {
  const def = schema._zod.def;
  expect(def.checks ?? []).toEqual([]); // no refinement a shape would miss
  switch (def.type) {
    case 'string':
    case 'number':
    case 'boolean':
      return def.type;
    case 'enum':
      return { enum: Object.values(def.entries!) };
    case 'optional':
      return { optional: shapeOf(def.innerType!) };
    case 'array':
      return { array: shapeOf(def.element!) };
    case 'record':
      expect(shapeOf(def.keyType!)).toBe('string');
      return { record: shapeOf(def.valueType!) };
    case 'object':
      return { object: Object.fromEntries(Object.entries(def.shape!).map(([k, v]) => [k, shapeOf(v)])) };
    default:
      throw new Error(`a shape cannot describe a zod ${def.type}`);
  }
}

const asZod = (s: unknown) => s as { _zod: { def: Def } };

describe('request answer shapes', () => {
  it('mirror the zod schemas of `list` and `show`', () => {
    expect(REQUEST_PAGE).toEqual(shapeOf(asZod(replySchemas.list)));
    expect(REQUEST_DETAIL).toEqual(shapeOf(asZod(replySchemas.show)));
  });

  /** A value of the shape, with optional fields present or not and unknown keys sometimes added. */
  function valueOf(shape: Shape): fc.Arbitrary<unknown> {
    if (shape === 'string') return fc.string({ maxLength: 4 });
    if (shape === 'number') return fc.integer();
    if (shape === 'boolean') return fc.boolean();
    if ('enum' in shape) return fc.constantFrom(...shape.enum);
    if ('optional' in shape) return valueOf(shape.optional);
    if ('array' in shape) return fc.array(valueOf(shape.array), { maxLength: 2 });
    if ('record' in shape) return fc.dictionary(fc.string({ maxLength: 3 }), valueOf(shape.record), { maxKeys: 2 });
    const keys = Object.keys(shape.object);
    const required = keys.filter((k) => {
      const s = shape.object[k]!;
      return typeof s === 'string' || !('optional' in s);
    });
    const fields: Record<string, fc.Arbitrary<unknown>> = { later: fc.anything() };
    for (const k of keys) fields[k] = valueOf(shape.object[k]!);
    return fc.record(fields, { requiredKeys: required });
  }

  /** Wrong at one place: a field dropped, a value of another type, or the whole value replaced. */
  const junk = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.string({ maxLength: 3 }),
    fc.double(),
    fc.boolean(),
    fc.constant([]),
    fc.constant({}),
  );
  function broken(v: unknown, pick: number, replacement: unknown): unknown {
    const paths: (string | number)[][] = [];
    const walk = (x: unknown, at: (string | number)[]): void => {
      paths.push(at);
      if (Array.isArray(x)) x.forEach((e, i) => walk(e, [...at, i]));
      else if (typeof x === 'object' && x !== null)
        for (const [k, e] of Object.entries(x as Record<string, unknown>)) walk(e, [...at, k]);
    };
    walk(v, []);
    const path = paths[pick % paths.length]!;
    if (path.length === 0) return replacement;
    const copy = structuredClone(v) as Record<string | number, unknown>;
    let parent = copy;
    for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (replacement === undefined && !Array.isArray(parent)) delete parent[last];
    else parent[last] = replacement;
    return copy;
  }

  for (const [type, shape] of [
    ['list', REQUEST_PAGE],
    ['show', REQUEST_DETAIL],
  ] as const) {
    it(`${type}: every answer of the shape fits, and nothing fits that zod refuses`, () => {
      const schema = replySchemas[type];
      fc.assert(
        fc.property(valueOf(shape), fc.nat(), junk, (good, pick, replacement) => {
          expect(fits(shape, good)).toBe(true);
          expect(schema.safeParse(good).success).toBe(true);
          const bad = broken(good, pick, replacement);
          if (fits(shape, bad)) expect(schema.safeParse(bad).success).toBe(true);
        }),
        { numRuns: 3000 },
      );
    });
  }
});
