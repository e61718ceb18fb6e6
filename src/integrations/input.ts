/**
 * Reading and checking a hook's stdin. Everything here fails closed: input that is too large,
 * arrives too slowly, is not JSON or lacks the fields the agent documents is refused, never
 * guessed at.
 */
import { isAbsolute, resolve } from 'node:path';
import { HookInputError } from './types.js';

/** Largest hook input accepted (the agent's whole JSON, command included). */
export const MAX_INPUT_BYTES = 1024 * 1024;
/** Largest command judged; the kernel refuses single arguments above 128 KiB anyway. */
export const MAX_COMMAND_BYTES = 100 * 1024;

/** Read all of stdin, refusing more than maxBytes or anything slower than timeoutMs. */
export function readInput(stream: NodeJS.ReadableStream, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      if (err === undefined) resolvePromise(Buffer.concat(chunks));
      else {
        stream.pause();
        reject(err);
      }
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > maxBytes) finish(new HookInputError(`hook input is larger than ${maxBytes} bytes`));
      else chunks.push(buf);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (err: Error): void => finish(new HookInputError(`cannot read hook input: ${err.message}`));
    const timer = setTimeout(
      () => finish(new HookInputError(`hook input did not end within ${timeoutMs} ms`)),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.resume();
  });
}

export function parseJson(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new HookInputError('hook input is empty (expected one JSON object on stdin)');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HookInputError(`hook input is not valid JSON: ${(err as Error).message}`);
  }
}

export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HookInputError(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

export function optionalString(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HookInputError(`"${key}" must be a string`);
  return v;
}

/** A string field that must be present. */
export function requiredString(obj: Record<string, unknown>, key: string, where: string): string {
  const v = optionalString(obj, key);
  if (v === undefined) throw new HookInputError(`${where} has no "${key}"`);
  return v;
}

/** The command, checked: a non-empty string of judgeable size without NUL bytes. */
export function checkCommand(command: unknown, where: string): string {
  if (typeof command !== 'string') throw new HookInputError(`${where}.command must be a string`);
  if (command.trim() === '') throw new HookInputError(`${where}.command is empty`);
  if (command.includes('\0')) throw new HookInputError(`${where}.command contains a NUL byte`);
  const size = Buffer.byteLength(command, 'utf8');
  if (size > MAX_COMMAND_BYTES)
    throw new HookInputError(
      `the command is ${size} bytes; guard judges commands up to ${MAX_COMMAND_BYTES} bytes — write large content to a file first and run a short command`,
    );
  return command;
}

/** The directory the command runs in: the hook's cwd (else guard's own), then `sub` inside it. */
export function resolveCwd(reported: string | undefined, fallback: string, sub?: string): string {
  if (reported !== undefined && reported !== '' && !isAbsolute(reported))
    throw new HookInputError(`"cwd" must be an absolute path, got ${JSON.stringify(reported)}`);
  const base = reported === undefined || reported === '' ? fallback : reported;
  return sub === undefined || sub === '' ? base : resolve(base, sub);
}
