// Local OpenID Connect authority for the vidiflow-auth tests.
//
// Mimics the VidiFlow IdentityServer-style service closely enough for the
// client-credentials flow: an issuer with a path, discovery, a token endpoint at
// {issuer}/connect/token, JWT access tokens, and a few fixed clients. Adds
// test-control endpoints under /__test/ (outside the issuer path) that record
// every request reaching the token endpoint, raw body included.
//
// Environment:
//   VF_TEST_PORT                 port on 127.0.0.1 (default 0 = ephemeral)
//   VF_TEST_ISSUER_PATH          issuer path (default /Integrations/Authentication/core)
//   VF_TEST_TOKEN_TTL            access token lifetime in seconds (default 3600)
//   VF_TEST_EXIT_ON_STDIN_CLOSE  "1": exit when stdin reaches EOF / closes
//   VF_TEST_STRICT_AUTH_METHOD   "0": accept client_secret_basic and client_secret_post from
//                                every client, as oidc-provider and IdentityServer do; by
//                                default (strict) a client that authenticates with a method
//                                other than its registered one gets 401 invalid_client, so a
//                                test proves which method the library really used
//   VF_TEST_VERBOSE              "1": oidc-provider notices and a request log on stderr
//   VF_TEST_TLS_CERT, VF_TEST_TLS_KEY
//                                PEM files: serve https instead of http
//   VF_TEST_HOST_NAME            host name in the issuer and the printed URLs (default
//                                127.0.0.1; e.g. localhost, to match a TLS certificate)
//
// stdout carries exactly one line, once listening:
//   {"authority":"http://127.0.0.1:PORT/ISSUER_PATH","port":PORT,"stats":"http://127.0.0.1:PORT/__test/stats"}

