import type { Kysely } from 'kysely';
import type { ReadStore, ReadStoreLock } from '../infrastructure/read-store/read-store';
import type { EventStore, RecordedEvent } from '../shared/event-store/event-store.port';
import type { AnyProjection, TableResolver } from './projection';
import {
  ProjectionFeed,
  type FeedSettings,
  type ProjectionFailure,
  type RunnerLogger,
} from './projection-feed';
import {
  nextBuild,
  ProjectionRegistry,
  ReadStorePrivilegeMissing,
  resolverFor,
  validateProjection,
  verificationBuild,
  type ProjectionBuild,
  type RegistryEntry,
} from './projection-registry';
import { TableRenamePlugin } from './table-rename.plugin';
import { compareBuilds, type BuildComparison } from './build-comparison';
import { KeyedSequencer } from '../shared/keyed-sequencer';
import { ReadModelNotStarted } from '../shared/read-model.errors';
import { outlastingDroppedConnections } from '../shared/dropped-connection-retry';
import { EventLogBehindCheckpoint } from '../shared/event-store/event-store.errors';

export const PROJECTION_RUNNER = Symbol('PROJECTION_RUNNER');

/**
 * - `catching_up` / `live`: the serving build is behind the head / has reached it;
 * - `rebuilding`: a new build is filling fresh tables while the previous one keeps serving;
 * - `failed`: stopped on a poison event (see `failure`);
 * - `standby`: another instance holds this projection's lock; this one only serves queries (and,
 *   while its build is past the log's head, shows why as `error` and refuses writes);
 * - `stopped`: not running.
 */
export type ProjectionState =
  'catching_up' | 'live' | 'rebuilding' | 'failed' | 'standby' | 'stopped';

export interface ProjectionStatus {
  readonly name: string;
  /** Version of the build queries read (undefined before the first start). */
  readonly version: number | undefined;
  readonly build: string | undefined;
  readonly state: ProjectionState;
  readonly checkpoint: bigint;
  readonly headPosition: bigint;
  /**
   * About how many events the log holds up to `headPosition`: exact on the embedded store; on
   * EventStoreDB, whose positions are byte offsets, estimated from the log's bytes.
   */
  readonly headEvents: bigint;
  /** Head minus checkpoint; 0 when no event this projection handles is waiting. */
  readonly lagPositions: bigint;
  /** About how many events lie between the checkpoint and the head while one of its types waits. */
  readonly lagEvents: bigint;
  /** Age of the oldest event this projection handles and has not applied; 0 when none. */
  readonly lagSeconds: number;
  readonly failure: ProjectionFailure | undefined;
  /** Why the projection could not start at all (e.g. the registry serves a version no definition has). */
  readonly error: string | undefined;
  readonly rebuild:
    | {
        readonly version: number;
        readonly build: string;
        readonly state: 'rebuilding' | 'failed' | 'stopped';
        readonly checkpoint: bigint;
        /** About how many log events lie after its checkpoint up to the head: what it has yet to pass. */
        readonly lagEvents: bigint;
        readonly failure: ProjectionFailure | undefined;
      }
    | undefined;
}

/**
 * A projection cannot take an operation now, beside another one under way (a rebuild, a verify)
 * or in its state (standby, failed): asking again later may succeed.
 */
export class ProjectionBusy extends Error {
  override readonly name = 'ProjectionBusy';
}

/**
 * A verify of a projection (history.md): its active version rebuilt from position 0 into scratch
 * tables, brought with the live build to one point of the log, and compared with it row for row.
 */
export interface ProjectionVerification {
  readonly name: string;
  readonly version: number;
  /** The live build compared. */
  readonly build: string;
  /**
   * - `verifying`: the scratch build is catching up, or the two are being compared;
   * - `identical` / `different`: compared (see `comparison`);
   * - `failed`: it could not be carried out (see `error`); says nothing of the read model.
   */
  readonly state: 'verifying' | 'identical' | 'different' | 'failed';
  /** The live build's checkpoint when the verify was asked: what the scratch build catches up to. */
  readonly target: bigint;
  /** About how many log events lie up to `target`. */
  readonly targetEvents: bigint;
  /** The scratch build's checkpoint. */
  readonly checkpoint: bigint;
  /** About how many log events the scratch build has yet to pass to reach `target`. */
  readonly lagEvents: bigint;
  /** The point both builds were compared at: every event up to it applied, none after. */
  readonly comparedAt: bigint | undefined;
  readonly comparison: BuildComparison | undefined;
  readonly error: string | undefined;
}

interface VerificationRun {
  readonly live: ProjectionBuild;
  readonly scratch: ProjectionFeed;
  readonly target: bigint;
  state: ProjectionVerification['state'];
  /** Settles once it has ended and its tables are dropped. */
  ended: Promise<void>;
  /** The live build is held (stopped) for the comparison. */
  holding: boolean;
  comparedAt: bigint | undefined;
  comparison: BuildComparison | undefined;
  error: string | undefined;
}

/** How far a projection is from the head of the log, and how fast it has been closing in. */
export interface ProjectionCatchUp {
  readonly name: string;
  readonly failed: boolean;
  /** About how many log events it has yet to pass; 0 when none it handles is waiting. */
  readonly lagEvents: bigint;
  /**
   * Log events it passed per second of work lately (see `ApplyPace`); undefined when it has no
   * recent measure (it idled a while, has just started, or another instance feeds it).
   */
  readonly eventsPerSecond: number | undefined;
}

export interface ProjectionRunnerOptions {
  /** Most events per transaction. Default 500. */
  readonly batchSize?: number;
  /** Attempts per event before `failed`. Default 5. */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt up to `retryMaxDelayMs`. Defaults 100 ms / 5 s. */
  readonly retryBaseDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  /** How often a standby instance retries the lock and refreshes the registry. Default 5 s. */
  readonly standbyPollMs?: number;
  /** How often `waitFor` re-reads checkpoints it cannot be notified about (standby). Default 50 ms. */
  readonly waitPollMs?: number;
  /**
   * How often the read store refreshes its query planner's statistics where tables changed
   * enough (`ReadStore.optimize`). Default 15 s: plans made on the statistics of a table before a
   * bulk load can be thousands of times slower.
   */
  readonly statisticsIntervalMs?: number;
  /**
   * How long a build replaced by a switch keeps its tables, for readers that resolved its alias
   * just before (standby instances until their next poll). Default twice `standbyPollMs` + 1 s.
   */
  readonly retiredBuildGraceMs?: number;
  /**
   * Start although a build's checkpoint is past the log's head (it shows failed until a rebuild
   * replaces it). Default false: `start` rejects with `EventLogBehindCheckpoint`.
   */
  readonly startPastTheLog?: boolean;
  readonly now?: () => Date;
  readonly logger?: RunnerLogger;
}

