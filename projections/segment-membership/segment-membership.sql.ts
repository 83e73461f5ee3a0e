import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { CONTACT_ID_PATTERN } from '../../src/contacts/contact-id';
import {
  compileSearchQuery,
  searchableContacts,
  searchFieldSql,
  type SearchDialect,
  type SegmentMembershipSql,
} from '../../src/contacts/search/contact-search.sql';
import { daySeconds } from '../../src/contacts/search/contact-search.semantics';
import type { TableResolver } from '../../src/projection-runner/projection';
import {
  isTimeBased,
  rolesOf,
  type SegmentRuleSnapshot,
} from '../../src/segments/domain/segment-membership';
import {
  changeList,
  memberList,
  memberToken,
  SEGMENT_CHANGES_COLUMNS,
  spanBucket,
  type SegmentMembershipReadModel,
  type SegmentSpansTable,
} from './segment-membership.tables';
import { dataEventsSql, lastDataEventSql } from './contact-data-events';
import { positionText } from '../shared/log-position';
import { insertRows, quoted } from '../shared/raw-insert';
import type { SearchNode } from '../../src/contacts/search/contact-search.query';

type Db = Kysely<SegmentMembershipReadModel>;
type Tables = TableResolver<SegmentMembershipReadModel>;

/**
 * `seq` of the rows a segment event records in bulk: after any deadline that fired at the same
 * position (those count from 1), so a pair's rows still sort in the order they happened.
 */
export const BULK_SEQ = 2_147_483_647;

/** The event a bulk change is attributed to, and where on the log it is being applied. */
export interface BulkCause {
  readonly eventId: string;
  readonly eventType: string;
  readonly position: bigint;
}

/** Whether a `memberList` or `changeList` column holds the entry `pattern` (`memberToken`...). */
export const listHas = (column: RawBuilder<unknown>, pattern: string): RawBuilder<SqlBool> =>
  sql<SqlBool>`(${column} LIKE ${pattern})`;

/**
 * `segment_id` in search: members of any of the segments, from the contacts' member lists
 * (`table` is their physical name: the runner renames tables per build).
 */
export const segmentMembershipSql =
  (table: string): SegmentMembershipSql =>
  (segmentIds, { contactId, workspaceId }) => {
    const named = segmentIds.filter(isSegmentId);
    if (named.length === 0) return sql<SqlBool>`1 = 0`;
    return sql<SqlBool>`EXISTS (SELECT 1 FROM ${sql.table(table)} m WHERE m.workspace_id = ${workspaceId} AND m.contact_id = ${contactId} AND (${sql.join(
      named.map((id) => listHas(sql.ref('m.segment_ids'), memberToken(id))),
      sql` OR `,
    )}))`;
  };

/** Segment ids are 24 lowercase hex digits: anything else names none (and is no LIKE pattern). */
export const isSegmentId = (id: string): boolean => CONTACT_ID_PATTERN.test(id);

const text = (value: string): RawBuilder<string> => sql<string>`CAST(${value} AS text)`;

/** The segment's eligible contacts (live, of its person type) in the projection's copy, as `c`. */
function eligible(db: Db, tables: Tables, workspaceId: string, segment: SegmentRuleSnapshot) {
  return searchableContacts(db, tables('segment_membership_contacts'), workspaceId).where(
    'c.role',
    'in',
    [...rolesOf(segment.personType)],
  );
}

function ruleSql(
  segment: SegmentRuleSnapshot,
  dialect: SearchDialect,
  workspaceId: string,
  now: number,
  tables: Tables,
  rule: SearchNode = segment.rule,
): RawBuilder<SqlBool> {
  return compileSearchQuery(rule, {
    dialect,
    workspaceId,
    timeZone: segment.timeZone,
    now,
    dataEvents: dataEventsSql(tables('segment_membership_data_events')),
  });
}

/** Larger than any unix second; SQLite's scalar `min()` is NULL when any argument is. */
const NEVER = 9_000_000_000_000_000;

/**
 * `nextCheckAfter` in SQL over `c`: the first whole second after `now` at which a relative filter
 * may flip, or NULL.
 */
