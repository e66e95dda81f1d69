// A real OpenID Connect provider (the npm package `oidc-provider`) for octoken's tests,
// demo and benchmarks. It listens on 127.0.0.1 only and prints one JSON line on stdout
// once it is ready: {"issuer": "...", "port": N, "base": "http://127.0.0.1:N"} (and
// "mtls_port", "mtls_base" with --mtls-alias-port).
// It runs until SIGTERM or SIGINT, so it can be started by hand in the background:
//
//   node tests/idp/server.mjs --layout keycloak &
//
//
// Options (all optional):
//   --port N              listen port (default 0: any free port)
//   --layout keycloak     issuer http://127.0.0.1:N/realms/<realm> with Keycloak's
//                         /protocol/openid-connect/... routes (default: plain routes)
//   --realm NAME          realm name for the Keycloak layout (default: octoken)
//   --rotation on|off     rotate the refresh token on every use (default: off)
//   --omit-refresh        with rotation off, leave refresh_token out of refresh responses
//   --omit-scope          leave `scope` out of token responses (RFC 6749 5.1 allows it
//                         when the granted scope is the requested one)
//   --access-ttl SECS     access-token lifetime (default: 300)
//   --tls-cert PEM --tls-key PEM
//                         serve HTTPS with this certificate (issuer https://127.0.0.1:N)
//   --keycloak-offline    answer like a Keycloak offline session: refresh_expires_in 0
//   --exit-with-stdin     also exit when stdin closes (the test harness, demo/run and
//                         bench/run pass it, so a provider never outlives its runner)
//   --dpop-nonce          the token endpoint requires DPoP nonces (RFC 9449 8)
//   --dpop-algs A,B       the DPoP proof algorithms it takes [default: ES256,Ed25519,
//                         EdDSA,RS256] (dpop_signing_alg_values_supported)
//   --client-auth-algs A,B  the only private_key_jwt assertion algorithms it takes
//                         (token_endpoint_auth_signing_alg_values_supported)
//   --assertion-aud-issuer  client assertions must name the issuer alone as `aud`
//                         (FAPI 2.0), not the token endpoint
//   --client-ca PEM       with --tls-cert: ask clients for a certificate and trust those
//                         this CA signed; registers client `octoken-mtls`, which
//                         authenticates with tls_client_auth (RFC 8705) as subject
//                         CN=octoken-mtls and gets certificate-bound access tokens
//   --mtls-alias-port N   with --client-ca: RFC 8705 5 endpoint aliases. The main listener
//                         no longer asks for a certificate (so tls_client_auth fails
//                         there with invalid_client); a second HTTPS listener on
//                         127.0.0.1:N (0: any free port) asks for one and serves the same
//                         provider, and the discovery document lists its token,
//                         revocation, introspection and device authorization URLs in
//                         mtls_endpoint_aliases
//   --client-key PEM      (repeatable) register client `octoken-key`, which authenticates
//                         with private_key_jwt (RFC 7523), with the public half of this key
//                         (a private or public key PEM; its kid is the file's base name)
//                         and `octoken-key-ps256`, the same but registered for PS256
//                         assertions (token_endpoint_auth_signing_alg)
//   --require-par and the clients octoken-par, octoken-key-jar: see stepup.mjs
//
// Test-only routes outside the provider (never part of a real deployment):
//   GET  /__octoken/counters   token-endpoint requests so far, by grant type
//   POST /__octoken/reset      set the counters back to zero
//   GET  /__octoken/requests   every token-endpoint request: [{grant, at, port}] (at: ms
//                              epoch; port: the listener's, main or --mtls-alias-port)
//   POST /__octoken/fault      {"status": 503, "retry_after": 3, "grant": "refresh_token"}
//                              makes the token endpoint answer that for that grant
//                              (counted and logged like any request); {} clears it
//   /__ci/...                  a stand-in CI issuer for the JWT bearer grant and token
//                              exchange (tests/idp/grants.mjs)
//   GET  /api/whoami           a protected API: verifies the Bearer JWT access token
//                              (signature, issuer, audience, expiry) and echoes its claims
//   ANY  /api/dpop/...         a DPoP-protected API (RFC 9449 7): `Authorization: DPoP`
//                              with a proof (signature with the embedded JWK, typ, htm,
//                              htu, iat within 60 s, ath, jkt = the token's cnf.jkt, jti
//                              never seen before); a DPoP-bound token used as Bearer is
//                              refused. Under /api/dpop/nonce/ it also wants its nonce.
//
// oidc-provider 9.x names Node.js 22 as its runtime and, on the Node.js 20 this
// machine's packages give, prints one "Unsupported runtime. Use Node.js v22.x" line
// on stderr at start. It is a notice, not a failure: the whole test suite (device flow,
// resource indicators, revocation, introspection, DPoP) runs on Node.js 20. 8.8, the
// last line that names Node.js 20, was tried and not kept: 9.x is what the tests and
// the sender-constrained token features were written against.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import crypto from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, EmbeddedJWK, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';
import { ciGrantTypes, ciPublicJwks, ciRoutes, registerCiGrants } from './grants.mjs';
import {
  ACR_VALUES, STEP_UP_CLAIMS, stepUpClients, stepUpFeatures, stepUpLogin, stepUpOptions,
} from './stepup.mjs';

