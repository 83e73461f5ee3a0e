import { verificationReport, type VerificationJson } from './verify';

const identical: VerificationJson = {
  state: 'identical',
  target_events: '40',
  lag_events: '0',
  compared_at: '41',
  rows: 1204,
  tables: 3,
  difference: null,
  error: null,
};

describe('what the verify command prints', () => {
  it('counts the rows and tables found identical', () => {
    expect(verificationReport(identical)).toEqual({
      identical: true,
      text: 'identical: 1204 rows in 3 tables',
    });
    expect(verificationReport({ ...identical, rows: 1, tables: 1 }).text).toBe(
      'identical: 1 row in 1 table',
    );
  });

  it('names the first difference: table, key, column, live value vs rebuilt value', () => {
    const report = verificationReport({
      ...identical,
      state: 'different',
      rows: null,
      tables: null,
      difference: {
        table: 'contacts',
        key: { workspace_id: 'acme', id: 'c-1' },
        column: 'name',
        live: 'Mallory',
        rebuilt: null,
      },
    });
    expect(report).toEqual({
      identical: false,
      text: 'first difference: table contacts, key {"workspace_id":"acme","id":"c-1"}, column name: live "Mallory" vs rebuilt null',
    });
  });

  it('shows a row only one build has whole', () => {
    expect(
      verificationReport({
        ...identical,
        state: 'different',
        difference: {
          table: 'data_events',
          key: { workspace_id: 'acme', event_id: 'e-9' },
          column: null,
          live: null,
          rebuilt: { event_id: 'e-9', name: 'paid' },
        },
      }).text,
    ).toBe(
      'first difference: table data_events, key {"workspace_id":"acme","event_id":"e-9"}: a row only the rebuilt build has: {"event_id":"e-9","name":"paid"}',
    );
  });
});
