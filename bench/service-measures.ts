/**
 * What the benchmarks that run the service in a child process share: its CPU time, waiting for
 * its projections, and the options that make it write a CPU profile.
 */
import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Waits until every projection is live and has applied the whole log. */
export async function projectionsCaughtUp(baseUrl: string, token: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${baseUrl}/admin/projections`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as {
      data: Array<{ state: string; lag_positions: string }>;
    };
    if (
      body.data.every(
        (projection) => projection.state === 'live' && projection.lag_positions === '0',
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** BENCH_CPU_PROF=<dir>: the service writes a CPU profile there when it exits. */
export const cpuProfileOptions = (): string[] =>
  process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
