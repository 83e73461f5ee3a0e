import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { TEST_POSTGRES_URL } from './postgres';

/**
 * A TCP proxy in front of the test PostgreSQL. Armed, it ends the next connection the way the
 * server ends a session an operator terminates (`pg_terminate_backend`) just as it has started:
 * a FATAL 57P01 error right behind the ReadyForQuery that completes the startup, in the same
 * write, then the socket closes. The client reads both at once, so the break reaches it before
 * anything awaiting its connection has run: the moment a real termination under load hits.
 */
export interface TerminatingPostgresProxy {
  /** The test database, reached through the proxy. */
  readonly url: string;
  terminateNextSessionAtStartup(): void;
  close(): Promise<void>;
}

export async function startTerminatingPostgresProxy(): Promise<TerminatingPostgresProxy> {
  const target = new URL(TEST_POSTGRES_URL);
  let armed = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.end());
    client.pipe(upstream);
    if (armed === 0) {
      upstream.pipe(client);
      return;
    }
    armed -= 1;
    let received = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = endOfReadyForQuery(received);
      if (end === undefined) return;
      upstream.destroy();
      client.end(Buffer.concat([received.subarray(0, end), ADMINISTRATOR_TERMINATION]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(TEST_POSTGRES_URL);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    terminateNextSessionAtStartup: () => {
      armed += 1;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Where the first ReadyForQuery ('Z') message of the server's stream ends, once it has arrived. */
function endOfReadyForQuery(stream: Buffer): number | undefined {
  let offset = 0;
  while (offset + 5 <= stream.length) {
    const next = offset + 1 + stream.readInt32BE(offset + 1);
    if (next > stream.length) return undefined;
    if (stream[offset] === 'Z'.charCodeAt(0)) return next;
    offset = next;
  }
  return undefined;
}

/** The ErrorResponse PostgreSQL sends a session pg_terminate_backend ends. */
const ADMINISTRATOR_TERMINATION = errorResponse({
  S: 'FATAL',
  V: 'FATAL',
  C: '57P01',
  M: 'terminating connection due to administrator command',
});

function errorResponse(fields: Readonly<Record<string, string>>): Buffer {
  const body = Buffer.concat([
    ...Object.entries(fields).map(([code, value]) => Buffer.from(`${code}${value}\0`)),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E');
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}
