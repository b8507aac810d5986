// Preload (`node --import ./loopback-listen.mjs server.js`) that keeps a server which calls
// `listen(PORT)` without a host (server-everything does) on 127.0.0.1 instead of every
// interface, so tests never expose it. A listen that names its host is left alone.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [first] = args;
  const isPort = typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first));
  if (isPort && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  } else if (first && typeof first === "object" && first.port !== undefined && !first.host) {
    args[0] = { ...first, host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
