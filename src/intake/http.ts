// HTTP beacons: request -> candidates -> pipeline -> status. Every bad input ends in a 4xx with a
// readable reason and a dead-letter entry; 2xx only once the records are durable; 503 otherwise.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Config } from '../config.js';
import { resolveClientIp } from '../enrich/client-ip.js';
import { clientHintsFromHeaders } from '../enrich/device.js';
import { NotDurableError } from '../ingest/batcher.js';
import type { DeadLetterStore } from '../ingest/deadletter/store.js';
import type { Pipeline, PipelineResult } from '../pipeline.js';
import { decodeContent, IntakeError, readCapped } from './body.js';
import { CorsPolicy } from './cors.js';
import { bytesToText, formatFor, parseRecords, type Candidate } from './records.js';

export interface HttpIntakeDeps {
  config: Config;
  pipeline: Pipeline;
  deadLetter: DeadLetterStore;
}

const ALLOW_HEADERS = 'Content-Type, Content-Encoding, CMCD-Object, CMCD-Request, CMCD-Session, CMCD-Status';
const RAW_KEEP = 4096;

const policies = new WeakMap<Config, CorsPolicy>();
function corsFor(config: Config): CorsPolicy {
  let p = policies.get(config);
  if (!p) policies.set(config, (p = new CorsPolicy(config.http.corsOrigins)));
  return p;
}

function json(status: number, body: unknown, headers: Record<string, string>): HttpResponseInit {
  return { status, jsonBody: body, headers: { ...headers, 'Cache-Control': 'no-store' } };
}

export async function handleBeaconRequest(request: HttpRequest, context: InvocationContext, deps: HttpIntakeDeps): Promise<HttpResponseInit> {
  const { config } = deps;
  const cors = corsFor(config);
  const origin = request.headers.get('origin');

  if (request.method === 'OPTIONS') {
    if (!origin || !cors.allows(origin)) return { status: 403, headers: { Vary: 'Origin' }, body: 'origin not allowed' };
    return { status: 204, headers: cors.preflightHeaders(origin, ALLOW_HEADERS) };
  }
  const headers = cors.responseHeaders(origin);
  if (origin && !cors.allows(origin)) return json(403, { error: `origin ${origin} is not allowed` }, headers);

  const receivedAt = new Date();
  const sourceRef = null;
  let text: string | undefined;
  try {
    const declared = Number(request.headers.get('content-length') ?? NaN);
    if (declared > config.http.maxBodyBytes) throw new IntakeError(413, `body is larger than ${config.http.maxBodyBytes} bytes`);
    const format = formatFor(request.headers.get('content-type'));
    const body = await readCapped(request.body, config.http.maxBodyBytes);
    const decoded = await decodeContent(body, request.headers.get('content-encoding'), config.http.maxDecodedBytes);
    text = bytesToText(decoded);
    const candidates: Candidate[] = parseRecords(text, format);
    if (candidates.length > config.http.maxRecordsPerRequest) {
      throw new IntakeError(413, `${candidates.length} records in one request; at most ${config.http.maxRecordsPerRequest}`);
    }
    const result = await deps.pipeline.process(candidates, {
      source: 'http',
      sourceRef,
      receivedAt,
      sender: {
        clientIp: resolveClientIp((n) => request.headers.get(n), undefined, config.clientIp),
        userAgent: request.headers.get('user-agent') ?? undefined,
        clientHints: clientHintsFromHeaders((n) => request.headers.get(n)),
      },
    });
    return answer(result, headers);
  } catch (err) {
    if (err instanceof IntakeError) {
      return refuse(err, text, receivedAt, deps, context, headers);
    }
    if (err instanceof NotDurableError) {
      context.warn(`beacons: not durable, answering 503: ${err.message}`);
      return json(503, { error: 'temporarily unable to store beacons; retry later' }, { ...headers, 'Retry-After': String(config.http.retryAfterSeconds) });
    }
    throw err;
  }
}

function answer(result: PipelineResult, headers: Record<string, string>): HttpResponseInit {
  return json(result.accepted > 0 ? 202 : 400, { accepted: result.accepted, rejected: result.rejected }, headers);
}

/** A request refused whole: keep a record of it (reason, and the start of the text if there was one). */
async function refuse(
  err: IntakeError,
  text: string | undefined,
  receivedAt: Date,
  deps: HttpIntakeDeps,
  context: InvocationContext,
  headers: Record<string, string>,
): Promise<HttpResponseInit> {
  try {
    await deps.deadLetter.writeRejected({
      source: 'http',
      sourceRef: null,
      receivedAt,
      records: [{ index: 0, errors: [`${err.status}: ${err.message}`], raw: text?.slice(0, RAW_KEEP) }],
    });
  } catch (dlErr) {
    context.warn(`beacons: could not keep a record of a refused request: ${(dlErr as Error).message}`);
  }
  return json(err.status, { error: err.message, accepted: 0, rejected: [{ index: 0, errors: [err.message] }] }, headers);
}
