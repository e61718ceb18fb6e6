import { describe, expect, it } from 'vitest';
import { decode, fixtureLines, heldMisses, sharedHarness } from './helpers.js';

const harness = sharedHarness('guard-bypass-');

const rows = fixtureLines('bypass-regressions.tsv').map((l) => {
  const [effect, command, note] = l.split('\t');
  return { effect: effect as 'deny' | 'hold', command: decode(command!), note: note ?? '' };
});

describe('bypass regressions (red-team pass, default pack)', () => {
  const h = { line: (c: string) => harness().line(c), argv: (a: string[]) => harness().argv(a) };
  it('is a labelled file of deny/hold rows with a note each', () => {
    expect(rows.length).toBeGreaterThanOrEqual(200);
    for (const r of rows) {
      expect(['deny', 'hold']).toContain(r.effect);
      expect(r.note).not.toBe('');
    }
  });

  it('holds every bypass found (deny rows are denied)', () => {
    expect(
      heldMisses(
        harness(),
        rows.map((r) => ({ expect: r.effect, command: r.command, label: r.note })),
      ),
    ).toEqual([]);
  });

  it('holds the same bypasses given as argv without a shell', () => {
    expect(h.argv(['ssh', '-p', '22', 'host', '--', 'rm', '-rf', '/']).effect).toBe('deny');
    expect(h.argv(['gosu', 'root', 'rm', '-rf', '/srv/app']).effect).not.toBe('allow');
    expect(h.argv(['git', '-c', 'alias.p=push --force', 'p']).effect).toBe('approve');
    expect(h.argv(['find', '/', '-delete']).effect).toBe('deny');
    expect(h.argv(['git', 'reset', '--ha']).effect).toBe('approve');
    expect(h.argv(['docker', 'exec', 'db', 'rm', '-rf', '/var/lib/postgresql/data']).effect).not.toBe('allow');
  });

  it('keeps the everyday neighbours of the fixed bypasses allowed', () => {
    const everyday = [
      "find . -name '*.pyc' -delete",
      'find /tmp/build -mtime +7 -delete',
      'docker run --rm -v "$PWD":/app -w /app node:20 npm test',
      'docker build -t app:dev .',
      'docker compose up -d',
      'git push origin main',
      'git push -u origin feature/x',
      'git config user.email agent@example.com',
      'git config alias.st status',
      'git -c color.ui=always log --oneline',
      'kubectl scale deploy/web --replicas=3',
      'kubectl get secrets',
      'kubectl get pods -o yaml',
      'python3 -c \'import re; print(re.compile("a").match("a"))\'',
      'node -e \'console.log(/a(b)/.exec("ab"))\'',
      'psql -c "DELETE FROM sessions WHERE expires < now()"',
      'psql -c "select * from users limit 5"',
      'curl -o data.json https://api.example.com/x && jq . data.json',
      'echo hello > notes.txt && cat notes.txt',
      'cd /etc && cat hosts',
      'cd src && rm -f old.ts',
      "sed -e 's/a/b/' input.txt",
      'awk \'{ print $1 | "sort -u" }\' access.log',
      'make -f Makefile build',
      'sort -o sorted.txt input.txt',
      'ssh host uptime',
      'ssh -p 2222 host -- ls /var/log',
      'npx prettier --check .',
      'npm exec -- tsc --noEmit',
      'chmod 755 script.sh',
      'install -m 644 x.conf /etc/app/x.conf',
      'aws ecs update-service --cluster c --service s --desired-count 2',
      'redis-cli GET key',
      'gh pr list',
      'tar -xzf release.tar.gz',
      'rsync -a dist/ host:/srv/www/',
      'man ls',
      'less README.md',
      "mysql -e 'select 1'",
      'time npm test',
      'AWS_PAGER= aws s3 ls',
    ];
    const held = everyday.filter((c) => h.line(c).effect !== 'allow');
    expect(held.map((c) => `${c} → ${h.line(c).reasons.join(' | ')}`)).toEqual([]);
  });

  it('fails closed on a file written with unknown content and then run', () => {
    const d = h.line('some-generator > x.sh && bash x.sh');
    expect(d.effect).toBe('approve');
    expect(d.unresolved.map((u) => u.kind)).toContain('generated-script');
  });

  it('judges the literal text of a script written in the same line', () => {
    expect(h.line("echo 'ls -la' > x.sh && bash x.sh").effect).toBe('allow');
    expect(h.line("echo 'rm -rf /' > x.sh && bash x.sh").effect).toBe('deny');
  });
});
