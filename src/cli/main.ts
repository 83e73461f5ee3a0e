import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rebuildProjection } from './rebuild';

/** The operations token: the option, ADMIN_TOKEN, or the embedded default workspace's token. */
function tokenFrom(given: string | undefined): string {
  if (given) return given;
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  const file = join(process.env.DATA_DIR ?? './data', 'access-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new Error('No token: pass --token, or set ADMIN_TOKEN');
}

const program = new Command('contacts-cli').description(
  'Operations on a running contact lifecycle service (through its /admin routes)',
);

program
  .command('rebuild')
  .description('Rebuild a projection blue/green and follow it to the switch, with a progress bar')
  .argument('<name>', 'the projection (GET /admin/projections lists them)')
  .option('--url <url>', 'the service', `http://localhost:${process.env.PORT ?? '3000'}`)
  .option('--token <token>', 'an operations token (default: ADMIN_TOKEN, or DATA_DIR/access-token)')
  .action(async (name: string, options: { url: string; token?: string }) => {
    const build = await rebuildProjection({
      url: options.url,
      token: tokenFrom(options.token),
      name,
      output: process.stderr,
    });
    process.stdout.write(`${name} now serves ${build}\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
