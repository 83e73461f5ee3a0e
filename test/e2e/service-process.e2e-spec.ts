import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { startEsdbStandIn, type EsdbStandIn } from '../support/esdb-stand-in/esdb-stand-in';
import {
  createDataOnlyRole,
  createSchema,
  type DataOnlyRole,
  dropSchema,
  postgresAvailability,
  TEST_POSTGRES_URL,
  uniqueSchemaName,
} from '../support/postgres';
import {
  freePort,
  type SpawnOptions,
  type ServiceProcess,
  spawnService,
  waitUntilReady,
} from '../support/service-process';

// Every test here starts the service from its sources (ts-node), some twice: on a loaded machine a
// start alone can take longer than jest's default.
jest.setTimeout(90_000);

// A client in another process than the server's, as the reset of an unread body shows only there.
describe('the service process, sent a body over the 1 MiB limit', () => {
  const token = 'token-of-acme-oversized';
  let dataDir: string;
  let service: ServiceProcess;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'service-'));
    service = await spawnService({ DATA_DIR: dataDir, ACCESS_TOKENS: `acme:${token}` });
    await waitUntilReady(service);
  });
  afterAll(async () => {
    service.child.kill('SIGTERM');
    await service.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const oversized = [
    ['/contacts', Buffer.from(`{"name":"${'z'.repeat(2 * 1024 * 1024)}"}`)],
    ['/messenger/events', Buffer.from(`{"events":[{"id":"${'e'.repeat(8_000_000)}"}]}`)],
  ] as const;

  it('answers 413 in the envelope, which the client, still sending, gets every time', async () => {
    for (const [path, body] of oversized) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const answer = await upload(service.baseUrl, path, body, { token }).catch(
          (error: NodeJS.ErrnoException) => ({ failedWith: error.code }),
        );
        expect({ path, attempt, answer }).toEqual({
          path,
          attempt,
          answer: expect.objectContaining({ status: 413 }) as unknown,
        });
        if ('failedWith' in answer) continue;
        expect(answer.headers.connection).toBe('close');
        expect(JSON.parse(answer.body)).toMatchObject({
          type: 'error.list',
          errors: [{ code: 'request_entity_too_large' }],
        });
      }
    }
  });

  it('declared with Expect: 100-continue, answers 413 without asking for the body', async () => {
    for (const [path, body] of oversized) {
      const answer = await upload(service.baseUrl, path, body, { token, expectContinue: true });
      expect({ path, status: answer.status, continued: answer.continued }).toEqual({
        path,
        status: 413,
        continued: false,
      });
      expect(JSON.parse(answer.body)).toMatchObject({
        errors: [{ code: 'request_entity_too_large' }],
      });
    }
    // A body within the limit is asked for, and read.
    const small = await upload(service.baseUrl, '/contacts', Buffer.from('{"role":"lead"}'), {
      token,
      expectContinue: true,
    });
    expect({ status: small.status, continued: small.continued }).toEqual({
      status: 200,
      continued: true,
    });
  });

  it("is a stranger's to be refused 401 before it is read, with the connection closed", async () => {
    const [[path, body]] = oversized;
    const asked = await upload(service.baseUrl, path, body, {
      token: 'not-a-token',
      expectContinue: true,
    });
    expect({ status: asked.status, continued: asked.continued }).toEqual({
      status: 401,
      continued: false,
    });
    expect(asked.headers.connection).toBe('close');
    // Sent unasked, the body is not read: the 401 may be lost to the reset (see README).
    const sent = await upload(service.baseUrl, path, body, { token: 'not-a-token' }).catch(
      (error: NodeJS.ErrnoException) => ({ failedWith: error.code }),
    );
    if (!('failedWith' in sent)) {
      expect(sent.status).toBe(401);
      expect(sent.headers.connection).toBe('close');
    }
  });
});

/**
 * Posts `body` as JSON on a connection of its own, as a client that sends it whole before reading
 * the answer does (or, with `expectContinue`, only once the server asks for it); rejects when the
 * connection fails before the answer is read.
 */
