// The benchmark tool surface on the official TypeScript SDK (1.x): one McpServer and one
// StreamableHTTPServerTransport per session, on Node's http server, in one Node process.
//
//   node server.mjs --listen 127.0.0.1:8080 [--mode json|sse]
//
// --mode json sets enableJsonResponse; sse leaves it off. Resumption uses the SDK's own
// InMemoryEventStore (shipped in its examples).
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { z } from "zod";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest, SubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { InMemoryEventStore } from "@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js";

const { values } = parseArgs({
  options: { listen: { type: "string", default: "127.0.0.1:8080" }, mode: { type: "string", default: "json" } },
});
const [host, port] = [values.listen.slice(0, values.listen.lastIndexOf(":")), Number(values.listen.split(":").pop())];
const TICK = "bench://tick";
const transports = new Map(); // session id -> transport
const subscribers = new Set(); // McpServer of sessions subscribed to bench://tick

function newServer() {
  const server = new McpServer({ name: "ts-bench", version: "1.0.0" }, { capabilities: { resources: { subscribe: true } } });
  server.registerTool("echo", { description: "Echo the text back", inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: "text", text }],
  }));
  server.registerTool("calculate", { description: "Add two numbers", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: "text", text: String(a + b) }],
  }));
  server.registerTool(
    "bump",
    { description: "Send k progress notifications, then return k", inputSchema: { k: z.number().int(), pad: z.number().int().optional() } },
    async ({ k, pad }, extra) => {
      const token = extra._meta?.progressToken;
      const message = pad ? "x".repeat(pad) : undefined;
      if (token !== undefined) {
        for (let i = 1; i <= k; i++) {
          await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: i, total: k, message } });
        }
      }
      return { content: [{ type: "text", text: String(k) }] };
    },
  );
  server.registerTool("touch", { description: "Announce an update of bench://tick to every subscriber" }, async () => {
    let reached = 0;
    for (const s of subscribers) {
      try {
        await s.server.sendResourceUpdated({ uri: TICK });
        reached++;
      } catch {
        subscribers.delete(s);
      }
    }
    return { content: [{ type: "text", text: String(reached) }] };
  });
  server.registerResource("tick", TICK, {}, async (uri) => ({ contents: [{ uri: uri.href, text: "tick" }] }));
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    if (request.params.uri === TICK) subscribers.add(server);
    return {};
  });
  return server;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const http = createServer(async (req, res) => {
  try {
    const id = req.headers["mcp-session-id"];
    let body;
    if (req.method === "POST") body = JSON.parse((await readBody(req)).toString("utf8"));
    let transport = id ? transports.get(id) : undefined;
    if (!transport) {
      if (id || req.method !== "POST" || !isInitializeRequest(body)) {
        res.writeHead(id ? 404 : 400).end();
        return;
      }
      const server = newServer();
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: values.mode === "json",
        eventStore: new InMemoryEventStore(),
        onsessioninitialized: (sid) => transports.set(sid, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId);
        subscribers.delete(server);
      };
      await server.connect(transport);
    }
    await transport.handleRequest(req, res, body);
  } catch (e) {
    if (!res.headersSent) res.writeHead(500).end(String(e));
  }
});
http.listen(port, host, () => console.error(`ts-bench listening on ${host}:${port}`));
