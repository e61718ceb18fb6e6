/**
 * The token a surface sends back for a scope choice (src/channels/scope-choice.ts, decision 1089):
 * every offered choice reads back as the grant offered; anything else is "once", a grant the
 * daemon checks against the bounds (numbers as sent), or refused as malformed.
 */
import { describe, expect, it } from 'vitest';
import { grantOfToken, offeredChoices } from '../../src/channels/scope-choice.js';
import { view } from './helpers.js';

const scoped = view({ grantBounds: { maxUses: 3, maxTtlSeconds: 3600, ttlSeconds: 900 }, session: 'S-1' });

describe('scope choice tokens', () => {
  it('each offered choice reads back as exactly the grant offered', () => {
    const choices = offeredChoices(scoped);
    expect(choices.map((c) => c.token)).toEqual(['once', 'u3-t900', 'u3-t3600', 'u3-t3600-session']);
    for (const c of choices) expect(grantOfToken(scoped, c.token)).toEqual({ ok: true, grant: c.grant });
  });

  it('numbers beyond the offer are read as sent (the daemon refuses them); malformed tokens are refused', () => {
    expect(grantOfToken(scoped, 'u1000-t900')).toMatchObject({ ok: true, grant: { uses: 1000, ttlSeconds: 900 } });
    for (const bad of [
      '',
      'u0-t900',
      'u03-t900',
      'u3-t0',
      'u3-t900-sessionx',
      'u1234567890-t1',
      ' u3-t900',
      'u3-t900\n',
    ])
      expect(grantOfToken(scoped, bad)).toMatchObject({ ok: false });
    expect(grantOfToken(view(), 'u3-t900-session')).toEqual({
      ok: false,
      reason: 'request r-1 names no agent session to grant',
    });
  });
});
