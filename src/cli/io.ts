/** The streams and process facts a command may use. Injected so the CLI can run in-process in tests. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * The exact bytes of guard's arguments when the platform exposes them (Linux /proc/self/cmdline).
   * Node decodes argv as UTF-8 and replaces invalid bytes; exec uses these to pass them unchanged.
   */
  rawArgv: Buffer[] | undefined;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    rawArgv: undefined,
  };
}

export function writeLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}
