/**
 * The approver terminal: the reducer, the key handler and the effect runner. Everything it
 * touches outside itself goes through the Backend (daemon link + approver key session).
 */
import { useApp, useInput, useStdout } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Backend } from './backend.js';
import { DecisionError } from './backend.js';
import { Screen, screenModel } from './components/screen.js';
import { approveNeedsOwnKey, resolveKey, splitKeys, type KeyInfo } from './keys.js';
import type { Intent, Outgoing, TuiState } from './model.js';
import { reduce, type Action } from './reducer.js';
import type { Theme } from './theme.js';
import { messageOf } from '../errors.js';

export interface AppProps {
  backend: Backend;
  initial: TuiState;
  theme: Theme;
  now: () => number;
  /** Clock tick for ages, time left and the unlock window. */
  tickMs?: number;
}

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

/** Typed passphrase characters, kept out of React state and zeroed as soon as they are used. */
class SecretInput {
  private parts: Buffer[] = [];
  add(text: string): void {
    for (const ch of Array.from(text)) this.parts.push(Buffer.from(ch, 'utf8'));
  }
  erase(): void {
    this.parts.pop()?.fill(0);
  }
  clear(): void {
    for (const p of this.parts) p.fill(0);
    this.parts = [];
  }
  take(): Buffer {
    const out = Buffer.concat(this.parts);
    this.clear();
    return out;
  }
}

const yieldToRender = (): Promise<void> => new Promise((r) => setTimeout(r, 15));

export function App({ backend, initial, theme, now, tickMs = 1000 }: AppProps) {
  // The reducer runs synchronously on a ref, so keys typed faster than React renders are each
  // resolved against the mode the previous key left (a quick "d" then "a" must never approve).
  const current = useRef(initial);
  const [state, setState] = useState(initial);
  const dispatch = useCallback((a: Action) => {
    current.current = reduce(current.current, a);
    setState(current.current);
  }, []);
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const size = useRef({ columns, rows });
  size.current = { columns, rows };
  const secret = useRef(new SecretInput());
  const staged = useRef<Buffer | undefined>(undefined);
  const done = useRef(0);

  useEffect(() => {
    backend.start(dispatch);
    return () => backend.stop();
  }, [backend, dispatch]);

  useEffect(() => {
    const t = setInterval(() => dispatch({ type: 'tick', now: now() }), tickMs);
    return () => clearInterval(t);
  }, [now, tickMs, dispatch]);

  useEffect(() => {
    if (state.mode !== 'passphrase') secret.current.clear();
  }, [state.mode]);

  useInput((input: string, key: KeyInfo) => {
    const events = splitKeys(input, key);
    for (const ev of events) {
      const mode = current.current.mode;
      const r = resolveKey(mode, ev.input, ev.key);
      if (r === undefined) continue;
      if (mode === 'passphrase') {
        if ('text' in r) secret.current.add(r.text);
        else if (r.command === 'erase') secret.current.erase();
        else if (r.command === 'clear-input') secret.current.clear();
        // taken now: the mode changes with this key, and leaving the mode clears the input
        else if (r.command === 'submit') staged.current = secret.current.take();
      }
      if ('text' in r) {
        dispatch({ type: 'text', text: mode === 'passphrase' ? '*'.repeat(Array.from(r.text).length) : r.text });
      } else if (r.command === 'approve' && approveNeedsOwnKey(events)) {
        dispatch({
          type: 'flash',
          flash: { level: 'error', text: 'not approved: "a" came with other keys (a paste?); press a on its own' },
        });
      } else {
        const { viewport } = screenModel(current.current, size.current.columns, size.current.rows);
        dispatch({ type: 'command', command: r.command, viewport });
      }
    }
  });

  const inflight = useRef(new Set<Promise<void>>());
  const outbox = state.outbox;
  useEffect(() => {
    for (const out of outbox) {
      if (out.serial <= done.current) continue;
      done.current = out.serial;
      run(out);
    }

    function track(p: Promise<void>): void {
      inflight.current.add(p);
      void p.finally(() => inflight.current.delete(p));
    }

    async function send(intent: Intent): Promise<void> {
      try {
        if (intent.action === 'batch') {
          const { message, results } = await backend.decideBatch(intent);
          dispatch({ type: 'batch-decided', intent, message, results });
          return;
        }
        const message =
          intent.action === 'extend'
            ? await backend.extend(intent)
            : intent.action === 'revoke'
              ? await backend.revoke(intent)
              : await backend.decide(intent);
        dispatch({ type: 'decided', intent, message });
      } catch (err) {
        const e = err instanceof DecisionError ? err : new DecisionError(String(err), false);
        dispatch({ type: 'decision-failed', intent, message: e.message, locked: e.locked });
      }
    }

    async function unlockAndSend(intent: Intent, passphrase: Buffer): Promise<void> {
      await yieldToRender(); // let "sending…" paint before the key derivation blocks
      let until: number;
      try {
        until = await backend.unlock(passphrase, intent);
      } catch (err) {
        dispatch({ type: 'unlock-failed', message: messageOf(err) });
        return;
      } finally {
        passphrase.fill(0);
      }
      dispatch({ type: 'unlocked', until });
      await send(intent);
    }

    function run(out: Outgoing): void {
      switch (out.kind) {
        case 'quit':
          // a decision already on its way is finished (or times out) before the connection closes
          void Promise.allSettled([...inflight.current]).then(() => {
            backend.stop();
            exit();
          });
          return;
        case 'lock':
          backend.lock();
          return;
        case 'load-grants':
          backend.grants().then(
            (grants) => dispatch({ type: 'grants-loaded', grants }),
            (err: unknown) => dispatch({ type: 'grants-failed', message: messageOf(err) }),
          );
          return;
        case 'load-history':
          backend.history().then(
            (items) => dispatch({ type: 'history-loaded', items }),
            (err: unknown) => dispatch({ type: 'history-failed', message: messageOf(err) }),
          );
          return;
        case 'load-record': {
          const requestId = out.requestId;
          backend.record(requestId).then(
            (items) => dispatch({ type: 'record-loaded', requestId, items }),
            (err: unknown) =>
              dispatch({
                type: 'record-failed',
                requestId,
                message: messageOf(err),
              }),
          );
          return;
        }
        case 'decide':
          track(send(out.intent));
          return;
        case 'unlock-and-decide': {
          const passphrase = staged.current ?? Buffer.alloc(0);
          staged.current = undefined;
          track(unlockAndSend(out.intent, passphrase));
          return;
        }
      }
    }
  }, [outbox, backend, exit, dispatch]);

  return <Screen state={state} columns={columns} rows={rows} theme={theme} />;
}
