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

/** The export stopped before its end; `lastPosition` is that of the last whole line read. */
export class ExportBrokeOff extends Error {
  constructor(
    url: string,
    readonly lastPosition: string | undefined,
  ) {
    super(
      `The export from ${url} broke off ` +
        (lastPosition === undefined ? 'before its first event' : `after position ${lastPosition}`) +
        ': the connection closed before its end (the service stopped, or the network failed)',
    );
  }
}

/** Every line of the export begins with its event's position (see `ExportedEvent`). */
const positionOf = (line: string): string | undefined => /^\{"position":"(\d+)"/.exec(line)?.[1];

/**
 * The body's lines, without their line feeds. Every line of the export ends with one: a body that
 * stops mid-line, or whose connection breaks, is an export broken off, not a short one.
 */
async function* linesOf(
  body: AsyncIterable<Uint8Array>,
  url: string,
): AsyncGenerator<string, void, undefined> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lastPosition: string | undefined;
  try {
    for await (const chunk of body) {
      const text = rest + decoder.write(Buffer.from(chunk));
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        const line = text.slice(start, end);
        lastPosition = positionOf(line) ?? lastPosition;
        yield line;
        start = end + 1;
      }
      rest = text.slice(start);
    }
  } catch {
    // undici says only "terminated": what happened is said here.
    throw new ExportBrokeOff(url, lastPosition);
  }
  if (rest + decoder.end() !== '') throw new ExportBrokeOff(url, lastPosition);
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
 * Text is handed to the output in pieces this large: a write (and a wait for `drain`) per line of
 * a file let the response pile up unread, which the stream then took apart at quadratic cost.
 */
const WRITE_BYTES = 64 * 1024;

/**
 * Streams the export to `output` as NDJSON (as sent) or CSV (a header, then a record per event),
 * writing no faster than `output` takes it. Resolves with the number of events written. An export
 * that breaks off has written every line read before it broke, which its error names.
 */
export async function exportEvents(
  options: ServiceOptions & {
    readonly query: ExportQuery;
    readonly format: ExportFormat;
    readonly output: Writable;
  },
): Promise<number> {
  const { lines } = await openExport(options, options.query);
  let pending = options.format === 'csv' ? `${CSV_COLUMNS.join(',')}\r\n` : '';
  const flush = async (): Promise<void> => {
    const text = pending;
    pending = '';
    if (text !== '' && !options.output.write(text)) await once(options.output, 'drain');
  };
  let count = 0;
  try {
    for await (const line of lines) {
      pending +=
        options.format === 'csv'
          ? `${csvRecordOf(JSON.parse(line) as ExportedEvent)}\r\n`
          : `${line}\n`;
      count += 1;
      if (pending.length >= WRITE_BYTES) await flush();
    }
  } catch (error) {
    if (error instanceof ExportBrokeOff && error.lastPosition !== undefined) {
      await flush();
      error.message += `. \`--after-position ${error.lastPosition}\` goes on from there`;
    }
    throw error;
  }
  await flush();
  return count;
}
