import { closeSync, fdatasync, openSync } from 'node:fs';

/**
 * Makes committed transactions durable off the event loop. With `synchronous = FULL` SQLite syncs
 * the write-ahead log inside every COMMIT, and the service's one thread waited for the disk there
 * (13–18% of its time under load). Instead the connection commits with `NORMAL` (the log is
 * written, not synced) and this syncs the log file from libuv's thread pool; appends are
 * acknowledged only when the sync that covers them has finished, so an acknowledged append
 * survives a power loss exactly as with FULL. Commits that land while a sync runs share the next.
 */
export class WalSync {
  private readonly fd: number;
  private syncing = false;
  private waiting: Array<(error: Error | undefined) => void> = [];
  private failure: Error | undefined;

  constructor(walFile: string) {
    this.fd = openSync(walFile, 'r');
  }

  /** Calls `done` once everything written to the log before this call is on disk. */
  afterWrites(done: (error: Error | undefined) => void): void {
    if (this.failure) {
      done(this.failure);
      return;
    }
    this.waiting.push(done);
    if (!this.syncing) this.syncWaiting();
  }

  /** Resolves when no sync is running or waiting. */
  drained(): Promise<void> {
    if (!this.syncing) return Promise.resolve();
    return new Promise((resolve) => this.afterWrites(() => resolve()));
  }

  close(): void {
    closeSync(this.fd);
  }

  private syncWaiting(): void {
    const covered = this.waiting;
    this.waiting = [];
    this.syncing = true;
    fdatasync(this.fd, (error) => {
      this.syncing = false;
      // After a failed sync the kernel may have dropped the dirty pages: retrying could report
      // success for data that is gone, so the log refuses every later acknowledgement.
      if (error) this.failure = error;
      for (const done of covered) done(this.failure);
      if (this.waiting.length > 0) this.syncWaiting();
    });
  }
}
