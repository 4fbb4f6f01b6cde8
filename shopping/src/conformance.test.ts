import { describeConformance } from "@mcp-federation/mcp-http/testing/conformance";
import { createShoppingServer } from "./mcp-server.ts";

describeConformance("shopping-service", createShoppingServer);
