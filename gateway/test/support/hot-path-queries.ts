/**
 * What "no database query on the MCP hot path" means in tests: the audit log's batched inserts are
 * written off the request path by design, so they are the one kind of statement a test may see while
 * MCP requests are served; anything else is a read the hot path must not make.
 */
export function withoutAuditWrites(statements: readonly string[]): string[] {
  return statements.filter((sql) => !sql.startsWith('insert into "audit_events"'));
}
