import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './intercom-error';

/** The newest version the service knows; `Unstable` is served as it. */
const LATEST_MINOR = 16;

/** The `Intercom-Version` a request asked for; absent → 2.14, what the official SDK sends. */
export class IntercomVersion {
  static readonly DEFAULT = new IntercomVersion(2, 14);
  static readonly LATEST = new IntercomVersion(2, LATEST_MINOR);

  private constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  /** A header `intercomVersionProblem` let through (anything else is read as the default). */
  static parse(header: string | undefined): IntercomVersion {
    if (header?.trim().toLowerCase() === 'unstable') return IntercomVersion.LATEST;
    const match = /^\s*(\d+)\.(\d+)\s*$/.exec(header ?? '');
    return match
      ? new IntercomVersion(Number(match[1]), Number(match[2]))
      : IntercomVersion.DEFAULT;
  }

  atLeast(major: number, minor: number): boolean {
    return this.major > major || (this.major === major && this.minor >= minor);
  }
}

/**
 * Intercom's versions are 1.0–1.4, 2.0–2.16 and `Unstable`; Intercom refuses any other with
 * `intercom_version_invalid`, and so does the service. The 1.x versions predate the Contacts API
 * (they had users and leads): no resource of the service exists in them.
 */
export function intercomVersionProblem(
  header: string | string[] | undefined,
): HttpProblem | undefined {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header[0] : header) ?? '';
  if (value.trim().toLowerCase() === 'unstable') return undefined;
  const match = /^\s*(\d+)\.(\d+)\s*$/.exec(value);
  const [major, minor] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  // Written as Intercom writes them: `2.16`, not `02.16` or `2.016`.
  const canonical = match !== null && match[1] === String(major) && match[2] === String(minor);
  if (canonical && major === 2 && minor <= LATEST_MINOR) return undefined;
  if (canonical && major === 1 && minor <= 4)
    return HttpProblem.of(
      400,
      'intercom_version_invalid',
      'Requested resource is not available in current API version.',
      'Intercom-Version',
    );
  return HttpProblem.of(
    400,
    'intercom_version_invalid',
    `Intercom-Version must be one of 2.0 to 2.${LATEST_MINOR} or Unstable (the 1.x versions have no Contacts API)`,
    'Intercom-Version',
  );
}

/** Throws `intercomVersionProblem`'s refusal of the request's Intercom-Version, if any. */
export function refuseUnknownVersion(request: FastifyRequest): void {
  const problem = intercomVersionProblem(request.headers['intercom-version']);
  if (problem !== undefined) throw problem;
}

/** The version a request asks for (what `@RequestedVersion()` gives a handler). */
export function requestedVersionOf(request: FastifyRequest): IntercomVersion {
  const header = request.headers['intercom-version'];
  return IntercomVersion.parse(Array.isArray(header) ? header[0] : header);
}

/** `X-Min-Position`: a position the client holds and wants reflected in what it reads. */
export function minPositionOf(request: FastifyRequest): bigint | undefined {
  const header = request.headers['x-min-position'];
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  // EventStoreDB's positions are two 64-bit numbers (commit, prepare), packed into one of 128 bits
  // (`esdb-mapping.ts`): 39 digits at most.
  if (!/^\d{1,39}$/.test(value) || BigInt(value) > MAX_POSITION) {
    throw HttpProblem.of(
      400,
      'parameter_invalid',
      'X-Min-Position must be a log position: a non-negative integer, as X-Position gave it',
      'X-Min-Position',
    );
  }
  return BigInt(value);
}

const MAX_POSITION = 2n ** 128n - 1n;

export const RequestedVersion = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IntercomVersion =>
    requestedVersionOf(context.switchToHttp().getRequest<FastifyRequest>()),
);

/** See {@link minPositionOf}. */
export const MinPosition = createParamDecorator(
  (_data: unknown, context: ExecutionContext): bigint | undefined =>
    minPositionOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
