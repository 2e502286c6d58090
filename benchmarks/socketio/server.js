"use strict";
// The fan-out benchmark's peer: Socket.IO with the Redis adapter, the chat's room semantics at
// their smallest. The primary forks WORKERS processes that share one listening socket on
// 127.0.0.1:PORT (node:cluster hands connections out round-robin); WebSocket transport only,
// so a socket never needs to come back to the same worker and no sticky sessions are needed.
//   "subscribe" room             -> join the room, then ack
//   "message" {room, text, client_id} -> emit "message" to the room on every worker, then ack
// Nothing is stored: unlike the backend there is no history and no resume.

const cluster = require("node:cluster");
const http = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const PORT = Number(process.env.PORT);
const WORKERS = Number(process.env.WORKERS || 2);
const REDIS_URL = process.env.REDIS_URL;

async function worker() {
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) {
    // Logged, not fatal: the client reconnects by itself, and the benchmark counts what was lost.
    client.on("error", (err) => console.error(`redis: ${err.message}`));
  }
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    transports: ["websocket"],
    serveClient: false,
    adapter: createAdapter(pub, sub),
  });
  io.on("connection", (socket) => {
    socket.on("subscribe", (room, ack) => {
      socket.join(String(room));
      if (typeof ack === "function") ack({ room });
    });
    socket.on("message", (message, ack) => {
      const { room, text, client_id } = message;
      io.to(String(room)).emit("message", { room, text, client_id });
      if (typeof ack === "function") ack({ client_id });
    });
  });
  httpServer.listen(PORT, "127.0.0.1");
}

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on("listening", () => {
    listening += 1;
    // The launcher waits for this line: before it, connections would all go to the first worker.
    if (listening === WORKERS) console.log(`socket.io: ${WORKERS} workers listening on 127.0.0.1:${PORT}`);
  });
  cluster.on("exit", (dead, code, signal) => {
    // A worker lost mid-run would skew every figure after it: stop the whole server instead.
    console.error(`socket.io: worker ${dead.process.pid} exited (${signal || code})`);
    process.exit(1);
  });
  for (let i = 0; i < WORKERS; i += 1) cluster.fork();
} else {
  worker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
