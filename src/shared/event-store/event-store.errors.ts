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

/**
 * The log's head is below a read model's checkpoint: positions never move back in a real log, so
 * the event store was replaced or restored from an older copy since the read model was built.
 * Run on, the read model would wait for positions that never come and skip the events written
 * below its checkpoint; writes are refused meanwhile, as nobody would project them.
 */
export class EventLogBehindCheckpoint extends Error {
  override readonly name = 'EventLogBehindCheckpoint';
  constructor(
    readonly projection: string,
    readonly checkpoint: bigint,
    readonly head: bigint,
    /** Raised by the append that found it out: that write is stored, in the log found behind. */
    readonly writeStored = false,
  ) {
    super(
      `${projection} holds the log up to position ${checkpoint}, past its end (${head}): the event ` +
        `store was replaced or restored from an older copy since. Point the service at the store ` +
        `it was built from, or rebuild it from this log: POST /admin/projections/${projection}/rebuild`,
    );
  }

  /** The same, raised by a write that was stored before it found it out. */
  afterStoring(): EventLogBehindCheckpoint {
    return new EventLogBehindCheckpoint(this.projection, this.checkpoint, this.head, true);
  }
}
