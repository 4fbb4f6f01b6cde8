/**
 * HTTP/1.1 over a bare TCP socket, for tests of what fetch will not send: malformed Host headers, chunked
 * bodies sent piece by piece, bodies that never end.
 */
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawConnection {
  /** Writes to the socket; resolves once the data is handed to the kernel. */
  write(data: string | Uint8Array): Promise<void>;
  /** The first response on the connection, once its head and (Content-Length) body have arrived. */
  response: Promise<RawResponse>;
  /** True once the response has arrived. */
  answered(): boolean;
  close(): void;
}

export function openRawConnection(port: number, host = "127.0.0.1"): Promise<RawConnection> {
  return new Promise((resolveOpen, rejectOpen) => {
    const socket: Socket = connect(port, host);
    let received = Buffer.alloc(0);
    let answered = false;
    let settle: (response: RawResponse) => void = () => {};
    let fail: (error: Error) => void = () => {};
    const response = new Promise<RawResponse>((resolve, reject) => {
      settle = (r) => {
        answered = true;
        resolve(r);
      };
      fail = reject;
    });
    const tryParse = (ended: boolean) => {
      if (answered) return;
      const text = received.toString("latin1");
      const headEnd = text.indexOf("\r\n\r\n");
      if (headEnd < 0) {
        if (ended) fail(new Error(`connection closed without a response: ${JSON.stringify(text)}`));
        return;
      }
      const [statusLine = "", ...lines] = text.slice(0, headEnd).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers["content-length"] ?? Number.NaN);
      const body = received.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), "latin1"));
      if (Number.isFinite(length) ? body.length < length : !ended) return;
      settle({ status: Number(statusLine.split(" ")[1]), headers, body: body.toString("utf8") });
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse(false);
    });
    socket.on("end", () => tryParse(true));
    socket.on("close", () => tryParse(true));
    socket.on("error", (error) => {
      rejectOpen(error);
      if (!answered) fail(error);
    });
    socket.on("connect", () =>
      resolveOpen({
        write: (data) =>
          new Promise((resolve, reject) => {
            if (socket.destroyed) return reject(new Error("socket closed"));
            socket.write(data, (error) => (error ? reject(error) : resolve()));
          }),
        response,
        answered: () => answered,
        close: () => socket.destroy(),
      }),
    );
  });
}

/** Sends one complete request and returns its response. */
export async function rawRequest(port: number, request: string): Promise<RawResponse> {
  const connection = await openRawConnection(port);
  try {
    await connection.write(request);
    return await connection.response;
  } finally {
    connection.close();
  }
}
