// HTTP intake: request -> candidates -> pipeline -> status, shared by the beacon and CMCD routes.
// Every bad input ends in a 4xx with a readable reason and a dead-letter entry; 2xx only once the
// records are durable; 503 + Retry-After otherwise. Never 410: to a CMCD reporter (dash.js, the
// SVTA CmcdReporter) 410 means "stop sending for the rest of the session".
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Source } from '../../beacon/qoe-event.js';
import type { Config } from '../../config.js';
import { resolveClientIp, scrubAddresses } from '../../enrich/client-ip.js';
import { clientHintsFromHeaders } from '../../enrich/device.js';
import type { DeadLetterStore } from '../../ingest/deadletter/store.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import { decodeContent, readCapped } from './body-reader.js';
import { errorMessage, IntakeError, NotDurableError } from '../../errors.js';
import { CMCD_MEDIA_TYPES, candidatesWithCmcd, cmcdRequestCandidate } from '../cmcd/candidates.js';
import { cmcdFromRequest, type RequestCmcd } from '../cmcd/decode.js';
import { CorsPolicy } from './cors.js';
import { bytesToText, formatFor, mediaType, parseRecords, type BodyFormat } from './body-parser.js';
import type { Candidate, PipelineResult } from '../../pipeline/contract.js';
import { boundedRaw } from '../../pipeline/values.js';

export interface HttpIntakeDeps {
  config: Config;
  pipeline: Pipeline;
  deadLetter: DeadLetterStore;
}

type Headers = Record<string, string>;

/** What differs between the routes: which bodies they take and how they answer. */
interface Route {
  name: string;
  formatFor(contentType: string | null): BodyFormat;
  answer(result: PipelineResult, headers: Headers): HttpResponseInit;
}

const ALLOW_HEADERS = 'Content-Type, Content-Encoding, CMCD-Object, CMCD-Request, CMCD-Session, CMCD-Status';

const policies = new WeakMap<Config, CorsPolicy>();
function corsFor(config: Config): CorsPolicy {
  let p = policies.get(config);
  if (!p) policies.set(config, (p = new CorsPolicy(config.http.corsOrigins)));
  return p;
}

function json(status: number, body: unknown, headers: Headers): HttpResponseInit {
  return { status, jsonBody: body, headers: { ...headers, 'Cache-Control': 'no-store' } };
}

/** `/api/beacons`: 202 `{accepted, rejected}` when at least one record was accepted, else 400 (same shape). */
const BEACONS: Route = {
  name: 'beacons',
  formatFor,
  answer: (result, headers) => json(result.accepted > 0 ? 202 : 400, { accepted: result.accepted, rejected: result.rejected }, headers),
};

/**
 * `/api/cmcd`: CMCD event reports (one line per event). 204 when every line was accepted, 202
 * `{accepted, rejected}` when some were rejected, 400 (same shape) when none was.
 */
const CMCD: Route = {
  name: 'cmcd',
  formatFor(contentType) {
    const type = mediaType(contentType);
    if (type === '' || type === 'text/plain' || CMCD_MEDIA_TYPES.includes(type)) return 'cmcd';
    throw new IntakeError(
      415,
      `unsupported Content-Type "${type}"; send ${CMCD_MEDIA_TYPES.join(', ')} or text/plain (JSON beacons go to /api/beacons)`,
    );
  },
  answer(result, headers) {
    if (result.rejected.length === 0) return { status: 204, headers: { ...headers, 'Cache-Control': 'no-store' } };
    return BEACONS.answer(result, headers);
  },
};

export function handleBeaconRequest(request: HttpRequest, context: InvocationContext, deps: HttpIntakeDeps): Promise<HttpResponseInit> {
  return handleIntake(request, context, deps, BEACONS);
}

export function handleCmcdRequest(request: HttpRequest, context: InvocationContext, deps: HttpIntakeDeps): Promise<HttpResponseInit> {
  return handleIntake(request, context, deps, CMCD);
}

