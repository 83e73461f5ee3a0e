import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DeadlineAlarm } from '../../projections/segment-membership/deadline-alarm';
import { SEGMENT_MEMBERSHIP_PROJECTION } from '../../projections/segment-membership/segment-membership.projection';
import type { SegmentMembershipReadModel } from '../../projections/segment-membership/segment-membership.tables';
import { PROJECTION_RUNNER, type ProjectionRunner } from '../projection-runner/projection-runner';
import { CLOCK, type Clock } from '../shared/clock';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import { tickSegmentClock } from './segment-clock';

/** setTimeout's ceiling; a later deadline is re-armed when this one passes. */
const MAX_TIMER_MS = 2_147_483_647;
const WAIT_MS = 5000;

/**
 * Fires time-based membership changes on a live service: one timer for the earliest stored
 * deadline (no periodic scan); when it is due, a `SegmentClockTicked` is appended for each
 * workspace with a deadline due, and the membership projection applies it like any event. The
 * projection raises the alarm when it stores a deadline, before its batch commits, so a wake-up
 * first waits for the projection to reach the head of the log before reading deadlines, and
 * fires nothing until it has.
 */
@Injectable()
export class SegmentDeadlineScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SegmentDeadlines');
  private timer: NodeJS.Timeout | undefined;
  private armedAt: number | undefined;
  private waking: Promise<void> | undefined;
  private wakeAgain = false;
  private stopped = false;
  private unlisten: (() => void) | undefined;
  /**
   * The head a wake-up found the membership projection behind: the next ones wait for it, not
   * for a later head, which a log under steady writes could keep out of a wake-up's reach.
   */
  private catchingUpTo: bigint | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly alarm: DeadlineAlarm,
  ) {}

  onApplicationBootstrap(): void {
    this.unlisten = this.alarm.listen((at) => this.armFor(at));
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    clearTimeout(this.timer);
    await this.waking;
  }

  /** Makes sure a wake-up happens no later than `at` (unix seconds). */
  private armFor(at: number): void {
    if (this.stopped || (this.armedAt !== undefined && this.armedAt <= at)) return;
    clearTimeout(this.timer);
    this.armedAt = at;
    const delay = Math.min(Math.max(0, at * 1000 - this.clock.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.waking) {
      this.wakeAgain = true;
      return;
    }
    this.armedAt = undefined;
    this.waking = this.fireDue()
      .catch((error: unknown) => {
        this.logger.warn({ msg: 'Segment deadlines: retrying in a second', error: String(error) });
        this.armFor(Math.floor(this.clock.now() / 1000) + 1);
      })
      .finally(() => {
        this.waking = undefined;
        if (this.wakeAgain) {
          this.wakeAgain = false;
          this.wake();
        }
      });
  }

  private async fireDue(): Promise<void> {
    const names = [SEGMENT_MEMBERSHIP_PROJECTION];
    const head = this.catchingUpTo ?? (await this.store.headPosition());
    if (!(await this.runner.waitFor(head, WAIT_MS, names))) {
      // A read model still catching up (a fresh instance replaying a copied log, a restart after
      // a long stop) holds deadlines that the log's own later events fire, at their event time: a
      // tick now would put in the log what the log never had. The deadlines that fell due
      // meanwhile, the service's downtime included, fire once it has caught up.
      this.catchingUpTo = head;
      this.armFor(Math.floor(this.clock.now() / 1000) + 1);
      return;
    }
    this.catchingUpTo = undefined;
    const db = this.runner.queryDb<SegmentMembershipReadModel>(SEGMENT_MEMBERSHIP_PROJECTION);
    const nowMs = this.clock.now();
    const now = Math.floor(nowMs / 1000);
    const due = await db
      .selectFrom('segment_membership_deadlines')
      .select('workspace_id')
      .distinct()
      .where('at', '<=', now)
      .execute();
    let last: bigint | undefined;
    for (const { workspace_id } of due)
      last = await tickSegmentClock(this.store, workspace_id, nowMs);
    if (last !== undefined) await this.runner.waitFor(last, WAIT_MS, names);
    const next = await db
      .selectFrom('segment_membership_deadlines')
      .select((eb) => eb.fn.min('at').as('next'))
      .executeTakeFirst();
    if (next?.next !== null && next?.next !== undefined) {
      // A tick not applied yet leaves its deadlines in place: look again in a second, not now.
      this.armFor(Math.max(Number(next.next), now + 1));
    }
  }
}
