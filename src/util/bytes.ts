/** UTF-8 length of a string, for limits platforms state in bytes. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