function upload(
  baseUrl: string,
  path: string,
  body: Buffer,
  options: { token: string; expectContinue?: boolean },
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  continued: boolean;
}> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const sent = httpRequest(new URL(path, baseUrl), {
      method: 'POST',
      agent: false,
      headers: {
        authorization: `Bearer ${options.token}`,
        'content-type': 'application/json',
        'content-length': String(body.length),
        ...(options.expectContinue ? { expect: '100-continue' } : {}),
      },
    });
    sent.on('continue', () => {
      continued = true;
      sent.end(body);
    });
    sent.on('response', (answer) => {
      let text = '';
      answer.setEncoding('utf8');
      answer.on('data', (chunk: string) => (text += chunk));
      answer.on('end', () =>
        resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: text, continued }),
      );
      answer.on('error', reject);
    });
    sent.on('error', reject);
    if (!options.expectContinue) sent.end(body);
  });
}

describe('the service process (embedded default)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'service-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts with no setup, answers ready, generates and prints the default token, and stops cleanly on SIGTERM', async () => {
    const service = await spawnService({ DATA_DIR: dataDir });
    try {
      await waitUntilReady(service);
      const ready = await fetch(`${service.baseUrl}/health/ready`);
      expect(await ready.json()).toEqual({
        status: 'ok',
        checks: { event_store: 'ok', read_store: 'ok', projections: 'ok' },
      });
      expect((await fetch(`${service.baseUrl}/health/live`)).status).toBe(200);

      const token = readFileSync(join(dataDir, 'access-token'), 'utf8').trim();
      expect(service.output()).toContain(token);
      const unauthorized = await fetch(`${service.baseUrl}/admin/projections`);
      expect(unauthorized.status).toBe(401);
      expect(await unauthorized.json()).toMatchObject({
        type: 'error.list',
        errors: [{ code: 'unauthorized' }],
      });
      const authorized = await fetch(`${service.baseUrl}/admin/projections`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(authorized.status).toBe(200);
    } finally {
      service.child.kill('SIGTERM');
    }
    expect(await service.exited).toBe(0);
    // The store was closed and its lock released: another process can open the directory now.
    const reopened = SqliteEventStore.open({ dataDir });
    await reopened.close();
  });

  it('says at start the address it listens on as bound, and the stores it uses', async () => {
    // An empty HOST counts as unset: 0.0.0.0, every interface.
    const service = await spawnService({
      DATA_DIR: dataDir,
      ACCESS_TOKENS: 'acme:token-of-acme',
      HOST: '',
    });
    try {
      await waitUntilReady(service);
    } finally {
      service.child.kill('SIGTERM');
    }
    expect(await service.exited).toBe(0);
    const { port } = new URL(service.baseUrl);
    expect(service.output()).toContain(
      `"msg":"Listening on http://0.0.0.0:${port} (every IPv4 interface)"`,
    );
    expect(service.output()).toContain(`"msg":"Using the embedded event store in ${dataDir}"`);
    expect(service.output()).toContain(
      `"msg":"Using the SQLite read models in ${join(dataDir, 'read-models.sqlite')}"`,
    );
  });

  it('on SIGTERM answers the requests in flight before it exits', async () => {
    const service = await spawnService({ DATA_DIR: dataDir, ACCESS_TOKENS: 'acme:token-of-acme' });
    await waitUntilReady(service);
    const { hostname, port } = new URL(service.baseUrl);
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // A create whose body has not all arrived when the shutdown begins: in flight.
    const body = JSON.stringify({ email: 'in-flight@example.com' });
    socket.write(
      'POST /contacts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer token-of-acme\r\n' +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await delay(200);
    service.child.kill('SIGTERM');
    await delay(200);
    socket.write(body.slice(5));
    await closed;
    const answer = Buffer.concat(received).toString('utf8');
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain('"email":"in-flight@example.com"');
    expect(await service.exited).toBe(0);
    // Stored, not only answered.
    const store = SqliteEventStore.open({ dataDir });
    const types: string[] = [];
    for await (const event of store.readAll()) types.push(event.type);
    await store.close();
    expect(types).toContain('UserCreated');
  });

  it('on SIGTERM does not wait for a request that stopped arriving, nor a silent connection: it exits 0', async () => {
    const service = await spawnService({ DATA_DIR: dataDir, ACCESS_TOKENS: 'acme:token-of-acme' });
    await waitUntilReady(service);
    const { hostname, port } = new URL(service.baseUrl);
    const open = (request: string) => {
      const socket = connect(Number(port), hostname, () => socket.write(request));
      socket.on('error', () => undefined);
      return new Promise<void>((resolve) => socket.on('close', () => resolve()));
    };
    const stalled = open(
      'POST /contacts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer token-of-acme\r\n' +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":',
    );
    const silent = open('');
    await delay(200);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    await Promise.all([stalled, silent]);
  });

  it('stops at start-up with a message naming a bad variable', async () => {
    const service = await spawnService({ DATA_DIR: dataDir, PORT: 'eighty' });
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain('PORT');
    expect(existsSync(join(dataDir, 'events.sqlite'))).toBe(false);
  });

  it('a second service on the same DATA_DIR fails with a clear message', async () => {
    const first = await spawnService({ DATA_DIR: dataDir, ACCESS_TOKENS: 'acme:token-of-acme' });
    try {
      await waitUntilReady(first);
      const second = await spawnService({
        DATA_DIR: dataDir,
        ACCESS_TOKENS: 'acme:token-of-acme',
        LOG_LEVEL: 'warn',
      });
      expect(await second.exited).toBe(1);
      expectOneLineNaming(second.output(), 'DATA_DIR');
      expect(second.output()).toContain('is in use by another process');
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });
});

