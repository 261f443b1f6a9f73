/**
 * A real unix-socket server in the test's own process, scripted per connection: what an engine
 * that hangs, or a socket that is no engine at all, looks like to berth's transport.
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "vitest";

export interface UnixServer {
  readonly socketPath: string;
  /** Drops every connection, stops listening and removes the socket's directory. */
  close(): void;
}

export async function serveUnixSocket(onConnection: (socket: net.Socket) => void): Promise<UnixServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "berth-unix-server-"));
  const socketPath = path.join(dir, "engine.sock");
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `serve(onConnection)` → a socket path; every server it starts is closed after each test. */
export function unixServersPerTest(): (onConnection: (socket: net.Socket) => void) => Promise<string> {
  const servers: UnixServer[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });
  return async (onConnection) => {
    const server = await serveUnixSocket(onConnection);
    servers.push(server);
    return server.socketPath;
  };
}
