// Stands in for `@azure/functions-core`, the module the real Node.js worker provides, so that
// `app.http(...)` etc. register with us instead of running in "test mode". @azure/functions
// requires it lazily and caches a failed require forever: install before the app is imported.
import Module from 'node:module';

export type Handler = (triggerInput: unknown, context: unknown) => unknown;
export type Binding = Record<string, unknown> & { type: string; name?: string; direction?: string };

export interface Registration {
  name: string;
  /** The trigger binding: type (httpTrigger, eventGridTrigger, ...), route, methods, authLevel, schedule... */
  trigger: Binding;
  /** What `toCoreFunctionMetadata` produced: { name, bindings, retryOptions }. */
  metadata: { name: string; bindings: Record<string, Binding>; retryOptions?: unknown };
  /** The user's handler, called as `(triggerInput, InvocationContext)`. */
  handler: Handler;
}

type HookCallback = (context: unknown) => unknown;

const registrations = new Map<string, Registration>();
const hooks = new Map<string, Set<HookCallback>>();
const appHookData: Record<string, unknown> = {};
let programmingModel: unknown;

const disposable = (dispose: () => void) => ({ dispose });

function log(level: string, _category: string, message: string): void {
  // The library logs through here (e.g. a GET body it drops); debug chatter stays quiet.
  if (level === 'debug' || level === 'trace') return;
  (level === 'information' ? console.log : console.error)(`[functions] ${level}: ${message}`);
}

/** The subset of the worker's API that @azure/functions 4.x calls. */
const core = {
  version: '4.0.0-local',
  hostVersion: '4.1000.0-local',
  setProgrammingModel: (model: unknown) => void (programmingModel = model),
  getProgrammingModel: () => programmingModel,
  log,
  registerHook(hookName: string, callback: HookCallback) {
    if (hookName !== 'appStart' && hookName !== 'appTerminate') {
      log('warning', 'system', `${hookName} hooks are recorded but not run by the local host`);
    }
    const set = hooks.get(hookName) ?? new Set<HookCallback>();
    hooks.set(hookName, set.add(callback));
    return disposable(() => set.delete(callback));
  },
  registerFunction(metadata: Registration['metadata'], handler: Handler) {
    const name = String(metadata.name);
    // The Functions host refuses an app with two functions of one name; fail as early here.
    if (registrations.has(name)) throw new Error(`a function named "${name}" is already registered`);
    const trigger = Object.values(metadata.bindings ?? {}).find((b) => /trigger$/i.test(b.type));
    if (!trigger) throw new Error(`function "${name}" has no trigger binding`);
    registrations.set(name, { name, trigger, metadata, handler });
    return disposable(() => registrations.delete(name));
  },
};

let installed = false;

/** Makes `require('@azure/functions-core')` return the local core. Idempotent. */
export function installFunctionsCore(): void {
  if (installed) return;
  installed = true;
  // `_load` is what every CommonJS `require` goes through (plain node, tsx and vitest alike).
  const mod = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = mod._load;
  mod._load = function (request: string, ...rest: unknown[]) {
    return request === '@azure/functions-core' ? core : load.call(this, request, ...rest);
  };
}

export function getRegistrations(): Registration[] {
  return [...registrations.values()];
}

/** Runs `app.hook.appStart` / `appTerminate` callbacks, as the worker does around the app's life. */
export async function runAppHooks(hookName: 'appStart' | 'appTerminate'): Promise<void> {
  for (const callback of hooks.get(hookName) ?? []) {
    await callback({ hookData: {}, appHookData, functionAppDirectory: process.cwd() });
  }
}
