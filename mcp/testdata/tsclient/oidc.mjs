// A real OpenID provider (npm oidc-provider) for mcp's OAuth tests
// (oauth_e2e_test.go): it registers clients (RFC 7591), issues JWT access
// tokens for a resource (RFC 8707) signed with its own keys, and offers a
// login and a consent the Go test drives over HTTP:
//
//   GET  /interaction/UID          {"uid", "prompt": "login"|"consent"}
//   POST /interaction/UID/login    login=EMAIL (any email logs in)
//   POST /interaction/UID/confirm  grants what the client asked for
//
// Environment: PORT, RESOURCE (the MCP URL), API_AUDIENCE (the Agent API's),
// SCOPES (space-separated), KEY_PREFIX (kids of its keys: change it to
// rotate them across a restart). Two clients are registered statically for
// tokens the Go test refuses: "other" (client credentials, for another
// audience) and "short" (client credentials, 2 s tokens for RESOURCE).
// Prints {"issuer": …} once listening.
import http from "node:http";
import crypto from "node:crypto";
import Provider, { errors } from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const resource = process.env.RESOURCE;
const scopes = process.env.SCOPES;
const prefix = process.env.KEY_PREFIX ?? "k1";
const other = "https://other.example.com/api";

function jwk(type, options, kid, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: "jwk" }), kid, alg, use: "sig" };
}

const provider = new Provider(issuer, {
  clients: [
    { client_id: "other", client_secret: "other-secret", grant_types: ["client_credentials"], redirect_uris: [], response_types: [] },
    { client_id: "short", client_secret: "short-secret", grant_types: ["client_credentials"], redirect_uris: [], response_types: [] },
  ],
  jwks: { keys: [jwk("ec", { namedCurve: "P-256" }, `${prefix}-es256`, "ES256"), jwk("rsa", { modulusLength: 2048 }, `${prefix}-rs256`, "RS256")] },
  cookies: { keys: ["agentlayer-test-cookie-key"] },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, indicator, client) {
        if (indicator === other && client.clientId === "other") {
          return { scope: scopes, audience: other, accessTokenFormat: "jwt", accessTokenTTL: 3600, jwt: { sign: { alg: "ES256" } } };
        }
        if (indicator !== resource) throw new errors.InvalidTarget();
        const ttl = client.clientId === "short" ? 2 : 3600;
        return { scope: scopes, audience: resource, accessTokenFormat: "jwt", accessTokenTTL: ttl, jwt: { sign: { alg: "ES256" } } };
      },
    },
  },
  // Who the token names: the account's verified email, in the access
  // token itself (agentlayer identifies provider users by email).
  async extraTokenClaims(ctx, token) {
    const email = token.accountId ?? (token.clientId !== "registered" ? "sales.tx@example.com" : undefined);
    return email ? { email, email_verified: true } : {};
  },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, email: id, email_verified: true }; } };
  },
  claims: { email: ["email", "email_verified"] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.on("server_error", (ctx, err) => console.error("server_error", err));

async function body(req) {
  let data = "";
  for await (const chunk of req) data += chunk;
  return new URLSearchParams(data);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ uid, prompt: details.prompt.name, details: details.prompt.details }));
    return;
  }
  if (action === "login") {
    const login = (await body(req)).get("login");
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  const { prompt: { details: missing }, params, session: { accountId } } = details;
  const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, s] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, s.join(" "));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
http.createServer(async (req, res) => {
  const m = req.url.match(/^\/interaction\/([^/?]+)(?:\/(login|confirm))?$/);
  if (!m) return callback(req, res);
  try {
    await interaction(req, res, m[1], m[2]);
  } catch (err) {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: String(err) }));
  }
}).listen(port, "127.0.0.1", () => console.log(JSON.stringify({ issuer })));
