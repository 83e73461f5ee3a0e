/**
 * Segment membership benchmark (`npm run bench:segments`).
 *
 * 1. Throughput: the same log of contact events (creations, updates, sightings) is projected by
 *    the contacts projection alone, then by the segment membership projection with 100 segments
 *    in the workspace, each from position 0 into a fresh SQLite read store through the real
 *    projection runner. Target: membership ≥ 0.5× the contacts projection.
 * 2. Rebuild of a log whose segments came after its contacts: BENCH_REBUILD_CONTACTS contacts
 *    (3 events each), then BENCH_REBUILD_SEGMENTS segments created over them, each evaluated over
 *    the whole workspace in SQL; projected from position 0 by both projections in the same rounds.
 *    This is where a segment's bulk evaluation dominates, and where its cost grows with the
 *    segments the contacts are already in.
 * 3. Rule change: 1,000,000 contact rows are written straight into the membership projection's
 *    contact table, a segment is created over them, then its rule is changed (the change is
 *    evaluated in SQL, diffed against the members, with deadlines for its relative date filter).
 *    Target: < 10 s.
 *
 * Options: BENCH_CONTACTS (default 20000 contacts, 3 events each), BENCH_REBUILD_SEGMENTS (default
 * 300) and BENCH_REBUILD_CONTACTS (default 2000), BENCH_RULE_CONTACTS
 * (default 1000000), BENCH_ROUNDS (default 5: the two projections run alternately, each round into
 * fresh read stores, and the figures are medians; single rounds on these machines range ±25%).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { contactsProjection } from '../projections/contacts/contacts.projection';
import { segmentMembershipProjection } from '../projections/segment-membership/segment-membership.projection';
import type { SegmentMembershipReadModel } from '../projections/segment-membership/segment-membership.tables';
import type { JsonValue } from '../src/contacts/domain/contact.attributes';
import { SqliteEventStore } from '../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { openReadStore } from '../src/infrastructure/read-store/open-read-store';
import type { AnyProjection } from '../src/projection-runner/projection';
import { ProjectionRunner } from '../src/projection-runner/projection-runner';
import type { NewEvent, RecordedEvent } from '../src/shared/event-store/event-store.port';
import { contactStreamId, segmentStreamId } from '../src/shared/stream-names';
import { median, printTable, type Row } from './bench-table';

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 20_000);
const RULE_CONTACTS = Number(process.env.BENCH_RULE_CONTACTS ?? 1_000_000);
const SEGMENTS = 100;
const REBUILD_SEGMENTS = Number(process.env.BENCH_REBUILD_SEGMENTS ?? 300);
const REBUILD_CONTACTS = Number(process.env.BENCH_REBUILD_CONTACTS ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WORKSPACE = 'bench';
const T0 = 1_700_000_000;
const DAY = 86_400;
const PLANS = ['free', 'pro', 'team', 'enterprise'];
const BROWSERS = ['firefox', 'chrome', 'safari', 'edge'];
let membershipsPerContact = 0;

const hexId = (n: number, prefix = '65'): string =>
  `${prefix}${n.toString(16).padStart(22 - prefix.length + 2, '0')}`.slice(0, 24);

/** 100 rules of the kinds users write: equality, text, ranges, presence, relative dates, groups. */
function segmentRule(index: number): JsonValue {
  const plan = PLANS[index % PLANS.length]!;
  const days = 1 + (index % 30);
  switch (index % 6) {
    case 0:
      return { field: 'custom_attributes.plan', operator: '=', value: plan };
    case 1:
      return { field: 'signed_up_at', operator: 'less_than_days_ago', value: days };
    case 2:
      return {
        operator: 'AND',
        value: [
          { field: 'custom_attributes.score', operator: '>', value: index },
          { field: 'browser', operator: '=', value: BROWSERS[index % BROWSERS.length]! },
        ],
      };
    case 3:
      return { field: 'email', operator: '=', value: `user${index}@d${index % 7}.example.com` };
    case 4:
      return {
        operator: 'OR',
        value: [
          { field: 'last_seen_at', operator: 'more_than_days_ago', value: days },
          { field: 'email', operator: 'not_exists' },
        ],
      };
    default:
      return { field: 'email_domain', operator: '=', value: `d${index % 7}.example.com` };
  }
}

