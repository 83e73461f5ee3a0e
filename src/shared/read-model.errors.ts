/**
 * A read model a request needs has nothing to read yet: its projection has not started once
 * (a first start while the event store is unreachable), so its tables do not exist.
 */
export class ReadModelNotStarted extends Error {
  override readonly name = 'ReadModelNotStarted';
  constructor(readonly projection: string) {
    super(`Projection ${projection} has not started yet: its read model has no tables`);
  }
}
