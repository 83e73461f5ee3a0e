import 'reflect-metadata';
import { type INestApplication, Logger } from '@nestjs/common';
import { type Environment, InvalidEnvironment, loadEnvironment } from './config/environment';
import { createApp } from './bootstrap';
import { describeListeningAddresses } from './listening-addresses';
import { drainAndClose } from './shared/http/drain';
import { StartFailure } from './shared/start-failure';

const SHUTDOWN_GRACE_MS = 15_000;

async function main(): Promise<void> {
  let environment;
  try {
    environment = loadEnvironment();
  } catch (error) {
    if (error instanceof InvalidEnvironment) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(environment);
  try {
    await app.listen(environment.PORT, environment.HOST);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw listenFailure(error, environment);
  }
  app.flushLogs();
  // With PORT=0 this line is the only way to learn the port.
  new Logger('HTTP').log(
    `Listening on ${describeListeningAddresses(app.getHttpAdapter().getInstance().addresses())}`,
  );
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutDown(app, signal));
  }
}

/** Why the server could not listen, naming the setting at fault where it is one. */
function listenFailure(error: unknown, { HOST, PORT }: Environment): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'EADDRINUSE':
      return new StartFailure(`PORT ${PORT} is already in use on ${HOST} (${reason})`);
    case 'EACCES':
      return new StartFailure(`PORT ${PORT}: this process may not listen on it (${reason})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
      return new StartFailure(
        `HOST ${HOST}: cannot listen there, it is neither a name that resolves nor an address of this machine (${reason})`,
      );
    default:
      return error;
  }
}

/**
 * Graceful shutdown: stop accepting connections, let in-flight requests finish, stop the
 * projections, then close the stores (Nest's shutdown hooks, in that order). A drain that hangs
 * is cut after SHUTDOWN_GRACE_MS.
 */
async function shutDown(app: INestApplication, signal: NodeJS.Signals): Promise<void> {
  const forced = setTimeout(() => {
    process.stderr.write(
      `Shutdown on ${signal} did not finish in ${SHUTDOWN_GRACE_MS} ms; exiting\n`,
    );
    process.exit(1);
  }, SHUTDOWN_GRACE_MS);
  forced.unref();
  try {
    await drainAndClose(app);
    process.exit(0);
  } catch (error) {
    process.stderr.write(
      `Shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  if (error instanceof StartFailure) {
    process.stderr.write(
      error instanceof InvalidEnvironment
        ? `${error.message}\n`
        : `Failed to start: ${error.message}\n`,
    );
  } else {
    // A fault of the service itself: what it logged on the way, and where it failed.
    Logger.flush();
    process.stderr.write(
      `Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
