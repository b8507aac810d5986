#!/usr/bin/env node
// Drive an MCP server over HTTP with the official TypeScript SDK client (@modelcontextprotocol/sdk,
// v1 line, pinned in package.json next to this file) and check its answers.
//
// Usage:
//   node check_http_server.mjs [--timeout SECONDS] [--verbose] [--transport streamable|sse] -- COMMAND [ARGS...]
//
// for example
//   node interop/ts/check_http_server.mjs -- target/debug/spate serve --listen 127.0.0.1:0
//
// The check starts COMMAND itself and stops it at the end (SIGTERM, then SIGKILL). Give the
// server port 0: the check reads the first `http://HOST:PORT` the server prints (stdout or
// stderr, both passed through to stderr) and talks to `<origin>/mcp` (Streamable HTTP,
// `StreamableHTTPClientTransport`, the default) or `<origin>/sse` (the 2024-11-05 HTTP+SSE
// transport, `SSEClientTransport`, with --transport sse).
//
// The SDK is resolved normally (a node_modules above this file) or, failing that, from the peers
// that scripts/test installs: $SPATE_INTEROP_DIR/node/node_modules (default <repo>/.interop).
//
// Expectations (the same contract as interop/python/check_http_server.py, see interop/README.md):
//   1. connect + initialize; serverInfo.name non-empty; ping; tools/list has calculate,
//      process_files, ask_model, confirm_action (Streamable HTTP: the initialize answer carries
//      an Mcp-Session-Id that every later request repeats);
//   2. calculate {a: 10, b: 20} -> text exactly "Result: 30";
//   3. process_files {files: [a.txt, b.txt, c.txt], delay_ms: 50} -> on a raw tap of the JSON-RPC
//      messages exactly 3 progress notifications with the token sent, strictly increasing, total 3,
//      all before the response; 3 info logs "Processing document i/3" in order; text "Done...".
//      The SDK's onprogress plus the progress it drops as "unknown token" (SDK 1.x handles a
//      notification a microtask after a response, see check_stdio_server.mjs) must add up to 3;
//   4. ask_model {prompt} -> exactly one sampling/createMessage carrying the prompt; the text
//      returned contains the handler's answer;
//   5. confirm_action {action} -> exactly one elicitation/create; accepting returns "User accept...";
//      every notification or response the client POSTs is answered 202;
//   6. Streamable HTTP only, resumption: process_files over 6 files (delay_ms 150) with a progress
//      token; after the 2nd progress notification the transport is closed (all its connections are
//      aborted, the session is not deleted), a NEW transport is built with the same session id and
//      the call is resumed through `client.request(..., {resumptionToken})`, which the SDK turns
//      into `GET /mcp` with `Last-Event-ID`. Over both connections, progress 1..6 and the response
//      must each arrive exactly once, in order (no duplicates, no gaps), SSE event ids never repeat;
//      logs 1..6 likewise; the result starts with "Done";
//   7. Streamable HTTP only: closing terminates the session with DELETE, answered 200/204.
//
// Exit status 0 when all hold; 1 with a "FAIL:" line naming the step otherwise (also on the hard
// --timeout, default 60 s); 2 for bad usage.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const USAGE =
  "usage: node check_http_server.mjs [--timeout SECONDS] [--verbose] [--transport streamable|sse] -- COMMAND [ARGS...]";

async function importSdk(subpath) {
  try {
    return await import(`@modelcontextprotocol/sdk/${subpath}`);
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
    const interop = process.env.SPATE_INTEROP_DIR || path.resolve(HERE, "../../.interop");
    const file = path.join(interop, "node/node_modules/@modelcontextprotocol/sdk/dist/esm", subpath);
    if (!existsSync(file)) {
      console.error(
        `cannot find @modelcontextprotocol/sdk (looked for ${file}); run scripts/test or scripts/interop-setup first`,
      );
      process.exit(2);
    }
    return await import(pathToFileURL(file).href);
  }
}

const { Client } = await importSdk("client/index.js");
const { StreamableHTTPClientTransport } = await importSdk("client/streamableHttp.js");
const { SSEClientTransport } = await importSdk("client/sse.js");
const {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  LoggingMessageNotificationSchema,
} = await importSdk("types.js");
const sdkVersion = await sdkPackageVersion();

const TAG = `[ts-http-check sdk ${sdkVersion}]`;
let verbose = false;
let step = "start";
let server = null; // the ServerProcess, so a timeout or a crash can stop it

// What the sampling and elicitation handlers answer; the tools must hand it back.
const MODEL = "spate-check-model";
const MODEL_REPLY = "forty-two";
const PROMPT = "hello";
const ACCEPTED = { confirm: true, note: "ok" };
const REQUIRED_TOOLS = ["calculate", "process_files", "ask_model", "confirm_action"];

class CheckFailure extends Error {}

