/**
 * The gateway's MCP session with a stdio backend: the same BackendSession the pool uses for HTTP, so
 * slots, timeouts, the circuit and the answer cap apply unchanged. Written on the process's lines
 * directly rather than through the SDK client, for the same reasons as json-rpc-exchange.ts: results
 * are passed on as sent, and the pool's deadline, progress and cap govern each request.
 *
 * Each process is initialised once, whichever session asks first. Unlike HTTP, stdio carries nothing
 * that ties a notification or a request of the backend to the call it concerns: progress is matched by
 * its token; list changes go to the pool; logging is dropped; requests for the caller's client
 * (sampling, elicitation) are refused, since the gateway cannot tell whose they are.
 */
import { LATEST_PROTOCOL_VERSION, ProtocolError, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/client";
import { abortable, type BackendSession, type RequestOptions } from "./backend-session.ts";
import { createCallDeadline } from "./call-deadline.ts";
import {
  AnswerTooLarge,
  type Message,
  type Notification,
  type Progress,
  resultOf,
  UnsendableRequest,
} from "./json-rpc-exchange.ts";
import { GATEWAY_CLIENT_INFO } from "./mcp-connection.ts";
import { type ChannelMessage, OversizeLine, type StdioChannel } from "./stdio-channel.ts";
import type { StdioProcess } from "./stdio-process.ts";
import { describeFailure, TransportFailure } from "./transport-failure.ts";

export interface StdioSessionOptions {
  process: StdioProcess;
  connectTimeoutMs: number;
  /** The longest line the process's channel reads, which is the answer cap. */
  maxAnswerBytes: number;
  /** Notifications that belong to no request (list changes). Must not throw. */
  onnotification: (notification: Notification) => void;
}

interface Pending {
  answer: (message: Message) => void;
  fail: (error: unknown) => void;
  progress: (progress: Progress) => void;
}

/** The JSON-RPC side of one process: its requests in flight and its handshake. */
interface Peer {
  ready: Promise<void> | undefined;
  nextId: number;
  pending: Map<number, Pending>;
}

const peers = new WeakMap<StdioChannel, Peer>();

export function createStdioSession(options: StdioSessionOptions): BackendSession {
  const peerOf = (channel: StdioChannel): Peer => {
    const known = peers.get(channel);
    if (known) return known;
    const peer: Peer = { ready: undefined, nextId: 0, pending: new Map() };
    peers.set(channel, peer);
    channel.subscribe((message) => receive(channel, peer, message, options));
    void channel.exited.then((reason) => {
      for (const pending of peer.pending.values())
        pending.fail(new TransportFailure(`its process ended before it answered (${reason})`));
    });
    return peer;
  };

  const handshake = (channel: StdioChannel, peer: Peer): Promise<void> => {
    if (peer.ready) return peer.ready;
    const started = initialize(channel, peer, options.connectTimeoutMs);
    peer.ready = started;
    started.catch(() => {
      if (peer.ready === started) peer.ready = undefined;
    });
    return started;
  };

  return {
    async request(method, params, requestOptions) {
      const channel = options.process.current();
      const peer = peerOf(channel);
      await abortable(handshake(channel, peer), requestOptions.signal);
      return send(channel, peer, method, params, requestOptions);
    },
    // The process belongs to the pool's entry, not to a session: it outlives a session the pool retires.
    close() {},
  };
}

async function initialize(channel: StdioChannel, peer: Peer, timeoutMs: number): Promise<void> {
  const params = { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: GATEWAY_CLIENT_INFO };
  const result = await send(channel, peer, "initialize", params, { timeoutMs }).catch((error: unknown) => {
    throw error instanceof ProtocolError
      ? new TransportFailure(`the service refused to initialise: ${error.message}`)
      : error;
  });
  const version = result.protocolVersion;
  if (typeof version !== "string" || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))
    throw new TransportFailure(`the service speaks an unsupported MCP protocol version (${String(version)})`);
  channel.send({ method: "notifications/initialized" });
}

/**
 * Writes the request and waits for its answer under the request's deadline; an abort or the deadline
 * cancels it on the backend, which otherwise keeps working on it.
 */
