import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/registry/schema.ts", "./src/identity/api-key-schema.ts"],
  out: "../drizzle",
});
