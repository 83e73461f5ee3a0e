import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportBrokeOff } from './event-export';
import { writtenWhole } from './written-whole';

describe('writtenWhole: a file written beside its path, renamed once whole', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'written-whole-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('renames the file to its path once the write resolves', async () => {
    const path = join(dir, 'out.ndjson');
    await expect(writtenWhole(path, async (output) => output.write('a\n'))).resolves.toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('a\n');
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('keeps what an export broken off wrote, beside the path, and says where it is', async () => {
    const path = join(dir, 'out.ndjson');
    const written = writtenWhole(path, async (output) => {
      output.write('{"position":"7"}\n');
      throw new ExportBrokeOff('http://service', '7');
    });
    await expect(written).rejects.toThrow(`; the events up to it are in ${path}.partial`);
    expect(readFileSync(`${path}.partial`, 'utf8')).toBe('{"position":"7"}\n');
    expect(existsSync(path)).toBe(false);
  });

  it('leaves no file when the write fails otherwise, or broke off before its first event', async () => {
    const path = join(dir, 'out.ndjson');
    for (const failure of [new Error('refused'), new ExportBrokeOff('http://service', undefined)]) {
      const written = writtenWhole(path, async (output) => {
        output.write('position,id\r\n');
        throw failure;
      });
      await expect(written).rejects.toBe(failure);
      expect([existsSync(path), existsSync(`${path}.partial`)]).toEqual([false, false]);
    }
  });

  it('fails with the file system error of a write, not an unhandled stream error', async () => {
    const path = join(dir, 'missing-directory', 'out.ndjson');
    const written = writtenWhole(path, async (output) => {
      output.write('a\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 1;
    });
    await expect(written).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