const info = (msg) => console.log(`${TAG} ${msg}`);
const debug = (msg) => verbose && console.log(`${TAG}   ${msg}`);
const short = (value, limit = 400) => {
  const text = JSON.stringify(value);
  return text && text.length > limit ? `${text.slice(0, limit)}...` : text;
};
function expect(cond, msg) {
  if (!cond) throw new CheckFailure(msg);
}
const texts = (result) => (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text);
const dataText = (data) => (typeof data === "string" ? data : JSON.stringify(data));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitUntil(predicate, ms) {
  const deadline = Date.now() + ms;
  while (!predicate() && Date.now() < deadline) await sleep(20);
  return predicate();
}
const isResponse = (m) => m && "id" in m && ("result" in m || "error" in m) && !("method" in m);

async function sdkPackageVersion() {
  try {
    const { createRequire } = await import("node:module");
    const entry = fileURLToPath(import.meta.resolve("@modelcontextprotocol/sdk/client/index.js"));
    return createRequire(entry)("../../../package.json").version;
  } catch {
    try {
      const interop = process.env.SPATE_INTEROP_DIR || path.resolve(HERE, "../../.interop");
      const pkg = path.join(interop, "node/node_modules/@modelcontextprotocol/sdk/package.json");
      return JSON.parse(readFileSync(pkg, "utf8")).version;
    } catch {
      return "?";
    }
  }
}

// ---- the server process ------------------------------------------------------------------------

const URL_RE = /https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d+/;

class ServerProcess {
  constructor(command) {
    this.command = command;
    this.child = null;
    this.exited = null; // {code, signal} once the process is gone
  }

  /** Starts the server and resolves to its origin (`http://host:port`). */
  start(waitMs = 15000) {
    return new Promise((resolve, reject) => {
      let found = false;
      const child = spawn(this.command[0], this.command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
      this.child = child;
      const timer = setTimeout(() => {
        if (!found) reject(new CheckFailure(`the server printed no http://HOST:PORT address within ${waitMs / 1000} s`));
      }, waitMs);
      const pump = (stream) => {
        let pending = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk) => {
          process.stderr.write(chunk);
          if (found) return;
          pending += chunk;
          const lines = pending.split("\n");
          pending = lines.pop();
          for (const line of lines) {
            const match = URL_RE.exec(line);
            if (match && !found) {
              found = true;
              clearTimeout(timer);
              if (/:0$/.test(match[0])) {
                reject(new CheckFailure(`the server printed port 0 (${match[0]}); it must print the port it bound`));
              } else {
                resolve(match[0]);
              }
            }
          }
        });
      };
      pump(child.stdout);
      pump(child.stderr);
      child.on("error", (err) => {
        clearTimeout(timer);
        this.exited = { code: null, signal: null };
        reject(new CheckFailure(`cannot start the server ${short(this.command)}: ${err.message}`));
      });
      child.on("exit", (code, signal) => {
        this.exited = { code, signal };
        if (!found) {
          clearTimeout(timer);
          reject(
            new CheckFailure(
              `the server exited with ${signal ?? `status ${code}`} before printing its http:// address (its output is above)`,
            ),
          );
        }
      });
    });
  }

  running() {
    return this.child && !this.exited;
  }

  /** SIGTERM, then SIGKILL after 3 s. */
  async stop() {
    if (!this.running()) return;
    this.child.kill("SIGTERM");
    if (!(await waitUntil(() => !this.running(), 3000))) {
      this.child.kill("SIGKILL");
      await waitUntil(() => !this.running(), 3000);
    }
  }

  kill() {
    if (this.running()) this.child.kill("SIGKILL");
  }
}

// ---- taps ----------------------------------------------------------------------------------------

/**
 * What the client saw: every HTTP exchange (through the transports' `fetch` option) and every
 * JSON-RPC message in both directions (wrapping transport.onmessage / send before the SDK sees
 * them), each marked with the connection (1 = first transport, 2 = the resumed one).
 */
class Tap {
  constructor() {
    this.http = [];
    this.sent = [];
    this.received = [];
    this.events = []; // SSE events as read off the wire
    this.onReceive = null; // optional hook (message, conn)
  }

  fetch(conn) {
    return async (url, init = {}) => {
      const headers = new Headers(init.headers ?? {});
      const method = (init.method ?? "GET").toUpperCase();
      let rpc = {};
      if (method === "POST" && typeof init.body === "string") {
        try {
          const body = JSON.parse(init.body);
          if (body && typeof body === "object" && !Array.isArray(body)) rpc = body;
        } catch {
          // not JSON: recorded without an rpc part
        }
      }
      const entry = {
        conn,
        http: method,
        path: new URL(String(url)).pathname,
        rpcMethod: rpc.method,
        rpcId: rpc.id,
        rpcKind: "method" in rpc ? ("id" in rpc ? "request" : "notification") : "id" in rpc ? "response" : "",
        rpcTool: rpc.method === "tools/call" ? rpc.params?.name : undefined,
        sessionSent: headers.get("mcp-session-id"),
        versionSent: headers.get("mcp-protocol-version"),
        lastEventId: headers.get("last-event-id"),
        status: null,
        type: null,
        sessionGot: null,
      };
      this.http.push(entry);
      try {
        const response = await fetch(url, init);
        entry.status = response.status;
        entry.type = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
        entry.sessionGot = response.headers.get("mcp-session-id");
        debug(
          `http#${conn} ${method} ${entry.path} ${entry.rpcMethod ?? entry.rpcKind}${entry.lastEventId ? ` Last-Event-ID ${entry.lastEventId}` : ""} -> ${entry.status} ${entry.type}`,
        );
        if (entry.type === "text/event-stream" && response.body) {
          // Read a copy of the SSE body ourselves: the event ids as sent, whatever the SDK does.
          const [forSdk, forTap] = response.body.tee();
          this.readSse(forTap, entry);
          return new Response(forSdk, { status: response.status, statusText: response.statusText, headers: response.headers });
        }
        return response;
      } catch (err) {
        entry.error = String(err?.message ?? err);
        debug(`http#${conn} ${method} ${entry.path} ${entry.rpcMethod ?? entry.rpcKind} -> ${entry.error}`);
        throw err;
      }
    };
  }

