/** The identity: section: fail closed on anything that would weaken the provider link. */
import { describe, expect, it } from 'vitest';
import { loadIdentityConfig } from '../../src/identity/config.js';

const load = (yaml: string) => loadIdentityConfig(yaml, '/g/config.yaml');

describe('identity config', () => {
  it('absent section: no IdP; defaults filled in when present', () => {
    expect(load('channels: {}\n')).toBeUndefined();
    expect(load('')).toBeUndefined();
    expect(load('identity:\n  issuer: https://idp.example\n  client_id: c1\n')).toMatchObject({
      scopes: ['openid', 'email'],
      groups_claim: 'groups',
      allow_insecure_http: false,
    });
  });

  it('refuses plain http except on loopback with allow_insecure_http, naming file:line', () => {
    expect(() => load('identity:\n  issuer: http://idp.example\n  client_id: c1\n')).toThrow(
      /config.yaml:2:\d+: identity.issuer: the issuer must be https/,
    );
    expect(() => load('identity:\n  issuer: http://127.0.0.1:9/\n  client_id: c1\n')).toThrow(/must be https/);
    expect(() =>
      load('identity:\n  issuer: http://evil.example/\n  client_id: c1\n  allow_insecure_http: true\n'),
    ).toThrow(/must be https/);
    expect(
      load('identity:\n  issuer: http://127.0.0.1:9\n  client_id: c1\n  allow_insecure_http: true\n'),
    ).toBeDefined();
  });

  it('refuses scopes without openid, unknown keys and bad YAML', () => {
    expect(() => load('identity:\n  issuer: https://i.example\n  client_id: c\n  scopes: [email]\n')).toThrow(
      /scopes must include openid/,
    );
    expect(() => load('identity:\n  issuer: https://i.example\n  client_id: c\n  client_secret: x\n')).toThrow(
      /client_secret/,
    );
    expect(() => load('identity: [\n')).toThrow(/YAML error/);
  });

  it('channel_subjects: Slack and Teams tables of IdP subjects; empty by default; other channels and non-string subjects refused', () => {
    const base = 'identity:\n  issuer: https://i.example\n  client_id: c\n';
    expect(load(base)?.channel_subjects).toEqual({ slack: {}, teams: {} });
    expect(
      load(`${base}  channel_subjects:\n    slack: { U0123: sub-1 }\n    teams: { a@x.com: sub-2 }\n`)
        ?.channel_subjects,
    ).toEqual({ slack: { U0123: 'sub-1' }, teams: { 'a@x.com': 'sub-2' } });
    expect(() => load(`${base}  channel_subjects:\n    webhook: { k: s }\n`)).toThrow(
      /config.yaml:5:\d+: identity.channel_subjects/,
    );
    expect(() => load(`${base}  channel_subjects:\n    slack: { U0123: [a, b] }\n`)).toThrow(
      /identity.channel_subjects.slack.U0123/,
    );
  });
});
