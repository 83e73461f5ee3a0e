/**
 * The service's other read models at their least, for bench:floor's "service read models"
 * variant: what the contacts projection's attribute value counts and the lifecycle projection
 * keep for bench:ingest's traffic, as raw better-sqlite3 statements on their own tables (created
 * by the projections' own migrations).
 *
 * - Attribute value counts (`contacts_attribute_values`, `_totals`): only leads and users hold
 *   values (`heldValues`), so a registration, a visitor's sighting or renaming writes nothing; a
 *   visitor turned lead starts holding its role, name, context, flags and dates (by UTC day), and
 *   a lead's rename, or a sighting or update on a new day, moves one value. The counts are kept
 *   in memory (as the floor keeps its contacts), so a batch writes one upsert per (attribute,
 *   value) whose count it changed, a delete for one nobody holds any more, and one upsert (or
 *   delete) per attribute whose totals it changed: no reads, nothing for a change netted away.
 * - The lifecycle (`lifecycle_contacts`): one row inserted per registered visitor, its `lead_at`
 *   and `from_visitor` updated when it becomes a lead (or a conversation reported late makes it
 *   one earlier), each contact's row written once per batch.
 * - Segment membership: with no segments (bench:ingest defines none) nothing it must store per
 *   contact that the contacts and data events read models do not hold already; its tables are
 *   created and left empty. The service keeps its own copy of every contact's row, of each
 *   contact's latest data event per name and of the workspace's clock, the cost of a projection
 *   that does not depend on the others' progress: `MembershipCopy` writes that copy at its least,
 *   for a variant of its own.
 * - Data event summaries: `GET /events?summary=true` aggregates `data_events`; the summaries
 *   table holds `POST /events/summaries` reports alone, which bench:ingest sends none of: created,
 *   left empty.
 */
import type Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { contactsProjection } from '../projections/contacts/contacts.projection';
import { dataEventsProjection } from '../projections/data-events/data-events.projection';
import { lifecycleProjection } from '../projections/lifecycle/lifecycle.projection';
import { segmentMembershipProjection } from '../projections/segment-membership/segment-membership.projection';
import { dayOf, encodeValue } from '../projections/attribute-values/held-attribute-values';
import type { AnyProjection } from '../src/projection-runner/projection';

/** A sighting's context as the messenger sends it (what a visitor holds once it is a lead). */
export interface SightingContext {
  readonly browser?: string;
  readonly os?: string;
  readonly location?: {
    readonly country?: string;
    readonly region?: string;
    readonly city?: string;
  };
}

/** Creates every table of the service's read models, by their projections' own migrations. */
export async function createServiceReadModelTables(database: Database.Database): Promise<void> {
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
  // The floor's tables carry their plain names.
  const plain = (name: string) => name;
  const projections: readonly AnyProjection[] = [
    contactsProjection,
    dataEventsProjection,
    lifecycleProjection,
    segmentMembershipProjection(),
  ];
  for (const projection of projections)
    for (const migration of projection.migrations) await migration.up(db, plain);
}

/** What the counts and the lifecycle need of a contact (the fold's fields they read). */
interface FoldedContact {
  role: 'visitor' | 'lead';
  readonly createdAt: number;
  updatedAt: number;
  lastSeenAt: number | null;
  lastRepliedAt: number | null;
  name: string | null;
  nameWrittenAt: number | null;
  leadAt: number | null;
  /** The values its context holds once it is a lead: browser, os, location (encoded). */
  readonly contextValues: ReadonlyArray<readonly [attribute: string, value: string]>;
}

const FALSE = encodeValue(false);
const day = (at: number | null) => (at === null ? null : encodeValue(dayOf(at)));

/** Its held values (`heldValues` of the service's fold): none for a visitor. */
function heldBy(contact: FoldedContact): Map<string, string> {
  const held = new Map<string, string>();
  if (contact.role === 'visitor') return held;
  held.set('role', encodeValue(contact.role));
  if (contact.name !== null) held.set('name', encodeValue(contact.name));
  for (const [attribute, value] of contact.contextValues) held.set(attribute, value);
  for (const flag of ['unsubscribed_from_emails', 'has_hard_bounced', 'marked_email_as_spam'])
    held.set(flag, FALSE);
  for (const [attribute, at] of [
    ['created_at', contact.createdAt],
    ['updated_at', contact.updatedAt],
    ['last_seen_at', contact.lastSeenAt],
    ['last_replied_at', contact.lastRepliedAt],
  ] as const) {
    const value = day(at);
    if (value !== null) held.set(attribute, value);
  }
  return held;
}

