import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Kysely } from 'kysely';
import type { AttributeValuesReadModel } from '../../../../projections/attribute-values/attribute-values.table';
import {
  customAttributeKey,
  decodeValue,
  STANDARD_VALUE_ATTRIBUTES,
} from '../../../../projections/attribute-values/held-attribute-values';
import { ownerIdNumber } from '../../../contacts/domain/contact.attributes';
import { READ_STORE } from '../../../infrastructure/read-store/read-store.module';
import type { ReadStore } from '../../../infrastructure/read-store/read-store';
import { ReadYourWrites } from '../../../projection-runner/projection-runner.module';
import { totalPagesOf } from '../../../shared/http/total-pages';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../../projection-runner/projection-runner';
import { DataAttributeDefinitions } from '../../data-attribute-definitions.service';
import { BUILT_IN_CONTACT_ATTRIBUTES } from '../../domain/built-in-contact-attributes';
import { findCustomAttribute, type DataAttributesState } from '../../domain/data-attribute.state';
import type { CustomDataAttribute, DataType } from '../../domain/data-attribute.types';
import type {
  AttributeValueListAttribute,
  AttributeValueListResponse,
} from './attribute-value-list.response';
import {
  decodeAttributeValuesCursor,
  encodeAttributeValuesCursor,
} from './attribute-values.cursor';
import { tieOrder } from './attribute-value-order';
import { AttributeValuesNotFound } from './attribute-values.errors';
import { ListAttributeValuesQuery } from './list-attribute-values.query';
import { isCanonicalDecimal } from '../../../shared/decimal-integer';

/** The projections this endpoint reads, for read-your-writes. */
const READ_MODELS = ['contacts'] as const;

const CUSTOM_PREFIX = customAttributeKey('');

interface ResolvedAttribute {
  /** The read model's attribute key (the `full_name`). */
  readonly key: string;
  readonly presented: AttributeValueListAttribute;
  readonly dataType: DataType;
}

/**
 * A value as its attribute's data_type says. Contacts keep `owner_id`, an integer attribute, as
 * the digits they hold it by (Intercom 2.16 shows it as a string, 2.14 as an integer); its
 * values are answered as integers here, whatever the version.
 */
const asDataType = (value: string | number | boolean, dataType: DataType) =>
  dataType === 'integer' && typeof value === 'string' ? (ownerIdNumber(value) ?? value) : value;

/**
 * Top values of a data attribute. Keyset pagination on (count descending, then `tieOrder`, which
 * puts numbers in order of value): the cursor carries the last row's count and value, never an
 * offset. Counts move while a client pages, so a value whose count changes between two pages may
 * be seen twice or skipped; what a page shows is always a consistent slice of the order at the
 * time it was read.
 */
@QueryHandler(ListAttributeValuesQuery)
export class ListAttributeValuesHandler implements IQueryHandler<ListAttributeValuesQuery> {
  private readonly db: Kysely<AttributeValuesReadModel>;

  constructor(
    private readonly definitions: DataAttributeDefinitions,
    private readonly readYourWrites: ReadYourWrites,
    @Inject(PROJECTION_RUNNER) runner: ProjectionRunner,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {
    this.db = runner.queryDb<AttributeValuesReadModel>('contacts');
  }

  async execute(query: ListAttributeValuesQuery): Promise<AttributeValueListResponse> {
    const { workspaceId, perPage } = query;
    const attribute = resolveAttribute(
      query.attributeId,
      await this.definitions.forWorkspace(workspaceId),
    );
    const cursor =
      query.startingAfter === undefined
        ? undefined
        : decodeAttributeValuesCursor(query.startingAfter, attribute.key);
    await this.readYourWrites.waitForMinPosition(query.minPosition, READ_MODELS);

    const ties = tieOrder(this.readStore.dialect, attribute.dataType);
    let rows = this.db
      .selectFrom('contacts_attribute_values')
      .select(['value', 'count'])
      .where('workspace_id', '=', workspaceId)
      .where('attribute', '=', attribute.key);
    if (cursor) {
      rows = rows.where((eb) =>
        eb.or([
          eb('count', '<', cursor.count),
          eb.and([eb('count', '=', cursor.count), ties.after(cursor.value)]),
        ]),
      );
    }
    rows = rows.orderBy('count', 'desc');
    for (const key of ties.keys) rows = rows.orderBy(key);
    const [found, totals] = await Promise.all([
      rows.limit(perPage + 1).execute(),
      this.db
        .selectFrom('contacts_attribute_values_totals')
        .select(['contact_count', 'value_count'])
        .where('workspace_id', '=', workspaceId)
        .where('attribute', '=', attribute.key)
        .executeTakeFirst(),
    ]);
    const data = found.slice(0, perPage);
    const last = data.at(-1);
    const page = cursor?.page ?? 1;
    const totalCount = Number(totals?.value_count ?? 0);
    return {
      type: 'attribute_value.list',
      data_attribute: attribute.presented,
      data: data.map((row) => ({
        type: 'attribute_value',
        value: asDataType(decodeValue(row.value), attribute.dataType),
        count: Number(row.count),
      })),
      total_count: totalCount,
      contact_count: Number(totals?.contact_count ?? 0),
      pages: {
        type: 'pages',
        page,
        per_page: perPage,
        total_pages: totalPagesOf(page, perPage, totalCount),
        ...(found.length > perPage && last
          ? {
              next: {
                page: page + 1,
                starting_after: encodeAttributeValuesCursor(
                  { page: page + 1, count: Number(last.count), value: last.value },
                  attribute.key,
                ),
              },
            }
          : {}),
      },
    };
  }
}

/**
 * Custom attributes by their integer id (as `GET /data_attributes` lists them) or their
 * `full_name`; built-in attributes, which have no id, by `full_name` or `name`
 * (`location.country` or `country`).
 */
function resolveAttribute(id: string, state: DataAttributesState): ResolvedAttribute {
  const custom = isCanonicalDecimal(id)
    ? state.attributes.get(Number(id))
    : id.startsWith(CUSTOM_PREFIX)
      ? findCustomAttribute(state, 'contact', id.slice(CUSTOM_PREFIX.length))
      : undefined;
  if (custom?.model === 'contact') return presentCustom(custom);
  const builtIn = BUILT_IN_CONTACT_ATTRIBUTES.find(
    (attribute) => attribute.full_name === id || attribute.name === id,
  );
  if (!builtIn) throw new AttributeValuesNotFound(id, 'unknown');
  if (!STANDARD_VALUE_ATTRIBUTES.has(builtIn.full_name))
    throw new AttributeValuesNotFound(id, 'not_kept');
  return {
    key: builtIn.full_name,
    presented: { name: builtIn.name, full_name: builtIn.full_name },
    dataType: builtIn.data_type,
  };
}

const presentCustom = (attribute: CustomDataAttribute): ResolvedAttribute => {
  const key = customAttributeKey(attribute.name);
  return {
    key,
    presented: { id: attribute.id, name: attribute.name, full_name: key },
    dataType: attribute.data_type,
  };
};