  /** Parses an SSE body into `this.events` ({conn, http, id, event, message}); ends quietly on abort. */
  async readSse(stream, entry) {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let event = { id: undefined, event: undefined, data: [] };
    const dispatch = () => {
      if (event.id !== undefined || event.data.length > 0) {
        let message;
        try {
          message = event.data.length ? JSON.parse(event.data.join("\n")) : undefined;
        } catch {
          message = event.data.join("\n");
        }
        this.events.push({ conn: entry.conn, http: entry.http, id: event.id, event: event.event, message });
      }
      event = { id: undefined, event: undefined, data: [] };
    };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop();
        for (const line of lines) {
          if (line === "") dispatch();
          else if (line.startsWith(":")) continue;
          else {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "id") event.id = val;
            else if (field === "event") event.event = val;
            else if (field === "data") event.data.push(val);
          }
        }
      }
    } catch {
      // aborted (the drop) or reset: what arrived is recorded
    }
  }

  /** Call before client.connect(transport): the SDK then calls our onmessage first. */
  attach(transport, conn) {
    transport.onmessage = (message) => {
      this.received.push({ conn, message, at: Date.now() });
      debug(`<-#${conn} ${short(message)}`);
      this.onReceive?.(message, conn);
    };
    const sdkSend = transport.send.bind(transport);
    transport.send = (message, options) => {
      this.sent.push({ conn, message });
      debug(`->#${conn} ${short(message)}${options?.resumptionToken ? ` (resume from ${options.resumptionToken})` : ""}`);
      return sdkSend(message, options);
    };
  }

  mark() {
    return { http: this.http.length, sent: this.sent.length, received: this.received.length, events: this.events.length };
  }
}

/** The one POST carrying tools/call `tool` since `mark`. */
function callPost(tap, mark, tool) {
  const posts = tap.http.slice(mark.http).filter((e) => e.http === "POST" && e.rpcTool === tool);
  expect(posts.length === 1, `expected one POST carrying tools/call ${tool}, saw ${short(posts, 1000)}`);
  return posts[0];
}

/** Every notification or response the client POSTed since `mark` was answered 202. */
async function checkClientPosts(tap, mark, what) {
  // The server may answer on the SSE stream before the 202 of the POST that made it possible
  // has reached us: wait for the POSTs in flight.
  const pending = () => tap.http.slice(mark.http).filter((e) => e.http === "POST" && e.status === null && !e.error);
  await waitUntil(() => pending().length === 0, 3000);
  for (const e of tap.http.slice(mark.http)) {
    if (e.http === "POST" && e.status === null && !e.error) {
      expect(false, `${what}: the client's ${e.rpcMethod ?? `response to id ${e.rpcId}`} POST got no HTTP answer within 3 s`);
    }
    if (e.http === "POST" && (e.rpcKind === "notification" || e.rpcKind === "response")) {
      expect(
        e.status === 202,
        `${what}: the client's ${e.rpcMethod ?? `response to id ${e.rpcId}`} POST got HTTP ${e.status ?? e.error} ${JSON.stringify(e.type)}, expected 202 Accepted`,
      );
    }
  }
}

// ---- the checks ----------------------------------------------------------------------------------

