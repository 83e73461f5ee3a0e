import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEsdbStandIn, type EsdbStandIn } from '../support/esdb-stand-in/esdb-stand-in';
import { eventually } from '../support/eventually';
import { describeOnReadStores } from '../support/read-store-targets';
import { spawnService } from '../support/service-process';
import {
  ADMIN_TOKEN,
  standInEnvironment,
  startTestApp,
  startTestAppOnPostgres,
  type TestApp,
} from '../support/test-app';

jest.setTimeout(90_000);

/** The embedded store's files: removing them is replacing the store by an empty one. */
function removeEventStore(dataDir: string): void {
  for (const suffix of ['', '-wal', '-shm'])
    rmSync(join(dataDir, `events.sqlite${suffix}`), { force: true });
}

interface ProjectionJson {
  readonly name: string;
  readonly state: string;
  readonly checkpoint: string;
  readonly error: string | null;
}

async function projections(app: TestApp): Promise<ProjectionJson[]> {
  const response = await app.request('/admin/projections', { token: ADMIN_TOKEN });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: ProjectionJson[] }).data;
}

/** The operator's way out: every failed read model rebuilt from the log, until the service is ready. */
async function rebuildEachFailed(app: TestApp): Promise<void> {
  for (const { name, state } of await projections(app)) {
    if (state !== 'failed') continue;
    const rebuild = await app.request(`/admin/projections/${name}/rebuild`, {
      method: 'POST',
      token: ADMIN_TOKEN,
    });
    expect({ name, status: rebuild.status }).toEqual({ name, status: 202 });
  }
  await eventually(
    async () => ((await app.request('/health/ready')).status === 200 ? true : undefined),
    30_000,
    'readiness once the read models are rebuilt',
  );
}

/**
 * The embedded event store replaced by an empty one between two runs, the read models (in the
 * same DATA_DIR) kept: their checkpoints are past the new log's end.
 */
describe('a start on an event store replaced since the read models were built', () => {
  let dataDir: string;
  let checkpoint: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'replaced-'));
    const first = await startTestApp({ DATA_DIR: dataDir });
    for (const name of ['one', 'two', 'three']) {
      const created = await first.request('/contacts', {
        method: 'POST',
        json: { external_id: `replaced-${name}` },
      });
      expect(created.status).toBe(200);
    }
    const contacts = (await projections(first)).find((status) => status.name === 'contacts');
    checkpoint = contacts!.checkpoint;
    expect(BigInt(checkpoint)).toBeGreaterThan(0n);
    await first.app.close();
    removeEventStore(dataDir);
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('fails, in one line naming DATA_DIR, the checkpoint and the head', async () => {
    const service = await spawnService({
      DATA_DIR: dataDir,
      ACCESS_TOKENS: 'acme:token-of-acme',
      LOG_LEVEL: 'warn',
    });
    // A service that starts after all is stopped rather than left running.
    const running = setTimeout(() => service.child.kill(), 60_000);
    try {
      expect({ exited: await service.exited, output: service.output() }).toMatchObject({
        exited: 1,
      });
    } finally {
      clearTimeout(running);
    }
    const lines = service
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(`^Failed to start: DATA_DIR: .*position 0\\b.*checkpoint \\(${checkpoint}\\)`),
      ),
    ]);
    expect(lines[0]).toContain('ALLOW_REPLACED_EVENT_LOG=true');
  });

  it('with ALLOW_REPLACED_EVENT_LOG, starts not ready, the read models failed until rebuilt from the new log', async () => {
    const app = await startTestApp({ DATA_DIR: dataDir, ALLOW_REPLACED_EVENT_LOG: 'true' });
    try {
      expect((await app.request('/health/ready')).status).toBe(503);
      const contacts = (await projections(app)).find((status) => status.name === 'contacts')!;
      expect(contacts).toMatchObject({ state: 'failed', checkpoint });
      expect(contacts.error).toContain(`position ${checkpoint}, past its end (0)`);

      const refused = await app.request('/contacts', {
        method: 'POST',
        json: { external_id: 'replaced-refused' },
      });
      expect(refused.status).toBe(503);
      // A messenger batch is refused whole, as when the store is unreachable: no item is tried.
      const batch = await app.request('/messenger/events', {
        method: 'POST',
        json: {
          events: [
            {
              id: 'replaced-item',
              type: 'visitor.seen',
              occurred_at: 1_700_000_000,
              visitor_id: 'v',
            },
          ],
        },
      });
      expect(batch.status).toBe(503);
      expect(batch.headers.get('retry-after')).toBe('60');
      expect(((await batch.json()) as { errors: Array<{ code: string }> }).errors).toEqual([
        expect.objectContaining({ code: 'service_unavailable' }),
      ]);

      await rebuildEachFailed(app);
      const created = await app.request('/contacts', {
        method: 'POST',
        json: { external_id: 'replaced-after' },
      });
      expect(created.status).toBe(200);
      const listed = (await (await app.request('/contacts')).json()) as {
        data: Array<{ external_id: string }>;
      };
      expect(listed.data.map((contact) => contact.external_id)).toEqual(['replaced-after']);
    } finally {
      await app.app.close();
    }
  });
});

