// The official TypeScript SDK's MCP client, added to agentlayer as a remote
// MCP client adds a server: it meets a 401, discovers the protected
// resource metadata and the authorization server, registers itself, and
// runs the authorization code flow with PKCE. The Go test
// (oauth_e2e_test.go) plays the user: it reads the authorization URL this
// prints, logs in and consents at the provider, and follows the redirect
// to this client's callback.
// Usage: node oauth_client.mjs MCP_URL QUERY_ARGUMENTS_JSON
// Prints one JSON object per line: {"authorize": URL}, then the answers.
import http from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const [mcpURL, queryArgs] = process.argv.slice(2);

let gotCode;
const code = new Promise((ok) => { gotCode = ok; });
const callback = http.createServer((req, res) => {
  const u = new URL(req.url, "http://127.0.0.1");
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("You may close this window.");
  if (u.pathname === "/callback") gotCode(u.searchParams.get("code") ?? `error: ${u.searchParams.get("error")}`);
});
await new Promise((ok) => callback.listen(0, "127.0.0.1", ok));
const redirectUrl = `http://127.0.0.1:${callback.address().port}/callback`;

let info, tokens, verifier;
const authProvider = {
  get redirectUrl() { return redirectUrl; },
  get clientMetadata() {
    return { client_name: "agentlayer OAuth test", redirect_uris: [redirectUrl], grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"], token_endpoint_auth_method: "none" };
  },
  clientInformation: () => info,
  saveClientInformation: (i) => { info = i; },
  tokens: () => tokens,
  saveTokens: (t) => { tokens = t; },
  redirectToAuthorization: (url) => console.log(JSON.stringify({ authorize: url.toString() })),
  saveCodeVerifier: (v) => { verifier = v; },
  codeVerifier: () => verifier,
};

const client = new Client({ name: "agentlayer-oauth-test", version: "1.0.0" });
try {
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpURL), { authProvider }));
  throw new Error("connected without authorization");
} catch (err) {
  if (!(err instanceof UnauthorizedError)) throw err;
}
const transport = new StreamableHTTPClientTransport(new URL(mcpURL), { authProvider });
const c = await code;
if (c.startsWith("error")) throw new Error(c);
await transport.finishAuth(c);
await client.connect(transport);
const tools = await client.listTools();
const search = await client.callTool({ name: "search", arguments: { term_queries: ["orders"] } });
const query = await client.callTool({ name: "query", arguments: JSON.parse(queryArgs) });
console.log(JSON.stringify({
  token: tokens.access_token, scope: tokens.scope, tools: tools.tools.map((t) => t.name),
  search_error: search.isError === true, query_error: query.isError === true,
  rows: query.structuredContent?.data?.rows ?? null, query_text: query.content?.[0]?.text,
}));
await client.close();
callback.close();
