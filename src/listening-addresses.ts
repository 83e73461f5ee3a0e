import type { AddressInfo } from 'node:net';

const EVERY_INTERFACE: Readonly<Record<string, string>> = {
  '0.0.0.0': 'every IPv4 interface',
  '::': 'every interface',
};

/**
 * Where the server listens, as bound: `http://0.0.0.0:3000 (every IPv4 interface)`, not the
 * loopback URL a client on this machine would use (Nest's `getUrl()`), which hides that the
 * service is reachable from elsewhere. A name bound to several addresses (`localhost`) lists each.
 */
export function describeListeningAddresses(addresses: readonly AddressInfo[]): string {
  return addresses
    .map(({ address, family, port }) => {
      const host = family === 'IPv6' ? `[${address}]` : address;
      const scope = EVERY_INTERFACE[address];
      return `http://${host}:${port}${scope !== undefined ? ` (${scope})` : ''}`;
    })
    .join(', ');
}
