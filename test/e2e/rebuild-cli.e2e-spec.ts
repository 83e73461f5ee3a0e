import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { rebuildProjection } from '../../src/cli/rebuild';
import { runCli } from '../support/run-cli';
import { freePort } from '../support/service-process';
import {
  ACME_TOKEN,
  ADMIN_TOKEN,
  startTestApp,
  startTestAppOnStandIn,
  type TestApp,
} from '../support/test-app';

/** The rebuild command of the CLI (`npm run cli -- rebuild <name>`), against a running service. */
describe('the rebuild CLI', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
    for (let n = 0; n < 50; n += 1) {
      const created = await service.request('/contacts', {
        method: 'POST',
        json: { external_id: `cli-${n}` },
      });
      expect(created.status).toBe(200);
    }
  });
  afterAll(() => service.close());

  const buildOf = async (name: string) => {
    const response = await service.request('/admin/projections', { token: ADMIN_TOKEN });
    const { data } = (await response.json()) as { data: Array<{ name: string; build: string }> };
    return data.find((projection) => projection.name === name)?.build;
  };

  it('rebuilds a projection, drawing its progress, and answers once the new build serves', async () => {
    const before = await buildOf('contacts');
    const output = new PassThrough();
    let drawn = '';
    output.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    const serving = await rebuildProjection({
      url: service.baseUrl,
      token: ADMIN_TOKEN,
      name: 'contacts',
      output,
      pollMs: 20,
    });
    expect(serving).not.toBe(before);
    expect(await buildOf('contacts')).toBe(serving);
    expect(drawn).toContain('contacts [');
    expect(drawn).toMatch(/ETA/);
    // The embedded store's positions number the events: its head is how many the log holds.
    const response = await service.request('/admin/projections', { token: ADMIN_TOKEN });
    const { data } = (await response.json()) as {
      data: Array<{ name: string; head_position: string; head_events: string }>;
    };
    const { head_position: head, head_events: events } = data.find(
      (projection) => projection.name === 'contacts',
    )!;
    expect(events).toBe(head);
    expect(drawn).toContain(`| ${events}/${events} events |`);
    const listed = await service.request('/contacts?per_page=150');
    expect(((await listed.json()) as { data: unknown[] }).data).toHaveLength(50);
  });

  it('shows every projection live and caught up through the status command, which exits 0', async () => {
    const run = await runCli(['status', '--url', service.baseUrl], {
      env: { ADMIN_TOKEN },
      cwd: tmpdir(),
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^projection +state +build +behind +rebuild$/);
    expect(lines.find((line) => line.startsWith('contacts '))).toMatch(
      /^contacts +live +\S+ +0 events +-$/,
    );
    // A line per projection the service runs, and no other (none failed).
    const listed = await service.request('/admin/projections', { token: ADMIN_TOKEN });
    const { data } = (await listed.json()) as { data: unknown[] };
    expect(lines).toHaveLength(1 + data.length);
    expect(data.length).toBeGreaterThanOrEqual(5);
  });

  it('says why when the service refuses: an unknown projection, a token that may not operate', async () => {
    const output = new PassThrough();
    await expect(
      rebuildProjection({ url: service.baseUrl, token: ADMIN_TOKEN, name: 'nope', output }),
    ).rejects.toThrow(/No projection nope; the service runs .*contacts/);
    await expect(
      rebuildProjection({ url: service.baseUrl, token: ACME_TOKEN, name: 'contacts', output }),
    ).rejects.toThrow(
      `The service at ${service.baseUrl} refused the token (403 forbidden): Operations routes need a token of ADMIN_TOKENS`,
    );
  });

  it('says plainly that the service refused a token nobody holds, with the reason it gave', async () => {
    const refusal = rebuildProjection({
      url: service.baseUrl,
      token: 'nobody-holds-this-token',
      name: 'contacts',
      output: new PassThrough(),
    });
    await expect(refusal).rejects.toThrow(
      new Error(
        `The service at ${service.baseUrl} refused the token (401 unauthorized): Access Token Invalid`,
      ),
    );
  });

  it('says what the service refused, with its status, code and message, rather than the raw body', async () => {
    // A service whose rebuild cannot start: the status answers, the rebuild is refused.
    const refusal = withStandIn(
      (method) =>
        method === 'POST'
          ? {
              status: 503,
              body: {
                type: 'error.list',
                request_id: 'r1',
                errors: [
                  {
                    code: 'service_unavailable',
                    message: 'The rebuild of contacts could not start: the read store is down',
                  },
                ],
              },
            }
          : { status: 200, body: contactsServedBy('v5') },
      async (url) => {
        await expect(
          rebuildProjection({
            url,
            token: ADMIN_TOKEN,
            name: 'contacts',
            output: new PassThrough(),
          }),
        ).rejects.toThrow(
          new Error(
            `The service at ${url} refused the rebuild of contacts (503 service_unavailable): ` +
              'The rebuild of contacts could not start: the read store is down',
          ),
        );
      },
    );
    await refusal;
  });

  it('starts its bar at the events the log holds, with no rate or time left, and ends a rebuild done between two polls with its rate', async () => {
    const lines = await barOfARebuildDoneByTheFirstPoll(contactsServedBy);
    // Nothing is measured yet at the start: no rate rather than 0 events/s, no ETA rather than 0s.
    expect(lines[0]).toMatch(/\| 0\/60 events$/);
    expect(lines.at(-1)).toMatch(/\| 60\/60 events \| [1-9]\d* events\/s \| ETA 0s$/);
  });

  it('counts events on EventStoreDB, whose positions are byte offsets, not events', async () => {
    // 60 events of about 1 KiB: commit and prepare positions 61,440, packed in one number.
    const headPosition = ((61_440n << 64n) | 61_440n).toString();
    const lines = await barOfARebuildDoneByTheFirstPoll((build) =>
      contactsServedBy(build, { head_position: headPosition }),
    );
    expect(lines[0]).toMatch(/\| 0\/60 events$/);
    expect(lines.at(-1)).toMatch(/\| 60\/60 events \| [1-9]\d* events\/s \| ETA 0s$/);
    expect(lines.join('\n')).not.toMatch(/\d{7}/);
  });

  it('counts log positions, and says so, for a service that does not count events', async () => {
    const lines = await barOfARebuildDoneByTheFirstPoll((build) =>
      contactsServedBy(build, { head_events: undefined }),
    );
    expect(lines[0]).toMatch(/\| 0\/60 positions$/);
    expect(lines.at(-1)).toMatch(/\| 60\/60 positions \| [1-9]\d* positions\/s \| ETA 0s$/);
  });

  it('says which URL it could not reach, and why, when the service is down', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    await expect(
      rebuildProjection({ url, token: ADMIN_TOKEN, name: 'contacts', output: new PassThrough() }),
    ).rejects.toThrow(`Cannot reach the service at ${url}/admin/projections: connection refused`);
  });

  it('keeps the path of a --url behind a prefix (a reverse proxy)', async () => {
    // Serves the service under /ops/ only, as a proxy would.
    const proxy: Server = createServer((request, response) => {
      if (!request.url?.startsWith('/ops/')) {
        response.writeHead(404).end('not under /ops/');
        return;
      }
      void fetch(`${service.baseUrl}${request.url.slice('/ops'.length)}`, {
        method: request.method,
        headers: { authorization: request.headers.authorization ?? '' },
      }).then(async (answer) => {
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(await answer.text());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      // Without the prefix, the proxy's own refusal (no error envelope) is said as it came.
      await expect(
        rebuildProjection({
          url: `http://127.0.0.1:${port}`,
          token: ADMIN_TOKEN,
          name: 'contacts',
          output: new PassThrough(),
        }),
      ).rejects.toThrow(
        new Error(
          `The service at http://127.0.0.1:${port} refused the status of its projections (404 Not Found): not under /ops/`,
        ),
      );
      const prefixed = [
        [`http://127.0.0.1:${port}/ops`, 'data_events'],
        [`http://127.0.0.1:${port}/ops/`, 'segment_membership'],
      ] as const;
      for (const [url, name] of prefixed) {
        const before = await buildOf(name);
        const serving = await rebuildProjection({
          url,
          token: ADMIN_TOKEN,
          name,
          output: new PassThrough(),
          pollMs: 20,
        });
        expect(serving).not.toBe(before);
      }
    } finally {
      proxy.close();
    }
  });
});

/**
 * On EventStoreDB (the stand-in of its protocol), whose positions are byte offsets: the bar counts
 * the events the service estimates from them, as it does for its lag, not the offsets.
 */
describe('the rebuild CLI on EventStoreDB', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestAppOnStandIn();
  });
  afterAll(() => service.close());

  it('draws its progress in events', async () => {
    const contacts = 20;
    for (let n = 0; n < contacts; n += 1) {
      const created = await service.request('/contacts', {
        method: 'POST',
        json: { external_id: `cli-esdb-${n}` },
      });
      expect(created.status).toBe(200);
    }
    const output = new PassThrough();
    let drawn = '';
    output.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    await rebuildProjection({
      url: service.baseUrl,
      token: ADMIN_TOKEN,
      name: 'contacts',
      output,
      pollMs: 20,
    });
    const counts = [...drawn.matchAll(/\| (\d+)\/(\d+) events/g)].map(([, done, total]) => ({
      done: Number(done),
      total: Number(total),
    }));
    expect(counts.length).toBeGreaterThan(0);
    // Estimates, from about 1 KiB an event; the stand-in's positions step by 1 an event.
    for (const { done, total } of counts) {
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThanOrEqual(contacts);
      expect(done).toBeLessThanOrEqual(total);
    }
    expect(counts.at(-1)?.done).toBe(counts.at(-1)?.total);
  });
});

