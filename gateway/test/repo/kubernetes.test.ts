/**
 * The Kubernetes base in deploy/ cannot be applied here (no cluster), so this renders it the way an
 * operator would, with `kubectl kustomize` (Debian's kubernetes-client; .ci/install-kubectl installs it),
 * validates every object against the Kubernetes schemas of the kubernetes-models package, and checks
 * what the manifests promise: probes, drain time, security, and a gateway environment that parses.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DEFAULT_DRAIN_TIMEOUT_MS } from "@mcp-federation/mcp-http";
import * as models from "kubernetes-models";
import { ConfigError, parseConfig } from "../../src/config.ts";

const ROOT = join(import.meta.dir, "../../..");

interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  // biome-ignore lint/suspicious/noExplicitAny: rendered YAML, checked field by field below and by the schemas.
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** The kubernetes-models class for an apiVersion and kind: `apps/v1` is `apps.v1`, core `v1` is `v1`. */
function modelFor({ apiVersion, kind }: { apiVersion: string; kind: string }): ModelClass | undefined {
  const namespaces = models as unknown as Record<string, Record<string, Record<string, unknown>>>;
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const groupKey = group?.replace(/\.(\w)/g, (_, letter: string) => letter.toUpperCase());
  const found = groupKey ? namespaces[groupKey]?.[version ?? ""]?.[kind] : namespaces[version ?? ""]?.[kind];
  return found as ModelClass | undefined;
}

/** Validates one object; the schema's complaint, or undefined when it is valid. */
function schemaError(object: KubernetesObject): string | undefined {
  const Model = modelFor(object);
  if (!Model) return `no schema for ${object.apiVersion} ${object.kind}`;
  try {
    new Model(object).validate();
    return undefined;
  } catch (error) {
    return String(error);
  }
}

/** Each Bun service: its Deployment, the image built from deploy/Dockerfile with SERVICE=dir, its port. */
const BUN_SERVICES = [
  { deployment: "mcp-gateway", dir: "gateway", port: 3001 },
  { deployment: "shopping-service", dir: "shopping", port: 3002 },
  { deployment: "user-service", dir: "user", port: 3003 },
] as const;

let objects: KubernetesObject[];

beforeAll(() => {
  const rendered = Bun.spawnSync(["kubectl", "kustomize", join(ROOT, "deploy")], { stderr: "pipe" });
  if (!rendered.success) throw new Error(`kubectl kustomize deploy failed: ${rendered.stderr.toString()}`);
  const documents = Bun.YAML.parse(rendered.stdout.toString());
  objects = (Array.isArray(documents) ? documents : [documents]) as KubernetesObject[];
});

function find(kind: string, name: string): KubernetesObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`deploy/ renders no ${kind} ${name}`);
  return found;
}

function gatewayEnvironment(secrets: Record<string, string>): Record<string, string> {
  return { ...find("ConfigMap", "mcp-gateway").data, ...secrets };
}

