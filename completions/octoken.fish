# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_octoken_global_optspecs
    string join \n p/profile= v/verbose q/quiet h/help V/version
end

function __fish_octoken_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_octoken_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_octoken_using_subcommand
    set -l cmd (__fish_octoken_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c octoken -n "__fish_octoken_needs_command" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_needs_command" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_needs_command" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c octoken -n "__fish_octoken_needs_command" -s V -l version -d 'Print version'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "login" -d 'Create or update a profile and obtain its tokens'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "token" -d 'Print a fresh access token (cached while valid, refreshed when not)'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "exec" -d 'Run a command with a fresh access token in its environment'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "refresh" -d 'Refresh now and store the new tokens (a keepalive for cron)'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "status" -d 'Show a profile\'s settings and token state (never secrets)'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "inspect" -d 'Decode the current access token (or a JWT on stdin) locally; no signature check'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "introspect" -d 'Ask the server whether a token is active (RFC 7662; confidential clients)'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "logout" -d 'Revoke the refresh token and delete the stored secrets'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "git-credential" -d 'A git credential helper: answers git\'s `get` for its bound hosts with a fresh access token'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "kube-credential" -d 'A kubectl exec credential plugin: prints an ExecCredential with a fresh token'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "aws-credential" -d 'An AWS credential_process: temporary AWS credentials for a role, from STS AssumeRoleWithWebIdentity with the profile\'s ID token'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "docker-credential" -d 'A Docker, Podman, Buildah and Skopeo credential helper: a fresh access token for the registries bound to a profile'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "cargo-credential" -d 'A cargo credential provider (protocol v1): a fresh access token for its bound registries'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "agent" -d 'Serve tokens and DPoP proofs over a socket (local scripts, `ssh -R` forwarding)'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "man" -d 'Print a man page (roff), or install them all with --dir'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "profiles" -d 'List the profiles: issuer, client, store, and whether each is logged in'
complete -c octoken -n "__fish_octoken_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c octoken -n "__fish_octoken_using_subcommand login" -l issuer -d 'Issuer URL; endpoints are discovered from it once, here' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l client-id -d 'Client ID registered at the provider (saved in the profile)' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l auth-method -d 'How the client authenticates at the token endpoint' -r -f -a "basic\t'client_secret_basic: id and secret in an HTTP Basic header'
post\t'client_secret_post: id and secret in the form body'
none\t'A public client: no secret'
private-key-jwt\t'private_key_jwt: a JWT signed with the client\'s key (--client-key-file)'
tls-client-auth\t'Mutual TLS (RFC 8705): the certificate in --client-cert, its key in --client-key-file'
client-assertion\t'A client assertion signed by someone else (RFC 7523 2.2, federated: a CI\'s or a pod\'s token), read from --client-assertion-file/-cmd/-env at each request'"
complete -c octoken -n "__fish_octoken_using_subcommand login" -l scope -d 'Scopes to ask for [default: "openid offline_access"]' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l store -d 'Where to keep the refresh token and client secret [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A 0600 file in a 0700 directory under the data dir'
redis\t'Redis or Valkey, shared by a fleet of hosts (--redis-url)'"
complete -c octoken -n "__fish_octoken_using_subcommand login" -l ca-file -d 'Extra trusted CA certificates (PEM) for this profile' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l client-secret-file -d 'Read the client secret from this file (never pass secrets as arguments)' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l client-key-file -l client-key -d 'The client\'s private key (PEM) for --auth-method private-key-jwt (PKCS#8 RSA or EC, or PKCS#1 RSA) or tls-client-auth; the path is saved, the key read at each use' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l client-cert -d 'The client\'s certificate (PEM) for --auth-method tls-client-auth; its key is --client-key-file (the paths are saved, the files read at each use)' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l client-key-id -d 'The key id (`kid`) the provider knows the client\'s key by' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l client-key-alg -d 'The algorithm of private_key_jwt assertions, where the client is registered for one the key does not imply (PS256 for an RSA key) [default: RS256 for RSA keys unless the provider lists only others; ES256/ES384 by curve]' -r -f -a "RS256\t''
RS384\t''
RS512\t''
PS256\t''
PS384\t''
PS512\t''
ES256\t''
ES384\t''"
complete -c octoken -n "__fish_octoken_using_subcommand login" -l client-key-aud -d 'What private_key_jwt assertions name as their audience: the token endpoint (RFC 7523; every server takes it) or the issuer alone (FAPI 2.0) [default: token-endpoint]' -r -f -a "token-endpoint\t'The token endpoint URL (RFC 7523)'
issuer\t'The issuer identifier (FAPI 2.0)'"
complete -c octoken -n "__fish_octoken_using_subcommand login" -l resource -d 'An API the tokens are for (RFC 8707 resource indicator; repeatable; saved in the profile)' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l registry -d 'Answer for this container registry in `docker-credential` (HOST or HOST:PORT; repeatable; saved in the profile, as `docker-credential setup HOST` does)' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l audience -d 'The non-standard `audience` parameter some servers (Auth0) want instead of --resource; with --grant token-exchange, RFC 8693\'s (repeatable; saved in the profile)' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l token-url -d 'Token endpoint, for servers without discovery' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l auth-url -d 'Authorization endpoint, for servers without discovery' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l revocation-url -d 'Revocation endpoint (RFC 7009), for servers without discovery' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l device-url -d 'Device authorization endpoint (RFC 8628), for servers without discovery' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l jwks-url -d 'The provider\'s JWKS, to verify ID token signatures where discovery names none' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l proxy -d 'Proxy URL for this profile (else HTTPS_PROXY, HTTP_PROXY and NO_PROXY apply)' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l grant -d 'Which grant obtains the tokens' -r -f -a "authorization-code\t'A person signs in (browser, device flow, or an imported refresh token)'
client-credentials\t'Machine to machine: the client\'s own credentials, no refresh token'
jwt-bearer\t'RFC 7523: a signed assertion (a CI job\'s ID token, a pod\'s token) read from --assertion-file/-cmd/-env at each renewal'
token-exchange\t'RFC 8693: a subject token read from --subject-token-file/-cmd/-env at each renewal, exchanged'"
complete -c octoken -n "__fish_octoken_using_subcommand login" -l redirect-uri -d 'Fixed loopback redirect URI, e.g. http://localhost:3000/auth/oauth2/callback [default: http://127.0.0.1:<free port>/callback]' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l browser -d 'Browser command to open the sign-in URL with (%s stands for the URL)' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l timeout -d 'Seconds to wait for the sign-in' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l prompt-consent -d 'Send prompt=consent when asking for offline_access (saved in the profile)' -r -f -a "true\t''
false\t''"
complete -c octoken -n "__fish_octoken_using_subcommand login" -l redis-url -d 'The fleet\'s Redis: redis://[USER@]HOST:PORT/DB or rediss:// (TLS, with --ca-file); the password comes from OCTOKEN_REDIS_PASSWORD or --redis-password-file' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l redis-password-file -d 'A 0600 file holding the Redis user\'s password' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l namespace -d 'The shared entry\'s name [default: issuer|client|profile]' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l store-key-file -d 'Seal every value written to Redis with this key (32 random bytes, 0600)' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l redis-lease -d 'Seconds a refreshing host holds the fleet\'s lease [default: 15]' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l redis-timeout -d 'Seconds to wait for Redis to connect or answer [default: 5]' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l redis-wait-replicas -d 'After each commit, WAIT for this many replicas to acknowledge it' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l assertion-file -d '--grant jwt-bearer: read the assertion from this file (a Kubernetes projected token)' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l assertion-cmd -d '--grant jwt-bearer: run this command (split like a shell, run without one) and read the assertion from its stdout' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l assertion-env -d '--grant jwt-bearer: read the assertion from this environment variable (GitLab\'s id_tokens)' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l subject-token-file -d '--grant token-exchange: read the subject token from this file' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l subject-token-cmd -d '--grant token-exchange: read the subject token from this command\'s stdout' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l subject-token-env -d '--grant token-exchange: read the subject token from this variable' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l subject-token-type -d 'The subject token\'s type: jwt, id_token, access_token or a URI [default: jwt]' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l actor-token-file -d '--grant token-exchange: read an actor token from this file' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l actor-token-cmd -d '--grant token-exchange: read an actor token from this command\'s stdout' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l actor-token-env -d '--grant token-exchange: read an actor token from this variable' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l actor-token-type -d 'The actor token\'s type (as --subject-token-type) [default: jwt]' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l requested-token-type -d '--grant token-exchange: the type of token to ask for (access_token, id_token, jwt or a URI)' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l client-assertion-file -d '--auth-method client-assertion: read the client assertion from this file' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l client-assertion-cmd -d '--auth-method client-assertion: read it from this command\'s stdout' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l client-assertion-env -d '--auth-method client-assertion: read it from this variable' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l dpop-alg -d 'The DPoP key\'s algorithm (implies --dpop) [default: ES256]' -r -f -a "ES256\t'ECDSA P-256 with SHA-256'
EdDSA\t'Ed25519'
RS256\t'RSASSA-PKCS1-v1_5 with SHA-256 (for servers without EC); needs --dpop-key-file'"
complete -c octoken -n "__fish_octoken_using_subcommand login" -l dpop-key-file -d 'Sign DPoP proofs with this PKCS#8 private key (RSA for RS256, P-256 for ES256) instead of a new one; it is copied into the profile\'s store (implies --dpop)' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand login" -l acr-values -d 'Ask for these authentication context classes (`acr_values`, e.g. "gold" or "2"); the ID token\'s `acr` must then be one of them' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l max-age -d 'The person must have authenticated within SECS (`max_age`; 0: sign in again now)' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l acr-optional -d 'Accept a weaker `acr` or an older `auth_time` than asked for, with a warning' -r -f -a "true\t''
false\t''"
complete -c octoken -n "__fish_octoken_using_subcommand login" -l login-hint -d 'Which account to sign in with (`login_hint`: an email address or user name)' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l prompt -d '`prompt`: login, consent, select_account or none (several, space-separated); replaces the prompt=consent of --prompt-consent' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l ui-locales -d 'Languages for the sign-in pages (`ui_locales`, e.g. "de en")' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l claims -d 'The `claims` request parameter, a JSON object (OIDC Core 5.5), e.g. \'{"id_token":{"acr":{"essential":true,"values":["gold"]}}}\'' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l auth-param -d 'Any other authorization parameter (repeatable), e.g. kc_idp_hint=github' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l par -d 'Push the request to the provider first (PAR, RFC 9126): the browser gets only a reference [default: when the provider requires it]' -r -f -a "true\t''
false\t''"
complete -c octoken -n "__fish_octoken_using_subcommand login" -l request-object -d 'Send the request as a JWT signed with the client\'s key (JAR, RFC 9101; needs --auth-method private-key-jwt)' -r -f -a "true\t''
false\t''"
complete -c octoken -n "__fish_octoken_using_subcommand login" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand login" -l refresh-token-stdin -d 'Import a refresh token read from stdin instead of logging in through a browser'
complete -c octoken -n "__fish_octoken_using_subcommand login" -l allow-insecure-http -d 'Allow plain http:// endpoints on hosts other than loopback'
complete -c octoken -n "__fish_octoken_using_subcommand login" -l device -d 'Device authorization (RFC 8628) for machines without a browser'
complete -c octoken -n "__fish_octoken_using_subcommand login" -l no-browser -d 'Only print the sign-in URL; you may paste the final redirect URL back here'
complete -c octoken -n "__fish_octoken_using_subcommand login" -l attach -d 'Join a fleet: use the shared entry another host logged in, without a browser'
complete -c octoken -n "__fish_octoken_using_subcommand login" -l dpop -d 'Bind the tokens to a key of this profile with DPoP (RFC 9449); the key is kept in the profile\'s store'
complete -c octoken -n "__fish_octoken_using_subcommand login" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand login" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c octoken -n "__fish_octoken_using_subcommand token" -l min-ttl -d 'Refresh when the cached token has fewer seconds than this left' -r
complete -c octoken -n "__fish_octoken_using_subcommand token" -l scope -d 'Ask for fewer scopes than the login granted (cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand token" -l resource -d 'A token for one of the login\'s --resource URIs only (RFC 8707; cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand token" -l audience -d 'A token for this audience, exchanged for the profile\'s own (RFC 8693; cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand token" -l type -d 'Which token to print' -r -f -a "access\t'The OAuth 2.0 access token'
id\t'The OpenID Connect ID token (a JWT for the client itself)'"
complete -c octoken -n "__fish_octoken_using_subcommand token" -l format -d 'How to print the token: raw, json, header (for curl -H @-) or env (for eval)' -r -f -a "raw\t'The token and a newline'
json\t'A JSON object: access_token, token_type, expires_at, expires_in, scope'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export NAME=\'<token>\'`, for `eval "$(octoken token --format env)"`'"
complete -c octoken -n "__fish_octoken_using_subcommand token" -l env -d 'Variable name for --format env' -r
complete -c octoken -n "__fish_octoken_using_subcommand token" -l dpop-proof -d 'Also sign a DPoP proof for this request to the API (a DPoP profile\'s key); with --format header: `Authorization: DPoP <token>` and `DPoP: <proof>`' -r
complete -c octoken -n "__fish_octoken_using_subcommand token" -l dpop-nonce -d 'The nonce the API asked for (its `DPoP-Nonce` header); remembered for its server' -r
complete -c octoken -n "__fish_octoken_using_subcommand token" -l min-acr -d 'Exit 4 unless the profile\'s sign-in reached this authentication level (its ID token\'s `acr`; one of several given, or a higher number)' -r
complete -c octoken -n "__fish_octoken_using_subcommand token" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand token" -l strict -d 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)'
complete -c octoken -n "__fish_octoken_using_subcommand token" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand token" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c octoken -n "__fish_octoken_using_subcommand exec" -l env -d 'Environment variable that carries the token' -r
complete -c octoken -n "__fish_octoken_using_subcommand exec" -l type -d 'Which token the command gets (id: the login\'s ID token, or with --audience one by token exchange)' -r -f -a "access\t'The OAuth 2.0 access token'
id\t'The OpenID Connect ID token (a JWT for the client itself)'"
complete -c octoken -n "__fish_octoken_using_subcommand exec" -l min-ttl -d 'Refresh when the cached token has fewer seconds than this left' -r
complete -c octoken -n "__fish_octoken_using_subcommand exec" -l scope -d 'Ask for fewer scopes than the login granted (cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand exec" -l resource -d 'A token for one of the login\'s --resource URIs only (RFC 8707; cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand exec" -l audience -d 'A token for this audience, exchanged for the profile\'s own (RFC 8693; cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand exec" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand exec" -l strict -d 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)'
complete -c octoken -n "__fish_octoken_using_subcommand exec" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand exec" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c octoken -n "__fish_octoken_using_subcommand refresh" -l if-older-than -d 'Only refresh when the last successful refresh is older than this (e.g. 12h, 7d)' -r
complete -c octoken -n "__fish_octoken_using_subcommand refresh" -l jitter -d 'Sleep a random time up to this first, so many hosts on the same schedule do not ask the provider in the same second (e.g. 10m)' -r
complete -c octoken -n "__fish_octoken_using_subcommand refresh" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand refresh" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand refresh" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand refresh" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand status" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand status" -l json -d 'Print the status as JSON on stdout'
complete -c octoken -n "__fish_octoken_using_subcommand status" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand status" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand status" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand inspect" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand inspect" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand inspect" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand introspect" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand introspect" -l refresh-token -d 'Ask about the stored refresh token instead of the access token'
complete -c octoken -n "__fish_octoken_using_subcommand introspect" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand introspect" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand introspect" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand logout" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand logout" -l local -d 'Only delete the local secrets; do not revoke at the server'
complete -c octoken -n "__fish_octoken_using_subcommand logout" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand logout" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand logout" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -l host -d 'A host this helper answers for, as git names it (HOST, or HOST:PORT when the remote\'s URL has a port); repeatable. Without one it answers nothing' -r
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -l username -d 'The user name sent with the token (GitLab: oauth2, Bitbucket: x-token-auth)' -r
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -l min-ttl -d 'Refresh when the cached token has fewer seconds than this left' -r
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -l scope -d 'Ask for fewer scopes than the login granted (cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -l resource -d 'A token for one of the login\'s --resource URIs only (RFC 8707; cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -l audience -d 'A token for this audience, exchanged for the profile\'s own (RFC 8693; cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -l global -d 'With setup: write the user\'s git config (~/.gitconfig), not the repository\'s'
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -l login -d 'When a login is needed, run the profile\'s login on this terminal instead of failing'
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -l strict -d 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)'
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand git-credential" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -l type -d 'Which token the cluster accepts' -r -f -a "access\t'The OAuth 2.0 access token'
id\t'The OpenID Connect ID token (a JWT for the client itself)'"
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -l print-kubeconfig-user -d 'Print a kubeconfig `users:` entry named NAME for this profile (with the token flags given beside it), and exit' -r
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -l min-ttl -d 'Refresh when the cached token has fewer seconds than this left' -r
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -l scope -d 'Ask for fewer scopes than the login granted (cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -l resource -d 'A token for one of the login\'s --resource URIs only (RFC 8707; cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -l audience -d 'A token for this audience, exchanged for the profile\'s own (RFC 8693; cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -l login -d 'When a login is needed and kubectl says a person is there, run the profile\'s login'
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -l strict -d 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)'
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand kube-credential" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -l role-arn -d 'The IAM role to assume (arn:aws:iam::ACCOUNT:role/NAME); its trust policy names the provider and the client id as the audience' -r
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -l session-name -d 'The role session name AWS records (2 to 64 of A-Z a-z 0-9 +=,.@_-) [default: octoken-PROFILE]' -r
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -l duration -d 'Seconds the credentials last, 900 up to the role\'s maximum session duration [default: the role\'s, one hour]' -r
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -l type -d 'Which token STS gets as the web identity' -r -f -a "access\t'The OAuth 2.0 access token'
id\t'The OpenID Connect ID token (a JWT for the client itself)'"
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -l sts-endpoint -d 'The STS endpoint (https; http only to a loopback address) [default: https://sts.amazonaws.com]' -r
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -l sts-region -d 'Use this region\'s STS endpoint (https://sts.REGION.amazonaws.com)' -r
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -l login -d 'When a login is needed, run the profile\'s login on this terminal instead of failing'
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand aws-credential" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c octoken -n "__fish_octoken_using_subcommand docker-credential" -l username -d 'With setup: the user name sent with the token, as the registry wants it [default: oauth2accesstoken]' -r
complete -c octoken -n "__fish_octoken_using_subcommand docker-credential" -l dir -d 'With install: where to make the link, a directory on PATH [default: octoken\'s own]' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand docker-credential" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand docker-credential" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand docker-credential" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand docker-credential" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -l host -d 'A registry host this provider answers for, as its index URL names it (HOST, or HOST:PORT when the URL has a port); repeatable. Without one it answers nothing' -r
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -l min-ttl -d 'Refresh when the cached token has fewer seconds than this left' -r
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -l scope -d 'Ask for fewer scopes than the login granted (cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -l resource -d 'A token for one of the login\'s --resource URIs only (RFC 8707; cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -l audience -d 'A token for this audience, exchanged for the profile\'s own (RFC 8693; cached separately)' -r
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -l cargo-plugin -d 'Run by cargo: the words of the credential-provider line come with each request'
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -l strict -d 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)'
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand cargo-credential" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand agent" -l socket -d 'The socket (default: $XDG_RUNTIME_DIR/octoken/agent.sock)' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand agent" -l idle-timeout -d 'Stop after this long without a connection (e.g. 8h)' -r
complete -c octoken -n "__fish_octoken_using_subcommand agent" -l profiles -d 'Serve these profiles only (comma-separated); others are refused' -r
complete -c octoken -n "__fish_octoken_using_subcommand agent" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand agent" -l foreground -d 'Stay in the foreground (systemd user units, tests) instead of starting in the background'
complete -c octoken -n "__fish_octoken_using_subcommand agent" -l no-proofs -d 'Serve tokens only: refuse to sign DPoP proofs'
complete -c octoken -n "__fish_octoken_using_subcommand agent" -l sh -d 'Print Bourne shell lines (the default unless $SHELL is csh or fish)'
complete -c octoken -n "__fish_octoken_using_subcommand agent" -l csh -d 'Print csh lines'
complete -c octoken -n "__fish_octoken_using_subcommand agent" -l fish -d 'Print fish lines'
complete -c octoken -n "__fish_octoken_using_subcommand agent" -l stop -d 'Stop the agent on --socket (or $OCTOKEN_AGENT_SOCK)'
complete -c octoken -n "__fish_octoken_using_subcommand agent" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand agent" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand agent" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand completions" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand completions" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand completions" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand completions" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand man" -l dir -d 'Write every page (octoken.1 and one for each command) into this directory instead, e.g. ~/.local/share/man/man1, which `man` searches when ~/.local/bin is on PATH' -r -F
complete -c octoken -n "__fish_octoken_using_subcommand man" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand man" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand man" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand man" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand profiles" -s p -l profile -d 'Profile to use' -r
complete -c octoken -n "__fish_octoken_using_subcommand profiles" -l json -d 'Print the list as JSON on stdout'
complete -c octoken -n "__fish_octoken_using_subcommand profiles" -l check -d 'Look into each profile\'s secret store (may touch the keyring); by default only local files are read'
complete -c octoken -n "__fish_octoken_using_subcommand profiles" -l names -d 'Only the names, one a line (what shell completion uses)'
complete -c octoken -n "__fish_octoken_using_subcommand profiles" -s v -l verbose -d 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
complete -c octoken -n "__fish_octoken_using_subcommand profiles" -s q -l quiet -d 'Print no summaries on stderr (errors and warnings still show)'
complete -c octoken -n "__fish_octoken_using_subcommand profiles" -s h -l help -d 'Print help'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "login" -d 'Create or update a profile and obtain its tokens'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "token" -d 'Print a fresh access token (cached while valid, refreshed when not)'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "exec" -d 'Run a command with a fresh access token in its environment'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "refresh" -d 'Refresh now and store the new tokens (a keepalive for cron)'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "status" -d 'Show a profile\'s settings and token state (never secrets)'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "inspect" -d 'Decode the current access token (or a JWT on stdin) locally; no signature check'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "introspect" -d 'Ask the server whether a token is active (RFC 7662; confidential clients)'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "logout" -d 'Revoke the refresh token and delete the stored secrets'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "git-credential" -d 'A git credential helper: answers git\'s `get` for its bound hosts with a fresh access token'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "kube-credential" -d 'A kubectl exec credential plugin: prints an ExecCredential with a fresh token'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "aws-credential" -d 'An AWS credential_process: temporary AWS credentials for a role, from STS AssumeRoleWithWebIdentity with the profile\'s ID token'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "docker-credential" -d 'A Docker, Podman, Buildah and Skopeo credential helper: a fresh access token for the registries bound to a profile'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "cargo-credential" -d 'A cargo credential provider (protocol v1): a fresh access token for its bound registries'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "agent" -d 'Serve tokens and DPoP proofs over a socket (local scripts, `ssh -R` forwarding)'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "man" -d 'Print a man page (roff), or install them all with --dir'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "profiles" -d 'List the profiles: issuer, client, store, and whether each is logged in'
complete -c octoken -n "__fish_octoken_using_subcommand help; and not __fish_seen_subcommand_from login token exec refresh status inspect introspect logout git-credential kube-credential aws-credential docker-credential cargo-credential agent completions man profiles help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

# Profile names after -p/--profile come from the config (octoken profiles --names).
complete -c octoken -s p -l profile -f -a '(octoken profiles --names 2>/dev/null)'
