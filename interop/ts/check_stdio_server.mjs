#!/usr/bin/env node
// Drive an MCP server over stdio with the official TypeScript SDK client (@modelcontextprotocol/sdk,
// v1 line, pinned in package.json next to this file) and check its answers.
//
// Usage:
//   node check_stdio_server.mjs [--timeout SECONDS] [--verbose] -- COMMAND [ARGS...]
//
// The SDK is resolved normally (a node_modules above this file) or, failing that, from the peers
// that scripts/test installs: $SPATE_INTEROP_DIR/node/node_modules (default <repo>/.interop).
//
// Expectations are the same as interop/python/check_stdio_server.py (see interop/README.md).
// Exit status 0 when all hold; 1 with a "FAIL:" line naming the step otherwise (also on the hard
// --timeout, default 60 s); 2 for bad usage.

import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));

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
const { StdioClientTransport } = await importSdk("client/stdio.js");
const { LoggingMessageNotificationSchema } = await importSdk("types.js");
const sdkVersion = await sdkPackageVersion();

const TAG = `[ts-check sdk ${sdkVersion}]`;
let verbose = false;
let step = "start";
let activeTransport = null; // so a timeout can stop the server process

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
}

async function sdkPackageVersion() {
  try {
    const { createRequire } = await import("node:module");
    const entry = fileURLToPath(import.meta.resolve("@modelcontextprotocol/sdk/client/index.js"));
    return createRequire(entry)("../../../package.json").version;
  } catch {
    try {
      const interop = process.env.SPATE_INTEROP_DIR || path.resolve(HERE, "../../.interop");
      const { readFileSync } = await import("node:fs");
      const pkg = path.join(interop, "node/node_modules/@modelcontextprotocol/sdk/package.json");
      return JSON.parse(readFileSync(pkg, "utf8")).version;
    } catch {
      return "?";
    }
  }
}

