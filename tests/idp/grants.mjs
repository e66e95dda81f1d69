// CI and workload identity for the test provider (octoken's docs/ci.md):
// - a stand-in CI issuer under /__ci/ (its own issuer URL and signing key, a JWKS served
//   over HTTP, a GitHub Actions style ID-token endpoint and a mint route for tests);
// - the JWT bearer grant (RFC 7523 2.1) trusting that issuer: signature against its
//   JWKS, `iss`, `aud` (the provider's issuer or token endpoint), `exp`;
// - token exchange (RFC 8693): subject tokens are the CI issuer's JWTs or this
//   provider's own access tokens; the issued token's `aud` is the requested audience
//   (or audiences: `audience` may be repeated). Asked for
//   `requested_token_type=...:id_token`, it issues an ID token signed with the
//   provider's own keys, `aud` the audience; for `urn:octoken:access-only` it issues an
//   access token whatever was asked (as a server that ignores the request may).
// Both through oidc-provider's own extension point, `provider.registerGrantType`.
//
// server.mjs imports it: `ciGrantTypes` go into every test client's grant_types,
// `registerCiGrants(provider, ...)` after the provider is made, and `ciRoutes` answers
// /__ci/... before the provider sees a request.
import crypto from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import { errors } from 'oidc-provider';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ciGrantTypes = [JWT_BEARER, TOKEN_EXCHANGE];

const TYPE = 'urn:ietf:params:oauth:token-type:';
// GitHub's runner gives each job such a bearer token to ask for ID tokens with.
export const GITHUB_REQUEST_TOKEN = 'gh-request-token-0123456789';

// The CI's signing key, and a stranger's with the same kid (a forged token). Fixed
// test-only keys, like oidc-provider's own development keys: nothing is generated at
// start (generating them at import left one start in ten hanging before its ready line).
const ecKey = (x, y, d) => crypto.createPrivateKey({
  format: 'jwk',
  key: {
    kty: 'EC', crv: 'P-256', x, y, d,
  },
});
const ciPrivate = ecKey(
  'p5ALShjVAlhhrQBYonUIAAgaqhBsVdhgRsX_Hq8tLIM',
  'MMtAlTJT_vxdh_gH-wd3hBpvo04XkXmJ2uxNnhI2Brk',
  'BnANtGCdLasA8JrV8WvOwyHMScy1drUmOCJDS55Ar9s',
);
const ciKey = { privateKey: ciPrivate, publicKey: crypto.createPublicKey(ciPrivate) };
const forgerKey = {
  privateKey: ecKey(
    'gFfuw8GjcXamfGl8mso2M4j1hjKPjApBFwWYE2Dr56k',
    '2BqNb6Et6qm6GqfhEFoE1_BriwdmhhO7pU39c1RPy7c',
    'pdjYCdb0Gej7RJs-OHjUCqa7Hv8ylgxVFkS93QPXVe8',
  ),
};
const ciJwk = { ...ciKey.publicKey.export({ format: 'jwk' }), kid: 'ci-1', alg: 'ES256', use: 'sig' };
// The CI's public keys as a client's registered `jwks`: a federated client (RFC 7523
// 2.2) whose assertions the CI signs. (oidc-provider refuses to fetch a loopback
// jwks_uri, so the key set is given, not fetched.)
export const ciPublicJwks = { keys: [ciJwk] };

const ciCounters = { github: 0, mint: 0 };

