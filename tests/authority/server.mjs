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
//                                test proves which method the library really used (never
//                                strict with VF_TEST_IDENTITYSERVER3)
//   VF_TEST_VERBOSE              "1": oidc-provider notices and a request log on stderr
//   VF_TEST_TLS_CERT, VF_TEST_TLS_KEY
//                                PEM files: serve https instead of http
//   VF_TEST_HOST_NAME            host name in the issuer and the printed URLs (default
//                                127.0.0.1; e.g. localhost, to match a TLS certificate)
//   VF_TEST_ISSUER_ORIGIN        scheme://host:port the issuer names instead of the address
//                                the server listens on (e.g. http://VIDIFLOWHOST:19081), as
//                                IdentityServer3 does behind Service Fabric's reverse proxy:
//                                its issuer is the configured IssuerUri, its endpoint URLs
//                                follow the request's Host header. The printed authority stays
//                                the listening address.
//   VF_TEST_IDENTITYSERVER3      "1": client authentication and errors as IdentityServer3's
//                                source code does them (see identityServer3Request below)
//   VF_TEST_JWT_CLIENTS          private_key_jwt clients: "client_id=public.pem[@kid][+more.pem],…";
//                                each client's JWKS holds the public keys of those PEM files
//   VF_TEST_TLS_CLIENT_CA        PEM CA (https only): ask clients for a certificate, and register
//                                client "vf-mtls" (tls_client_auth, certificate subject CN=vf-mtls,
//                                issued by this CA)
//   VF_TEST_TLS_SELF_SIGNED_CLIENT_CERT
//                                PEM certificate (with VF_TEST_TLS_CLIENT_CA): register client
//                                "vf-mtls-self" (self_signed_tls_client_auth) with it
//
// stdout carries exactly one line, once listening:
//   {"authority":"http://127.0.0.1:PORT/ISSUER_PATH","port":PORT,"stats":"http://127.0.0.1:PORT/__test/stats"}

import { createHash, createPublicKey, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

const VERBOSE = process.env.VF_TEST_VERBOSE === '1';
const IDENTITYSERVER3 = process.env.VF_TEST_IDENTITYSERVER3 === '1';
// IdentityServer3 ties no client to one secret method: its mode is never strict.
const STRICT_AUTH_METHOD = process.env.VF_TEST_STRICT_AUTH_METHOD !== '0' && !IDENTITYSERVER3;

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

function jwtClients() {
  const spec = process.env.VF_TEST_JWT_CLIENTS;
  if (!spec) return [];
  return spec.split(',').map((entry) => {
    const [clientId, files] = entry.split('=');
    if (!clientId || !files) fail(`VF_TEST_JWT_CLIENTS: expected client_id=key.pem[+key.pem], got ${JSON.stringify(entry)}`);
    const keys = files.split('+').map((entry) => {
      const [file, kid] = entry.split('@');
      return { ...createPublicKey(readFileSync(file)).export({ format: 'jwk' }), ...(kid ? { kid } : {}) };
    });
    return { client_id: clientId, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys } };
  });
}

function selfSignedTlsClients() {
  const file = process.env.VF_TEST_TLS_SELF_SIGNED_CLIENT_CERT;
  if (!file) return [];
  const cert = new X509Certificate(readFileSync(file));
  const key = {
    ...cert.publicKey.export({ format: 'jwk' }),
    'x5t#S256': createHash('sha256').update(cert.raw).digest('base64url'),
  };
  return [{ client_id: 'vf-mtls-self', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [key] } }];
}

