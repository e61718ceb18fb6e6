/**
 * `lazily` (decision 0041): a schema built on first use must behave as the schema itself, for
 * zod and for the code that looks schemas up in maps.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { lazily } from '../../src/util/lazily.js';

describe('lazily', () => {
  it('builds nothing until first used, then once', () => {
    let built = 0;
    const s = lazily(() => {
      built++;
      return z.strictObject({ a: z.string() });
    });
    expect(built).toBe(0);
    expect(s.safeParse({ a: 'x' }).success).toBe(true);
    expect(s.safeParse({ a: 1 }).success).toBe(false);
    expect(s.safeParse({ a: 'x', b: 1 }).success).toBe(false);
    expect(built).toBe(1);
  });

  it('composes: a lazy schema inside another, optional, extend, refine and instanceof', () => {
    const inner = lazily(() => z.string().regex(/^[a-z]+$/));
    const outer = lazily(() => z.strictObject({ name: inner, tag: inner.optional() }));
    const wider = lazily(() => outer.extend({ n: z.number() }).refine((v) => v.n > 0, 'positive'));
    expect(outer.parse({ name: 'abc' })).toEqual({ name: 'abc' });
    expect(outer.safeParse({ name: 'ABC' }).success).toBe(false);
    expect(outer.safeParse({ name: 'a', tag: '1' }).success).toBe(false);
    expect(wider.safeParse({ name: 'a', n: 1 }).success).toBe(true);
    expect(wider.safeParse({ name: 'a', n: 0 }).success).toBe(false);
    expect(outer instanceof z.ZodObject).toBe(true);
    expect(z.lazy(() => inner).safeParse('Q').success).toBe(false);
  });

  it('a lazy map of schemas: keys, own properties, membership and JSON are the real ones', () => {
    const bodies = lazily(() => ({ ping: z.literal('ping'), stop: z.literal('stop') }));
    expect(Object.keys(bodies)).toEqual(['ping', 'stop']);
    expect(Object.hasOwn(bodies, 'ping')).toBe(true);
    expect(Object.hasOwn(bodies, 'toString')).toBe(false);
    expect('stop' in bodies).toBe(true);
    expect(bodies.ping.safeParse('ping').success).toBe(true);
    expect(bodies.ping.safeParse('stop').success).toBe(false);
    const plain = lazily(() => ({ a: 1, b: [2] }));
    expect(JSON.stringify(plain)).toBe('{"a":1,"b":[2]}');
  });

  it('a builder that throws throws at every use, never yields a half-built value', () => {
    const s = lazily<z.ZodString>(() => {
      throw new Error('bad schema');
    });
    expect(() => s.safeParse('x')).toThrow('bad schema');
    expect(() => s.safeParse('x')).toThrow('bad schema');
  });
});
