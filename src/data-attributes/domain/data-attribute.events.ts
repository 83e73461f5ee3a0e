import type { DataAttributeModel, DataType, UnixSeconds } from './data-attribute.types';

/*
 * Payload conventions: `workspaceId` is ours (camelCase); the attribute's fields keep Intercom's
 * names so the HTTP layer and read models copy them without a mapping table. `id` is the
 * attribute's integer id, unique and increasing per workspace from 1.
 */

type DataAttributeEventOf<Type extends string, Data> = {
  readonly type: Type;
  readonly data: { readonly workspaceId: string; readonly id: number } & Data;
};

/** A custom data attribute was defined. `label` is the name, as Intercom's API create does. */
export type DataAttributeCreated = DataAttributeEventOf<
  'DataAttributeCreated',
  {
    readonly model: DataAttributeModel;
    readonly name: string;
    readonly label: string;
    readonly description: string | null;
    readonly data_type: DataType;
    /** The allowed values of a list attribute; `null` for any other attribute. */
    readonly options: readonly string[] | null;
    readonly messenger_writable: boolean;
    readonly created_at: UnixSeconds;
  }
>;

/** What an update changed; only the fields that differ from the current definition. */
export interface DataAttributeChanges {
  readonly description?: string | null;
  readonly options?: readonly string[];
  readonly messenger_writable?: boolean;
}

/** The description, options or messenger writability of a custom attribute changed. */
export type DataAttributeUpdated = DataAttributeEventOf<
  'DataAttributeUpdated',
  { readonly changes: DataAttributeChanges; readonly updated_at: UnixSeconds }
>;

/**
 * A custom attribute was archived: hidden from the default list, no longer writable on contacts,
 * not counted against the limit. Its name stays taken.
 */
export type DataAttributeArchived = DataAttributeEventOf<
  'DataAttributeArchived',
  { readonly archived_at: UnixSeconds }
>;

/** An archived custom attribute became live (and writable) again. */
export type DataAttributeUnarchived = DataAttributeEventOf<
  'DataAttributeUnarchived',
  { readonly unarchived_at: UnixSeconds }
>;

export type DataAttributeEvent =
  DataAttributeCreated | DataAttributeUpdated | DataAttributeArchived | DataAttributeUnarchived;
