import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { toExportedEvent } from '../history/export/exported-event';
import { exportEvents } from './event-export';

/** A line as the service's export writes it. */
const line = (position: number): string =>
  JSON.stringify(
    toExportedEvent({
      id: `event-${position}`,
      type: 'ContactSeen',
      data: { contactId: 'c1' },
      metadata: { workspaceId: 'acme', occurredAt: 1_700_000_000_000, schemaVersion: 1 },
      streamId: 'contact-acme.c1',
      revision: BigInt(position),
      position: BigInt(position),
      recordedAt: new Date(1_700_000_000_000),
    }),
  );

/** A service whose export sends `lines` whole, then a half line, then drops the connection. */
async function serviceThatBreaksOff(lines: readonly string[]): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-position': '99' });
    response.write(lines.map((text) => `${text}\n`).join('') + '{"position":"1');
    setTimeout(() => response.socket?.destroy(), 20);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return server;
}

const discarded = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

/** An output that keeps each write it is handed. */
function collecting(): { output: Writable; writes: string[] } {
  const writes: string[] = [];
  const output = new Writable({
    highWaterMark: 1024,
    write: (chunk: Buffer, _encoding, done) => {
      writes.push(chunk.toString());
      setImmediate(done);
    },
  });
  return { output, writes };
}

/** A service whose export sends `count` lines, then ends. */
async function serviceSending(count: number): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-position': `${count}` });
    for (let position = 1; position <= count; position += 1) response.write(`${line(position)}\n`);
    response.end();
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return server;
}

describe('an export the connection cuts short', () => {
  let server: Server | undefined;
  afterEach(
    () => new Promise<void>((closed) => (server ? server.close(() => closed()) : closed())),
  );

  it('says so, and how to go on from the last event written', async () => {
    server = await serviceThatBreaksOff([line(7), line(12)]);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cut = exportEvents({
      url,
      token: 'token',
      query: {},
      format: 'ndjson',
      output: discarded(),
    });
    await expect(cut).rejects.toThrow(
      `The export from ${url} broke off after position 12: the connection closed before its end ` +
        '(the service stopped, or the network failed). `--after-position 12` goes on from there',
    );
  });

  it('has written every line it read before the break', async () => {
    server = await serviceThatBreaksOff([line(7), line(12)]);
    const { output, writes } = collecting();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expect(
      exportEvents({ url, token: 'token', query: {}, format: 'ndjson', output }),
    ).rejects.toThrow('broke off after position 12');
    expect(writes.join('')).toBe(`${line(7)}\n${line(12)}\n`);
  });

  it('says the same before any event was written, without a position to go on from', async () => {
    server = await serviceThatBreaksOff([]);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cut = exportEvents({
      url,
      token: 'token',
      query: {},
      format: 'csv',
      output: discarded(),
    });
    await expect(cut).rejects.toThrow(
      `The export from ${url} broke off before its first event: the connection closed before ` +
        'its end (the service stopped, or the network failed)',
    );
  });
});

describe('an export to an output slower than the service', () => {
  let server: Server | undefined;
  afterEach(
    () => new Promise<void>((closed) => (server ? server.close(() => closed()) : closed())),
  );

  it('hands it pieces of many lines, not a write (and a wait for drain) per line', async () => {
    server = await serviceSending(3000);
    const { output, writes } = collecting();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const count = await exportEvents({ url, token: 'token', query: {}, format: 'ndjson', output });
    expect(count).toBe(3000);
    expect(writes.join('')).toBe(
      Array.from({ length: 3000 }, (_, index) => `${line(index + 1)}\n`).join(''),
    );
    expect(writes.length).toBeLessThan(100);
  });
});
