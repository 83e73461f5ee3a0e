import { InvalidEnvironment } from '../config/environment';
import { HttpProblem } from '../shared/http/intercom-error';
import { type AccessTokens, TokenTable } from './access-tokens';

/**
 * Who may use the operations routes (`/admin/...`), which act on every workspace's read models:
 * a token of `ADMIN_TOKENS`; without any, the workspace token of a service that has only one
 * workspace (its owner runs the service). A service of several workspaces with no `ADMIN_TOKENS`
 * has no administrator over HTTP: no tenant may rebuild or watch what all of them share.
 */
export class AdminAccess {
  private readonly adminTokens: TokenTable<true> | undefined;

  constructor(
    adminTokens: readonly string[] | undefined,
    private readonly workspaces: AccessTokens,
  ) {
    this.adminTokens =
      adminTokens === undefined
        ? undefined
        : new TokenTable(adminTokens.map((token) => [token, true] as const));
    const shared = adminTokens?.find((token) => workspaces.workspaceOf(token) !== undefined);
    if (shared !== undefined) {
      // Checked here rather than with the other variables: the default workspace's token is
      // generated in DATA_DIR.
      throw new InvalidEnvironment([
        'ADMIN_TOKENS: a token is also a workspace token (ACCESS_TOKENS or DATA_DIR/access-token)',
      ]);
    }
  }

  /** From `ADMIN_TOKENS` (comma-separated, already validated by the environment class). */
  static parse(adminTokens: string | undefined, workspaces: AccessTokens): AdminAccess {
    return new AdminAccess(adminTokens?.split(','), workspaces);
  }

  /** Whether the token is one of `ADMIN_TOKENS`. */
  isAdminToken(token: string): boolean {
    return this.adminTokens?.lookup(token) === true;
  }

  /** Throws 401 for a token nobody holds, 403 for a workspace token that may not administer. */
  authorize(token: string | undefined): void {
    if (token !== undefined && this.isAdminToken(token)) return;
    if (token === undefined || this.workspaces.workspaceOf(token) === undefined) {
      throw HttpProblem.of(401, 'unauthorized', 'Access Token Invalid');
    }
    if (this.adminTokens === undefined && this.workspaces.workspaceCount === 1) return;
    throw HttpProblem.of(
      403,
      'forbidden',
      this.adminTokens === undefined
        ? 'Operations routes act on every workspace: set ADMIN_TOKENS and use one of its tokens'
        : 'Operations routes need a token of ADMIN_TOKENS',
    );
  }
}
