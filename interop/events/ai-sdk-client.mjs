// The Vercel AI SDK's MCP client (`@ai-sdk/mcp`) as a webhook subscriber of a Spate server:
// its own receiver (`experimental_createMCPEventWebhook`) on plain http 127.0.0.1 (the
// client's `allowInsecureLocalhost` development switch), its own subscribe, refresh and
// unsubscribe. The test driving it (crates/spate/tests/it/peers/events_peers.rs) emits the
// events; this script reports on stdout, one line each:
//   subscribed <id>          after events/subscribe answered (the test then emits N events)
//   refreshed <id>           after the N events arrived and a refresh answered (one more)
//   done <n,n,...>           after event N+1 arrived and unsubscribe answered; exit 0
// Every event's `data.n` is listed in arrival order, duplicates included, so the test
// counts loss, duplication and order. Any failure exits 1 with the reason on stderr.
//
// Environment: MCP_URL (the Spate endpoint), EVENT_NAME, EVENT_COUNT (N),
// SPATE_EVENTS_NODE_MODULES.
import { existsSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The package comes from the pinned install scripts/interop-setup makes
// ($SPATE_EVENTS_NODE_MODULES, default .interop/events/node_modules).
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODULES =
  process.env.SPATE_EVENTS_NODE_MODULES ?? path.resolve(HERE, '../../.interop/events/node_modules');
if (!existsSync(path.join(MODULES, '@ai-sdk', 'mcp'))) {
  console.error('cannot find @ai-sdk/mcp: run scripts/interop-setup events first');
  process.exit(2);
}
const resolveFrom = createRequire(path.join(MODULES, '..', 'package.json'));
const { createMCPClient, experimental_createMCPEventWebhook: createWebhook } = await import(
  pathToFileURL(resolveFrom.resolve('@ai-sdk/mcp')).href
);

const mcpUrl = process.env.MCP_URL;
const eventName = process.env.EVENT_NAME ?? 'tick';
const count = Number(process.env.EVENT_COUNT ?? '100');
const fail = (why) => {
  console.error(`ai-sdk-client: ${why?.stack ?? why}`);
  process.exit(1);
};
setTimeout(() => fail('timed out'), 90_000).unref();

// A Map-backed store, shared by the client and the receiver (it holds the secret).
const rows = new Map();
const store = {
  async get(key) { return rows.get(key); },
  async getById(id) { return [...rows.values()].find((row) => row.id === id); },
  async set(row) { rows.set(row.key, row); },
  async update(key, patch) { rows.set(key, { ...rows.get(key), ...patch }); },
  async delete(key) { rows.delete(key); },
};

const seen = [];
let waiting = null; // resolves when `seen` reaches a length
const until = (length) => new Promise((resolve) => {
  waiting = { length, resolve };
  check();
});
function check() {
  if (waiting && seen.length >= waiting.length) {
    const { resolve } = waiting;
    waiting = null;
    resolve();
  }
}

const handler = createWebhook({
  store,
  onEvent: async ({ event }) => {
    seen.push(event.data.n);
    check();
  },
  onError: (error) => console.error(`receiver: ${error}`),
});

// node:http → Web Request → the AI SDK's handler → node:http.
const receiver = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const request = new Request(`http://127.0.0.1:${port}${req.url}`, {
    method: req.method,
    headers: req.headers,
    body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
  });
  const response = await handler(request);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const port = receiver.address().port;

try {
  const client = await createMCPClient({
    transport: { type: 'http', url: mcpUrl },
    experimental_events: { store },
  });
  const events = client.experimental_events;
  const listed = await events.list();
  const type = listed.events.find((e) => e.name === eventName);
  if (!type || !type.delivery.includes('webhook')) {
    fail(`no webhook type ${eventName} in ${JSON.stringify(listed)}`);
  }
  const subscribed = await events.subscribe({
    name: eventName,
    arguments: {},
    delivery: {
      mode: 'webhook',
      url: `http://127.0.0.1:${port}/hooks`,
      allowInsecureLocalhost: true,
    },
    ttlMs: 600_000,
  });
  console.log(`subscribed ${subscribed.id}`);
  await until(count);
  const refreshed = await events.refresh({ id: subscribed.id });
  if (refreshed.id !== subscribed.id) fail(`refresh changed the id to ${refreshed.id}`);
  console.log(`refreshed ${refreshed.id}`);
  await until(count + 1);
  await events.unsubscribe({ id: subscribed.id });
  console.log(`done ${seen.join(',')}`);
  await client.close();
  receiver.close();
  process.exit(0);
} catch (error) {
  fail(error);
}
