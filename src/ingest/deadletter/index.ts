import type { Config } from '../../config.js';
import { BlobDeadLetterStore } from './blob.js';
import { FileDeadLetterStore } from './file.js';
import type { DeadLetterStore } from './store.js';

export function createDeadLetterStore(config: Config): DeadLetterStore {
  return config.deadLetter.store === 'blob'
    ? BlobDeadLetterStore.fromConnectionString(config.storageConnection, config.deadLetter.container)
    : new FileDeadLetterStore(config.deadLetter.dir);
}