if (postgresAvailability().reachable) {
  describe('the service process on EventStoreDB and PostgreSQL', () => {
    let dataDir: string;
    let schema: string;
    let standIn: EsdbStandIn;
    beforeEach(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'service-'));
      schema = uniqueSchemaName('svc');
      await createSchema(schema);
      standIn = await startEsdbStandIn();
    });
    afterEach(async () => {
      await standIn.close();
      await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('says at start which servers it uses, without their credentials', async () => {
      const databaseUrl = new URL(TEST_POSTGRES_URL);
      databaseUrl.password = 'secret-postgres-password';
      databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
      const service = await spawnService({
        DATA_DIR: dataDir,
        ACCESS_TOKENS: 'acme:token-of-acme',
        EVENTSTORE_CONNECTION_STRING: `esdb://admin:secret-esdb-password@127.0.0.1:${standIn.port}?tls=false`,
        DATABASE_URL: databaseUrl.toString(),
      });
      try {
        await waitUntilReady(service);
      } finally {
        service.child.kill('SIGTERM');
      }
      expect(await service.exited).toBe(0);
      const output = service.output();
      expect(output).toContain(`"msg":"Using EventStoreDB at esdb://127.0.0.1:${standIn.port}"`);
      expect(output).toContain(
        `"msg":"Using the PostgreSQL read models at ${databaseUrl.hostname}:${databaseUrl.port || 5432}${databaseUrl.pathname}"`,
      );
      expect(output).not.toContain('secret-');
    });
  });
}

/**
 * What a start that fails for a reason outside the service prints: the variable at fault, once,
 * in a line of its own, and no stack trace (nor Nest's start-up lines, below LOG_LEVEL).
 */
function expectOneLineNaming(output: string, variable: string): void {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  expect({ output, naming: lines.filter((line) => line.includes(variable)).length }).toEqual({
    output,
    naming: 1,
  });
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toContain('Starting Nest application');
}