export function deadlineSql(
  segment: SegmentRuleSnapshot,
  dialect: SearchDialect,
  now: number,
  tables: Tables,
): RawBuilder<number | null> {
  const timed = [
    ...segment.relativeFilters.map((filter) => ({
      value: searchFieldSql(filter.field, dialect),
      days: filter.value,
    })),
    ...segment.dataEventFilters.flatMap((filter) =>
      filter.withinDays === undefined
        ? []
        : [{ value: lastDataEventSql(tables, filter.value), days: filter.withinDays }],
    ),
  ];
  const candidates = timed.flatMap(({ value, days }) => {
    const flip = sql`floor(${value} + ${sql.lit(daySeconds(days))})`;
    return [flip, sql`(${flip} + 1)`].map(
      (candidate) => sql`(CASE WHEN ${candidate} > ${sql.lit(now)} THEN ${candidate} END)`,
    );
  });
  if (dialect === 'postgres')
    return sql<number | null>`CAST(LEAST(${sql.join(candidates)}) AS bigint)`;
  const guarded = candidates.map((candidate) => sql`coalesce(${candidate}, ${sql.lit(NEVER)})`);
  return sql<number | null>`CAST(NULLIF(min(${sql.join(guarded)}), ${sql.lit(NEVER)}) AS INTEGER)`;
}

/**
 * The temporary table a bulk change keeps its pass over a range of contacts in: per contact the
 * rule selects, that has a deadline or that is a member, whether it matches, its deadline and
 * whether it is a member. The rule is evaluated once, and the member lists are searched for the
 * segment once, instead of once per step that needs them: searching them reads every list of the
 * range whole, and a list holds every segment its contact is in (hundreds of ids in a workspace of
 * hundreds of segments). Qualified with the connection's temporary schema, so no table of the read
 * store can be meant.
 */
const evaluationTable = (dialect: SearchDialect): string =>
  `${dialect === 'postgres' ? 'pg_temp' : 'temp'}.segment_rule_evaluation`;

/** Runs `work` with an empty evaluation table (`evaluationTable`), dropped after. */
async function withEvaluationTable(
  db: Db,
  dialect: SearchDialect,
  work: (table: string) => Promise<void>,
): Promise<void> {
  const table = evaluationTable(dialect);
  await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  // Temporary: private to this connection, and gone with it; dropped below in any case.
  await sql`CREATE TEMPORARY TABLE ${sql.table(table)} (contact_id text PRIMARY KEY,
    matches integer NOT NULL, at bigint, member integer NOT NULL DEFAULT 0)`.execute(db);
  await work(table);
  await sql`DROP TABLE ${sql.table(table)}`.execute(db);
}

/**
 * Marks the members of the segment in `change`'s range in the evaluation table (a member the rule
 * does not select gets a row that does not match).
 */
async function markMembers(db: Db, change: BulkChange, evaluatedTable: string): Promise<void> {
  await sql`INSERT INTO ${sql.table(evaluatedTable)} (contact_id, matches, at, member)
    SELECT l.contact_id, 0, NULL, 1 FROM ${sql.table('segment_membership_contact_segments')} l
    WHERE l.workspace_id = ${change.workspaceId} AND ${change.range(sql.ref('l.contact_id'))}
    AND ${listHas(sql.ref('l.segment_ids'), memberToken(change.segmentId))}
    ON CONFLICT (contact_id) DO UPDATE SET member = 1`.execute(db);
}

/**
 * A new or changed rule over the whole workspace, in SQL: exits and entries against the current
 * members are recorded (at `now`, caused by the segment event), the members replaced, the count
 * refreshed and the segment's deadlines recomputed. Cost is a few passes over the workspace's
 * rows in the database, never a row in JavaScript: one evaluates the rule and the deadlines into
 * a temporary table, one marks the current members in it (none for a new segment), the others
 * write the differences it holds. Returns the segment's earliest deadline.
 */
