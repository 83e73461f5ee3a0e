export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/**
 * A dependency the service needs to serve traffic; `check` throws when it cannot. The readiness
 * route is public: it shows a `PublicReason`'s message, and logs any other error instead of
 * showing it (a store's error may name hosts, a projection's may quote a tenant's data).
 */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

/** A reason for not being ready that anyone may read. */
export class PublicReason extends Error {
  override readonly name = 'PublicReason';
}
