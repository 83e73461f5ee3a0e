import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openExport } from '../../src/cli/event-export';
import { replayEvents, type ReplayPoint } from '../../src/cli/replay';
import { eventually } from '../support/eventually';
import { ACME_TOKEN, startTestApp, type TestApp } from '../support/test-app';

const DAY = 86_400;

interface HistoryEntry {
  contact_id: string;
  change: string;
  effective_at: number;
  cause: { type: string };
}

/**
 * history.md: "replays are deterministic, including time-based segment changes (their clock is
 * event time during replay)": a replay up to an instant records the exits due by then, whether or
 * not the log holds the tick that fired them in the service.
 */
describe('a replay of time-based segment changes', () => {
  let service: TestApp;
  let workDir: string;
  let user: string;
  let segment: string;
  let deadline: number;
  let lines: string[];

  beforeAll(async () => {
    service = await startTestApp();
    workDir = mkdtempSync(join(tmpdir(), 'replay-deadlines-'));
    const now = Math.floor(Date.now() / 1000);
    const signedUpAt = now - DAY + 3;
    deadline = signedUpAt + DAY;
    const created = await service.request('/contacts', {
      method: 'POST',
      json: { role: 'user', email: 'replayed@acme.test', signed_up_at: signedUpAt },
    });
    user = ((await created.json()) as { id: string }).id;
    const defined = await service.request('/segments', {
      method: 'POST',
      json: {
        name: 'Signed up within a day',
        rule: { field: 'signed_up_at', operator: 'less_than_days_ago', value: 1 },
      },
    });
    segment = ((await defined.json()) as { id: string }).id;
    await eventually(
      async () => {
        const members = await service.request(`/segments/${segment}/contacts`);
        const { data } = (await members.json()) as { data: Array<{ id: string }> };
        return data.length === 0 ? true : undefined;
      },
      15_000,
      'the user to leave the segment at its deadline',
    );
    const exported = await openExport({ url: service.baseUrl, token: ACME_TOKEN }, {});
    lines = [];
    for await (const line of exported.lines) lines.push(line);
  });
  afterAll(async () => {
    await service.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const typeOf = (line: string) => (JSON.parse(line) as { type: string }).type;

  async function replayed(name: string, of: readonly string[], until: ReplayPoint) {
    const file = join(workDir, `${name}.sqlite`);
    await replayEvents(file, toAsync(of), until);
    const database = new Database(file, { readonly: true });
    try {
      return {
        members: database
          .prepare(
            'SELECT contact_id FROM segment_membership_contact_segments WHERE segment_ids LIKE ?',
          )
          .all(`% ${segment} %`),
        exits: database
          .prepare(
            "SELECT contact_id, effective_at, cause FROM segment_membership_changes WHERE exited <> ' '",
          )
          .all(),
      };
    } finally {
      database.close();
    }
  }

  it("records the exit the service recorded, from the log's tick or, without it, from the instant replayed to", async () => {
    const history = await service.request(`/segments/${segment}/history`);
    const { data } = (await history.json()) as { data: HistoryEntry[] };
    const exit = data.find((entry) => entry.change === 'exited');
    expect(exit).toMatchObject({
      contact_id: user,
      effective_at: deadline,
      cause: { type: 'deadline' },
    });
    const expected = {
      members: [],
      exits: [{ contact_id: user, effective_at: deadline, cause: 'deadline' }],
    };

    expect(lines.map(typeOf)).toContain('SegmentClockTicked');
    const last = BigInt((JSON.parse(lines[lines.length - 1]!) as { position: string }).position);
    expect(await replayed('with-tick', lines, { kind: 'position', position: last })).toEqual(
      expected,
    );

    const withoutTick = lines.filter((line) => typeOf(line) !== 'SegmentClockTicked');
    expect(await replayed('at-deadline', withoutTick, { kind: 'time', seconds: deadline })).toEqual(
      expected,
    );
    expect(
      await replayed('before-deadline', withoutTick, { kind: 'time', seconds: deadline - 1 }),
    ).toEqual({ members: [{ contact_id: user }], exits: [] });
  });
});

async function* toAsync(lines: readonly string[]): AsyncGenerator<string> {
  for (const line of lines) yield await Promise.resolve(line);
}
