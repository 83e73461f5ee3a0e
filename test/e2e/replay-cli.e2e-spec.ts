import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { runCli } from '../support/run-cli';
import { ACME_TOKEN, GLOBEX_TOKEN, startTestApp, type TestApp } from '../support/test-app';

interface ContactJson {
  id: string;
  email: string | null;
  name: string | null;
  role: string;
}

/** history.md: `replay --until <time|position> --out <file.sqlite>`, with a workspace token. */
describe('the replay CLI', () => {
  let service: TestApp;
  let workDir: string;
  const now = Math.floor(Date.now() / 1000);
  const past = now - 10_000;
  let pastContact: string;
  let ada: string;
  let bob: string;
  let segment: string;
  let afterAda: string;

  const json = async <T>(response: Response): Promise<T> => {
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    service = await startTestApp();
    workDir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
    const ingested = await json<{ results: Array<{ contact_id: string }> }>(
      await service.request('/messenger/events', {
        method: 'POST',
        json: {
          events: [
            {
              id: 'replay-signup',
              type: 'contact.signed_up',
              occurred_at: past,
              external_id: 'replay-past',
              email: 'past@example.com',
            },
            {
              id: 'replay-renamed',
              type: 'contact.attributes_updated',
              occurred_at: past + 100,
              external_id: 'replay-past',
              attributes: { name: 'Named later' },
            },
          ],
        },
      }),
    );
    pastContact = ingested.results[0]!.contact_id;
    const adaCreated = await service.request('/contacts', {
      method: 'POST',
      json: { email: 'ada@example.com', name: 'Ada' },
    });
    afterAda = adaCreated.headers.get('x-position')!;
    ada = (await json<ContactJson>(adaCreated)).id;
    segment = (
      await json<{ id: string }>(
        await service.request('/segments', {
          method: 'POST',
          json: { name: 'Adas', rule: { field: 'name', operator: '=', value: 'Ada' } },
        }),
      )
    ).id;
    bob = (
      await json<ContactJson>(
        await service.request('/contacts', {
          method: 'POST',
          json: { email: 'bob@example.com', name: 'Ada' },
        }),
      )
    ).id;
    await json(await service.request(`/contacts/${bob}`, { method: 'PUT', json: { name: 'Bob' } }));
    const tracked = await service.request('/events', {
      method: 'POST',
      json: { event_name: 'replayed', created_at: now - 5, email: 'ada@example.com' },
    });
    expect(tracked.status).toBe(202);
  });
  afterAll(async () => {
    await service.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const replay = (until: string, out: string, ...more: string[]) =>
    runCli(['replay', '--url', service.baseUrl, '--until', until, '--out', out, ...more], {
      env: { ACCESS_TOKEN: ACME_TOKEN },
      cwd: workDir,
    });

  const rowsOf = <T>(file: string, sql: string, ...parameters: unknown[]): T[] => {
    const database = new Database(file, { readonly: true });
    try {
      return database.prepare(sql).all(...parameters) as T[];
    } finally {
      database.close();
    }
  };

  const contactsIn = (file: string) =>
    rowsOf<ContactJson>(
      file,
      "SELECT id, email, name, role FROM contacts WHERE status = 'live' AND role IN ('lead', 'user') ORDER BY id",
    );

  it('builds the read models as the service shows them now, drawing its progress on stderr', async () => {
    const out = join(workDir, 'now.sqlite');
    const run = await replay(String(Math.floor(Date.now() / 1000)), out);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(
      /replay \[.*\] 100% \| \d+\/\d+ positions \| \d+ events \| \d+ events\/s \| ETA/,
    );
    expect(run.stderr).toMatch(/\d+ events replayed into .*now\.sqlite \(up to position \d+\)\n$/);

    const listed = await json<{ data: ContactJson[] }>(
      await service.request('/contacts?per_page=150'),
    );
    expect(contactsIn(out)).toEqual(
      listed.data
        .map(({ id, email, name, role }) => ({ id, email, name, role }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(contactsIn(out).map((contact) => contact.id)).toEqual(
      expect.arrayContaining([pastContact, ada, bob]),
    );

    const members = await json<{ data: Array<{ id: string }> }>(
      await service.request(`/segments/${segment}/contacts`),
    );
    expect(members.data.map((member) => member.id)).toEqual([ada]);
    expect(
      rowsOf<{ contact_id: string }>(
        out,
        'SELECT contact_id FROM segment_membership_contact_segments WHERE segment_ids LIKE ?',
        `% ${segment} %`,
      ).map((row) => row.contact_id),
    ).toEqual([ada]);
    expect(
      rowsOf<{ member_count: number }>(
        out,
        'SELECT member_count FROM segment_membership_segments WHERE segment_id = ?',
        segment,
      ),
    ).toEqual([{ member_count: 1 }]);

    const events = await json<{ events: Array<{ event_name: string }> }>(
      await service.request(`/events?type=user&intercom_user_id=${ada}`),
    );
    expect(events.events.map((event) => event.event_name)).toEqual(['replayed']);
    expect(rowsOf(out, 'SELECT contact_id, name FROM data_events')).toEqual([
      { contact_id: ada, name: 'replayed' },
    ]);
    expect(rowsOf(out, 'SELECT workspace_id, events FROM replay')).toEqual([
      { workspace_id: 'acme', events: expect.any(Number) as unknown },
    ]);
  });

  it("dates a late write's entry and exit at its own time, as the service's membership does", async () => {
    const name = `Late ${Date.now()}`;
    const lateSegment = (
      await json<{ id: string }>(
        await service.request('/segments', {
          method: 'POST',
          json: {
            name,
            person_type: 'all',
            rule: { field: 'name', operator: '=', value: `${name} pro` },
          },
        }),
      )
    ).id;
    const user = await json<{ id: string; created_at: number }>(
      await service.request('/contacts', { method: 'POST', json: { role: 'user', name } }),
    );
    const created = user.created_at;
    // The workspace's clock has to be past the late write's time for it to be late.
    await eventually(async () => (Math.floor(Date.now() / 1000) > created + 2 ? true : undefined));
    for (const [occurredAt, value] of [
      [created + 2, 'free'],
      [created + 1, 'pro'],
    ] as const)
      await json(
        await service.request('/messenger/events', {
          method: 'POST',
          json: {
            events: [
              {
                id: `${name}-${value}`,
                type: 'contact.attributes_updated',
                occurred_at: occurredAt,
                contact_id: user.id,
                attributes: { name: `${name} ${value}` },
              },
            ],
          },
        }),
      );
    const history = await eventually(async () => {
      const { data } = await json<{ data: Array<{ change: string; effective_at: number }> }>(
        await service.request(`/segments/${lateSegment}/history`),
      );
      return data.length === 2 ? data : undefined;
    });
    expect(history.map((row) => [row.change, row.effective_at - created])).toEqual([
      ['entered', 1],
      ['exited', 2],
    ]);

    const out = join(workDir, 'late.sqlite');
    expect((await replay(String(Math.floor(Date.now() / 1000)), out)).status).toBe(0);
    expect(
      rowsOf<{ effective_at: number; entered: string; exited: string }>(
        out,
        'SELECT effective_at, entered, exited FROM segment_membership_changes WHERE contact_id = ? ORDER BY effective_at',
        user.id,
      ).map((row) => [
        row.entered.includes(lateSegment)
          ? 'entered'
          : row.exited.includes(lateSegment)
            ? 'exited'
            : '',
        row.effective_at - created,
      ]),
    ).toEqual([
      ['entered', 1],
      ['exited', 2],
    ]);
  });

  it('builds them as of an event time: what GET /contacts/{id}?as_of shows then', async () => {
    const out = join(workDir, 'past.sqlite');
    const run = await replay(String(past + 50), out);
    expect(run.status).toBe(0);
    const then = await json<ContactJson>(
      await service.request(`/contacts/${pastContact}?as_of=${past + 50}`),
    );
    expect(then.name).toBeNull();
    expect(contactsIn(out)).toEqual([
      { id: then.id, email: then.email, name: then.name, role: then.role },
    ]);
    expect(rowsOf(out, 'SELECT segment_id FROM segment_membership_segments')).toEqual([]);
  });

  it('builds them as of a log position', async () => {
    const out = join(workDir, 'position.sqlite');
    const run = await replay(`position:${afterAda}`, out);
    expect(run.status).toBe(0);
    expect(
      contactsIn(out)
        .map((contact) => contact.id)
        .sort(),
    ).toEqual([pastContact, ada].sort());
    expect(rowsOf(out, 'SELECT until_position FROM replay')).toEqual([
      { until_position: afterAda },
    ]);
  });

  // Each CLI run starts ts-node (seconds on a loaded machine): a few per test at most.
  it('refuses a file that exists unless --force', async () => {
    const out = join(workDir, 'taken.sqlite');
    writeFileSync(out, 'not mine');
    const refused = await replay(String(now), out);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`${out} exists: pass --force to replace it\n`);
    expect(readFileSync(out, 'utf8')).toBe('not mine');
    const forced = await replay(String(now), out, '--force');
    expect(forced.status).toBe(0);
    expect(contactsIn(out).length).toBeGreaterThan(0);
  });

  it.each(['yesterday', 'an hour ahead'])('refuses a point it cannot read: %s', async (point) => {
    const until = point === 'yesterday' ? point : String(now + 3600);
    const unreadable = await replay(until, join(workDir, 'never.sqlite'));
    expect(unreadable.status).toBe(1);
    expect(unreadable.stderr).toMatch(new RegExp(`^--until ${until} is `));
  });

  it("ends its progress at 100% when the log's last events are not the workspace's", async () => {
    const other = await service.request('/contacts', {
      method: 'POST',
      json: { email: 'elsewhere@example.com' },
      token: GLOBEX_TOKEN,
    });
    expect(other.status).toBe(200);
    const run = await replay(String(Math.floor(Date.now() / 1000)), join(workDir, 'last.sqlite'));
    expect(run.status).toBe(0);
    const [, done, total] = /100% \| (\d+)\/(\d+) positions/.exec(run.stderr) ?? [];
    expect(done).toBeDefined();
    expect(done).toBe(total);
  });
});
