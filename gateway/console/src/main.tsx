/**
 * The operator console: one page, routed by the URL's hash, over the gateway's admin API. The gateway's
 * event stream keeps the services and the catalog current without a reload.
 */
import "./styles.css";
import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, api, type Catalog, followEvents, type Role, type Service, session } from "./api.ts";
import { Audit } from "./pages/audit.tsx";
import { Keys } from "./pages/keys.tsx";
import { Overview } from "./pages/overview.tsx";
import { Register } from "./pages/register.tsx";
import { ServicePage } from "./pages/service.tsx";
import { Tools } from "./pages/tools.tsx";
import { VirtualServers } from "./pages/virtual-servers.tsx";
import { SignIn } from "./sign-in.tsx";

export interface Data {
  role: Role;
  services: Service[] | undefined;
  catalog: Catalog | undefined;
  /** Fetches services and catalog again, after a change made from this tab. */
  refresh: () => Promise<void>;
}

function useHashRoute(): string {
  const [route, setRoute] = useState(location.hash.slice(1) || "/");
  useEffect(() => {
    const onChange = () => setRoute(location.hash.slice(1) || "/");
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

function App() {
  const [role, setRole] = useState<Role | undefined>();
  const [checking, setChecking] = useState(session.key() !== null);
  useEffect(() => {
    if (!checking) return;
    api<{ role: Role }>("GET", "/whoami")
      .then(({ role }) => setRole(role))
      .catch(() => session.signOut())
      .finally(() => setChecking(false));
  }, [checking]);

  if (checking) return <p class="page">Signing in…</p>;
  if (!role) return <SignIn onSignedIn={setRole} />;
  return (
    <SignedIn
      role={role}
      onSignOut={() => {
        session.signOut();
        setRole(undefined);
      }}
    />
  );
}

function SignedIn({ role, onSignOut }: { role: Role; onSignOut: () => void }) {
  const route = useHashRoute();
  const [services, setServices] = useState<Service[]>();
  const [catalog, setCatalog] = useState<Catalog>();
  const [error, setError] = useState<string>();

  const refresh = useCallback(async () => {
    try {
      const [list, next] = await Promise.all([
        api<{ services: Service[] }>("GET", "/services"),
        api<Catalog>("GET", "/catalog"),
      ]);
      setServices(list.services);
      setCatalog(next);
      setError(undefined);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) onSignOut();
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [onSignOut]);

  useEffect(() => {
    const stop = new AbortController();
    let seen = "";
    // Every change of the catalog version or of a backend's health fetches the lists again.
    void followEvents((state) => {
      const now = JSON.stringify(state);
      if (now === seen) return;
      seen = now;
      void refresh();
    }, stop.signal);
    return () => stop.abort();
  }, [refresh]);

  const data: Data = { role, services, catalog, refresh };
  const [page, ...rest] = route.split("/").filter(Boolean);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <strong class="brand">MCP Gateway</strong>
        <nav aria-label="Main">
          <a href="#/" aria-current={page === undefined ? "page" : undefined}>
            Overview
          </a>
          <a href="#/tools" aria-current={page === "tools" ? "page" : undefined}>
            Tools
          </a>
          {role === "admin" && (
            <a href="#/register" aria-current={page === "register" ? "page" : undefined}>
              Register a service
            </a>
          )}
          <a href="#/virtual-servers" aria-current={page === "virtual-servers" ? "page" : undefined}>
            Virtual servers
          </a>
          <a href="#/keys" aria-current={page === "keys" ? "page" : undefined}>
            API keys
          </a>
          <a href="#/audit" aria-current={page === "audit" ? "page" : undefined}>
            Audit log
          </a>
        </nav>
        <span class="who">
          {role}
          <button type="button" class="link" onClick={onSignOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" class="page">
        {error && (
          <p class="error" role="alert">
            Cannot reach the gateway: {error}
          </p>
        )}
        {page === "tools" ? (
          <Tools data={data} selected={rest.length ? decodeURIComponent(rest.join("/")) : undefined} />
        ) : page === "register" ? (
          <Register data={data} />
        ) : page === "virtual-servers" ? (
          <VirtualServers data={data} />
        ) : page === "keys" ? (
          <Keys data={data} />
        ) : page === "audit" ? (
          <Audit />
        ) : page === "services" && rest[0] ? (
          <ServicePage data={data} name={decodeURIComponent(rest[0])} />
        ) : (
          <Overview data={data} />
        )}
      </main>
    </>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
