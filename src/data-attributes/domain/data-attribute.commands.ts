import type { UnixSeconds } from './data-attribute.types';

/**
 * Commands carry the request's values as given (`model` and `data_type` are plain strings): the
 * decider owns every rule about them. `now` comes from the shell's clock.
 */
export interface CreateDataAttribute {
  readonly type: 'CreateDataAttribute';
  readonly data: {
    readonly workspaceId: string;
    readonly model: string;
    readonly name: string;
    readonly data_type: string;
    readonly description?: string;
    readonly options?: readonly string[];
    readonly messenger_writable?: boolean;
  };
  readonly now: UnixSeconds;
}

export interface UpdateDataAttribute {
  readonly type: 'UpdateDataAttribute';
  readonly data: {
    readonly workspaceId: string;
    readonly id: number;
    readonly description?: string;
    readonly options?: readonly string[];
    readonly messenger_writable?: boolean;
    readonly archived?: boolean;
    /** Accepted only to refuse a change: the data type of an attribute is fixed. */
    readonly data_type?: string;
  };
  readonly now: UnixSeconds;
}

export type DataAttributeCommand = CreateDataAttribute | UpdateDataAttribute;