/**
 * What scans found of the log after a serving build's checkpoint: no event `projection` handles
 * lies after `after` up to `through`; `next`, once a scan has reached it, is the first one after.
 * A fact about the log, which does not change up to its head, so it holds for every build of the
 * definition: a check goes on from `through` instead of reading again every event since the
 * checkpoint, which moves only with the events the projection applies.
 */
interface QuietSpan {
  readonly projection: AnyProjection;
  readonly after: bigint;
  readonly through: bigint;
  readonly next: RecordedEvent | undefined;
}

interface Slot {
  readonly name: string;
  readonly definitions: ReadonlyMap<number, AnyProjection>;
  readonly latest: AnyProjection;
  entry: RegistryEntry | undefined;
  /**
   * The build known to have its tables (its migrations applied): queries read the active build
   * only while it is this one. A build registered by a start that failed before migrating it
   * (the event store unreachable at the first start) has none.
   */
  readableBuild: string | undefined;
  lock: ReadStoreLock | undefined;
  standby: boolean;
  active: ProjectionFeed | undefined;
  pending: ProjectionFeed | undefined;
  quietSpan: QuietSpan | undefined;
  /** The scan under way: checks at the same time wait for it rather than read the same events. */
  scanning: Promise<void> | undefined;
  configurationError: string | undefined;
  /** Why it does not run when that is the log's head below a build's checkpoint. */
  logBehind: EventLogBehindCheckpoint | undefined;
  rebuildWaiters: Array<{ readonly resolve: () => void; readonly reject: (error: Error) => void }>;
  /** When the next retired build's tables are due to be dropped. */
  retiredDrop: NodeJS.Timeout | undefined;
  /** A rebuild is on its way to its pending build (possibly waiting for a retired one). */
  rebuildStarting: boolean;
  /** The last rebuild's way to its pending build: settled once it is fed, or could not start. */
  rebuildStart: Promise<void> | undefined;
  /** A standby poll of this projection is queued or running. */
  polling: boolean;
  /** The latest log head check (see `headStoppingFeedsPastIt`) that judged it standing by. */
  standbyCheck: number;
  /**
   * A rebuild that could not start and whose registration could not be undone either (the read
   * store down): the registry holds it pending, so a start resumes it; the status shows it failed.
   */
  unstartedRebuild:
    { readonly build: ProjectionBuild; readonly failure: ProjectionFailure } | undefined;
  /** The last verify asked of this instance (its result kept until the next one). */
  verification: VerificationRun | undefined;
}

const verifyUnderWay = (name: string) =>
  new ProjectionBusy(`A verify of ${name} is under way: try again once it has ended`);

const SILENT: RunnerLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * Runs every projection against the event store's `$all`, each from its own checkpoint, with
 * blue/green rebuilds. A plain class: wrap it in a provider that calls `start()` on bootstrap and
 * `stop()` on shutdown. It does not own (close) the stores it is given.
 *
 * Several definitions may share a name with different versions: the build of the registry's
 * active version keeps being fed while the highest version rebuilds.
 */
export class ProjectionRunner {
  /** Each projection's claims, stops and rebuild starts, one at a time (see `serially`). */
  private readonly slotSteps = new KeyedSequencer();
  private readonly registry: ProjectionRegistry;
  private readonly slots = new Map<string, Slot>();
  private readonly settings: FeedSettings;
  private readonly standbyPollMs: number;
  private readonly waitPollMs: number;
  private readonly progressWaiters = new Set<() => void>();
  private progressCount = 0;
  /** Log head checks begun (see `headStoppingFeedsPastIt`). */
  private headChecks = 0;
  private standbyTimer: NodeJS.Timeout | undefined;
  private readonly statisticsIntervalMs: number;
  private readonly retiredBuildGraceMs: number;
  private readonly startPastTheLog: boolean;
  private statisticsTimer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(
    private readonly eventStore: EventStore,
    private readonly store: ReadStore,
    projections: readonly AnyProjection[],
    options: ProjectionRunnerOptions = {},
  ) {
    const now = options.now ?? (() => new Date());
    this.registry = new ProjectionRegistry(store, now);
    this.settings = {
      batchSize: options.batchSize ?? 500,
      maxAttempts: options.maxAttempts ?? 5,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 100,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 5000,
      now,
      logger: options.logger ?? SILENT,
    };
    this.standbyPollMs = options.standbyPollMs ?? 5000;
    this.waitPollMs = options.waitPollMs ?? 50;
    this.statisticsIntervalMs = options.statisticsIntervalMs ?? 15_000;
    this.retiredBuildGraceMs = options.retiredBuildGraceMs ?? 2 * this.standbyPollMs + 1000;
    this.startPastTheLog = options.startPastTheLog ?? false;
    const byName = new Map<string, Map<number, AnyProjection>>();
    for (const projection of projections) {
      validateProjection(projection);
      const versions = byName.get(projection.name) ?? new Map<number, AnyProjection>();
      if (versions.has(projection.version))
        throw new Error(`Projection ${projection.name} v${projection.version} is defined twice`);
      versions.set(projection.version, projection);
      byName.set(projection.name, versions);
    }
    for (const [name, definitions] of byName) {
      const latest = [...definitions.values()].reduce((a, b) => (b.version > a.version ? b : a));
      this.slots.set(name, {
        name,
        definitions,
        latest,
        entry: undefined,
        readableBuild: undefined,
        lock: undefined,
        standby: false,
        active: undefined,
        pending: undefined,
        quietSpan: undefined,
        scanning: undefined,
        configurationError: undefined,
        logBehind: undefined,
        rebuildWaiters: [],
        retiredDrop: undefined,
        rebuildStarting: false,
        rebuildStart: undefined,
        polling: false,
        standbyCheck: 0,
        unstartedRebuild: undefined,
        verification: undefined,
      });
    }
  }

  /**
   * Migrates the runner's tables, then claims and starts every projection it can lock. Rejects
   * (stopped again) when the read store's role may not create tables a build needs: no poll
   * would start that projection; and, unless `startPastTheLog`, when a build's checkpoint is past
   * the log's head: the store is not the one the read models were built from.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.outlastingDroppedConnections(() => this.registry.migrate());
      for (const slot of this.slots.values())
        await this.serially(slot, () =>
          this.outlastingDroppedConnections(() => this.claim(slot, { atStart: true })),
        );
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.standbyTimer = setInterval(() => void this.pollStandby(), this.standbyPollMs);
    this.standbyTimer.unref();
    this.statisticsTimer = setInterval(
      () => void this.refreshStatistics(),
      this.statisticsIntervalMs,
    );
    this.statisticsTimer.unref();
  }

  /** A start-up step, run again when the read store's connection broke under it. */
  private outlastingDroppedConnections(step: () => Promise<void>): Promise<void> {
    return outlastingDroppedConnections(step, (error, delayMs) =>
      this.settings.logger.warn(
        `A read store connection broke while starting the projections; retrying in ${delayMs} ms`,
        { error: String(error) },
      ),
    );
  }

