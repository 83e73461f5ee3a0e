import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter, NEST_APPLICATION_OPTIONS } from '../../src/bootstrap';
import { Environment, loadEnvironment } from '../../src/config/environment';
import type { ReadStoreDialect } from '../../src/infrastructure/read-store/read-store';
import { drainAndClose } from '../../src/shared/http/drain';
import { startEsdbStandIn, type EsdbStandIn } from './esdb-stand-in/esdb-stand-in';
import { createSchema, dropSchema, TEST_POSTGRES_URL, uniqueSchemaName } from './postgres';
import { pollUntilReady } from './service-process';

export const ACME_TOKEN = 'token-of-acme-0001';
export const GLOBEX_TOKEN = 'token-of-globex-0001';
/** The operations routes' token (`ADMIN_TOKENS`). */
export const ADMIN_TOKEN = 'token-of-the-operator-0001';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly baseUrl: string;
  readonly dataDir: string;
  /** `fetch` against the app with a workspace's token (acme by default). */
  request(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/** Calls with the app's Fastify instance, for tests that watch how routes are registered. */
export interface FastifySetup {
  /** Before Nest creates the application (and its controllers see the adapter). */
  readonly beforeApplication?: (fastify: FastifyInstance) => void;
  /** After the application is created, before Nest registers its routes. */
  readonly beforeRoutes?: (fastify: FastifyInstance) => void;
}

/**
 * The whole service in-process on a random port, embedded stores in a fresh DATA_DIR, two
 * workspaces (`acme`, `globex`) and an administrator (`ADMIN_TOKEN`).
 */
export async function startTestApp(
  environment: Readonly<Record<string, string>> = {},
  setup: FastifySetup = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-'));
  const settings = loadEnvironment({
    DATA_DIR: dataDir,
    ACCESS_TOKENS: `acme:${ACME_TOKEN},globex:${GLOBEX_TOKEN}`,
    ADMIN_TOKENS: ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    ...environment,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(Environment)
    .useValue(settings)
    .compile();
  const adapter = createFastifyAdapter(settings);
  setup.beforeApplication?.(adapter.getInstance());
  const app = moduleRef.createNestApplication<NestFastifyApplication>(adapter, {
    ...NEST_APPLICATION_OPTIONS,
    logger: false,
  });
  setup.beforeRoutes?.(adapter.getInstance());
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const baseUrl = await app.getUrl();
  return {
    app,
    baseUrl: baseUrl.replace('[::1]', '127.0.0.1'),
    dataDir,
    request: (path, init = {}) => {
      const { token = ACME_TOKEN, json, headers, ...rest } = init;
      return fetch(`${baseUrl}${path}`, {
        ...rest,
        headers: {
          authorization: `Bearer ${token}`,
          ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(headers as Record<string, string> | undefined),
        },
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    close: async () => {
      // As the service's own shutdown drains (src/main.ts).
      await drainAndClose(app);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `startTestApp` with its read models on PostgreSQL, in a schema of its own that `close` drops. */
export async function startTestAppOnPostgres(
  environment: Readonly<Record<string, string>> = {},
): Promise<TestApp> {
  const schema = uniqueSchemaName('e2e');
  await createSchema(schema);
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const app = await startTestApp({ DATABASE_URL: url.toString(), ...environment });
  return {
    ...app,
    close: async () => {
      await app.close();
      await dropSchema(schema);
    },
  };
}

const STAND_IN_READ_YOUR_WRITES_TIMEOUT_MS = 15_000;
const READY_WITHIN_MS = 20_000;

/** Waits until `GET /health/ready` answers 200, as a client of the service is to. */
async function untilReady(app: TestApp): Promise<void> {
  const last = await pollUntilReady(app.baseUrl, READY_WITHIN_MS);
  if (last !== 'ready') throw new Error(`not ready within ${READY_WITHIN_MS} ms: ${last}`);
}

/** The environment of an app whose event store is a stand-in of EventStoreDB at `connectionString`. */
export const standInEnvironment = (connectionString: string) => ({
  EVENTSTORE_CONNECTION_STRING: connectionString,
  // The stand-in serves from this process, sharing its event loop with the app and the test: on
  // a loaded machine its round trips take longer than a server's of its own would.
  READ_YOUR_WRITES_TIMEOUT_MS: String(STAND_IN_READ_YOUR_WRITES_TIMEOUT_MS),
});

/** A `TestApp` on EventStoreDB; its `close` stops the stand-in too, once the app is closed. */
export interface TestAppOnStandIn extends TestApp {
  /** The stand-in of EventStoreDB's protocol the app's event store talks to. */
  readonly standIn: EsdbStandIn;
}

/**
 * The production event store path: `startTestApp` on the EventStoreDB adapter, through the real
 * client to a fresh in-process stand-in (`startEsdbStandIn`); its read models on PostgreSQL, as
 * `startTestAppOnPostgres`, when `readModels` is `'postgres'`.
 */
export async function startTestAppOnStandIn(
  readModels: ReadStoreDialect = 'sqlite',
): Promise<TestAppOnStandIn> {
  const standIn = await startEsdbStandIn();
  const environment = standInEnvironment(standIn.connectionString);
  let app: TestApp;
  try {
    app =
      readModels === 'postgres'
        ? await startTestAppOnPostgres(environment)
        : await startTestApp(environment);
    await untilReady(app);
  } catch (error) {
    await standIn.close();
    throw error;
  }
  return {
    ...app,
    standIn,
    close: async () => {
      await app.close();
      await standIn.close();
    },
  };
}

/**
 * A request with Intercom-Version 2.16 and its answer: status and parsed body (none for an empty
 * one, as `POST /events` answers 202).
 */
export async function call216<T>(
  service: TestApp,
  path: string,
  method = 'GET',
  json?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await service.request(path, {
    method,
    headers: { 'Intercom-Version': '2.16' },
    ...(json !== undefined ? { json } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}
