import { describe, expect, it } from 'vitest';
import { redactArgv, redactText } from '../../src/redact/index.js';
import { lookalikeCases, secretCases } from './corpus.js';

describe('redaction corpus', () => {
  const secrets = secretCases();
  const lookalikes = lookalikeCases();

  it('has at least 100 secret-bearing lines and 100 look-alikes', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(100);
    expect(lookalikes.length).toBeGreaterThanOrEqual(100);
  });

  it('recall is 100% on the known formats and secret positions', () => {
    const missed: string[] = [];
    for (const c of secrets) {
      const r = redactText(c.line);
      const leaked = c.secrets.filter((s) => r.value.includes(s));
      if (leaked.length > 0 || r.findings.length === 0) missed.push(`${r.value}   (leaked: ${leaked.join(', ')})`);
    }
    const recall = (secrets.length - missed.length) / secrets.length;
    process.stdout.write(
      `redaction recall: ${(recall * 100).toFixed(1)}% (${secrets.length - missed.length}/${secrets.length})\n`,
    );
    expect(missed).toEqual([]);
    expect(recall).toBe(1);
  });

  it('false-redaction rate on look-alikes is at most 3%', () => {
    const flagged: string[] = [];
    for (const line of lookalikes) {
      const r = redactText(line);
      if (r.findings.length > 0) flagged.push(`${r.value}  [${r.findings.map((f) => f.kind).join(',')}]`);
      else expect(r.value).toBe(line);
    }
    const rate = flagged.length / lookalikes.length;
    process.stdout.write(
      `false redactions: ${(rate * 100).toFixed(1)}% (${flagged.length}/${lookalikes.length})\n${flagged.map((f) => `  ${f}\n`).join('')}`,
    );
    expect(rate).toBeLessThanOrEqual(0.03);
  });

  it('argv form: the same lines split on blanks (no quotes) leak nothing either', () => {
    for (const c of secrets.filter((x) => !/['"\\]/.test(x.line))) {
      const argv = c.line.split(/\s+/).filter((w) => w !== '');
      const r = redactArgv(argv);
      expect(r.value).toHaveLength(argv.length);
      const joined = r.value.join(' ');
      for (const s of c.secrets) expect(joined, c.line).not.toContain(s);
    }
  });
});
