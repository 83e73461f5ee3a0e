import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../../shared/http/intercom-error';
import { IntercomExceptionFilter } from '../../shared/http/intercom-exception.filter';
import { IntercomVersion, requestedVersionOf } from '../../shared/http/intercom-version';
import { ContactDomainError, type ContactError } from '../domain/contact.errors';
import { ContactSearchError } from '../search/contact-search.errors';

const STATUS_BY_CODE: Readonly<Record<ContactError['code'], number>> = {
  not_found: 404,
  contact_merged: 410,
  conflict: 409,
  invalid_merge: 400,
  parameter_invalid: 400,
  parameter_not_found: 400,
  // Understood, and refused for what the contact is now, as a closed conversation is.
  contact_blocked: 422,
};

/**
 * Contact refusals as Intercom answers them. A merged contact is `410 contact_merged` with a
 * canonical `Link` from API 2.16 on, and a plain 404 before.
 */
export function contactErrorToProblem(
  error: ContactDomainError | ContactSearchError,
  version: IntercomVersion,
): HttpProblem {
  if (error instanceof ContactSearchError) {
    return HttpProblem.of(400, error.code, error.message, error.field);
  }
  const contactError = error as ContactError;
  if (contactError.name === 'ContactMerged') {
    if (!version.atLeast(2, 16))
      return HttpProblem.of(404, 'not_found', 'Contact Not Found', contactError.field ?? 'id');
    return new HttpProblem(
      410,
      [
        {
          code: 'contact_merged',
          message: `Contact was merged into ${contactError.into}`,
          ...(contactError.field !== undefined ? { field: contactError.field } : {}),
        },
      ],
      {
        Link: `</contacts/${contactError.into}>; rel="canonical"`,
      },
    );
  }
  if (contactError.name === 'ContactNotFound')
    return HttpProblem.of(404, 'not_found', 'Contact Not Found', contactError.field ?? 'id');
  return HttpProblem.of(
    STATUS_BY_CODE[contactError.code],
    contactError.code,
    contactError.message,
    contactError.field,
  );
}

/** `error` as the HTTP edge answers it: contact refusals mapped for `version`, anything else as is. */
export function contactProblemOf(error: unknown, version: IntercomVersion): unknown {
  return error instanceof ContactDomainError || error instanceof ContactSearchError
    ? contactErrorToProblem(error, version)
    : error;
}

@Catch(ContactDomainError, ContactSearchError)
export class ContactErrorsFilter implements ExceptionFilter {
  private readonly envelope = new IntercomExceptionFilter();

  catch(error: ContactDomainError | ContactSearchError, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    this.envelope.catch(contactErrorToProblem(error, requestedVersionOf(request)), host);
  }
}
