/**
 * A tmux server of its own (`-L` unique socket) for the terminal tests: keys in with
 * `send-keys`, the screen back with `capture-pane -p`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
export const PASS = 'correct horse bob battery staple';

export class Tmux {
  readonly socket = `guard-test-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  run(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { env: this.env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** A detached session "t", 80×24, whose first window runs `command`. */
  session(command: string): void {
    this.run('new-session', '-d', '-s', 't', '-x', '80', '-y', '24', command);
  }

  keys(target: string, ...keys: string[]): void {
    for (const k of keys) this.run('send-keys', '-t', target, k);
  }

  type(target: string, text: string): void {
    this.run('send-keys', '-t', target, '-l', text);
  }

  screen(target: string): string {
    return this.run('capture-pane', '-p', '-t', target);
  }

  async waitScreen(target: string, re: RegExp, ms = 20_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = this.screen(target);
      if (re.test(s)) return s;
      if (Date.now() > deadline) throw new Error(`screen never matched ${re}:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { env: this.env });
    // tmux can leave its socket file behind
    const dir = this.env['TMUX_TMPDIR'] ?? '/tmp';
    rmSync(join(dir, `tmux-${process.getuid?.() ?? 0}`, this.socket), { force: true });
  }
}

export async function waitFile(path: string, re: RegExp, ms = 20_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${path} never matched ${re}: ${JSON.stringify(text)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
