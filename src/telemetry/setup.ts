// Starts telemetry once per process, by configuration (docs/telemetry.md):
// - azure: @azure/monitor-opentelemetry to Application Insights (managed identity when the
//   authentication string says AAD), which also brings HTTP and Azure SDK spans;
// - otlp: OTLP/HTTP to a local collector (metrics and traces);
// - console: metrics and spans printed (a look at what would be sent);
// - memory: kept in memory for tests and the bench;
// - off (the default without a connection string or endpoint, so in tests): nothing is recorded.
import { metrics, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  ConsoleMetricExporter,
  InMemoryMetricExporter,
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config.js';
import { telemetry } from './instruments.js';

export type TelemetryMode = Config['telemetry']['mode'] | 'memory';

export interface TelemetryHandle {
  mode: TelemetryMode;
  /** Memory mode only: what was recorded. */
  spans?: InMemorySpanExporter;
  metrics?: InMemoryMetricExporter;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const SERVICE = 'qoe-functions';
const EXPORT_INTERVAL_MS = 60_000;

export async function startTelemetry(settings: Config['telemetry'] | { mode: 'memory' }): Promise<TelemetryHandle> {
  const mode = settings.mode;
  if (mode === 'off') {
    telemetry.off();
    return { mode, flush: async () => {}, shutdown: async () => {} };
  }
  if (mode === 'azure') {
    const s = settings as Config['telemetry'];
    const { useAzureMonitor, shutdownAzureMonitor } = await import('@azure/monitor-opentelemetry');
    const credential = s.entraAuth ? new (await import('@azure/identity')).DefaultAzureCredential() : undefined;
    useAzureMonitor({ azureMonitorExporterOptions: { connectionString: s.connectionString, ...(credential && { credential }) } });
    telemetry.use(metrics.getMeter(SERVICE), trace.getTracer(SERVICE));
    return { mode, flush: async () => {}, shutdown: () => shutdownAzureMonitor() };
  }
  const resource = resourceFromAttributes({ 'service.name': SERVICE });
  let metricExporter: PushMetricExporter;
  let spanExporter: SpanExporter;
  let memory: Pick<TelemetryHandle, 'spans' | 'metrics'> = {};
  if (mode === 'otlp') {
    const endpoint = (settings as Config['telemetry']).otlpEndpoint ?? 'http://localhost:4318';
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    metricExporter = new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` });
    spanExporter = new OTLPTraceExporter({ url: `${endpoint}/v1/traces` });
  } else if (mode === 'console') {
    metricExporter = new ConsoleMetricExporter();
    spanExporter = new ConsoleSpanExporter();
  } else {
    const m = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const sp = new InMemorySpanExporter();
    memory = { metrics: m, spans: sp };
    metricExporter = m;
    spanExporter = sp;
  }
  // No global context manager here: spans name their parents (instruments.ts), so no async
  // context is carried through every promise. The Azure Monitor distro installs its own.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: EXPORT_INTERVAL_MS });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const spanProcessor = new BatchSpanProcessor(spanExporter);
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  telemetry.use(meterProvider.getMeter(SERVICE), tracerProvider.getTracer(SERVICE));
  return {
    mode,
    ...memory,
    flush: async () => {
      await reader.forceFlush();
      await spanProcessor.forceFlush();
    },
    shutdown: async () => {
      telemetry.off();
      await Promise.allSettled([meterProvider.shutdown(), tracerProvider.shutdown()]);
    },
  };
}

let started: Promise<TelemetryHandle> | undefined;

/** For the composition root: starts telemetry the first time it is asked for (off: nothing happens). */
export function startTelemetryOnce(settings: Config['telemetry']): Promise<TelemetryHandle | undefined> {
  if (settings.mode === 'off') return Promise.resolve(undefined);
  started ??= startTelemetry(settings);
  return started;
}
