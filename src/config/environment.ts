import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  validateSync,
} from 'class-validator';
import { applicableConstraints } from '../shared/applicable-constraints';
import { DecimalInteger } from '../shared/decimal-integer';
import { StartFailure } from '../shared/start-failure';

/** Every zone named in `WORKSPACE_TIME_ZONES` must be one `Intl` knows. */
@ValidatorConstraint({ name: 'knownTimeZones' })
class KnownTimeZones implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return true;
    return value.split(',').every((pair) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: pair.slice(pair.indexOf(':') + 1) });
        return true;
      } catch {
        return false;
      }
    });
  }

  defaultMessage(): string {
    return 'names a time zone that does not exist';
  }
}

/**
 * A catch-up bound of ingestion as long as the read-your-writes timeout would let ingestion keep
 * the read models so far behind that API writes answer 503 for it.
 */
@ValidatorConstraint({ name: 'belowReadYourWritesTimeout' })
class BelowReadYourWritesTimeout implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    if (typeof value !== 'number') return true;
    return value < (args.object as Environment).READ_YOUR_WRITES_TIMEOUT_MS;
  }

  defaultMessage(args: ValidationArguments): string {
    const timeout = (args.object as Environment).READ_YOUR_WRITES_TIMEOUT_MS;
    return `must be less than READ_YOUR_WRITES_TIMEOUT_MS (${timeout}), well less: API writes wait behind the ingestion backlog`;
  }
}

/**
 * `a:b,c:d` pairs name each key once: `UniquePairKeys` takes which side is the key. A token given
 * to two workspaces would silently belong to the last one; a workspace given two zones, likewise.
 */
@ValidatorConstraint({ name: 'uniquePairKeys' })
class UniquePairKeys implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    if (typeof value !== 'string') return true;
    const side = args.constraints[0] as 'first' | 'second';
    const keys = value.split(',').map((pair) => {
      const separator = pair.indexOf(':');
      return side === 'first' ? pair.slice(0, separator) : pair.slice(separator + 1);
    });
    return new Set(keys).size === keys.length;
  }

  defaultMessage(args: ValidationArguments): string {
    return args.constraints[0] === 'first'
      ? 'names a workspace more than once'
      : 'gives one token to more than one workspace';
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const SQLITE_SYNCHRONOUS_LEVELS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

/**
 * Every setting the service reads from the environment. Nothing outside `src/config/` reads
 * `process.env`; a bad value stops start-up with a message naming the variable.
 */
export class Environment {
  @DecimalInteger()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @Matches(/^\S+$/, { message: 'must be a host name or address, without spaces' })
  HOST = '0.0.0.0';

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  @IsOptional()
  @Matches(/^esdb(\+discover)?:\/\/\S+$/, { message: 'must be an esdb:// connection string' })
  EVENTSTORE_CONNECTION_STRING?: string;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]+:[^,:\s]{8,}(,[A-Za-z0-9_-]+:[^,:\s]{8,})*$/, {
    message: 'must be comma-separated workspace_id:token pairs (tokens of at least 8 characters)',
  })
  @Validate(UniquePairKeys, ['second'])
  ACCESS_TOKENS?: string;

  /**
   * Tokens of the operations routes (`/admin/...`), comma-separated. Unset: a service of one
   * workspace accepts that workspace's token there; one of several accepts none.
   */
  @IsOptional()
  @Matches(/^[^,:\s]{8,}(,[^,:\s]{8,})*$/, {
    message: 'must be comma-separated tokens of at least 8 characters',
  })
  ADMIN_TOKENS?: string;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /** Durability of embedded appends; FULL survives power loss. */
  @IsIn(SQLITE_SYNCHRONOUS_LEVELS)
  SQLITE_SYNCHRONOUS: (typeof SQLITE_SYNCHRONOUS_LEVELS)[number] = 'FULL';

  /** How long a read-your-writes response may wait for the projections, in milliseconds. */
  @DecimalInteger()
  @IsInt()
  // 0 would answer every write 503: its read models can never be waited for.
  @Min(1)
  @Max(60_000)
  READ_YOUR_WRITES_TIMEOUT_MS = 5000;

  /**
   * How long a request may take to arrive whole (headers and body): a client that stops sending
   * midway is answered 408 then, rather than holding its connection, and a shutdown, for good.
   */
  @DecimalInteger()
  @IsInt()
  @Min(1000)
  @Max(300_000)
  REQUEST_TIMEOUT_MS = 10_000;

  /** Seconds between two recorded sightings (`ContactSeen`) of one contact with the same context. */
  @DecimalInteger()
  @IsInt()
  @Min(0)
  @Max(86_400)
  SEEN_THROTTLE = 300;

  /**
   * Backpressure of `POST /messenger/events`: when a projection is further behind the head of the
   * log than this (in log positions, i.e. events on the embedded store), ingestion answers 429.
   */
  @DecimalInteger()
  @IsInt()
  @Min(1)
  INGESTION_MAX_LAG_EVENTS = 50_000;

  /**
   * Backpressure of `POST /messenger/events`: when the read models ingestion feeds would take
   * longer than this to apply what waits for them (at their recent pace), ingestion answers 429.
   * Unset: a fifth of `READ_YOUR_WRITES_TIMEOUT_MS` (see `ingestionMaxLagMs`), so that API writes
   * behind an ingestion backlog still answer within theirs.
   */
  @IsOptional()
  @DecimalInteger()
  @IsInt()
  @Min(1)
  @Validate(BelowReadYourWritesTimeout)
  INGESTION_MAX_LAG_MS?: number;

  /**
   * `workspace_id:IANA zone` pairs, comma-separated: search matches dates by whole days in the
   * workspace's zone (UTC for a workspace not named).
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]+:[A-Za-z0-9_/+-]+(,[A-Za-z0-9_-]+:[A-Za-z0-9_/+-]+)*$/, {
    message:
      'must be comma-separated workspace_id:time zone pairs (IANA names, e.g. acme:Europe/Paris)',
  })
  @Validate(KnownTimeZones)
  @Validate(UniquePairKeys, ['first'])
  WORKSPACE_TIME_ZONES?: string;

  /**
   * `true`: start although the event log ends before a read model's checkpoint (the event store
   * replaced or restored from an older copy): those read models show failed, and writes are
   * refused, until they are rebuilt from this log. Otherwise such a start fails, naming both.
   */
  @IsIn(['true', 'false'])
  ALLOW_REPLACED_EVENT_LOG: 'true' | 'false' = 'false';

  /** Crash tests only: the point at which the process kills itself (see `FaultInjection`). */
  @IsOptional()
  @IsIn(['merge.after_source_closed'])
  FAULT_INJECTION?: string;
}

