import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import type { Writable } from 'node:stream';
import type { ExportedEvent } from '../history/export/exported-event';
import { call, refusal, type ServiceOptions } from './service-api';

/** `GET /export/events`'s query parameters, as the service takes them (it checks them). */
export type ExportQuery = Readonly<
  Partial<Record<'from' | 'to' | 'after_position' | 'to_position' | 'type', string>>
>;

export interface OpenedExport {
  /** The last log position the export may reach (its `X-Position`). */
  readonly end: bigint | undefined;
  /** The export's lines, read as they are taken (the service sends as fast as they are). */
  readonly lines: AsyncGenerator<string, void, undefined>;
}

/** Starts `GET /export/events` with a workspace's token; rejects on a refusal, saying why. */
export async function openExport(
  options: ServiceOptions,
  query: ExportQuery,
): Promise<OpenedExport> {
  const response = await call(options, '/export/events', 'GET', definedOf(query));
  if (response.status !== 200 || response.body === null)
    throw await refusal(options, response, 'the export');
  const position = response.headers.get('x-position');
  return {
    end: position !== null && /^\d+$/.test(position) ? BigInt(position) : undefined,
    lines: linesOf(response.body, options.url),
  };
}

const definedOf = (query: ExportQuery): Record<string, string> =>
  Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));

/**
 * The body's lines, without their line feeds. Every line of the export ends with one: a body that
 * stops mid-line (the service or the connection gone) is an error, not a short export.
 */
async function* linesOf(
  body: AsyncIterable<Uint8Array>,
  url: string,
): AsyncGenerator<string, void, undefined> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of body) {
      const text = rest + decoder.write(Buffer.from(chunk));
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        yield text.slice(start, end);
        start = end + 1;
      }
      rest = text.slice(start);
    }
  } catch (error) {
    throw new Error(`The export from ${url} broke off: ${String(error)}`);
  }
  if (rest + decoder.end() !== '') throw new Error(`The export from ${url} broke off mid-line`);
}

export type ExportFormat = 'ndjson' | 'csv';

/** The CSV columns, in order: the NDJSON fields, `data` and `metadata` as JSON text. */
export const CSV_COLUMNS = [
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
] as const;

/** One export line as a CSV record (RFC 4180: a field with a comma, quote or line break quoted). */
export function csvRecordOf(line: ExportedEvent): string {
  return CSV_COLUMNS.map((column) => {
    const value = line[column];
    return csvField(
      value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value),
    );
  }).join(',');
}

const csvField = (text: string): string =>
  /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;

/**
 * Streams the export to `output` as NDJSON (as sent) or CSV (a header, then a record per event),
 * writing no faster than `output` takes it. Resolves with the number of events written.
 */
export async function exportEvents(
  options: ServiceOptions & {
    readonly query: ExportQuery;
    readonly format: ExportFormat;
    readonly output: Writable;
  },
): Promise<number> {
  const { lines } = await openExport(options, options.query);
  const write = async (text: string): Promise<void> => {
    if (!options.output.write(text)) await once(options.output, 'drain');
  };
  if (options.format === 'csv') await write(`${CSV_COLUMNS.join(',')}\r\n`);
  let count = 0;
  for await (const line of lines) {
    await write(
      options.format === 'csv'
        ? `${csvRecordOf(JSON.parse(line) as ExportedEvent)}\r\n`
        : `${line}\n`,
    );
    count += 1;
  }
  return count;
}
