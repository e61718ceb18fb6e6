/**
 * Who is on the other end of a daemon connection, from the kernel (SO_PEERCRED through the tiny
 * addon native/peercred.c, built into dist/ by `npm run build`), never from the message. The
 * addon is optional in single-user mode (everyone reaching a 0600 socket is the daemon's own
 * user); a daemon whose socket is shared with a group refuses to start without it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

export interface Peer {
  uid: number;
  gid: number;
  pid: number;
  /** The user name of uid from /etc/passwd, or `uid:<n>` when it has none. */
  user: string;
}

type PeerCred = (fd: number) => { pid: number; uid: number; gid: number };

/** Where the addon may be: next to the bundle (dist/), or dist/ seen from src/daemon (tests). */
const CANDIDATES = ['./peercred.node', '../../dist/peercred.node'];

/** Load the addon; the error says why when it cannot be. */
export function loadPeerCred(): PeerCred | Error {
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const c of CANDIDATES) {
    try {
      const mod = require(c) as { peerCred?: unknown };
      if (typeof mod.peerCred === 'function') return mod.peerCred as PeerCred;
      errors.push(`${c}: no peerCred function`);
    } catch (err) {
      errors.push(`${c}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return new Error(`the peer-credential addon (peercred.node) cannot be loaded: ${errors.join('; ')}`);
}

/** The user name of a uid (/etc/passwd); `uid:<n>` when there is none. */
export function userName(uid: number, passwd = '/etc/passwd'): string {
  try {
    for (const line of readFileSync(passwd, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && Number(f[2]) === uid && f[0]) return f[0];
    }
  } catch {
    // no passwd file: fall through
  }
  return `uid:${uid}`;
}

/** A reader of the peer of an accepted socket; undefined when the kernel did not say. */
export function peerReader(cred: PeerCred): (socket: Socket) => Peer | undefined {
  return (socket) => {
    const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return undefined;
    try {
      const c = cred(fd);
      return { ...c, user: userName(c.uid) };
    } catch {
      return undefined;
    }
  };
}
