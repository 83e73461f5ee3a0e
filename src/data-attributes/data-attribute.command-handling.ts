import {
  handleCommand,
  type CommandOutcome,
  type HandleCommandOptions,
} from '../shared/event-sourcing/handle-command';
import type { Clock } from '../shared/clock';
import type { EventStore } from '../shared/event-store/event-store.port';
import type { DataAttributeCommand } from './domain/data-attribute.commands';
import { dataAttributeDecider } from './domain/data-attribute.decider';
import type { DataAttributeEvent } from './domain/data-attribute.events';
import type { DataAttributesState } from './domain/data-attribute.state';
import { dataAttributesStream } from './domain/data-attribute.stream';

/** Runs a command against its workspace's definitions stream, at the clock's time. */
export const handleDataAttributeCommand = (
  store: EventStore,
  clock: Clock,
  workspaceId: string,
  command: (now: number) => DataAttributeCommand,
  prepare?: HandleCommandOptions<DataAttributeEvent, DataAttributesState>['prepare'],
): Promise<CommandOutcome<DataAttributeEvent, DataAttributesState>> => {
  const occurredAt = clock.now();
  return handleCommand<DataAttributeCommand, DataAttributeEvent, DataAttributesState>(
    store,
    dataAttributesStream(workspaceId),
    dataAttributeDecider,
    command(Math.floor(occurredAt / 1000)),
    { metadata: { workspaceId, occurredAt }, ...(prepare ? { prepare } : {}) },
  );
};
