/**
 * A TCP proxy in front of a server, which a test can freeze: it then keeps every connection open and
 * accepts new ones, but forwards nothing either way, as a hung server (or a stalled network) behaves.
 */
import type { Socket } from "bun";

export interface TcpProxy {
  /** Port the proxy listens on, at 127.0.0.1. */
  port: number;
  freeze(): void;
  /** Closes every connection and stops listening. */
  stop(): void;
}

type Side = { peer?: Socket<Side>; pending: Uint8Array[] };

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let frozen = false;
  const open = new Set<Socket<Side>>();
  const forward = (socket: Socket<Side>, data: Uint8Array) => {
    if (frozen) return;
    const { peer } = socket.data;
    if (peer) peer.write(data);
    else socket.data.pending.push(data);
  };
  const closeBoth = (socket: Socket<Side>) => {
    open.delete(socket);
    socket.data.peer?.terminate();
  };
  const listener = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        client.data = { pending: [] };
        open.add(client);
        if (frozen) return;
        const upstream = await Bun.connect<Side>({
          hostname: target.host,
          port: target.port,
          socket: {
            open(server) {
              server.data = { peer: client, pending: [] };
              open.add(server);
            },
            data: forward,
            close: closeBoth,
            error: closeBoth,
          },
        });
        client.data.peer = upstream;
        for (const chunk of client.data.pending.splice(0)) upstream.write(chunk);
      },
      data: forward,
      close: closeBoth,
      error: closeBoth,
    },
  });
  return {
    port: listener.port,
    freeze() {
      frozen = true;
    },
    stop() {
      listener.stop(true);
      for (const socket of open) socket.terminate();
    },
  };
}
