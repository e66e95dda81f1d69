// Signs a user in through oidc-provider's real login and consent pages with plain HTTP
// (a cookie jar, redirects followed by hand), the way a person would in a browser.
//
//   node signin.mjs browse URL [--user NAME] [--deny] [--forge-state-first] [--iss VALUE]
//       [--acr LEVEL] [--amr pwd,otp] [--record FILE]
//       Acts as $BROWSER for `octoken login`: opens URL (octoken's authorization URL or
//       its short local URL), signs in, consents, and finally requests the redirect
//       back to octoken's loopback listener. Prints nothing on stdout. --acr signs in at
//       that level (with --amr: stepup.mjs);
//       --record appends the authorization URL it was given to FILE, one per line.
//
//   node signin.mjs redirect-url URL
//       Like browse, but prints the final redirect URL instead of requesting it: what a
//       person copies from the address bar when the browser runs on another machine.
//
//   node signin.mjs device URL [--deny] [--acr LEVEL]
//       Approves a device-flow sign-in (RFC 8628) at verification_uri_complete URL.
//
//   node signin.mjs refresh-token --issuer URL --client-id ID [--client-secret S]
//       [--auth-method basic|post|none] [--scope "openid offline_access"]
//       Runs a whole authorization-code login with PKCE against the provider and prints
//       the token response as JSON: how a test obtains its first refresh token.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';

class Browser {
  constructor() {
    this.cookies = new Map(); // host -> Map(name -> value)
  }

  cookieHeader(url) {
    const jar = this.cookies.get(url.host);
    if (!jar) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  keepCookies(url, res) {
    const jar = this.cookies.get(url.host) ?? new Map();
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(url.host, jar);
  }

  async request(method, href, body) {
    const url = new URL(href);
    const headers = {};
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    this.keepCookies(url, res);
    return res;
  }

  // Follows redirects until a page is shown or the next hop leaves for `stopAt`.
  async follow(method, href, body, stopAt) {
    let res = await this.request(method, href, body);
    let current = href;
    for (let hops = 0; hops < 20; hops += 1) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) {
        return { res, url: current, html: await res.text() };
      }
      const next = new URL(location, current).href;
      if (stopAt && stopAt(next)) return { redirect: next };
      current = next;
      res = await this.request('GET', next);
    }
    throw new Error('too many redirects');
  }
}

function formOf(html, base) {
  const action = /<form[^>]*action="([^"]+)"/.exec(html);
  if (!action) throw new Error(`no form on page: ${html.slice(0, 300)}`);
  const fields = {};
  for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
    fields[m[1]] = m[2];
  }
  return { action: new URL(action[1].replace(/&amp;/g, '&'), base).href, fields };
}

// Walks from an authorization URL to the redirect back to the client. Returns the final
// redirect URL (with code or error) without requesting it.
export async function signIn(authUrl, {
  user = 'alice', deny = false, acr, amr,
} = {}) {
  const browser = new Browser();
  const isClientRedirect = (href) => !href.includes('/interaction/')
    && !href.includes('/auth') && !href.includes('/protocol/openid-connect/');
  let step = await browser.follow('GET', authUrl, undefined, isClientRedirect);
  for (let pages = 0; pages < 5 && !step.redirect; pages += 1) {
    const { action, fields } = formOf(step.html, step.url);
    if (deny && fields.prompt === 'consent') {
      // The dev consent page has an abort link: `<a href=".../abort">`.
      const abort = /href="([^"]*\/abort)"/.exec(step.html);
      step = await browser.follow('GET', new URL(abort[1], step.url).href, undefined, isClientRedirect);
      continue;
    }
    const body = new URLSearchParams(fields);
    if (fields.prompt === 'login') {
      body.set('login', user);
      body.set('password', 'any-password');
      if (acr) body.set('acr', acr);
      if (amr) body.set('amr', amr);
    }
    step = await browser.follow('POST', action, body.toString(), isClientRedirect);
  }
  if (!step.redirect) throw new Error(`sign-in did not finish: ${step.html?.slice(0, 300)}`);
  return step.redirect;
}

