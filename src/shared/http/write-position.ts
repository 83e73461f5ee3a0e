import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, onSendAsyncHookHandler } from 'fastify';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port';
import type { ApiRouteConfig } from './route-config';

/**
 * `X-Position` on the successful answers of write routes (route config `reportsPosition`): the
 * log's head once the write is stored, so at or past its last event. Sent back as
 * `X-Min-Position`, it makes a read wait until the read models reflect the write (ingestion does
 * not wait for them itself). The `503` that says a change was stored carries the change's own
 * position (`ReadYourWrites`); other failures carry none, since they may have stored nothing.
 */
@Injectable()
export class WritePositionHeader {
  constructor(
    adapterHost: HttpAdapterHost,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {
    // As `serveDirectly`: once the application has its adapter, before Nest registers routes.
    adapterHost.init$.subscribe(() => this.register(adapterHost.httpAdapter));
  }

  private register(adapter: HttpAdapterHost['httpAdapter']): void {
    if (adapter.getType() !== 'fastify') return;
    const addPosition: onSendAsyncHookHandler = async (_request, reply, payload) => {
      if (reply.statusCode < 300) {
        const position = await this.headPosition();
        if (position !== undefined) void reply.header('X-Position', String(position));
      }
      return payload;
    };
    // On the write routes only: the reads, the hottest among them, pay nothing for it.
    adapter.getInstance<FastifyInstance>().addHook('onRoute', (route) => {
      const config: ApiRouteConfig | undefined = route.config;
      if (config?.reportsPosition !== true) return;
      const own = route.onSend === undefined ? [] : [route.onSend].flat();
      route.onSend = [...own, addPosition];
    });
  }

  /** Undefined when the store cannot say: the answer goes without the header. */
  private async headPosition(): Promise<bigint | undefined> {
    try {
      return await this.store.headPosition();
    } catch {
      return undefined;
    }
  }
}
