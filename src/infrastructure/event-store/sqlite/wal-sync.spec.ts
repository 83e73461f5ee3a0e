import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalSync } from './wal-sync';

describe('WalSync', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
    file = join(dir, 'log');
    writeFileSync(file, 'frames');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every waiter in the order they asked, commits during a sync sharing the next one', async () => {
    const sync = new WalSync(file);
    const answered: number[] = [];
    const waits = Array.from(
      { length: 20 },
      (_, index) =>
        new Promise<void>((resolve, reject) =>
          sync.afterWrites((error) => {
            if (error) reject(error);
            answered.push(index);
            resolve();
          }),
        ),
    );
    await Promise.all(waits);
    expect(answered).toEqual(Array.from({ length: 20 }, (_, index) => index));
    await sync.drained();
    sync.close();
  });

  it('refuses every later acknowledgement once a sync has failed', async () => {
    const sync = new WalSync(file);
    sync.close(); // a closed descriptor makes the next sync fail (EBADF)
    const first = await new Promise<Error | undefined>((resolve) => sync.afterWrites(resolve));
    const later = await new Promise<Error | undefined>((resolve) => sync.afterWrites(resolve));
    expect(first).toMatchObject({ code: 'EBADF' });
    expect(later).toBe(first);
  });
});