async function runChecks(origin, mode, timeoutMs) {
  const streamable = mode === "streamable";
  const url = new URL(streamable ? "/mcp" : "/sse", origin);
  info(`url: ${url.href} (${streamable ? "Streamable HTTP" : "HTTP+SSE 2024-11-05"})`);
  const tap = new Tap();
  const logs = [];
  const errors = [];
  const sampling = [];
  const elicitations = [];
  const opts = { timeout: timeoutMs };

  const client = new Client(
    { name: "spate-interop-ts-http-check", version: "1.0.0" },
    { capabilities: { sampling: {}, elicitation: { form: {} } } },
  );
  client.onerror = (err) => {
    errors.push(String(err?.message ?? err));
    debug(`client error: ${err?.message ?? err}`);
  };
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    logs.push(notification.params);
    debug(`log ${short(notification.params)}`);
  });
  client.setRequestHandler(CreateMessageRequestSchema, (request) => {
    sampling.push(request.params);
    debug(`sampling/createMessage ${short(request.params)}`);
    return { role: "assistant", content: { type: "text", text: MODEL_REPLY }, model: MODEL, stopReason: "endTurn" };
  });
  client.setRequestHandler(ElicitRequestSchema, (request) => {
    elicitations.push(request.params);
    debug(`elicitation/create ${short(request.params)} -> accept`);
    return { action: "accept", content: ACCEPTED };
  });

  let transport = streamable
    ? new StreamableHTTPClientTransport(url, { fetch: tap.fetch(1) })
    : new SSEClientTransport(url, { fetch: tap.fetch(1) });
  tap.attach(transport, 1);

  try {
    // 1. connect, initialize, tools/list
    step = "initialize";
    await client.connect(transport, opts);
    const serverInfo = client.getServerVersion();
    const caps = client.getServerCapabilities() ?? {};
    expect(serverInfo?.name, `no serverInfo.name (${short(serverInfo)})`);
    expect(caps.tools, `capabilities lack tools: ${short(caps)}`);
    const initReply = tap.received.find((r) => isResponse(r.message) && r.message.result?.protocolVersion)?.message;
    const version = initReply?.result?.protocolVersion;
    expect(typeof version === "string", `no protocolVersion in the initialize result: ${short(initReply)}`);
    let sessionId;
    if (streamable) {
      const init = tap.http.filter((e) => e.rpcMethod === "initialize");
      expect(init.length === 1 && init[0].status === 200, `expected one initialize POST answered 200: ${short(init)}`);
      sessionId = transport.sessionId;
      expect(sessionId, `the initialize response has no Mcp-Session-Id header: ${short(init[0])}`);
      expect(init[0].sessionGot === sessionId, `Mcp-Session-Id mismatch: ${short(init[0])} vs ${sessionId}`);
      step = "GET standalone stream";
      await waitUntil(() => tap.http.some((e) => e.http === "GET" && e.status !== null), 3000);
      const gets = tap.http.filter((e) => e.http === "GET");
      expect(
        gets.length > 0 && gets[0].status === 200 && gets[0].type === "text/event-stream",
        `the SDK's standalone GET stream was not answered 200 text/event-stream within 3 s: ${short(gets)}`,
      );
    } else {
      const sse = tap.http.filter((e) => e.http === "GET");
      expect(
        sse.length > 0 && sse[0].status === 200 && sse[0].type === "text/event-stream",
        `GET ${url.pathname} should be answered 200 text/event-stream: ${short(sse)}`,
      );
    }
    info(
      `initialize ok: server ${serverInfo.name} ${serverInfo.version ?? ""}, protocol ${version}` +
        (sessionId ? `, Mcp-Session-Id ${sessionId.slice(0, 8)}...` : ""),
    );

    step = "ping";
    await client.ping(opts);

    step = "tools/list";
    const { tools } = await client.listTools({}, opts);
    const names = tools.map((t) => t.name);
    for (const required of REQUIRED_TOOLS) {
      expect(names.includes(required), `tool ${JSON.stringify(required)} missing from tools/list ${short(names)}`);
    }
    for (const tool of tools) {
      expect(tool.inputSchema?.type === "object", `tool ${tool.name} inputSchema not an object`);
    }
    info(`tools/list ok: ${short(names)}`);

    // 2. calculate
    step = "tools/call calculate";
    let mark = tap.mark();
    let result = await client.callTool({ name: "calculate", arguments: { a: 10, b: 20 } }, undefined, opts);
    debug(`calculate -> ${short(result)}`);
    expect(!result.isError, `calculate returned isError: ${short(result)}`);
    let got = texts(result);
    expect(got.length === 1 && got[0] === "Result: 30", `calculate text: expected exactly ["Result: 30"], got ${short(got)}`);
    const calcPost = tap.http.slice(mark.http).find((e) => e.http === "POST" && e.rpcTool === "calculate");
    info(`calculate ok: "Result: 30"${streamable ? ` (answered as ${calcPost?.type})` : ""}`);

    // 3. process_files with progress and logs
    step = "tools/call process_files";
    mark = tap.mark();
    const progress = [];
    const logsBefore = logs.length;
    result = await client.callTool(
      { name: "process_files", arguments: { files: ["a.txt", "b.txt", "c.txt"], delay_ms: 50 } },
      undefined,
      {
        ...opts,
        onprogress: (p) => {
          progress.push(p);
          debug(`progress ${short(p)}`);
        },
      },
    );
    debug(`process_files -> ${short(result)}`);
    expect(!result.isError, `process_files returned isError: ${short(result)}`);
    const request = tap.sent
      .slice(mark.sent)
      .map((s) => s.message)
      .findLast((m) => m.method === "tools/call" && m.params?.name === "process_files");
    const token = request?.params?._meta?.progressToken;
    expect(token !== undefined, "the SDK sent no progressToken (harness bug)");
    const received = tap.received.slice(mark.received).map((r) => r.message);
    const responseAt = received.findIndex((m) => isResponse(m) && m.id === request.id);
    expect(responseAt >= 0, "the process_files response was not seen on the tap (harness bug)");
    const wireProgress = received.filter(
      (m) => m.method === "notifications/progress" && m.params?.progressToken === request.params._meta.progressToken,
    );
    for (const m of received.filter((x) => x.method === "notifications/progress")) {
      expect(
        m.params?.progressToken === token,
        `progress notification with token ${JSON.stringify(m.params?.progressToken)}, expected exactly ${JSON.stringify(token)} (same JSON type): ${short(m)}`,
      );
      expect(received.indexOf(m) < responseAt, `progress notification after the response: ${short(m)}`);
    }
    const processingLogs = () => logs.slice(logsBefore).filter((e) => dataText(e.data).includes("Processing document"));
    const lateProgress = () => errors.filter((e) => e.includes("progress notification for an unknown token"));
    await waitUntil(() => progress.length + lateProgress().length >= 3 && processingLogs().length >= 3, 3000);
    await sleep(200);
    expect(
      wireProgress.length === 3,
      `process_files: expected exactly 3 progress notifications, got ${wireProgress.length}: ${short(wireProgress, 1000)}`,
    );
    const values = wireProgress.map((m) => m.params.progress);
    expect(values.every((v, i) => i === 0 || values[i - 1] < v), `progress not strictly increasing: ${short(values)}`);
    expect(
      wireProgress.every((m) => m.params.total === 3),
      `progress total must be 3 on every notification: ${short(wireProgress, 1000)}`,
    );
    expect(values[2] === 3, `last progress must be 3 (= total), got ${values[2]}`);
    const late = lateProgress();
    expect(
      progress.length + late.length === 3,
      `SDK onprogress saw ${progress.length} and reported ${late.length} as unknown-token, expected 3 in all`,
    );
    errors.splice(0, errors.length, ...errors.filter((e) => !late.includes(e)));
    if (late.length > 0) info(`note: ${late.length} progress notification(s) lost to the TS SDK race (typescript-sdk#2580)`);
    const plogs = processingLogs();
    expect(
      plogs.length === 3,
      `process_files: expected 3 'Processing document i/3' logs, got ${plogs.length}; all logs: ${short(logs.slice(logsBefore), 1000)}`,
    );
    plogs.forEach((entry, index) => {
      const i = index + 1;
      expect(
        dataText(entry.data).includes(`Processing document ${i}/3`),
        `log #${i} should mention 'Processing document ${i}/3': ${short(entry)}`,
      );
      expect(entry.level === "info", `log #${i} level should be info: ${short(entry)}`);
    });
    got = texts(result);
    expect(got.length > 0 && got[0].startsWith("Done"), `process_files text should start with 'Done', got ${short(got)}`);
    if (streamable) {
      const post = callPost(tap, mark, "process_files");
      expect(
        post.status === 200 && post.type === "text/event-stream",
        `process_files: progress and logs precede the result, so the POST must be answered 200 text/event-stream, got ${post.status} ${JSON.stringify(post.type)}`,
      );
    }
    info(`process_files ok: progress ${short(values)} of 3 (onprogress got ${progress.length}), 3 info logs, ${JSON.stringify(got[0])}`);

    // 4. sampling
    step = "tools/call ask_model (sampling)";
    mark = tap.mark();
    const samplingBefore = sampling.length;
    result = await client.callTool({ name: "ask_model", arguments: { prompt: PROMPT } }, undefined, opts);
    debug(`ask_model -> ${short(result)}`);
    const seenSampling = sampling.slice(samplingBefore);
    expect(
      seenSampling.length === 1,
      `expected exactly 1 sampling/createMessage, the handler got ${seenSampling.length}: ${short(seenSampling, 1000)}`,
    );
    expect(
      JSON.stringify(seenSampling[0].messages ?? []).includes(PROMPT),
      `the sampling request does not carry the prompt ${JSON.stringify(PROMPT)}: ${short(seenSampling[0])}`,
    );
    expect(!result.isError, `ask_model returned isError: ${short(result)}`);
    got = texts(result);
    expect(
      got.some((t) => t.includes(MODEL_REPLY)),
      `ask_model text should contain ${JSON.stringify(MODEL_REPLY)}, got ${short(got)}`,
    );
    await checkClientPosts(tap, mark, "ask_model");
    info(`ask_model ok: one sampling round trip, ${JSON.stringify(got[0])}`);

    // 5. elicitation
    step = "tools/call confirm_action (elicitation)";
    mark = tap.mark();
    const elicitBefore = elicitations.length;
    result = await client.callTool({ name: "confirm_action", arguments: { action: "deploy" } }, undefined, opts);
    debug(`confirm_action -> ${short(result)}`);
    const seenElicit = elicitations.slice(elicitBefore);
    expect(
      seenElicit.length === 1,
      `expected exactly 1 elicitation/create, the handler got ${seenElicit.length}: ${short(seenElicit, 1000)}`,
    );
    expect(!result.isError, `confirm_action returned isError: ${short(result)}`);
    got = texts(result);
    expect(
      got.length === 1 && got[0].startsWith("User accept"),
      `confirm_action text should start with 'User accept', got ${short(got)}`,
    );
    await checkClientPosts(tap, mark, "confirm_action");
    info(`confirm_action ok: ${JSON.stringify(got[0])}`);

    if (!streamable) {
      step = "errors";
      await checkClientPosts(tap, { http: 0 }, "session");
      for (const e of tap.http.filter((x) => x.http === "POST")) {
        expect(
          e.status === 202,
          `POST ${e.path} ${e.rpcMethod ?? e.rpcKind} got HTTP ${e.status ?? e.error}, expected 202 (the answer travels on the SSE stream)`,
        );
      }
      expect(errors.length === 0, `client errors seen: ${short(errors, 1000)}`);
      step = "close";
      await client.close();
      return;
    }

    // 6. resumption of a request stream on a new transport
    transport = await checkResumption({ client, transport, url, tap, errors, opts, sessionId, version });

    // headers of every exchange after initialize, on both transports
    step = "headers";
    const initAt = tap.http.findIndex((e) => e.rpcMethod === "initialize");
    for (const e of tap.http.slice(initAt + 1)) {
      expect(
        e.sessionSent === sessionId,
        `#${e.conn} ${e.http} ${e.rpcMethod ?? ""} sent Mcp-Session-Id ${JSON.stringify(e.sessionSent)}, expected ${JSON.stringify(sessionId)}`,
      );
      expect(
        e.status === null || e.status < 400,
        `HTTP ${e.status} on #${e.conn} ${e.http} ${e.rpcMethod ?? e.rpcKind}: ${short(e)}`,
      );
    }
    await checkClientPosts(tap, { http: 0 }, "session");
    expect(errors.length === 0, `client errors seen: ${short(errors, 1000)}`);

    // 7. DELETE on close
    step = "close (DELETE)";
    await transport.terminateSession();
    const deletes = tap.http.filter((e) => e.http === "DELETE");
    expect(deletes.length === 1, `expected one DELETE when the client closed, saw ${short(deletes)}`);
    expect(
      deletes[0].status === 200 || deletes[0].status === 204,
      `DELETE of the session got HTTP ${deletes[0].status}, expected 200/204`,
    );
    expect(errors.length === 0, `client errors seen while closing: ${short(errors, 1000)}`);
    await client.close();
    info(`close ok: DELETE -> ${deletes[0].status}`);
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * Step 6. The mechanism in SDK 1.32.2: `transport.close()` aborts every fetch of that transport
 * (the POST's SSE body and the standalone GET) without a DELETE, and the Protocol rejects the
 * pending call with ConnectionClosed. `client.connect(new transport {sessionId})` skips
 * initialize. `client.request(req, schema, {resumptionToken})` does not POST the request again:
 * the transport opens `GET` with `Last-Event-ID: <token>` and rewrites the id of the result it
 * receives to the new request's id (`replayMessageId`), so the new promise resolves. Progress
 * replayed on that stream still carries the original progressToken, which the SDK no longer knows
 * (it registered the new request's id), so it reports those as "unknown token" instead of calling
 * onprogress: the raw tap is the judge, the SDK counts are reported beside it.
 */
async function checkResumption({ client, transport, url, tap, errors, opts, sessionId, version }) {
  step = "resumption: process_files, drop after progress 2";
  const files = ["r1.txt", "r2.txt", "r3.txt", "r4.txt", "r5.txt", "r6.txt"];
  const n = files.length;
  const call = { method: "tools/call", params: { name: "process_files", arguments: { files, delay_ms: 150 } } };
  const eventIds = []; // {conn, id} from onresumptiontoken, in order
  let lastEventId;
  const recordToken = (conn) => (id) => {
    eventIds.push({ conn, id });
    lastEventId = id;
  };
  const sdkProgress = [];
  const mark = tap.mark();
  const errorsBefore = errors.length;

  let token;
  let dropNow;
  const secondProgress = new Promise((resolve) => {
    dropNow = resolve;
  });
  tap.onReceive = (message) => {
    if (message.method === "notifications/progress" && token !== undefined && message.params?.progressToken === token) {
      const count = tap.received
        .slice(mark.received)
        .filter((r) => r.message.method === "notifications/progress" && r.message.params?.progressToken === token).length;
      if (count >= 2) dropNow();
    }
  };

  const first = client
    .request(call, CallToolResultSchema, {
      ...opts,
      onprogress: (p) => sdkProgress.push({ conn: 1, ...p }),
      onresumptiontoken: recordToken(1),
    })
    .then(
      (value) => ({ ok: true, value }),
      (error) => ({ ok: false, error }),
    );
  const request = tap.sent.slice(mark.sent).find((s) => s.message.method === "tools/call")?.message;
  expect(request?.params?._meta?.progressToken !== undefined, "the SDK sent no progressToken (harness bug)");
  token = request.params._meta.progressToken;
  const origId = request.id;

  const early = await Promise.race([secondProgress.then(() => null), first]);
  expect(
    early === null,
    `the call ended before 2 progress notifications arrived: ${early?.ok ? short(early.value) : early?.error?.message}`,
  );
  const resumeFrom = lastEventId;
  expect(
    resumeFrom,
    "no SSE event id (resumption token) arrived with the first 2 progress notifications; the POST stream is not resumable",
  );
  const droppedAt = Date.now();
  await transport.close(); // aborts the POST stream and the standalone GET; no DELETE
  const outcome = await first;
  expect(
    !outcome.ok && outcome.error?.code === ErrorCode.ConnectionClosed,
    `after the drop the first call should reject with ConnectionClosed, got ${outcome.ok ? short(outcome.value) : outcome.error}`,
  );
  const beforeDrop = tap.received.slice(mark.received).filter((r) => r.conn === 1).length;
  debug(`dropped after ${beforeDrop} messages; resuming from ${resumeFrom}`);
  // Let a few events happen while nobody listens, so the resume must replay them.
  await sleep(400);

  step = "resumption: new transport, GET with Last-Event-ID";
  const resumed = new StreamableHTTPClientTransport(url, { sessionId, fetch: tap.fetch(2) });
  if (version) resumed.setProtocolVersion(version); // the Client sets it only after initialize
  tap.attach(resumed, 2);
  await client.connect(resumed, opts); // sessionId set: the SDK skips initialize
  const sentBefore = tap.sent.length;
  const second = client
    .request(call, CallToolResultSchema, {
      ...opts,
      onprogress: (p) => sdkProgress.push({ conn: 2, ...p }),
      resumptionToken: resumeFrom,
      onresumptiontoken: recordToken(2),
    })
    .then(
      (value) => ({ ok: true, value }),
      (error) => ({ ok: false, error }),
    );
  const resumedId = tap.sent[sentBefore]?.message?.id;
  let settled = false;
  second.then(() => {
    settled = true;
  });
  const getFailed = async () => {
    await waitUntil(
      () =>
        settled ||
        tap.http.some((e) => e.conn === 2 && e.http === "GET" && (e.error || (e.status !== null && e.status !== 200))) ||
        errors.slice(errorsBefore).some((e) => e.includes("Failed to open SSE stream")),
      opts.timeout,
    );
    return { ok: false, error: new Error("the resume GET failed") };
  };
  const outcome2 = await Promise.race([second, getFailed()]);
  const resumeGets = tap.http.filter((e) => e.conn === 2 && e.http === "GET");
  expect(
    resumeGets.length >= 1 && resumeGets[0].lastEventId === resumeFrom,
    `the SDK should resume with GET Last-Event-ID ${resumeFrom}, saw ${short(resumeGets)}`,
  );
  expect(
    resumeGets[0].status === 200 && resumeGets[0].type === "text/event-stream",
    `GET with Last-Event-ID ${resumeFrom} got HTTP ${resumeGets[0].status ?? resumeGets[0].error} ${JSON.stringify(resumeGets[0].type)}, expected 200 text/event-stream; errors: ${short(errors.slice(errorsBefore), 600)}`,
  );
  expect(outcome2.ok, `the resumed call failed: ${outcome2.error?.message ?? outcome2.error}`);
  tap.onReceive = null;

  step = "resumption: exactly once";
  const seen = tap.received.slice(mark.received);
  const wireProgress = seen.filter(
    (r) => r.message.method === "notifications/progress" && r.message.params?.progressToken === token,
  );
  await sleep(200); // anything duplicated after the response would land here
  const seenAll = tap.received.slice(mark.received);
  const responses = seenAll.filter((r) => isResponse(r.message) && (r.message.id === origId || r.message.id === resumedId));
  expect(
    responses.length === 1,
    `expected the process_files response exactly once over both connections, got ${responses.length}: ${short(responses.map((r) => ({ conn: r.conn, id: r.message.id })))}`,
  );
  expect(responses[0].conn === 2, "the response came on the dropped connection (harness bug: dropped too late)");
  const progressAll = seenAll.filter(
    (r) => r.message.method === "notifications/progress" && r.message.params?.progressToken === token,
  );
  expect(progressAll.length === wireProgress.length, `progress after the response: ${short(progressAll.slice(wireProgress.length))}`);
  const values = progressAll.map((r) => r.message.params.progress);
  const want = Array.from({ length: n }, (_, i) => i + 1);
  expect(
    JSON.stringify(values) === JSON.stringify(want),
    `progress over both connections should be exactly ${short(want)} (each once, in order), got ${short(values)} (per connection: ${short(progressAll.map((r) => `${r.conn}:${r.message.params.progress}`))})`,
  );
  expect(
    progressAll.every((r) => r.message.params.total === n),
    `progress total must be ${n} on every notification: ${short(progressAll.map((r) => r.message.params))}`,
  );
  const responseIndex = seenAll.indexOf(responses[0]);
  expect(
    progressAll.every((r) => seenAll.indexOf(r) < responseIndex),
    "a progress notification arrived after the response",
  );
  const logValues = seenAll
    .filter((r) => r.message.method === "notifications/message" && dataText(r.message.params?.data).includes(`/${n}`))
    .map((r) => dataText(r.message.params.data).match(/Processing document (\d+)\//)?.[1])
    .map(Number);
  expect(
    JSON.stringify(logValues) === JSON.stringify(want),
    `logs 'Processing document i/${n}' over both connections should be exactly i = ${short(want)}, got ${short(logValues)}`,
  );
  // SSE event ids as read off the wire (the SDK reports none for the resumed stream: its
  // send() drops onresumptiontoken when it turns a request into a resumption GET).
  const wireEvents = tap.events.slice(mark.events).filter((e) => e.http === "POST" || e.conn === 2);
  const ids = wireEvents.filter((e) => e.id).map((e) => e.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  expect(dup === undefined, `the SSE event id ${dup} was delivered twice: ${short(wireEvents.map((e) => `${e.conn}:${e.id}`), 1000)}`);
  expect(
    !wireEvents.some((e) => e.conn === 2 && e.id === resumeFrom),
    `the resumed stream repeated the event ${resumeFrom} named in Last-Event-ID`,
  );
  const wireResponses = wireEvents.filter((e) => isResponse(e.message));
  expect(
    wireResponses.length === 1 && wireResponses[0].conn === 2 && wireResponses[0].message.id === origId,
    `on the wire the response should come once, on the resumed stream, with the original id ${origId}: ${short(wireResponses)}`,
  );
  const sdkTokens1 = eventIds.filter((e) => e.conn === 1).map((e) => e.id);
  expect(
    sdkTokens1.includes(resumeFrom) && sdkTokens1.every((id) => ids.includes(id)),
    `onresumptiontoken ids ${short(sdkTokens1)} do not match the wire ${short(ids)} (harness bug)`,
  );
  const result = outcome2.value;
  expect(!result.isError, `the resumed process_files returned isError: ${short(result)}`);
  const got = texts(result);
  expect(got.length > 0 && got[0].startsWith("Done"), `the resumed process_files text should start with 'Done', got ${short(got)}`);

  // What the SDK made of it: everything not seen by onprogress is reported as unknown-token.
  const newErrors = errors.slice(errorsBefore);
  const unknown = newErrors.filter((e) => e.includes("progress notification for an unknown token"));
  expect(
    sdkProgress.length + unknown.length === n,
    `SDK onprogress saw ${sdkProgress.length} and reported ${unknown.length} as unknown-token, expected ${n} in all`,
  );
  // Expected from the drop itself: the aborted fetches of the first transport.
  const dropErrors = newErrors.filter((e) => e.includes("SSE stream disconnected") && e.includes("Abort"));
  const unexpected = newErrors.filter((e) => !unknown.includes(e) && !dropErrors.includes(e));
  errors.splice(errorsBefore, errors.length - errorsBefore, ...unexpected);
  expect(unexpected.length === 0, `client errors during the resumption: ${short(unexpected, 1000)}`);

  const perConn = (conn) => progressAll.filter((r) => r.conn === conn).map((r) => r.message.params.progress);
  info(
    `resumption ok: progress ${short(perConn(1))} before the drop, ${short(perConn(2))} after GET Last-Event-ID ${resumeFrom} ` +
      `(${Date.now() - droppedAt} ms), response once (id ${origId} replayed as ${resumedId}), ${ids.length} distinct event ids ` +
      `(${wireEvents.filter((e) => e.conn === 1 && e.id).length} + ${wireEvents.filter((e) => e.conn === 2 && e.id).length}), ` +
      `logs 1..${n} once; SDK onprogress ${sdkProgress.length}, unknown-token ${unknown.length}; ${JSON.stringify(got[0])}`,
  );
  return resumed;
}

// ---- command line --------------------------------------------------------------------------------

async function main(argv) {
  const split = argv.indexOf("--");
  if (split < 0 || split === argv.length - 1) {
    console.error(USAGE);
    return 2;
  }
  let timeout = 60;
  let mode = "streamable";
  const opts = argv.slice(0, split);
  for (let i = 0; i < opts.length; i++) {
    if (opts[i] === "--timeout") {
      timeout = Number(opts[++i]);
      if (!(timeout > 0)) {
        console.error(`--timeout takes a positive number of seconds\n${USAGE}`);
        return 2;
      }
    } else if (opts[i] === "-v" || opts[i] === "--verbose") verbose = true;
    else if (opts[i] === "--transport") {
      mode = opts[++i];
      if (mode !== "streamable" && mode !== "sse") {
        console.error(`--transport takes streamable or sse\n${USAGE}`);
        return 2;
      }
    } else {
      console.error(`unknown option ${opts[i]}\n${USAGE}`);
      return 2;
    }
  }
  const command = argv.slice(split + 1);
  info(`server: ${command.join(" ")}`);
  const started = Date.now();
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailure(`timed out after ${timeout} s`)), timeout * 1000);
  });
  server = new ServerProcess(command);
  try {
    step = "start server";
    const origin = await Promise.race([server.start(), deadline]);
    await Promise.race([runChecks(origin, mode, timeout * 1000), deadline]);
  } catch (err) {
    let what = err instanceof CheckFailure ? err.message : `${err?.name ?? "Error"}: ${err?.message ?? err}`;
    what = what.replace(/\s*\n\s*/g, " ");
    if (what.length > 1500) what = `${what.slice(0, 1500)}...`;
    const gone = server.exited && step !== "start server" ? ` (the server exited with ${server.exited.signal ?? `status ${server.exited.code}`}; its output is above)` : "";
    console.log(`${TAG} FAIL: [${step}] ${what}${gone}`);
    if (verbose && !(err instanceof CheckFailure)) console.error(err);
    await server.stop();
    return 1;
  } finally {
    clearTimeout(timer);
  }
  await server.stop();
  info(`PASS (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}

// A server must not outlive the check, however it ends.
process.on("exit", () => server?.kill());
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    console.log(`${TAG} FAIL: [${step}] interrupted by ${signal}`);
    server?.kill();
    process.exit(1);
  });
}

// Exit explicitly: a wedged transport must not keep the process alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.log(`${TAG} FAIL: [${step}] ${err?.stack ?? err}`);
    server?.kill();
    process.exit(1);
  },
);
