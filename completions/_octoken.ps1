
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'octoken' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'octoken'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'octoken' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Create or update a profile and obtain its tokens')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a fresh access token (cached while valid, refreshed when not)')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with a fresh access token in its environment')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Refresh now and store the new tokens (a keepalive for cron)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a profile''s settings and token state (never secrets)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Decode the current access token (or a JWT on stdin) locally; no signature check')
            [CompletionResult]::new('introspect', 'introspect', [CompletionResultType]::ParameterValue, 'Ask the server whether a token is active (RFC 7662; confidential clients)')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke the refresh token and delete the stored secrets')
            [CompletionResult]::new('git-credential', 'git-credential', [CompletionResultType]::ParameterValue, 'A git credential helper: answers git''s `get` for its bound hosts with a fresh access token')
            [CompletionResult]::new('kube-credential', 'kube-credential', [CompletionResultType]::ParameterValue, 'A kubectl exec credential plugin: prints an ExecCredential with a fresh token')
            [CompletionResult]::new('aws-credential', 'aws-credential', [CompletionResultType]::ParameterValue, 'An AWS credential_process: temporary AWS credentials for a role, from STS AssumeRoleWithWebIdentity with the profile''s ID token')
            [CompletionResult]::new('docker-credential', 'docker-credential', [CompletionResultType]::ParameterValue, 'A Docker, Podman, Buildah and Skopeo credential helper: a fresh access token for the registries bound to a profile')
            [CompletionResult]::new('cargo-credential', 'cargo-credential', [CompletionResultType]::ParameterValue, 'A cargo credential provider (protocol v1): a fresh access token for its bound registries')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Serve tokens and DPoP proofs over a socket (local scripts, `ssh -R` forwarding)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff), or install them all with --dir')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List the profiles: issuer, client, store, and whether each is logged in')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'octoken;login' {
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Issuer URL; endpoints are discovered from it once, here')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'Client ID registered at the provider (saved in the profile)')
            [CompletionResult]::new('--auth-method', '--auth-method', [CompletionResultType]::ParameterName, 'How the client authenticates at the token endpoint')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scopes to ask for [default: "openid offline_access"]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where to keep the refresh token and client secret [default: keyring]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates (PEM) for this profile')
            [CompletionResult]::new('--client-secret-file', '--client-secret-file', [CompletionResultType]::ParameterName, 'Read the client secret from this file (never pass secrets as arguments)')
            [CompletionResult]::new('--client-key-file', '--client-key-file', [CompletionResultType]::ParameterName, 'The client''s private key (PEM) for --auth-method private-key-jwt (PKCS#8 RSA or EC, or PKCS#1 RSA) or tls-client-auth; the path is saved, the key read at each use')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'The client''s private key (PEM) for --auth-method private-key-jwt (PKCS#8 RSA or EC, or PKCS#1 RSA) or tls-client-auth; the path is saved, the key read at each use')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'The client''s certificate (PEM) for --auth-method tls-client-auth; its key is --client-key-file (the paths are saved, the files read at each use)')
            [CompletionResult]::new('--client-key-id', '--client-key-id', [CompletionResultType]::ParameterName, 'The key id (`kid`) the provider knows the client''s key by')
            [CompletionResult]::new('--client-key-alg', '--client-key-alg', [CompletionResultType]::ParameterName, 'The algorithm of private_key_jwt assertions, where the client is registered for one the key does not imply (PS256 for an RSA key) [default: RS256 for RSA keys unless the provider lists only others; ES256/ES384 by curve]')
            [CompletionResult]::new('--client-key-aud', '--client-key-aud', [CompletionResultType]::ParameterName, 'What private_key_jwt assertions name as their audience: the token endpoint (RFC 7523; every server takes it) or the issuer alone (FAPI 2.0) [default: token-endpoint]')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'An API the tokens are for (RFC 8707 resource indicator; repeatable; saved in the profile)')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'Answer for this container registry in `docker-credential` (HOST or HOST:PORT; repeatable; saved in the profile, as `docker-credential setup HOST` does)')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'The non-standard `audience` parameter some servers (Auth0) want instead of --resource; with --grant token-exchange, RFC 8693''s (repeatable; saved in the profile)')
            [CompletionResult]::new('--token-url', '--token-url', [CompletionResultType]::ParameterName, 'Token endpoint, for servers without discovery')
            [CompletionResult]::new('--auth-url', '--auth-url', [CompletionResultType]::ParameterName, 'Authorization endpoint, for servers without discovery')
            [CompletionResult]::new('--revocation-url', '--revocation-url', [CompletionResultType]::ParameterName, 'Revocation endpoint (RFC 7009), for servers without discovery')
            [CompletionResult]::new('--device-url', '--device-url', [CompletionResultType]::ParameterName, 'Device authorization endpoint (RFC 8628), for servers without discovery')
            [CompletionResult]::new('--jwks-url', '--jwks-url', [CompletionResultType]::ParameterName, 'The provider''s JWKS, to verify ID token signatures where discovery names none')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Proxy URL for this profile (else HTTPS_PROXY, HTTP_PROXY and NO_PROXY apply)')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'Which grant obtains the tokens')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'Fixed loopback redirect URI, e.g. http://localhost:3000/auth/oauth2/callback [default: http://127.0.0.1:<free port>/callback]')
            [CompletionResult]::new('--browser', '--browser', [CompletionResultType]::ParameterName, 'Browser command to open the sign-in URL with (%s stands for the URL)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the sign-in')
            [CompletionResult]::new('--prompt-consent', '--prompt-consent', [CompletionResultType]::ParameterName, 'Send prompt=consent when asking for offline_access (saved in the profile)')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'The fleet''s Redis: redis://[USER@]HOST:PORT/DB or rediss:// (TLS, with --ca-file); the password comes from OCTOKEN_REDIS_PASSWORD or --redis-password-file')
            [CompletionResult]::new('--redis-password-file', '--redis-password-file', [CompletionResultType]::ParameterName, 'A 0600 file holding the Redis user''s password')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The shared entry''s name [default: issuer|client|profile]')
            [CompletionResult]::new('--store-key-file', '--store-key-file', [CompletionResultType]::ParameterName, 'Seal every value written to Redis with this key (32 random bytes, 0600)')
            [CompletionResult]::new('--redis-lease', '--redis-lease', [CompletionResultType]::ParameterName, 'Seconds a refreshing host holds the fleet''s lease [default: 15]')
            [CompletionResult]::new('--redis-timeout', '--redis-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for Redis to connect or answer [default: 5]')
            [CompletionResult]::new('--redis-wait-replicas', '--redis-wait-replicas', [CompletionResultType]::ParameterName, 'After each commit, WAIT for this many replicas to acknowledge it')
            [CompletionResult]::new('--assertion-file', '--assertion-file', [CompletionResultType]::ParameterName, '--grant jwt-bearer: read the assertion from this file (a Kubernetes projected token)')
            [CompletionResult]::new('--assertion-cmd', '--assertion-cmd', [CompletionResultType]::ParameterName, '--grant jwt-bearer: run this command (split like a shell, run without one) and read the assertion from its stdout')
            [CompletionResult]::new('--assertion-env', '--assertion-env', [CompletionResultType]::ParameterName, '--grant jwt-bearer: read the assertion from this environment variable (GitLab''s id_tokens)')
            [CompletionResult]::new('--subject-token-file', '--subject-token-file', [CompletionResultType]::ParameterName, '--grant token-exchange: read the subject token from this file')
            [CompletionResult]::new('--subject-token-cmd', '--subject-token-cmd', [CompletionResultType]::ParameterName, '--grant token-exchange: read the subject token from this command''s stdout')
            [CompletionResult]::new('--subject-token-env', '--subject-token-env', [CompletionResultType]::ParameterName, '--grant token-exchange: read the subject token from this variable')
            [CompletionResult]::new('--subject-token-type', '--subject-token-type', [CompletionResultType]::ParameterName, 'The subject token''s type: jwt, id_token, access_token or a URI [default: jwt]')
            [CompletionResult]::new('--actor-token-file', '--actor-token-file', [CompletionResultType]::ParameterName, '--grant token-exchange: read an actor token from this file')
            [CompletionResult]::new('--actor-token-cmd', '--actor-token-cmd', [CompletionResultType]::ParameterName, '--grant token-exchange: read an actor token from this command''s stdout')
            [CompletionResult]::new('--actor-token-env', '--actor-token-env', [CompletionResultType]::ParameterName, '--grant token-exchange: read an actor token from this variable')
            [CompletionResult]::new('--actor-token-type', '--actor-token-type', [CompletionResultType]::ParameterName, 'The actor token''s type (as --subject-token-type) [default: jwt]')
            [CompletionResult]::new('--requested-token-type', '--requested-token-type', [CompletionResultType]::ParameterName, '--grant token-exchange: the type of token to ask for (access_token, id_token, jwt or a URI)')
            [CompletionResult]::new('--client-assertion-file', '--client-assertion-file', [CompletionResultType]::ParameterName, '--auth-method client-assertion: read the client assertion from this file')
            [CompletionResult]::new('--client-assertion-cmd', '--client-assertion-cmd', [CompletionResultType]::ParameterName, '--auth-method client-assertion: read it from this command''s stdout')
            [CompletionResult]::new('--client-assertion-env', '--client-assertion-env', [CompletionResultType]::ParameterName, '--auth-method client-assertion: read it from this variable')
            [CompletionResult]::new('--dpop-alg', '--dpop-alg', [CompletionResultType]::ParameterName, 'The DPoP key''s algorithm (implies --dpop) [default: ES256]')
            [CompletionResult]::new('--dpop-key-file', '--dpop-key-file', [CompletionResultType]::ParameterName, 'Sign DPoP proofs with this PKCS#8 private key (RSA for RS256, P-256 for ES256) instead of a new one; it is copied into the profile''s store (implies --dpop)')
            [CompletionResult]::new('--acr-values', '--acr-values', [CompletionResultType]::ParameterName, 'Ask for these authentication context classes (`acr_values`, e.g. "gold" or "2"); the ID token''s `acr` must then be one of them')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'The person must have authenticated within SECS (`max_age`; 0: sign in again now)')
            [CompletionResult]::new('--acr-optional', '--acr-optional', [CompletionResultType]::ParameterName, 'Accept a weaker `acr` or an older `auth_time` than asked for, with a warning')
            [CompletionResult]::new('--login-hint', '--login-hint', [CompletionResultType]::ParameterName, 'Which account to sign in with (`login_hint`: an email address or user name)')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, '`prompt`: login, consent, select_account or none (several, space-separated); replaces the prompt=consent of --prompt-consent')
            [CompletionResult]::new('--ui-locales', '--ui-locales', [CompletionResultType]::ParameterName, 'Languages for the sign-in pages (`ui_locales`, e.g. "de en")')
            [CompletionResult]::new('--claims', '--claims', [CompletionResultType]::ParameterName, 'The `claims` request parameter, a JSON object (OIDC Core 5.5), e.g. ''{"id_token":{"acr":{"essential":true,"values":["gold"]}}}''')
            [CompletionResult]::new('--auth-param', '--auth-param', [CompletionResultType]::ParameterName, 'Any other authorization parameter (repeatable), e.g. kc_idp_hint=github')
            [CompletionResult]::new('--par', '--par', [CompletionResultType]::ParameterName, 'Push the request to the provider first (PAR, RFC 9126): the browser gets only a reference [default: when the provider requires it]')
            [CompletionResult]::new('--request-object', '--request-object', [CompletionResultType]::ParameterName, 'Send the request as a JWT signed with the client''s key (JAR, RFC 9101; needs --auth-method private-key-jwt)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--refresh-token-stdin', '--refresh-token-stdin', [CompletionResultType]::ParameterName, 'Import a refresh token read from stdin instead of logging in through a browser')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// endpoints on hosts other than loopback')
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'Device authorization (RFC 8628) for machines without a browser')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Only print the sign-in URL; you may paste the final redirect URL back here')
            [CompletionResult]::new('--attach', '--attach', [CompletionResultType]::ParameterName, 'Join a fleet: use the shared entry another host logged in, without a browser')
            [CompletionResult]::new('--dpop', '--dpop', [CompletionResultType]::ParameterName, 'Bind the tokens to a key of this profile with DPoP (RFC 9449); the key is kept in the profile''s store')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'octoken;token' {
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Refresh when the cached token has fewer seconds than this left')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Ask for fewer scopes than the login granted (cached separately)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'A token for one of the login''s --resource URIs only (RFC 8707; cached separately)')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'A token for this audience, exchanged for the profile''s own (RFC 8693; cached separately)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Which token to print')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print the token: raw, json, header (for curl -H @-) or env (for eval)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Variable name for --format env')
            [CompletionResult]::new('--dpop-proof', '--dpop-proof', [CompletionResultType]::ParameterName, 'Also sign a DPoP proof for this request to the API (a DPoP profile''s key); with --format header: `Authorization: DPoP <token>` and `DPoP: <proof>`')
            [CompletionResult]::new('--dpop-nonce', '--dpop-nonce', [CompletionResultType]::ParameterName, 'The nonce the API asked for (its `DPoP-Nonce` header); remembered for its server')
            [CompletionResult]::new('--min-acr', '--min-acr', [CompletionResultType]::ParameterName, 'Exit 4 unless the profile''s sign-in reached this authentication level (its ID token''s `acr`; one of several given, or a higher number)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'octoken;exec' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment variable that carries the token')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Which token the command gets (id: the login''s ID token, or with --audience one by token exchange)')
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Refresh when the cached token has fewer seconds than this left')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Ask for fewer scopes than the login granted (cached separately)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'A token for one of the login''s --resource URIs only (RFC 8707; cached separately)')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'A token for this audience, exchanged for the profile''s own (RFC 8693; cached separately)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'octoken;refresh' {
            [CompletionResult]::new('--if-older-than', '--if-older-than', [CompletionResultType]::ParameterName, 'Only refresh when the last successful refresh is older than this (e.g. 12h, 7d)')
            [CompletionResult]::new('--jitter', '--jitter', [CompletionResultType]::ParameterName, 'Sleep a random time up to this first, so many hosts on the same schedule do not ask the provider in the same second (e.g. 10m)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;status' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the status as JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;inspect' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;introspect' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--refresh-token', '--refresh-token', [CompletionResultType]::ParameterName, 'Ask about the stored refresh token instead of the access token')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;logout' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Only delete the local secrets; do not revoke at the server')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;git-credential' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'A host this helper answers for, as git names it (HOST, or HOST:PORT when the remote''s URL has a port); repeatable. Without one it answers nothing')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'The user name sent with the token (GitLab: oauth2, Bitbucket: x-token-auth)')
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Refresh when the cached token has fewer seconds than this left')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Ask for fewer scopes than the login granted (cached separately)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'A token for one of the login''s --resource URIs only (RFC 8707; cached separately)')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'A token for this audience, exchanged for the profile''s own (RFC 8693; cached separately)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--global', '--global', [CompletionResultType]::ParameterName, 'With setup: write the user''s git config (~/.gitconfig), not the repository''s')
            [CompletionResult]::new('--login', '--login', [CompletionResultType]::ParameterName, 'When a login is needed, run the profile''s login on this terminal instead of failing')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;kube-credential' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Which token the cluster accepts')
            [CompletionResult]::new('--print-kubeconfig-user', '--print-kubeconfig-user', [CompletionResultType]::ParameterName, 'Print a kubeconfig `users:` entry named NAME for this profile (with the token flags given beside it), and exit')
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Refresh when the cached token has fewer seconds than this left')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Ask for fewer scopes than the login granted (cached separately)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'A token for one of the login''s --resource URIs only (RFC 8707; cached separately)')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'A token for this audience, exchanged for the profile''s own (RFC 8693; cached separately)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--login', '--login', [CompletionResultType]::ParameterName, 'When a login is needed and kubectl says a person is there, run the profile''s login')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'octoken;aws-credential' {
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'The IAM role to assume (arn:aws:iam::ACCOUNT:role/NAME); its trust policy names the provider and the client id as the audience')
            [CompletionResult]::new('--session-name', '--session-name', [CompletionResultType]::ParameterName, 'The role session name AWS records (2 to 64 of A-Z a-z 0-9 +=,.@_-) [default: octoken-PROFILE]')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Seconds the credentials last, 900 up to the role''s maximum session duration [default: the role''s, one hour]')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Which token STS gets as the web identity')
            [CompletionResult]::new('--sts-endpoint', '--sts-endpoint', [CompletionResultType]::ParameterName, 'The STS endpoint (https; http only to a loopback address) [default: https://sts.amazonaws.com]')
            [CompletionResult]::new('--sts-region', '--sts-region', [CompletionResultType]::ParameterName, 'Use this region''s STS endpoint (https://sts.REGION.amazonaws.com)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--login', '--login', [CompletionResultType]::ParameterName, 'When a login is needed, run the profile''s login on this terminal instead of failing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'octoken;docker-credential' {
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'With setup: the user name sent with the token, as the registry wants it [default: oauth2accesstoken]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'With install: where to make the link, a directory on PATH [default: octoken''s own]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;cargo-credential' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'A registry host this provider answers for, as its index URL names it (HOST, or HOST:PORT when the URL has a port); repeatable. Without one it answers nothing')
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Refresh when the cached token has fewer seconds than this left')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Ask for fewer scopes than the login granted (cached separately)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'A token for one of the login''s --resource URIs only (RFC 8707; cached separately)')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'A token for this audience, exchanged for the profile''s own (RFC 8693; cached separately)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--cargo-plugin', '--cargo-plugin', [CompletionResultType]::ParameterName, 'Run by cargo: the words of the credential-provider line come with each request')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;agent' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The socket (default: $XDG_RUNTIME_DIR/octoken/agent.sock)')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Stop after this long without a connection (e.g. 8h)')
            [CompletionResult]::new('--profiles', '--profiles', [CompletionResultType]::ParameterName, 'Serve these profiles only (comma-separated); others are refused')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--foreground', '--foreground', [CompletionResultType]::ParameterName, 'Stay in the foreground (systemd user units, tests) instead of starting in the background')
            [CompletionResult]::new('--no-proofs', '--no-proofs', [CompletionResultType]::ParameterName, 'Serve tokens only: refuse to sign DPoP proofs')
            [CompletionResult]::new('--sh', '--sh', [CompletionResultType]::ParameterName, 'Print Bourne shell lines (the default unless $SHELL is csh or fish)')
            [CompletionResult]::new('--csh', '--csh', [CompletionResultType]::ParameterName, 'Print csh lines')
            [CompletionResult]::new('--fish', '--fish', [CompletionResultType]::ParameterName, 'Print fish lines')
            [CompletionResult]::new('--stop', '--stop', [CompletionResultType]::ParameterName, 'Stop the agent on --socket (or $OCTOKEN_AGENT_SOCK)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;completions' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write every page (octoken.1 and one for each command) into this directory instead, e.g. ~/.local/share/man/man1, which `man` searches when ~/.local/bin is on PATH')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;profiles' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the list as JSON on stdout')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Look into each profile''s secret store (may touch the keyring); by default only local files are read')
            [CompletionResult]::new('--names', '--names', [CompletionResultType]::ParameterName, 'Only the names, one a line (what shell completion uses)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summaries on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'octoken;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Create or update a profile and obtain its tokens')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a fresh access token (cached while valid, refreshed when not)')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with a fresh access token in its environment')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Refresh now and store the new tokens (a keepalive for cron)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a profile''s settings and token state (never secrets)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Decode the current access token (or a JWT on stdin) locally; no signature check')
            [CompletionResult]::new('introspect', 'introspect', [CompletionResultType]::ParameterValue, 'Ask the server whether a token is active (RFC 7662; confidential clients)')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke the refresh token and delete the stored secrets')
            [CompletionResult]::new('git-credential', 'git-credential', [CompletionResultType]::ParameterValue, 'A git credential helper: answers git''s `get` for its bound hosts with a fresh access token')
            [CompletionResult]::new('kube-credential', 'kube-credential', [CompletionResultType]::ParameterValue, 'A kubectl exec credential plugin: prints an ExecCredential with a fresh token')
            [CompletionResult]::new('aws-credential', 'aws-credential', [CompletionResultType]::ParameterValue, 'An AWS credential_process: temporary AWS credentials for a role, from STS AssumeRoleWithWebIdentity with the profile''s ID token')
            [CompletionResult]::new('docker-credential', 'docker-credential', [CompletionResultType]::ParameterValue, 'A Docker, Podman, Buildah and Skopeo credential helper: a fresh access token for the registries bound to a profile')
            [CompletionResult]::new('cargo-credential', 'cargo-credential', [CompletionResultType]::ParameterValue, 'A cargo credential provider (protocol v1): a fresh access token for its bound registries')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Serve tokens and DPoP proofs over a socket (local scripts, `ssh -R` forwarding)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff), or install them all with --dir')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List the profiles: issuer, client, store, and whether each is logged in')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'octoken;help;login' {
            break
        }
        'octoken;help;token' {
            break
        }
        'octoken;help;exec' {
            break
        }
        'octoken;help;refresh' {
            break
        }
        'octoken;help;status' {
            break
        }
        'octoken;help;inspect' {
            break
        }
        'octoken;help;introspect' {
            break
        }
        'octoken;help;logout' {
            break
        }
        'octoken;help;git-credential' {
            break
        }
        'octoken;help;kube-credential' {
            break
        }
        'octoken;help;aws-credential' {
            break
        }
        'octoken;help;docker-credential' {
            break
        }
        'octoken;help;cargo-credential' {
            break
        }
        'octoken;help;agent' {
            break
        }
        'octoken;help;completions' {
            break
        }
        'octoken;help;man' {
            break
        }
        'octoken;help;profiles' {
            break
        }
        'octoken;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