function segmentCreated(index: number, at: number): NewEvent {
  const segmentId = hexId(index, '66');
  return {
    id: randomUUID(),
    type: 'SegmentCreated',
    data: {
      segmentId,
      workspaceId: WORKSPACE,
      name: `segment ${index}`,
      personType: index % 3 === 0 ? 'all' : 'user',
      rule: segmentRule(index),
      attributeTypes: { plan: 'string', score: 'integer' },
      ruleVersion: 1,
      createdAt: at,
    },
    metadata: { workspaceId: WORKSPACE, occurredAt: at * 1000 },
  };
}

function contactEvents(n: number, at: number): NewEvent[] {
  const contactId = hexId(n);
  const ref = { contactId, workspaceId: WORKSPACE };
  const metadata = { workspaceId: WORKSPACE, occurredAt: at * 1000 };
  return [
    {
      id: randomUUID(),
      type: 'UserCreated',
      data: {
        ...ref,
        createdAt: at,
        attributes: {
          email: n % 5 === 0 ? null : `user${n}@d${n % 7}.example.com`,
          name: `User ${n}`,
          signed_up_at: at - (n % 40) * DAY,
          custom_attributes: { plan: PLANS[n % PLANS.length]!, score: n % 100 },
        },
      },
      metadata,
    },
    {
      id: randomUUID(),
      type: 'ContactUpdated',
      data: {
        ...ref,
        updatedAt: at + 1,
        changes: { name: `User ${n} B`, custom_attributes: { score: (n * 7) % 100 } },
      },
      metadata: { ...metadata, occurredAt: (at + 1) * 1000 },
    },
    {
      id: randomUUID(),
      type: 'ContactSeen',
      data: {
        ...ref,
        seenAt: at + 2,
        context: { browser: BROWSERS[n % BROWSERS.length]!, os: 'linux' },
      },
      metadata: { ...metadata, occurredAt: (at + 2) * 1000 },
    },
  ];
}

async function appendSegments(store: SqliteEventStore, count: number, at: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const event = segmentCreated(index, at);
    await store.append(segmentStreamId(WORKSPACE, String(event.data.segmentId)), [event], {
      expectedRevision: 'no_stream',
    });
  }
}

async function appendContacts(store: SqliteEventStore, count: number): Promise<void> {
  for (let start = 0; start < count; start += 256) {
    const appends: Promise<unknown>[] = [];
    for (let n = start; n < Math.min(count, start + 256); n += 1) {
      appends.push(
        store.append(contactStreamId(WORKSPACE, hexId(n)), contactEvents(n, T0 + n), {
          expectedRevision: 'no_stream',
        }),
      );
    }
    await Promise.all(appends);
  }
}

/** Segments first, then the contacts: each contact event is evaluated against every segment. */
async function writeLog(dir: string): Promise<SqliteEventStore> {
  const store = SqliteEventStore.open({ dataDir: join(dir, 'events'), synchronous: 'NORMAL' });
  await appendSegments(store, SEGMENTS, T0);
  await appendContacts(store, CONTACTS);
  return store;
}

/** Contacts first, then the segments: each segment is evaluated over every contact in bulk. */
async function writeRebuildLog(dir: string): Promise<SqliteEventStore> {
  const store = SqliteEventStore.open({
    dataDir: join(dir, 'rebuild-events'),
    synchronous: 'NORMAL',
  });
  await appendContacts(store, REBUILD_CONTACTS);
  await appendSegments(store, REBUILD_SEGMENTS, T0 + REBUILD_CONTACTS + DAY);
  return store;
}

