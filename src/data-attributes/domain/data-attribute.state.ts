import type { CustomDataAttribute, DataAttributeModel } from './data-attribute.types';

/** Every custom attribute of one workspace, archived ones included. */
export interface DataAttributesState {
  /** By id, in creation order. */
  readonly attributes: ReadonlyMap<number, CustomDataAttribute>;
  /** Keyed by {@link nameKey}: names are unique per model and stay taken when archived. */
  readonly idsByName: ReadonlyMap<string, number>;
  /** The highest id given so far; 0 before the first attribute. */
  readonly lastId: number;
}

export const initialDataAttributesState = (): DataAttributesState => ({
  attributes: new Map(),
  idsByName: new Map(),
  lastId: 0,
});

/** Names are case-sensitive: `Plan` and `plan` are two attributes. */
export const nameKey = (model: DataAttributeModel, name: string): string => `${model}:${name}`;

export const findCustomAttribute = (
  state: DataAttributesState,
  model: DataAttributeModel,
  name: string,
): CustomDataAttribute | undefined => {
  const id = state.idsByName.get(nameKey(model, name));
  return id === undefined ? undefined : state.attributes.get(id);
};

/** Custom attributes of `model`, in id order; archived ones only when asked. */
export const customAttributesOf = (
  state: DataAttributesState,
  model: DataAttributeModel,
  options: { readonly includeArchived: boolean },
): CustomDataAttribute[] =>
  [...state.attributes.values()].filter(
    (attribute) => attribute.model === model && (options.includeArchived || !attribute.archived),
  );

/** Unarchived custom attributes of every model: what the workspace limit counts. */
export const liveCustomAttributeCount = (state: DataAttributesState): number => {
  let count = 0;
  for (const attribute of state.attributes.values()) if (!attribute.archived) count += 1;
  return count;
};
