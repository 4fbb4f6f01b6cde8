import { HealthBadge } from "../health-badge.tsx";
import type { Data } from "../main.tsx";

export function Overview({ data }: { data: Data }) {
  const { services, catalog, role } = data;
  if (!services) return <p>Loading services…</p>;
  const down = services.filter((s) => s.health.status === "down").length;
  return (
    <>
      <h1>Overview</h1>
      <dl class="stats">
        <div>
          <dt>Services</dt>
          <dd data-testid="service-count">{services.length}</dd>
        </div>
        <div>
          <dt>Down</dt>
          <dd>{down}</dd>
        </div>
        <div>
          <dt>Tools</dt>
          <dd>{catalog?.tools.length ?? "…"}</dd>
        </div>
        <div>
          <dt>Catalog version</dt>
          <dd data-testid="catalog-version">{catalog?.version ?? "…"}</dd>
        </div>
      </dl>
      {services.length === 0 ? (
        <div class="empty">
          <p>No services are registered yet.</p>
          {role === "admin" && <a href="#/register">Register the first one</a>}
        </div>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Registered services</caption>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Health</th>
                <th scope="col">Circuit</th>
                <th scope="col">Tools</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {services.map((service) => (
                <tr key={service.name} data-service={service.name}>
                  <th scope="row">
                    <a href={`#/services/${encodeURIComponent(service.name)}`}>{service.name}</a>
                    <div class="muted small">{service.url}</div>
                  </th>
                  <td>
                    <HealthBadge health={service.health} />
                  </td>
                  <td>{service.health.circuit}</td>
                  <td>{service.tools.length}</td>
                  <td class="small">{service.health.lastError ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
