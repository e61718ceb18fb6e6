/** Drive a TUI in tmux on its own server (`-L socket`): run tmux commands and wait for the screen. */
import { spawnSync } from 'node:child_process';

export interface TmuxDriver {
  tmux: (...args: string[]) => string;
  /** The screen (of window t:0) once it matches; tmux has no change event, so it is re-read until it does. */
  screen: (re: RegExp) => Promise<string>;
}

export function tmuxDriver(socket: string, env: () => NodeJS.ProcessEnv): TmuxDriver {
  const tmux = (...args: string[]): string => {
    const r = spawnSync('tmux', ['-L', socket, ...args], {
      env: { ...env(), TERM: 'xterm-256color' },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const screen = async (re: RegExp): Promise<string> => {
    for (let tries = 0; ; tries++) {
      const s = tmux('capture-pane', '-p', '-J', '-t', 't:0');
      if (re.test(s)) return s;
      if (tries > 600) throw new Error(`screen never matched ${re}:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { tmux, screen };
}
