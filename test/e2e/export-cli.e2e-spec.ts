import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/run-cli';
import { ACME_TOKEN, startTestApp, type TestApp } from '../support/test-app';

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      index += 1;
    } else field += char;
  }
  return records;
}

/** history.md: `export --from --to [--type] --format ndjson|csv [--out file]`, with a workspace token. */
describe('the export CLI', () => {
  let service: TestApp;
  let workDir: string;
  let served: string[];
  beforeAll(async () => {
    service = await startTestApp();
    workDir = mkdtempSync(join(tmpdir(), 'export-cli-'));
    for (const [n, name] of ['Ada, "the first"', 'Grace\nHopper'].entries()) {
      const created = await service.request('/contacts', {
        method: 'POST',
        json: { external_id: `export-cli-${n}`, name },
      });
      expect(created.status).toBe(200);
    }
    served = (await (await service.request('/export/events')).text()).trimEnd().split('\n');
    expect(served).toHaveLength(2);
  });
  afterAll(async () => {
    await service.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("writes the workspace's events to stdout as NDJSON, with the token of ACCESS_TOKEN", async () => {
    const run = await runCli(['export', '--url', service.baseUrl, '--format', 'ndjson'], {
      env: { ACCESS_TOKEN: ACME_TOKEN },
      cwd: workDir,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toEqual(served);
  });

  it('writes CSV to a file: a header, then a record per event, data and metadata as JSON text', async () => {
    const out = join(workDir, 'events.csv');
    const run = await runCli(
      [
        'export',
        '--url',
        service.baseUrl,
        '--token',
        ACME_TOKEN,
        '--format',
        'csv',
        '--out',
        out,
        '--from',
        '0',
        '--to',
        String(Math.floor(Date.now() / 1000) + 60),
        '--type',
        'UserCreated',
      ],
      { env: {}, cwd: workDir },
    );
    expect(run.stderr).toBe(`2 events written to ${out}\n`);
    expect(run.status).toBe(0);
    const [header, ...records] = csvRecords(readFileSync(out, 'utf8'));
    expect(header).toEqual([
      'position',
      'id',
      'stream_id',
      'contact_id',
      'revision',
      'type',
      'occurred_at',
      'recorded_at',
      'data',
      'metadata',
    ]);
    const expected = served.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      records.map((record) =>
        Object.fromEntries(
          header!.map((column, index) => {
            const value = record[index]!;
            if (column === 'data' || column === 'metadata') return [column, JSON.parse(value)];
            if (/^(revision|occurred_at|recorded_at)$/.test(column)) return [column, Number(value)];
            return [column, value];
          }),
        ),
      ),
    ).toEqual(expected);
  });

  it('says why and exits 1 when the service refuses the token or the query, leaving no file', async () => {
    const out = join(workDir, 'refused.ndjson');
    const refusedToken = await runCli(
      ['export', '--url', service.baseUrl, '--token', 'not-a-token', '--out', out],
      { env: {}, cwd: workDir },
    );
    expect(refusedToken.status).toBe(1);
    expect(refusedToken.stderr).toBe(
      `The service at ${service.baseUrl} refused the token (401 unauthorized): Access Token Invalid\n`,
    );
    const refusedQuery = await runCli(['export', '--url', service.baseUrl, '--from', 'today'], {
      env: { ACCESS_TOKEN: ACME_TOKEN },
      cwd: workDir,
    });
    expect(refusedQuery.status).toBe(1);
    expect(refusedQuery.stderr).toMatch(
      /refused the export \(400 parameter_invalid\): from must be/,
    );
    expect(() => readFileSync(out)).toThrow();
    expect(() => readFileSync(`${out}.partial`)).toThrow();
  });

  it('takes the token of DATA_DIR/access-token without ACCESS_TOKEN', async () => {
    const dataDir = join(workDir, 'data');
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'access-token'), `${ACME_TOKEN}\n`);
    const run = await runCli(['export', '--url', service.baseUrl], {
      env: { DATA_DIR: dataDir },
      cwd: workDir,
    });
    expect(run.status).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toEqual(served);
  });
});
