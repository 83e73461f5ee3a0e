/**
 * How the membership projection tells the deadline scheduler that it stored a deadline: the
 * earliest instant (unix seconds) it just wrote. Raised before the batch commits, so a listener
 * must treat it as a hint and read the committed deadlines itself.
 */
export class DeadlineAlarm {
  private readonly listeners = new Set<(at: number) => void>();

  listen(listener: (at: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  raise(at: number): void {
    for (const listener of this.listeners) listener(at);
  }
}
