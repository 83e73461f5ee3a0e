import { createHash } from 'node:crypto';

/** A namespace UUID as the bytes `uuidV5` hashes, parsed once by its caller. */
export const uuidNamespace = (uuid: string): Buffer => Buffer.from(uuid.replaceAll('-', ''), 'hex');

/**
 * The RFC 4122 version-5 (SHA-1, name-based) UUID of `name` in `namespace`: what the `uuid`
 * package's `v5` computes, without re-parsing the namespace and re-encoding the name in
 * JavaScript on every call (ingestion derives a few ids per item).
 */
export function uuidV5(name: string, namespace: Buffer): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