describe("deploy/ (kustomize base)", () => {
  test("renders the gateway, both backends, their configuration and the external stores", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ConfigMap/mcp-gateway",
      "Deployment/mcp-gateway",
      "Deployment/shopping-service",
      "Deployment/user-service",
      "HorizontalPodAutoscaler/mcp-gateway",
      "PodDisruptionBudget/mcp-gateway",
      "Secret/mcp-gateway",
      "Service/mcp-gateway",
      "Service/postgres",
      "Service/redis",
      "Service/shopping-service",
      "Service/user-service",
    ]);
  });

  test("every object is valid against the Kubernetes schemas", () => {
    for (const object of objects) {
      expect({ object: `${object.kind}/${object.metadata.name}`, error: schemaError(object) }).toEqual({
        object: `${object.kind}/${object.metadata.name}`,
        error: undefined,
      });
    }
    // The validation is not vacuous: a wrong type, a missing required field and an unknown kind fail.
    const deployment = structuredClone(find("Deployment", "mcp-gateway"));
    expect(schemaError({ ...deployment, spec: { ...deployment.spec, replicas: "two" } })).toContain("integer");
    expect(schemaError({ ...deployment, spec: { ...deployment.spec, selector: undefined } })).toContain("selector");
    expect(schemaError({ ...deployment, kind: "Deploymnet" })).toContain("no schema");
  });

  test.each(BUN_SERVICES)(
    "$deployment runs the $dir image, probed on /live and /ready",
    ({ deployment, dir, port }) => {
      const { spec } = find("Deployment", deployment);
      const [container, ...others] = spec.template.spec.containers;
      expect(others).toEqual([]);
      expect(container.image).toBe(`mcp-federation/${dir}`);
      expect(container.ports).toEqual([{ name: "http", containerPort: port }]);
      expect(container.livenessProbe.httpGet).toEqual({ path: "/live", port: "http" });
      expect(container.readinessProbe.httpGet).toEqual({ path: "/ready", port: "http" });
      expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    },
  );

  test.each(BUN_SERVICES)(
    "$deployment runs as non-root on a read-only root, without capabilities",
    ({ deployment }) => {
      const pod = find("Deployment", deployment).spec.template.spec;
      // A numeric user, so that the kubelet can check it is not root (the image names it `bun`).
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.containers[0].securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
    },
  );

  test.each(BUN_SERVICES)(
    "$deployment gets longer to stop than the grace plus the drain deadline",
    ({ deployment }) => {
      const graceMs = Number(find("ConfigMap", "mcp-gateway").data?.DRAIN_GRACE_MS);
      const pod = find("Deployment", deployment).spec.template.spec;
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(graceMs + DEFAULT_DRAIN_TIMEOUT_MS);
    },
  );

  test("runs at least two gateways, kept by a disruption budget and scaled by an autoscaler", () => {
    const deployment = find("Deployment", "mcp-gateway");
    const pods = deployment.spec.template.metadata.labels;
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);

    const budget = find("PodDisruptionBudget", "mcp-gateway").spec;
    expect(pods).toMatchObject(budget.selector.matchLabels);
    expect(budget.minAvailable).toBeGreaterThanOrEqual(1);

    const autoscaler = find("HorizontalPodAutoscaler", "mcp-gateway").spec;
    expect(autoscaler.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "mcp-gateway" });
    expect(autoscaler.minReplicas).toBeGreaterThanOrEqual(2);
    expect(autoscaler.minReplicas).toBeGreaterThan(budget.minAvailable);
  });

  test.each(BUN_SERVICES)("Service $deployment reaches its pods' http port", ({ deployment, port }) => {
    const service = find("Service", deployment).spec;
    expect(find("Deployment", deployment).spec.template.metadata.labels).toMatchObject(service.selector);
    expect(service.ports).toEqual([{ name: "http", port, targetPort: "http" }]);
  });

  test("the gateway's environment, once the Secret is filled, parses into Postgres, Redis and both backends", () => {
    const config = parseConfig(
      gatewayEnvironment({
        API_KEY: "a-real-key-of-some-length",
        MCP_BEARER_TOKEN: "a-real-token-of-some-length",
        DB_PASSWORD: "pw",
      }),
    );
    expect(config.nodeEnv).toBe("production");
    expect(config.database.url).toStartWith("postgres://mcp:pw@postgres:5432/");
    expect(config.versionStore.redisUrl).toBe("redis://redis:6379");
    expect(find("Service", "postgres").spec.type).toBe("ExternalName");
    expect(find("Service", "redis").spec.type).toBe("ExternalName");
    for (const { name, url } of config.bootstrapServices) {
      const { hostname, port } = new URL(url);
      expect(hostname).toBe(name);
      expect(find("Service", name).spec.ports[0].port).toBe(Number(port));
    }
    expect(config.bootstrapServices.map((s) => s.name).sort()).toEqual(["shopping-service", "user-service"]);
  });

  test("the Secret left as shipped stops the gateway from starting", () => {
    const secret = find("Secret", "mcp-gateway").stringData ?? {};
    expect(() => parseConfig(gatewayEnvironment(secret))).toThrow(ConfigError);
  });

  test("the backends require the token the gateway sends them", () => {
    const gateway = find("Deployment", "mcp-gateway").spec.template.spec.containers[0];
    expect(gateway.envFrom).toContainEqual({ secretRef: { name: "mcp-gateway" } });
    expect(find("Secret", "mcp-gateway").stringData).toHaveProperty("BACKEND_BEARER_TOKEN");
    for (const name of ["shopping-service", "user-service"]) {
      const { env } = find("Deployment", name).spec.template.spec.containers[0];
      expect(env).toContainEqual({
        name: "MCP_BEARER_TOKEN",
        valueFrom: { secretKeyRef: { name: "mcp-gateway", key: "BACKEND_BEARER_TOKEN" } },
      });
    }
  });
});
