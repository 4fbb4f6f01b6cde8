import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/registry/schema.ts", "./src/identity/api-key-schema.ts", "./src/audit/audit-schema.ts"],
  out: "../drizzle",
});
