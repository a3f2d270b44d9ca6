// What the blobCreated function does with an event: checks it names a blob of OUR account in a
// watched container, and hands a work item to the blob work queue. Nothing is fetched here, so
// the answer goes back to Event Grid in milliseconds, and a forged event never makes the app send
// its credential anywhere: the URL the worker reads is rebuilt from the configured blob endpoint.
import type { BlobCreated } from './event.js';
import type { WorkItem, WorkQueue } from './work-item.js';

export interface BlobAccount {
  /** The configured storage account's name. */
  name: string;
  /** URL of a blob of that account: the configured blob endpoint + container + name. */
  blobUrl(container: string, name: string): string;
}

export interface HandoffDeps {
  account: BlobAccount;
  queue: WorkQueue;
  containers: string[];
  prefixes: string[];
}

export type Handoff = { status: 'queued'; item: WorkItem } | { status: 'ignored'; reason: string };

export function isWatched(blob: { container: string; name: string }, containers: string[], prefixes: string[]): boolean {
  return containers.includes(blob.container) && (prefixes.length === 0 || prefixes.some((p) => blob.name.startsWith(p)));
}

/** Origin and decoded path, so two spellings of one blob URL compare equal. */
function normalise(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.origin}${decodeURIComponent(u.pathname)}`;
  } catch {
    return undefined;
  }
}

/** Why an event must not be acted on, or undefined when it names a watched blob of our account. */
export function refuseReason(blob: BlobCreated, deps: Pick<HandoffDeps, 'account' | 'containers' | 'prefixes'>): string | undefined {
  const account = /\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)\/?$/i.exec(blob.topic)?.[1];
  if (!account || account.toLowerCase() !== deps.account.name.toLowerCase())
    return `topic ${blob.topic.slice(0, 300)} is not the storage account ${deps.account.name}`;
  if (!isWatched(blob, deps.containers, deps.prefixes)) return `${blob.container}/${blob.name} is outside the watched containers/prefixes`;
  const expected = normalise(deps.account.blobUrl(blob.container, blob.name));
  if (expected === undefined || normalise(blob.url) !== expected)
    return `url ${blob.url.slice(0, 300)} is not ${blob.container}/${blob.name} at the configured blob endpoint`;
  return undefined;
}

export async function handOff(blob: BlobCreated, deps: HandoffDeps): Promise<Handoff> {
  const reason = refuseReason(blob, deps);
  if (reason) return { status: 'ignored', reason };
  const item: WorkItem = { container: blob.container, name: blob.name, eTag: blob.eTag };
  await deps.queue.send(item);
  return { status: 'queued', item };
}
