import { Worker } from 'node:worker_threads';

/**
 * Checkpoints a WAL-mode SQLite file from a worker thread, so the connection that writes never
 * does. SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold: it copies
 * the log into the database file and syncs both, which on the service's one event loop stalled
 * every request behind it (about a fifth of the main thread under POST /contacts). A PASSIVE
 * checkpoint from another connection runs beside readers and writers; the writer reuses the log
 * from its start once a checkpoint has copied all of it.
 */
export interface WalCheckpointer {
  stop(): Promise<void>;
}

const CHECKPOINT_INTERVAL_MS = 100;

// Evaluated, not a module file: the same source runs under ts-node, jest and the built service.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 5000 });
db.pragma('synchronous = NORMAL');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLITE_BUSY or a file being closed: the next tick tries again.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** `onFailure` runs if the worker dies: the writer then checkpoints for itself again. */
export function startWalCheckpointer(
  file: string,
  onFailure: (error: Error) => void,
): WalCheckpointer {
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: {
      driver: require.resolve('better-sqlite3'),
      file,
      intervalMs: CHECKPOINT_INTERVAL_MS,
    },
  });
  worker.unref();
  worker.once('error', onFailure);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stop: async () => {
      // Unreferenced, the worker would let a process with nothing else to do exit before it stops.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
