import {
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type TableNode,
  type UnknownRow,
} from 'kysely';

/** Physical name for a logical table, or `undefined` to leave the name alone. */
export type TableNameLookup = (logical: string) => string | undefined;

class TableRenameTransformer extends OperationNodeTransformer {
  constructor(private readonly lookup: TableNameLookup) {
    super();
  }

  protected override transformTable(node: TableNode): TableNode {
    const table = super.transformTable(node);
    if (table.table.schema !== undefined) return table;
    const physical = this.lookup(table.table.identifier.name);
    if (physical === undefined) return table;
    return {
      ...table,
      table: { ...table.table, identifier: { ...table.table.identifier, name: physical } },
    };
  }
}

/**
 * Rewrites logical table names to physical ones in every query (DML, DDL, references such as
 * `contacts.id`, and `sql.table()` in raw SQL), so projections and queries stay typed against
 * logical names while a rebuild writes to other tables. The lookup runs per query, so a
 * long-lived instance follows an alias switch.
 */
export class TableRenamePlugin implements KyselyPlugin {
  private readonly transformer: TableRenameTransformer;

  constructor(lookup: TableNameLookup) {
    this.transformer = new TableRenameTransformer(lookup);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node, args.queryId);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
