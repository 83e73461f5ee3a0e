import { StartFailure } from '../start-failure';
import type { ExpectedRevision } from './event-store.port';

/** The stream was not at the revision the writer expected (optimistic concurrency). */
export class WrongExpectedRevision extends Error {
  override readonly name = 'WrongExpectedRevision';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's current last revision, or `'no_stream'` when it has no events. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

/** The event store cannot be reached or refused the operation for a reason other than concurrency. */
export class EventStoreUnavailable extends Error {
  override readonly name = 'EventStoreUnavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Another process already owns the embedded store's data directory. */
export class DataDirectoryLocked extends StartFailure {
  override readonly name = 'DataDirectoryLocked';
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another process${holderPid ? ` (pid ${holderPid})` : ''}; ` +
        'only one service process may open an embedded store. Stop it or choose another DATA_DIR.',
    );
  }
}