async function browse(url, opts) {
  // octoken's short local URL redirects to the provider: resolve it first.
  let authUrl = url;
  if (new URL(url).pathname === '/') {
    const first = await fetch(url, { redirect: 'manual' });
    authUrl = new URL(first.headers.get('location'), url).href;
  }
  if (opts.record) {
    // octoken's local URL (an unguessable path on its listener) leads to the real one.
    let given = authUrl;
    if (!new URL(given).searchParams.has('client_id')) {
      const first = await fetch(given, { redirect: 'manual' });
      given = new URL(first.headers.get('location'), given).href;
    }
    fs.appendFileSync(opts.record, `${given}\n`);
  }
  const back = new URL(await signIn(authUrl, {
    user: opts.user, deny: opts.deny, acr: opts.acr, amr: opts.amr,
  }));
  if (opts['forge-state-first']) {
    const forged = new URL(back);
    forged.searchParams.set('state', 'forged-state');
    forged.searchParams.set('code', 'forged-code');
    const res = await fetch(forged, { redirect: 'manual' });
    process.stderr.write(`driver: forged callback answered ${res.status}\n`);
  }
  if (opts.iss !== undefined) back.searchParams.set('iss', opts.iss);
  const res = await fetch(back, { redirect: 'manual' });
  await res.text();
  process.stderr.write(`driver: callback answered ${res.status}\n`);
}

async function redirectUrl(url, opts) {
  process.stdout.write(`${await signIn(url, { user: opts.user })}\n`);
}

async function device(url, opts) {
  const browser = new Browser();
  const code = new URL(url).searchParams.get('user_code');
  let step = await browser.follow('GET', url);
  for (let pages = 0; pages < 8 && /<form/.test(step.html); pages += 1) {
    const { action, fields } = formOf(step.html, step.url);
    const body = new URLSearchParams(fields);
    if (step.html.includes('op.deviceInputForm')) body.set('user_code', code);
    if (fields.prompt === 'login') {
      body.set('login', opts.user);
      body.set('password', 'any-password');
      if (opts.acr) body.set('acr', opts.acr);
    }
    if (opts.deny && fields.confirm) {
      body.delete('confirm');
      body.set('abort', 'yes');
    }
    step = await browser.follow('POST', action, body.toString());
  }
  if (/<form/.test(step.html ?? '')) throw new Error('device sign-in did not finish');
  process.stderr.write(`driver: device sign-in page answered ${step.res.status}\n`);
}

async function refreshToken(opts) {
  const discovery = await (await fetch(`${opts.issuer}/.well-known/openid-configuration`)).json();
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const redirectUri = 'http://127.0.0.1/callback';
  const auth = new URL(discovery.authorization_endpoint);
  auth.search = new URLSearchParams({
    response_type: 'code',
    client_id: opts['client-id'],
    redirect_uri: redirectUri,
    scope: opts.scope,
    state: crypto.randomBytes(16).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    prompt: 'consent',
  }).toString();
  const back = new URL(await signIn(auth.href, { user: opts.user }));
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code in ${back.search}`);
  const form = new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const method = opts['auth-method'];
  if (method === 'basic') {
    const enc = (s) => encodeURIComponent(s);
    headers.authorization = `Basic ${Buffer.from(`${enc(opts['client-id'])}:${enc(opts['client-secret'])}`).toString('base64')}`;
  } else {
    form.set('client_id', opts['client-id']);
    if (method === 'post') form.set('client_secret', opts['client-secret']);
  }
  const res = await fetch(discovery.token_endpoint, { method: 'POST', headers, body: form });
  const body = await res.text();
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}: ${body}`);
  process.stdout.write(`${body}\n`);
}

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: 'string', default: 'alice' },
    deny: { type: 'boolean', default: false },
    'forge-state-first': { type: 'boolean', default: false },
    iss: { type: 'string' },
    acr: { type: 'string' },
    amr: { type: 'string' },
    record: { type: 'string' },
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string', default: '' },
    'auth-method': { type: 'string', default: 'basic' },
    scope: { type: 'string', default: 'openid offline_access' },
  },
});

try {
  if (positionals[0] === 'browse') await browse(positionals[1], opts);
  else if (positionals[0] === 'redirect-url') await redirectUrl(positionals[1], opts);
  else if (positionals[0] === 'device') await device(positionals[1], opts);
  else if (positionals[0] === 'refresh-token') await refreshToken(opts);
  else throw new Error('usage: signin.mjs browse URL | refresh-token --issuer ... --client-id ...');
} catch (err) {
  process.stderr.write(`signin: ${err.stack}\n`);
  process.exit(1);
}
