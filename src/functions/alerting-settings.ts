// The alerting functions' own settings, read when they run: a ConfigError (a bad alert URL,
// schedule, table...) turns into one log line naming the settings and disables alerting only.
import { ConfigError } from '../config.js';

/** The services, or undefined after `report` got the one line saying why alerting is off. */
export function alertServicesOrOff<T>(services: () => T, report: (line: string) => void): T | undefined {
  try {
    return services();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    report(
      `alerting disabled by invalid settings: ${err.message
        .replace(/^invalid settings:\s*/, '')
        .split(/\n\s*/)
        .join('; ')}`,
    );
    return undefined;
  }
}
