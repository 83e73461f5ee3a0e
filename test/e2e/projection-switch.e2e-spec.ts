import { describeOnReadStores } from '../support/read-store-targets';
import {
  ADMIN_TOKEN,
  startTestApp,
  startTestAppOnPostgres,
  type TestApp,
} from '../support/test-app';

interface ProjectionJson {
  readonly name: string;
  readonly build: string;
  readonly rebuild: unknown;
}

async function contactsBuild(service: TestApp): Promise<ProjectionJson> {
  const response = await service.request('/admin/projections', { token: ADMIN_TOKEN });
  const { data } = (await response.json()) as { data: ProjectionJson[] };
  return data.find((projection) => projection.name === 'contacts')!;
}

/**
 * Reads of existing contacts, by eight clients at once, through `switches` rebuilds of the
 * contacts projection in a row, each switching the build reads resolve to (from the second on,
 * a rebuild waits for the grace of the build it reuses, ~11 s). Answers every status seen, with
 * how often.
 */
async function readThroughSwitches(
  service: TestApp,
  switches: number,
): Promise<Map<number, number>> {
  const ids: string[] = [];
  for (let index = 0; index < 30; index += 1) {
    const created = await service.request('/contacts', {
      method: 'POST',
      json: { external_id: `switch-${index}` },
    });
    ids.push(((await created.json()) as { id: string }).id);
  }
  const statuses = new Map<number, number>();
  for (let round = 0; round < switches; round += 1) {
    const before = (await contactsBuild(service)).build;
    const started = await service.request('/admin/projections/contacts/rebuild', {
      method: 'POST',
      token: ADMIN_TOKEN,
    });
    expect(started.status).toBe(202);
    let switched = false;
    const readers = Array.from({ length: 8 }, async () => {
      while (!switched) {
        const id = ids[Math.floor(Math.random() * ids.length)]!;
        const read = await service.request(`/contacts/${id}`);
        await read.arrayBuffer();
        statuses.set(read.status, (statuses.get(read.status) ?? 0) + 1);
      }
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = await contactsBuild(service);
      if ((now.build !== before && now.rebuild === null) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Reads that resolved the old build just before the switch run after it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    switched = true;
    await Promise.all(readers);
    expect((await contactsBuild(service)).build).not.toBe(before);
  }
  return statuses;
}

describeOnReadStores('reads across blue/green switches', (dialect) => {
  let service: TestApp;
  beforeAll(async () => {
    service = dialect === 'postgres' ? await startTestAppOnPostgres() : await startTestApp();
  });
  afterAll(() => service.close());

  // On PostgreSQL, dropping the old build in the switch's own transaction failed ~4% of these
  // reads (500), about a dozen per switch; on SQLite the window was too short to hit.
  it('answer every read of an existing contact while rebuilds switch builds back and forth', async () => {
    const statuses = await readThroughSwitches(service, 2);
    expect([...statuses.keys()]).toEqual([200]);
  }, 60_000);
});
