import { describeConformance } from "@mcp-federation/mcp-http/testing/conformance";
import { createUserServer } from "./mcp-server.ts";

describeConformance("user-service", createUserServer);
