import * as grpc from '@grpc/grpc-js';
import type { IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb';
import {
  AppendReq,
  DeleteReq,
  DeleteResp,
  ReadReq,
  ReadResp,
} from '@eventstore/db-client/generated/streams_pb';
import {
  EventStoreUnavailable,
  WrongExpectedRevision,
} from '../../../src/shared/event-store/event-store.errors';
import type {
  EventStore,
  NewEvent,
  RecordedEvent,
} from '../../../src/shared/event-store/event-store.port';
import {
  allStartOf,
  appendSuccess,
  appendWrongExpectedVersion,
  caughtUpResponse,
  checkpointResponse,
  compileFilter,
  confirmationResponse,
  eventResponse,
  expectedRevisionOf,
  expectedVersionNumber,
  metadataEventResponse,
  streamIdentifier,
  streamNameOf,
  toNewEvent,
  toStreamMetadata,
} from './esdb-messages';

type ReadCall = grpc.ServerWritableStream<ReadReq, ReadResp>;

/** ESDB sends a filtered subscription checkpoint every `32 × multiplier` events it skips. */
const CHECKPOINT_WINDOW = 32;

/** Live subscription calls, so a test can drop them as a failing server would. */
export interface LiveSubscriptions {
  /** Ends every live subscription call with UNAVAILABLE; returns how many there were. */
  dropAll(): number;
  count(): number;
}

/** What clients have read of `$all` (subscriptions aside), to measure how much a caller rescans. */
export interface AllReads {
  /** Events sent by `$all` reads, either direction, since the service started. */
  eventsSent(): number;
}

function serviceError(
  code: grpc.status,
  details: string,
  metadata = new grpc.Metadata(),
): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata });
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';
}

function toServiceError(error: unknown): grpc.ServiceError {
  if (isServiceError(error)) return error;
  const details = error instanceof Error ? error.message : String(error);
  return serviceError(
    error instanceof EventStoreUnavailable ? grpc.status.UNAVAILABLE : grpc.status.UNKNOWN,
    details,
  );
}

/** Writes with backpressure; resolves early if the call goes away. */
async function send(call: ReadCall, message: ReadResp): Promise<void> {
  if (call.write(message)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('close', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('close', done);
    call.on('cancelled', done);
  });
}

/**
 * The Streams service (Read, Append, Delete) of EventStoreDB's gRPC protocol on top of any
 * `EventStore`. Metastreams `$$<stream>` map to the port's stream metadata. Not served:
 * Tombstone and BatchAppend (the client falls back to Append when ServerFeatures is absent).
 */
