// Event Grid envelopes, in either schema, down to "this blob, this eTag". @azure/eventgrid
// validates the envelope; isSystemEvent() narrows it to Microsoft.Storage.BlobCreated.
import { EventGridDeserializer, isSystemEvent } from '@azure/eventgrid';
import { errorMessage } from '../../errors.js';

export interface BlobCreated {
  id: string;
  /** The resource that raised the event: `/subscriptions/.../providers/Microsoft.Storage/storageAccounts/<account>`. */
  topic: string;
  url: string;
  eTag: string;
  container: string;
  name: string;
  contentType: string | undefined;
  contentLength: number | undefined;
  api: string | undefined;
}

export type ParsedEvent = { kind: 'blob-created'; blob: BlobCreated } | { kind: 'ignored'; reason: string };

const deserializer = new EventGridDeserializer();

/** `/blobServices/default/containers/<c>/blobs/<name...>` -> container and name. */
function fromSubject(subject: string): { container: string; name: string } | undefined {
  const m = /^\/?blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/.exec(subject);
  return m ? { container: m[1]!, name: m[2]! } : undefined;
}

/**
 * Every event in what the trigger handed over: one event object (the Functions Event Grid binding
 * delivers one per invocation), an array of them (the webhook body), or their JSON text. An
 * envelope @azure/eventgrid refuses is acknowledged as ignored: redelivering it would not fix it.
 */
export async function parseBlobEvents(raw: unknown): Promise<ParsedEvent[]> {
  let input: unknown;
  try {
    input = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch (err) {
    return [{ kind: 'ignored', reason: `event is not JSON: ${errorMessage(err)}` }];
  }
  const first = (Array.isArray(input) ? input[0] : input) as Record<string, unknown> | undefined;
  const isCloudEvent = typeof first?.specversion === 'string';
  try {
    if (isCloudEvent) {
      const events = await deserializer.deserializeCloudEvents(input as Record<string, unknown>);
      return events.map((event): ParsedEvent => {
        if (!isSystemEvent('Microsoft.Storage.BlobCreated', event)) return { kind: 'ignored', reason: `event type ${event.type}` };
        return fromParts(event.id, event.source, event.subject ?? '', event.data ?? {});
      });
    }
    const events = await deserializer.deserializeEventGridEvents(input as Record<string, unknown>);
    return events.map((event): ParsedEvent => {
      if (!isSystemEvent('Microsoft.Storage.BlobCreated', event)) return { kind: 'ignored', reason: `event type ${event.eventType}` };
      return fromParts(event.id, event.topic ?? '', event.subject, event.data ?? {});
    });
  } catch (err) {
    return [{ kind: 'ignored', reason: `not a valid ${isCloudEvent ? 'CloudEvents 1.0' : 'Event Grid'} event: ${errorMessage(err)}` }];
  }
}

/** One event (the first, if given several). */
export async function parseBlobEvent(raw: unknown): Promise<ParsedEvent> {
  return (await parseBlobEvents(raw))[0] ?? { kind: 'ignored', reason: 'no event' };
}

function fromParts(
  id: string,
  topic: string,
  subject: string,
  data: { url?: string; eTag?: string; contentType?: string; contentLength?: number; api?: string },
): ParsedEvent {
  const where = fromSubject(subject);
  if (!where) return { kind: 'ignored', reason: `subject ${subject} is not a blob` };
  if (!data.url || !data.eTag) return { kind: 'ignored', reason: 'event carries no blob url or eTag' };
  return {
    kind: 'blob-created',
    blob: {
      id,
      topic,
      url: data.url,
      eTag: data.eTag,
      container: where.container,
      name: where.name,
      contentType: data.contentType,
      contentLength: data.contentLength,
      api: data.api,
    },
  };
}
