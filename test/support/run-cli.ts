import { execFile } from 'node:child_process';
import { join } from 'node:path';

/**
 * The CLI run from its sources (`src/cli/main.ts` through ts-node), as `npm run cli` runs it built;
 * asynchronously, so that a service in this process goes on answering it.
 */
export function runCli(
  args: readonly string[],
  options: { readonly env: Readonly<Record<string, string>>; readonly cwd: string },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  // The caller's own tokens and data directory are not the test's.
  for (const name of ['ADMIN_TOKEN', 'ACCESS_TOKEN', 'DATA_DIR'])
    if (!(name in options.env)) delete env[name];
  const command = [
    require.resolve('ts-node/dist/bin'),
    '--transpile-only',
    '--project',
    join(__dirname, '../../tsconfig.json'),
    join(__dirname, '../../src/cli/main.ts'),
    ...args,
  ];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      command,
      { cwd: options.cwd, env, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve({ status: error ? (typeof code === 'number' ? code : null) : 0, stdout, stderr });
      },
    );
  });
}