  /** Stops every feed after its batch in flight and releases the locks. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.standbyTimer);
    clearInterval(this.statisticsTimer);
    for (const slot of this.slots.values())
      await this.serially(slot, () => this.stopSlot(slot, 'The projection runner stopped'));
    this.notifyProgress();
    // Before the stores close under them: a verify's end drops its tables.
    for (const slot of this.slots.values()) await slot.verification?.ended;
  }

  /**
   * Runs `step` once the projection's steps queued before it have settled: its claims, stops and
   * rebuild starts never overlap. Two reclaims at once both got the lock (a session's advisory
   * locks are reentrant), ran its builds twice and created a build's tables together.
   */
  private serially<T>(slot: Slot, step: () => Promise<T>): Promise<T> {
    return this.slotSteps.run([slot.name], step);
  }

  private async stopSlot(slot: Slot, why: string): Promise<void> {
    clearTimeout(slot.retiredDrop);
    slot.retiredDrop = undefined;
    await this.stopFeeds(slot);
    for (const waiter of slot.rebuildWaiters.splice(0)) waiter.reject(new Error(why));
    await slot.lock?.release();
    slot.lock = undefined;
  }

  private async stopFeeds(slot: Slot): Promise<void> {
    // A verify under way ends failed: its scratch build is fed no more.
    await slot.verification?.scratch.stop();
    await slot.pending?.stop();
    await slot.active?.stop();
    slot.pending = undefined;
    slot.active = undefined;
    slot.unstartedRebuild = undefined;
  }

