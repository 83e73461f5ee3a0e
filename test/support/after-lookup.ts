import { ContactLocator } from '../../src/identity-resolution/contact-locator';
import type { LocatedContact } from '../../src/identity-resolution/located-contact';
import type { TestApp } from './test-app';

/**
 * Runs `act` once, right after a request's lookup found `contactId` as `found` says (its write
 * comes next): what `act` does (a merge, a conversion) lands in between, deterministically.
 */
export function actAfterLookupOf(
  service: TestApp,
  contactId: string,
  found: (located: LocatedContact) => boolean,
  act: () => Promise<void>,
): void {
  const locator = service.app.get(ContactLocator);
  const locate = locator.locate.bind(locator);
  let done = false;
  jest.spyOn(locator, 'locate').mockImplementation(async (workspaceId, id, options) => {
    const located = await locate(workspaceId, id, options);
    if (!done && id === contactId && found(located)) {
      done = true;
      await act();
    }
    return located;
  });
}