// An ID token of the stand-in CI, as GitHub, GitLab or a kubelet would sign one.
async function mint(ciIssuer, {
  aud, sub = 'repo:octoken/octoken:ref:refs/heads/main', expIn = 300, forged = false, iss = ciIssuer,
}) {
  return new SignJWT({ sub, repository: 'octoken/octoken' })
    .setProtectedHeader({ alg: 'ES256', kid: 'ci-1', typ: 'JWT' })
    .setIssuer(iss)
    .setAudience(aud)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(Math.floor(Date.now() / 1000) + expIn)
    .sign(forged ? forgerKey.privateKey : ciKey.privateKey);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

// Answers /__ci/... (true when it did). `base` is the listener's http(s)://127.0.0.1:N.
export async function ciRoutes(base, req, res) {
  if (!req.url.startsWith('/__ci/')) return false;
  const ciIssuer = `${base}/__ci`;
  const url = new URL(req.url, base);
  res.setHeader('content-type', 'application/json');
  if (url.pathname === '/__ci/jwks') {
    res.end(JSON.stringify({ keys: [ciJwk] }));
  } else if (url.pathname === '/__ci/counters') {
    res.end(JSON.stringify(ciCounters));
  } else if (url.pathname === '/__ci/mint' && req.method === 'POST') {
    // Test-only: {aud, sub?, exp_in?, forged?, iss?} -> {value}. A federated client's
    // assertion names the client as iss and sub (RFC 7523 3).
    const asked = JSON.parse((await readBody(req)) || '{}');
    ciCounters.mint += 1;
    const value = await mint(ciIssuer, {
      aud: asked.aud, sub: asked.sub, expIn: asked.exp_in ?? 300, forged: !!asked.forged,
      iss: asked.iss ?? ciIssuer,
    });
    res.end(JSON.stringify({ value }));
  } else if (url.pathname === '/__ci/github/token') {
    // GitHub Actions: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with
    // `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` -> {"value": "<JWT>"}.
    ciCounters.github += 1;
    if (req.headers.authorization !== `bearer ${GITHUB_REQUEST_TOKEN}`) {
      res.statusCode = 401;
      res.end(JSON.stringify({ message: 'Bad credentials' }));
      return true;
    }
    const aud = url.searchParams.get('audience') ?? 'https://github.com/octoken';
    res.end(JSON.stringify({ value: await mint(ciIssuer, { aud }), count: ciCounters.github }));
  } else {
    res.statusCode = 404;
    res.end('{}');
  }
  return true;
}

export function registerCiGrants(provider, { issuer, base, tokenUrl, accessTtl }) {
  const ciIssuer = `${base}/__ci`;
  // Why a token request was refused, for a person running the provider by hand.
  provider.on('grant.error', (_ctx, err) => process.stderr.write(`idp: grant.error: ${err.error_detail ?? err.error_description ?? err.message}${err.cause ? ` (${err.cause.message}${err.cause.cause ? `: ${err.cause.cause.message}` : ""})` : ""}\n`));
  const ciJwks = createRemoteJWKSet(new URL(`${ciIssuer}/jwks`));
  const ownJwks = async () => createLocalJWKSet(
    await (await fetch(new URL(provider.urlFor('jwks')))).json(),
  );

  // Verifies a CI token: signature, iss, aud (this provider), exp.
  const verifyCi = async (token, audience) => {
    try {
      const { payload } = await jwtVerify(token, ciJwks, {
        issuer: ciIssuer, audience, requiredClaims: ['exp', 'sub'],
      });
      return payload;
    } catch (err) {
      throw new errors.InvalidGrant(`assertion refused: ${err.message}`);
    }
  };

  // A JWT access token of `client` for `aud`, with the subject and actor recorded.
  const issue = async (ctx, { aud, sub, act, scope }) => {
    const { client } = ctx.oidc;
    const token = new provider.ClientCredentials({
      client,
      scope: scope || undefined,
      extra: { subject: sub, ...(act ? { act: { sub: act } } : {}) },
    });
    // oidc-provider's tokens take one audience; RFC 8693 lets a request name several,
    // and a JWT's aud may be a list (RFC 7519 4.1.3), so this token takes them all.
    if (Array.isArray(aud)) token.setAudience = (list) => { token.aud = list; };
    token.resourceServer = {
      audience: aud,
      accessTokenFormat: 'jwt',
      accessTokenTTL: accessTtl,
      identifier: () => [aud].flat().join(' '),
    };
    ctx.oidc.entity('ClientCredentials', token);
    const value = await token.save();
    return {
      access_token: value,
      issued_token_type: `${TYPE}access_token`,
      token_type: 'Bearer',
      expires_in: token.expiration,
      ...(token.scope ? { scope: token.scope } : {}),
    };
  };

  // The audiences asked for (`audience` first, then `resource`): one as a string,
  // several as a list (RFC 8693 2.1 lets both parameters repeat).
  const audiences = (ctx) => {
    const asked = [ctx.oidc.params.audience, ctx.oidc.params.resource].flat().filter(Boolean);
    for (const aud of asked) {
      if (!/^(urn:octoken:|https?:\/\/)/.test(aud)) {
        throw new errors.InvalidTarget(`unknown audience ${aud}`);
      }
    }
    if (asked.length > 1) return asked;
    return asked[0] ?? 'urn:octoken:api';
  };

  // An ID token for `aud` about `sub`, signed with the provider's own keys (as its other
  // ID tokens: the client's signing alg, the provider's keystore), the client as azp.
  const idTokenFor = async (ctx, { aud, sub }) => {
    const { client } = ctx.oidc;
    const forAudience = Object.create(client, { clientId: { value: aud } });
    const token = new provider.IdToken({ sub }, { ctx, client: forAudience });
    token.scope = 'openid';
    token.set('azp', client.clientId);
    const value = await token.issue({
      use: 'idtoken', expiresAt: Math.floor(Date.now() / 1000) + accessTtl,
    });
    return {
      access_token: value,
      issued_token_type: `${TYPE}id_token`,
      token_type: 'N_A',
      expires_in: accessTtl,
    };
  };

  provider.registerGrantType(JWT_BEARER, async (ctx) => {
    const claims = await verifyCi(ctx.oidc.params.assertion, [issuer, tokenUrl]);
    ctx.body = await issue(ctx, {
      aud: audiences(ctx), sub: claims.sub, scope: ctx.oidc.params.scope,
    });
  }, ['assertion', 'scope', 'audience', 'resource']);

  provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
    const {
      subject_token: subject, subject_token_type: subjectType, actor_token: actor,
      actor_token_type: actorType, requested_token_type: requested,
    } = ctx.oidc.params;
    if (!subject || !subjectType) {
      throw new errors.InvalidRequest('subject_token and subject_token_type are required');
    }
    const issuable = [`${TYPE}access_token`, `${TYPE}jwt`, `${TYPE}id_token`];
    if (requested && !issuable.includes(requested)) {
      throw new errors.InvalidRequest(`requested_token_type ${requested} is not issued here`);
    }
    // A subject token is one of this provider's own access tokens, or a CI's JWT.
    const check = async (token, type) => {
      if (type === `${TYPE}access_token`) {
        try {
          const { payload } = await jwtVerify(token, await ownJwks(), { issuer });
          return payload.subject ?? payload.sub;
        } catch (err) {
          throw new errors.InvalidGrant(`subject token refused: ${err.message}`);
        }
      }
      if (type === `${TYPE}jwt` || type === `${TYPE}id_token`) {
        return (await verifyCi(token, [issuer, tokenUrl])).sub;
      }
      throw new errors.InvalidRequest(`unsupported token type ${type}`);
    };
    const sub = await check(subject, subjectType);
    const act = actor ? await check(actor, actorType ?? `${TYPE}jwt`) : undefined;
    const aud = audiences(ctx);
    if (requested === `${TYPE}id_token` && aud !== 'urn:octoken:access-only') {
      if (Array.isArray(aud)) throw new errors.InvalidTarget('an ID token is for one audience');
      ctx.body = await idTokenFor(ctx, { aud, sub });
      return;
    }
    ctx.body = await issue(ctx, {
      aud, sub, act, scope: ctx.oidc.params.scope,
    });
  }, [
    'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type',
    'requested_token_type', 'audience', 'resource', 'scope',
  ], ['audience', 'resource']);
}
