import { sql } from 'kysely';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { verifyProjection } from '../../src/cli/verify';
import { READ_STORE } from '../../src/infrastructure/read-store/read-store.module';
import type { ReadStore } from '../../src/infrastructure/read-store/read-store';
import { describeOnReadStores } from '../support/read-store-targets';
import { runCli } from '../support/run-cli';
import {
  ACME_TOKEN,
  ADMIN_TOKEN,
  startTestApp,
  startTestAppOnPostgres,
  type TestApp,
} from '../support/test-app';

interface Verification {
  readonly state: string;
  readonly build: string;
  readonly rows: number | null;
  readonly tables: number | null;
  readonly difference: unknown;
}

/** `POST /admin/projections/{name}/verify` and the `verify` command, on the whole service. */
describeOnReadStores('verifying read models against a rebuild', (dialect) => {
  let service: TestApp;
  beforeAll(async () => {
    service = dialect === 'postgres' ? await startTestAppOnPostgres() : await startTestApp();
    const ok = async (path: string, method: string, json: object) => {
      const response = await service.request(path, { method, json });
      expect(response.status).toBe(200);
      return (await response.json()) as { id: string };
    };
    await ok('/segments', 'POST', {
      name: 'Named',
      rule: { field: 'name', operator: '^', value: 'Ada' },
    });
    const user = await ok('/contacts', 'POST', {
      external_id: 'verify-user',
      email: 'ada@verify.test',
      custom_attributes: {},
    });
    await ok(`/contacts/${user.id}`, 'PUT', { name: 'Ada' });
    const lead = await ok('/contacts', 'POST', { role: 'lead', name: 'Ada L.', phone: '+1 555' });
    await ok('/contacts/merge', 'POST', { from: lead.id, into: user.id });
    for (let n = 0; n < 5; n += 1) await ok('/contacts', 'POST', { external_id: `verify-${n}` });
    const event = await service.request('/events', {
      method: 'POST',
      json: { event_name: 'verified', user_id: 'verify-user', created_at: 1_700_000_000 },
    });
    expect(event.status).toBe(202);
  });
  afterAll(() => service.close());

  const verifyOver = (name: string) =>
    verifyProjection({
      url: service.baseUrl,
      token: ADMIN_TOKEN,
      name,
      output: new PassThrough(),
      pollMs: 20,
    });

  it('refuses a workspace token, an unknown projection, and a GET before any verify of it (first: none has run)', async () => {
    const asWorkspace = await service.request('/admin/projections/contacts/verify', {
      method: 'POST',
      token: ACME_TOKEN,
    });
    expect(asWorkspace.status).toBe(403);
    const unknown = await service.request('/admin/projections/nope/verify', {
      method: 'POST',
      token: ADMIN_TOKEN,
    });
    expect(unknown.status).toBe(404);
    const none = await service.request('/admin/projections/data_events/verify', {
      token: ADMIN_TOKEN,
    });
    expect(none.status).toBe(404);
  });
  it.each(['contacts', 'segment_membership', 'data_events', 'merge_completion', 'lifecycle'])(
    'finds %s identical to its rebuild after ordinary traffic',
    async (name) => {
      const report = await verifyOver(name);
      expect(report.text).toMatch(/^identical: [1-9]\d* rows? in [1-9]\d* tables?$/);
      expect(report.identical).toBe(true);
    },
  );

  it('answers the verify at GET, and keeps serving and taking writes', async () => {
    await verifyOver('contacts');
    const answered = await service.request('/admin/projections/contacts/verify', {
      token: ADMIN_TOKEN,
    });
    expect(answered.status).toBe(200);
    const verification = (await answered.json()) as Verification;
    expect(verification).toMatchObject({ state: 'identical', difference: null });
    expect(verification.rows).toBeGreaterThanOrEqual(8);
    const written = await service.request('/contacts', {
      method: 'POST',
      json: { external_id: 'after-verify' },
    });
    expect(written.status).toBe(200);
    const projections = await service.request('/admin/projections', { token: ADMIN_TOKEN });
    const { data } = (await projections.json()) as {
      data: Array<{ name: string; build: string; rebuild: unknown }>;
    };
    // Never switched: the live build serves on.
    expect(data.find((projection) => projection.name === 'contacts')).toMatchObject({
      build: verification.build,
      rebuild: null,
    });
  });

  it('prints the first difference once a live row is altered, and the CLI exits 1', async () => {
    const created = await service.request('/contacts', {
      method: 'POST',
      json: { external_id: 'tampered', name: 'Grace' },
    });
    const { id } = (await created.json()) as { id: string };
    const store = service.app.get<ReadStore>(READ_STORE);
    const { build } = (
      (await (await service.request('/admin/projections', { token: ADMIN_TOKEN })).json()) as {
        data: Array<{ name: string; build: string }>;
      }
    ).data.find((projection) => projection.name === 'contacts')!;
    await sql`UPDATE ${sql.table(`contacts_${build}`)} SET name = 'Mallory' WHERE id = ${id}`.execute(
      store.db,
    );

    const run = await runCli(['verify', 'contacts', '--url', service.baseUrl], {
      env: { ADMIN_TOKEN },
      cwd: tmpdir(),
    });
    // The whole run, so that a failure shows what the CLI said on stderr.
    expect(run).toMatchObject({
      stdout: `first difference: table contacts, key {"workspace_id":"acme","id":"${id}"}, column name: live "Mallory" vs rebuilt "Grace"\n`,
      status: 1,
    });
    expect(run.stderr).toContain('verify contacts [');

    const answered = await service.request('/admin/projections/contacts/verify', {
      token: ADMIN_TOKEN,
    });
    expect(await answered.json()).toMatchObject({
      state: 'different',
      rows: null,
      difference: {
        table: 'contacts',
        key: { workspace_id: 'acme', id },
        column: 'name',
        live: 'Mallory',
        rebuilt: 'Grace',
      },
    });
    await sql`UPDATE ${sql.table(`contacts_${build}`)} SET name = 'Grace' WHERE id = ${id}`.execute(
      store.db,
    );
    expect((await verifyOver('contacts')).identical).toBe(true);
  });
});
