/** report.pdf: the report rendered by headless Chromium with a throw-away profile. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless as root, and nothing fetched behind our back (updates, sync, safe-browsing lists). */
export const CHROMIUM_QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function renderPdf(html: string, pdf: string, chromium = CHROMIUM): Promise<void> {
  if (!existsSync(chromium)) throw new Error(`${chromium} is not installed (needed for report.pdf)`);
  const profile = mkdtempSync(join(tmpdir(), 'guard-pdf-'));
  try {
    const args = [
      '--headless',
      ...CHROMIUM_QUIET_FLAGS,
      `--user-data-dir=${profile}`,
      '--no-pdf-header-footer',
      `--print-to-pdf=${pdf}`,
      pathToFileURL(html).href,
    ];
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((res, rej) => {
      const child = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c: Buffer) => {
        if (err.length < 8192) err += c.toString();
      });
      child.on('error', rej);
      child.on('close', (c) => res({ code: c, stderr: err }));
    });
    if (code !== 0 || !existsSync(pdf)) throw new Error(`chromium failed (exit ${code}): ${stderr.slice(-500)}`);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
