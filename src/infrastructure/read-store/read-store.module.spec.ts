import { withoutCredentials } from './read-store.module';

describe('withoutCredentials', () => {
  it.each([
    ['postgres://app:secret@db.internal:6432/contacts', 'db.internal:6432/contacts'],
    ['postgres://app:secret@db.internal/contacts', 'db.internal:5432/contacts'],
    ['postgresql://localhost/test', 'localhost:5432/test'],
  ])('names %s as %s: server, port and database, no credentials', (url, named) => {
    expect(withoutCredentials(url)).toBe(named);
  });
});
