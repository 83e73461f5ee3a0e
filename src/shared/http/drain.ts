import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { UnfinishedRequests } from './unfinished-requests';

/** A request still arriving this long into the drain is not waited for (nor is a silent connection). */
const UNFINISHED_REQUEST_GRACE_MS = 1000;

/**
 * Closes `app` as a shutdown does: the server stops accepting, the requests in flight are
 * answered, then Nest's shutdown hooks run. A keep-alive connection whose request finishes
 * during the drain turns idle after the server stopped accepting, and Node's own close leaves it
 * open: such connections are closed as they appear. So are, after a second, connections that
 * hold no request being handled: one a client opened and never used, or one whose request is
 * still arriving, which Node no longer times out once its server closes, and which would
 * otherwise hold the shutdown as long as the client likes.
 */
export async function drainAndClose(app: INestApplication): Promise<void> {
  const server = app.getHttpServer() as Server;
  const drainStarted = Date.now();
  const sweeper = setInterval(() => {
    server.closeIdleConnections();
    if (Date.now() - drainStarted >= UNFINISHED_REQUEST_GRACE_MS) UnfinishedRequests.end(server);
  }, 100);
  sweeper.unref();
  try {
    await app.close();
  } finally {
    clearInterval(sweeper);
  }
}
