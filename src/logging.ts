import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino, { type Level, type Logger } from 'pino';

/** The process's logger: JSON lines on stdout at `LOG_LEVEL`. */
export const createLogger = (level: string): Logger => pino({ level });

type NestLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

const PINO_LEVELS: Readonly<Record<NestLevel, Level>> = {
  log: 'info',
  error: 'error',
  warn: 'warn',
  debug: 'debug',
  verbose: 'trace',
  fatal: 'fatal',
};

/**
 * Nest's logger interface over pino. Nest passes the logger's context (`new Logger('Name')`) as
 * the last string argument; a message that is an object (`{ err, ... }`) is logged as fields,
 * with the following string as its message.
 */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: NestLevel, message: unknown, rest: unknown[]): void {
    const pinoLevel = PINO_LEVELS[level];
    if (!this.logger.isLevelEnabled(pinoLevel)) return;
    const strings = rest.filter((value): value is string => typeof value === 'string');
    const context = rest.length > 0 ? strings[strings.length - 1] : undefined;
    const text = strings.length > 1 ? strings[0] : undefined;
    if (message instanceof Error) {
      this.logger[pinoLevel]({ context, err: message }, text ?? message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[pinoLevel]({ context, ...message }, text);
    } else {
      // Nest's `error(message, stack, context)`: the stack is the string before the context.
      this.logger[pinoLevel]({ context, ...(text ? { stack: text } : {}) }, String(message));
    }
  }
}

/**
 * One line per answered request, at `debug` below 400, `info` for 4xx and `error` for 5xx (at
 * info every request would dominate the log under load). Only identifiers and the outcome are
 * logged, never headers or bodies; a level that is off costs one comparison.
 */
export function logRequests(app: NestFastifyApplication, logger: Logger): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      const status = reply.statusCode;
      const level: Level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
      if (logger.isLevelEnabled(level)) {
        logger[level](
          {
            req: { id: request.id, method: request.method, url: request.url },
            res: { statusCode: status },
            responseTime: reply.elapsedTime,
          },
          'request completed',
        );
      }
      done();
    });
}
