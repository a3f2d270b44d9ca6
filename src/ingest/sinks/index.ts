import type { Config } from '../../config.js';
import type { Sink } from '../sink.js';
import { FileSink } from './file.js';

/** The sink the configuration asks for. */
export async function createSink(config: Config): Promise<Sink> {
  switch (config.sink) {
    case 'file':
      return new FileSink(config.fileSink.dir, config.fileSink.windowSeconds);
    case 'kusto':
      throw new Error('the Kusto sink is not available in this build; set QOE_SINK=file');
  }
}
