/**
 * A preview on every surface a reviewer decides from (TUI detail, Slack, Teams, webhook payload,
 * `guard show`), redacted before any of them, and the rule that a preview runs only with the
 * requester's own rights: never when the requester is not the daemon's user, never for a command
 * that receives executor credentials.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMessage } from '../../src/channels/slack/blocks.js';
import { renderCard } from '../../src/channels/teams/card.js';
import { buildEnvelope } from '../../src/channels/webhook/payload.js';
import { formatDetail } from '../../src/cli/commands/requests.js';
import { compilePolicy, createEngine, type Decision } from '../../src/policy/index.js';
import { PREVIEW_LABEL, previewFor, type PreviewInput } from '../../src/preview/index.js';
import type { RequestPreview } from '../../src/request/state.js';
import { detailLines } from '../../src/tui/detail.js';
import { view } from '../channels/helpers.js';

const token = ['gh', 'p_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'].join('');
let dir: string;
let decision: Decision;
let preview: RequestPreview;
const uid = process.getuid?.() ?? 0;
const previewWith = (over: Partial<PreviewInput>) =>
  previewFor({ decision, cwd: dir, env: process.env, peerUid: uid, daemonUid: uid, credentialed: false, ...over });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'guard-preview-'));
  mkdirSync(join(dir, token));
  writeFileSync(join(dir, token, 'f'), 'abc');
  const engine = await createEngine();
  const { policy } = compilePolicy(
    [
      {
        file: 'p.yaml',
        layer: 'explicit',
        text: 'version: 1\nrules:\n  - { id: r, description: rm, effect: approve, match: { program: rm } }\n',
      },
    ],
    { engine },
  );
  decision = engine.evaluate({ argv: ['rm', '-rf', token], cwd: dir, requester: { user: 'u' } }, policy);
  const p = await previewWith({});
  preview = p!;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('preview on the surfaces', () => {
  it('is redacted and hashed before any surface sees it', () => {
    expect(preview).toMatchObject({ kind: 'rm-tree', status: 'ok', label: PREVIEW_LABEL });
    expect(preview.text).toMatch(/: 1 file\(s\), 1 directory, 0 symlink\(s\) \(not followed\), 3 bytes$/);
    expect(preview.text).not.toContain(token);
    expect(preview.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('TUI detail, Slack, Teams, webhook and guard show all carry it', () => {
    const v = view({ preview });
    const tui = detailLines(v, { width: 200, now: Date.now() })
      .map((l) => l.map((s) => s.text).join(''))
      .join('\n');
    expect(tui).toContain(`Preview: what rm -r removes (ok; ${PREVIEW_LABEL}):`);
    expect(tui).toContain('1 file(s), 1 directory');
    const slack = JSON.stringify(renderMessage(v, Date.now()));
    expect(slack).toContain('*Preview: what rm -r removes* (ok)');
    expect(slack).toContain('1 file(s), 1 directory');
    const teams = JSON.stringify(renderCard(v));
    expect(teams).toContain('Preview: what rm -r removes (ok)');
    expect(teams).toContain('1 file(s), 1 directory');
    const env = buildEnvelope('request.created', 'ops', v, { callbackUrl: undefined, decisions: true, nowMs: 0 });
    expect(env.request.preview).toEqual(preview);
    const shown = formatDetail({ view: v, votes: [], fingerprint: 'f'.repeat(64) });
    expect(shown).toContain(`preview   what rm -r removes (ok; ${PREVIEW_LABEL}) sha256 ${preview.sha256}`);
    for (const text of [tui, slack, teams, JSON.stringify(env), shown]) expect(text).not.toContain(token);
  });
});

describe('a preview runs only with the requester’s own rights', () => {
  it('not for a requester who is not the daemon’s user', async () => {
    const p = await previewWith({ peerUid: uid + 1 });
    expect(p).toMatchObject({ kind: 'rm-tree', status: 'skipped' });
    expect(p!.text).toMatch(/never runs with the daemon's rights/);
    const unknown = await previewWith({ peerUid: undefined });
    expect(unknown).toMatchObject({ status: 'skipped' });
  });

  it('not for a command the executor runs with credentials', async () => {
    const p = await previewWith({ credentialed: true });
    expect(p).toMatchObject({ status: 'skipped' });
    expect(p!.text).toMatch(/receives credentials/);
  });

  it('not at all when the daemon is configured without previews', async () => {
    const env = { ...process.env, GUARD_PREVIEW: 'off' };
    expect(await previewWith({ env })).toBeUndefined();
  });
});
