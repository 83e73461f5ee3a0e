import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const MAIN = join(__dirname, '../../src/main.ts');
const BUILT_MAIN = join(__dirname, '../../dist/src/main.js');

export interface SpawnOptions {
  /** Extra options for node (e.g. `--cpu-prof`). */
  readonly nodeOptions?: readonly string[];
  /** Run the built service (`npm start`'s `dist/src/main.js`, built beforehand) instead of the sources through ts-node. */
  readonly built?: boolean;
  /** Run as this user and group instead of the test's (to meet file permissions as root). */
  readonly user?: { readonly uid: number; readonly gid: number };
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process ended. */
  readonly exited: Promise<number | string>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Starts the service in a child process: `src/main.ts` through ts-node, or the built file. */
export async function spawnService(
  environment: Readonly<Record<string, string>>,
  options: SpawnOptions = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  const entry = options.built
    ? [BUILT_MAIN]
    : [require.resolve('ts-node/dist/bin'), '--transpile-only', MAIN];
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), ...entry], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options.user,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, baseUrl: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Polls until `GET /health/ready` answers 200, or the process exits, or the timeout passes. */
export async function waitUntilReady(service: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  let ended = false;
  void service.exited.then(() => (ended = true));
  const last = await pollUntilReady(service.baseUrl, timeoutMs, () => ended);
  if (last === 'ready') return;
  throw new Error(`service not ready (${ended ? 'exited' : 'timed out'}):\n${service.output()}`);
}

/**
 * Polls `GET /health/ready` at `baseUrl` until it answers 200 ('ready'), `stopped()` says to give
 * up, or `timeoutMs` passes; then the last answer it had ('status body'), or 'not listening'.
 */
export async function pollUntilReady(
  baseUrl: string,
  timeoutMs: number,
  stopped: () => boolean = () => false,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not listening';
  while (Date.now() < deadline && !stopped()) {
    try {
      const response = await fetch(`${baseUrl}/health/ready`);
      if (response.status === 200) return 'ready';
      last = `${response.status} ${await response.text()}`;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}
