// The bundled provider's side of the whole authorization request (octoken issue 24):
// authentication levels the sign-in driver chooses, the `claims` parameter, signed
// request objects (RFC 9101) and pushed requests (RFC 9126), with clients that require
// each. server.mjs spreads these in; kept apart so its other changes merge easily.
//
//   --require-par         the provider takes pushed requests only
//                         (require_pushed_authorization_requests in its metadata)
//
// Clients, besides server.mjs's own:
//   octoken-par           public, like octoken-public, but registered to require PAR
//                         (client metadata only: the discovery document does not say so);
//                         a plain request is refused by a redirect back with the error
//   octoken-par-page      the same, but a plain request gets an error page (HTTP 400),
//                         as some providers answer
//   octoken-key-jar       private_key_jwt like octoken-key (with --client-key), and every
//                         authorization request must be a signed request object
//
// The levels (acr) are "silver" and "gold". The driver (signin.mjs --acr A --amr
// pwd,otp) posts them with the login form; the login then carries that acr and amr.
// Without --acr a login has no acr.

export const stepUpOptions = {
  'require-par': { type: 'boolean', default: false },
};

export const ACR_VALUES = ['silver', 'gold'];

// The ID token claims about the sign-in itself (OIDC Core 2), amr among them.
export const STEP_UP_CLAIMS = { acr: null, amr: null, auth_time: null };

export function stepUpClients(client, keyClientJwks) {
  return [
    { ...client('octoken-par', 'none'), require_pushed_authorization_requests: true },
    { ...client('octoken-par-page', 'none'), require_pushed_authorization_requests: true },
    ...(keyClientJwks.keys.length
      ? [{
        ...client('octoken-key-jar', 'private_key_jwt'),
        jwks: keyClientJwks,
        require_signed_request_object: true,
      }]
      : []),
  ];
}

export function stepUpFeatures(opts) {
  return {
    claimsParameter: { enabled: true },
    requestObjects: { enabled: true },
    pushedAuthorizationRequests: {
      enabled: true,
      requirePushedAuthorizationRequests: opts['require-par'],
    },
  };
}

// Answers what oidc-provider would answer otherwise: the login form's submission when
// the driver chose a level (finished here with that acr and amr), and octoken-par-page's
// plain authorization requests. Anything else goes on to oidc-provider (with the body
// already read). Returns whether it answered.
export async function stepUpLogin(provider, req, res) {
  if (req.method === 'GET') {
    const url = new URL(req.url, 'http://idp');
    const plain = url.pathname.endsWith('/auth') && !url.searchParams.has('request_uri');
    if (!plain || url.searchParams.get('client_id') !== 'octoken-par-page') return false;
    res.statusCode = 400;
    res.setHeader('content-type', 'text/html');
    res.end('<p>invalid_request: Pushed Authorization Request is only allowed.</p>');
    return true;
  }
  if (req.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(req.url)) return false;
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  req.body = Buffer.concat(chunks);
  const form = new URLSearchParams(req.body.toString());
  if (form.get('prompt') !== 'login' || !form.get('acr')) return false;
  await provider.interactionFinished(req, res, {
    login: {
      accountId: form.get('login'),
      acr: form.get('acr'),
      amr: (form.get('amr') ?? 'pwd').split(/[ ,]/),
    },
  }, { mergeWithLastSubmission: false });
  return true;
}
