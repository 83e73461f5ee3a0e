/**
 * Checks bench:floor's "service read models" variants against the service itself
 * (`npx ts-node --transpile-only bench/stack-floor.check.ts`): the same batches (bench:ingest's
 * first sightings, then its mixed traffic from a fixed seed) are sent to the floor server's
 * routes (without and with segment membership's copy) and to the service (from its sources, in a
 * child process), and the tables each variant writes are compared with the service's read store
 * once its projections caught up: row counts of every table, and the contents of the attribute
 * value counts, their totals, the lifecycle rows and membership's copy (the columns the floor
 * keeps as the service does; contacts matched by visitor id, as their ids differ). Exits 1 on a
 * difference. Set BENCH_IN_FLIGHT=1 so that both receive the batches in one order.
 */
import Database from 'better-sqlite3';
import { fork } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../test/support/contact-search-fixtures';
import { spawnService, waitUntilReady } from '../test/support/service-process';
import { firstSightings, mixedTraffic, runPhase } from './ingest.bench';
import { benchDir } from './raw-append-ceiling';
import { projectionsCaughtUp } from './service-measures';

const PORT = Number(process.env.BENCH_FLOOR_PORT ?? 3997);
const TOKEN = 'bench-token-0001';
/** Each variant's route and read store file (in the floor server's directory). */
const VARIANTS = [
  { route: 'service-read-models-here', file: 'service-read-here.sqlite', membership: false },
  { route: 'membership-read-models-here', file: 'membership-read-here.sqlite', membership: true },
] as const;

/** The variant's tables, by their logical names (the service's carry a build suffix). */
const COMPARED = {
  contacts_attribute_values:
    'SELECT workspace_id, attribute, value, count FROM {} ORDER BY attribute, value',
  contacts_attribute_values_totals:
    'SELECT workspace_id, attribute, contact_count, value_count FROM {} ORDER BY attribute',
  lifecycle_contacts:
    'SELECT c.visitor_user_id, l.visitor_at, l.lead_at, l.user_at, l.from_visitor, l.from_lead ' +
    'FROM {} l JOIN {contacts} c ON c.workspace_id = l.workspace_id AND c.id = l.contact_id ' +
    'ORDER BY c.visitor_user_id',
} as const;

/** What only the variant with membership's copy writes. */
const MEMBERSHIP_COMPARED = {
  segment_membership_contacts:
    'SELECT visitor_user_id, role, latest_event_at FROM {} ORDER BY visitor_user_id',
  segment_membership_data_events:
    'SELECT c.visitor_user_id, d.name, d.last_at FROM {} d ' +
    'JOIN {contacts} c ON c.workspace_id = d.workspace_id AND c.id = d.contact_id ' +
    'ORDER BY c.visitor_user_id, d.name',
  segment_membership_clocks: 'SELECT workspace_id, now FROM {}',
} as const;

async function main(): Promise<void> {
  const dir = benchDir('bench-floor-check-');
  mkdirSync(join(dir, 'floor'));
  mkdirSync(join(dir, 'service'));
  const floor = fork(join(__dirname, 'stack-floor.server.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: {
      ...process.env,
      PORT: String(PORT),
      FLOOR_DB_FILE: join(dir, 'floor', 'events.sqlite'),
      FLOOR_DIR: join(dir, 'floor'),
    },
  });
  const service = await spawnService({
    DATA_DIR: join(dir, 'service'),
    ACCESS_TOKENS: `bench:${TOKEN}`,
    LOG_LEVEL: 'warn',
  });
  let failed = false;
  try {
    await new Promise((ready) => floor.once('message', ready));
    await waitUntilReady(service, 120_000);
    const start = Math.floor(Date.now() / 1000) - 86_400;
    for (const batches of [
      firstSightings(start),
      mixedTraffic(start + 60, seededRandom(Number(process.env.BENCH_SEED ?? 1))),
    ]) {
      for (const { route } of VARIANTS) {
        const onFloor = await runPhase(`http://127.0.0.1:${PORT}/${route}`, batches);
        console.log(`statuses: ${route} ${JSON.stringify(onFloor.statuses)}`);
      }
      const onService = await runPhase(service.baseUrl, batches);
      console.log(`statuses: service ${JSON.stringify(onService.statuses)}`);
    }
    await projectionsCaughtUp(service.baseUrl, TOKEN);
    const serviceDb = new Database(join(dir, 'service', 'read-models.sqlite'), { readonly: true });
    for (const variant of VARIANTS) {
      const floorDb = new Database(join(dir, 'floor', variant.file), { readonly: true });
      const floorTables = tablesOf(floorDb);
      const physical = physicalNames(serviceDb, floorTables);
      console.log(`${variant.route}: rows per table (floor variant / service):`);
      for (const table of floorTables) {
        const floorRows = countOf(floorDb, table);
        const serviceRows = countOf(serviceDb, physical.get(table)!);
        console.log(
          `  ${table.padEnd(40)} ${String(floorRows).padStart(7)} / ${String(serviceRows).padStart(7)}`,
        );
      }
      const compared = variant.membership ? { ...COMPARED, ...MEMBERSHIP_COMPARED } : COMPARED;
      for (const [table, query] of Object.entries(compared)) {
        const read = (db: Database.Database, name: (logical: string) => string) =>
          db
            .prepare(query.replace('{}', name(table)).replace('{contacts}', name('contacts')))
            .raw()
            .all()
            .map((row) => JSON.stringify(row));
        const onFloor = read(floorDb, (logical) => logical);
        const onService = read(serviceDb, (logical) => physical.get(logical)!);
        const floorRows = new Set(onFloor);
        const serviceRows = new Set(onService);
        const missing = onService.filter((row) => !floorRows.has(row));
        const extra = onFloor.filter((row) => !serviceRows.has(row));
        const same = missing.length === 0 && extra.length === 0;
        failed ||= !same;
        console.log(
          `  ${table}: ${same ? 'equal' : 'DIFFERENT'} (${onFloor.length} rows)` +
            (same
              ? ''
              : `\n    only the service's: ${missing.slice(0, 10).join(' ')}\n    only the floor's: ${extra.slice(0, 10).join(' ')}`),
        );
      }
      floorDb.close();
    }
  } finally {
    service.child.kill('SIGTERM');
    await service.exited;
    const exited = new Promise((resolve) => floor.once('exit', resolve));
    if (floor.exitCode === null && floor.kill('SIGTERM')) await exited;
    rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

const tablesOf = (db: Database.Database): string[] =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
      name: string;
    }>
  ).map((row) => row.name);

/** Each logical table's name in the service's read store: its projection's active build's. */
function physicalNames(db: Database.Database, logical: readonly string[]): Map<string, string> {
  const active = new Map<string, string>();
  for (const { active_tables } of db
    .prepare('SELECT active_tables FROM projection_registry')
    .all() as Array<{ active_tables: string }>)
    for (const [name, table] of Object.entries(JSON.parse(active_tables) as Record<string, string>))
      active.set(name, table);
  for (const table of logical)
    if (!active.has(table)) throw new Error(`no table ${table} in the service's read store`);
  return active;
}

const countOf = (db: Database.Database, table: string): number =>
  (db.prepare(`SELECT COUNT(*) AS count FROM "${table}"`).get() as { count: number }).count;

void main();
