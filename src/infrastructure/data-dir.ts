import { DataDirectoryLocked } from '../shared/event-store/event-store.errors';
import { StartFailure } from '../shared/start-failure';
import { isDamagedStorage } from '../shared/storage-errors';

/** A store that cannot be opened in `DATA_DIR`, said with the directory and the reason. */
export class DataDirectoryUnusable extends StartFailure {
  override readonly name = 'DataDirectoryUnusable';
  /** `whenDamaged`: what to do about a file that is no database, for a store that is one. */
  constructor(dataDir: string, what: string, cause: unknown, whenDamaged?: string) {
    super(
      `DATA_DIR ${dataDir}: cannot open ${what} there (${cause instanceof Error ? cause.message : String(cause)}); ` +
        (whenDamaged !== undefined && isDamagedStorage(cause)
          ? whenDamaged
          : 'it must be a directory this process can create and write files in'),
      { cause },
    );
  }
}

/**
 * Opens a store in `DATA_DIR`; a failure names the directory (a lock held elsewhere says so), and
 * for a damaged file says what to do about it (`whenDamaged`).
 */
export async function openInDataDir<T>(
  dataDir: string,
  what: string,
  open: () => T | Promise<T>,
  whenDamaged: string,
): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof DataDirectoryLocked) throw error;
    throw new DataDirectoryUnusable(dataDir, what, error, whenDamaged);
  }
}
