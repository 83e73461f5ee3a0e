import { RouteConfig } from '@nestjs/platform-fastify';

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

/** Sets the route's `ApiRouteConfig` (one decorator: Nest keeps only the last route config). */
export const ApiRoute = (config: ApiRouteConfig) => RouteConfig(config);

/** The usual write route. */
export const WriteRoute = () => ApiRoute({ reportsPosition: true });
