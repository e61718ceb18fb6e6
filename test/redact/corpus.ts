import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expand, LOOKALIKE_FAKES, SECRET_FAKES } from './fakes.js';

export interface SecretCase {
  line: string;
  secrets: string[];
}

/** The corpus folder; bench/redact.ts passes it explicitly because it runs bundled elsewhere. */
const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

function rows(file: string, dir: string): string[][] {
  const text = readFileSync(join(dir, file), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
}

/** The secret-bearing corpus with placeholders expanded (one seed per line). */
export function secretCases(dir = CORPUS_DIR): SecretCase[] {
  return rows('secrets.tsv', dir).map((cols, i) => {
    const memo = new Map<string, string>();
    const line = expand(cols[0]!, SECRET_FAKES, 1000 + i, memo);
    return { line, secrets: cols.slice(1).map((s) => expand(s, SECRET_FAKES, 1000 + i, memo)) };
  });
}

export function lookalikeCases(dir = CORPUS_DIR): string[] {
  return rows('lookalikes.tsv', dir).map((cols, i) => expand(cols[0]!, LOOKALIKE_FAKES, 5000 + i));
}