export async function evaluateSegmentInWorkspace(
  db: Db,
  tables: Tables,
  dialect: SearchDialect,
  input: {
    readonly workspaceId: string;
    readonly segment: SegmentRuleSnapshot;
    readonly now: number;
    readonly cause: BulkCause;
    /**
     * Whether some contact may be a member already (a rule change). A segment no row of
     * `segment_membership_segments` holds is in no member list (every path that adds a segment
     * to a list reads it there, and its deletion takes it off every list first): a new segment's
     * evaluation need not search them.
     */
    readonly mayHaveMembers: boolean;
    /** Contacts per pass (see `inIdRanges`). */
    readonly chunkSize?: number;
  },
): Promise<number | undefined> {
  const { workspaceId, segment, now, cause } = input;
  const rule = ruleSql(segment, dialect, workspaceId, now, tables);
  const timed = isTimeBased(segment);
  const deadline = timed
    ? timedDeadlineSql(tables, dialect, workspaceId, segment, now)
    : sql<number | null>`NULL`;
  const change = {
    workspaceId,
    segmentId: segment.id,
    ruleVersion: segment.ruleVersion,
    now,
    cause,
  };
  const untyped = db as unknown as Kysely<Record<string, EvaluationRow>>;
  // After the change the members are the contacts the rule selects: counted pass by pass.
  let members = 0;

  await withEvaluationTable(db, dialect, (evaluatedTable) =>
    inIdRanges(
      db,
      {
        table: tables('segment_membership_contacts'),
        where: sql`workspace_id = ${workspaceId}`,
        column: 'id',
      },
      input.chunkSize,
      async (range) => {
        await sql`DELETE FROM ${sql.table(evaluatedTable)}`.execute(db);
        await db
          .insertInto(evaluatedTable as never)
          .columns(['contact_id', 'matches', 'at'] as never)
          .expression(
            eligible(db, tables, workspaceId, segment)
              .where(range(sql.ref('c.id')))
              .where(sql<SqlBool>`((${rule}) OR ${deadline} IS NOT NULL)`)
              .select([
                sql.ref<string>('c.id').as('contact_id'),
                sql<number>`CASE WHEN ${rule} THEN 1 ELSE 0 END`.as('matches'),
                deadline.as('at'),
              ]) as never,
          )
          .execute();
        // The members of the range the rule no longer selects exit; the contacts it selects that
        // are not members enter.
        if (input.mayHaveMembers) {
          await markMembers(db, { ...change, range }, evaluatedTable);
          await recordExits(db, { ...change, range }, evaluatedTable);
        }
        await recordEntries(db, dialect, { ...change, range }, evaluatedTable);
        const selected = await untyped
          .selectFrom(`${evaluatedTable} as r` as never)
          .where(sql<SqlBool>`r.matches = 1`)
          .select(sql<number | string>`count(*)`.as('n'))
          .executeTakeFirstOrThrow();
        members += Number(selected.n);
        // A contact's row holds its earliest deadline over all segments. The old rule's deadlines
        // are left in it: a row earlier than the truth only loads the contact early, which
        // re-derives its deadlines from the fold, fires none and writes the true earliest back.
        if (timed) {
          const stored = sql.ref<number>('segment_membership_deadlines.at');
          const incoming = sql.ref<number>('excluded.at');
          await db
            .insertInto('segment_membership_deadlines')
            .columns(['workspace_id', 'contact_id', 'at'])
            .expression(
              untyped
                .selectFrom(`${evaluatedTable} as r` as never)
                .where(sql<SqlBool>`r.at IS NOT NULL`)
                .select([
                  text(workspaceId).as('workspace_id'),
                  sql.ref<string>('r.contact_id').as('contact_id'),
                  sql.ref<number>('r.at').as('at'),
                ]) as never,
            )
            .onConflict((conflict) =>
              conflict.columns(['workspace_id', 'contact_id']).doUpdateSet({
                at:
                  dialect === 'postgres'
                    ? sql<number>`LEAST(${stored}, ${incoming})`
                    : sql<number>`min(${stored}, ${incoming})`,
              }),
            )
            .execute();
        }
      },
    ),
  );
  await refreshCounts(db, workspaceId, segment.id, members, cause.position);
  await recordSpan(db, tables, workspaceId, segment.id, cause.position);
  if (!timed) return undefined;
  const earliest = await db
    .selectFrom('segment_membership_deadlines')
    .select((eb) => eb.fn.min('at').as('at'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return earliest?.at === null || earliest?.at === undefined ? undefined : Number(earliest.at);
}

interface EvaluationRow {
  readonly contact_id: string;
  readonly matches: number;
  readonly at: number | null;
  readonly member: number;
}

/**
 * `nextCheckAfter` over `c`: `deadlineSql`, or NULL while a conjunct of the rule that time does
 * not change is false.
 */
function timedDeadlineSql(
  tables: Tables,
  dialect: SearchDialect,
  workspaceId: string,
  segment: SegmentRuleSnapshot,
  now: number,
): RawBuilder<number | null> {
  const deadline = deadlineSql(segment, dialect, now, tables);
  if (segment.timelessConjuncts.length === 0) return deadline;
  const timeless: SearchNode = { kind: 'group', operator: 'AND', value: segment.timelessConjuncts };
  const canFlip = ruleSql(segment, dialect, workspaceId, now, tables, timeless);
  return sql<number | null>`(CASE WHEN ${canFlip} THEN ${deadline} END)`;
}

/** A deleted segment: every member exits (caused by the deletion) and its rows go. */
export async function removeSegment(
  db: Db,
  tables: Tables,
  dialect: SearchDialect,
  input: {
    readonly workspaceId: string;
    readonly segmentId: string;
    readonly ruleVersion: number;
    readonly now: number;
    readonly cause: BulkCause;
    /** Members per pass (see `inIdRanges`). */
    readonly chunkSize?: number;
  },
): Promise<void> {
  const { workspaceId, segmentId } = input;
  await withEvaluationTable(db, dialect, (evaluatedTable) =>
    inIdRanges(
      db,
      {
        table: 'segment_membership_contact_segments',
        where: sql`workspace_id = ${workspaceId} AND ${listHas(sql.ref('segment_ids'), memberToken(segmentId))}`,
        column: 'contact_id',
      },
      input.chunkSize,
      async (range) => {
        await sql`DELETE FROM ${sql.table(evaluatedTable)}`.execute(db);
        await markMembers(db, { ...input, range }, evaluatedTable);
        await recordExits(db, { ...input, range }, evaluatedTable);
      },
    ),
  );
  await recordSpan(db, tables, workspaceId, segmentId, input.cause.position);
  // Deadline rows are per contact and may run early (see `evaluateSegmentInWorkspace`): kept.
  await db
    .deleteFrom('segment_membership_segments')
    .where('workspace_id', '=', workspaceId)
    .where('segment_id', '=', segmentId)
    .execute();
}

/** A segment event's bulk change, over the contacts of one range of ids. */
interface BulkChange {
  readonly workspaceId: string;
  readonly segmentId: string;
  readonly ruleVersion: number;
  readonly now: number;
  readonly cause: BulkCause;
  readonly range: IdRange;
}

/**
 * The members of the range the rule no longer selects (`member = 1`, `matches = 0` in the
 * evaluation table) exit: recorded, and taken off their lists (a list left empty goes).
 */
async function recordExits(db: Db, change: BulkChange, evaluatedTable: string): Promise<void> {
  const exitingIds = sql`(SELECT r.contact_id FROM ${sql.table(evaluatedTable)} r
    WHERE r.member = 1 AND r.matches = 0)`;
  // The evaluation table is no read model table: typed as one with its `contact_id` column.
  await db
    .insertInto('segment_membership_changes')
    .columns(SEGMENT_CHANGES_COLUMNS)
    .expression(
      db
        .selectFrom(`${evaluatedTable} as r` as 'segment_membership_contact_segments as r')
        .where(sql<SqlBool>`r.member = 1 AND r.matches = 0`)
        .select(bulkChangesColumns(change, 'exited', sql.ref('r.contact_id'))),
    )
    .execute();
  const list = sql.ref<string>('segment_membership_contact_segments.segment_ids');
  await db
    .deleteFrom('segment_membership_contact_segments')
    .where('workspace_id', '=', change.workspaceId)
    .where(sql<SqlBool>`contact_id IN ${exitingIds}`)
    .where(list, '=', memberList([change.segmentId]))
    .execute();
  await db
    .updateTable('segment_membership_contact_segments')
    .set({ segment_ids: sql<string>`replace(${list}, ${` ${change.segmentId} `}, ' ')` })
    .where('workspace_id', '=', change.workspaceId)
    .where(sql<SqlBool>`contact_id IN ${exitingIds}`)
    .execute();
}

/**
 * The contacts of the range the rule selects (`matches = 1` in the evaluation table) that are not
 * members (`member = 0`) enter: recorded, and added to their lists in id order (a list is created
 * for a contact without one).
 */
async function recordEntries(
  db: Db,
  dialect: SearchDialect,
  change: BulkChange,
  evaluatedTable: string,
): Promise<void> {
  // The evaluation table is no read model table: typed as one with its `contact_id` column.
  const entering = db
    .selectFrom(`${evaluatedTable} as r` as 'segment_membership_contact_segments as r')
    .where(sql<SqlBool>`r.matches = 1 AND r.member = 0`);
  await db
    .insertInto('segment_membership_changes')
    .columns(SEGMENT_CHANGES_COLUMNS)
    .expression(entering.select(bulkChangesColumns(change, 'entered', sql.ref('r.contact_id'))))
    .execute();
  const list = sql.ref<string>('segment_membership_contact_segments.segment_ids');
  await db
    .insertInto('segment_membership_contact_segments')
    .columns(['workspace_id', 'contact_id', 'segment_ids'])
    .expression(
      entering.select([
        text(change.workspaceId).as('workspace_id'),
        sql.ref<string>('r.contact_id').as('contact_id'),
        text(memberList([change.segmentId])).as('segment_ids'),
      ]),
    )
    .onConflict((conflict) =>
      conflict
        .columns(['workspace_id', 'contact_id'])
        .doUpdateSet({ segment_ids: withMember(list, change.segmentId, dialect) }),
    )
    .execute();
}

/**
 * A `memberList` with `segmentId` added, in the order `memberList` sorts, so a list reads the same
 * whichever path wrote it. An id after the list's last one (a new segment's, mostly: ids begin
 * with their creation time) is appended; otherwise the ids are split into rows and joined again
 * in order, which costs a few microseconds a row more. Byte order in both dialects: JavaScript's
 * for hex ids.
 */
function withMember(
  list: RawBuilder<string>,
  segmentId: string,
  dialect: SearchDialect,
): RawBuilder<string> {
  const width = segmentId.length;
  // `' ' + last id + ' '` when the last id is as long as `segmentId` (the list ends with a space).
  const tail =
    dialect === 'postgres'
      ? sql<string>`right(${list}, ${sql.lit(width + 2)})`
      : sql<string>`substr(${list}, ${sql.lit(-(width + 2))})`;
  const lastId = sql<string>`substr(${tail}, 2, ${sql.lit(width)})`;
  const byteOrder = dialect === 'postgres' ? sql` COLLATE "C"` : sql``;
  const ids = sql<string>`trim(${list} || ${segmentId})`;
  const sorted =
    dialect === 'postgres'
      ? sql<string>`(SELECT ' ' || string_agg(id, ' ' ORDER BY id COLLATE "C") || ' '
          FROM unnest(string_to_array(${ids}, ' ')) AS id)`
      : sql<string>`(SELECT ' ' || group_concat(value, ' ' ORDER BY value) || ' '
          FROM json_each('["' || replace(${ids}, ' ', '","') || '"]'))`;
  return sql<string>`(CASE WHEN ${tail} LIKE ' %' AND ${lastId} NOT LIKE '% %'
    AND ${lastId}${byteOrder} < ${segmentId} THEN ${list} || ${`${segmentId} `} ELSE ${sorted} END)`;
}

/** A changes row of a segment event's bulk change, for the contact `contactId` selects. */
function bulkChangesColumns(
  change: BulkChange,
  kind: 'entered' | 'exited',
  contactId: RawBuilder<string>,
) {
  const changed = changeList([change]);
  return [
    text(change.workspaceId).as('workspace_id'),
    contactId.as('contact_id'),
    sql.lit(positionText(change.cause.position)).as('position'),
    sql.lit(BULK_SEQ).as('seq'),
    sql.lit(change.now).as('effective_at'),
    sql.lit('event').as('cause'),
    text(change.cause.eventId).as('cause_event_id'),
    text(change.cause.eventType).as('cause_event_type'),
    text(kind === 'entered' ? changed : ' ').as('entered'),
    text(kind === 'exited' ? changed : ' ').as('exited'),
  ];
}

/**
 * Contacts per pass of a bulk change: each pass is a few statements over at most this many rows
 * (~50 ms at 1,000,000 contacts on SQLite), and the event loop runs between passes, so the API's
 * reads (their own connection) are answered during a long rule change instead of after it.
 */
export const BULK_CHUNK_SIZE = 20_000;

/** An id column's range of one pass: after the last pass's end, through this pass's end. */
type IdRange = (column: RawBuilder<string>) => RawBuilder<SqlBool>;

/** An id column of the rows a bulk change passes over. */
interface IdColumn {
  readonly table: string;
  /** The rows (a workspace's, a segment's). */
  readonly where: RawBuilder<unknown>;
  readonly column: string;
}

/**
 * Runs `pass` over consecutive ranges of `ids` (in the column's own order) that together cover
 * every value: the first has no lower bound and the last no upper bound, so rows the column's
 * table does not hold (a member whose contact row is gone) are still in one range.
 */
async function inIdRanges(
  db: Db,
  ids: IdColumn,
  chunkSize: number = BULK_CHUNK_SIZE,
  pass: (range: IdRange) => Promise<void>,
): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const through = await nthIdAfter(db, ids, after, chunkSize);
    const from = after;
    await pass(
      (column) =>
        sql<SqlBool>`(${from === undefined ? sql`1 = 1` : sql`${column} > ${from}`} AND ${through === undefined ? sql`1 = 1` : sql`${column} <= ${through}`})`,
    );
    // After the last pass too: a batch of many segment events (a rebuild) yields between them.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (through === undefined) return;
    after = through;
  }
}

