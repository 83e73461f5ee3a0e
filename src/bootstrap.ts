import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { REPORTS_POSITION_EXTENSION } from './shared/http/route-config';
import { PUBLIC_ROUTE_EXTENSION } from './workspaces/workspace-auth.guard';
import { ERROR_LIST_SCHEMA } from './shared/http/intercom-error';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module';
import { Environment } from './config/environment';
import { createLogger, logRequests, PinoLoggerService } from './logging';
import { answerRequestsWhileDraining } from './shared/http/draining';
import {
  answerRefusedUrl,
  answerUnparsableRequest,
  refuseUnusableInput,
} from './shared/http/unusable-input';
import { parseJsonBodiesStrictly } from './shared/http/json-body';
import { answerContinueWithinLimit } from './shared/http/body-over-limit';
import { UnfinishedRequests } from './shared/http/unfinished-requests';
import { intercomValidationPipe } from './shared/http/validation.pipe';
import { IntercomVersion } from './shared/http/intercom-version';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Path parameters fit: external ids of up to 255 characters, URL-encoded (up to 12 bytes each). */
const MAX_PATH_PARAMETER_LENGTH = 4096;

export function createFastifyAdapter(
  environment: Pick<Environment, 'REQUEST_TIMEOUT_MS'>,
): FastifyAdapter {
  const timeout = environment.REQUEST_TIMEOUT_MS;
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Node answers a request that has not arrived whole in time (408, see answerUnparsableRequest),
    // checking every second rather than every 30 s, its default.
    requestTimeout: timeout,
    http: { connectionsCheckingInterval: 1000, headersTimeout: Math.min(timeout, 60_000) },
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    frameworkErrors: answerRefusedUrl,
    clientErrorHandler: answerUnparsableRequest,
    genReqId: () => randomUUID(),
    // Idle keep-alive sockets must not hold a graceful shutdown open; in-flight requests finish.
    forceCloseConnections: 'idle',
    // Requests arriving during the drain get the Intercom envelope instead (see below).
    return503OnClosing: false,
  });
  parseJsonBodiesStrictly(adapter.getInstance());
  answerContinueWithinLimit(adapter.getInstance());
  refuseUnusableInput(adapter.getInstance());
  answerRequestsWhileDraining(adapter.getInstance());
  UnfinishedRequests.track(adapter.getInstance());
  return adapter;
}

/**
 * What every Nest application of the service is created with: Nest's own body parsers are left
 * out, as `createFastifyAdapter` parses JSON itself (strictly) and no route takes a form.
 */
export const NEST_APPLICATION_OPTIONS = { bodyParser: false } as const;

/**
 * Builds the HTTP application of `main.ts`. Nest's logs go to pino at LOG_LEVEL from the first,
 * and are held until `main` has the server listening (`app.flushLogs()`): a start that fails is
 * said once, by `main`, not also by Nest's exception handler in a stack trace.
 */
export async function createApp(
  environment: Pick<Environment, 'REQUEST_TIMEOUT_MS' | 'LOG_LEVEL'>,
): Promise<NestFastifyApplication> {
  const adapter = createFastifyAdapter(environment);
  const logger = createLogger(environment.LOG_LEVEL);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
    ...NEST_APPLICATION_OPTIONS,
    logger: new PinoLoggerService(logger),
    bufferLogs: true,
    autoFlushLogs: false,
    abortOnError: false,
  });
  logRequests(app, logger);
  configureApp(app);
  return app;
}

/** Everything an app instance needs beyond its modules (shared by `main.ts`, e2e tests and benchmarks). */
export function configureApp(app: NestFastifyApplication): void {
  app.useGlobalPipes(intercomValidationPipe());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Contact lifecycle service')
      .setDescription(
        "Intercom-compatible Contacts API and its extensions. Errors answer Intercom's " +
          '`{"type": "error.list", "request_id", "errors": [{code, message, field}]}`. ' +
          `The answers are described as Intercom-Version ${IntercomVersion.DEFAULT.name} gives them, ` +
          `the version of a request without the header (the document's version); 2.0 to ` +
          `${IntercomVersion.LATEST.name} and Unstable are accepted, and the Intercom-Version ` +
          'parameter says what differs.',
      )
      .setVersion(IntercomVersion.DEFAULT.name)
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        // Nest's default says JWT; the tokens are opaque strings.
        bearerFormat: 'opaque',
        description: 'A workspace access token (ACCESS_TOKENS), or an admin token for /admin',
      })
      .addGlobalParameters({
        name: 'Intercom-Version',
        in: 'header',
        required: false,
        description:
          'API version: 2.14 when absent; 2.16 (and Unstable) answers merged ids with 410; 1.x and unknown versions answer 400',
        schema: { type: 'string' },
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, withErrorAnswers(document), { jsonDocumentUrl: 'docs/json' });
}

const X_POSITION = {
  description:
    'The log position of the write (at or past its last event): sent back as X-Min-Position, ' +
    'a read reflects it',
  schema: { type: 'string' },
};

/**
 * Every operation's other answers: the error envelope, whatever the status, and a 503 that says
 * when to retry (a store unreachable or full, the read models behind, the service draining).
 * The success answers of writes carry their position.
 */
function withErrorAnswers(document: OpenAPIObject): OpenAPIObject {
  const envelope = { 'application/json': { schema: ERROR_LIST_SCHEMA } };
  const errors = {
    description: "A refusal (4xx) or failure (5xx), in Intercom's error envelope",
    content: envelope,
  };
  const unavailable = {
    description: 'Unavailable for now: retry after the delay',
    headers: {
      'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
      'X-Position': {
        ...X_POSITION,
        description: 'When a write was stored but the read models have not caught up: its position',
      },
    },
    content: envelope,
  };
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const marks = operation as unknown as Record<string, unknown>;
      if (marks[PUBLIC_ROUTE_EXTENSION] === true) {
        delete marks[PUBLIC_ROUTE_EXTENSION];
        operation.parameters = operation.parameters?.filter(
          (parameter) => !('name' in parameter) || parameter.name !== 'Intercom-Version',
        );
      }
      if (marks[REPORTS_POSITION_EXTENSION] === true) {
        delete marks[REPORTS_POSITION_EXTENSION];
        for (const [status, response] of Object.entries(operation.responses)) {
          if (/^2\d\d$/.test(status))
            (response as ResponseObject).headers = { 'X-Position': X_POSITION };
        }
      }
      operation.responses = { ...operation.responses, '503': unavailable, default: errors };
    }
  }
  return document;
}
