// Stands in for the `@azure/functions-core` module that the real Functions worker provides, so
// `app.http(...)` etc. register with us instead of running in "test mode". @azure/functions
// requires the module lazily and caches a failure forever: install before the app is imported.
import Module from 'node:module';

export interface Registration {
  name: string;
  /** The trigger binding: type (httpTrigger, eventGridTrigger, ...), route, methods, schedule... */
  trigger: Record<string, unknown> & { type: string };
  metadata: Record<string, unknown>;
  handler: (...args: unknown[]) => unknown;
}

const registrations = new Map<string, Registration>();

const core = {
  version: 'local',
  hostVersion: '4.0.0-local',
  setProgrammingModel: () => {},
  getProgrammingModel: () => undefined,
  registerHook: () => ({ dispose: () => {} }),
  log: (level: string, _category: string, message: string) => {
    if (level === 'error' || level === 'critical' || level === 'warning') console.error(`[host] ${message}`);
  },
  registerFunction(metadata: Record<string, unknown>, handler: (...args: unknown[]) => unknown) {
    const name = String(metadata.name);
    const bindings = (metadata.bindings ?? {}) as Record<string, Record<string, unknown> & { type: string }>;
    const trigger = Object.values(bindings).find((b) => /trigger$/i.test(b.type));
    if (!trigger) throw new Error(`function ${name} has no trigger binding`);
    registrations.set(name, { name, trigger, metadata, handler });
    return { dispose: () => registrations.delete(name) };
  },
};

let installed = false;

export function installFunctionsCore(): void {
  if (installed) return;
  installed = true;
  const mod = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = mod._load;
  mod._load = function (request: string, ...rest: unknown[]) {
    if (request === '@azure/functions-core') return core;
    return load.call(this, request, ...rest);
  };
}

export function getRegistrations(): Registration[] {
  return [...registrations.values()];
}