/** The `n`-th value of the column after `after` (from the first when undefined), or undefined. */
async function nthIdAfter(
  db: Db,
  ids: IdColumn,
  after: string | undefined,
  n: number,
): Promise<string | undefined> {
  const column = sql.ref(ids.column);
  const past = after === undefined ? sql`` : sql` AND ${column} > ${after}`;
  const { rows } = await sql<{ id: string }>`SELECT ${column} AS id FROM ${sql.table(ids.table)}
    WHERE ${ids.where}${past} ORDER BY ${column} LIMIT 1 OFFSET ${n - 1}`.execute(db);
  return rows[0]?.id;
}

/** A bulk change's changes are all at its segment event's position. */
async function recordSpan(
  db: Db,
  tables: Tables,
  workspaceId: string,
  segmentId: string,
  position: bigint,
): Promise<void> {
  const at = positionText(position);
  await recordSpans(db, tables('segment_membership_spans'), [
    {
      workspace_id: workspaceId,
      segment_id: segmentId,
      bucket: spanBucket(position),
      first_position: at,
      last_position: at,
    },
  ]);
}

const SPAN_COLUMNS = [
  'workspace_id',
  'segment_id',
  'bucket',
  'first_position',
  'last_position',
] as const satisfies readonly (keyof SegmentSpansTable)[];

