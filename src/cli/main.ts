import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exportEvents, type ExportFormat } from './event-export';
import { writtenWhole } from './written-whole';
import { rebuildProjection } from './rebuild';
import { projectionStatus } from './status';
import { verifyProjection } from './verify';

/** The service's default `DATA_DIR` (environment.ts), which the CLI reads from its own directory. */
const DEFAULT_DATA_DIR = './data';

/**
 * The token of a command: the option, the variable (ADMIN_TOKEN for the operations commands,
 * ACCESS_TOKEN for a workspace's), or the embedded default workspace's token in
 * DATA_DIR/access-token (which serves both). Without one, the error says every place looked and
 * what it found there.
 */
function tokenFrom(given: string | undefined, variable: 'ADMIN_TOKEN' | 'ACCESS_TOKEN'): string {
  if (given) return given;
  const fromVariable = process.env[variable];
  if (fromVariable) return fromVariable;
  const dataDir = process.env.DATA_DIR;
  const file = resolve(join(dataDir ?? DEFAULT_DATA_DIR, 'access-token'));
  const where =
    dataDir === undefined
      ? `(DATA_DIR is unset: its default ${DEFAULT_DATA_DIR})`
      : '(DATA_DIR/access-token)';
  let found: string;
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
    found = `${file} is empty ${where}`;
  } catch (error) {
    found =
      (error as { code?: unknown }).code === 'ENOENT'
        ? `there is no ${file} ${where}`
        : `${file} cannot be read ${where}: ${error instanceof Error ? error.message : String(error)}`;
  }
  throw new Error(
    `No token: no --token, ${variable} is ${fromVariable === undefined ? 'unset' : 'empty'}, and ${found}. ` +
      `Pass --token, set ${variable}, or set DATA_DIR to the service's data directory.`,
  );
}

const program = new Command('contacts-cli').description(
  'Operations on a running contact lifecycle service (through its /admin routes), and its history for analysts (through a workspace token)',
);

/** A command on the service: where it runs and the token it takes. */
const serviceCommand = (name: string, token: 'operations' | 'workspace' = 'operations') =>
  program
    .command(name)
    .option('--url <url>', 'the service', `http://localhost:${process.env.PORT ?? '3000'}`)
    .option(
      '--token <token>',
      token === 'operations'
        ? 'an operations token (default: ADMIN_TOKEN, or DATA_DIR/access-token)'
        : "the workspace's access token (default: ACCESS_TOKEN, or DATA_DIR/access-token)",
    );

serviceCommand('rebuild')
  .description('Rebuild a projection blue/green and follow it to the switch, with a progress bar')
  .argument('<name>', 'the projection (GET /admin/projections lists them)')
  .action(async (name: string, options: { url: string; token?: string }) => {
    const build = await rebuildProjection({
      url: options.url,
      token: tokenFrom(options.token, 'ADMIN_TOKEN'),
      name,
      output: process.stderr,
    });
    process.stdout.write(`${name} now serves ${build}\n`);
  });

serviceCommand('status')
  .description(
    "The projections' states, how far each is behind the log, and any rebuild; exits 1 when one failed",
  )
  .action(async (options: { url: string; token?: string }) => {
    const report = await projectionStatus({
      url: options.url,
      token: tokenFrom(options.token, 'ADMIN_TOKEN'),
    });
    process.stdout.write(`${report.text}\n`);
    if (!report.healthy) process.exitCode = 1;
  });

serviceCommand('verify')
  .description(
    'Rebuild a projection from position 0 into scratch tables and compare it with the live one; exits 1 on a difference',
  )
  .argument('<name>', 'the projection (GET /admin/projections lists them)')
  .action(async (name: string, options: { url: string; token?: string }) => {
    const report = await verifyProjection({
      url: options.url,
      token: tokenFrom(options.token, 'ADMIN_TOKEN'),
      name,
      output: process.stderr,
    });
    process.stdout.write(`${report.text}\n`);
    if (!report.identical) process.exitCode = 1;
  });

interface ExportCommandOptions {
  readonly url: string;
  readonly token?: string;
  readonly from?: string;
  readonly to?: string;
  readonly type?: string;
  readonly afterPosition?: string;
  readonly toPosition?: string;
  readonly format: ExportFormat;
  readonly out?: string;
}

serviceCommand('export', 'workspace')
  .description(
    "Stream the workspace's events (GET /export/events) to stdout or a file, as NDJSON or CSV",
  )
  .option('--from <unix seconds>', 'events at or after this event time')
  .option('--to <unix seconds>', 'events at or before this event time')
  .option('--type <types>', 'event types, comma-separated')
  .option('--after-position <position>', 'events after this log position')
  .option('--to-position <position>', 'events up to this log position')
  .addOption(
    new Option('--format <format>', 'ndjson, or csv (data and metadata as JSON text)')
      .choices(['ndjson', 'csv'])
      .default('ndjson'),
  )
  .option('--out <file>', 'the file to write (written whole, or not at all), instead of stdout')
  .action(async (options: ExportCommandOptions) => {
    const query = {
      from: options.from,
      to: options.to,
      type: options.type,
      after_position: options.afterPosition,
      to_position: options.toPosition,
    };
    const service = { url: options.url, token: tokenFrom(options.token, 'ACCESS_TOKEN') };
    if (options.out === undefined) {
      // A reader that has had enough (`| head`) closes the pipe: that ends the export, quietly.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        process.exit(0);
      });
      await exportEvents({ ...service, query, format: options.format, output: process.stdout });
      return;
    }
    const count = await writtenWhole(options.out, (output) =>
      exportEvents({ ...service, query, format: options.format, output }),
    );
    process.stderr.write(`${count} events written to ${options.out}\n`);
  });

interface ReplayCommandOptions {
  readonly url: string;
  readonly token?: string;
  readonly until: string;
  readonly out: string;
  readonly force?: boolean;
}

serviceCommand('replay', 'workspace')
  .description(
    "Build every read model, as of a point of the workspace's history, into a fresh SQLite file (from GET /export/events)",
  )
  .requiredOption(
    '--until <point>',
    'unix seconds (events up to that event time), or position:<log position>',
  )
  .requiredOption('--out <file>', 'the SQLite file to create')
  .option('--force', 'replace --out if it exists')
  .action(async (options: ReplayCommandOptions) => {
    // Loaded when asked: the projections and their stores are no part of the other commands.
    const { replayInto, replayPointOf } = await import('./replay');
    const replayed = await replayInto({
      url: options.url,
      token: tokenFrom(options.token, 'ACCESS_TOKEN'),
      until: replayPointOf(options.until, Math.floor(Date.now() / 1000)),
      out: options.out,
      force: options.force === true,
      progress: process.stderr,
    });
    process.stderr.write(
      `${replayed.events} events replayed into ${options.out}` +
        (replayed.position === undefined ? '\n' : ` (up to position ${replayed.position})\n`),
    );
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
