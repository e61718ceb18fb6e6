import { describe, expect, it } from 'vitest';
import { FailClosedError } from '../../src/errors.js';
import { confirmSecret, MAX_SCAN, redactArgv, redactDeep, redactEnv, redactText } from '../../src/redact/index.js';
import { SECRET_FAKES, rng } from './fakes.js';

const fake = (name: string, seed = 1): string => SECRET_FAKES[name]!(rng(seed));

describe('display form', () => {
  it('keeps a public prefix and names the kind', () => {
    const key = fake('AKIA');
    const r = redactArgv(['aws', 's3', 'ls', key]);
    expect(r.value[3]).toBe('AKIA…[redacted:aws-access-key]');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ where: 'argv', index: 3, kind: 'aws-access-key', start: 0, end: 20 });
  });

  it('shows no prefix for secrets without a public format', () => {
    expect(redactArgv(['mysql', '-uroot', '-phunter2pw']).value[2]).toBe('-p…[redacted:password-flag]');
    expect(redactText('curl -u bob:hunter2pw https://x').value).toBe('curl -u bob:…[redacted:basic-auth] https://x');
  });

  it('finding offsets point at the secret in the original string', () => {
    const tok = fake('GHP');
    const line = `git clone https://bot:${tok}@github.com/acme/api.git`;
    const r = redactText(line);
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(line.slice(f.start, f.end)).toBe(tok);
    expect(f).toMatchObject({ where: 'text', index: -1, kind: 'github-token' });
  });

  it('leaves text without secrets untouched and allocates no findings', () => {
    const line = 'git log --oneline 3f786850e387550fdab836ed7e6dc881de23001b..HEAD';
    expect(redactText(line)).toEqual({ value: line, findings: [] });
  });
});

describe('program-aware short flags', () => {
  it('-p is a password for mysql and a port for psql', () => {
    expect(redactArgv(['mysql', '-u', 'root', '-pS3cret!', 'db']).value[3]).toBe('-p…[redacted:password-flag]');
    expect(redactArgv(['psql', '-h', 'db', '-p', '5432']).value).toEqual(['psql', '-h', 'db', '-p', '5432']);
    expect(redactArgv(['ssh', '-p', '2222', 'host']).findings).toEqual([]);
  });

  it('docker -p is a port except after login', () => {
    expect(redactArgv(['docker', 'run', '-p', '8080:80', 'nginx']).findings).toEqual([]);
    expect(redactArgv(['docker', 'login', '-u', 'bob', '-p', 'pw-123', 'reg.example.com']).value[5]).toBe(
      '…[redacted:password-flag]',
    );
  });

  it('follows the program into sudo, env and bash -c scripts', () => {
    const r = redactArgv(['sudo', '-u', 'app', 'bash', '-c', 'mysql -uroot -phunter2x -e "drop table t"']);
    expect(r.value[5]).toBe('mysql -uroot -p…[redacted:password-flag] -e "drop table t"');
    expect(redactText(`sh -c "sh -c 'PGPASSWORD=hunter2x psql'"`).value).not.toContain('hunter2x');
  });

  it('hides VAR=secret assignments inside command lines', () => {
    const r = redactText('DB_PASSWORD=hunter2x API_TOKEN="a b c" LOG_LEVEL=debug ./run');
    expect(r.value).toBe('DB_PASSWORD=…[redacted:secret-env] API_TOKEN="…[redacted:secret-env]" LOG_LEVEL=debug ./run');
  });
});

describe('edge cases seen while building', () => {
  it.each([
    ['gh secret set NAME < secret.txt', 'gh secret set NAME < secret.txt'],
    ['echo "PASSWORD="hunter2x', 'echo "PASSWORD="…[redacted:secret-env]'],
    ['grep -r "api_key=" .', 'grep -r "api_key=" .'],
    ['echo ${GITHUB_TOKEN:+set}', 'echo ${GITHUB_TOKEN:+set}'],
    ['app --token-file /run/tok --password-file=/run/pw', 'app --token-file /run/tok --password-file=/run/pw'],
    ['openssl req -key k.pem -passin env:KEYPW', 'openssl req -key k.pem -passin env:KEYPW'],
    ['openssl enc -pass pass:hunter2x -in a', 'openssl enc -pass pass:…[redacted:password-flag] -in a'],
    ["x 'TOKEN='abc def", "x 'TOKEN='…[redacted:secret-env] def"],
    ['aws s3api get-object --bucket b --key a/b/c.jpg out', 'aws s3api get-object --bucket b --key a/b/c.jpg out'],
  ])('%s', (line, expected) => {
    expect(redactText(line).value).toBe(expected);
  });
});

