import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { MAX_LOG_POSITION } from '../event-store/event-store.port';
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

  /** The version a request asks for; one Intercom does not have is read as the default. */
  static parse(header: string | undefined): IntercomVersion {
    return (
      (header === undefined ? undefined : IntercomVersion.named(header)) ?? IntercomVersion.DEFAULT
    );
  }

  /**
   * The version Intercom calls `name` (1.0–1.4, 2.0–2.16, `Unstable`), written as Intercom writes
   * it (`2.16`, not `02.16`); undefined for any other name.
   */
  static named(name: string): IntercomVersion | undefined {
    const trimmed = name.trim();
    if (trimmed.toLowerCase() === 'unstable') return IntercomVersion.LATEST;
    const match = /^(1|2)\.(0|[1-9]\d?)$/.exec(trimmed);
    if (match === null) return undefined;
    const [major, minor] = [Number(match[1]), Number(match[2])];
    return minor <= (major === 1 ? 4 : LATEST_MINOR)
      ? new IntercomVersion(major, minor)
      : undefined;
  }

  /** As Intercom writes it: `2.14`. */
  get name(): string {
    return `${this.major}.${this.minor}`;
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
  const version = IntercomVersion.named((Array.isArray(header) ? header[0] : header) ?? '');
  if (version !== undefined && version.atLeast(2, 0)) return undefined;
  return HttpProblem.of(
    400,
    'intercom_version_invalid',
    version !== undefined
      ? 'Requested resource is not available in current API version.'
      : `Intercom-Version must be one of 2.0 to 2.${LATEST_MINOR} or Unstable (the 1.x versions have no Contacts API)`,
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
  if (!/^\d{1,39}$/.test(value) || BigInt(value) > MAX_LOG_POSITION) {
    throw HttpProblem.of(
      400,
      'parameter_invalid',
      'X-Min-Position must be a log position: a non-negative integer, as X-Position gave it',
      'X-Min-Position',
    );
  }
  return BigInt(value);
}

export const RequestedVersion = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IntercomVersion =>
    requestedVersionOf(context.switchToHttp().getRequest<FastifyRequest>()),
);

/** The document's entry for `X-Min-Position`, on every route that reads it. */
export const MinPositionHeader = () =>
  ApiHeader({
    name: 'X-Min-Position',
    required: false,
    description:
      'A log position (an X-Position a write answered): the answer reflects at least that write',
    schema: { type: 'string', pattern: '^[0-9]{1,39}$' },
  });

/** See {@link minPositionOf}; the route documents the header. */
export const MinPosition = createParamDecorator(
  (_data: unknown, context: ExecutionContext): bigint | undefined =>
    minPositionOf(context.switchToHttp().getRequest<FastifyRequest>()),
  [
    (target, key) => {
      if (key !== undefined)
        MinPositionHeader()(target, key, Object.getOwnPropertyDescriptor(target, key)!);
    },
  ],
);