const CLIENTS = [
  { client_id: 'vf-post', client_secret: 'post-secret-0123456789', token_endpoint_auth_method: 'client_secret_post' },
  { client_id: 'vf-basic', client_secret: 'a+b/c=d%e&f:g', token_endpoint_auth_method: 'client_secret_basic' },
  { client_id: 'vf-post-2', client_secret: 'second-secret-abcdef', token_endpoint_auth_method: 'client_secret_post' },
  // An id with characters RFC 6749 §2.3.1 form-urlencodes before Basic: a colon (which would
  // end the id early if sent raw), a space, '+', '/', '%', '&' and '='.
  { client_id: 'vf:basic id+/%&=', client_secret: 'reserved-secret-7a6b', token_endpoint_auth_method: 'client_secret_basic' },
  // Every character the two Basic styles send differently: + / = % & : ~ and a space.
  { client_id: 'vf-idsrv3', client_secret: 'Id+S/3=%&:~ secret', token_endpoint_auth_method: 'client_secret_basic' },
  ...jwtClients(),
  ...(process.env.VF_TEST_TLS_CLIENT_CA
    ? [{ client_id: 'vf-mtls', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=vf-mtls' }]
    : []),
  ...selfSignedTlsClients(),
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
    clientAuthMethods: [
      'client_secret_basic', 'client_secret_post', 'private_key_jwt',
      ...(process.env.VF_TEST_TLS_CLIENT_CA ? ['tls_client_auth', 'self_signed_tls_client_auth'] : []),
    ],
    ttl: { ClientCredentials: TTL },
    enabledJWA: { clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'ES384'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      mTLS: {
        enabled: Boolean(process.env.VF_TEST_TLS_CLIENT_CA),
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx) => {
          const peer = ctx.req.socket.getPeerX509Certificate?.();
          return peer ? peer.toString() : undefined;
        },
        certificateAuthorized: (ctx) => ctx.req.socket.authorized === true,
        certificateSubjectMatches: (ctx, property, expected) => {
          const peer = ctx.req.socket.getPeerX509Certificate?.();
          return property === 'tls_client_auth_subject_dn' && peer !== undefined
            && peer.subject.split('\n').join(',') === expected;
        },
      },
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
            // Only the two secret methods are interchangeable in oidc-provider; it holds a
            // client to private_key_jwt and the TLS methods itself.
            const registered = ctx.oidc.client.tokenEndpointAuthMethod;
            if (STRICT_AUTH_METHOD && ['client_secret_basic', 'client_secret_post'].includes(registered)) {
              const used = ctx.get('authorization') ? 'client_secret_basic' : 'client_secret_post';
              if (used !== registered) {
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
            // No scope requested: IdentityServer3 refuses (invalid_scope); later
            // IdentityServers grant all of the client's scopes (also written here, not
            // oidc-provider's own).
            if (!requested.length && IDENTITYSERVER3) {
              throw new errors.InvalidScope('scope is required');
            }
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

// ---------------------------------------------------------------- IdentityServer3


// oidc-provider URL-decodes the id and secret of a Basic credential (RFC 6749 §2.3.1).
// IdentityServer3's BasicAuthenticationSecretParser does not: it base64-decodes, splits at the
// first ':' and takes both halves as they are (RFC 2617). Reproduce that in front of
// oidc-provider by handing it the halves form-encoded, so that its decoding gives back exactly
// the raw bytes IdentityServer3 would compare. IdentityServer3 also looks at body credentials
// first (PostBodySecretParser runs before Basic): when the body has a client_id, the header is
// ignored.
//
// For private_key_jwt, IdentityServer3's PrivateKeyJwtSecretValidator wants the assertion's
// audience to be its IssuerUri + "/connect/token", whatever URL the client called.
// Returns an OAuth error code to answer with, or undefined to go on.
function identityServer3Request(req, body, issuer) {
  const params = new URLSearchParams(body);
  const assertion = params.get('client_assertion');
  if (assertion) {
    let claims = {};
    try {
      claims = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8'));
    } catch { /* not a JWT: invalid_client below */ }
    const audiences = [].concat(claims.aud ?? []);
    if (!audiences.includes(`${issuer}/connect/token`)) return 'invalid_client';
  }
  const header = req.headers.authorization;
  if (!header) return undefined;
  if (params.get('client_id')) {
    delete req.headers.authorization;
    return undefined;
  }
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match) return undefined;
  const pair = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  if (colon < 0) return undefined;
  const encode = (text) => encodeURIComponent(text).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const reencoded = `${encode(pair.slice(0, colon))}:${encode(pair.slice(colon + 1))}`;
  req.headers.authorization = `Basic ${Buffer.from(reencoded, 'utf8').toString('base64')}`;
  return undefined;
}

// IdentityServer3's TokenErrorResult: every token endpoint error is HTTP 400 with a body of just
// {"error":"..."} (no error_description).
function identityServer3Errors(res) {
  const writeHead = res.writeHead.bind(res);
  const end = res.end.bind(res);
  let failed = false;
  res.writeHead = (status, ...rest) => {
    failed = status >= 400;
    if (failed) res.statusMessage = 'Bad Request';
    return failed ? writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }) : writeHead(status, ...rest);
  };
  res.end = (chunk, ...rest) => {
    failed = failed || res.statusCode >= 400;
    if (!failed) return end(chunk, ...rest);
    let error = 'server_error';
    try {
      error = JSON.parse(String(chunk ?? '{}')).error ?? error;
    } catch { /* not JSON: keep server_error */ }
    if (!res.headersSent) {
      res.statusCode = 400;
      res.statusMessage = 'Bad Request';
      res.removeHeader('content-length');
      res.removeHeader('www-authenticate');
    }
    return end(JSON.stringify({ error }));
  };
}

// ---------------------------------------------------------------- server

let providerCallback;
let configuredIssuer;

const TLS_CERT = process.env.VF_TEST_TLS_CERT;
const TLS_KEY = process.env.VF_TEST_TLS_KEY;
if (Boolean(TLS_CERT) !== Boolean(TLS_KEY)) fail('set both VF_TEST_TLS_CERT and VF_TEST_TLS_KEY, or neither');
const HOST_NAME = process.env.VF_TEST_HOST_NAME || '127.0.0.1';

const createServer = TLS_CERT
  ? (handler) => createHttpsServer({
    cert: readFileSync(TLS_CERT),
    key: readFileSync(TLS_KEY),
    // Mutual TLS: ask for a client certificate, but let oidc-provider decide what an unverified
    // or missing one means.
    ...(process.env.VF_TEST_TLS_CLIENT_CA
      ? { requestCert: true, rejectUnauthorized: false, ca: readFileSync(process.env.VF_TEST_TLS_CLIENT_CA) }
      : {}),
  }, handler)
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
      if (IDENTITYSERVER3) {
        const refused = identityServer3Request(req, body, configuredIssuer);
        if (refused) {
          sendJson(res, 400, { error: refused });
          return;
        }
        identityServer3Errors(res);
      }
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
  const issuerOrigin = (process.env.VF_TEST_ISSUER_ORIGIN || origin).replace(/\/+$/, '');
  configuredIssuer = `${issuerOrigin}${ISSUER_PATH}`;
  const provider = buildProvider(configuredIssuer);
  provider.proxy = false;
  if (VERBOSE) {
    provider.on('server_error', (_ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
    provider.on('grant.error', (_ctx, err) => process.stderr.write(`grant.error: ${err.message} ${err.error_description ?? ''} ${err.error_detail ?? ''} ${err.cause?.message ?? ''}\n`));
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
