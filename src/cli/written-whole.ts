import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { ExportBrokeOff } from './event-export';

/**
 * Runs `write` into a file beside `path`, renamed to it once complete: an export cut short leaves
 * no file that looks whole. One that broke off keeps what it wrote there, up to the position its
 * error names, for `--after-position` to go on from.
 */
export async function writtenWhole<T>(
  path: string,
  write: (output: Writable) => Promise<T>,
): Promise<T> {
  const partial = `${path}.partial`;
  const output = createWriteStream(partial);
  // Errors reach the write in progress (its wait for `drain`), or the end; none goes unheard.
  let failure: Error | undefined;
  output.on('error', (error) => (failure ??= error));
  const ended = () =>
    new Promise<void>((resolve, reject) =>
      output.end((error?: Error | null) => {
        const failed = failure ?? error;
        if (failed) reject(failed);
        else resolve();
      }),
    );
  try {
    const result = await write(output);
    await ended();
    renameSync(partial, path);
    return result;
  } catch (error) {
    if (error instanceof ExportBrokeOff && error.lastPosition !== undefined && !failure) {
      await ended();
      error.message += `; the events up to it are in ${partial}`;
      throw error;
    }
    output.destroy();
    rmSync(partial, { force: true });
    throw error;
  }
}
