import { runService } from "@mcp-federation/mcp-http";
import { createUserServer } from "./mcp-server.ts";

runService({ serviceName: "user-service", defaultPort: 3003, createServer: createUserServer });
