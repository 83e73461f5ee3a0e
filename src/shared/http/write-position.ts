import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port';
import type { ApiRouteConfig } from './route-config';

/**
 * `X-Position` on the answers of write routes (route config `reportsPosition`): the log's head
 * once the write is stored, so at or past its last event. Sent back as `X-Min-Position`, it makes
 * a read wait until the read models reflect the write: what a client needs after a 503 that says
 * the change was stored, or after ingestion, which does not wait for the read models.
 */
@Injectable()
export class WritePositionHeader implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    adapter.getInstance<FastifyInstance>().addHook('onSend', async (request, reply, payload) => {
      if (reportsPosition(request) && (reply.statusCode < 300 || reply.statusCode === 503)) {
        const position = await this.headPosition();
        if (position !== undefined) void reply.header('X-Position', String(position));
      }
      return payload;
    });
  }

  /** Undefined when the store cannot say (a 503 may be that very outage): the answer goes as is. */
  private async headPosition(): Promise<bigint | undefined> {
    try {
      return await this.store.headPosition();
    } catch {
      return undefined;
    }
  }
}

const reportsPosition = (request: FastifyRequest): boolean =>
  (request.routeOptions.config as ApiRouteConfig | undefined)?.reportsPosition === true;
