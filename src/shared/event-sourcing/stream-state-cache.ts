import type { EventStore } from '../event-store/event-store.port';

/** A stream folded up to `revision`, and the ids of every event in it. */
export interface CachedStreamState<State> {
  readonly state: State;
  readonly revision: bigint;
  /**
   * Lets idempotent callers ask "was this event written already?" without reading the stream.
   * Shared between successive entries of one stream and only ever grown: an id that was appended
   * stays in the stream, so an older entry that sees a newer id still tells the truth.
   */
  readonly eventIds: Set<string>;
}

interface Entry {
  /** The fold function the state was built with: a state is only reused by the same fold. */
  readonly fold: object;
  readonly cached: CachedStreamState<unknown>;
}

/** Enough for every contact a few concurrent ingestion batches touch, small next to the process. */
export const DEFAULT_STREAM_STATE_CACHE_SIZE = 20_000;

/**
 * The last known fold of recently written or read streams, so that a command on a known stream
 * skips reading and folding the whole stream again. It is an optimisation only: every append made
 * from a cached state still carries the cached revision as its expected revision, so a write the
 * cache did not see (another process on EventStoreDB, a raw append in a test) surfaces as
 * `WrongExpectedRevision`; the caller then drops the entry and re-reads. States are immutable
 * (deciders are pure), so sharing them between callers is safe.
 *
 * Bounded LRU: a `Map` keeps insertion order, and a hit re-inserts its key at the end.
 */
export class StreamStateCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = DEFAULT_STREAM_STATE_CACHE_SIZE) {}

  get<State>(streamId: string, fold: object): CachedStreamState<State> | undefined {
    const entry = this.entries.get(streamId);
    if (entry === undefined) return undefined;
    if (entry.fold !== fold) return undefined;
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    return entry.cached as CachedStreamState<State>;
  }

  /**
   * Remembers a fold unless a newer one is known already: a slow reader must not overwrite the
   * state a faster writer left behind.
   */
  set<State>(streamId: string, fold: object, cached: CachedStreamState<State>): void {
    const existing = this.entries.get(streamId);
    if (existing !== undefined) {
      if (existing.fold === fold && existing.cached.revision > cached.revision) return;
      this.entries.delete(streamId);
    }
    this.entries.set(streamId, { fold, cached });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** After a conflict (or anything else that makes the entry doubtful): the next use re-reads. */
  delete(streamId: string): void {
    this.entries.delete(streamId);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * One cache per store object: what the cache knows is what this connection wrote and read, and a
 * store that is reopened (a restart, a test's fresh store) starts cold. A WeakMap spares every
 * caller of the store from having the cache injected next to it.
 */
const caches = new WeakMap<EventStore, StreamStateCache>();

export function streamStateCacheOf(store: EventStore): StreamStateCache {
  let cache = caches.get(store);
  if (cache === undefined) {
    cache = new StreamStateCache();
    caches.set(store, cache);
  }
  return cache;
}

/** The ids of `added` joined to those already known (in place, see `eventIds`). */
export function withEventIds(
  eventIds: Set<string> | undefined,
  added: readonly { readonly id: string }[],
): Set<string> {
  const ids = eventIds ?? new Set<string>();
  for (const event of added) ids.add(event.id);
  return ids;
}
