import { join } from 'node:path';
import { applySpans, detectSpans, mergeSpans } from '../src/redact/detect.js';
import { redactArgv, redactText } from '../src/redact/index.js';
import { lookalikeCases, secretCases } from '../test/redact/corpus.js';
import { fmt, median } from './lib.js';
import type { Suite } from './suites.js';

/** Lines per second of `f` over `lines`, best of several rounds of at least `ms` each. */
function rate(lines: string[], f: (line: string) => unknown, ms = 300): number {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      for (const l of lines) f(l);
      n += lines.length;
      t = performance.now();
    }
    rounds.push(n / ((t - t0) / 1000));
  }
  return median(rounds);
}

const split = (l: string): number => l.split(' ').length;
const words = (l: string): string[] => l.split(/\s+/).filter((w) => w !== '');

export const redactSuite: Suite = {
  name: 'redact',
  async run() {
    const dir = join(process.cwd(), 'test', 'redact', 'corpus');
    // the look-alikes that redact to nothing: the common exec path (a false positive would add a hash)
    const clean = lookalikeCases(dir).filter((l) => redactText(l).findings.length === 0);
    const secret = secretCases(dir).map((c) => c.line);
    const cleanArgv = clean.map(words);
    const row = (label: string, r: number, base: number): void => {
      process.stdout.write(
        `${label.padEnd(44)} ${fmt(r / 1000, 1).padStart(9)} k lines/s ${fmt(1e6 / r, 1).padStart(8)} µs/line   baseline/this ${fmt(base / r, 1)}×\n`,
      );
    };
    // warm up every path once
    rate(clean, split, 50);
    rate(clean, (l) => redactText(l), 50);
    const baseClean = rate(clean, split);
    const baseSecret = rate(secret, split);
    process.stdout.write(`corpus: ${clean.length} look-alike lines, ${secret.length} secret-bearing lines\n`);
    process.stdout.write(
      `${'baseline String.prototype.split(" ")'.padEnd(44)} ${fmt(baseClean / 1000, 1).padStart(9)} k lines/s\n`,
    );
    row(
      'redactText, look-alikes (no secret)',
      rate(clean, (l) => redactText(l)),
      baseClean,
    );
    let i = 0;
    row(
      'redactArgv, look-alikes (exec path)',
      rate(clean, () => redactArgv(cleanArgv[i++ % cleanArgv.length]!)),
      baseClean,
    );
    row(
      'detection only, secret lines (no hashing)',
      rate(secret, (l) => applySpans(l, mergeSpans(detectSpans(l, [])))),
      baseSecret,
    );
    row(
      'redactText, secret lines (with scrypt hash)',
      rate(secret, (l) => redactText(l), 1000),
      baseSecret,
    );
    const findings = secret.reduce((n, l) => n + redactText(l).findings.length, 0);
    process.stdout.write(
      `findings per secret line: ${fmt(findings / secret.length, 2)} (each costs one scrypt N=2^12 hash)\n`,
    );
  },
};
