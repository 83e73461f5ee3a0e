import { KeyedSequencer } from './keyed-sequencer';

const deferred = () => {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
};

describe('KeyedSequencer', () => {
  it('runs tasks of one key in submission order and tasks of other keys at once', async () => {
    const sequencer = new KeyedSequencer();
    const log: string[] = [];
    const gate = deferred();
    const first = sequencer.run(['a'], async () => {
      log.push('a1 start');
      await gate.promise;
      log.push('a1 end');
    });
    const second = sequencer.run(['a'], () => Promise.resolve(log.push('a2')));
    const other = sequencer.run(['b'], () => Promise.resolve(log.push('b1')));
    await other;
    expect(log).toEqual(['a1 start', 'b1']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
    expect(sequencer.size).toBe(0);
  });

  it('queues a task holding several keys behind the earlier tasks of each, without deadlock', async () => {
    const sequencer = new KeyedSequencer();
    const log: string[] = [];
    const gate = deferred();
    const blocker = sequencer.run(['b'], async () => {
      await gate.promise;
      log.push('b');
    });
    const both = sequencer.run(['a', 'b'], () => Promise.resolve(log.push('a+b')));
    const laterA = sequencer.run(['a'], () => Promise.resolve(log.push('a')));
    gate.resolve();
    await Promise.all([blocker, both, laterA]);
    expect(log).toEqual(['b', 'a+b', 'a']);
  });

  it('keeps going after a task fails', async () => {
    const sequencer = new KeyedSequencer();
    await expect(sequencer.run(['a'], () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    await expect(sequencer.run(['a'], () => Promise.resolve(1))).resolves.toBe(1);
    expect(sequencer.size).toBe(0);
  });

  it('tells whether a key is held from the moment its task is queued until it settles', async () => {
    const sequencer = new KeyedSequencer();
    const gate = deferred();
    expect(sequencer.isBusy('a')).toBe(false);
    const task = sequencer.run(['a', 'b'], () => gate.promise);
    expect([sequencer.isBusy('a'), sequencer.isBusy('b'), sequencer.isBusy('c')]).toEqual([
      true,
      true,
      false,
    ]);
    gate.resolve();
    await task;
    expect(sequencer.isBusy('a')).toBe(false);
  });
});