async function runChecks(command, timeoutMs) {
  const logs = [];
  const errors = [];
  const transport = new StdioClientTransport({
    command: command[0],
    args: command.slice(1),
    env: { ...process.env },
    stderr: "inherit",
  });
  activeTransport = transport;
  const tap = { sent: [], received: [] };
  const client = new Client({ name: "spate-interop-ts-check", version: "1.0.0" }, { capabilities: {} });
  client.onerror = (err) => {
    errors.push(String(err?.message ?? err));
    debug(`client error: ${err?.message ?? err}`);
  };
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    logs.push(notification.params);
    debug(`log ${short(notification.params)}`);
  });
  const opts = { timeout: timeoutMs };

  try {
    step = "initialize";
    await client.connect(transport, opts);
    // Wire tap: every JSON-RPC message in both directions, in order, before the SDK sees it.
    const sdkOnMessage = transport.onmessage;
    transport.onmessage = (message, extra) => {
      tap.received.push(message);
      sdkOnMessage?.(message, extra);
    };
    const sdkSend = transport.send.bind(transport);
    transport.send = (message, options) => {
      tap.sent.push(message);
      return sdkSend(message, options);
    };
    const serverInfo = client.getServerVersion();
    const caps = client.getServerCapabilities() ?? {};
    expect(serverInfo?.name, `no serverInfo.name (${short(serverInfo)})`);
    expect(caps.tools, `capabilities lack tools: ${short(caps)}`);
    info(`initialize ok: server ${serverInfo.name} ${serverInfo.version ?? ""}`);

    step = "ping";
    await client.ping(opts);

    step = "tools/list";
    const { tools } = await client.listTools({}, opts);
    const names = tools.map((t) => t.name);
    for (const required of ["calculate", "process_files"]) {
      expect(names.includes(required), `tool ${JSON.stringify(required)} missing from tools/list ${short(names)}`);
    }
    for (const tool of tools) {
      expect(tool.inputSchema?.type === "object", `tool ${tool.name} inputSchema not an object`);
    }
    info(`tools/list ok: ${short(names)}`);

    step = "tools/call calculate";
    let result = await client.callTool({ name: "calculate", arguments: { a: 10, b: 20 } }, undefined, opts);
    debug(`calculate -> ${short(result)}`);
    expect(!result.isError, `calculate returned isError: ${short(result)}`);
    let got = texts(result);
    expect(
      got.length === 1 && got[0] === "Result: 30",
      `calculate text: expected exactly ["Result: 30"], got ${short(got)}`,
    );
    const structured = result.structuredContent;
    expect(
      structured !== null && typeof structured === "object" && !Array.isArray(structured),
      `calculate: structuredContent missing or not an object: ${short(result)}`,
    );
    info(`calculate ok: "Result: 30", structuredContent ${short(structured)}`);

    step = "tools/call process_files";
    // delay_ms spaces the notifications out. Without it a fast server's last progress
    // notification and the response share one read() chunk, and SDK 1.x drops that
    // progress (notification handlers run a microtask later than response handlers, so
    // the token is already gone: "unknown token", typescript-sdk#2580). The wire tap
    // below is the source of truth; the SDK callback count is reported beside it.
    const progress = [];
    const logsBefore = logs.length;
    const tapBefore = tap.received.length;
    result = await client.callTool(
      { name: "process_files", arguments: { files: ["a.txt", "b.txt", "c.txt"], delay_ms: 30 } },
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
    const request = tap.sent.findLast((m) => m.method === "tools/call" && m.params?.name === "process_files");
    const token = request?.params?._meta?.progressToken;
    expect(token !== undefined, "the SDK sent no progressToken (harness bug)");
    const received = tap.received.slice(tapBefore);
    const responseAt = received.findIndex((m) => m.id === request.id && ("result" in m || "error" in m));
    const wireProgress = received.filter((m) => m.method === "notifications/progress");
    for (const m of wireProgress) {
      expect(
        m.params?.progressToken === token,
        `progress notification with token ${JSON.stringify(m.params?.progressToken)}, expected exactly ${JSON.stringify(token)} (same JSON type): ${short(m)}`,
      );
      expect(
        received.indexOf(m) < responseAt,
        `progress notification after the response: ${short(m)}`,
      );
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
    expect(
      values.every((v, i) => i === 0 || values[i - 1] < v),
      `progress not strictly increasing: ${short(values)}`,
    );
    expect(
      wireProgress.every((m) => m.params.total === 3),
      `progress total must be 3 on every notification: ${short(wireProgress, 1000)}`,
    );
    const late = lateProgress();
    expect(
      progress.length + late.length === 3,
      `SDK onprogress saw ${progress.length} and reported ${late.length} as unknown-token, expected 3 in all`,
    );
    errors.splice(0, errors.length, ...errors.filter((e) => !late.includes(e)));
    if (late.length > 0) info(`note: ${late.length} progress notification(s) lost to the TS SDK race (typescript-sdk#2580)`);
    expect(values[2] === 3, `last progress must be 3 (= total), got ${values[2]}`);
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
    expect(
      got.length > 0 && got[0].startsWith("Done"),
      `process_files text should start with 'Done', got ${short(got)}`,
    );
    info(
      `process_files ok: progress ${short(values)} of 3 (onprogress got ${progress.length}), 3 info logs, ${JSON.stringify(got[0])}`,
    );

    step = "resources/list";
    const { resources } = await client.listResources({}, opts);
    const uris = resources.map((r) => r.uri);
    expect(resources.length > 0, "resources/list is empty");
    const target = uris.includes("demo://readme") ? "demo://readme" : uris[0];
    step = `resources/read ${target}`;
    const read = await client.readResource({ uri: target }, opts);
    const contents = read.contents ?? [];
    expect(contents.length > 0, `resources/read ${target}: no contents`);
    expect(contents[0].uri === target, `resources/read ${target}: contents[0].uri is ${JSON.stringify(contents[0].uri)}`);
    const body = contents[0].text ?? contents[0].blob;
    expect(body, `resources/read ${target}: empty text/blob ${short(contents[0])}`);
    info(`resources ok: ${short(uris)}, read ${target} (${body.length} chars)`);

    step = "prompts/list";
    const { prompts } = await client.listPrompts({}, opts);
    const pnames = prompts.map((p) => p.name);
    expect(prompts.length > 0, "prompts/list is empty");
    if (pnames.includes("summarize")) {
      step = "prompts/get summarize";
      const prompt = await client.getPrompt({ name: "summarize", arguments: { text: "MCP interop check." } }, opts);
      expect(prompt.messages?.length > 0, `prompts/get summarize: no messages ${short(prompt)}`);
      expect(
        JSON.stringify(prompt.messages).includes("MCP interop check."),
        `prompts/get summarize: argument not used: ${short(prompt)}`,
      );
    }
    info(`prompts ok: ${short(pnames)}`);

    expect(errors.length === 0, `client errors seen: ${short(errors, 1000)}`);
    step = "shutdown";
  } finally {
    await client.close().catch(() => {});
  }
}

async function stopServer() {
  const pid = activeTransport?.pid;
  await Promise.race([activeTransport?.close().catch(() => {}), sleep(2000)]);
  if (pid) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function main(argv) {
  const split = argv.indexOf("--");
  if (split < 0 || split === argv.length - 1) {
    console.error("usage: node check_stdio_server.mjs [--timeout SECONDS] [--verbose] -- COMMAND [ARGS...]");
    return 2;
  }
  let timeout = 60;
  const opts = argv.slice(0, split);
  for (let i = 0; i < opts.length; i++) {
    if (opts[i] === "--timeout") timeout = Number(opts[++i]);
    else if (opts[i] === "-v" || opts[i] === "--verbose") verbose = true;
    else {
      console.error(`unknown option ${opts[i]}`);
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
  try {
    await Promise.race([runChecks(command, timeout * 1000), deadline]);
  } catch (err) {
    let what = err instanceof CheckFailure ? err.message : `${err?.name ?? "Error"}: ${err?.message ?? err}`;
    if (!(err instanceof CheckFailure) && step === "initialize") {
      what += " -- the server exited or closed stdout before answering initialize; its stderr, if any, is above";
    }
    console.log(`${TAG} FAIL: [${step}] ${what}`);
    if (verbose && !(err instanceof CheckFailure)) console.error(err);
    await stopServer();
    return 1;
  } finally {
    clearTimeout(timer);
  }
  info(`PASS (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}

// Exit explicitly: a wedged child or transport must not keep the process alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.log(`${TAG} FAIL: [${step}] ${err?.stack ?? err}`);
    process.exit(1);
  },
);
