import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from './event-store/sqlite/sqlite-event-store';
import { DataDirectoryUnusable, openInDataDir } from './data-dir';

describe('openInDataDir', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'data-dir-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('names DATA_DIR and the reason when the store cannot be opened there', async () => {
    // A file where the directory should be: nothing can be created in it.
    const dataDir = join(parent, 'not-a-directory');
    writeFileSync(dataDir, '');
    const opening = openInDataDir(
      dataDir,
      'the embedded event store',
      () => SqliteEventStore.open({ dataDir }),
      'restore it',
    );
    await expect(opening).rejects.toThrow(DataDirectoryUnusable);
    await expect(opening).rejects.toThrow(
      `DATA_DIR ${dataDir}: cannot open the embedded event store`,
    );
  });

  it('says what to do about a file that is no database, instead of blaming the directory', async () => {
    writeFileSync(join(parent, 'events.sqlite'), 'x'.repeat(4096));
    const opening = openInDataDir(
      parent,
      'the embedded event store',
      () => SqliteEventStore.open({ dataDir: parent }),
      'restore events.sqlite from a backup',
    );
    await expect(opening).rejects.toThrow(/not a database\); restore events.sqlite from a backup$/);
  });

  it('gives the store when it opens', async () => {
    const store = await openInDataDir(
      parent,
      'the embedded event store',
      () => SqliteEventStore.open({ dataDir: parent }),
      'restore it',
    );
    expect(await store.headPosition()).toBe(0n);
    await store.close();
  });
});
