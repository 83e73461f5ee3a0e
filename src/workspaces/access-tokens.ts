import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirectoryUnusable } from '../infrastructure/data-dir';
import { StartFailure } from '../shared/start-failure';

export const DEFAULT_WORKSPACE_ID = 'default';

/** Secret tokens and what each stands for, looked up in constant time per candidate. */
export class TokenTable<Value> {
  /** Each token's bytes, encoded once. */
  private readonly candidates: ReadonlyArray<readonly [Buffer, Value]>;

  constructor(entries: Iterable<readonly [string, Value]>) {
    this.candidates = [...entries].map(([token, value]) => [Buffer.from(token), value] as const);
  }

  /** What `token` stands for, or undefined. */
  lookup(token: string): Value | undefined {
    const offered = Buffer.from(token);
    for (const [expected, value] of this.candidates) {
      if (expected.length === offered.length && timingSafeEqual(expected, offered)) return value;
    }
    return undefined;
  }

  get values(): readonly Value[] {
    return this.candidates.map(([, value]) => value);
  }
}

/** Which workspace each access token belongs to. */
export class AccessTokens {
  private readonly table: TokenTable<string>;

  private constructor(workspaceByToken: ReadonlyMap<string, string>) {
    this.table = new TokenTable(workspaceByToken);
  }

  /** From `ACCESS_TOKENS` (`workspace:token,…`), already validated by the environment class. */
  static parse(pairs: string): AccessTokens {
    return new AccessTokens(
      new Map(
        pairs.split(',').map((pair) => {
          const separator = pair.indexOf(':');
          return [pair.slice(separator + 1), pair.slice(0, separator)] as const;
        }),
      ),
    );
  }

  /**
   * Without `ACCESS_TOKENS`: one `default` workspace whose token is generated on first start and
   * kept in `DATA_DIR`, so restarts keep working with the same token. `onGenerated` sees it once.
   * A `DATA_DIR` the token cannot be kept in, or a file holding no usable token, is a
   * `StartFailure` saying so.
   */
  static defaultWorkspace(dataDir: string, onGenerated: (token: string) => void): AccessTokens {
    const file = join(dataDir, 'access-token');
    let kept: { readonly token: string; readonly generated: boolean };
    try {
      kept = existsSync(file)
        ? { token: readFileSync(file, 'utf8').trim(), generated: false }
        : { token: generateInto(dataDir, file), generated: true };
    } catch (error) {
      throw new DataDirectoryUnusable(dataDir, 'the access-token file', error);
    }
    if (kept.generated) onGenerated(kept.token);
    if (!/^[^,:\s]{8,}$/.test(kept.token)) {
      throw new StartFailure(
        `${file} holds no usable token (at least 8 characters, no spaces, commas or colons): ` +
          'fix it, delete it to have a new one generated, or set ACCESS_TOKENS',
      );
    }
    return new AccessTokens(new Map([[kept.token, DEFAULT_WORKSPACE_ID]]));
  }

  /** The workspace of `token`, or undefined. Compares in constant time per candidate. */
  workspaceOf(token: string): string | undefined {
    return this.table.lookup(token);
  }

  /** How many workspaces the tokens open. */
  get workspaceCount(): number {
    return new Set(this.table.values).size;
  }
}

/** A new token, written to `file` whole or not at all: a crash mid-write leaves no empty token. */
function generateInto(dataDir: string, file: string): string {
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${token}\n`, { mode: 0o600 });
  renameSync(partial, file);
  return token;
}
