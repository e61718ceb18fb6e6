import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactArgv, redactText } from '../../src/redact/index.js';
import { SECRET_FAKES, rng } from './fakes.js';

/** Known formats whose fakes are single words (PEM spans lines; it has its own unit test). */
const FORMATS = [
  'AKIA',
  'ASIA',
  'GHP',
  'GHO',
  'GHU',
  'GHS',
  'GHR',
  'GHPAT',
  'GLPAT',
  'XOXB',
  'XOXP',
  'XAPP',
  'SLACKHOOK',
  'SKLIVE',
  'RKLIVE',
  'SKTEST',
  'AIZA',
  'JWT',
  'NPM',
  'OPENAI',
  'HVS',
];
/** Random surrounding text, including shell punctuation and quotes. */
const noise = fc.string({ unit: fc.constantFrom(...'ab Z09 =:-_/\'"`;|&()$\n\t#@.'.split('')), maxLength: 40 });
const sep = fc.constantFrom(' ', '\n', '"', "'", '=', ': ', ';', '(', '`', '|', '\t', ' --token ', '@');

describe('redactText properties', () => {
  it('never throws and never grows unboundedly', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const r = redactText(s);
        expect(typeof r.value).toBe('string');
        // each finding adds at most its marker: `…[redacted:<kind>]` (kinds are short)
        expect(r.value.length).toBeLessThanOrEqual(s.length + r.findings.length * 64);
        expect(r.findings.length).toBeLessThanOrEqual(Math.max(1, s.length));
      }),
      { numRuns: 300 },
    );
  });

  it('hides a known-format token embedded in random text', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FORMATS),
        fc.integer(),
        noise,
        sep,
        sep,
        noise,
        (fmt, seed, before, s1, s2, after) => {
          const token = SECRET_FAKES[fmt]!(rng(seed));
          const text = `${before}${s1}${token}${s2}${after}`;
          const r = redactText(text);
          expect(r.value).not.toContain(token);
          // and the secret body never survives in pieces longer than the public prefix
          expect(r.value).not.toContain(token.slice(-12));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('redactArgv keeps the shape and hides known formats in any element', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 20 }), { maxLength: 6 }),
        fc.constantFrom(...FORMATS),
        fc.integer(),
        fc.nat(6),
        (argv, fmt, seed, at) => {
          const token = SECRET_FAKES[fmt]!(rng(seed));
          const withSecret = [...argv];
          withSecret.splice(Math.min(at, argv.length), 0, token);
          const r = redactArgv(withSecret);
          expect(r.value).toHaveLength(withSecret.length);
          expect(r.value.join('\u0000')).not.toContain(token);
        },
      ),
      { numRuns: 100 },
    );
  });
});
