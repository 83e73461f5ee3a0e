import { HttpProblem } from '../../shared/http/intercom-error';
import { exportSelectionOf, isSelected } from './export-query';

const fieldOf = (query: Record<string, string | string[]>): string | undefined => {
  try {
    exportSelectionOf(query);
    return undefined;
  } catch (error) {
    return (error as HttpProblem).errors[0]?.field;
  }
};

describe('the export query', () => {
  it('reads event times, positions and a comma-separated list of types', () => {
    expect(
      exportSelectionOf({
        from: '10',
        to: '20',
        after_position: '340282366920938463463374607431768211454',
        to_position: '7',
        type: 'UserCreated,LeadCreated,UserCreated',
      }),
    ).toEqual({
      from: 10,
      to: 20,
      afterPosition: 340282366920938463463374607431768211454n,
      toPosition: 7n,
      types: ['UserCreated', 'LeadCreated'],
    });
    expect(exportSelectionOf({})).toEqual({});
  });

  it.each([
    [{ from: '-1' }, 'from'],
    [{ from: '1e3' }, 'from'],
    [{ to: '1234567890123' }, 'to'],
    [{ from: '5', to: '4' }, 'to'],
    [{ after_position: '340282366920938463463374607431768211456' }, 'after_position'],
    [{ to_position: ' 1' }, 'to_position'],
    [{ type: 'UserCreated,' }, 'type'],
    [{ type: ['UserCreated', 'LeadCreated'] }, 'type'],
    [{ type: 'IdentityReserved' }, 'type'],
  ])('refuses %p naming %s', (query, field) => {
    expect(fieldOf(query)).toBe(field);
  });

  it('selects by the event time second, both ends included, and by position after and up to', () => {
    const selection = exportSelectionOf({
      from: '10',
      to: '20',
      after_position: '1',
      to_position: '3',
    });
    const event = (occurredAt: number, position: bigint) => ({
      type: 'UserCreated',
      occurredAt,
      position,
    });
    expect(isSelected(selection, event(10_000, 2n))).toBe(true);
    expect(isSelected(selection, event(20_999, 3n))).toBe(true);
    expect(isSelected(selection, event(9_999, 2n))).toBe(false);
    expect(isSelected(selection, event(21_000, 2n))).toBe(false);
    expect(isSelected(selection, event(15_000, 1n))).toBe(false);
    expect(isSelected(selection, event(15_000, 4n))).toBe(false);
  });
});