async function handleIntake(
  request: HttpRequest,
  context: InvocationContext,
  deps: HttpIntakeDeps,
  route: Route,
): Promise<HttpResponseInit> {
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
  let source: Source = 'http';
  let text: string | undefined;
  try {
    const declared = Number(request.headers.get('content-length') ?? NaN);
    if (declared > config.http.maxBodyBytes) throw new IntakeError(413, `body is larger than ${config.http.maxBodyBytes} bytes`);
    const format = route.formatFor(request.headers.get('content-type'));
    if (format === 'cmcd') source = 'cmcd';
    const body = await readCapped(request.body, config.http.maxBodyBytes);
    const decoded = await decodeContent(
      body,
      request.headers.get('content-encoding'),
      config.http.maxDecodedBytes,
      config.http.maxDecodeRatio,
    );
    text = bytesToText(decoded);
    const requestCmcd = cmcdFromRequest((n) => request.headers.get(n), request.query);
    const candidates = toCandidates(text, format, requestCmcd, receivedAt, config.http.maxRecordsPerRequest);
    if (requestCmcd && text.trim() === '') source = 'cmcd';
    if (candidates.length > config.http.maxRecordsPerRequest) {
      throw new IntakeError(413, `${candidates.length} records in one request; at most ${config.http.maxRecordsPerRequest}`);
    }
    const result = await deps.pipeline.process(candidates, {
      source,
      sourceRef: null,
      receivedAt,
      sender: {
        clientIp: resolveClientIp((n) => request.headers.get(n), undefined, config.clientIp),
        userAgent: request.headers.get('user-agent') ?? undefined,
        clientHints: clientHintsFromHeaders((n) => request.headers.get(n)),
      },
    });
    return route.answer(result, headers);
  } catch (err) {
    if (err instanceof IntakeError) {
      return refuse(err, text, source, receivedAt, deps, context, headers, route);
    }
    if (err instanceof NotDurableError) {
      context.warn(scrubAddresses(`${route.name}: not durable, answering 503: ${err.message}`));
      return json(
        503,
        { error: 'temporarily unable to store the records; retry later' },
        { ...headers, 'Retry-After': String(config.http.retryAfterSeconds) },
      );
    }
    throw err;
  }
}

/**
 * Body -> candidates. A request without a body whose query or headers carry CMCD is itself one
 * CMCD report (a player or CDN edge function forwarding a media request's CMCD). Otherwise the
 * request's CMCD goes under every record: under each CMCD line's keys, into each JSON beacon's
 * `cmcd` (the record's own values win).
 */
function toCandidates(
  text: string,
  format: BodyFormat,
  requestCmcd: RequestCmcd | null,
  receivedAt: Date,
  maxRecords: number,
): Candidate[] {
  const fallbackTs = receivedAt.getTime();
  if (requestCmcd && text.trim() === '') return [cmcdRequestCandidate(requestCmcd, { fallbackTs })];
  if (format === 'cmcd') return parseRecords(text, format, { requestCmcd, fallbackTs }, maxRecords);
  return candidatesWithCmcd(parseRecords(text, format, undefined, maxRecords), requestCmcd);
}

/**
 * A request refused whole: keep a record of it (reason, and the start of the text if there was
 * one), then answer the 4xx. When that record cannot be kept, 503 + Retry-After: a 4xx would tell
 * the sender to drop what nobody kept.
 */
async function refuse(
  err: IntakeError,
  text: string | undefined,
  source: Source,
  receivedAt: Date,
  deps: HttpIntakeDeps,
  context: InvocationContext,
  headers: Headers,
  route: Route,
): Promise<HttpResponseInit> {
  try {
    await deps.deadLetter.writeRejected({
      source,
      sourceRef: null,
      receivedAt,
      records: [{ index: 0, errors: [`${err.status}: ${err.message}`], raw: text === undefined ? undefined : boundedRaw(text) }],
    });
  } catch (dlErr) {
    context.warn(scrubAddresses(`${route.name}: could not keep a record of a refused request, answering 503: ${errorMessage(dlErr)}`));
    return json(
      503,
      { error: 'temporarily unable to keep a record of the refused request; retry later' },
      { ...headers, 'Retry-After': String(deps.config.http.retryAfterSeconds) },
    );
  }
  return json(err.status, { error: err.message, accepted: 0, rejected: [{ index: 0, errors: [err.message] }] }, headers);
}