/**
 * Widens each segment's span of a stretch to cover the given one (at most one row per segment and
 * stretch), creating it if needed: the order and grouping of the calls does not change the rows.
 * `table` is the physical name (`insertRows`): a batch writes a row per segment it changed, and
 * Kysely's `values()` cost as much as the statement.
 */
export async function recordSpans(
  db: Db,
  table: string,
  spans: readonly SegmentSpansTable[],
): Promise<void> {
  const stored = (column: 'first_position' | 'last_position') =>
    `${quoted(table)}.${quoted(column)}`;
  const widened = (column: 'first_position' | 'last_position', wider: '<' | '>') =>
    `${quoted(column)} = CASE WHEN excluded.${quoted(column)} ${wider} ${stored(column)}` +
    ` THEN excluded.${quoted(column)} ELSE ${stored(column)} END`;
  const onSpan = 'ON CONFLICT ("workspace_id", "bucket", "segment_id") DO UPDATE SET';
  // The log is applied in order: a span widens at its end, and its first position (which the
  // segment's index of spans holds) is left as it is.
  const atEnd = await insertRows<SegmentSpansTable, SpanKey>(
    db as Kysely<unknown>,
    table,
    SPAN_COLUMNS,
    spans,
    `${onSpan} ${widened('last_position', '>')} ` +
      `WHERE excluded."first_position" >= ${stored('first_position')}`,
    'RETURNING "workspace_id", "bucket", "segment_id"',
  );
  if (atEnd.length === spans.length) return;
  // Any other (a span given from before its stored start) widens both ways.
  const widenedAtEnd = new Set(atEnd.map(spanKey));
  await insertRows(
    db as Kysely<unknown>,
    table,
    SPAN_COLUMNS,
    spans.filter((span) => !widenedAtEnd.has(spanKey(span))),
    `${onSpan} ${widened('first_position', '<')}, ${widened('last_position', '>')}`,
  );
}

type SpanKey = Pick<SegmentSpansTable, 'workspace_id' | 'bucket' | 'segment_id'>;

const spanKey = (span: SpanKey): string =>
  `${span.workspace_id}\u0000${span.bucket}\u0000${span.segment_id}`;

/**
 * A segment's counts after a bulk change: its members as counted by the change (the contacts its
 * rule selects), and the changes recorded at the segment event's position added to its history
 * count.
 */
async function refreshCounts(
  db: Db,
  workspaceId: string,
  segmentId: string,
  members: number,
  position: bigint,
): Promise<void> {
  await db
    .updateTable('segment_membership_segments')
    .set({
      member_count: members,
      history_count: sql<number>`history_count + (SELECT count(*) FROM ${sql.table('segment_membership_changes')} h WHERE h.workspace_id = ${workspaceId} AND h.position = ${positionText(position)} AND h.seq = ${BULK_SEQ})`,
    })
    .where('workspace_id', '=', workspaceId)
    .where('segment_id', '=', segmentId)
    .execute();
}
