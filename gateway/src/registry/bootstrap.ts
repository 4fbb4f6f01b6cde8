/**
 * Registers the services named in GATEWAY_SERVICES at start. Backends often start at the same time as
 * the gateway, so an unreachable one is retried with backoff until it answers or the gateway stops.
 */
import { HttpError } from "../http-error.ts";
import type { Logger } from "../logger.ts";
import { redactUrl } from "../security/redact-url.ts";
import type { RegistryService } from "./registry-service.ts";

export interface BootstrapOptions {
  services: { name: string; url: string }[];
  registry: RegistryService;
  log: Logger;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** Starts the bootstrap in the background; the returned function stops the retries. */
export function bootstrapServices({
  services,
  registry,
  log,
  initialDelayMs = 250,
  maxDelayMs = 10_000,
}: BootstrapOptions): {
  done: Promise<void>;
  stop: () => void;
} {
  let stopped = false;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const ensure = async ({ name, url }: { name: string; url: string }) => {
    const shown = redactUrl(url);
    for (let delay = initialDelayMs; !stopped; delay = Math.min(delay * 2, maxDelayMs)) {
      try {
        const { created } = await registry.register({ name, url });
        log.info(created ? "bootstrap registered service" : "bootstrap refreshed service", {
          service: name,
          url: shown,
        });
        return;
      } catch (error) {
        // The environment is authoritative: a service registered elsewhere under this name moves here.
        if (error instanceof HttpError && error.code === "conflict") {
          await registry.update(name, { url }).then(
            () => log.info("bootstrap moved service", { service: name, url: shown }),
            (e) => log.warn("bootstrap could not move service", { service: name, error: e }),
          );
          return;
        }
        log.warn("bootstrap: service not ready, retrying", { service: name, url: shown, retryInMs: delay, error });
        await sleep(delay);
      }
    }
  };

  const done = Promise.all(services.map(ensure)).then(() => undefined);
  return { done, stop: () => (stopped = true) };
}