const ENVIRONMENT_VARIABLES: readonly (keyof Environment)[] = [
  'PORT',
  'HOST',
  'DATA_DIR',
  'EVENTSTORE_CONNECTION_STRING',
  'DATABASE_URL',
  'ACCESS_TOKENS',
  'ADMIN_TOKENS',
  'LOG_LEVEL',
  'SQLITE_SYNCHRONOUS',
  'READ_YOUR_WRITES_TIMEOUT_MS',
  'REQUEST_TIMEOUT_MS',
  'SEEN_THROTTLE',
  'INGESTION_MAX_LAG_EVENTS',
  'INGESTION_MAX_LAG_MS',
  'WORKSPACE_TIME_ZONES',
  'ALLOW_REPLACED_EVENT_LOG',
  'FAULT_INJECTION',
];

export class InvalidEnvironment extends StartFailure {
  override readonly name = 'InvalidEnvironment';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** Parses and validates the environment; throws `InvalidEnvironment` naming every bad variable. */
export function loadEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  // An empty variable counts as unset, as shells and compose files commonly leave them.
  const relevant = Object.fromEntries(
    ENVIRONMENT_VARIABLES.flatMap((name) => (source[name] ? [[name, source[name]]] : [])),
  );
  const environment = plainToInstance(Environment, relevant, { exposeDefaultValues: true });
  const errors = validateSync(environment, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new InvalidEnvironment(
      errors.map((error) => {
        const messages = applicableConstraints(error.constraints).map(([, message]) => message);
        return `${error.property}: ${messages.join('; ')}`;
      }),
    );
  }
  return environment;
}

/** `INGESTION_MAX_LAG_MS`, or a fifth of `READ_YOUR_WRITES_TIMEOUT_MS` when it is unset. */
export function ingestionMaxLagMs(environment: Environment): number {
  return (
    environment.INGESTION_MAX_LAG_MS ??
    Math.max(1, Math.floor(environment.READ_YOUR_WRITES_TIMEOUT_MS / 5))
  );
}