function send(
  channel: StdioChannel,
  peer: Peer,
  method: string,
  params: Record<string, unknown>,
  options: RequestOptions,
): Promise<Record<string, unknown>> {
  const { signal } = options;
  signal?.throwIfAborted();
  const id = peer.nextId++;
  const withToken = options.onprogress
    ? { ...params, _meta: { ...(params._meta as object | undefined), progressToken: id } }
    : params;
  const deadline = options.deadline ?? createCallDeadline({ timeoutMs: options.timeoutMs });
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const stop = (reason: unknown) => {
      finish();
      channel.send({ method: "notifications/cancelled", params: { requestId: id, reason: describeFailure(reason) } });
      reject(reason);
    };
    const onAbort = () => stop(signal?.reason);
    const onDeadline = () => stop(deadline.signal.reason);
    const finish = () => {
      peer.pending.delete(id);
      signal?.removeEventListener("abort", onAbort);
      deadline.signal.removeEventListener("abort", onDeadline);
      if (!options.deadline) deadline.dispose();
    };
    peer.pending.set(id, {
      answer(message) {
        finish();
        try {
          resolve(resultOf(message));
        } catch (error) {
          reject(error);
        }
      },
      fail(error) {
        finish();
        reject(error);
      },
      progress(progress) {
        deadline.extend();
        options.onprogress?.(progress);
      },
    });
    signal?.addEventListener("abort", onAbort, { once: true });
    deadline.signal.addEventListener("abort", onDeadline, { once: true });
    if (deadline.signal.aborted) return onDeadline();
    let written: boolean;
    try {
      written = channel.send({ id, method, params: withToken });
    } catch (error) {
      finish();
      return reject(new UnsendableRequest(`the gateway could not encode the request: ${describeFailure(error)}`));
    }
    if (!written)
      peer.pending.get(id)?.fail(new TransportFailure(`its process is not running (${channel.exitReason})`));
  });
}

function receive(
  channel: StdioChannel,
  peer: Peer,
  message: ChannelMessage | OversizeLine,
  options: StdioSessionOptions,
): void {
  if (message instanceof OversizeLine) {
    tooLarge(peer, message, options.maxAnswerBytes);
    return;
  }
  const { id, method } = message as Message;
  if (typeof method !== "string") {
    if (typeof id === "number") peer.pending.get(id)?.answer(message as Message);
    return;
  }
  if (id === undefined) {
    notified(peer, { method, params: message.params }, options);
    return;
  }
  if (typeof id !== "string" && typeof id !== "number") return;
  // A request of the backend: ping is answered; the others have no caller the gateway could ask.
  if (method === "ping") channel.send({ id, result: {} });
  else
    channel.send({
      id,
      error: { code: -32601, message: `The gateway does not pass "${method}" requests of stdio services on` },
    });
}

function notified(peer: Peer, notification: Notification, options: StdioSessionOptions): void {
  if (notification.method === "notifications/progress") {
    const { progressToken, ...progress } = (notification.params ?? {}) as Progress & { progressToken?: unknown };
    if (typeof progressToken === "number" && typeof progress.progress === "number")
      peer.pending.get(progressToken)?.progress(progress);
    return;
  }
  options.onnotification(notification);
}

/**
 * An answer over the cap is dropped; its request fails with AnswerTooLarge. The request is found by the
 * id at the start or the end of the line (where JSON-RPC encoders put it), or is the only one pending;
 * failing that, every pending request fails, as any of them may have been answered.
 */
function tooLarge(peer: Peer, line: OversizeLine, maxBytes: number): void {
  const found =
    /^\s*\{\s*"jsonrpc"\s*:\s*"2\.0"\s*,\s*"id"\s*:\s*(\d+)/.exec(line.head) ??
    /"id"\s*:\s*(\d+)\s*\}\s*$/.exec(line.tail) ??
    /^\s*\{\s*"id"\s*:\s*(\d+)/.exec(line.head);
  const error = new AnswerTooLarge(maxBytes);
  const ids = found ? [Number(found[1])] : [...peer.pending.keys()];
  for (const id of ids) peer.pending.get(id)?.fail(error);
}
