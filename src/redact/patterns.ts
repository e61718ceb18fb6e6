import type { Span } from './types.js';

/**
 * Known token formats. Every regex is linear: fixed literal prefixes, bounded character classes
 * that cannot overlap what follows, no nested quantifiers. `keep` is how much of the match is a
 * public prefix that may stay visible.
 */
interface Format {
  kind: string;
  re: RegExp;
  keep: number;
  /** Extra check on the match (e.g. require a digit) to avoid look-alikes. */
  check?: (s: string) => boolean;
}

const B = '(?<![A-Za-z0-9_])';
const E = '(?![A-Za-z0-9_])';
const hasDigitAndLetter = (s: string): boolean => /[0-9]/.test(s) && /[A-Za-z]/.test(s);

function f(kind: string, src: string, keep: number, check?: (s: string) => boolean): Format {
  return check === undefined
    ? { kind, re: new RegExp(src, 'g'), keep }
    : { kind, re: new RegExp(src, 'g'), keep, check };
}

/** A constant table: the regexes are only used through matchAll, which clones them, so no state is shared. */
const FORMATS: readonly Format[] = Object.freeze([
  f('aws-access-key', `${B}(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}${E}`, 4),
  f('github-token', `${B}gh[pousr]_[A-Za-z0-9]{36,251}${E}`, 4),
  f('github-token', `${B}github_pat_[A-Za-z0-9_]{22,244}${E}`, 11),
  f('gitlab-token', `${B}gl(?:pat|dt|rt|ptt|cbt|oas|soat)-[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])`, 6),
  f('slack-token', `${B}xox[abposr]-[0-9A-Za-z-]{10,250}(?![A-Za-z0-9-])`, 5),
  f('slack-token', `${B}xapp-[0-9]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])`, 5),
  f('slack-webhook', `https://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{8,300}`, 24),
  f('stripe-key', `${B}(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,250}${E}`, 8),
  f('stripe-webhook-secret', `${B}whsec_[0-9A-Za-z+/=]{20,250}(?![A-Za-z0-9+/=])`, 6),
  f('google-api-key', `${B}AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])`, 4),
  f('npm-token', `${B}npm_[A-Za-z0-9]{36}${E}`, 4),
  f('pypi-token', `${B}pypi-AgE[A-Za-z0-9_-]{50,400}(?![A-Za-z0-9_-])`, 5),
  f(
    'openai-key',
    `${B}sk-(?:proj-|svcacct-|admin-|ant-[a-z]{3}[0-9]{2}-)?[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])`,
    3,
    hasDigitAndLetter,
  ),
  f('vault-token', `${B}hv[sbr]\\.[A-Za-z0-9_-]{24,250}(?![A-Za-z0-9_-])`, 4),
  f('sendgrid-key', `${B}SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])`, 3),
  f('digitalocean-token', `${B}do[opr]_v1_[a-f0-9]{64}${E}`, 7),
  f('docker-token', `${B}dckr_pat_[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])`, 9),
  f('huggingface-token', `${B}hf_[A-Za-z0-9]{34,40}${E}`, 3),
  f('jwt', `${B}eyJ[A-Za-z0-9_-]{8,4096}\\.eyJ[A-Za-z0-9_-]{2,16384}\\.[A-Za-z0-9_-]{0,4096}(?![A-Za-z0-9_-])`, 3),
]);

/** Every format above starts with one of these: one cheap test skips all of them for most strings. */
const ANY_PREFIX =
  /A(?:KIA|SIA|BIA|CCA|Iza)|gh[pousr]_|github_pat_|gl(?:pat|dt|rt|ptt|cbt|oas|soat)-|xox|xapp-|hooks\.slack|_live_|_test_|whsec_|npm_|pypi-|sk-|hv[sbr]\.|SG\.|do[opr]_v1_|dckr_pat_|hf_|eyJ/;

export function scanKnownFormats(s: string, out: Span[]): void {
  if (s.includes('-----BEGIN ')) scanPem(s, out);
  if (!ANY_PREFIX.test(s)) return;
  for (const fmt of FORMATS) {
    for (const m of s.matchAll(fmt.re)) {
      if (fmt.check !== undefined && !fmt.check(m[0])) continue;
      out.push({ start: m.index, end: m.index + m[0].length, kind: fmt.kind, keep: fmt.keep, priority: 3 });
    }
  }
}

const PEM_HEAD = /^-----BEGIN ([A-Z0-9 ]{0,40})PRIVATE KEY(?: BLOCK)?-----/;

/** PEM private key blocks. A block without its END line is redacted to the end of the string. */
function scanPem(s: string, out: Span[]): void {
  let from = 0;
  for (;;) {
    const at = s.indexOf('-----BEGIN ', from);
    if (at < 0) return;
    const head = PEM_HEAD.exec(s.slice(at, at + 80));
    if (head === null) {
      from = at + 11;
      continue;
    }
    const bodyStart = at + head[0].length;
    const endAt = s.indexOf('-----END ', bodyStart);
    let end = s.length;
    if (endAt >= 0) {
      const close = s.indexOf('-----', endAt + 9);
      end = close >= 0 && close - endAt < 80 ? close + 5 : endAt + 9;
    }
    out.push({ start: at, end, kind: 'private-key', keep: head[0].length, priority: 3 });
    from = end;
  }
}
