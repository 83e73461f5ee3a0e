import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { collect } from './event-store.conformance';

const CHILD = join(__dirname, '../support/append-and-acknowledge.ts');

function startChild(dataDir: string, ...args: string[]) {
  return spawn(
    process.execPath,
    [require.resolve('ts-node/dist/bin'), '--transpile-only', CHILD, dataDir, ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
}

describe('embedded SQLite event store under process crashes', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'es-crash-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every acknowledged append and no partial transaction after SIGKILL', async () => {
    const child = startChild(dataDir);
    const acknowledged = new Set<string>();
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('ack ')) return;
        acknowledged.add(line.slice(4));
        if (acknowledged.size === 2000) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await exited;

    const store = SqliteEventStore.open({ dataDir });
    const events = await collect(store.readAll());
    await store.close();
    const partsByGroup = new Map<string, number[]>();
    for (const event of events) {
      const { group, part } = event.data as { group: string; part: number };
      partsByGroup.set(group, [...(partsByGroup.get(group) ?? []), part]);
    }
    for (const group of acknowledged) expect(partsByGroup.get(group)).toEqual([0, 1, 2]);
    for (const parts of partsByGroup.values()) expect(parts).toEqual([0, 1, 2]);
    expect(partsByGroup.size).toBeGreaterThanOrEqual(acknowledged.size);
  });

  it('a second process on the same DATA_DIR fails with a clear message', async () => {
    const store = SqliteEventStore.open({ dataDir });
    const child = startChild(dataDir, '--open-only');
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => child.on('exit', resolve));
    await store.close();
    expect(output).toContain('refused DataDirectoryLocked');
    expect(output).toContain(`(pid ${process.pid})`);
  });
});
