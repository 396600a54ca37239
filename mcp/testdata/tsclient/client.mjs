// The official TypeScript SDK's MCP client asks a query that takes longer
// than its own request timeout, as Claude Desktop's minute would: the call
// answers with a handle in time, and get_result gives the answer later.
// Usage: node client.mjs URL TOKEN TIMEOUT_MS ARGUMENTS_JSON
// Prints key=value lines for the Go test (async_ts_test.go) to check.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token, timeoutMs, argsJSON] = process.argv.slice(2);
const timeout = Number(timeoutMs);
const client = new Client({ name: "agentlayer-async-test", version: "1.0.0" });
await client.connect(new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
}));

const first = await client.callTool({ name: "query", arguments: JSON.parse(argsJSON) }, undefined, { timeout });
const handle = first.structuredContent?.handle;
console.log(`first_status=${first.structuredContent?.status}`);
console.log(`first_text_names_get_result=${first.content[0].text.includes("get_result")}`);
if (!handle) {
  console.log(`first=${JSON.stringify(first)}`);
  process.exit(1);
}

let running = 0;
for (;;) {
  const r = await client.callTool({ name: "get_result", arguments: { handle } }, undefined, { timeout });
  const s = r.structuredContent ?? {};
  if (s.status === "running") {
    running++;
    await new Promise((ok) => setTimeout(ok, 200));
    continue;
  }
  console.log(`running_polls=${running}`);
  console.log(`status=${s.status}`);
  console.log(`is_error=${r.isError === true}`);
  console.log(`rows=${JSON.stringify(s.data?.rows ?? null)}`);
  console.log(`text=${JSON.stringify(r.content[0].text)}`);
  break;
}
const again = await client.callTool({ name: "get_result", arguments: { handle } }, undefined, { timeout });
console.log(`again_is_error=${again.isError === true}`);
await client.close();