export function createStreamsService(store: EventStore): {
  service: IStreamsServer;
  live: LiveSubscriptions;
  allReads: AllReads;
} {
  const liveCalls = new Map<ReadCall, () => void>();
  let allReadEventsSent = 0;
  const metastreamRevisions = new Map<string, bigint>();

  async function readStream(
    call: ReadCall,
    options: ReadReq.Options,
    streamOptions: ReadReq.Options.StreamOptions,
  ) {
    const streamId = streamNameOf(streamOptions.getStreamIdentifier());
    const notFound = new ReadResp().setStreamNotFound(
      new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(streamId)),
    );
    if (streamId.startsWith('$$')) {
      const metadata = await store.getStreamMetadata(streamId.slice(2));
      await send(
        call,
        Object.keys(metadata).length === 0 ? notFound : metadataEventResponse(streamId, metadata),
      );
      return;
    }
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    if (streamOptions.hasEnd() && !backwards) return;
    const fromRevision = streamOptions.hasRevision()
      ? BigInt(streamOptions.getRevision())
      : undefined;
    let sent = 0;
    for await (const event of store.readStream(streamId, {
      direction: backwards ? 'backwards' : 'forwards',
      ...(fromRevision === undefined ? {} : { fromRevision }),
      maxCount: Number(options.getCount()),
    })) {
      if (call.cancelled) return;
      await send(call, eventResponse(event));
      sent += 1;
    }
    if (sent === 0 && fromRevision === undefined) await send(call, notFound);
  }

  async function readAll(
    call: ReadCall,
    options: ReadReq.Options,
    allOptions: ReadReq.Options.AllOptions,
  ) {
    const start = allStartOf(allOptions);
    const accepts = compileFilter(options);
    const count = Number(options.getCount());
    if (options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS) {
      // Backwards from a position is exclusive of it; the embedded store only reads forwards.
      const before = start.kind === 'position' ? start.position : undefined;
      const window: RecordedEvent[] = [];
      for await (const event of store.readAll()) {
        if (before !== undefined && event.position >= before) break;
        if (!accepts(event)) continue;
        window.push(event);
        if (window.length > count) window.shift();
      }
      for (const event of window.reverse()) {
        await send(call, eventResponse(event));
        allReadEventsSent += 1;
      }
      return;
    }
    if (start.kind === 'end') return;
    // Forwards from a position is inclusive of it; the embedded store is exclusive.
    const fromPosition =
      start.kind === 'position' && start.position > 0n ? start.position - 1n : undefined;
    let sent = 0;
    for await (const event of store.readAll(fromPosition === undefined ? {} : { fromPosition })) {
      if (sent >= count || call.cancelled) return;
      if (!accepts(event)) continue;
      await send(call, eventResponse(event));
      sent += 1;
      allReadEventsSent += 1;
    }
  }

  async function subscribeToAll(
    call: ReadCall,
    options: ReadReq.Options,
    allOptions: ReadReq.Options.AllOptions,
  ) {
    const start = allStartOf(allOptions);
    const accepts = compileFilter(options);
    const checkpointEvery =
      CHECKPOINT_WINDOW * Math.max(1, options.getFilter()?.getCheckpointintervalmultiplier() ?? 1);
    const fromPosition =
      start.kind === 'position'
        ? start.position
        : start.kind === 'end'
          ? await store.headPosition()
          : undefined;
    const subscription = store.subscribeToAll(fromPosition === undefined ? {} : { fromPosition });
    const stop = (): void => void subscription.close();
    call.on('cancelled', stop);
    liveCalls.set(call, () => {
      stop();
      call.emit(
        'error',
        serviceError(grpc.status.UNAVAILABLE, 'The stand-in dropped the subscription'),
      );
    });
    try {
      await send(call, confirmationResponse());
      let skipped = 0;
      let lastScanned: bigint | undefined;
      for await (const message of subscription) {
        if (call.cancelled || !liveCalls.has(call)) return;
        if (message.kind === 'caughtUp') {
          if (lastScanned !== undefined) await send(call, checkpointResponse(lastScanned));
          await send(call, caughtUpResponse());
          continue;
        }
        lastScanned = message.event.position;
        if (accepts(message.event)) await send(call, eventResponse(message.event));
        else if (++skipped % checkpointEvery === 0)
          await send(call, checkpointResponse(lastScanned));
      }
    } finally {
      liveCalls.delete(call);
      call.off('cancelled', stop);
      await subscription.close();
    }
  }

  async function read(call: ReadCall): Promise<void> {
    const options = call.request.getOptions();
    const streamOptions = options?.getStream();
    const allOptions = options?.getAll();
    if (!options) throw serviceError(grpc.status.INVALID_ARGUMENT, 'Read without options');
    if (allOptions && options.hasSubscription()) return subscribeToAll(call, options, allOptions);
    if (options.hasSubscription())
      throw serviceError(grpc.status.UNIMPLEMENTED, 'Stream subscriptions are not served');
    if (streamOptions) return readStream(call, options, streamOptions);
    if (allOptions) return readAll(call, options, allOptions);
    throw serviceError(grpc.status.INVALID_ARGUMENT, 'Read of neither a stream nor $all');
  }

  async function append(options: AppendReq.Options, events: readonly NewEvent[]) {
    const streamId = streamNameOf(options.getStreamIdentifier());
    const expectedRevision = expectedRevisionOf(options);
    const last = events[events.length - 1];
    if (streamId.startsWith('$$') && last?.type === '$metadata') {
      await store.setStreamMetadata(streamId.slice(2), toStreamMetadata(last.data));
      const revision = (metastreamRevisions.get(streamId) ?? -1n) + 1n;
      metastreamRevisions.set(streamId, revision);
      return appendSuccess(revision, undefined);
    }
    try {
      const result = await store.append(streamId, events, { expectedRevision });
      return appendSuccess(result.nextExpectedRevision, result.position);
    } catch (error) {
      if (error instanceof WrongExpectedRevision)
        return appendWrongExpectedVersion(expectedRevision, error.actual);
      throw error;
    }
  }

  async function deleteStream(options: DeleteReq.Options): Promise<DeleteResp> {
    const streamId = streamNameOf(options.getStreamIdentifier());
    const expectedRevision = expectedRevisionOf(options);
    try {
      await store.deleteStream(streamId, { expectedRevision });
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision)) throw error;
      // ESDB reports a refused delete as an error whose metadata names the exception.
      const metadata = new grpc.Metadata();
      metadata.set('exception', 'wrong-expected-version');
      metadata.set('stream-name', streamId);
      metadata.set('expected-version', expectedVersionNumber(expectedRevision).toString());
      if (error.actual !== 'no_stream') metadata.set('actual-version', error.actual.toString());
      throw serviceError(grpc.status.FAILED_PRECONDITION, error.message, metadata);
    }
    const head = await store.headPosition();
    return new DeleteResp().setPosition(
      new DeleteResp.Position()
        .setCommitPosition(head.toString())
        .setPreparePosition(head.toString()),
    );
  }

  const service: IStreamsServer = {
    read(call) {
      read(call).then(
        () => {
          if (!call.cancelled && !call.writableEnded) call.end();
        },
        (error: unknown) => {
          if (!call.writableEnded) call.emit('error', toServiceError(error));
        },
      );
    },
    append(call, callback) {
      let options: AppendReq.Options | undefined;
      const events: NewEvent[] = [];
      let invalid: unknown;
      call.on('data', (request: AppendReq) => {
        const proposed = request.getProposedMessage();
        try {
          if (request.hasOptions()) options = request.getOptions();
          else if (proposed) events.push(toNewEvent(proposed));
        } catch (error) {
          invalid = error;
        }
      });
      call.on('end', () => {
        if (invalid !== undefined || !options) {
          const reason = invalid instanceof Error ? invalid.message : 'Append without options';
          callback(serviceError(grpc.status.INVALID_ARGUMENT, reason));
          return;
        }
        append(options, events).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error)),
        );
      });
    },
    delete(call, callback) {
      const options = call.request.getOptions();
      if (!options) {
        callback(serviceError(grpc.status.INVALID_ARGUMENT, 'Delete without options'));
        return;
      }
      deleteStream(options).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error)),
      );
    },
    tombstone(_call, callback) {
      callback(serviceError(grpc.status.UNIMPLEMENTED, 'Tombstone is not served by the stand-in'));
    },
    batchAppend(call) {
      call.emit(
        'error',
        serviceError(grpc.status.UNIMPLEMENTED, 'BatchAppend is not served by the stand-in'),
      );
    },
  };

  const live: LiveSubscriptions = {
    dropAll() {
      const drops = [...liveCalls.values()];
      liveCalls.clear();
      for (const drop of drops) drop();
      return drops.length;
    },
    count: () => liveCalls.size,
  };
  return { service, live, allReads: { eventsSent: () => allReadEventsSent } };
}
