// An MCP Events server built on the published `mcp-handler` package (its experimental
// `experimental_registerMcpEvents`), for Spate's webhook client tests. `mcp-handler` answers
// events/list, events/subscribe and events/unsubscribe but makes no outbound HTTP itself: the
// verification challenge and the signed deliveries come from the small worker below, which
// follows the Standard Webhooks profile SEP-3415 uses (HMAC-SHA256 over
// `webhook-id.webhook-timestamp.body`, keyed with the decoded `whsec_` secret).
//
// One event type, `demo.ping` (arguments `{severity?: "P1" | "P2"}`, payload
// `{message: string, seq: integer}`), open to every authenticated principal. `Bearer dev-token`
// authenticates as `dev:alice`; nothing else authenticates.
//
// After the first grant of a subscription the worker delivers EVENT_COUNT events to it, one
// after the other, each retried on 503/5xx/network errors (0.25 s doubling to 4 s, for up to
// 60 s); `webhook-id` is the `eventId` (the design sketch's and ChatGPT's profile), the body
// carries a string cursor `cursor-<seq>`. With EVENT_REDELIVER=1 (the default) the first event
// is then delivered once more, same `webhook-id`, as a sender retry whose 2xx was lost would.
//
// Environment: PORT (default 0: any), RECV_CA (PEM file: the only certificate authority the
// worker trusts for callbacks, which must be https://127.0.0.1), EVENT_COUNT (default 5),
// EVENT_REDELIVER (default 1).
//
// Prints `listening on http://127.0.0.1:<port>/mcp` as its first stdout line, then one JSON line
// per happening the tests look at: {"upsert": {id, cursor}}, {"remove": {id, existed}},
// {"verification": {id, status}}, {"delivered": {id, eventId, status, attempts}},
// {"abandoned": {id, eventId, reason}}.

import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The packages come from the pinned install scripts/interop-setup makes
// ($SPATE_EVENTS_NODE_MODULES, default .interop/events/node_modules), or from a node_modules
// beside this file.
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODULES =
  process.env.SPATE_EVENTS_NODE_MODULES ??
  [path.join(HERE, 'node_modules'), path.resolve(HERE, '../../.interop/events/node_modules')].find(existsSync);
if (!MODULES || !existsSync(path.join(MODULES, 'mcp-handler'))) {
  console.error('cannot find mcp-handler: run scripts/interop-setup events first');
  process.exit(2);
}
const resolveFrom = createRequire(path.join(MODULES, '..', 'package.json'));
const load = (name) => import(pathToFileURL(resolveFrom.resolve(name)).href);

const { createMcpHandler, experimental_registerMcpEvents, experimental_validateMcpEventDelivery, withMcpAuth } =
  await load('mcp-handler');
const { z } = await load('zod');

const PORT = Number(process.env.PORT ?? 0);
const CA = process.env.RECV_CA ? readFileSync(process.env.RECV_CA) : undefined;
const EVENT_COUNT = Number(process.env.EVENT_COUNT ?? 5);
const EVENT_REDELIVER = (process.env.EVENT_REDELIVER ?? '1') === '1';
const PRINCIPAL = 'dev:alice';

