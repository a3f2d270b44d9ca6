// `%SETTING%` in a binding option (a timer's schedule, a queue's name) is resolved from the app
// settings by the Functions host when it indexes the function; a setting that is missing or
// invalid puts that one function in error and leaves the others running. The local host does the
// same, with the default src/config.ts declares when the setting is unset (npm start runs on
// embedded defaults; `func start` would want it in local.settings.json).
import { bindingSetting } from '../config.js';

/** The option with every `%NAME%` replaced; throws ConfigError naming a bad or unknown setting. */
export function resolveBindingExpression(value: unknown): string {
  return String(value).replace(/%([A-Za-z_][A-Za-z0-9_]*)%/g, (_, name: string) => bindingSetting(name));
}
