export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** A dependency the service needs to serve traffic; `check` throws with a reason when it cannot. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}