// stdout carries the one ready line; oidc-provider's notices go to stderr, and a reader
// that stops listening must not crash the provider.
for (const level of ['log', 'info', 'warn']) {
  console[level] = (...args) => process.stderr.write(`${args.join(' ')}\n`);
}
process.stdout.on('error', () => {});

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    layout: { type: 'string', default: 'plain' },
    realm: { type: 'string', default: 'octoken' },
    rotation: { type: 'string', default: 'off' },
    'omit-refresh': { type: 'boolean', default: false },
    'omit-scope': { type: 'boolean', default: false },
    'access-ttl': { type: 'string', default: '300' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'keycloak-offline': { type: 'boolean', default: false },
    'exit-with-stdin': { type: 'boolean', default: false },
    'dpop-nonce': { type: 'boolean', default: false },
    'dpop-algs': { type: 'string', default: 'ES256,Ed25519,EdDSA,RS256' },
    'client-auth-algs': { type: 'string' },
    'assertion-aud-issuer': { type: 'boolean', default: false },
    'client-key': { type: 'string', multiple: true, default: [] },
    'client-ca': { type: 'string' },
    'mtls-alias-port': { type: 'string' },
    ...stepUpOptions,
  },
});
if (opts['mtls-alias-port'] !== undefined && !(opts['client-ca'] && opts['tls-cert'])) {
  process.stderr.write('server.mjs: --mtls-alias-port needs --tls-cert, --tls-key and --client-ca\n');
  process.exit(2);
}

const accessTtl = Number(opts['access-ttl']);
const keycloak = opts.layout === 'keycloak';
const prefix = keycloak ? `/realms/${opts.realm}` : '';

// Keycloak's route names, from its realm discovery document.
const keycloakRoutes = {
  authorization: '/protocol/openid-connect/auth',
  token: '/protocol/openid-connect/token',
  revocation: '/protocol/openid-connect/revoke',
  introspection: '/protocol/openid-connect/token/introspect',
  userinfo: '/protocol/openid-connect/userinfo',
  jwks: '/protocol/openid-connect/certs',
  end_session: '/protocol/openid-connect/logout',
  device_authorization: '/protocol/openid-connect/auth/device',
  code_verification: '/protocol/openid-connect/device',
};
// oidc-provider's own (default) routes for the endpoints that get mTLS aliases.
const plainRoutes = {
  token: '/token',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  device_authorization: '/device/auth',
};
const routes = keycloak ? keycloakRoutes : plainRoutes;

