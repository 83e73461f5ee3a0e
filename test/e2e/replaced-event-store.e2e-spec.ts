import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { spawnService } from '../support/service-process';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/test-app';

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
