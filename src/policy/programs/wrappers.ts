import type { Word } from '../shell/words.js';

/**
 * Programs that run another program given as their arguments. Each is described as data:
 * which options take a value, how many positionals precede the command, which options carry a
 * shell script. The analyser peels them off (recursively) and judges what they run.
 */
export interface WrapperSpec {
  /** Options that take a value (`-u root`, `-uroot`, `--user root`, `--user=root`). */
  value?: string[];
  /** Positional words before the command (timeout DURATION, chroot NEWROOT). */
  positional?: number;
  /** Options whose value is a shell script (su -c, flock -c, script -c). */
  script?: string[];
  /** Options after which the wrapper runs nothing (command -v is a lookup). */
  lookup?: string[];
  /** NAME=value words before the command are environment assignments (env). */
  assignments?: boolean;
  /** Options whose value is split into words that start the command (env -S). */
  split?: string[];
  /** Without one of `exec`, the command words are joined and run by `sh -c` (watch). */
  shellString?: boolean;
  exec?: string[];
  /** `-N` (digits) is an option (nice -10). */
  numeric?: boolean;
  /** Also judge the wrapper itself (sudo -s, su, ssh): it does something on its own. */
  self?: boolean;
  /** Words put in front of the command it runs (`capsh -- args` runs `bash args`). */
  prefix?: string[];
}

const SUDO_VALUES = [
  '-u',
  '--user',
  '-g',
  '--group',
  '-C',
  '--close-from',
  '-D',
  '--chdir',
  '-h',
  '--host',
  '-p',
  '--prompt',
  '-r',
  '--role',
  '-t',
  '--type',
  '-U',
  '--other-user',
  '-T',
  '--command-timeout',
  '-R',
  '--chroot',
];

