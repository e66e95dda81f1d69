// Resource servers that accept tokens of the test provider (server.mjs), for the tests
// that drive git and kubectl for real. Listens on 127.0.0.1 and prints one JSON line on
// stdout once ready: {"base": "http(s)://127.0.0.1:N"}.
//
//   --issuer URL        the provider (its discovery document names the JWKS)
//   --git-root DIR      serve the repositories under DIR over git's smart HTTP through
//                       `git http-backend` (CGI); an access token is accepted as a
//                       Bearer credential or as the password of Basic
//   --kube              answer `kubectl get --raw /api` like an API server; with
//   --accept id|access  ID tokens (iss, aud = --client-id, exp and the signature, as an
//                       API server's OIDC authenticator checks them) or access tokens
//   --client-id ID
//   --tls-cert PEM --tls-key PEM   serve HTTPS
//
// Access tokens are checked at the provider's protected API (/api/whoami verifies the
// JWT's signature, issuer, audience and expiry). A refused request gets 401 with both a
// Bearer and a Basic challenge. GET /__stats counts the schemes of accepted requests.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';

process.stdout.on('error', () => {});
const { values: opts } = parseArgs({
  options: {
    issuer: { type: 'string' },
    'git-root': { type: 'string' },
    kube: { type: 'boolean', default: false },
    accept: { type: 'string', default: 'id' },
    'client-id': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});

const discovery = await (await fetch(`${opts.issuer}/.well-known/openid-configuration`)).json();
const apiBase = new URL(opts.issuer).origin;
const stats = { bearer: 0, basic: 0, refused: 0 };

// The credential of a request: [scheme, token] or undefined.
function credential(req) {
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer (.+)$/i.exec(header);
  if (bearer) return ['bearer', bearer[1]];
  const basic = /^Basic (.+)$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString();
    return ['basic', decoded.slice(decoded.indexOf(':') + 1)];
  }
  return undefined;
}

async function accessTokenValid(token) {
  const resp = await fetch(`${apiBase}/api/whoami`, { headers: { authorization: `Bearer ${token}` } });
  return resp.status === 200;
}

async function idTokenValid(token) {
  try {
    const jwks = createLocalJWKSet(await (await fetch(discovery.jwks_uri)).json());
    await jwtVerify(token, jwks, { issuer: discovery.issuer, audience: opts['client-id'] });
    return true;
  } catch {
    return false;
  }
}

async function authorized(req) {
  const cred = credential(req);
  if (!cred) return false;
  const valid = opts.kube && opts.accept === 'id' ? await idTokenValid(cred[1]) : await accessTokenValid(cred[1]);
  if (valid) stats[cred[0]] += 1;
  else stats.refused += 1;
  return valid;
}

function refuse(res) {
  res.statusCode = 401;
  res.setHeader('www-authenticate', ['Bearer realm="octoken-test"', 'Basic realm="octoken-test"']);
  res.setHeader('content-type', 'text/plain');
  res.end('authentication required\n');
}

// git http-backend as a CGI script (RFC 3875): the request body on stdin, headers and
// body on stdout.
function gitBackend(req, res) {
  const url = new URL(req.url, 'http://x');
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: opts['git-root'],
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: 'octoken-user',
      REMOTE_ADDR: '127.0.0.1',
      REQUEST_METHOD: req.method,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: req.headers['git-protocol'] } : {}),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  req.pipe(child.stdin);
  const chunks = [];
  child.stdout.on('data', (c) => chunks.push(c));
  child.on('close', () => {
    const out = Buffer.concat(chunks);
    let end = out.indexOf('\r\n\r\n');
    let sep = 4;
    if (end < 0) { end = out.indexOf('\n\n'); sep = 2; }
    const head = out.subarray(0, Math.max(end, 0)).toString();
    res.statusCode = 200;
    for (const line of head.split(/\r?\n/)) {
      const at = line.indexOf(':');
      if (at < 0) continue;
      const name = line.slice(0, at).trim();
      const value = line.slice(at + 1).trim();
      if (name.toLowerCase() === 'status') res.statusCode = Number(value.split(' ')[0]);
      else res.setHeader(name, value);
    }
    res.end(end < 0 ? out : out.subarray(end + sep));
  });
}

function kubeApi(req, res) {
  res.setHeader('content-type', 'application/json');
  if (req.url !== '/api') {
    res.statusCode = 404;
    res.end('{"kind":"Status","status":"Failure","code":404}');
    return;
  }
  res.end(JSON.stringify({
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:443' }],
  }));
}

const tls = opts['tls-cert']
  ? { cert: fs.readFileSync(opts['tls-cert']), key: fs.readFileSync(opts['tls-key']) }
  : undefined;
const server = tls ? https.createServer(tls) : http.createServer();
server.on('request', async (req, res) => {
  if (req.url === '/__stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats));
    return;
  }
  if (!(await authorized(req))) {
    req.resume();
    refuse(res);
    return;
  }
  if (opts.kube) kubeApi(req, res);
  else gitBackend(req, res);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ base: `${tls ? 'https' : 'http'}://127.0.0.1:${port}` })}\n`);
});