describe('finding offsets', () => {
  it('map back through quotes and escapes of nested scripts', () => {
    const line = 'bash -c "mysql --password \\"a b\\" -e \\"select 1\\""';
    const r = redactText(line);
    expect(r.value).not.toContain('a b');
    expect(r.findings).toHaveLength(1);
    expect(line.slice(r.findings[0]!.start, r.findings[0]!.end)).toBe('a b');
    expect(confirmSecret(r.findings[0]!, 'a b')).toBe(true);
  });

  it('each argv finding confirms against exactly the bytes it covers', () => {
    const argv = ['curl', '-u', 'bob:pw-one', '-H', 'Authorization: Bearer tok-two-xyz', 'https://x:pw-three@h/'];
    const r = redactArgv(argv);
    expect(r.findings.map((f) => argv[f.index]!.slice(f.start, f.end))).toEqual(['pw-one', 'tok-two-xyz', 'pw-three']);
    for (const f of r.findings) expect(confirmSecret(f, argv[f.index]!.slice(f.start, f.end))).toBe(true);
  });
});

describe('redactEnv', () => {
  it('decides by name and by content', () => {
    const r = redactEnv({
      GITHUB_TOKEN: 'x1',
      PGPASSWORD: 'x2',
      MYSQL_PWD: 'x3',
      AWS_SECRET_ACCESS_KEY: 'x4',
      KEYBOARD: 'us',
      SSH_AUTH_SOCK: '/tmp/agent.sock',
      PWD: '/home/bob',
      TOKENIZERS_PARALLELISM: 'false',
      GOOGLE_APPLICATION_CREDENTIALS: '/secrets/sa.json',
      DATABASE_URL: 'postgres://app:hunter2x@db/prod',
      NOTE: `use ${fake('SKLIVE')}`,
    });
    expect(r.value).toEqual({
      GITHUB_TOKEN: '…[redacted:secret-env]',
      PGPASSWORD: '…[redacted:secret-env]',
      MYSQL_PWD: '…[redacted:secret-env]',
      AWS_SECRET_ACCESS_KEY: '…[redacted:aws-secret-key]',
      KEYBOARD: 'us',
      SSH_AUTH_SOCK: '/tmp/agent.sock',
      PWD: '/home/bob',
      TOKENIZERS_PARALLELISM: 'false',
      GOOGLE_APPLICATION_CREDENTIALS: '/secrets/sa.json',
      DATABASE_URL: 'postgres://app:…[redacted:url-credentials]@db/prod',
      NOTE: 'use sk_live_…[redacted:stripe-key]',
    });
    expect(r.findings.find((f) => f.key === 'PGPASSWORD')).toMatchObject({ where: 'env', index: -1, start: 0, end: 2 });
  });
});

describe('salted hash', () => {
  it('confirms the right value and only that one', () => {
    const r = redactText('mysql -pCorrectHorse9 db');
    const f = r.findings[0]!;
    expect(confirmSecret(f, 'CorrectHorse9')).toBe(true);
    expect(confirmSecret(f, 'CorrectHorse8')).toBe(false);
    expect(f.hash).toMatch(/^scrypt\$12\$8\$1\$[A-Za-z0-9_-]{43}$/);
  });

  it('uses a fresh salt per finding so equal secrets are not linkable', () => {
    const r = redactArgv(['x', '--password', 'samepw1', '--token', 'samepw1']);
    expect(r.findings).toHaveLength(2);
    expect(r.findings[0]!.salt).not.toBe(r.findings[1]!.salt);
    expect(r.findings[0]!.hash).not.toBe(r.findings[1]!.hash);
  });

  it('refuses malformed or hostile hash parameters instead of throwing or spinning', () => {
    expect(confirmSecret({ hash: 'garbage', salt: 'abc' }, 'x')).toBe(false);
    expect(confirmSecret({ hash: 'scrypt$30$8$1$AAAAAAAAAAAAAAAAAAAAAA', salt: 'AAAAAAAAAAAAAAAA' }, 'x')).toBe(false);
    expect(confirmSecret({ hash: 'scrypt$12$8$1$AAAAAAAAAAAAAAAAAAAAAA', salt: '!!' }, 'x')).toBe(false);
  });
});