/** Seconds for a fresh runner to project the whole log with only `projection`. */
async function projectAll(
  store: SqliteEventStore,
  dir: string,
  name: string,
  projection: AnyProjection,
): Promise<number> {
  const readStore = await openReadStore({ kind: 'sqlite', file: join(dir, `${name}.sqlite`) });
  const runner = new ProjectionRunner(store, readStore, [projection]);
  const head = await store.headPosition();
  const started = performance.now();
  await runner.start();
  if (!(await runner.waitFor(head, 600_000))) throw new Error(`${name} did not catch up`);
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  if (name.startsWith('membership')) {
    const tables = runner.tables<SegmentMembershipReadModel>('segment_membership');
    const { n } = await readStore.db
      .selectFrom(tables('segment_membership_segments') as never)
      .select((eb) => eb.fn.sum<number>('member_count' as never).as('n'))
      .executeTakeFirstOrThrow();
    membershipsPerContact = Number(n) / CONTACTS;
  }
  await readStore.close();
  return seconds;
}

function recorded(event: NewEvent, position: bigint): RecordedEvent {
  return {
    ...event,
    streamId: segmentStreamId(WORKSPACE, String(event.data.segmentId)),
    revision: 0n,
    position,
    recordedAt: new Date(),
  };
}

/** Writes `count` contact rows straight into the membership projection's contact table. */
function generateContactRows(file: string, count: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insert = db.prepare(`INSERT INTO segment_membership_contacts
    (workspace_id, id, role, status, archived, email, email_domain, name, created_at, updated_at,
     signed_up_at, last_seen_at, unsubscribed_from_emails, has_hard_bounced, marked_email_as_spam,
     browser, custom_attributes, merge_history, field_written_at, revision)
    VALUES (?, ?, ?, 'live', 0, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, '[]', '{}', 2)`);
  const insertMany = db.transaction((from: number, to: number) => {
    for (let n = from; n < to; n += 1) {
      const domain = `d${n % 7}.example.com`;
      insert.run(
        WORKSPACE,
        hexId(n),
        n % 4 === 0 ? 'lead' : 'user',
        `user${n}@${domain}`,
        domain,
        `User ${n}`,
        T0,
        T0,
        T0 - (n % 60) * DAY + (n % 86_400),
        T0 - (n % 10) * DAY,
        BROWSERS[n % BROWSERS.length],
        JSON.stringify({ plan: PLANS[n % PLANS.length], score: n % 100 }),
      );
    }
  });
  for (let from = 0; from < count; from += 50_000) insertMany(from, Math.min(count, from + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

async function ruleChange(
  dir: string,
): Promise<{ create: number; change: number; members: number }> {
  const file = join(dir, 'rule-change.sqlite');
  const projection = segmentMembershipProjection();
  const readStore = await openReadStore({ kind: 'sqlite', file });
  const db = readStore.db as Kysely<SegmentMembershipReadModel>;
  for (const migration of projection.migrations) await migration.up(db, (logical) => logical);
  await readStore.close();
  generateContactRows(file, RULE_CONTACTS);

  const store = await openReadStore({ kind: 'sqlite', file });
  await store.optimize();
  const typed = store.db as Kysely<SegmentMembershipReadModel>;
  const created = segmentCreated(0, T0 + DAY);
  const apply = async (event: NewEvent, position: bigint): Promise<number> => {
    const started = performance.now();
    await typed
      .transaction()
      .execute((tx) => projection.apply([recorded(event, position)], tx, (logical) => logical));
    return (performance.now() - started) / 1000;
  };
  const create = await apply(created, 1n);
  const change = await apply(
    {
      id: randomUUID(),
      type: 'SegmentRuleChanged',
      data: {
        segmentId: created.data.segmentId,
        workspaceId: WORKSPACE,
        personType: 'all',
        rule: {
          operator: 'AND',
          value: [
            { field: 'signed_up_at', operator: 'less_than_days_ago', value: 30 },
            { field: 'custom_attributes.plan', operator: 'IN', value: ['pro', 'team'] },
          ],
        },
        attributeTypes: { plan: 'string' },
        ruleVersion: 2,
        changedAt: T0 + DAY + 60,
      },
      metadata: { workspaceId: WORKSPACE, occurredAt: (T0 + DAY + 60) * 1000 },
    },
    2n,
  );
  const members = await typed
    .selectFrom('segment_membership_segments')
    .select('member_count')
    .executeTakeFirstOrThrow();
  await store.close();
  return { create, change, members: Number(members.member_count) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-segments-'));
  try {
    console.log(`Writing ${SEGMENTS} segments and ${CONTACTS * 3} contact events…`);
    const store = await writeLog(dir);
    const events = CONTACTS * 3;
    // The machine's speed drifts: each round projects the log with both, one right after the
    // other, and the ratio is the median of the rounds' ratios.
    const rounds: Array<{ contacts: number; membership: number }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const contacts = await projectAll(store, dir, `contacts-${round}`, contactsProjection);
      const membership = await projectAll(
        store,
        dir,
        `membership-${round}`,
        // As the service runs it: late events (a third of these) read their contact's stream.
        segmentMembershipProjection({ eventStore: store }),
      );
      rounds.push({ contacts: events / contacts, membership: events / membership });
    }
    await store.close();

    const rebuildEvents = REBUILD_CONTACTS * 3 + REBUILD_SEGMENTS;
    console.log(
      `Writing ${REBUILD_CONTACTS * 3} contact events, then ${REBUILD_SEGMENTS} segments over them…`,
    );
    const rebuildStore = await writeRebuildLog(dir);
    const rebuilds: Array<{ contacts: number; membership: number }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const contacts = await projectAll(
        rebuildStore,
        dir,
        `rebuild-contacts-${round}`,
        contactsProjection,
      );
      const membership = await projectAll(
        rebuildStore,
        dir,
        `rebuild-segments-${round}`,
        segmentMembershipProjection({ eventStore: rebuildStore }),
      );
      rebuilds.push({
        contacts: rebuildEvents / contacts,
        membership: rebuildEvents / membership,
      });
    }
    await rebuildStore.close();
    console.log(
      `Writing ${RULE_CONTACTS.toLocaleString('en-US')} contact rows for the rule change…`,
    );
    const rule = await ruleChange(dir);

    const roundRatios = rounds.map((round) => round.membership / round.contacts);
    const contactsRate = median(rounds.map((round) => round.contacts));
    const membershipRate = median(rounds.map((round) => round.membership));
    const rebuildRatios = rebuilds.map((round) => round.membership / round.contacts);
    const rows: Row[] = [
      { measure: 'contacts projection alone', value: contactsRate, unit: 'events/s' },
      {
        measure: `segment membership, ${SEGMENTS} segments`,
        value: membershipRate,
        unit: 'events/s',
        ratios: [
          `${median(roundRatios).toFixed(2)}× contacts (target ≥ 0.5×; rounds ${roundRatios.map((ratio) => ratio.toFixed(2)).join(' ')})`,
          `${membershipsPerContact.toFixed(1)} segments per contact at the end`,
        ],
      },
      {
        measure: `rebuild: contacts projection, ${REBUILD_CONTACTS.toLocaleString('en-US')} contacts then ${REBUILD_SEGMENTS} segments`,
        value: median(rebuilds.map((round) => round.contacts)),
        unit: 'events/s',
      },
      {
        measure: `rebuild: segment membership, same log`,
        value: median(rebuilds.map((round) => round.membership)),
        unit: 'events/s',
        ratios: [
          `${median(rebuildRatios).toFixed(3)}× contacts (rounds ${rebuildRatios.map((ratio) => ratio.toFixed(3)).join(' ')})`,
        ],
      },
      {
        measure: `create segment over ${RULE_CONTACTS.toLocaleString('en-US')} contacts`,
        value: rule.create,
        unit: 's',
      },
      {
        measure: `rule change over ${RULE_CONTACTS.toLocaleString('en-US')} contacts`,
        value: rule.change,
        unit: 's',
        ratios: [`target < 10 s; ${rule.members.toLocaleString('en-US')} members after`],
      },
    ];
    printTable(rows);
    console.log(
      '\nSQLite read store and embedded event store in a temp dir; reproduce with `npm run bench:segments`' +
        ' (BENCH_CONTACTS, BENCH_REBUILD_CONTACTS, BENCH_REBUILD_SEGMENTS, BENCH_RULE_CONTACTS to resize).',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
