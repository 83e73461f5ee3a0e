/**
 * A decider: the pure heart of an event-sourced aggregate. The shell loads the stream, folds it
 * with `evolve` from `initialState()`, calls `decide`, and appends what it returns. `decide`
 * refuses a command by throwing a typed domain error; an empty array means "nothing to record"
 * (an idempotent retry or a no-op), which the shell must not treat as a failure.
 */
export interface Decider<Command, Event, State> {
  readonly initialState: () => State;
  readonly evolve: (state: State, event: Event) => State;
  readonly decide: (command: Command, state: State) => readonly Event[];
}
