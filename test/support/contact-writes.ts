import type { TestApp } from './test-app';

/**
 * The identity e2e tests' requests: values unique to a run, and writes answered with their status
 * and body (`service` is read when a request is made: the app starts in `beforeAll`).
 */
export function contactWrites<Contact>(service: () => TestApp) {
  let round = 0;
  return {
    unique: (label: string) => `${label}-${(round += 1)}-${Date.now()}`,
    write: async (path: string, method: string, json?: Record<string, unknown>) => {
      const response = await service().request(path, { method, ...(json ? { json } : {}) });
      return { status: response.status, body: (await response.json()) as Contact };
    },
  };
}
