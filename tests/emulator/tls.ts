// The emulator answers plain HTTP and HTTPS on the same loopback port: some third-party
// ConnectWise clients hard-code https://, and the emulator must work with them unchanged.
// The first byte of a connection tells them apart (0x16 opens a TLS handshake).
import * as http from "node:http";
import * as net from "node:net";
import * as tls from "node:tls";

export interface Pem {
  key: string;
  cert: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, made at start (never stored). */
export async function loopbackCertificate(): Promise<Pem> {
  const selfsigned = require("selfsigned") as {
    generate(attrs: unknown[], opts: unknown): Promise<{ private: string; cert: string }>;
  };
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    days: 365,
    keySize: 2048,
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }],
  });
  return { key: pems.private, cert: pems.cert };
}

/** A listener that hands each connection to `server`, unwrapping TLS first when the client speaks it. */
export function httpAndHttps(server: http.Server, pem: Pem): { front: net.Server; destroyAll(): void } {
  const sockets = new Set<net.Socket>();
  const secure = tls.createServer({ key: pem.key, cert: pem.cert }, (socket) => server.emit("connection", socket));
  secure.on("tlsClientError", (_e, socket) => socket.destroy());
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.once("data", (first) => {
      socket.pause();
      socket.unshift(first);
      if (first[0] === 0x16) secure.emit("connection", socket);
      else server.emit("connection", socket);
      process.nextTick(() => socket.resume());
    });
  });
  return { front, destroyAll: () => sockets.forEach((s) => s.destroy()) };
}
