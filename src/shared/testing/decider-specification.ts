import type { Decider } from '../decider';

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/**
 * Given/when/then for a decider: `given` past events, `when` a command, `then` the new events
 * (or `thenNothing`, or `thenThrows` a typed error).
 */
export const deciderSpecification =
  <Command, Event, State>(decider: Decider<Command, Event, State>) =>
  (given: readonly Event[]) => ({
    when: (command: Command) => {
      const run = (): readonly Event[] =>
        decider.decide(command, given.reduce(decider.evolve, decider.initialState()));
      return {
        then: (expected: readonly Event[]): void => {
          expect(run()).toEqual(expected);
        },
        thenNothing: (): void => {
          expect(run()).toEqual([]);
        },
        thenThrows: <E extends Error>(errorClass: ErrorClass<E>, expected?: Partial<E>): void => {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(errorClass);
          if (expected) expect(thrown).toMatchObject(expected);
        },
      };
    },
  });