const report = (what) => process.stdout.write(`${JSON.stringify(what)}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the event type ------------------------------------------------------------------------
const ping = {
  name: 'demo.ping',
  description: 'A ping, delivered a few times after each new subscription',
  inputSchema: z.object({ severity: z.enum(['P1', 'P2']).optional() }),
  payloadSchema: z.object({ message: z.string(), seq: z.number().int() }),
  authorize: () => true,
};

// ---- the subscription store (in memory; one process, one test) ----------------------------
const pending = new Map(); // subscription id -> operation id of the attempt in flight
const grants = new Map(); // subscription id -> the granted subscription
const started = new Set(); // subscription ids whose deliveries were scheduled

const subscriptions = {
  async prepare(key) {
    const operation = randomUUID();
    pending.set(key.id, operation);
    return operation;
  },
  async upsert(subscription, _context, operation) {
    if (pending.get(subscription.id) !== operation) {
      throw new Error('stale subscribe attempt');
    }
    pending.delete(subscription.id);
    grants.set(subscription.id, subscription);
    report({ upsert: { id: subscription.id, cursor: subscription.cursor } });
    if (!started.has(subscription.id)) {
      started.add(subscription.id);
      // After the grant, not inside it: the client may not know the id yet, so the first
      // attempts can meet its "not routable yet" 503, which the worker retries.
      setTimeout(() => deliverAll(subscription.id).catch((e) => report({ error: String(e) })), 0);
    }
    return { cursor: subscription.cursor ?? null, truncated: false };
  },
  async remove(key) {
    pending.delete(key.id);
    const existed = grants.delete(key.id);
    report({ remove: { id: key.id, existed } });
    return existed;
  },
};

// ---- Standard Webhooks signing and the HTTPS client ---------------------------------------
function sign(secret, messageId, timestamp, body) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const mac = createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

// One signed POST; resolves {status, body} or rejects on a network error. Callbacks must be
// https on 127.0.0.1 and are trusted through RECV_CA only; redirects are never followed
// (node:https does not follow them).
function post(target, messageId, body) {
  const url = new URL(target.url);
  if (url.protocol !== 'https:' || url.hostname !== '127.0.0.1') {
    return Promise.reject(new Error(`callback refused: ${target.url}`));
  }
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const headers = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'webhook-id': messageId,
    'webhook-timestamp': timestamp,
    'webhook-signature': sign(target.secret, messageId, timestamp, body),
    'X-MCP-Subscription-Id': target.id,
  };
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: 'POST', headers, ca: CA, timeout: 10_000, agent: false },
      (response) => {
        const chunks = [];
        let size = 0;
        response.on('data', (chunk) => {
          size += chunk.length;
          if (size <= 65_536) chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end(body);
  });
}

// ---- endpoint verification (before any grant) ----------------------------------------------
const delivery = {
  async verifyEndpoint(target) {
    const challenge = randomBytes(24).toString('base64url');
    const body = JSON.stringify({ type: 'verification', challenge });
    const messageId = `msg_verification_${randomBytes(12).toString('hex')}`;
    let answer;
    try {
      answer = await post(target, messageId, body);
    } catch (e) {
      report({ verification: { id: target.id, error: String(e) } });
      return { verified: false, reason: /timeout/.test(String(e)) ? 'timeout' : 'connection_refused' };
    }
    report({ verification: { id: target.id, status: answer.status } });
    if (answer.status < 200 || answer.status > 299) {
      return { verified: false, reason: answer.status >= 500 ? 'http_5xx' : 'http_4xx' };
    }
    let echoed;
    try {
      echoed = JSON.parse(answer.body)?.challenge;
    } catch {
      echoed = undefined;
    }
    const ok =
      typeof echoed === 'string' &&
      echoed.length === challenge.length &&
      timingSafeEqual(Buffer.from(echoed), Buffer.from(challenge));
    return ok ? { verified: true } : { verified: false, reason: 'challenge_failed' };
  },
};

// ---- the delivery worker -------------------------------------------------------------------
async function deliverOne(id, event) {
  const body = JSON.stringify(event);
  let backoff = 250;
  const deadline = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    const subscription = grants.get(id);
    try {
      await experimental_validateMcpEventDelivery({ event: ping, subscription, payload: event.data });
    } catch (e) {
      report({ abandoned: { id, eventId: event.eventId, reason: e.code ?? String(e) } });
      return;
    }
    let status;
    try {
      ({ status } = await post(subscription, event.eventId, body));
    } catch (e) {
      status = String(e);
    }
    if (typeof status === 'number' && status >= 200 && status <= 299) {
      report({ delivered: { id, eventId: event.eventId, status, attempts: attempt } });
      return;
    }
    const retry = typeof status !== 'number' || status === 503 || status === 425 || status >= 500;
    if (!retry || Date.now() > deadline) {
      report({ abandoned: { id, eventId: event.eventId, reason: `status ${status}` } });
      return;
    }
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 4_000);
  }
}

async function deliverAll(id) {
  const events = [];
  for (let seq = 1; seq <= EVENT_COUNT; seq++) {
    events.push({
      eventId: `evt_${id.slice(-8)}_${seq}`,
      name: ping.name,
      timestamp: new Date().toISOString(),
      data: { message: `ping ${seq}`, seq },
      cursor: `cursor-${seq}`,
    });
  }
  for (const event of events) await deliverOne(id, event);
  if (EVENT_REDELIVER && events.length > 0) await deliverOne(id, events[0]);
}

// ---- the MCP endpoint ----------------------------------------------------------------------
const mcp = createMcpHandler(
  (server) => {
    experimental_registerMcpEvents(server, {
      getPrincipal: (authInfo) => authInfo.extra?.principal,
      events: [ping],
      subscriptions,
      delivery,
    });
  },
  { serverInfo: { name: 'mcp-handler-events', version: '2.4.0' } },
);
const handler = withMcpAuth(
  mcp,
  (_request, token) =>
    token === 'dev-token'
      ? { token, clientId: 'spate-interop', scopes: [], extra: { principal: PRINCIPAL } }
      : undefined,
  { required: false },
);

const httpServer = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
      else if (value !== undefined) headers.set(name, value);
    }
    const request = new Request(`http://127.0.0.1:${httpServer.address().port}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
    if (response.body) {
      for await (const chunk of response.body) res.write(chunk);
    }
    res.end();
  } catch (e) {
    report({ error: String(e) });
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
});

httpServer.listen(PORT, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${httpServer.address().port}/mcp\n`);
});
