import type { Config } from '../../config.js';
import { storageFromConfig } from '../../storage.js';
import { BlobDeadLetterStore } from './blob.js';
import { FileDeadLetterStore } from './file.js';
import type { DeadLetterStore } from './store.js';

export function createDeadLetterStore(config: Config): DeadLetterStore {
  return config.deadLetter.store === 'blob'
    ? BlobDeadLetterStore.forStorage(storageFromConfig(config), config.deadLetter.container, config.deadLetter.maxBytesPerEntry)
    : new FileDeadLetterStore(config.deadLetter.dir, config.deadLetter.maxBytesPerEntry);
}