import { generateKeyPair, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

const VERBOSE = process.env.VF_TEST_VERBOSE === '1';
const STRICT_AUTH_METHOD = process.env.VF_TEST_STRICT_AUTH_METHOD !== '0';

// oidc-provider prints notices with console.info (stdout) and warnings with
// console.warn (some at import time, e.g. about the Node.js version or the
// in-memory adapter). stdout is reserved for the single ready line, so route
// all console output to stderr, and drop it unless verbose.
{
  const toStderr = (...args) => {
    if (VERBOSE) process.stderr.write(`${args.map(String).join(' ')}\n`);
  };
  console.log = toStderr;
  console.info = toStderr;
  console.warn = toStderr;
  console.debug = toStderr;
}

// Fresh RS256 signing key per run, nothing on disk. RSA key generation runs on
// the libuv thread pool, so it overlaps with loading oidc-provider.
const signingKey = new Promise((resolve, reject) => {
  generateKeyPair('rsa', { modulusLength: 2048 }, (err, _publicKey, privateKey) => {
    if (err) reject(err);
    else resolve(privateKey);
  });
});

const [{ default: Provider, errors }, privateKey] = await Promise.all([
  import('oidc-provider'),
  signingKey,
]);

function fail(message) {
  process.stderr.write(`test authority: ${message}\n`);
  process.exit(2);
}

function intFromEnv(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) fail(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

const PORT = intFromEnv('VF_TEST_PORT', 0, 0);
if (PORT > 65535) fail('VF_TEST_PORT must be <= 65535');
const TTL = intFromEnv('VF_TEST_TOKEN_TTL', 3600, 1);

let ISSUER_PATH = process.env.VF_TEST_ISSUER_PATH ?? '/Integrations/Authentication/core';
if (!ISSUER_PATH.startsWith('/')) ISSUER_PATH = `/${ISSUER_PATH}`;
ISSUER_PATH = ISSUER_PATH.replace(/\/+$/, ''); // '' means the issuer is the origin itself
if (ISSUER_PATH.startsWith('/__test')) fail('VF_TEST_ISSUER_PATH must not start with /__test');

const TOKEN_PATH = `${ISSUER_PATH}/connect/token`;
const DISCOVERY_PATH = `${ISSUER_PATH}/.well-known/openid-configuration`;

const SCOPES = ['api1', 'api2'];
const RESOURCES = new Set(['urn:vidiflow:api', 'urn:vidiflow:other']);
const DEFAULT_RESOURCE = 'urn:vidiflow:api';
const MAX_BODY = 1024 * 1024;

const CLIENTS = [
  { client_id: 'vf-post', client_secret: 'post-secret-0123456789', token_endpoint_auth_method: 'client_secret_post' },
  { client_id: 'vf-basic', client_secret: 'a+b/c=d%e&f:g', token_endpoint_auth_method: 'client_secret_basic' },
  { client_id: 'vf-post-2', client_secret: 'second-secret-abcdef', token_endpoint_auth_method: 'client_secret_post' },
  // An id with characters RFC 6749 §2.3.1 form-urlencodes before Basic: a colon (which would
  // end the id early if sent raw), a space, '+', '/', '%', '&' and '='.
  { client_id: 'vf:basic id+/%&=', client_secret: 'reserved-secret-7a6b', token_endpoint_auth_method: 'client_secret_basic' },
].map((c) => ({
  ...c,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  scope: SCOPES.join(' '),
}));

function signingJwk() {
  return {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };
}

function isClientCredentialsTokenRequest(ctx) {
  return ctx.oidc?.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials';
}

function buildProvider(issuer) {
  return new Provider(issuer, {
    clients: CLIENTS,
    jwks: { keys: [signingJwk()] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: ['openid', ...SCOPES],
    routes: { token: '/connect/token' },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    ttl: { ClientCredentials: TTL },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? DEFAULT_RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource) => {
          if (!RESOURCES.has(resource)) {
            throw new errors.InvalidTarget(`unknown resource ${resource}`);
          }
          if (isClientCredentialsTokenRequest(ctx)) {
            // Runs after client authentication succeeded.
            if (STRICT_AUTH_METHOD) {
              const used = ctx.get('authorization') ? 'client_secret_basic' : 'client_secret_post';
              if (used !== ctx.oidc.client.tokenEndpointAuthMethod) {
                // 401 invalid_client "client authentication failed", like a wrong secret.
                throw new errors.InvalidClientAuth(`client must authenticate with ${ctx.oidc.client.tokenEndpointAuthMethod}, not ${used}`);
              }
            }
            // Written here, not oidc-provider's own behaviour (tests that rely on it say so):
            // oidc-provider silently drops scopes it does not know for this
            // grant; IdentityServer answers invalid_scope, so do the same.
            const requested = (ctx.oidc.params.scope ?? '').split(' ').filter(Boolean);
            const unknown = requested.filter((s) => !SCOPES.includes(s));
            if (unknown.length) {
              throw new errors.InvalidScope('requested scope is not allowed', unknown.join(' '));
            }
            // No scope requested: grant all of the client's scopes, as
            // IdentityServer does (also written here, not oidc-provider's own).
            if (!requested.length) ctx.oidc.params.scope = SCOPES.join(' ');
          }
          return {
            scope: SCOPES.join(' '),
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: TTL,
          };
        },
      },
    },
  });
}

// ---------------------------------------------------------------- recording

const stats = { token_requests: 0, discovery_requests: 0, token_requests_by_client: {}, requests: [] };

function resetStats() {
  stats.token_requests = 0;
  stats.discovery_requests = 0;
  stats.token_requests_by_client = {};
  stats.requests = [];
}

// The client id a token request names, for the per-client counter: the form's client_id, else
// the id part of a Basic header (form-urlencoded, RFC 6749 §2.3.1); '' when there is none or
// it cannot be decoded (the request then fails at the provider anyway).
function clientIdOf(headers, body) {
  const fromForm = new URLSearchParams(body).get('client_id');
  if (fromForm !== null) return fromForm;
  const [scheme, value] = (headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !value) return '';
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  try {
    return decodeURIComponent((colon === -1 ? decoded : decoded.slice(0, colon)).replace(/\+/g, '%20'));
  } catch {
    return '';
  }
}