describe('policy patterns', () => {
  it('redacts extra patterns, only group 1 when there is one', () => {
    const r = redactText('deploy --customer ACME-4711 --order ORD-123456', {
      patterns: [
        { name: 'customer', regex: 'ACME-\\d+' },
        { name: 'order', regex: 'ORD-(\\d+)' },
      ],
    });
    expect(r.value).toBe('deploy --customer …[redacted:policy:customer] --order ORD-…[redacted:policy:order]');
  });

  it('fails closed on a pattern that does not compile', () => {
    expect(() => redactArgv(['ls'], { patterns: [{ name: 'bad', regex: '(' }] })).toThrow(FailClosedError);
    expect(() => redactText('ls', { patterns: [{ name: 'bad', regex: '[' }] })).toThrow(/redaction pattern "bad"/);
  });
});

describe('limits', () => {
  it('redacts a value longer than the cap whole instead of skipping it', () => {
    const big = 'x'.repeat(MAX_SCAN + 1);
    const r = redactArgv(['curl', '-d', big]);
    expect(r.value[2]).toBe('…[redacted:oversize]');
    expect(r.findings[0]).toMatchObject({ kind: 'oversize', index: 2, start: 0, end: MAX_SCAN + 1 });
  });

  it('a PEM block without END is redacted to the end', () => {
    const r = redactText("echo '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA");
    expect(r.value).toBe("echo '-----BEGIN OPENSSH PRIVATE KEY-----…[redacted:private-key]");
  });

  it('stays fast on adversarial inputs (completes; no timing assertion)', () => {
    const n = MAX_SCAN - 10;
    const inputs = [
      'a='.repeat(n / 2),
      'a:'.repeat(n / 2),
      '-----BEGIN '.repeat(n / 11),
      'eyJ'.repeat(n / 3),
      'eyJaaaaaaaaa.'.repeat(n / 13),
      'https://a:'.repeat(n / 10),
      "'".repeat(n),
      '"\\'.repeat(n / 2),
      `${'a'.repeat(127)}=`.repeat(n / 128),
      'x '.repeat(n / 2),
      'bash -c "'.repeat(n / 9),
      'Bearer '.repeat(n / 7),
      'ghp_'.repeat(n / 4),
      '--password '.repeat(n / 11),
      `${'a='.repeat(n / 2 - 2)}:`,
    ];
    for (const s of inputs) {
      const r = redactText(s.slice(0, MAX_SCAN));
      expect(typeof r.value).toBe('string');
    }
  });
});

describe('redactDeep', () => {
  it('redacts nested strings, secret-named fields and keys; leaves the input alone', () => {
    const tok = fake('GHP');
    const input = {
      req: {
        argv: ['git', 'push', `https://x:${tok}@github.com/a/b`],
        env: { apiToken: 'abc' },
        n: 3,
        ok: true,
        nil: null,
      },
    };
    const r = redactDeep(input);
    expect(r.value).toEqual({
      req: {
        argv: ['git', 'push', 'https://x:ghp_…[redacted:github-token]@github.com/a/b'],
        env: { apiToken: '…[redacted:secret-env]' },
        n: 3,
        ok: true,
        nil: null,
      },
    });
    expect(input.req.env.apiToken).toBe('abc');
    expect(r.findings.map((f) => f.key).sort()).toEqual(['$.req.argv[2]', '$.req.env.apiToken']);
    expect(JSON.stringify(r.value)).not.toContain(tok);
  });

  it('survives cycles and absurd nesting', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a['self'] = a;
    expect(redactDeep(a).value).toEqual({ name: 'a', self: '[circular]' });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(JSON.stringify(redactDeep(deep).value)).toContain('too-deep');
  });
});

describe('bounded cost on secret-heavy input', () => {
  it('hides a string with too many secrets whole', () => {
    const line = Array.from({ length: 40 }, (_, i) => `T${i}_TOKEN=v${i}`).join(' ');
    const r = redactText(line);
    expect(r.value).toBe('…[redacted:too-many-secrets]');
    expect(r.findings).toHaveLength(1);
  });

  it('past the hashing budget secrets are still hidden, marked unhashed', () => {
    const argv = ['cmd', ...Array.from({ length: 70 }, (_, i) => `--password=pw${i}x`)];
    const r = redactArgv(argv);
    expect(r.value.slice(1).every((v) => v === '--password=…[redacted:password-flag]')).toBe(true);
    expect(r.findings).toHaveLength(70);
    expect(r.findings.filter((f) => f.hash === 'unhashed')).toHaveLength(6);
    expect(confirmSecret(r.findings[69]!, 'pw69x')).toBe(false);
    expect(confirmSecret(r.findings[0]!, 'pw0x')).toBe(true);
  });
});
