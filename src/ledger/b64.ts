/** Strict base64 (RFC 4648 §4, padded): one encoding per byte string, nothing else accepted. */
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64Strict(s: string): Buffer | undefined {
  if (!B64.test(s)) return undefined;
  const b = Buffer.from(s, 'base64');
  // rejects non-zero unused bits in the last group (two spellings of the same bytes)
  return b.toString('base64') === s ? b : undefined;
}

export const encodeBase64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
