import { replayPointOf, replayRateText } from './replay';

describe("replay's --until", () => {
  it('reads unix seconds as an event time, and position:<digits> as a log position', () => {
    expect(replayPointOf('1735689600', 1_800_000_000)).toEqual({
      kind: 'time',
      seconds: 1_735_689_600,
    });
    expect(replayPointOf('position:340282366920938463463374607431768211455', 0)).toEqual({
      kind: 'position',
      position: 340282366920938463463374607431768211455n,
    });
  });

  it.each(['yesterday', '-1', '1.5', 'position:', 'position:x', ''])('refuses %p', (text) => {
    expect(() => replayPointOf(text, 1_800_000_000)).toThrow(`--until ${text} is neither`);
  });

  it('refuses an instant still to come', () => {
    expect(() => replayPointOf('1800000001', 1_800_000_000)).toThrow(
      '--until 1800000001 is in the future',
    );
  });
});

describe("replay's progress", () => {
  it('shows events/s and the time left at the pace positions were passed', () => {
    expect(replayRateText({ events: 500, position: 1000n, elapsedMs: 2000 }, 4000)).toEqual({
      rate: ' | 250 events/s',
      time_left: ' | ETA 6s',
    });
  });

  it('shows neither before anything is measured', () => {
    expect(replayRateText({ events: 0, position: 0n, elapsedMs: 0 }, 4000)).toEqual({
      rate: '',
      time_left: '',
    });
  });
});
