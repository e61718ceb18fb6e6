/**
 * Idle and half-sent connections cannot exhaust the daemon: thousands of idle sockets do not use up
 * its file descriptors, hundreds of stalled 1 MiB frames do not grow its memory without bound, and
 * a legitimate exec still works — including one that waits for approval far longer than the idle
 * timeout. Real daemon process, real Unix sockets; every wait is for an event (a close, a ready line).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/daemon/framing.js';
import { BIN, MARK, Rig } from '../daemon/helpers.js';

let rig: Rig;
let daemon: ChildProcess | undefined;
const sockets: Socket[] = [];

beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  if (daemon !== undefined && daemon.exitCode === null) {
    const gone = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGKILL');
    await gone;
  }
  daemon = undefined;
  await rig.cleanup();
});

/** The labels the marker program recorded (each line is `label pid`). */
const labels = (): string[] => rig.marks().map((l) => l.split(' ')[0]!);
const sock = (): string => join(rig.env['GUARD_HOME']!, 'run', 'guard.sock');

/** Start a daemon, optionally with a lower open-file limit and extra environment; resolve when ready. */
function startDaemon(env: NodeJS.ProcessEnv, nofile?: number): Promise<ChildProcess> {
  const cmd = [process.execPath, BIN, 'daemon', 'start', '--foreground', '--policy', rig.policy]
    .map((a) => `'${a}'`)
    .join(' ');
  const child = spawn('/bin/bash', ['-c', `${nofile === undefined ? '' : `ulimit -n ${nofile}; `}exec ${cmd}`], {
    env: { ...rig.env, ...env, GUARD_DAEMON_READY_FD: '3' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  daemon = child;
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  return new Promise((resolve, reject) => {
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${log}`)));
  });
}

/** Open a socket to the daemon; `closed` resolves when the daemon (or an error) ends it. */
function open(): { socket: Socket; connected: Promise<boolean>; closed: Promise<void> } {
  const socket = connect({ path: sock() });
  socket.on('error', () => undefined);
  socket.resume(); // read (and drop) answers, so the daemon's close is seen
  sockets.push(socket);
  const connected = new Promise<boolean>((r) => {
    socket.once('connect', () => r(true));
    socket.once('close', () => r(false));
  });
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, connected, closed };
}

describe('idle sockets', () => {
  it('3,000 idle sockets do not exhaust file descriptors: a legitimate exec still runs', async () => {
    await startDaemon({}, 1024);
    for (let i = 0; i < 3000; i += 100) await Promise.all(Array.from({ length: 100 }, () => open().connected));
    const r = await rig.guard(['exec', '--', MARK, rig.marker, 'hello']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(labels()).toEqual(['hello']);
  });

  it('an idle connection is closed after the idle timeout; one that only pinged too', async () => {
    await startDaemon({ GUARD_DAEMON_IDLE_SECONDS: '0.3' });
    const silent = open();
    const pinged = open();
    await pinged.connected;
    pinged.socket.write(encodeFrame({ id: 1, type: 'ping' }));
    await Promise.all([silent.closed, pinged.closed]);
  });

  it('an exec waiting for approval outlives the idle timeout, and runs when approved', async () => {
    await startDaemon({ GUARD_DAEMON_IDLE_SECONDS: '0.3' });
    await rig.enroll('alice', ['ops']);
    const waiting = rig.exec('approve-me');
    const [, id] = await waiting.waitFor(/request (rq-[0-9a-f]{12}) is waiting/);
    const idle = open();
    await idle.closed; // a full idle timeout has passed since the exec connected
    const ok = await rig.approve(id!, 'alice');
    expect(ok.stderr).toMatch(/approved/);
    expect(ok.code).toBe(0);
    const r = await waiting.done;
    expect(r.code).toBe(0);
    expect(labels()).toEqual(['approve-me']);
  });
});

describe('partial frames', () => {
  it('a frame left half-sent is closed after the partial-frame timeout', async () => {
    await startDaemon({ GUARD_DAEMON_PARTIAL_FRAME_SECONDS: '0.3' });
    const s = open();
    await s.connected;
    s.socket.write(encodeFrame({ id: 1, type: 'ping' }).subarray(0, 10));
    await s.closed;
  });

  it('400 stalled 1 MiB frames: the daemon holds at most its bound, then a legitimate exec runs', async () => {
    const child = await startDaemon({});
    const body = Buffer.alloc(1024 * 1024 - 1, 0x20);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1024 * 1024, 0);
    let closed = 0;
    const kept = 64 + 1; // 64 MiB bound on buffered frame bytes
    const enough = new Promise<void>((resolve) => {
      for (let i = 0; i < 400; i++) {
        const s = open();
        void s.connected.then(() => {
          s.socket.write(header);
          s.socket.write(body);
        });
        void s.closed.then(() => {
          if (++closed >= 400 - kept) resolve();
        });
      }
    });
    await enough;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
    console.log(`daemon RSS after 400 stalled 1 MiB frames: ${Math.round(Number(rss) / 1024)} MiB`);
    const r = await rig.guard(['exec', '--', MARK, rig.marker, 'hello']);
    expect(r.code).toBe(0);
    expect(labels()).toEqual(['hello']);
  });
});