export const WRAPPERS: Record<string, WrapperSpec> = {
  sudo: {
    value: SUDO_VALUES,
    assignments: true,
    lookup: [
      '-l',
      '--list',
      '-v',
      '--validate',
      '-K',
      '--reset-timestamp',
      '--remove-timestamp',
      '-V',
      '--version',
      '-e',
      '--edit',
    ],
    self: true,
  },
  doas: { value: ['-u', '-C'], self: true },
  run0: {
    value: [
      '-u',
      '--user',
      '-g',
      '--group',
      '-D',
      '--chdir',
      '--setenv',
      '--unit',
      '--property',
      '--description',
      '--slice',
      '--nice',
      '--machine',
    ],
    self: true,
  },
  pkexec: { value: ['--user'], self: true },
  env: {
    value: [
      '-u',
      '--unset',
      '-C',
      '--chdir',
      '-P',
      // --default-signal, --ignore-signal, --block-signal take a value only as `--opt=SIG`
      '-a',
      '--argv0',
    ],
    assignments: true,
    split: ['-S', '--split-string'],
    // judged itself too: `env -u GUARD_SOCKET cmd` removes a variable the command relies on
    self: true,
  },
  timeout: { value: ['-s', '--signal', '-k', '--kill-after'], positional: 1 },
  nice: { value: ['-n', '--adjustment'], numeric: true },
  nohup: {},
  stdbuf: { value: ['-i', '--input', '-o', '--output', '-e', '--error'] },
  time: { value: ['-f', '--format', '-o', '--output'], self: true },
  command: { lookup: ['-v', '-V'] },
  exec: { value: ['-a'] },
  builtin: {},
  // -d/--differences take a value only as `-d=permanent`: `watch -d cmd` runs cmd
  watch: { value: ['-n', '--interval', '-q', '--equexit'], shellString: true, exec: ['-x', '--exec'] },
  chroot: { value: ['--userspec', '--groups'], positional: 1, self: true },
  unshare: {
    value: [
      '-S',
      '--setuid',
      '-G',
      '--setgid',
      '-R',
      '--root',
      '-w',
      '--wd',
      '--propagation',
      '--map-user',
      '--map-group',
      '--map-users',
      '--map-groups',
    ],
  },
  setsid: {},
  ionice: { value: ['-c', '--class', '-n', '--classdata'], lookup: ['-p', '--pid', '-P', '--pgid', '-u', '--uid'] },
  chrt: {
    value: ['-T', '--sched-runtime', '-P', '--sched-period', '-D', '--sched-deadline'],
    positional: 1,
    lookup: ['-p', '--pid'],
  },
  taskset: { positional: 1, lookup: ['-p', '--pid'] },
  flock: { value: ['-w', '--timeout', '-E', '--conflict-exit-code'], positional: 1, script: ['-c', '--command'] },
  su: {
    value: ['-g', '--group', '-G', '--supp-group', '-s', '--shell', '-w', '--whitelist-environment'],
    script: ['-c', '--command', '--session-command'],
    self: true,
    positional: 99,
  },
  runuser: {
    value: ['-u', '--user', '-g', '--group', '-G', '--supp-group', '-s', '--shell', '-w', '--whitelist-environment'],
    script: ['-c', '--command', '--session-command'],
    self: true,
  },
  script: {
    value: [
      '-E',
      '--echo',
      '-I',
      '--log-in',
      '-O',
      '--log-out',
      '-B',
      '--log-io',
      '-T',
      '--log-timing',
      '-m',
      '--logging-format',
      '-o',
      '--output-limit',
    ],
    script: ['-c', '--command'],
    positional: 99,
  },
  busybox: {},
  toybox: {},
  capsh: { prefix: ['bash'], self: true },
  'nix-shell': {
    value: ['-p', '--packages', '-A', '-I', '--arg', '--argstr', '-E', '--expr'],
    script: ['--run', '--command'],
    positional: 99,
  },
  coproc: {},
  // judged themselves too: `-o '|cmd'` pipes the trace into a command
  strace: { value: ['-o', '-e', '-p', '-s', '-u', '-a', '-b', '-E', '-I', '-O', '-P', '-S', '-X'], self: true },
  ltrace: { value: ['-o', '-e', '-p', '-s', '-u', '-a', '-A', '-D', '-l', '-n', '-x', '-L'], self: true },
  fakeroot: { value: ['-l', '--lib', '--faked', '-s', '-i'] },
  caffeinate: { value: ['-t', '-w'] },
  proxychains: { value: ['-f'] },
  proxychains4: { value: ['-f'] },
  torsocks: { value: ['-u', '-p', '-a', '-P'] },
  catchsegv: {},
  'dbus-run-session': { value: ['--config-file', '--dbus-daemon'] },
  sg: { positional: 1, shellString: true, self: true },
  nsenter: { value: ['-t', '--target', '-S', '--setuid', '-G', '--setgid', '-w', '--wd', '-r', '--root'], self: true },
  'systemd-run': {
    value: [
      '-u',
      '--unit',
      '-p',
      '--property',
      '-E',
      '--setenv',
      '--uid',
      '--gid',
      '--slice',
      '--description',
      '-M',
      '--machine',
      '-H',
      '--host',
      '--working-directory',
      '--on-active',
      '--on-boot',
      '--on-startup',
      '--on-unit-active',
      '--on-unit-inactive',
      '--on-calendar',
      '--timer-property',
      '--path-property',
      '--socket-property',
      '--service-type',
    ],
    self: true,
  },
  wsl: { value: ['-d', '--distribution', '-u', '--user', '--cd'] },
  // judged itself too: `screen -X stuff '…'` types into another session
  screen: {
    value: ['-S', '-c', '-e', '-h', '-p', '-s', '-t', '-T', '-L', '-Logfile', '-r', '-R', '-x', '-X', '-d', '-D'],
    self: true,
  },
  firejail: {},
  cgexec: { value: ['-g'] },
  prlimit: { value: ['-p', '--pid', '-o', '--output'] },
  numactl: {
    value: ['-N', '--cpunodebind', '-m', '--membind', '-C', '--physcpubind', '-i', '--interleave', '-p', '--preferred'],
  },
};

/** `runuser` without -u works like su: `runuser [-l] user -c 'script'`. */
export const RUNUSER_SU: WrapperSpec = { ...WRAPPERS.su!, positional: 99 };

/** Two-word wrappers: `<program> <sub> <command…>` (poetry run, bundle exec, uv run…). */
export const SUB_WRAPPERS: Record<string, { sub: string[]; spec: WrapperSpec }> = {
  poetry: { sub: ['run'], spec: {} },
  pipenv: { sub: ['run'], spec: {} },
  uv: {
    sub: ['run'],
    spec: {
      value: [
        '--with',
        '--python',
        '-p',
        '--project',
        '--directory',
        '--package',
        '--env-file',
        '--extra',
        '--group',
        '--index',
        '--index-url',
      ],
    },
  },
  bundle: { sub: ['exec'], spec: {} },
  npm: { sub: ['exec', 'x'], spec: { value: ['-p', '--package', '-w', '--workspace'], script: ['-c', '--call'] } },
  pnpm: {
    sub: ['exec', 'dlx'],
    spec: { value: ['--package', '-C', '--dir', '--filter', '-F'], script: ['-c', '--shell-mode'] },
  },
  yarn: { sub: ['exec', 'dlx'], spec: { value: ['-p', '--package'] } },
  bun: { sub: ['x'], spec: {} },
  direnv: { sub: ['exec'], spec: { positional: 1 } },
};

