import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { contactStreamId, identityStreamId } from '../../src/shared/stream-names';
import { collect } from '../integration/event-store.conformance';
import { spawnService, waitUntilReady, type ServiceProcess } from '../support/service-process';

const TOKEN = 'token-of-crash-tests';

function call(
  service: ServiceProcess,
  path: string,
  init: { method?: string; json?: unknown; headers?: Record<string, string> } = {},
) {
  return fetch(`${service.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      ...init.headers,
    },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
}

async function poll<T>(attempt: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('merge survives a crash between its two appends', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'merge-crash-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('completes exactly once after a restart when the process died after closing the source', async () => {
    const environment = { DATA_DIR: dataDir, ACCESS_TOKENS: `crash:${TOKEN}` };
    const crashing = await spawnService({
      ...environment,
      FAULT_INJECTION: 'merge.after_source_closed',
    });
    await waitUntilReady(crashing);
    const lead = (await (
      await call(crashing, '/contacts', {
        method: 'POST',
        json: { role: 'lead', name: 'Crash lead', phone: '+1 1', external_id: 'crash-lead' },
      })
    ).json()) as { id: string };
    const user = (await (
      await call(crashing, '/contacts', { method: 'POST', json: { email: 'crash@user.test' } })
    ).json()) as { id: string };
    await expect(
      call(crashing, '/contacts/merge', { method: 'POST', json: { from: lead.id, into: user.id } }),
    ).rejects.toThrow();
    expect(await crashing.exited).toBe('SIGKILL');

    const restarted = await spawnService(environment);
    try {
      await waitUntilReady(restarted);
      const merged = await poll(async () => {
        const response = await call(restarted, `/contacts/${user.id}?include_merge_history=true`);
        const body = (await response.json()) as {
          merge_history: unknown[];
          name: string | null;
          phone: string | null;
          external_id: string | null;
        };
        return body.merge_history.length > 0 ? body : undefined;
      });
      expect(merged).toMatchObject({
        name: 'Crash lead',
        phone: '+1 1',
        external_id: 'crash-lead',
      });
      expect(merged.merge_history).toEqual([
        {
          type: 'merge_history',
          source_contact_id: lead.id,
          source_contact_role: 'lead',
          merged_at: expect.any(Number),
        },
      ]);
      const gone = await call(restarted, `/contacts/${lead.id}`, {
        headers: { 'Intercom-Version': '2.16' },
      });
      expect(gone.status).toBe(410);
      // A client retrying the interrupted call gets the target, and nothing is absorbed twice.
      const again = await call(restarted, '/contacts/merge', {
        method: 'POST',
        json: { from: lead.id, into: user.id },
      });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { merge_history?: unknown[]; id: string }).id).toBe(user.id);
      // The lead's external_id is the user's: nobody else can take it.
      const taken = await call(restarted, '/contacts', {
        method: 'POST',
        json: { external_id: 'crash-lead' },
      });
      expect(taken.status).toBe(409);
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }

    const store = SqliteEventStore.open({ dataDir });
    const targetEvents = await collect(store.readStream(contactStreamId('crash', user.id)));
    const reservation = await collect(
      store.readStream(identityStreamId('crash', 'external_id', 'crash-lead')),
    );
    await store.close();
    expect(targetEvents.filter((event) => event.type === 'LeadMergeAbsorbed')).toHaveLength(1);
    // Its reservation passed from the lead to the user, once.
    expect(reservation.map((event) => [event.type, event.data.contactId])).toEqual([
      ['IdentityReserved', lead.id],
      ['IdentityReleased', lead.id],
      ['IdentityReserved', user.id],
    ]);
    // Two service processes start one after the other (each compiles the sources through ts-node).
  }, 90_000);
});
