/**
 * Reading intent from the agents' conversation files (real temp files): Claude Code's transcript
 * lines, Codex's rollout lines, Gemini CLI's conversation document; a long file is read as a tail.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  hookIntent,
  INTENT_TEXT_CHARS,
  TRANSCRIPT_TAIL_BYTES,
  transcriptIntent,
} from '../../src/integrations/intent.js';

const dir = mkdtempSync(join(tmpdir(), 'guard-intent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const lines = (...o: unknown[]): string => o.map((x) => JSON.stringify(x)).join('\n') + '\n';

describe('transcript intent', () => {
  it('Claude Code: the last typed user message and the assistant text after it; tool results are not user text', () => {
    const p = file(
      'claude.jsonl',
      lines(
        { type: 'user', message: { role: 'user', content: 'first ask' } },
        { type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: 'old answer' }] } },
        { type: 'user', message: { role: 'user', content: [{ type: 'text', text: 'drop the temp tables' }] } },
        { type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: 'Checking first.' }] } },
        { type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'x' }] } },
        { type: 'user', isMeta: true, message: { role: 'user', content: 'caveat: meta' } },
        {
          type: 'assistant',
          message: {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Now dropping them.' },
              { type: 'tool_use', id: 't2', name: 'Bash', input: { command: 'psql -c "drop table t"' } },
            ],
          },
        },
      ),
    );
    expect(transcriptIntent(p)).toEqual({
      userMessage: 'drop the temp tables',
      agentExplanation: 'Checking first.\nNow dropping them.',
    });
  });

  it('Codex rollout: response_item messages; environment context is not the user', () => {
    const p = file(
      'codex.jsonl',
      lines(
        { type: 'session_meta', payload: { id: 'thread-1' } },
        {
          type: 'response_item',
          payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'clean the build dir' }] },
        },
        {
          type: 'response_item',
          payload: {
            type: 'message',
            role: 'user',
            content: [{ type: 'input_text', text: '<environment_context>cwd</environment_context>' }],
          },
        },
        {
          type: 'response_item',
          payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Removing build/.' }] },
        },
        { type: 'response_item', payload: { type: 'function_call', name: 'shell', arguments: '{}' } },
      ),
    );
    expect(transcriptIntent(p)).toEqual({ userMessage: 'clean the build dir', agentExplanation: 'Removing build/.' });
  });

  it('Gemini CLI: one JSON document with messages', () => {
    const p = file(
      'gemini.json',
      JSON.stringify({
        sessionId: 's-1',
        messages: [
          { id: '1', type: 'user', content: 'delete old logs' },
          { id: '2', type: 'gemini', content: 'I will remove logs older than a week.' },
        ],
      }),
    );
    expect(transcriptIntent(p)).toEqual({
      userMessage: 'delete old logs',
      agentExplanation: 'I will remove logs older than a week.',
    });
  });

  it('reads only the tail of a large file (the cut first line is skipped) and clips long text', () => {
    const filler = lines({ type: 'user', message: { role: 'user', content: 'x'.repeat(TRANSCRIPT_TAIL_BYTES) } });
    const p = file(
      'big.jsonl',
      filler +
        lines(
          { type: 'user', message: { role: 'user', content: 'y'.repeat(INTENT_TEXT_CHARS * 2) } },
          { type: 'assistant', message: { role: 'assistant', content: 'ok' } },
        ),
    );
    const got = transcriptIntent(p);
    expect(got.userMessage!.length).toBeLessThanOrEqual(INTENT_TEXT_CHARS);
    expect(got.userMessage).toMatch(/^y+ … y+$/);
    expect(got.userMessage).toContain(' … ');
    expect(got.agentExplanation).toBe('ok');
  });

  it('gives nothing for a missing file, a directory or garbage, and the tool description alone otherwise', () => {
    expect(transcriptIntent(join(dir, 'missing'))).toEqual({});
    expect(transcriptIntent(dir)).toEqual({});
    expect(transcriptIntent(file('garbage', '\u0000{not json\n'))).toEqual({
      userMessage: undefined,
      agentExplanation: undefined,
    });
    expect(hookIntent(undefined, {})).toBeUndefined();
    expect(hookIntent(join(dir, 'missing'), { description: 'List files' })).toEqual({
      userMessage: undefined,
      agentExplanation: 'List files',
      source: 'tool_input',
    });
  });
});
