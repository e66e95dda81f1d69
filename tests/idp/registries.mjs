// The registries' side of the tests of `docker-credential` and `cargo-credential`: both
// accept the test provider's (server.mjs) access tokens only, checked at its protected
// API (/api/whoami verifies the JWT's signature, issuer, audience and expiry). Listens
// on 127.0.0.1 and prints one JSON line on stdout once ready: {"base": "http://127.0.0.1:N"}.
//
//   --issuer URL            the provider
//   --docker-token          the token service of Debian's docker-registry (distribution's
//                           token authentication): GET /token with Basic USER:ACCESS_TOKEN
//                           and ?service=&scope=repository:NAME:ACTIONS issues the
//   --key PEM --cert PEM    registry's bearer JWT, signed (ES256) with --key and carrying
//   --service NAME          --cert in x5c (the registry trusts --cert: rootcertbundle)
//   --token-issuer NAME
//   --cargo-crate FILE      a sparse cargo registry under /index/ (auth-required) holding
//                           FILE (NAME-VERSION.crate) and serving it under /dl/; every
//                           request needs Authorization: Bearer ACCESS_TOKEN
//
// GET /__stats counts accepted ("accepted") and refused ("refused") requests and the user
// names the token service saw ("usernames").
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT, importPKCS8 } from 'jose';

process.stdout.on('error', () => {});
const { values: opts } = parseArgs({
  options: {
    issuer: { type: 'string' },
    'docker-token': { type: 'boolean', default: false },
    key: { type: 'string' },
    cert: { type: 'string' },
    service: { type: 'string' },
    'token-issuer': { type: 'string' },
    'cargo-crate': { type: 'string' },
  },
});

const apiBase = new URL(opts.issuer).origin;
const stats = { accepted: 0, refused: 0, usernames: [] };

async function accessTokenValid(token) {
  const resp = await fetch(`${apiBase}/api/whoami`, { headers: { authorization: `Bearer ${token}` } });
  return resp.status === 200;
}

function send(res, status, headers, body) {
  res.writeHead(status, headers);
  res.end(body);
}

// distribution's token service: https://distribution.github.io/distribution/spec/auth/token/
let signingKey;
let x5c;
if (opts['docker-token']) {
  signingKey = await importPKCS8(fs.readFileSync(opts.key, 'utf8'), 'ES256');
  const der = new crypto.X509Certificate(fs.readFileSync(opts.cert)).raw;
  x5c = [der.toString('base64')];
}

async function dockerToken(req, res, url) {
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
  const decoded = basic ? Buffer.from(basic[1], 'base64').toString() : '';
  const colon = decoded.indexOf(':');
  if (colon < 0 || !(await accessTokenValid(decoded.slice(colon + 1)))) {
    stats.refused += 1;
    return send(res, 401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="token"' },
      JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'access token refused' }] }));
  }
  stats.accepted += 1;
  stats.usernames.push(decoded.slice(0, colon));
  const access = url.searchParams.getAll('scope').flatMap((scope) => {
    const [type, name, actions] = scope.split(':');
    return type === 'repository' ? [{ type, name, actions: actions.split(',') }] : [];
  });
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ access })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
    .setIssuer(opts['token-issuer'])
    .setSubject(decoded.slice(0, colon))
    .setAudience(url.searchParams.get('service') ?? opts.service)
    .setIssuedAt(now)
    .setNotBefore(now - 10)
    .setExpirationTime(now + 300)
    .setJti(crypto.randomUUID())
    .sign(signingKey);
  send(res, 200, { 'content-type': 'application/json' },
    JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() }));
}

// A sparse registry (https://doc.rust-lang.org/cargo/reference/registry-index.html).
let crate;
if (opts['cargo-crate']) {
  const file = opts['cargo-crate'];
  const match = /^(.+)-(\d+\.\d+\.\d+)\.crate$/.exec(path.basename(file));
  const bytes = fs.readFileSync(file);
  const name = match[1];
  const prefix = name.length <= 2 ? `${name.length}` : name.length === 3 ? `3/${name[0]}` : `${name.slice(0, 2)}/${name.slice(2, 4)}`;
  crate = {
    name, vers: match[2], bytes, indexPath: `/index/${prefix}/${name}`,
    line: JSON.stringify({
      name, vers: match[2], deps: [], features: {}, yanked: false,
      cksum: crypto.createHash('sha256').update(bytes).digest('hex'),
    }),
  };
}

async function cargo(req, res, url, base) {
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  if (!bearer || !(await accessTokenValid(bearer[1]))) {
    stats.refused += 1;
    return send(res, 401, { 'www-authenticate': `Cargo login_url="${base}/me"` }, 'token required\n');
  }
  stats.accepted += 1;
  if (url.pathname === '/index/config.json') {
    return send(res, 200, { 'content-type': 'application/json' },
      JSON.stringify({ dl: `${base}/dl`, api: base, 'auth-required': true }));
  }
  if (url.pathname === crate.indexPath) return send(res, 200, { 'content-type': 'text/plain' }, `${crate.line}\n`);
  if (url.pathname === `/dl/${crate.name}/${crate.vers}/download`) {
    return send(res, 200, { 'content-type': 'application/octet-stream' }, crate.bytes);
  }
  send(res, 404, {}, 'not found\n');
}

const server = http.createServer(async (req, res) => {
  try {
    const base = `http://${req.headers.host}`;
    const url = new URL(req.url, base);
    if (url.pathname === '/__stats') return send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(stats));
    if (opts['docker-token'] && url.pathname === '/token') return await dockerToken(req, res, url);
    if (crate && (url.pathname.startsWith('/index/') || url.pathname.startsWith('/dl/'))) {
      return await cargo(req, res, url, base);
    }
    send(res, 404, {}, 'not found\n');
  } catch (err) {
    send(res, 500, {}, `${err}\n`);
  }
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ base: `http://127.0.0.1:${server.address().port}` }));
});
