import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { rebuildProjection } from './rebuild';
import { projectionStatus } from './status';
import { verifyProjection } from './verify';

/** The service's default `DATA_DIR` (environment.ts), which the CLI reads from its own directory. */
const DEFAULT_DATA_DIR = './data';

/**
 * The operations token: the option, ADMIN_TOKEN, or the embedded default workspace's token in
 * DATA_DIR/access-token. Without one, the error says every place looked and what it found there.
 */
function tokenFrom(given: string | undefined): string {
  if (given) return given;
  const adminToken = process.env.ADMIN_TOKEN;
  if (adminToken) return adminToken;
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
    `No token: no --token, ADMIN_TOKEN is ${adminToken === undefined ? 'unset' : 'empty'}, and ${found}. ` +
      "Pass --token, set ADMIN_TOKEN, or set DATA_DIR to the service's data directory.",
  );
}

const program = new Command('contacts-cli').description(
  'Operations on a running contact lifecycle service (through its /admin routes)',
);

/** A command on the service: where it runs and the token it takes. */
const serviceCommand = (name: string) =>
  program
    .command(name)
    .option('--url <url>', 'the service', `http://localhost:${process.env.PORT ?? '3000'}`)
    .option(
      '--token <token>',
      'an operations token (default: ADMIN_TOKEN, or DATA_DIR/access-token)',
    );

serviceCommand('rebuild')
  .description('Rebuild a projection blue/green and follow it to the switch, with a progress bar')
  .argument('<name>', 'the projection (GET /admin/projections lists them)')
  .action(async (name: string, options: { url: string; token?: string }) => {
    const build = await rebuildProjection({
      url: options.url,
      token: tokenFrom(options.token),
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
    const report = await projectionStatus({ url: options.url, token: tokenFrom(options.token) });
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
      token: tokenFrom(options.token),
      name,
      output: process.stderr,
    });
    process.stdout.write(`${report.text}\n`);
    if (!report.identical) process.exitCode = 1;
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