describe('a start that fails for a bad setting', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'service-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const failedStart = async (
    environment: Readonly<Record<string, string>>,
    options?: SpawnOptions,
  ): Promise<string> => {
    const service = await spawnService(
      {
        DATA_DIR: dataDir,
        ACCESS_TOKENS: 'acme:token-of-acme',
        LOG_LEVEL: 'warn',
        ...environment,
      },
      options,
    );
    expect({ exited: await service.exited, output: service.output() }).toMatchObject({
      exited: 1,
    });
    return service.output();
  };

  it.each([['nonexistent.invalid'], ['999.1.1.1']])(
    'says which HOST it cannot listen on (%s)',
    async (host) => {
      const output = await failedStart({ HOST: host });
      expectOneLineNaming(output, 'HOST');
      expect(output).toContain(host);
    },
  );

  it('says the PORT is in use', async () => {
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const output = await failedStart({ PORT: String(port) });
      expectOneLineNaming(output, 'PORT');
      expect(output).toContain('in use');
    } finally {
      holder.close();
    }
  });

  it('says PostgreSQL cannot be reached at DATABASE_URL, without its password', async () => {
    const port = await freePort();
    const output = await failedStart({
      DATABASE_URL: `postgres://postgres:secret-password@127.0.0.1:${port}/test`,
    });
    expectOneLineNaming(output, 'DATABASE_URL');
    expect(output).toContain(`127.0.0.1:${port}`);
    expect(output).not.toContain('secret-password');
  });

  if (postgresAvailability().reachable) {
    it('says the database DATABASE_URL names does not exist', async () => {
      const url = new URL(TEST_POSTGRES_URL);
      url.pathname = '/no_such_database_here';
      const output = await failedStart({ DATABASE_URL: url.toString() });
      expectOneLineNaming(output, 'DATABASE_URL');
      expect(output).toContain('no_such_database_here');
    });
  }

  it('says an ADMIN_TOKENS token is also a workspace token, once', async () => {
    const output = await failedStart({ ADMIN_TOKENS: 'token-of-acme' });
    expectOneLineNaming(output, 'ADMIN_TOKENS');
  });

  it('says DATA_DIR is not a directory, once', async () => {
    const file = join(dataDir, 'a-file');
    writeFileSync(file, 'not a directory');
    const output = await failedStart({ DATA_DIR: file });
    expectOneLineNaming(output, 'DATA_DIR');
  });

  describe('without ACCESS_TOKENS, where it would generate the token and keep it in DATA_DIR', () => {
    // An empty variable counts as unset.
    const withoutTokens = { ACCESS_TOKENS: '' };

    /** Permissions bind root in no way: as root, the service runs as nobody to meet them. */
    const unprivileged: SpawnOptions =
      process.getuid?.() === 0
        ? {
            user: {
              uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })),
              gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })),
            },
          }
        : {};

    it.each([
      ['a directory it may not write in', (): string => dataDir],
      ['a directory it may not create', (): string => join(dataDir, 'data')],
    ])('says DATA_DIR is %s, once', async (_label, dataDirOf) => {
      chmodSync(dataDir, 0o555);
      try {
        const output = await failedStart({ ...withoutTokens, DATA_DIR: dataDirOf() }, unprivileged);
        expectOneLineNaming(output, 'DATA_DIR');
        expect(output).toContain(`Failed to start: DATA_DIR ${dataDirOf()}: cannot`);
      } finally {
        chmodSync(dataDir, 0o700);
      }
    });

    it('says DATA_DIR is not a directory, once', async () => {
      const file = join(dataDir, 'a-file');
      writeFileSync(file, 'not a directory');
      const output = await failedStart({ ...withoutTokens, DATA_DIR: join(file, 'data') });
      expectOneLineNaming(output, 'DATA_DIR');
      expect(output).toContain(`Failed to start: DATA_DIR ${join(file, 'data')}: cannot`);
    });

    it('says the access-token file holds no usable token, once', async () => {
      writeFileSync(join(dataDir, 'access-token'), 'two words\n');
      const output = await failedStart(withoutTokens);
      expectOneLineNaming(output, 'access-token holds no usable token');
    });
  });
});

if (postgresAvailability().reachable) {
  describe('the service on PostgreSQL as a role that may not create tables', () => {
    let dataDir: string;
    let schema: string;
    let role: DataOnlyRole;
    beforeEach(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'service-'));
      schema = uniqueSchemaName('svc');
      await createSchema(schema);
      role = await createDataOnlyRole(schema);
    });
    afterEach(async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await dropSchema(schema);
      await role.drop();
    });

    const spawnOn = (url: string) =>
      spawnService({
        DATA_DIR: dataDir,
        ACCESS_TOKENS: 'acme:token-of-acme',
        LOG_LEVEL: 'warn',
        DATABASE_URL: url,
      });

    it('starts and answers ready on a schema its owner migrated', async () => {
      const ownerUrl = new URL(TEST_POSTGRES_URL);
      ownerUrl.searchParams.set('options', `-c search_path=${schema}`);
      const owner = await spawnOn(ownerUrl.toString());
      try {
        await waitUntilReady(owner);
      } finally {
        owner.child.kill('SIGTERM');
      }
      expect(await owner.exited).toBe(0);
      await role.grantOnTables();

      const service = await spawnOn(role.url);
      try {
        await waitUntilReady(service);
        expect((await fetch(`${service.baseUrl}/health/ready`)).status).toBe(200);
      } finally {
        service.child.kill('SIGTERM');
      }
      expect({ exited: await service.exited, output: service.output() }).toMatchObject({
        exited: 0,
      });
    });

    it('says which privilege the DATABASE_URL role lacks to create the tables, once', async () => {
      const service = await spawnOn(role.url);
      expect({ exited: await service.exited, output: service.output() }).toMatchObject({
        exited: 1,
      });
      expectOneLineNaming(service.output(), 'DATABASE_URL');
      expect(service.output()).toContain(`lacks CREATE on schema ${schema}`);
    });
  });
}