const redirectUris = [
  'http://127.0.0.1/callback',
  'http://[::1]/callback',
  'http://localhost:3000/auth/oauth2/callback',
];
const grantTypes = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  ...ciGrantTypes,
];
const client = (id, method, secret) => ({
  client_id: id,
  ...(secret ? { client_secret: secret } : {}),
  token_endpoint_auth_method: method,
  application_type: 'native',
  redirect_uris: redirectUris,
  grant_types: grantTypes,
  response_types: ['code'],
  scope: 'openid offline_access profile email read write',
});

// oidc-provider lets client_secret_basic and client_secret_post stand in for each
// other; a strict server does not, and octoken must send what the profile says.
function wrongAuthMethod(req) {
  const form = new URLSearchParams(req.body.toString());
  const hasBasic = /^basic /i.test(req.headers.authorization ?? '');
  const inBody = form.has('client_secret');
  let clientId = form.get('client_id');
  if (hasBasic) {
    const decoded = Buffer.from(req.headers.authorization.slice(6), 'base64').toString();
    clientId = decodeURIComponent(decoded.split(':')[0].replace(/\+/g, ' '));
  }
  if (clientId === 'octoken-basic' && (!hasBasic || inBody)) {
    return 'this client must authenticate with client_secret_basic';
  }
  if (clientId === 'octoken-post' && (hasBasic || !inBody)) {
    return 'this client must authenticate with client_secret_post';
  }
  return undefined;
}