/**
 * Stands in for the service's `/admin/projections` routes: `answer` gives each request's status
 * and JSON body by its method. Resolves with what `use` resolves with, once the server is closed.
 */
async function withStandIn<T>(
  answer: (method: string) => { readonly status: number; readonly body: unknown },
  use: (url: string) => Promise<T>,
): Promise<T> {
  const server = createServer((request, response) => {
    const { status, body } = answer(request.method ?? 'GET');
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/**
 * `GET /admin/projections` of a service whose `contacts` is live on `build`, with 60 events (on
 * the embedded store, unless `fields` say otherwise).
 */
const contactsServedBy = (build: string, fields: Readonly<Record<string, unknown>> = {}) => ({
  type: 'projection.list',
  data: [
    {
      name: 'contacts',
      build,
      state: 'live',
      head_position: '60',
      head_events: '60',
      rebuild: null,
      ...fields,
    },
  ],
});

/**
 * The lines the CLI draws for a rebuild of `contacts` that is done by its first poll: the service
 * (`status` of its serving build) serves v5, then v5_b.
 */
async function barOfARebuildDoneByTheFirstPoll(
  status: (build: string) => unknown,
): Promise<string[]> {
  let serving = 'v5';
  let drawn = '';
  await withStandIn(
    (method) => {
      if (method !== 'POST') return { status: 200, body: status(serving) };
      serving = 'v5_b';
      return { status: 202, body: { type: 'projection.rebuild', name: 'contacts' } };
    },
    async (url) => {
      const output = new PassThrough();
      output.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
      const build = await rebuildProjection({
        url,
        token: ADMIN_TOKEN,
        name: 'contacts',
        output,
        pollMs: 20,
      });
      expect(build).toBe('v5_b');
    },
  );
  return drawn
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
}

describe('the CLI without a token', () => {
  let workDir: string;
  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'cli-token-'));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  // A port nothing listens on: were a token found, the CLI would say it cannot reach the service.
  const rebuildAtNoService = async () => [
    'rebuild',
    'contacts',
    '--url',
    `http://127.0.0.1:${await freePort()}`,
  ];

  it('names the DATA_DIR/access-token it looked for, besides --token and ADMIN_TOKEN', async () => {
    const dataDir = join(workDir, 'service-data');
    const run = await runCli(await rebuildAtNoService(), {
      env: { DATA_DIR: dataDir },
      cwd: workDir,
    });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 1, stdout: '' });
    expect(run.stderr).toContain('--token');
    expect(run.stderr).toContain('ADMIN_TOKEN is unset');
    expect(run.stderr).toContain(`no ${join(dataDir, 'access-token')} (DATA_DIR/access-token)`);
  });

  it("names the default DATA_DIR's access-token, resolved where the CLI runs, when DATA_DIR is unset", async () => {
    const run = await runCli(await rebuildAtNoService(), { env: {}, cwd: workDir });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `no ${join(workDir, 'data', 'access-token')} (DATA_DIR is unset: its default ./data)`,
    );
  });

  it('says which of the places it looked held an empty token', async () => {
    const dataDir = join(workDir, 'empty-token');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'access-token'), '\n');
    const run = await runCli(await rebuildAtNoService(), {
      env: { DATA_DIR: dataDir, ADMIN_TOKEN: '' },
      cwd: workDir,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ADMIN_TOKEN is empty');
    expect(run.stderr).toContain(`${join(dataDir, 'access-token')} is empty`);
  });
});

/**
 * The production image (Dockerfile, last stage) holds package.json, dist and the production
 * dependencies: no sources, no tsconfig, no compiler. `npm run cli` built the sources first
 * (precli), and failed there.
 */
describe('the CLI in the production image', () => {
  let image: string;
  beforeAll(() => {
    image = mkdtempSync(join(tmpdir(), 'image-'));
    copyFileSync(join(__dirname, '../../package.json'), join(image, 'package.json'));
    // The built CLI, standing in for dist/src/cli/main.js: it says how it was called.
    mkdirSync(join(image, 'dist/src/cli'), { recursive: true });
    writeFileSync(
      join(image, 'dist/src/cli/main.js'),
      "process.stdout.write('built CLI: ' + process.argv.slice(2).join(' '));",
    );
  });
  afterAll(() => rmSync(image, { recursive: true, force: true }));

  it('runs the built CLI through npm run cli, building nothing', () => {
    const run = spawnSync('npm', ['run', '-s', 'cli', '--', 'rebuild', 'contacts'], {
      cwd: image,
      encoding: 'utf8',
    });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toMatchObject({
      status: 0,
      stdout: 'built CLI: rebuild contacts',
    });
  });
});
