import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { eventually } from '../../../test/support/eventually';
import { openSqliteReadStore } from './sqlite-read-store';

describe('the SQLite read store checkpoints its log from a worker thread', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts its log back to the limit once a burst of writes is checkpointed', async () => {
    const file = join(dir, 'read.sqlite');
    const store = openSqliteReadStore(file, { walLimitBytes: 256 * 1024 });
    try {
      await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)`.execute(store.db);
      await sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
        INSERT INTO t (body) SELECT hex(randomblob(500)) FROM n`.execute(store.db);
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(2_000_000);
      // Once the worker copied the whole log, the next write starts it over, cut to the limit.
      const cut = await eventually(
        async () => {
          await sql`INSERT INTO t (body) VALUES ('after')`.execute(store.db);
          const size = statSync(`${file}-wal`).size;
          return size <= 256 * 1024 ? size : undefined;
        },
        5000,
        'the log cut back to its limit',
      );
      expect(cut).toBeLessThanOrEqual(256 * 1024);
    } finally {
      await store.close();
    }
  });

  it('copies committed pages into the database file although the writer never checkpoints', async () => {
    const file = join(dir, 'read.sqlite');
    const store = openSqliteReadStore(file);
    try {
      await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)`.execute(store.db);
      const sizeBefore = statSync(file).size;
      await sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
        INSERT INTO t (body) SELECT hex(randomblob(500)) FROM n`.execute(store.db);
      const { rows } = await sql<{
        wal_autocheckpoint: number;
      }>`PRAGMA wal_autocheckpoint`.execute(store.db);
      expect(rows[0]!.wal_autocheckpoint).toBe(0);
      const grown = await eventually(
        () => (statSync(file).size > sizeBefore + 1_000_000 ? statSync(file).size : undefined),
        5000,
        'the database file to receive the log',
      );
      expect(grown).toBeGreaterThan(sizeBefore + 1_000_000);
    } finally {
      await store.close();
    }
  });

  it('lets a process whose only work is closing the store finish that work', () => {
    // The worker is unreferenced while it runs; stopping it must not let the process exit early.
    const script = `
      const { openSqliteReadStore } = require(${JSON.stringify(require.resolve('./sqlite-read-store'))});
      const store = openSqliteReadStore(${JSON.stringify(join(dir, 'exit.sqlite'))});
      store.close().then(() => console.log('closed'));
    `;
    const output = execFileSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-e', script],
      { encoding: 'utf8' },
    );
    expect(output.trim()).toBe('closed');
  });
});

describe('a transaction SQLite ended itself', () => {
  it('fails with the error that ended it, not with the rollback that found nothing to roll back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'read-store-ended-'));
    const store = openSqliteReadStore(join(dir, 'read.sqlite'));
    try {
      await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)`.execute(store.db);
      const failed = store.db.transaction().execute(async (tx) => {
        await sql`INSERT INTO t (body) VALUES ('written')`.execute(tx);
        // As SQLite does on a full disk or an I/O error: the transaction ends under the caller.
        await sql`ROLLBACK`.execute(tx);
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      });
      await expect(failed).rejects.toMatchObject({ code: 'SQLITE_FULL' });
      const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(store.db);
      expect(rows[0]!.n).toBe(0);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
