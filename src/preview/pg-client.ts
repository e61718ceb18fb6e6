/**
 * The PostgreSQL client of the row-count preview (src/preview/run.ts), in its own module so that
 * pg is loaded only when a count runs, never at daemon start-up (decision 0040).
 */
import pg from 'pg';

/**
 * A pg client that answers only SCRAM (or no authentication): the password never leaves in clear
 * or as an MD5 hash, whatever server the agent's arguments or variables name.
 */
class ScramOnlyClient extends pg.Client {
  // pg's own handlers of those requests (lib/client.js), bound when it connects
  _handleAuthCleartextPassword(): void {
    this.refuse('in clear text');
  }

  _handleAuthMD5Password(): void {
    this.refuse('as an MD5 hash');
  }

  private refuse(how: string): void {
    const con = (this as unknown as { connection: { emit(e: string, v: Error): void } }).connection;
    con.emit(
      'error',
      new Error(`the server asked for the password ${how}; a preview with credentials answers only SCRAM`),
    );
  }
}

/** A client for `options`; with the executor's credentials it answers only SCRAM. */
export function sqlClient(options: pg.ClientConfig, credentialed: boolean): pg.Client {
  return credentialed ? new ScramOnlyClient(options) : new pg.Client(options);
}
