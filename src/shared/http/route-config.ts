import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExtension } from '@nestjs/swagger';

/** What the API's Fastify hooks read from a route's config (`@ApiRoute`). */
export interface ApiRouteConfig {
  /**
   * Bad strings, keys and nesting are refused item by item (a batch whose bad items must not
   * block the others): the body's `events` are left to the route.
   */
  readonly checksItemsItself?: boolean;
  /** A write: its answer carries `X-Position` (see `WritePositionHeader`). */
  readonly reportsPosition?: boolean;
}

/**
 * Sets the route's `ApiRouteConfig` (one decorator: Nest keeps only the last route config). A
 * route reporting its position is marked for the document (`REPORTS_POSITION_EXTENSION`).
 */
export const ApiRoute = (config: ApiRouteConfig) =>
  config.reportsPosition === true
    ? applyDecorators(RouteConfig(config), ApiExtension(REPORTS_POSITION_EXTENSION, true))
    : RouteConfig(config);

/** Marks the operations whose success answers carry `X-Position`, until the document says so. */
export const REPORTS_POSITION_EXTENSION = 'x-reports-position';

/** The usual write route. */
export const WriteRoute = () => ApiRoute({ reportsPosition: true });
