/**
 * The headers the gateway sends to a backend: the shared backend bearer token (BACKEND_BEARER_TOKEN,
 * never the token clients present to the gateway, which would let any backend call /mcp), overridden by
 * the backend's own headers given at registration. Those are sealed before they reach the database and
 * opened only to build requests; no API returns them and no log line contains them.
 */
import { HttpError } from "../http-error.ts";
import { createSecretBox } from "./secret-box.ts";

export type HeaderMap = Record<string, string>;

export interface BackendCredentials {
  /** The stored form of a backend's own headers (or other secrets, named by `what`); null when it has none. */
  seal(headers: HeaderMap, what?: string): string | null;
  /** The backend's own headers from their stored form. */
  open(sealed: string | null): HeaderMap;
  /** Everything sent to the backend: defaults first, the backend's own headers win. */
  headersFor(own: HeaderMap): HeaderMap;
}

export function createBackendCredentials({
  secretsKey,
  bearerToken,
}: {
  secretsKey?: string;
  /** Undefined: backends without headers of their own get no Authorization header. */
  bearerToken?: string;
}): BackendCredentials {
  const box = secretsKey ? createSecretBox(secretsKey) : undefined;
  return {
    seal(headers, what = "backend headers") {
      if (Object.keys(headers).length === 0) return null;
      if (!box)
        throw new HttpError("bad_request", `${what} can only be stored encrypted: set SECRETS_KEY on the gateway`);
      return box.seal(JSON.stringify(headers));
    },
    open(sealed) {
      if (sealed === null) return {};
      if (!box) throw new Error("stored backend headers cannot be read without SECRETS_KEY");
      return JSON.parse(box.open(sealed)) as HeaderMap;
    },
    headersFor(own) {
      const merged: HeaderMap = bearerToken === undefined ? {} : { Authorization: `Bearer ${bearerToken}` };
      for (const [name, value] of Object.entries(own)) {
        // Header names are case-insensitive: the backend's own Authorization replaces the default one.
        for (const key of Object.keys(merged)) if (key.toLowerCase() === name.toLowerCase()) delete merged[key];
        merged[name] = value;
      }
      return merged;
    },
  };
}
