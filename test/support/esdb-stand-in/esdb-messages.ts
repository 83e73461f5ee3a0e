import { randomUUID } from 'node:crypto';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import {
  AppendReq,
  AppendResp,
  DeleteReq,
  ReadReq,
  ReadResp,
} from '@eventstore/db-client/generated/streams_pb';
import type {
  EventMetadata,
  ExpectedRevision,
  NewEvent,
  RecordedEvent,
  StreamMetadata,
} from '../../../src/shared/event-store/event-store.port';

/**
 * Conversions between EventStoreDB's gRPC messages and the port's types. The embedded store's
 * position `p` is served as ESDB position `{commit: p, prepare: p}`.
 */

/** .NET ticks (100 ns) since the Unix epoch, as the client expects in the `created` metadata entry. */
const TICKS_PER_MILLISECOND = 10_000n;

export function streamNameOf(identifier: StreamIdentifier | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
}

export function streamIdentifier(streamId: string): StreamIdentifier {
  return new StreamIdentifier().setStreamName(Buffer.from(streamId, 'utf8'));
}

export function expectedRevisionOf(
  options: AppendReq.Options | DeleteReq.Options,
): ExpectedRevision {
  if (options.hasRevision()) return BigInt(options.getRevision());
  if (options.hasNoStream()) return 'no_stream';
  if (options.hasStreamExists()) return 'stream_exists';
  return 'any';
}

function parseJson(bytes: Uint8Array): unknown {
  return bytes.length === 0 ? {} : JSON.parse(Buffer.from(bytes).toString('utf8'));
}

function uuidString(uuid: UUID | undefined): string {
  if (!uuid?.hasString()) throw new Error('The stand-in only accepts string UUIDs');
  return uuid.getString();
}

export function toNewEvent(message: AppendReq.ProposedMessage): NewEvent {
  const contentType = message.getMetadataMap().get('content-type');
  if (contentType !== 'application/json')
    throw new Error(`Unsupported content type ${contentType}`);
  return {
    id: uuidString(message.getId()),
    type: message.getMetadataMap().get('type') ?? '',
    data: parseJson(message.getData_asU8()) as NewEvent['data'],
    metadata: parseJson(message.getCustomMetadata_asU8()) as EventMetadata,
  };
}

function recordedEventMessage(event: {
  readonly id: string;
  readonly streamId: string;
  readonly type: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly recordedAt: Date;
  readonly data: unknown;
  readonly metadata: unknown;
}): ReadResp.ReadEvent {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(new UUID().setString(event.id))
    .setStreamIdentifier(streamIdentifier(event.streamId))
    .setStreamRevision(event.revision.toString())
    .setCommitPosition(event.position.toString())
    .setPreparePosition(event.position.toString())
    .setData(Buffer.from(JSON.stringify(event.data), 'utf8'))
    .setCustomMetadata(Buffer.from(JSON.stringify(event.metadata), 'utf8'));
  recorded
    .getMetadataMap()
    .set('type', event.type)
    .set('content-type', 'application/json')
    .set('created', (BigInt(event.recordedAt.getTime()) * TICKS_PER_MILLISECOND).toString());
  return new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(event.position.toString());
}

export function eventResponse(event: RecordedEvent): ReadResp {
  return new ReadResp().setEvent(recordedEventMessage(event));
}

/** A metastream read answers with one `$metadata` event in ESDB's own key spelling. */
export function metadataEventResponse(metastream: string, metadata: StreamMetadata): ReadResp {
  const { maxAge, maxCount, truncateBefore, ...custom } = metadata;
  const data = {
    ...custom,
    ...(maxAge === undefined ? {} : { $maxAge: maxAge }),
    ...(maxCount === undefined ? {} : { $maxCount: maxCount }),
    ...(truncateBefore === undefined ? {} : { $tb: Number(truncateBefore) }),
  };
  return new ReadResp().setEvent(
    recordedEventMessage({
      id: randomUUID(),
      streamId: metastream,
      type: '$metadata',
      revision: 0n,
      position: 0n,
      recordedAt: new Date(),
      data,
      metadata: {},
    }),
  );
}

