import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize, CanonicalError } from '../../src/util/canonical.js';

describe('RFC 8785 canonical JSON', () => {
  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    ) as Record<string, string>;
    // (JSON.parse would reorder "1" first: integer-like keys come first in JS objects)
    const keys = [...canonicalize(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map(
      (m) => JSON.parse(`"${m[1]}"`) as string,
    );
    expect(keys).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });

  it('serializes numbers as ECMAScript does (RFC 8785 §3.2.2.3 samples)', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [1e21, '1e+21'],
      [1e-7, '1e-7'],
      [0.000001, '0.000001'],
      [333333333.3333333, '333333333.3333333'],
      [9007199254740991, '9007199254740991'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
    ];
    for (const [n, s] of cases) expect(canonicalize(n)).toBe(s);
  });

  it('escapes strings minimally and keeps non-ASCII as UTF-8', () => {
    expect(canonicalize({ b: '\u2028é\u0001"\\', a: [null, true, false] })).toBe(
      '{"a":[null,true,false],"b":"\u2028é\\u0001\\"\\\\"}',
    );
  });

  it('refuses what has no canonical form, naming the path', () => {
    const bad: [unknown, RegExp][] = [
      [{ a: [1, { b: 'x\ud800' }] }, /lone surrogate in string at \.a\[1\]\.b/],
      [{ 'k\udc00': 1 }, /lone surrogate/],
      [{ n: NaN }, /non-finite number at \.n/],
      [[Infinity], /non-finite number at \[0\]/],
      [{ u: undefined }, /undefined value at \.u/],
      [{ d: new Date(0) }, /not a plain object at \.d/],
      [{ f: () => 1 }, /cannot canonicalize a function at \.f/],
      [10n, /cannot canonicalize a bigint at \$/],
    ];
    for (const [v, re] of bad) {
      expect(() => canonicalize(v)).toThrow(CanonicalError);
      expect(() => canonicalize(v)).toThrow(re);
    }
    expect(canonicalize('\ud83d\ude00')).toBe('"\ud83d\ude00"'); // a valid pair is fine
    expect(canonicalize('\\ud800')).toBe('"\\\\ud800"'); // the text "\ud800" is not a surrogate
  });

  it('is a fixed point: canonicalize(parse(canonicalize(x))) === canonicalize(x)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const c = canonicalize(v);
        expect(canonicalize(JSON.parse(c))).toBe(c);
      }),
      { numRuns: 500 },
    );
  });
});
