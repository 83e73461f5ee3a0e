import type { Decider } from '../decider';

/** A decider small enough to test the command shell with: a total that may not pass a limit. */
export type CounterEvent = { type: 'Incremented'; data: { by: number } };
export type CounterCommand = { type: 'Increment'; by: number; limit: number };

export const counter: Decider<CounterCommand, CounterEvent, number> = {
  initialState: () => 0,
  evolve: (total, event) => total + event.data.by,
  decide: (command, total) => {
    if (total + command.by > command.limit) throw new Error('over the limit');
    return command.by === 0 ? [] : [{ type: 'Incremented', data: { by: command.by } }];
  },
};

export const counterMetadata = { workspaceId: 'w', occurredAt: 0 };