function contextValuesOf(
  context: SightingContext | undefined,
): Array<readonly [attribute: string, value: string]> {
  const values: Array<readonly [string, string]> = [];
  for (const [attribute, value] of [
    ['browser', context?.browser],
    ['os', context?.os],
    ['location.country', context?.location?.country],
    ['location.region', context?.location?.region],
    ['location.city', context?.location?.city],
  ] as const) {
    if (value !== undefined && value !== null) values.push([attribute, encodeValue(value)]);
  }
  return values;
}

const later = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));

/**
 * Keeps the counts and the lifecycle of one workspace's contacts in memory and writes what each
 * batch changed. Call `registered`, `seen`, `renamed`, `conversationStarted` for a batch's items
 * in order, then `flush` in the batch's transaction.
 */
export class ServiceReadModels {
  private readonly contacts = new Map<string, FoldedContact>();
  /** Count of each (attribute, value) held, keyed by attribute NUL value. */
  private readonly counts = new Map<string, number>();
  private readonly totals = new Map<string, { contacts: number; values: number }>();
  private deltas = new Map<string, number>();
  /** Contacts whose lifecycle row this batch changed; true: its row is new. */
  private lifecycles = new Map<string, boolean>();
  private readonly upsertCount: Database.Statement;
  private readonly deleteCount: Database.Statement;
  private readonly upsertTotals: Database.Statement;
  private readonly deleteTotals: Database.Statement;
  private readonly insertLifecycle: Database.Statement;
  private readonly updateLeadAt: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly workspaceId: string,
  ) {
    this.upsertCount = db.prepare(
      'INSERT INTO contacts_attribute_values (workspace_id, attribute, value, count) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (workspace_id, attribute, value) DO UPDATE SET count = excluded.count',
    );
    this.deleteCount = db.prepare(
      'DELETE FROM contacts_attribute_values WHERE workspace_id = ? AND attribute = ? AND value = ?',
    );
    this.upsertTotals = db.prepare(
      'INSERT INTO contacts_attribute_values_totals (workspace_id, attribute, contact_count, value_count) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (workspace_id, attribute) DO UPDATE SET contact_count = excluded.contact_count, value_count = excluded.value_count',
    );
    this.deleteTotals = db.prepare(
      'DELETE FROM contacts_attribute_values_totals WHERE workspace_id = ? AND attribute = ?',
    );
    this.insertLifecycle = db.prepare(
      'INSERT INTO lifecycle_contacts (workspace_id, contact_id, visitor_at, lead_at, user_at, from_visitor, from_lead) VALUES (?, ?, ?, ?, NULL, ?, 0)',
    );
    this.updateLeadAt = db.prepare(
      'UPDATE lifecycle_contacts SET lead_at = ?, from_visitor = 1 WHERE workspace_id = ? AND contact_id = ?',
    );
  }

  registered(contactId: string, at: number, context: SightingContext | undefined): void {
    this.contacts.set(contactId, {
      role: 'visitor',
      createdAt: at,
      updatedAt: at,
      // Its first sighting, recorded with its registration.
      lastSeenAt: at,
      lastRepliedAt: null,
      name: null,
      nameWrittenAt: null,
      leadAt: null,
      contextValues: contextValuesOf(context),
    });
    this.lifecycles.set(contactId, true);
  }

  seen(contactId: string, at: number): void {
    this.change(contactId, (contact) => {
      contact.lastSeenAt = later(contact.lastSeenAt, at);
    });
  }

  /** A name written late (before the newest write of it, by event time) changes nothing. */
  renamed(contactId: string, name: string, at: number): void {
    this.change(contactId, (contact) => {
      if (contact.nameWrittenAt !== null && at < contact.nameWrittenAt) return;
      contact.name = name;
      contact.nameWrittenAt = at;
      contact.updatedAt = Math.max(contact.updatedAt, at);
    });
  }

  /**
   * Talking to the workspace makes a visitor a lead (at the conversation, or at its registration
   * if the conversation is dated before it); reported late, one that became a lead after it
   * became one from the conversation on.
   */
  conversationStarted(contactId: string, at: number): void {
    this.change(contactId, (contact) => {
      contact.lastRepliedAt = later(contact.lastRepliedAt, at);
      const becameLeadAt = Math.max(at, contact.createdAt);
      if (contact.role === 'visitor') {
        contact.role = 'lead';
        contact.leadAt = becameLeadAt;
        contact.updatedAt = Math.max(contact.updatedAt, becameLeadAt);
      } else if (contact.leadAt !== null && becameLeadAt < contact.leadAt) {
        contact.leadAt = becameLeadAt;
      } else return;
      if (!this.lifecycles.has(contactId)) this.lifecycles.set(contactId, false);
    });
  }

  /** Writes the batch's changes (in the caller's transaction). */
  flush(): void {
    const totalDeltas = new Map<string, { contacts: number; values: number }>();
    for (const [key, delta] of this.deltas) {
      if (delta === 0) continue;
      const separator = key.indexOf('\u0000');
      const attribute = key.slice(0, separator);
      const value = key.slice(separator + 1);
      const before = this.counts.get(key) ?? 0;
      const after = before + delta;
      if (after > 0) {
        this.counts.set(key, after);
        this.upsertCount.run(this.workspaceId, attribute, value, after);
      } else {
        this.counts.delete(key);
        this.deleteCount.run(this.workspaceId, attribute, value);
      }
      const total = totalDeltas.get(attribute) ?? { contacts: 0, values: 0 };
      total.contacts += delta;
      if (before <= 0 && after > 0) total.values += 1;
      if (before > 0 && after <= 0) total.values -= 1;
      totalDeltas.set(attribute, total);
    }
    for (const [attribute, delta] of totalDeltas) {
      const total = this.totals.get(attribute) ?? { contacts: 0, values: 0 };
      total.contacts += delta.contacts;
      total.values += delta.values;
      if (delta.contacts === 0 && delta.values === 0) continue;
      if (total.contacts > 0) {
        this.totals.set(attribute, total);
        this.upsertTotals.run(this.workspaceId, attribute, total.contacts, total.values);
      } else {
        this.totals.delete(attribute);
        this.deleteTotals.run(this.workspaceId, attribute);
      }
    }
    for (const [contactId, isNew] of this.lifecycles) {
      const contact = this.contacts.get(contactId)!;
      if (isNew)
        this.insertLifecycle.run(
          this.workspaceId,
          contactId,
          contact.createdAt,
          contact.leadAt,
          contact.leadAt === null ? 0 : 1,
        );
      else this.updateLeadAt.run(contact.leadAt, this.workspaceId, contactId);
    }
    this.deltas = new Map();
    this.lifecycles = new Map();
  }

  /** Applies `fold` to the contact and notes how its held values moved (a visitor's: none). */
  private change(contactId: string, fold: (contact: FoldedContact) => void): void {
    const contact = this.contacts.get(contactId)!;
    const wasVisitor = contact.role === 'visitor';
    const before = heldBy(contact);
    fold(contact);
    if (wasVisitor && contact.role === 'visitor') return;
    const after = heldBy(contact);
    for (const [attribute, value] of before) {
      if (after.get(attribute) === value) continue;
      this.note(attribute, value, -1);
    }
    for (const [attribute, value] of after) {
      if (before.get(attribute) === value) continue;
      this.note(attribute, value, +1);
    }
  }

  private note(attribute: string, value: string, delta: number): void {
    const key = `${attribute}\u0000${value}`;
    this.deltas.set(key, (this.deltas.get(key) ?? 0) + delta);
  }
}