  /**
   * Statistics taken when a table was small make SQLite's planner prefer the index that orders a
   * search over the one that finds it (an email search scanned every contact of the workspace).
   * `optimize` re-analyzes a table once its size has changed tenfold, so refreshing periodically
   * while rows are written keeps plans right as a workspace grows from nothing.
   */
  private async refreshStatistics(): Promise<void> {
    // Also when nothing was applied since the last refresh: PostgreSQL counts a table's changes
    // up to seconds after they commit, and the refresh itself does nothing when nothing changed.
    try {
      await this.store.optimize();
    } catch (error) {
      this.settings.logger.warn('refreshing the read store statistics failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * Read-your-writes: true once every named projection (default: all) reflects every event up
   * to `position`; false after `timeoutMs`, or at once if one of them has failed.
   */
  async waitFor(position: bigint, timeoutMs: number, names?: readonly string[]): Promise<boolean> {
    const slots = (names ?? [...this.slots.keys()]).map((name) => this.slot(name));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.progressCount;
      const passed = await Promise.all(slots.map((slot) => this.hasPassed(slot, position)));
      if (passed.every(Boolean)) return true;
      // A build past the log's head waits for positions that never come (on any instance).
      if (slots.some((slot) => this.stateOf(slot) === 'failed' || slot.logBehind)) return false;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await this.progressOrTimeout(Math.min(remaining, this.waitPollMs), seen);
    }
  }

  /**
   * Why writes are refused: a build is past the log's head (see `EventLogBehindCheckpoint`),
   * whether this instance runs it or another does; undefined while none is. Answered from the
   * last check (`checkLogHead`, a status check or a standby poll), without reading anything.
   */
  logBehind(): EventLogBehindCheckpoint | undefined {
    for (const slot of this.slots.values()) if (slot.logBehind) return slot.logBehind;
    return undefined;
  }

  /**
   * Compares the log's head with every build's checkpoint now (the read store's, for those
   * another instance runs), stopping the running builds past it.
   */
  checkLogHead(): Promise<bigint> {
    return this.headStoppingFeedsPastIt();
  }

  /** Where each named projection stands against `head` (the log's, read by the caller), and its recent pace. */
  async catchUp(names: readonly string[], head: bigint): Promise<ProjectionCatchUp[]> {
    return Promise.all(
      names.map(async (name) => {
        const slot = this.slot(name);
        const { active } = slot;
        const failed = this.stateOf(slot) === 'failed';
        const eventsPerSecond = active?.pace.eventsPerSecond();
        if (await this.hasPassed(slot, head))
          return { name, failed, lagEvents: 0n, eventsPerSecond };
        const checkpoint =
          active?.checkpoint ??
          (slot.entry ? await this.registry.readCheckpoint(name, slot.entry.active.id) : 0n);
        return {
          name,
          failed,
          lagEvents: this.eventStore.eventsBetween(checkpoint, head),
          eventsPerSecond,
        };
      }),
    );
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.headStoppingFeedsPastIt();
    const statuses: ProjectionStatus[] = [];
    for (const slot of this.slots.values()) {
      // One snapshot before any await: a feed may reach the head, or a switch complete, during
      // the reads below, and fields read after them would mix two moments.
      const { entry, active, pending, unstartedRebuild } = slot;
      const state = this.stateOf(slot);
      const checkpoint =
        active?.checkpoint ??
        (entry ? await this.registry.readCheckpoint(slot.name, entry.active.id) : 0n);
      const pendingEvent = await this.firstPendingEvent(slot, checkpoint, head);
      statuses.push({
        name: slot.name,
        version: entry?.active.version,
        build: entry?.active.id,
        state,
        checkpoint,
        headPosition: head,
        headEvents: this.eventStore.eventsBetween(0n, head),
        lagPositions: pendingEvent === undefined || head < checkpoint ? 0n : head - checkpoint,
        lagEvents:
          pendingEvent === undefined ? 0n : this.eventStore.eventsBetween(checkpoint, head),
        lagSeconds:
          pendingEvent === undefined
            ? 0
            : Math.max(
                0,
                (this.settings.now().getTime() - pendingEvent.recordedAt.getTime()) / 1000,
              ),
        failure: active?.failure,
        error: slot.configurationError,
        rebuild: pending
          ? {
              version: pending.build.version,
              build: pending.build.id,
              state:
                pending.phase === 'failed'
                  ? 'failed'
                  : pending.phase === 'stopped'
                    ? 'stopped'
                    : 'rebuilding',
              checkpoint: pending.checkpoint,
              lagEvents: this.eventStore.eventsBetween(pending.checkpoint, head),
              failure: pending.failure,
            }
          : unstartedRebuild && {
              version: unstartedRebuild.build.version,
              build: unstartedRebuild.build.id,
              state: 'failed',
              checkpoint: 0n,
              lagEvents: this.eventStore.eventsBetween(0n, head),
              failure: unstartedRebuild.failure,
            },
      });
    }
    return statuses;
  }

  /**
   * Physical table names of the build queries should read now; `ReadModelNotStarted` while the
   * projection has no build with tables yet.
   */
  tables<TDb>(name: string): TableResolver<TDb> {
    return resolverFor<TDb>(name, this.readableBuild(this.slot(name)));
  }

  /**
   * A Kysely instance typed by the projection's logical tables that reads the active build; the
   * lookup happens per query, so a long-lived instance follows a switch. A query that resolved
   * the old tables just before a switch still finds them: they are dropped `retiredBuildGraceMs`
   * later.
   */
  queryDb<TDb>(name: string): Kysely<TDb> {
    const slot = this.slot(name);
    const logicalTables = new Set([...slot.definitions.values()].flatMap((d) => d.tables));
    return this.store.queryDb.withPlugin(
      new TableRenamePlugin((logical) =>
        logicalTables.has(logical) ? this.readableBuild(slot).tables[logical] : undefined,
      ),
    ) as unknown as Kysely<TDb>;
  }

  /**
   * Whether the build queries read has `logical`: a table a later version adds is not there
   * while an earlier version's build serves (until that version's rebuild switches over).
   */
  readsTable(name: string, logical: string): boolean {
    return this.readableBuild(this.slot(name)).tables[logical] !== undefined;
  }

  private readableBuild(slot: Slot): ProjectionBuild {
    const active = slot.entry?.active;
    if (active === undefined || active.id !== slot.readableBuild)
      throw new ReadModelNotStarted(slot.name);
    return active;
  }

  /**
   * Takes the registry's entry of the projection, and whether its active build has tables (asked
   * of the registry once per build: a build keeps its tables while it is active).
   */
  private async follow(slot: Slot, entry: RegistryEntry | undefined): Promise<void> {
    slot.entry = entry;
    if (entry === undefined || entry.active.id === slot.readableBuild) return;
    if (await this.registry.isMigrated(slot.name, entry.active.id))
      slot.readableBuild = entry.active.id;
  }

  /**
   * Blue/green rebuild of the projection's highest version into fresh tables from position 0;
   * the current build keeps serving until the new one has caught up, then the alias switches
   * in one transaction; the old tables are dropped after `retiredBuildGraceMs`. Resolves after
   * the switch.
   */
  rebuild(name: string): Promise<void> {
    const slot = this.slot(name);
    if (!slot.lock || !this.started) {
      return Promise.reject(
        new Error(`Projection ${name} is not run by this instance (${this.stateOf(slot)})`),
      );
    }
    if (slot.verification?.state === 'verifying') return Promise.reject(verifyUnderWay(name));
    const done = new Promise<void>((resolve, reject) =>
      slot.rebuildWaiters.push({ resolve, reject }),
    );
    if (!slot.pending && !slot.rebuildStarting) {
      slot.rebuildStarting = true;
      slot.rebuildStart = this.serially(slot, () => this.startRebuild(slot))
        .catch((error: unknown) => {
          this.rejectRebuild(slot, error);
          throw error;
        })
        .finally(() => (slot.rebuildStarting = false));
      slot.rebuildStart.catch(() => undefined);
    }
    return done;
  }

  /**
   * `rebuild`, settled once the new build is under way (registered, its tables made, fed) rather
   * than once it serves: rejects when it could not start. A rebuild already under way counts.
   */
  async requestRebuild(name: string): Promise<{ readonly switched: Promise<void> }> {
    const switched = this.rebuild(name);
    switched.catch(() => undefined);
    await Promise.race([switched, this.slot(name).rebuildStart]);
    return { switched };
  }

  private async startRebuild(slot: Slot): Promise<void> {
    // A reclaim queued before may have resumed the registry's pending build: its switch resolves
    // the waiters.
    if (slot.pending) return;
    if (!slot.lock || !this.started) {
      throw new Error(
        `Projection ${slot.name} is not run by this instance (${this.stateOf(slot)})`,
      );
    }
    if (slot.verification?.state === 'verifying') throw verifyUnderWay(slot.name);
    await this.beginRebuild(slot);
  }

  /**
   * Starts a verify of the projection (see `ProjectionVerification`) and answers it as it
   * starts; `verification` follows it. The scratch build is fed from position 0 up to the live
   * build's checkpoint as it is now, while the live build goes on; then the live build is held
   * (it applies nothing; writes waiting for it wait) while both are brought to one point and
   * compared, and fed again after. The scratch tables are dropped at the end; nothing switches.
   * `ProjectionBusy` while the projection is rebuilding or being verified, has failed, or is not
   * run by this instance.
   */
  async verify(name: string): Promise<ProjectionVerification> {
    const slot = this.slot(name);
    const run = await this.serially(slot, () => this.startVerification(slot));
    run.ended = this.completeVerification(slot, run);
    return this.verificationOf(slot.name, run);
  }

  /** The last verify asked of this instance, under way or done; undefined when none was. */
  verification(name: string): ProjectionVerification | undefined {
    const run = this.slot(name).verification;
    return run && this.verificationOf(name, run);
  }

  private verificationOf(name: string, run: VerificationRun): ProjectionVerification {
    const checkpoint = run.scratch.checkpoint;
    return {
      name,
      version: run.live.version,
      build: run.live.id,
      state: run.state,
      target: run.target,
      targetEvents: this.eventStore.eventsBetween(0n, run.target),
      checkpoint,
      lagEvents:
        checkpoint >= run.target ? 0n : this.eventStore.eventsBetween(checkpoint, run.target),
      comparedAt: run.comparedAt,
      comparison: run.comparison,
      error: run.error,
    };
  }

  private async startVerification(slot: Slot): Promise<VerificationRun> {
    const { active, entry } = slot;
    if (!slot.lock || !this.started)
      throw new ProjectionBusy(
        `Projection ${slot.name} is not run by this instance (${this.stateOf(slot)})`,
      );
    if (slot.verification?.state === 'verifying') throw verifyUnderWay(slot.name);
    if (slot.pending || slot.rebuildStarting || slot.unstartedRebuild)
      throw new ProjectionBusy(
        `Projection ${slot.name} is rebuilding: verify it once the new build serves`,
      );
    if (
      active === undefined ||
      entry === undefined ||
      slot.configurationError !== undefined ||
      (active.phase !== 'live' && active.phase !== 'catching_up')
    )
      throw new ProjectionBusy(
        `Projection ${slot.name} is ${this.stateOf(slot)}: only a running build can be verified`,
      );
    const build = verificationBuild(active.projection);
    // A verify a crash cut short left its tables: start from empty ones.
    await this.registry.dropBuild(slot.name, build);
    await this.registry.migrateBuild(active.projection, build);
    const scratch = new ProjectionFeed(
      this.eventStore,
      this.registry,
      active.projection,
      build,
      this.settings,
      { onProgress: () => this.notifyProgress() },
    );
    const run: VerificationRun = {
      live: entry.active,
      scratch,
      target: active.checkpoint,
      state: 'verifying',
      ended: Promise.resolve(),
      holding: false,
      comparedAt: undefined,
      comparison: undefined,
      error: undefined,
    };
    try {
      await scratch.start();
    } catch (error) {
      await scratch.stop();
      await this.registry.dropBuild(slot.name, build);
      throw error;
    }
    slot.verification = run;
    this.settings.logger.info(
      `Projection ${slot.name}: verifying build ${entry.active.id} against a rebuild from position 0`,
    );
    return run;
  }

  private async completeVerification(slot: Slot, run: VerificationRun): Promise<void> {
    let outcome: Pick<VerificationRun, 'state' | 'comparison' | 'error'>;
    try {
      while (!(await this.buildReached(run.scratch, run.target))) {
        const { phase, failure } = run.scratch;
        if (phase === 'failed')
          throw new Error(
            `the rebuild failed at position ${failure?.position ?? '?'}: ${failure?.error ?? 'unknown error'}`,
          );
        if (!this.started || phase === 'stopped')
          throw new Error(`the rebuild was stopped (${this.stateOf(slot)})`);
        await this.progressOrTimeout(this.waitPollMs);
      }
      const comparison = await this.serially(slot, () => this.compareHeld(slot, run));
      outcome = {
        state: comparison.identical ? 'identical' : 'different',
        comparison,
        error: undefined,
      };
    } catch (error) {
      outcome = {
        state: 'failed',
        comparison: undefined,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    await run.scratch.stop();
    try {
      await this.registry.dropBuild(slot.name, run.scratch.build);
    } catch (error) {
      // The next verify drops them before it starts.
      this.settings.logger.warn(`Projection ${slot.name}: dropping the verify's tables failed`, {
        error: String(error),
      });
    }
    // Only now: a verify asked next must not find its tables being dropped.
    Object.assign(run, outcome);
    this.settings.logger.info(`Projection ${slot.name}: verify ${run.state}`, {
      ...(run.error !== undefined ? { error: run.error } : {}),
    });
    this.notifyProgress();
  }

  /**
   * Holds the live build (stopped, so its rows stay still) while it and the scratch build are
   * brought to the same point of the log, the later of their checkpoints, and compared; then
   * feeds it again.
   */
  private async compareHeld(slot: Slot, run: VerificationRun): Promise<BuildComparison> {
    const live = slot.active;
    if (!this.started || live === undefined || live.build.id !== run.live.id)
      throw new Error(`the live build of ${slot.name} stopped or was replaced meanwhile`);
    if (live.phase === 'failed') throw new Error(`the live build of ${slot.name} failed meanwhile`);
    run.holding = true;
    await live.stop();
    try {
      await run.scratch.stop();
      const at =
        live.checkpoint > run.scratch.checkpoint ? live.checkpoint : run.scratch.checkpoint;
      await live.applyThrough(at);
      await run.scratch.applyThrough(at);
      run.comparedAt = at;
      return await compareBuilds(this.store, live.projection.tables, run.live, run.scratch.build, {
        cancelled: () => !this.started,
      });
    } finally {
      if (this.started && slot.active === live) await live.start();
      run.holding = false;
    }
  }

  /**
   * Restarts a failed projection (and a failed rebuild) from its checkpoint; a rebuild left
   * registered although it could not start is started.
   */
  async retry(name: string): Promise<void> {
    const slot = this.slot(name);
    if (slot.active?.phase === 'failed') await slot.active.start();
    if (slot.pending?.phase === 'failed') await slot.pending.start();
    if (slot.unstartedRebuild) await this.serially(slot, () => this.startUnstartedRebuild(slot));
  }

  private async startUnstartedRebuild(slot: Slot): Promise<void> {
    const unstarted = slot.unstartedRebuild;
    const entry = slot.entry;
    if (unstarted === undefined || entry === undefined || slot.pending || !slot.lock) return;
    try {
      await this.startPending(slot, unstarted.build);
    } catch (error) {
      await this.withdrawRebuild(slot, { ...entry, pending: undefined }, unstarted.build, error);
    }
  }

  private async claim(slot: Slot, { atStart = false } = {}): Promise<void> {
    await this.follow(slot, await this.registry.find(slot.name));
    const lock = await this.store.tryLock(`projection:${slot.name}`);
    if (lock === undefined) {
      if (!slot.standby)
        this.settings.logger.info(`Projection ${slot.name} runs on another instance; standing by`);
      slot.standby = true;
      return;
    }
    slot.lock = lock;
    slot.standby = false;
    await this.startClaimed(slot, { atStart });
  }

  /**
   * Starts the builds of a projection whose lock this instance holds. One that could not start
   * shows failed with the reason, and is started again at every poll until it does: a dropped
   * connection passes, a build past the log's end stays refused until a rebuild replaces it.
   * At start, a read store role that may not create a build's tables fails the start instead:
   * no poll makes it able to; so does a build past the log's end, unless `startPastTheLog`.
   */
  private async startClaimed(slot: Slot, { atStart = false } = {}): Promise<void> {
    try {
      // Builds retired by an instance that stopped before their time came.
      await this.dropRetiredBuilds(slot);
      await this.startSlot(slot);
      slot.configurationError = undefined;
      slot.logBehind = undefined;
    } catch (error) {
      if (atStart && error instanceof ReadStorePrivilegeMissing) throw error;
      if (error instanceof EventLogBehindCheckpoint) {
        if (atStart && !this.startPastTheLog) throw error;
        slot.logBehind = error;
      }
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== slot.configurationError)
        this.settings.logger.error(`Projection ${slot.name} could not start`, { error: reason });
      slot.configurationError = reason;
    }
  }

  private async pollStandby(): Promise<void> {
    // A store replaced during an outage is noticed once it answers again (the feeds' subscriptions
    // resubscribe past its end and wait there silently).
    try {
      await this.headStoppingFeedsPastIt();
    } catch {
      // Unreachable: the feeds and the readiness check report the outage.
    }
    for (const slot of this.slots.values()) {
      // A poll of a projection still at it (stopping waits for the batch in flight) is not joined
      // by another; the others' polls go on.
      if (slot.polling) continue;
      slot.polling = true;
      try {
        await this.serially(slot, () => this.pollSlot(slot));
      } finally {
        slot.polling = false;
      }
    }
  }

  private async pollSlot(slot: Slot): Promise<void> {
    if (!this.started) return;
    if (slot.lock !== undefined && !slot.lock.held()) {
      // Another instance may hold it now: this one stops writing the projection, and claims it
      // again below (running it again only if the lock is free).
      this.settings.logger.warn(`Projection ${slot.name} lost its lock; claiming it again`);
      await this.stopSlot(slot, `Projection ${slot.name} lost its lock`);
      slot.standby = true;
    }
    // A rebuild on its way replaces the build that could not start (and clears the error).
    if (
      slot.configurationError !== undefined &&
      slot.lock?.held() === true &&
      !slot.pending &&
      !slot.rebuildStarting
    ) {
      await this.stopFeeds(slot);
      await this.startClaimed(slot);
      return;
    }
    if (!slot.standby || !this.started) return;
    try {
      await this.claim(slot);
    } catch (error) {
      this.settings.logger.warn(`Projection ${slot.name}: standby refresh failed`, {
        error: String(error),
      });
    }
  }

  private async startSlot(slot: Slot): Promise<void> {
    let entry = await this.registry.find(slot.name);
    if (entry === undefined) {
      const build = nextBuild(slot.latest, undefined);
      await this.registry.dropBuild(slot.name, build);
      await this.registry.register(slot.name, build);
      entry = { name: slot.name, active: build, pending: undefined };
    }
    await this.follow(slot, entry);
    await this.refuseBuildPastTheLog(slot, entry.active);
    if (entry.pending) await this.refuseBuildPastTheLog(slot, entry.pending);
    if (entry.active.version > slot.latest.version) {
      throw new Error(
        `The registry serves ${slot.name} v${entry.active.version}, newer than any definition (v${slot.latest.version})`,
      );
    }
    const activeDefinition = slot.definitions.get(entry.active.version);
    if (activeDefinition) {
      await this.registry.migrateBuild(activeDefinition, entry.active);
      slot.readableBuild = entry.active.id;
      slot.active = this.feed(slot, activeDefinition, entry.active);
      await slot.active.start();
    }
    if (entry.pending) {
      if (entry.pending.version === slot.latest.version) {
        await this.startPending(slot, entry.pending);
        return;
      }
      await this.registry.dropBuild(slot.name, entry.pending);
      await this.registry.setPending(slot.name, undefined);
      slot.entry = { ...entry, pending: undefined };
    }
    if (slot.latest.version > entry.active.version) await this.beginRebuild(slot);
  }

  /**
   * A build whose checkpoint is past the log's end was built from events the store no longer
   * has (it was restored from an older backup, or replaced): run on, it would skip every new
   * event below its checkpoint and serve contacts with no events behind them. It does not start;
   * the projection shows failed with this reason until a rebuild replaces the build.
   */
  private async refuseBuildPastTheLog(slot: Slot, build: ProjectionBuild): Promise<void> {
    const checkpoint = await this.registry.readCheckpoint(slot.name, build.id);
    const behind = await this.logEndsBefore(slot, checkpoint, await this.eventStore.headPosition());
    if (behind) throw behind;
  }

  /**
   * Whether the log ends before `checkpoint` (read before `head`): past the head, it is confirmed
   * against the log's end (`logEnd`, read once however many checkpoints ask), since a checkpoint
   * may lie on a record the head does not show.
   */
  private async logEndsBefore(
    slot: Slot,
    checkpoint: bigint,
    head: bigint,
    logEnd: () => Promise<bigint> = () => this.eventStore.logEnd(),
  ): Promise<EventLogBehindCheckpoint | undefined> {
    if (!this.eventStore.commitsAfter(checkpoint, head)) return undefined;
    const end = await logEnd();
    return this.eventStore.commitsAfter(checkpoint, end)
      ? new EventLogBehindCheckpoint(slot.name, checkpoint, end)
      : undefined;
  }

  /**
   * The log's head, once every feed whose checkpoint is past it has stopped, showing failed as a
   * build refused at start does (see `refuseBuildPastTheLog`): the store was replaced under the
   * running service. The projections another instance runs are judged by the checkpoints their
   * builds hold in the read store: one past the head makes this instance refuse writes too (see
   * `noteLogBehindStandingBy`). Checkpoints are taken before the head is read, so events committed
   * meanwhile cannot make a build look past it.
   */
  private async headStoppingFeedsPastIt(): Promise<bigint> {
    const check = ++this.headChecks;
    const fed = [...this.slots.values()].flatMap((slot) =>
      [slot.active, slot.pending].flatMap((feed) =>
        feed === undefined ? [] : [{ slot, feed, checkpoint: feed.checkpoint }],
      ),
    );
    const standingBy = await Promise.all(
      [...this.slots.values()]
        .filter((slot) => slot.standby)
        .map(async (slot) => ({
          slot,
          // Unknown while the read store does not answer: the last finding stands (readiness
          // reports the outage), and the running feeds are checked all the same.
          checkpoints: await this.standbyCheckpoints(slot).catch(() => undefined),
        })),
    );
    const head = await this.eventStore.headPosition();
    let end: Promise<bigint> | undefined;
    const logEnd = (): Promise<bigint> => (end ??= this.eventStore.logEnd());
    for (const { slot, feed, checkpoint } of fed) {
      const behind = await this.logEndsBefore(slot, checkpoint, head, logEnd);
      if (behind) await this.serially(slot, () => this.stopFeedPastTheLog(slot, feed, behind));
    }
    for (const { slot, checkpoints } of standingBy) {
      if (checkpoints === undefined) continue;
      let behind: EventLogBehindCheckpoint | undefined;
      for (const checkpoint of checkpoints)
        behind ??= await this.logEndsBefore(slot, checkpoint, head, logEnd);
      this.noteLogBehindStandingBy(slot, check, behind);
    }
    return head;
  }

  /**
   * The checkpoints of the builds the registry names for a projection another instance runs
   * (its entry followed on the way, as a read-your-writes check does).
   */
  private async standbyCheckpoints(slot: Slot): Promise<bigint[]> {
    await this.follow(slot, await this.registry.find(slot.name));
    const builds = slot.entry ? [slot.entry.active, slot.entry.pending] : [];
    return Promise.all(
      builds.flatMap((build) =>
        build === undefined ? [] : [this.registry.readCheckpoint(slot.name, build.id)],
      ),
    );
  }

  /**
   * Records what check number `check` found of a projection another instance runs: its build
   * past the log's head refuses this instance's writes and shows as its error (it stays
   * `standby`), until a check finds it rebuilt. A check overtaken by a later one, or made before
   * this instance claimed the projection (its start judges its builds then), changes nothing.
   */
  private noteLogBehindStandingBy(
    slot: Slot,
    check: number,
    behind: EventLogBehindCheckpoint | undefined,
  ): void {
    if (!slot.standby || check <= slot.standbyCheck) return;
    slot.standbyCheck = check;
    if (behind) {
      if (slot.configurationError !== behind.message)
        this.settings.logger.error(
          `Projection ${slot.name}, run by another instance, is past the log's head; refusing writes`,
          { error: behind.message },
        );
      slot.logBehind = behind;
      slot.configurationError = behind.message;
    } else if (slot.logBehind) {
      if (slot.configurationError === slot.logBehind.message) slot.configurationError = undefined;
      slot.logBehind = undefined;
    }
  }

  private async stopFeedPastTheLog(
    slot: Slot,
    feed: ProjectionFeed,
    behind: EventLogBehindCheckpoint,
  ): Promise<void> {
    if (slot.active !== feed && slot.pending !== feed) return;
    this.settings.logger.error(`Projection ${slot.name} stopped`, { error: behind.message });
    await this.stopFeeds(slot);
    this.rejectRebuild(slot, behind);
    slot.configurationError = behind.message;
    slot.logBehind = behind;
    this.notifyProgress();
  }

  private async beginRebuild(slot: Slot): Promise<void> {
    const entry = slot.entry;
    if (entry === undefined) throw new Error(`Projection ${slot.name} is not registered`);
    const build = nextBuild(slot.latest, entry.active);
    // Builds alternate between two ids: the last switch's retired build may hold this one's id
    // and be read still (standby instances), so its grace runs out before its tables are reused.
    const retiredUntil = await this.registry.retiredUntil(slot.name, build.id);
    if (retiredUntil !== undefined) await this.sleepUntil(retiredUntil);
    // A build left by an interrupted rebuild is not trusted: start from empty tables.
    await this.registry.dropBuild(slot.name, build);
    await this.registry.setPending(slot.name, build);
    slot.entry = { ...entry, pending: build };
    // Named by build, not version: a rebuild of the same version goes from one build to the other.
    this.settings.logger.info(
      `Projection ${slot.name}: rebuilding build ${entry.active.id} (version ${entry.active.version}) ` +
        `into a new build ${build.id} (version ${build.version}); ${entry.active.id} serves until the switch`,
    );
    try {
      await this.startPending(slot, build);
    } catch (error) {
      await this.withdrawRebuild(slot, entry, build, error);
    }
  }

  private async startPending(slot: Slot, build: ProjectionBuild): Promise<void> {
    await this.registry.migrateBuild(slot.latest, build);
    // Not awaited by the feed: the new build keeps applying events while the switch waits for it.
    const feed = this.feed(slot, slot.latest, build, () => {
      void this.promote(slot, feed);
      return Promise.resolve();
    });
    slot.pending = feed;
    await feed.start();
    slot.unstartedRebuild = undefined;
  }

  /**
   * Undoes a rebuild that could not start, tables it made included, and rethrows why: whoever
   * asked is told it was refused, so a start must not carry it out unasked. When undoing fails
   * too (the read store down), the refusal says the rebuild stays registered, and the status
   * shows it failed until a retry or a start resumes it.
   */
  private async withdrawRebuild(
    slot: Slot,
    before: RegistryEntry,
    build: ProjectionBuild,
    error: unknown,
  ): Promise<never> {
    const reason = error instanceof Error ? error.message : String(error);
    await slot.pending?.stop();
    slot.pending = undefined;
    try {
      await this.registry.withdrawPending(slot.name, build);
    } catch (undoError) {
      slot.unstartedRebuild = {
        build,
        failure: {
          eventId: undefined,
          eventType: undefined,
          position: 0n,
          error: reason,
          attempts: 1,
          at: this.settings.now(),
        },
      };
      throw new Error(
        `${reason}; undoing it failed too (${undoError instanceof Error ? undoError.message : String(undoError)}): ` +
          `${build.id} stays registered, and resumes at the next start or POST /admin/projections/${slot.name}/retry`,
      );
    }
    slot.entry = before;
    slot.unstartedRebuild = undefined;
    throw error;
  }

  /**
   * Switches to the pending build once it has reached the head. The old build is stopped first
   * (its checkpoint becomes final and no transaction of it writes to tables about to be dropped),
   * then the new build must reach that checkpoint, so readers never go back in time.
   */
  private async promote(slot: Slot, feed: ProjectionFeed): Promise<void> {
    const entry = slot.entry;
    if (entry?.pending === undefined || slot.pending !== feed) return;
    const previous = slot.active;
    try {
      await previous?.stop();
      const target = previous?.checkpoint ?? 0n;
      while (!(await this.buildReached(feed, target))) {
        if (
          !this.started ||
          slot.pending !== feed ||
          feed.phase === 'failed' ||
          feed.phase === 'stopped'
        ) {
          throw new Error(`Rebuild of ${slot.name} stopped before it could take over`);
        }
        await this.progressOrTimeout(this.waitPollMs);
      }
      // Wall-clock time, not the runner's clock: the grace is for readers running now.
      await this.registry.promotePending(
        { ...entry, pending: entry.pending },
        new Date(Date.now() + this.retiredBuildGraceMs),
      );
    } catch (error) {
      this.rejectRebuild(slot, error);
      this.settings.logger.error(`Projection ${slot.name}: switch to ${entry.pending.id} failed`, {
        error: String(error),
      });
      if (this.started && previous && slot.active === previous) await previous.start();
      return;
    }
    slot.entry = { name: slot.name, active: entry.pending, pending: undefined };
    slot.readableBuild = entry.pending.id;
    slot.active = feed;
    slot.pending = undefined;
    // A build refused at start (see `refuseBuildPastTheLog`) is replaced: nothing is wrong now.
    slot.configurationError = undefined;
    slot.logBehind = undefined;
    this.settings.logger.info(`Projection ${slot.name}: now serving ${entry.pending.id}`);
    for (const waiter of slot.rebuildWaiters.splice(0)) waiter.resolve();
    this.notifyProgress();
    await this.dropRetiredBuilds(slot);
  }

  /** Resolves at `until` (wall-clock time); rejects if the runner stops first. */
  private async sleepUntil(until: Date): Promise<void> {
    for (;;) {
      if (!this.started) throw new Error('The projection runner stopped');
      const remaining = until.getTime() - Date.now();
      if (remaining <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(remaining, this.waitPollMs)));
    }
  }

  /** Drops the retired builds that are due and sets a timer for the next one. */
  private async dropRetiredBuilds(slot: Slot): Promise<void> {
    clearTimeout(slot.retiredDrop);
    slot.retiredDrop = undefined;
    if (!this.started || slot.lock === undefined) return;
    let next: Date | undefined;
    try {
      next = await this.registry.dropRetired(slot.name);
    } catch (error) {
      this.settings.logger.warn(`Projection ${slot.name}: dropping a retired build failed`, {
        error: String(error),
      });
      next = new Date(Date.now() + this.retiredBuildGraceMs);
    }
    if (next === undefined || !this.started) return;
    slot.retiredDrop = setTimeout(
      () => void this.dropRetiredBuilds(slot),
      Math.max(0, next.getTime() - Date.now()),
    );
    slot.retiredDrop.unref();
  }

  /** The build reflects every event up to `position` (its checkpoint, or no handled event in between). */
  private async buildReached(feed: ProjectionFeed, position: bigint): Promise<boolean> {
    if (feed.checkpoint >= position) return true;
    const next = await this.firstEventAfter(feed.projection, feed.checkpoint);
    return next === undefined || next.position > position;
  }

  private rejectRebuild(slot: Slot, error: unknown): void {
    const reason = error instanceof Error ? error : new Error(String(error));
    for (const waiter of slot.rebuildWaiters.splice(0)) waiter.reject(reason);
  }

  private feed(
    slot: Slot,
    projection: AnyProjection,
    build: ProjectionBuild,
    onFirstCaughtUp?: () => Promise<void>,
  ): ProjectionFeed {
    return new ProjectionFeed(this.eventStore, this.registry, projection, build, this.settings, {
      onProgress: () => {
        if (slot.pending?.phase === 'failed') {
          const failure = slot.pending.failure;
          this.rejectRebuild(
            slot,
            new Error(`Rebuild of ${slot.name} failed: ${failure?.error ?? 'unknown error'}`),
          );
        }
        this.notifyProgress();
      },
      // A build that just caught up has its bulk of rows: refresh the planner's statistics
      // (analyzing its tables outright only when it filled them now, not at every start).
      onFirstCaughtUp: async (filledFromEmpty) => {
        await this.store.optimize(filledFromEmpty ? Object.values(build.tables) : undefined);
        await onFirstCaughtUp?.();
      },
    });
  }

  private async hasPassed(slot: Slot, position: bigint): Promise<boolean> {
    // A build that could not start has no checkpoint to trust (it may be past the log's end).
    if (slot.configurationError !== undefined) return false;
    let checkpoint: bigint;
    if (slot.active) {
      checkpoint = slot.active.checkpoint;
    } else {
      // Standby: another instance feeds it; follow its registry entry and checkpoint.
      await this.follow(slot, await this.registry.find(slot.name));
      if (slot.entry === undefined) return false;
      checkpoint = await this.registry.readCheckpoint(slot.name, slot.entry.active.id);
    }
    if (checkpoint >= position) return true;
    const known = this.quietSpanFrom(slot, this.servedDefinition(slot), checkpoint);
    if (known !== undefined && known.through >= position) return true;
    if (known?.next !== undefined) return false;
    const head = await this.eventStore.headPosition();
    if (position > head) return false;
    const pending = await this.firstPendingEvent(slot, checkpoint, head);
    // Every event up to `position` is committed (it is not past the head), so none handled is in between.
    return pending === undefined || pending.position > position;
  }

  /**
   * The first event the serving definition handles after `checkpoint`; undefined when none lies
   * up to `head` (read before). Reads only the log past what earlier scans found.
   */
  private async firstPendingEvent(
    slot: Slot,
    checkpoint: bigint,
    head: bigint,
  ): Promise<RecordedEvent | undefined> {
    const projection = this.servedDefinition(slot);
    for (;;) {
      const known = this.quietSpanFrom(slot, projection, checkpoint);
      if (known?.next !== undefined) return known.next;
      if (known !== undefined && known.through >= head) return undefined;
      // Another check's scan may cover this one; a scan started here does.
      slot.scanning ??= this.scanForPending(slot, projection, checkpoint, head, known).finally(
        () => (slot.scanning = undefined),
      );
      await slot.scanning;
    }
  }

  /** The span known quiet from `checkpoint` on, when there is one. */
  private quietSpanFrom(
    slot: Slot,
    projection: AnyProjection,
    checkpoint: bigint,
  ): QuietSpan | undefined {
    const span = slot.quietSpan;
    if (span?.projection !== projection || checkpoint < span.after || checkpoint > span.through)
      return undefined;
    return span;
  }

  private async scanForPending(
    slot: Slot,
    projection: AnyProjection,
    checkpoint: bigint,
    head: bigint,
    known: QuietSpan | undefined,
  ): Promise<void> {
    const after = known?.after ?? checkpoint;
    const from = known?.through ?? checkpoint;
    const next = await this.firstEventAfter(projection, from);
    // Positions follow commit order: every event before `next`, and up to `head`, was read.
    slot.quietSpan =
      next === undefined
        ? { projection, after, through: head > from ? head : from, next }
        : { projection, after, through: next.position - 1n, next };
  }

  /** The definition of the build queries read (the latest until the registry names one). */
  private servedDefinition(slot: Slot): AnyProjection {
    return (slot.entry && slot.definitions.get(slot.entry.active.version)) ?? slot.latest;
  }

  private async firstEventAfter(
    projection: AnyProjection,
    position: bigint,
  ): Promise<RecordedEvent | undefined> {
    for await (const event of this.eventStore.readAll({
      fromPosition: position,
      maxCount: 1,
      filter: { eventTypes: projection.eventTypes },
    })) {
      return event;
    }
    return undefined;
  }

  private stateOf(slot: Slot): ProjectionState {
    if (slot.standby) return 'standby';
    if (slot.configurationError !== undefined || slot.active?.phase === 'failed') return 'failed';
    if (slot.pending) return 'rebuilding';
    switch (slot.active?.phase) {
      case 'catching_up':
        return 'catching_up';
      case 'live':
        return 'live';
      case undefined:
      case 'idle':
      case 'stopped':
        // Held for a verify's comparison: behind the head for a while, not stopped.
        return slot.verification?.holding ? 'catching_up' : 'stopped';
    }
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (slot === undefined) throw new Error(`Unknown projection ${name}`);
    return slot;
  }

  /** Resolves at the next commit or phase change of any feed after `seen` (a `progressCount`), or after `ms`. */
  private progressOrTimeout(ms: number, seen = this.progressCount): Promise<void> {
    if (this.progressCount !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.progressWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.progressWaiters.add(done);
    });
  }

  private notifyProgress(): void {
    this.progressCount += 1;
    for (const done of [...this.progressWaiters]) done();
  }
}
