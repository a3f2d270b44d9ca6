// Event Grid envelopes, in either schema, down to "this blob, this eTag". @azure/eventgrid
// validates the envelope; isSystemEvent() narrows it to Microsoft.Storage.BlobCreated.
import { EventGridDeserializer, isSystemEvent } from '@azure/eventgrid';

export interface BlobCreated {
  id: string;
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

export async function parseBlobEvent(raw: unknown): Promise<ParsedEvent> {
  const obj = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown>;
  const isCloudEvent = typeof obj?.specversion === 'string';
  let id: string;
  let subject: string;
  let data: { url?: string; eTag?: string; contentType?: string; contentLength?: number; api?: string };
  if (isCloudEvent) {
    const [event] = await deserializer.deserializeCloudEvents(obj);
    if (!event || !isSystemEvent('Microsoft.Storage.BlobCreated', event)) return { kind: 'ignored', reason: `event type ${event?.type}` };
    ({ id, data } = { id: event.id, data: event.data ?? {} });
    subject = event.subject ?? '';
  } else {
    const [event] = await deserializer.deserializeEventGridEvents(obj);
    if (!event || !isSystemEvent('Microsoft.Storage.BlobCreated', event)) return { kind: 'ignored', reason: `event type ${event?.eventType}` };
    ({ id, data, subject } = event);
  }
  const where = fromSubject(subject);
  if (!where) return { kind: 'ignored', reason: `subject ${subject} is not a blob` };
  if (!data.url || !data.eTag) return { kind: 'ignored', reason: 'event carries no blob url or eTag' };
  return {
    kind: 'blob-created',
    blob: {
      id,
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