/**
 * What the service's segment membership keeps of bench:ingest's traffic with no segments, at its
 * least: its own copy of each contact's row (the floor's contacts row, with `latest_event_at`, the
 * latest event time of its events), inserted at registration and updated once per batch for each
 * contact with an event in it; per contact and data event name, the latest `created_at` (one
 * upsert per pair a batch tracked); the workspace's clock (the latest event time), one upsert per
 * batch that moved it.
 */
export class MembershipCopy {
  private readonly contacts = new Map<
    string,
    { role: string; lastSeenAt: number; name: string | null; latestEventAt: number }
  >();
  private clock = -Infinity;
  private inserted = new Set<string>();
  private updated = new Set<string>();
  private dataEvents = new Map<string, { contactId: string; name: string; at: number }>();
  private clockMoved = false;
  /** New rows of this batch, as the floor's contacts table has them. */
  private pending = new Map<string, Record<string, unknown>>();
  private readonly emptyRow: Record<string, null>;
  private readonly insertContact: Database.Statement;
  private readonly updateContact: Database.Statement;
  private readonly upsertDataEvent: Database.Statement;
  private readonly upsertClock: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly workspaceId: string,
  ) {
    const columns = (
      db
        .prepare("SELECT name FROM pragma_table_info('segment_membership_contacts')")
        .all() as Array<{ name: string }>
    ).map((column) => column.name);
    this.insertContact = db.prepare(
      `INSERT INTO segment_membership_contacts (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})`,
    );
    this.emptyRow = Object.fromEntries(columns.map((column) => [column, null]));
    this.updateContact = db.prepare(
      'UPDATE segment_membership_contacts SET role = ?, last_seen_at = ?, name = ?, latest_event_at = ? WHERE workspace_id = ? AND id = ?',
    );
    this.upsertDataEvent = db.prepare(
      'INSERT INTO segment_membership_data_events (workspace_id, contact_id, name, last_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (workspace_id, contact_id, name) DO UPDATE SET last_at = max(last_at, excluded.last_at)',
    );
    this.upsertClock = db.prepare(
      'INSERT INTO segment_membership_clocks (workspace_id, now) VALUES (?, ?) ON CONFLICT (workspace_id) DO UPDATE SET now = excluded.now',
    );
  }

  /** The floor's contacts row of a new visitor, which the copy holds too. */
  registered(row: Readonly<Record<string, unknown>>, at: number): void {
    const contactId = row.id as string;
    this.contacts.set(contactId, {
      role: row.role as string,
      lastSeenAt: at,
      name: null,
      latestEventAt: at,
    });
    this.inserted.add(contactId);
    this.pending.set(contactId, { ...this.emptyRow, ...row });
    this.tick(at);
  }

  seen(contactId: string, at: number): void {
    this.event(contactId, at).lastSeenAt = at;
  }

  renamed(contactId: string, name: string, at: number): void {
    this.event(contactId, at).name = name;
  }

  becameLead(contactId: string, at: number): void {
    this.event(contactId, at).role = 'lead';
  }

  tracked(contactId: string, name: string, at: number): void {
    this.event(contactId, at);
    const key = `${contactId}\u0000${name}`;
    const known = this.dataEvents.get(key);
    if (known === undefined) this.dataEvents.set(key, { contactId, name, at });
    else known.at = Math.max(known.at, at);
  }

  flush(): void {
    for (const contactId of this.inserted) {
      const contact = this.contacts.get(contactId)!;
      this.insertContact.run({
        ...this.pending.get(contactId),
        role: contact.role,
        last_seen_at: contact.lastSeenAt,
        name: contact.name,
        latest_event_at: contact.latestEventAt,
      });
    }
    for (const contactId of this.updated) {
      if (this.inserted.has(contactId)) continue;
      const contact = this.contacts.get(contactId)!;
      this.updateContact.run(
        contact.role,
        contact.lastSeenAt,
        contact.name,
        contact.latestEventAt,
        this.workspaceId,
        contactId,
      );
    }
    for (const { contactId, name, at } of this.dataEvents.values())
      this.upsertDataEvent.run(this.workspaceId, contactId, name, at);
    if (this.clockMoved) this.upsertClock.run(this.workspaceId, this.clock);
    this.inserted = new Set();
    this.updated = new Set();
    this.pending = new Map();
    this.dataEvents = new Map();
    this.clockMoved = false;
  }

  private event(contactId: string, at: number) {
    const contact = this.contacts.get(contactId)!;
    contact.latestEventAt = Math.max(contact.latestEventAt, at);
    this.updated.add(contactId);
    this.tick(at);
    return contact;
  }

  private tick(at: number): void {
    if (at <= this.clock) return;
    this.clock = at;
    this.clockMoved = true;
  }
}
