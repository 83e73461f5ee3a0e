import { Environment, InvalidEnvironment, loadEnvironment } from './environment';

describe('loadEnvironment', () => {
  it('applies the documented defaults', () => {
    const environment = loadEnvironment({});
    expect(environment).toBeInstanceOf(Environment);
    expect(environment).toMatchObject({
      PORT: 3000,
      DATA_DIR: './data',
      LOG_LEVEL: 'info',
      SQLITE_SYNCHRONOUS: 'FULL',
    });
    expect(environment.EVENTSTORE_CONNECTION_STRING).toBeUndefined();
    expect(environment.DATABASE_URL).toBeUndefined();
  });

  it('reads valid values', () => {
    const environment = loadEnvironment({
      PORT: '8080',
      DATABASE_URL: 'postgres://127.0.0.1:5432/test',
      EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
      ACCESS_TOKENS: 'acme:secret-token-1,globex:secret-token-2',
    });
    expect(environment.PORT).toBe(8080);
    expect(environment.ACCESS_TOKENS).toBe('acme:secret-token-1,globex:secret-token-2');
    // A workspace may have several tokens (one per client, say).
    expect(loadEnvironment({ ACCESS_TOKENS: 'acme:token-one-1,acme:token-two-2' })).toBeDefined();
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['EVENTSTORE_CONNECTION_STRING', 'http://localhost:2113'],
    ['ACCESS_TOKENS', 'no-colon-here'],
    ['ADMIN_TOKENS', 'short'],
    ['ADMIN_TOKENS', 'admin:token-with-colon'],
    ['ADMIN_TOKENS', 'token-one-0001,,token-two-0002'],
    ['SQLITE_SYNCHRONOUS', 'SOMETIMES'],
    ['WORKSPACE_TIME_ZONES', 'acme:Mars/Olympus_Mons'],
    ['WORKSPACE_TIME_ZONES', 'acme'],
    ['WORKSPACE_TIME_ZONES', 'acme:Europe/Paris,acme:UTC'],
    ['ACCESS_TOKENS', 'acme:same-token-1,globex:same-token-1'],
    ['READ_YOUR_WRITES_TIMEOUT_MS', '0'],
    ['INGESTION_MAX_LAG_MS', '0'],
    // Not under READ_YOUR_WRITES_TIMEOUT_MS (5 s): writes would wait out their budget behind it.
    ['INGESTION_MAX_LAG_MS', '5000'],
    ['PORT', '0x50'],
    ['SEEN_THROTTLE', '1e2'],
    ['HOST', ' '],
  ])('refuses a bad %s and names it', (name, value) => {
    let error: unknown;
    try {
      loadEnvironment({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEnvironment);
    expect((error as InvalidEnvironment).problems).toHaveLength(1);
    expect((error as InvalidEnvironment).problems[0]).toMatch(new RegExp(`^${name}: `));
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '1.5'],
    ['READ_YOUR_WRITES_TIMEOUT_MS', 'soon'],
    ['REQUEST_TIMEOUT_MS', '10s'],
    ['SEEN_THROTTLE', '1e2'],
    ['INGESTION_MAX_LAG_EVENTS', 'many'],
    ['INGESTION_MAX_LAG_MS', '0x10'],
  ])('says a %s of %p is no integer, not also that it is out of range', (name, value) => {
    expect(() => loadEnvironment({ [name]: value })).toThrow(
      new InvalidEnvironment([`${name}: ${name} must be an integer number`]),
    );
  });

  it('says which bound a number out of range passes', () => {
    expect(() => loadEnvironment({ PORT: '-1' })).toThrow(
      new InvalidEnvironment(['PORT: PORT must not be less than 0']),
    );
  });
});