/** What the client writes to `$$<stream>` (`$maxAge`, `$maxCount`, `$tb`) in the port's spelling. */
export function toStreamMetadata(data: NewEvent['data']): StreamMetadata {
  const { $maxAge, $maxCount, $tb, ...custom } = data;
  return {
    ...custom,
    ...(typeof $maxAge === 'number' ? { maxAge: $maxAge } : {}),
    ...(typeof $maxCount === 'number' ? { maxCount: $maxCount } : {}),
    ...(typeof $tb === 'number' ? { truncateBefore: BigInt($tb) } : {}),
  };
}

export function checkpointResponse(position: bigint): ReadResp {
  return new ReadResp().setCheckpoint(
    new ReadResp.Checkpoint()
      .setCommitPosition(position.toString())
      .setPreparePosition(position.toString()),
  );
}

export function confirmationResponse(): ReadResp {
  return new ReadResp().setConfirmation(
    new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID()),
  );
}

export function caughtUpResponse(): ReadResp {
  return new ReadResp().setCaughtUp(new ReadResp.CaughtUp());
}

export function appendSuccess(
  nextExpectedRevision: bigint,
  position: bigint | undefined,
): AppendResp {
  const success = new AppendResp.Success().setCurrentRevision(nextExpectedRevision.toString());
  if (position === undefined) success.setNoPosition(new Empty());
  else {
    success.setPosition(
      new AppendResp.Position()
        .setCommitPosition(position.toString())
        .setPreparePosition(position.toString()),
    );
  }
  return new AppendResp().setSuccess(success);
}

export function appendWrongExpectedVersion(
  expected: ExpectedRevision,
  actual: bigint | 'no_stream',
): AppendResp {
  const wrong = new AppendResp.WrongExpectedVersion();
  if (actual === 'no_stream') wrong.setCurrentNoStream(new Empty());
  else wrong.setCurrentRevision(actual.toString());
  if (expected === 'any') wrong.setExpectedAny(new Empty());
  else if (expected === 'no_stream') wrong.setExpectedNoStream(new Empty());
  else if (expected === 'stream_exists') wrong.setExpectedStreamExists(new Empty());
  else wrong.setExpectedRevision(expected.toString());
  return new AppendResp().setWrongExpectedVersion(wrong);
}

/** ESDB's numeric spelling of expected versions in error metadata. */
export function expectedVersionNumber(expected: ExpectedRevision): bigint {
  if (expected === 'any') return -2n;
  if (expected === 'no_stream') return -1n;
  if (expected === 'stream_exists') return -4n;
  return expected;
}

/** `$all` start of a read or subscription as an exclusive position of the embedded store. */
export type AllStart =
  | { readonly kind: 'start' }
  | { readonly kind: 'end' }
  | { readonly kind: 'position'; readonly position: bigint };

export function allStartOf(options: ReadReq.Options.AllOptions): AllStart {
  const position = options.getPosition();
  if (options.hasPosition() && position)
    return { kind: 'position', position: BigInt(position.getCommitPosition()) };
  if (options.hasEnd()) return { kind: 'end' };
  return { kind: 'start' };
}

/** The subscription/read filter as a predicate (prefixes or regex, on stream name or event type). */
export function compileFilter(
  options: ReadReq.Options,
): (event: { readonly streamId: string; readonly type: string }) => boolean {
  const filter = options.getFilter();
  if (!options.hasFilter() || !filter) return () => true;
  const onStream = filter.hasStreamIdentifier();
  const expression = onStream ? filter.getStreamIdentifier() : filter.getEventType();
  const prefixes = expression?.getPrefixList() ?? [];
  const regex = expression?.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  return (event) => {
    const subject = onStream ? event.streamId : event.type;
    if (prefixes.length > 0 && !prefixes.some((prefix) => subject.startsWith(prefix))) return false;
    return regex === undefined || regex.test(subject);
  };
}
