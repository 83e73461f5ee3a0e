import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { ContactDomainError } from '../../contacts/domain/contact.errors';
import { ContactErrorsFilter } from '../../contacts/http/contact-errors.filter';
import { ContactSearchError } from '../../contacts/search/contact-search.errors';
import { HttpProblem } from '../../shared/http/intercom-error';
import { IntercomExceptionFilter } from '../../shared/http/intercom-exception.filter';
import { SegmentError } from '../domain/segment.errors';

const STATUS_BY_CODE: Readonly<Record<SegmentError['code'], number>> = {
  not_found: 404,
  parameter_invalid: 400,
  parameter_not_found: 400,
};

export const segmentErrorToProblem = (error: SegmentError): HttpProblem =>
  HttpProblem.of(STATUS_BY_CODE[error.code], error.code, error.message, error.field);

/**
 * Segment refusals in Intercom's envelope; a bad rule answers as a bad search query does, and
 * contact lookups (`/contacts/{id}/segments`) as the Contacts API does.
 */
@Catch(SegmentError, ContactSearchError, ContactDomainError)
export class SegmentErrorsFilter implements ExceptionFilter {
  private readonly envelope = new IntercomExceptionFilter();
  private readonly contacts = new ContactErrorsFilter();

  catch(error: SegmentError | ContactSearchError | ContactDomainError, host: ArgumentsHost): void {
    if (error instanceof SegmentError) this.envelope.catch(segmentErrorToProblem(error), host);
    else this.contacts.catch(error, host);
  }
}
