import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirectoryUnusable } from '../infrastructure/data-dir';
import { StartFailure } from '../shared/start-failure';
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
    const loading = () => AccessTokens.defaultWorkspace(dataDir, () => undefined);
    expect(loading).toThrow(join(dataDir, 'access-token'));
    // Said by main in one line, without a stack trace.
    expect(loading).toThrow(StartFailure);
  });

  it('names DATA_DIR and the reason when the token cannot be kept there', () => {
    // A file where the directory should be: it can be neither created nor written in.
    const file = join(dataDir, 'a-file');
    writeFileSync(file, '');
    const underFile = join(file, 'data');
    const generated: string[] = [];
    const loading = () =>
      AccessTokens.defaultWorkspace(underFile, (token) => generated.push(token));
    expect(loading).toThrow(DataDirectoryUnusable);
    expect(loading).toThrow(`DATA_DIR ${underFile}: cannot open the access-token file there (`);
    expect(loading).toThrow('ENOTDIR');
    expect(generated).toEqual([]);
  });
});
