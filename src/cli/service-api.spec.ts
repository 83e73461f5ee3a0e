import { call } from './service-api';

describe("the CLI's --url", () => {
  it.each(['localhost:3000', 'ftp://localhost:3000', 'http://localhost:99999', 'not a url'])(
    'refuses %s as no URL of a service, before any request',
    async (url) => {
      await expect(call({ url, token: 'token' }, '/export/events', 'GET')).rejects.toThrow(
        `--url ${url} is not a URL (e.g. http://localhost:3000)`,
      );
    },
  );
});
