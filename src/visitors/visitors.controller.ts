import { CONTACT_READ_MODELS } from '../../projections/read-models';
import { Body, Controller, Get, HttpCode, Post, Put, Query, UseFilters } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ContactErrorsFilter, contactProblemOf } from '../contacts/http/contact-errors.filter';
import { toContactResponse } from '../contacts/http/contact.response';
import { ContactReadModel } from '../contacts/queries/contact-read-model';
import type { CustomAttributes } from '../contacts/domain/contact.attributes';
import { ReadYourWrites } from '../projection-runner/projection-runner.module';
import { givenFields } from '../shared/http/given-fields';
import { HttpProblem } from '../shared/http/intercom-error';
import { IntercomVersion, MinPosition, RequestedVersion } from '../shared/http/intercom-version';
import { WriteRoute } from '../shared/http/route-config';
import { WorkspaceId } from '../workspaces/workspace-auth.guard';
import { ConvertVisitorCommand } from './commands/convert-visitor/convert-visitor.command';
import { UpdateVisitorCommand } from './commands/update-visitor/update-visitor.command';
import { VisitorReadModel } from './queries/visitor-read-model';
import { ConvertVisitorDto, FindVisitorQueryDto, UpdateVisitorDto } from './visitor.dto';
import { VisitorNotFound } from './visitor.errors';
import { toVisitorResponse } from './visitor.response';
import { VISITOR_SCHEMA } from './visitor.response-schema';
import { DocumentedResponse } from '../shared/http/documented-route-schema';
import { CONTACT_RESPONSE_SCHEMA } from '../contacts/http/contact.response-schema';
import { RequestCause } from '../shared/http/request-context';
import type { EventCause } from '../shared/event-store/event-store.port';

@ApiTags('Visitors')
@ApiBearerAuth()
@UseFilters(ContactErrorsFilter)
@Controller('visitors')
export class VisitorsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly visitors: VisitorReadModel,
    private readonly contacts: ContactReadModel,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  @Get()
  @ApiOperation({ summary: "Retrieve a visitor by the messenger's user_id" })
  @DocumentedResponse(VISITOR_SCHEMA)
  async find(
    @WorkspaceId() workspaceId: string,
    @Query() query: FindVisitorQueryDto,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    await this.readYourWrites.waitForMinPosition(minPosition, CONTACT_READ_MODELS);
    const row = await this.visitors.findByUserId(workspaceId, query.user_id);
    if (!row) throw new VisitorNotFound(query.user_id, 'user_id');
    return toVisitorResponse(row);
  }

  @Put()
  @WriteRoute()
  @ApiOperation({ summary: 'Update a visitor (by id or user_id)' })
  @DocumentedResponse(VISITOR_SCHEMA)
  async update(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Body() body: UpdateVisitorDto,
  ) {
    const { name, custom_attributes } = body;
    const visitor = givenFields(body, ['id', 'user_id']);
    if (Object.keys(visitor).length === 0) {
      throw HttpProblem.of(400, 'parameter_not_found', 'One of id or user_id is required', 'id');
    }
    const { contactId, position } = await this.commands.execute(
      new UpdateVisitorCommand(
        workspaceId,
        visitor,
        {
          ...(name !== undefined ? { name } : {}),
          ...(custom_attributes !== undefined
            ? { custom_attributes: custom_attributes as CustomAttributes }
            : {}),
        },
        cause,
      ),
    );
    await this.readYourWrites.waitFor(position, CONTACT_READ_MODELS);
    const row = await this.visitors.findById(workspaceId, contactId);
    if (!row) throw new VisitorNotFound(contactId);
    return toVisitorResponse(row);
  }

  @Post('convert')
  @WriteRoute()
  @HttpCode(200)
  @ApiOperation({ summary: 'Convert a visitor to a lead or user, merging into a matching user' })
  @DocumentedResponse(CONTACT_RESPONSE_SCHEMA)
  async convert(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Body() body: ConvertVisitorDto,
    @RequestedVersion() version: IntercomVersion,
  ) {
    const visitor = givenFields(body.visitor, ['id', 'user_id', 'email']);
    const user = givenFields(body.user, ['id', 'user_id', 'email']);
    if (Object.keys(visitor).length === 0) {
      throw HttpProblem.of(
        400,
        'parameter_not_found',
        'One of visitor.id, visitor.user_id, visitor.email is required',
        'visitor',
      );
    }
    if (body.type === 'user' && Object.keys(user).length === 0) {
      throw HttpProblem.of(
        400,
        'parameter_not_found',
        'One of user.id, user.user_id, user.email is required',
        'user',
      );
    }
    const { contactId, position } = await this.commands
      .execute(
        new ConvertVisitorCommand(
          workspaceId,
          body.type,
          visitor,
          {
            ...(user.id !== undefined ? { id: user.id } : {}),
            ...(user.user_id !== undefined ? { external_id: user.user_id } : {}),
            ...(user.email !== undefined ? { email: user.email } : {}),
          },
          cause,
        ),
      )
      .catch((error: unknown) => {
        throw underConvertedUser(contactProblemOf(error, version));
      });
    await this.readYourWrites.waitFor(position, CONTACT_READ_MODELS);
    return toContactResponse(
      await this.contacts.getContactOrThrow(workspaceId, contactId),
      version,
    );
  }
}

/** The identity a conversion gives is the body's `user.user_id` and `user.email`. */
const CONVERTED_USER_FIELDS: Readonly<Record<string, string>> = {
  external_id: 'user.user_id',
  email: 'user.email',
};

function underConvertedUser(problem: unknown): unknown {
  if (!(problem instanceof HttpProblem)) return problem;
  return new HttpProblem(
    problem.status,
    problem.errors.map((error) => {
      const field = error.field !== undefined ? CONVERTED_USER_FIELDS[error.field] : undefined;
      return field !== undefined ? { ...error, field } : error;
    }),
    problem.headers,
  );
}