async function readRawBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw Object.assign(new Error('request entity too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

function handleTestControl(req, res, pathname) {
  if (pathname === '/__test/stats' && req.method === 'GET') {
    sendJson(res, 200, stats);
  } else if (pathname === '/__test/reset' && req.method === 'POST') {
    resetStats();
    sendJson(res, 200, { ok: true });
  } else {
    sendJson(res, 404, { error: 'not_found' });
  }
  req.resume();
}

// ---------------------------------------------------------------- server

let providerCallback;

const TLS_CERT = process.env.VF_TEST_TLS_CERT;
const TLS_KEY = process.env.VF_TEST_TLS_KEY;
if (Boolean(TLS_CERT) !== Boolean(TLS_KEY)) fail('set both VF_TEST_TLS_CERT and VF_TEST_TLS_KEY, or neither');
const HOST_NAME = process.env.VF_TEST_HOST_NAME || '127.0.0.1';

const createServer = TLS_CERT
  ? (handler) => createHttpsServer({ cert: readFileSync(TLS_CERT), key: readFileSync(TLS_KEY) }, handler)
  : createHttpServer;

const server = createServer(async (req, res) => {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const pathname = q === -1 ? rawUrl : rawUrl.slice(0, q);
  if (VERBOSE) process.stderr.write(`${req.method} ${rawUrl}\n`);

  try {
    if (pathname === '/__test' || pathname.startsWith('/__test/')) {
      handleTestControl(req, res, pathname);
      return;
    }

    const underIssuer = ISSUER_PATH === ''
      || pathname === ISSUER_PATH
      || pathname.startsWith(`${ISSUER_PATH}/`);
    if (!underIssuer) {
      req.resume();
      sendJson(res, 404, { error: 'not_found' });
      return;
    }

    if (pathname === DISCOVERY_PATH) stats.discovery_requests += 1;

    let body = '';
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') {
      // Read the body ourselves so it can be recorded byte-for-byte. The
      // stream is then spent (req.readable === false), and oidc-provider's
      // body parser (lib/shared/selective_body.js) falls back to req.body,
      // which it accepts as a Buffer and parses with the content type it sees.
      req.body = await readRawBody(req);
      body = req.body.toString('utf8');
    }
    if (pathname === TOKEN_PATH || pathname === `${TOKEN_PATH}/`) {
      stats.token_requests += 1;
      const clientId = clientIdOf(req.headers, body);
      stats.token_requests_by_client[clientId] = (stats.token_requests_by_client[clientId] ?? 0) + 1;
      stats.requests.push({ method: req.method, path: pathname, url: rawUrl, headers: { ...req.headers }, body });
    }

    // Mount the provider under the issuer path: it sees the path relative to
    // the issuer, and derives the mount path for the URLs it generates from
    // req.originalUrl (lib/helpers/oidc_context.js urlFor).
    req.originalUrl = rawUrl;
    req.url = rawUrl.slice(ISSUER_PATH.length) || '/';
    if (!req.url.startsWith('/')) req.url = `/${req.url}`;
    providerCallback(req, res);
  } catch (err) {
    if (!res.headersSent) {
      sendJson(res, err.status ?? 500, { error: 'server_error', error_description: String(err.message ?? err) });
    } else {
      res.destroy();
    }
  }
});

server.keepAliveTimeout = 5000;

server.on('error', (err) => fail(`server error: ${err.message}`));

server.listen(PORT, '127.0.0.1', () => {
  const { port } = server.address();
  const origin = `${TLS_CERT ? 'https' : 'http'}://${HOST_NAME}:${port}`;
  const issuer = `${origin}${ISSUER_PATH}`;
  const provider = buildProvider(issuer);
  provider.proxy = false;
  if (VERBOSE) {
    provider.on('server_error', (_ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
    provider.on('grant.error', (_ctx, err) => process.stderr.write(`grant.error: ${err.message} ${err.error_description ?? ''}\n`));
  }
  providerCallback = provider.callback();
  process.stdout.write(`${JSON.stringify({ authority: issuer, port, stats: `${origin}/__test/stats` })}\n`);
});

// ---------------------------------------------------------------- shutdown

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

if (process.env.VF_TEST_EXIT_ON_STDIN_CLOSE === '1') {
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
