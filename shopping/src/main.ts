import { runService } from "@mcp-federation/mcp-http";
import { createShoppingServer } from "./mcp-server.ts";

runService({ serviceName: "shopping-service", defaultPort: 3002, createServer: createShoppingServer });
