import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../workspaces/workspace-auth.guard';
import { WriteRoute } from '../shared/http/route-config';
import { CreateDataAttributeCommand } from './commands/create-data-attribute/create-data-attribute.command';
import { CreateDataAttributeRequest } from './commands/create-data-attribute/create-data-attribute.request';
import { UpdateDataAttributeCommand } from './commands/update-data-attribute/update-data-attribute.command';
import {
  DataAttributeIdParams,
  UpdateDataAttributeRequest,
} from './commands/update-data-attribute/update-data-attribute.request';
import { DataAttributeProblems } from './data-attribute.problems';
import { optionValues } from './data-attribute.request-fields';
import { DataAttributeListResponse, DataAttributeResponse } from './data-attribute.response';
import { ListDataAttributesQuery } from './queries/list-data-attributes/list-data-attributes.query';
import { ListDataAttributesRequest } from './queries/list-data-attributes/list-data-attributes.request';

@ApiTags('Data Attributes')
@ApiBearerAuth()
@Controller('data_attributes')
@UseInterceptors(DataAttributeProblems)
export class DataAttributesController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List all data attributes (built-in ones with custom: false)' })
  @ApiOkResponse({ type: DataAttributeListResponse })
  list(
    @WorkspaceId() workspaceId: string,
    @Query() query: ListDataAttributesRequest,
  ): Promise<DataAttributeListResponse> {
    return this.queryBus.execute(
      new ListDataAttributesQuery(
        workspaceId,
        query.model ?? 'contact',
        query.include_archived ?? false,
      ),
    );
  }

  @Post()
  @WriteRoute()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a data attribute' })
  @ApiOkResponse({ type: DataAttributeResponse })
  create(
    @WorkspaceId() workspaceId: string,
    @Body() body: CreateDataAttributeRequest,
  ): Promise<DataAttributeResponse> {
    return this.commandBus.execute(
      new CreateDataAttributeCommand({
        workspaceId,
        model: body.model,
        name: body.name,
        data_type: body.data_type,
        description: body.description,
        options: optionValues(body.options),
        messenger_writable: body.messenger_writable,
      }),
    );
  }

  @Put(':data_attribute_id')
  @WriteRoute()
  @ApiOperation({
    summary: 'Update a data attribute (description, options, messenger_writable, archived)',
  })
  @ApiOkResponse({ type: DataAttributeResponse })
  update(
    @WorkspaceId() workspaceId: string,
    @Param() params: DataAttributeIdParams,
    @Body() body: UpdateDataAttributeRequest,
  ): Promise<DataAttributeResponse> {
    return this.commandBus.execute(
      new UpdateDataAttributeCommand({
        workspaceId,
        id: params.data_attribute_id,
        description: body.description,
        options: optionValues(body.options),
        messenger_writable: body.messenger_writable,
        archived: body.archived,
        data_type: body.data_type,
      }),
    );
  }
}
