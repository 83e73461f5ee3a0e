/** The running service's routes, as the CLI's commands call them. */

export interface ServiceOptions {
  /** The service's base URL. */
  readonly url: string;
  /** An operations token (ADMIN_TOKENS, or a one-workspace service's token), or a workspace's. */
  readonly token: string;
}

/** The fields of `GET /admin/projections` the CLI reads. */
export interface ProjectionJson {
  readonly name: string;
  readonly build: string | null;
  readonly state: string;
  readonly head_position: string;
  /** Absent from a service older than the field. */
  readonly head_events?: string;
  /** About how many events it has yet to apply (absent from a service older than the field). */
  readonly lag_events?: string;
  /** Age of the oldest event it has yet to apply, in seconds. */
  readonly lag_seconds?: number;
  /** The event it stopped at, when it failed on one. */
  readonly failure?: { readonly error: string } | null;
  /** Why it could not start, when it could not. */
  readonly error?: string | null;
  readonly rebuild: {
    readonly state: string;
    readonly checkpoint: string;
    /** Absent from a service older than the field. */
    readonly lag_events?: string;
    readonly failure: { readonly error: string } | null;
  } | null;
}

/** `GET /admin/projections`: every projection's status. */
export async function listProjections(options: ServiceOptions): Promise<ProjectionJson[]> {
  const response = await call(options, '/admin/projections', 'GET');
  if (response.status !== 200)
    throw await refusal(options, response, 'the status of its projections');
  return ((await response.json()) as { data: ProjectionJson[] }).data;
}

export async function call(
  options: ServiceOptions,
  path: string,
  method: string,
  query: Readonly<Record<string, string>> = {},
): Promise<Response> {
  const url = endpoint(options.url, path, query);
  try {
    return await fetch(url, { method, headers: { authorization: `Bearer ${options.token}` } });
  } catch (error) {
    throw new Error(`Cannot reach the service at ${url}: ${unreachableBecause(error)}`);
  }
}

/** `path` under the service's URL, whose own path (a reverse proxy's prefix) is kept. */
function endpoint(base: string, path: string, query: Readonly<Record<string, string>>): string {
  // `localhost:3000` parses, as a URL of scheme `localhost:`: only http and https reach a service.
  const url = URL.canParse(base) ? new URL(base) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:')
    throw new Error(`--url ${base} is not a URL (e.g. http://localhost:3000)`);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}

const UNREACHABLE_BECAUSE: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is the service running, on that port?)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved now',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
};

/** fetch says only "fetch failed": the socket's error is its cause. */
function unreachableBecause(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE_BECAUSE[code]) return UNREACHABLE_BECAUSE[code];
  const message = cause instanceof Error ? cause.message : '';
  return message || (typeof code === 'string' ? code : String(cause));
}

/** The part of a refusal's body shown whole, at most: a proxy's error page is not worth more. */
const MAX_REFUSAL_TEXT = 300;

/**
 * A refusal said plainly: what was refused (the token, on 401 and 403), its status with the error
 * envelope's code, and the envelope's messages; a body of another shape (a proxy's page) as it came.
 */
export async function refusal(
  options: ServiceOptions,
  response: Response,
  what: string,
): Promise<Error> {
  const { code, message } = reasonOf(response, await response.text());
  const refused = response.status === 401 || response.status === 403 ? 'the token' : what;
  return new Error(
    `The service at ${options.url} refused ${refused} (${response.status} ${code})${message ? `: ${message}` : ''}`,
  );
}

function reasonOf(response: Response, text: string): { code: string; message: string } {
  const fallback = { code: response.statusText || 'refused', message: text.trim() };
  let errors: unknown;
  try {
    errors = (JSON.parse(text) as { errors?: unknown } | null)?.errors;
  } catch {
    errors = undefined;
  }
  if (!Array.isArray(errors) || errors.length === 0) {
    return fallback.message.length > MAX_REFUSAL_TEXT
      ? { ...fallback, message: `${fallback.message.slice(0, MAX_REFUSAL_TEXT)}…` }
      : fallback;
  }
  const items = errors as ReadonlyArray<{ readonly code?: unknown; readonly message?: unknown }>;
  const code = items[0]?.code;
  return {
    code: typeof code === 'string' ? code : fallback.code,
    message: items
      .map((item) => (typeof item.message === 'string' ? item.message : ''))
      .filter((itemMessage) => itemMessage !== '')
      .join('; '),
  };
}
