// What the securezone stage puts on Kafka after a successful HTTP notification (docs/mosip-facts.md,
// "Request body" and "Routing switch"): the MessageDTO JSON, keyed by rid, on a topic named after the reg type.
import { nullPointer } from './routeFailure.js';

/** The MessageDTO as serialised on the event bus. */
export interface MessageDto {
  reg_type: string | null;
  rid: string | null;
  isValid: boolean;
  internalError: boolean;
  messageBusAddress: { address: string };
  retryCount: number | null;
  tags: Record<string, string>;
  lastHopTimestamp: string;
  source: string | null;
  iteration: number;
  workflowInstanceId: string | null;
}

export interface ForwardedMessage {
  topic: string;
  key: string | null;
  message: MessageDto;
}

/** MessageBusAddress.SECUREZONE_NOTIFICATION_OUT. */
export const SECUREZONE_NOTIFICATION_OUT = 'securezone-notification-bus-out';

/**
 * KafkaMosipEventBus.send puts the lower-cased reg type before the last two parts of the address:
 * securezone-notification-bus-out becomes securezone-notification-new-bus-out.
 * A null reg type makes that toLowerCase() throw an NPE (message-less), as in MOSIP.
 */
export function topicFor(address: string, regType: string | null): string {
  if (regType === null) throw nullPointer();
  const parts = address.split('-');
  const tail = parts.splice(parts.length - 2, 2);
  return [...parts, regType.toLowerCase(), ...tail].join('-');
}

export function forwardedMessage(p: {
  rid: string | null; regType: string | null; source: string | null; iteration: number; workflowInstanceId: string | null;
  at?: Date;
}): ForwardedMessage {
  const message: MessageDto = {
    reg_type: p.regType,
    rid: p.rid,
    isValid: true,
    internalError: false,
    messageBusAddress: { address: SECUREZONE_NOTIFICATION_OUT },
    retryCount: null,
    // mosip.regproc.securezone.notification.message.tag.loading.disable=true: no tags are loaded.
    tags: {},
    lastHopTimestamp: (p.at ?? new Date()).toISOString(),
    source: p.source,
    iteration: p.iteration,
    workflowInstanceId: p.workflowInstanceId,
  };
  return { topic: topicFor(SECUREZONE_NOTIFICATION_OUT, p.regType), key: p.rid, message };
}
