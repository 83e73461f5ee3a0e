import type { UnixSeconds } from '../../contacts/domain/contact.attributes';
import type { ContactCommand, RegisterVisitor } from '../../contacts/domain/contact.commands';
import type { LiveRole } from '../../contacts/domain/contact.events';
import type { MessengerItem } from './messenger-item';

export interface CommandSettings {
  /** Server time, unix seconds. */
  readonly now: UnixSeconds;
  readonly seenThrottleSeconds: number;
}

interface Target {
  readonly workspaceId: string;
  readonly contactId: string;
}

/** A visitor seen for the first time, from the context of the item that revealed it. */
export function registerVisitorCommand(
  item: MessengerItem & { readonly visitorId: string },
  target: Target,
  settings: CommandSettings,
): RegisterVisitor {
  return {
    type: 'RegisterVisitor',
    data: {
      ...target,
      userId: item.visitorId,
      occurredAt: item.occurredAt,
      ...(item.context ? { context: item.context } : {}),
    },
    now: settings.now,
  };
}

/**
 * What a non-identifying item asks of the contact it addresses (sign-up and log-in go through
 * identity resolution instead), then the attributes it carries, whatever its type. `role` is the
 * contact's role now: supplying an email makes a visitor a lead, as talking to the workspace does.
 */
export function contactCommandsFor(
  item: MessengerItem,
  target: Target & { readonly role: LiveRole },
  settings: CommandSettings,
): ContactCommand[] {
  const commands = typeCommands(item, target, settings);
  const ref = { workspaceId: target.workspaceId, contactId: target.contactId };
  const attributes = TYPES_WRITING_ATTRIBUTES.has(item.type)
    ? []
    : attributeCommands(item, ref, settings);
  return [...commands, ...attributes, ...contextCommands(item, ref, settings)];
}

/**
 * An item's `context` says where the messenger saw the contact when it happened, whatever its
 * type: a sighting records it (throttled as any, except when the context changed). A
 * `visitor.seen` is that sighting already.
 */
export function contextCommands(
  item: MessengerItem,
  target: Target,
  settings: CommandSettings,
): ContactCommand[] {
  if (item.type === 'visitor.seen' || item.context === undefined) return [];
  return [
    {
      type: 'RecordSeen',
      data: {
        ...target,
        occurredAt: item.occurredAt,
        context: item.context,
        throttleSeconds: settings.seenThrottleSeconds,
      },
      now: settings.now,
    },
  ];
}

/** Their own command writes the item's attributes. */
const TYPES_WRITING_ATTRIBUTES: ReadonlySet<MessengerItem['type']> = new Set([
  'email.supplied',
  'contact.attributes_updated',
  'contact.signed_up',
  'contact.logged_in',
]);

function typeCommands(
  item: MessengerItem,
  target: Target & { readonly role: LiveRole },
  settings: CommandSettings,
): ContactCommand[] {
  const { role, ...ref } = target;
  const base = { ...ref, occurredAt: item.occurredAt };
  const now = settings.now;
  switch (item.type) {
    case 'visitor.seen':
      return [
        {
          type: 'RecordSeen',
          data: {
            ...base,
            ...(item.context ? { context: item.context } : {}),
            throttleSeconds: settings.seenThrottleSeconds,
          },
          now,
        },
      ];
    case 'conversation.started':
      return [
        {
          type: 'StartConversation',
          data: {
            ...base,
            ...(item.conversationId ? { conversationId: item.conversationId } : {}),
          },
          now,
        },
      ];
    case 'outbound.replied':
      return [
        {
          type: 'ReplyToOutbound',
          data: {
            ...base,
            ...(item.conversationId ? { conversationId: item.conversationId } : {}),
          },
          now,
        },
      ];
    case 'email.supplied':
      return [
        {
          type: 'UpdateContact',
          data: {
            ...base,
            // A lead too: it may have been a visitor still when it supplied it (reported late).
            ...(role !== 'user' ? { role: 'lead' as const } : {}),
            attributes: { ...item.attributes, email: item.email ?? null },
          },
          now,
        },
      ];
    case 'contact.attributes_updated':
      return attributeCommands(item, ref, settings);
    case 'event.tracked':
      return [
        {
          type: 'TrackEvent',
          data: {
            ...ref,
            name: item.eventName ?? '',
            createdAt: item.occurredAt,
            ...(item.metadata ? { metadata: item.metadata } : {}),
          },
          now,
        },
      ];
    case 'contact.signed_up':
    case 'contact.logged_in':
      return attributeCommands(item, ref, settings);
  }
}

/** The item's attribute writes, if it carries any. */
export function attributeCommands(
  item: MessengerItem,
  target: Target,
  settings: CommandSettings,
): ContactCommand[] {
  if (item.attributes === undefined || Object.keys(item.attributes).length === 0) return [];
  return [
    {
      type: 'UpdateContact',
      data: { ...target, occurredAt: item.occurredAt, attributes: item.attributes },
      now: settings.now,
    },
  ];
}