// The private_key_jwt client's public keys, from the PEM files given with --client-key.
const keyClientJwks = {
  keys: opts['client-key'].map((file) => ({
    ...crypto.createPublicKey(fs.readFileSync(file)).export({ format: 'jwk' }),
    kid: file.replace(/^.*\//, '').replace(/\.[^.]*$/, ''),
  })),
};

const counters = {};
const requests = [];
let fault = null;

async function whoami(provider, issuer, req, res) {
  res.setHeader('content-type', 'application/json');
  const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  try {
    if (!token) throw new Error('no Bearer token');
    const jwks = createLocalJWKSet(await (await fetch(new URL(provider.urlFor('jwks')))).json());
    const { payload } = await jwtVerify(token, jwks, { issuer, audience: 'urn:octoken:api' });
    res.end(JSON.stringify({ sub: payload.sub, client_id: payload.client_id, scope: payload.scope, exp: payload.exp }));
  } catch (err) {
    res.statusCode = 401;
    res.end(JSON.stringify({ error: 'invalid_token', error_description: err.message }));
  }
}
// The DPoP-protected API's memory: proof ids seen (replay) and the nonce it wants.
const seenJti = new Set();
let apiNonce = crypto.randomBytes(16).toString('base64url');

async function dpopApi(provider, issuer, base, req, res) {
  res.setHeader('content-type', 'application/json');
  const refuse = (error, description, extra = {}) => {
    res.statusCode = 401;
    const nonce = error === 'use_dpop_nonce' ? `, nonce="${apiNonce}"` : '';
    res.setHeader('www-authenticate', `DPoP error="${error}", error_description="${description}"${nonce}, algs="ES256 EdDSA RS256"`);
    if (extra.nonce) res.setHeader('dpop-nonce', apiNonce);
    res.end(JSON.stringify({ error, error_description: description }));
  };
  const header = req.headers.authorization ?? '';
  const jwks = createLocalJWKSet(await (await fetch(new URL(provider.urlFor('jwks')))).json());
  const bearer = /^Bearer (.+)$/i.exec(header)?.[1];
  if (bearer) {
    // A DPoP-bound token is no bearer token (RFC 9449 7.2).
    try {
      const { payload } = await jwtVerify(bearer, jwks, { issuer, audience: 'urn:octoken:api' });
      if (payload.cnf?.jkt) return refuse('invalid_token', 'a DPoP-bound token used as a Bearer token');
      res.end(JSON.stringify({ sub: payload.sub, bound: false }));
      return;
    } catch (err) {
      return refuse('invalid_token', err.message);
    }
  }
  const token = /^DPoP (.+)$/.exec(header)?.[1];
  const proof = req.headers.dpop;
  if (!token || !proof) return refuse('invalid_token', 'want Authorization: DPoP and a DPoP header');
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(token, jwks, { issuer, audience: 'urn:octoken:api' }));
  } catch (err) {
    return refuse('invalid_token', `access token: ${err.message}`);
  }
  try {
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256', 'EdDSA', 'Ed25519', 'RS256'],
    });
    const htu = new URL(req.url, base);
    htu.search = '';
    if (payload.htm !== req.method) throw new Error(`htm ${payload.htm} is not ${req.method}`);
    if (payload.htu !== htu.href) throw new Error(`htu ${payload.htu} is not ${htu.href}`);
    if (typeof payload.iat !== 'number' || Math.abs(Date.now() / 1000 - payload.iat) > 60) {
      throw new Error('iat is not within 60 s');
    }
    const ath = crypto.createHash('sha256').update(token).digest('base64url');
    if (payload.ath !== ath) throw new Error('ath does not match the access token');
    const jkt = await calculateJwkThumbprint(protectedHeader.jwk);
    if (claims.cnf?.jkt !== jkt) throw new Error('the proof key is not the one the token is bound to');
    if (typeof payload.jti !== 'string' || seenJti.has(payload.jti)) throw new Error('a replayed proof (jti seen before)');
    if (req.url.startsWith('/api/dpop/nonce/') && payload.nonce !== apiNonce) {
      return refuse('use_dpop_nonce', 'this API wants a nonce', { nonce: true });
    }
    seenJti.add(payload.jti);
    res.end(JSON.stringify({ sub: claims.sub, bound: true, jkt, htu: payload.htu, nonce: payload.nonce ?? null }));
  } catch (err) {
    refuse('invalid_dpop_proof', err.message.replace(/"/g, "'"));
  }
}

const clientCa = opts['client-ca'] ? fs.readFileSync(opts['client-ca']) : undefined;
const aliases = opts['mtls-alias-port'] !== undefined;
const tls = opts['tls-cert']
  ? { cert: fs.readFileSync(opts['tls-cert']), key: fs.readFileSync(opts['tls-key']) }
  : undefined;
// A certificate is asked for, not required: the verdict is the provider's.
const askForCertificate = { ca: clientCa, requestCert: true, rejectUnauthorized: false };
const server = tls
  ? https.createServer({ ...tls, ...(clientCa && !aliases ? askForCertificate : {}) })
  : http.createServer();
// RFC 8705 5: only this listener asks for certificates; browsers never meet it.
const aliasServer = aliases ? https.createServer({ ...tls, ...askForCertificate }) : undefined;
const listen = (srv, port) => new Promise((resolve) => {
  srv.listen(port, '127.0.0.1', () => resolve(srv.address().port));
});

Promise.all([
  listen(server, Number(opts.port)),
  aliasServer && listen(aliasServer, Number(opts['mtls-alias-port'])),
]).then(([port, aliasPort]) => {
  const base = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const issuer = `${base}${prefix}`;
  const aliasBase = aliasServer && `https://127.0.0.1:${aliasPort}`;
  const alias = (route) => `${aliasBase}${prefix}${routes[route]}`;
  const provider = new Provider(issuer, {
    clients: [
      client('octoken-basic', 'client_secret_basic', 'basic-secret-0123456789'),
      client('octoken-post', 'client_secret_post', 'post-secret-0123456789'),
      client('octoken-public', 'none'),
      // Federated (RFC 7523 2.2): its assertions are signed by the stand-in CI's keys.
      { ...client('octoken-federated', 'private_key_jwt'), jwks: ciPublicJwks },
      ...(clientCa
        ? [{
          ...client('octoken-mtls', 'tls_client_auth'),
          tls_client_auth_subject_dn: 'CN=octoken-mtls',
          tls_client_certificate_bound_access_tokens: true,
        }]
        : []),
      ...(keyClientJwks.keys.length
        ? [
          { ...client('octoken-key', 'private_key_jwt'), jwks: keyClientJwks },
          // The same keys, but assertions must be PS256 (RSASSA-PSS), as some servers'
          // clients are registered.
          {
            ...client('octoken-key-ps256', 'private_key_jwt'),
            jwks: keyClientJwks,
            token_endpoint_auth_signing_alg: 'PS256',
          },
        ]
        : []),
      ...stepUpClients(client, keyClientJwks),
    ],
    acrValues: ACR_VALUES,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'read', 'write'],
    clientAuthMethods: [
      'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none',
      ...(clientCa ? ['tls_client_auth'] : []),
    ],
    // RS256 DPoP proofs too (oidc-provider takes only ES256 and EdDSA by default).
    enabledJWA: {
      dPoPSigningAlgValues: opts['dpop-algs'].split(','),
      ...(opts['client-auth-algs']
        ? { clientAuthSigningAlgValues: opts['client-auth-algs'].split(',') }
        : {}),
    },
    ...(opts['assertion-aud-issuer']
      ? {
        assertJwtClientAuthClaimsAndHeader: async (ctx, claims) => {
          if (claims.aud !== ctx.oidc.issuer) {
            throw new errors.InvalidClientAuth('audience (aud) must equal the issuer identifier url');
          }
        },
      }
      : {}),
    routes,
    discovery: aliasServer
      ? {
        mtls_endpoint_aliases: {
          token_endpoint: alias('token'),
          revocation_endpoint: alias('revocation'),
          introspection_endpoint: alias('introspection'),
          device_authorization_endpoint: alias('device_authorization'),
          pushed_authorization_request_endpoint: `${aliasBase}${prefix}/request`,
        },
      }
      : {},
    ttl: {
      AccessToken: accessTtl,
      ClientCredentials: accessTtl,
      IdToken: 3600,
      RefreshToken: 30 * 24 * 3600,
      Grant: 30 * 24 * 3600,
      Session: 24 * 3600,
      Interaction: 3600,
      AuthorizationCode: 60,
      DeviceCode: 600,
    },
    features: {
      ...stepUpFeatures(opts),
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      deviceFlow: { enabled: true },
      clientCredentials: { enabled: true },
      mTLS: {
        enabled: !!clientCa,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        getCertificate: (ctx) => ctx.socket.getPeerX509Certificate?.(),
        certificateAuthorized: (ctx) => ctx.socket.authorized === true,
        certificateSubjectMatches: (ctx, property, expected) => property === 'tls_client_auth_subject_dn'
          && ctx.socket.getPeerCertificate()?.subject?.CN === expected.replace(/^CN=/, ''),
      },
      dPoP: opts['dpop-nonce']
        ? { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => true }
        : { enabled: true },
      // JWT access tokens for two APIs (RFC 8707), so a test can read `iss` and `aud`
      // from what octoken prints. Without a resource the token is for urn:octoken:api;
      // of several granted ones a token request without `resource` gets the first.
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => (oneOf ? oneOf[0] : 'urn:octoken:api'),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (!['urn:octoken:api', 'urn:octoken:files'].includes(resource)) {
            throw new errors.InvalidTarget();
          }
          return {
            scope: 'read write',
            audience: resource,
            accessTokenTTL: accessTtl,
            accessTokenFormat: 'jwt',
          };
        },
      },
    },
    rotateRefreshToken: () => opts.rotation === 'on',
    // Every client here may hold offline tokens; oidc-provider itself already drops
    // offline_access unless the authorization request carries prompt=consent.
    issueRefreshToken: async (_ctx, c, code) => c.grantTypeAllowed('refresh_token')
      && code.scopes.has('offline_access'),
    pkce: { required: () => false },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: `Test user ${sub}`, email: `${sub}@example.test` }),
    }),
    claims: { ...STEP_UP_CLAIMS, openid: ['sub'], profile: ['name'], email: ['email'] },
    cookies: { keys: ['octoken-test-idp-cookie-key'] },
  });
  provider.proxy = false;
  registerCiGrants(provider, { issuer, base, tokenUrl: `${issuer}${routes.token ?? '/token'}`, accessTtl });
  provider.on('server_error', (_ctx, err) => process.stderr.write(`idp: server_error: ${err.stack}\n`));

  // Count every token-endpoint request by grant type, and shape refresh responses.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'token') return;
    const grant = ctx.oidc.params?.grant_type ?? 'unknown';
    counters[grant] = (counters[grant] ?? 0) + 1;
    requests.push({ grant, at: Date.now(), port: ctx.req.socket.localPort });
    if (
      opts['omit-refresh'] && grant === 'refresh_token'
      && ctx.status === 200 && ctx.body && typeof ctx.body === 'object'
    ) {
      delete ctx.body.refresh_token;
    }
    if (opts['omit-scope'] && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      delete ctx.body.scope;
    }
    if (opts['keycloak-offline'] && ctx.status === 200 && ctx.body?.refresh_token) {
      // Keycloak's offline tokens: no absolute expiry, reported as 0.
      ctx.body.refresh_expires_in = 0;
    }
  });

  const handle = provider.callback();
  const onRequest = async (req, res) => {
    if (req.url === '/__octoken/counters') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(counters));
      return;
    }
    if (req.url === '/__octoken/reset' && req.method === 'POST') {
      for (const key of Object.keys(counters)) delete counters[key];
      requests.length = 0;
      res.end('{}');
      return;
    }
    if (req.url === '/__octoken/requests') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(requests));
      return;
    }
    if (req.url === '/__octoken/fault' && req.method === 'POST') {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const asked = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      fault = asked.status ? asked : null;
      res.end('{}');
      return;
    }
    if (await ciRoutes(base, req, res)) return;
    if (req.url === '/api/whoami') {
      await whoami(provider, issuer, req, res);
      return;
    }
    if (req.url.startsWith('/api/dpop/')) {
      await dpopApi(provider, issuer, base, req, res);
      return;
    }
    if (prefix) {
      if (!req.url.startsWith(`${prefix}/`)) {
        res.statusCode = 404;
        res.end('not found');
        return;
      }
      // Mounted under the realm path the way Express would mount it.
      req.originalUrl = req.url;
      req.url = req.url.slice(prefix.length);
    }
    if (req.method === 'POST' && !req.url.startsWith('/interaction/')) {
      // Read the body here to hold each client to its registered authentication method;
      // oidc-provider then parses req.body (it accepts a pre-read body).
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      req.body = Buffer.concat(chunks);
      const grant = new URLSearchParams(req.body.toString()).get('grant_type');
      if (fault && req.url.endsWith('/token') && (!fault.grant || fault.grant === grant)) {
        counters[grant] = (counters[grant] ?? 0) + 1;
        requests.push({ grant, at: Date.now(), port: req.socket.localPort });
        res.statusCode = fault.status;
        res.setHeader('content-type', 'application/json');
        if (fault.retry_after !== undefined) res.setHeader('retry-after', String(fault.retry_after));
        res.end(JSON.stringify({ error: 'temporarily_unavailable', error_description: 'fault injected by the test' }));
        return;
      }
      const refusal = wrongAuthMethod(req);
      if (refusal) {
        res.statusCode = 401;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: 'invalid_client', error_description: refusal }));
        return;
      }
    }
    if (await stepUpLogin(provider, req, res)) return;
    handle(req, res);
  };
  server.on('request', onRequest);
  aliasServer?.on('request', onRequest);

  const mtls = aliasServer ? { mtls_port: aliasPort, mtls_base: aliasBase } : {};
  process.stdout.write(`${JSON.stringify({ issuer, port, base, ...mtls })}\n`);
});

// A signal ends us; with --exit-with-stdin so does the end of stdin, which is how the
// harness makes sure we never outlive the tests. Without it stdin is left alone: a
// shell's `&` gives a background job /dev/null (or a terminal it may not read).
if (opts['exit-with-stdin']) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