/**
 * The black-box probe's case: EventStoreDB swapped for an empty one (same connection string)
 * under the running service, the read models on PostgreSQL (SQLite too). Writes answered 200,
 * never reached the read models, and nothing showed a failure.
 */
describeOnReadStores(
  'an EventStoreDB replaced by an empty one under the running service',
  (dialect) => {
    let standIn: EsdbStandIn;
    let app: TestApp;

    beforeEach(async () => {
      standIn = await startEsdbStandIn();
      const environment = standInEnvironment(standIn.connectionString);
      app =
        dialect === 'postgres'
          ? await startTestAppOnPostgres(environment)
          : await startTestApp(environment);
      for (const name of ['one', 'two', 'three']) {
        const created = await app.request('/contacts', {
          method: 'POST',
          json: { external_id: `swapped-${name}` },
        });
        expect(created.status).toBe(200);
      }
      const { port } = standIn;
      await standIn.close();
      standIn = await startEsdbStandIn({ port });
    });
    afterEach(async () => {
      await app.close();
      await standIn.close();
    });

    /** A write, once the client has reconnected to the new store. */
    async function write(externalId: string): Promise<Response> {
      return eventually(async () => {
        const response = await app.request('/contacts', {
          method: 'POST',
          json: { external_id: externalId },
        });
        const body = (await response.clone().json()) as { errors?: Array<{ message: string }> };
        // The first call on the closed channel fails as an outage would.
        return body.errors?.[0]?.message.includes('unreachable') ? undefined : response;
      }, 10_000);
    }

    it('refuses the first write and every one after with 503, shows the read models failed and is not ready, until they are rebuilt', async () => {
      const first = await write('swapped-after');
      expect(first.status).toBe(503);
      expect(await first.json()).toMatchObject({
        type: 'error.list',
        errors: [
          {
            code: 'service_unavailable',
            message: expect.stringContaining('past its end') as unknown,
          },
        ],
      });
      const head = await standIn.store.headPosition();
      const second = await write('swapped-later');
      expect(second.status).toBe(503);
      const body = (await second.json()) as { errors: Array<{ message: string }> };
      expect(body.errors[0]!.message).toMatch(/^Writes are refused/);
      expect(await standIn.store.headPosition()).toBe(head);

      const failed = (await projections(app)).filter((status) => status.state === 'failed');
      expect(failed.map((status) => status.name)).toContain('contacts');
      expect((await app.request('/health/ready')).status).toBe(503);

      // The way out: rebuild each from the new log; writes are taken again.
      await rebuildEachFailed(app);
      expect((await write('swapped-rebuilt')).status).toBe(200);
      const listed = (await (await app.request('/contacts')).json()) as {
        data: Array<{ external_id: string }>;
      };
      // The first write may have been stored (when it found the swap out itself): the new log
      // holds it, and so do the rebuilt read models.
      const listedIds = listed.data.map((contact) => contact.external_id);
      expect(listedIds).toContain('swapped-rebuilt');
      expect(listedIds).not.toContain('swapped-later');
      expect(listedIds).not.toContain('swapped-one');
    });
  },
);
