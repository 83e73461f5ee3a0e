import { parseConnectionString } from '@eventstore/db-client/dist/Client/parseConnectionString';

/**
 * The servers an `esdb://` connection string names, read as the client reads them, without its
 * credentials or options: `esdb://node1:2113,node2:2113`, or `esdb+discover://cluster:2113`.
 */
export function describeEsdbServers(connectionString: string): string {
  try {
    const { dnsDiscover, hosts } = parseConnectionString(connectionString);
    const servers = hosts.map(({ address, port }) =>
      address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`,
    );
    return `${dnsDiscover ? 'esdb+discover' : 'esdb'}://${servers.join(',')}`;
  } catch {
    // The client refuses it too, and says why, when the store connects.
    return 'the connection string given';
  }
}