export interface Peeled {
  /** The wrapper's own words (options, positionals) up to the command. */
  own: Word[];
  /** The command it runs (possibly empty). */
  inner: Word[];
  /** Shell scripts it runs (su -c 'script'); dynamic scripts are unresolved. */
  scripts: Word[];
  assignments: Record<string, string>;
  /** The wrapper runs nothing (lookup or help). */
  lookup: boolean;
  /** Strings to split into words in front of the command (env -S). */
  split: Word[];
  /** A value word that the analyser cannot read statically in an option position. */
  dynamicOption: Word | undefined;
}

function optName(tok: string): { name: string; inline: string | undefined } {
  if (tok.startsWith('--')) {
    const eq = tok.indexOf('=');
    return eq === -1 ? { name: tok, inline: undefined } : { name: tok.slice(0, eq), inline: tok.slice(eq + 1) };
  }
  return { name: tok, inline: undefined };
}

/** Split the arguments of a wrapper into its own options and the command it runs. */
export function peel(spec: WrapperSpec, args: Word[]): Peeled {
  const value = new Set(spec.value ?? []);
  const script = new Set(spec.script ?? []);
  const lookup = new Set(spec.lookup ?? []);
  const split = new Set(spec.split ?? []);
  const execSet = new Set(spec.exec ?? []);
  const out: Peeled = {
    own: [],
    inner: [],
    scripts: [],
    assignments: {},
    lookup: false,
    split: [],
    dynamicOption: undefined,
  };
  let positional = spec.positional ?? 0;
  let shellString = spec.shellString === true;
  let i = 0;
  const take = (): Word | undefined => {
    const w = args[i];
    if (w !== undefined) out.own.push(w);
    i++;
    return w;
  };
  const onOption = (name: string, val: Word | undefined): void => {
    if (lookup.has(name)) out.lookup = true;
    if (val !== undefined && script.has(name)) out.scripts.push(val);
    if (val !== undefined && split.has(name)) out.split.push(val);
    if (execSet.has(name)) shellString = false;
  };
  const needsValue = (name: string): boolean => value.has(name) || script.has(name) || split.has(name);
  while (i < args.length) {
    const w = args[i]!;
    const tok = w.text;
    if (w.lead) {
      out.dynamicOption = w;
      break;
    }
    if (tok === '--') {
      take();
      break;
    }
    if (spec.numeric === true && /^-\d+$/.test(tok)) {
      take(); // nice -10
      continue;
    }
    if (tok.startsWith('--')) {
      take();
      const { name, inline } = optName(tok);
      if (inline !== undefined) onOption(name, { ...w, text: inline });
      else onOption(name, needsValue(name) ? take() : undefined);
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1) {
      take();
      for (let j = 1; j < tok.length; j++) {
        const name = `-${tok[j]!}`;
        if (needsValue(name)) {
          const rest = tok.slice(j + 1);
          onOption(name, rest !== '' ? { ...w, text: rest } : take());
          break;
        }
        onOption(name, undefined);
      }
      continue;
    }
    if (spec.assignments === true && /^[A-Za-z_][A-Za-z0-9_]*=/.test(tok)) {
      take();
      const eq = tok.indexOf('=');
      out.assignments[tok.slice(0, eq)] = tok.slice(eq + 1);
      continue;
    }
    if (positional > 0) {
      // su [user [args]] / script [file]: a positional only when no script option made it a runner
      if (spec.positional === 99) {
        take();
        continue;
      }
      positional--;
      take();
      continue;
    }
    break;
  }
  const rest = args.slice(i);
  if (spec.positional === 99) {
    // su user -- -c 'cmd': words after `--` go to the user's shell, which runs a -c script
    for (let j = 0; j < rest.length; j++) {
      const t = rest[j]!.text;
      if (script.has(t) && rest[j + 1] !== undefined) out.scripts.push(rest[++j]!);
      else if (/^-[a-z]*c$/.test(t) && rest[j + 1] !== undefined) out.scripts.push(rest[++j]!);
    }
    out.inner = [];
    return out;
  }
  if (shellString && rest.length > 0) {
    out.scripts.push({
      text: rest.map((r) => r.text).join(' '),
      dynamic: rest.some((r) => r.dynamic),
      lead: false,
      glob: false,
    });
    return out;
  }
  out.inner = rest.length > 0 && spec.prefix !== undefined ? [...spec.prefix.map(word), ...rest] : rest;
  return out;
}

function word(text: string): Word {
  return { text, dynamic: false, lead: false, glob: false };
}
