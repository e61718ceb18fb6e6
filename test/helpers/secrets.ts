/**
 * Scan bytes for secrets in every form a careless path could leave them in: raw, JSON-escaped,
 * URL-encoded, base64/base64url at any byte alignment, and distinctive fragments (a display form
 * that kept too much). Used by the end-to-end leak test on databases, logs and channel payloads.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Leak {
  secret: string;
  form: string;
  where: string;
}

/** The inner part of base64(pad + secret) that does not depend on surrounding bytes. */
function base64Cores(secret: Buffer): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), secret]).toString('base64');
    const from = Math.ceil(k / 3) * 4;
    const to = Math.floor((k + secret.length) / 3) * 4;
    const core = enc.slice(from, to);
    if (core.length >= 16) out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** Every needle to look for, with the name of its form. Fragments only for secrets ≥ 20 chars. */
export function secretForms(secret: string): { form: string; needle: string }[] {
  const forms: { form: string; needle: string }[] = [{ form: 'raw', needle: secret }];
  const add = (form: string, needle: string): void => {
    if (!forms.some((f) => f.needle === needle)) forms.push({ form, needle });
  };
  add('json-escaped', JSON.stringify(secret).slice(1, -1));
  add('url-encoded', encodeURIComponent(secret));
  add('form-encoded', encodeURIComponent(secret).replace(/%20/g, '+'));
  for (const b of base64Cores(Buffer.from(secret))) add('base64', b);
  for (const line of secret.split('\n')) if (line.length >= 40 && !line.startsWith('-----')) add('pem-line', line);
  if (secret.length >= 20 && !secret.includes('\n')) {
    add('tail-12', secret.slice(-12));
    const mid = Math.floor(secret.length / 2) - 6;
    add('middle-12', secret.slice(mid, mid + 12));
  }
  return forms;
}

/** Every (secret, form) found in `hay`, labelled with `where`. */
export function findLeaks(hay: Buffer | string, secrets: readonly string[], where: string): Leak[] {
  const buf = typeof hay === 'string' ? Buffer.from(hay) : hay;
  const leaks: Leak[] = [];
  for (const secret of secrets) {
    for (const { form, needle } of secretForms(secret)) {
      if (buf.includes(Buffer.from(needle))) leaks.push({ secret: secret.slice(0, 8) + '…', form, where });
    }
  }
  return leaks;
}

/** Every regular file below `dir` (sockets, fifos and links skipped). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** Leaks in every regular file below `dir`; returns also the files scanned (for the report). */
export function scanTree(dir: string, secrets: readonly string[]): { files: string[]; leaks: Leak[] } {
  const files = filesUnder(dir);
  return { files, leaks: files.flatMap((f) => findLeaks(readFileSync(f), secrets, f)) };
}
