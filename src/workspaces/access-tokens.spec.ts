import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessTokens, DEFAULT_WORKSPACE_ID } from './access-tokens';

describe('AccessTokens', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tokens-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('parses workspace:token pairs, a workspace possibly holding several tokens', () => {
    const tokens = AccessTokens.parse('acme:token-one-1,acme:token-two-2,globex:token-three');
    expect(tokens.workspaceOf('token-two-2')).toBe('acme');
    expect(tokens.workspaceOf('token-three')).toBe('globex');
    expect(tokens.workspaceOf('token-four')).toBeUndefined();
  });

  it('generates the default workspace token once, private to the owner, and keeps it', () => {
    const generated: string[] = [];
    const first = AccessTokens.defaultWorkspace(dataDir, (token) => generated.push(token));
    const again = AccessTokens.defaultWorkspace(dataDir, (token) => generated.push(token));
    expect(generated).toHaveLength(1);
    expect(first.workspaceOf(generated[0]!)).toBe(DEFAULT_WORKSPACE_ID);
    expect(again.workspaceOf(generated[0]!)).toBe(DEFAULT_WORKSPACE_ID);
    const file = join(dataDir, 'access-token');
    expect(readFileSync(file, 'utf8').trim()).toBe(generated[0]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['an empty file', ''],
    ['a token shorter than 8 characters', 'abc\n'],
    ['a token with a space', 'two words here\n'],
  ])('refuses to start on %s, naming the file', (_label, content) => {
    writeFileSync(join(dataDir, 'access-token'), content);
    expect(() => AccessTokens.defaultWorkspace(dataDir, () => undefined)).toThrow(
      join(dataDir, 'access-token'),
    );
  });
});
