import { Controller, Get, Param, Query, UseInterceptors } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MinPosition } from '../shared/http/intercom-version';
import { WorkspaceId } from '../workspaces/workspace-auth.guard';
import { AttributeValueListResponse } from './queries/list-attribute-values/attribute-value-list.response';
import { DataAttributeProblems } from './data-attribute.problems';
import { ListAttributeValuesQuery } from './queries/list-attribute-values/list-attribute-values.query';
import { PageQuery } from '../contacts/http/page-query';
import { DEFAULT_PER_PAGE } from '../contacts/search/contact-search.parse';

/**
 * Our extension `GET /data_attributes/{id}/values`. Its own controller (and module) because it
 * reads a projection: the definitions API works without the projection runner.
 */
@ApiTags('Data Attributes')
@ApiBearerAuth()
@Controller('data_attributes')
@UseInterceptors(DataAttributeProblems)
export class AttributeValuesController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id/values')
  @ApiOperation({
    summary:
      'Value distribution of a data attribute over leads and users: top values by count (ties of an integer, float or date attribute by value: 9 before 10; of any other, in the byte order of the values as JSON text: "10" before "9")',
  })
  @ApiOkResponse({ type: AttributeValueListResponse })
  values(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Query() query: PageQuery,
    @MinPosition() minPosition: bigint | undefined,
  ): Promise<AttributeValueListResponse> {
    return this.queryBus.execute(
      new ListAttributeValuesQuery(
        workspaceId,
        id,
        query.per_page ?? DEFAULT_PER_PAGE,
        query.starting_after,
        minPosition,
      ),
    );
  }
}
