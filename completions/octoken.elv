
use builtin;
use str;

set edit:completion:arg-completer[octoken] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'octoken'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'octoken'= {
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Create or update a profile and obtain its tokens'
            cand token 'Print a fresh access token (cached while valid, refreshed when not)'
            cand exec 'Run a command with a fresh access token in its environment'
            cand refresh 'Refresh now and store the new tokens (a keepalive for cron)'
            cand status 'Show a profile''s settings and token state (never secrets)'
            cand inspect 'Decode the current access token (or a JWT on stdin) locally; no signature check'
            cand introspect 'Ask the server whether a token is active (RFC 7662; confidential clients)'
            cand logout 'Revoke the refresh token and delete the stored secrets'
            cand git-credential 'A git credential helper: answers git''s `get` for its bound hosts with a fresh access token'
            cand kube-credential 'A kubectl exec credential plugin: prints an ExecCredential with a fresh token'
            cand aws-credential 'An AWS credential_process: temporary AWS credentials for a role, from STS AssumeRoleWithWebIdentity with the profile''s ID token'
            cand docker-credential 'A Docker, Podman, Buildah and Skopeo credential helper: a fresh access token for the registries bound to a profile'
            cand cargo-credential 'A cargo credential provider (protocol v1): a fresh access token for its bound registries'
            cand agent 'Serve tokens and DPoP proofs over a socket (local scripts, `ssh -R` forwarding)'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand man 'Print a man page (roff), or install them all with --dir'
            cand profiles 'List the profiles: issuer, client, store, and whether each is logged in'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'octoken;login'= {
            cand --issuer 'Issuer URL; endpoints are discovered from it once, here'
            cand --client-id 'Client ID registered at the provider (saved in the profile)'
            cand --auth-method 'How the client authenticates at the token endpoint'
            cand --scope 'Scopes to ask for [default: "openid offline_access"]'
            cand --store 'Where to keep the refresh token and client secret [default: keyring]'
            cand --ca-file 'Extra trusted CA certificates (PEM) for this profile'
            cand --client-secret-file 'Read the client secret from this file (never pass secrets as arguments)'
            cand --client-key-file 'The client''s private key (PEM) for --auth-method private-key-jwt (PKCS#8 RSA or EC, or PKCS#1 RSA) or tls-client-auth; the path is saved, the key read at each use'
            cand --client-key 'The client''s private key (PEM) for --auth-method private-key-jwt (PKCS#8 RSA or EC, or PKCS#1 RSA) or tls-client-auth; the path is saved, the key read at each use'
            cand --client-cert 'The client''s certificate (PEM) for --auth-method tls-client-auth; its key is --client-key-file (the paths are saved, the files read at each use)'
            cand --client-key-id 'The key id (`kid`) the provider knows the client''s key by'
            cand --client-key-alg 'The algorithm of private_key_jwt assertions, where the client is registered for one the key does not imply (PS256 for an RSA key) [default: RS256 for RSA keys unless the provider lists only others; ES256/ES384 by curve]'
            cand --client-key-aud 'What private_key_jwt assertions name as their audience: the token endpoint (RFC 7523; every server takes it) or the issuer alone (FAPI 2.0) [default: token-endpoint]'
            cand --resource 'An API the tokens are for (RFC 8707 resource indicator; repeatable; saved in the profile)'
            cand --registry 'Answer for this container registry in `docker-credential` (HOST or HOST:PORT; repeatable; saved in the profile, as `docker-credential setup HOST` does)'
            cand --audience 'The non-standard `audience` parameter some servers (Auth0) want instead of --resource; with --grant token-exchange, RFC 8693''s (repeatable; saved in the profile)'
            cand --token-url 'Token endpoint, for servers without discovery'
            cand --auth-url 'Authorization endpoint, for servers without discovery'
            cand --revocation-url 'Revocation endpoint (RFC 7009), for servers without discovery'
            cand --device-url 'Device authorization endpoint (RFC 8628), for servers without discovery'
            cand --jwks-url 'The provider''s JWKS, to verify ID token signatures where discovery names none'
            cand --proxy 'Proxy URL for this profile (else HTTPS_PROXY, HTTP_PROXY and NO_PROXY apply)'
            cand --grant 'Which grant obtains the tokens'
            cand --redirect-uri 'Fixed loopback redirect URI, e.g. http://localhost:3000/auth/oauth2/callback [default: http://127.0.0.1:<free port>/callback]'
            cand --browser 'Browser command to open the sign-in URL with (%s stands for the URL)'
            cand --timeout 'Seconds to wait for the sign-in'
            cand --prompt-consent 'Send prompt=consent when asking for offline_access (saved in the profile)'
            cand --redis-url 'The fleet''s Redis: redis://[USER@]HOST:PORT/DB or rediss:// (TLS, with --ca-file); the password comes from OCTOKEN_REDIS_PASSWORD or --redis-password-file'
            cand --redis-password-file 'A 0600 file holding the Redis user''s password'
            cand --namespace 'The shared entry''s name [default: issuer|client|profile]'
            cand --store-key-file 'Seal every value written to Redis with this key (32 random bytes, 0600)'
            cand --redis-lease 'Seconds a refreshing host holds the fleet''s lease [default: 15]'
            cand --redis-timeout 'Seconds to wait for Redis to connect or answer [default: 5]'
            cand --redis-wait-replicas 'After each commit, WAIT for this many replicas to acknowledge it'
            cand --assertion-file '--grant jwt-bearer: read the assertion from this file (a Kubernetes projected token)'
            cand --assertion-cmd '--grant jwt-bearer: run this command (split like a shell, run without one) and read the assertion from its stdout'
            cand --assertion-env '--grant jwt-bearer: read the assertion from this environment variable (GitLab''s id_tokens)'
            cand --subject-token-file '--grant token-exchange: read the subject token from this file'
            cand --subject-token-cmd '--grant token-exchange: read the subject token from this command''s stdout'
            cand --subject-token-env '--grant token-exchange: read the subject token from this variable'
            cand --subject-token-type 'The subject token''s type: jwt, id_token, access_token or a URI [default: jwt]'
            cand --actor-token-file '--grant token-exchange: read an actor token from this file'
            cand --actor-token-cmd '--grant token-exchange: read an actor token from this command''s stdout'
            cand --actor-token-env '--grant token-exchange: read an actor token from this variable'
            cand --actor-token-type 'The actor token''s type (as --subject-token-type) [default: jwt]'
            cand --requested-token-type '--grant token-exchange: the type of token to ask for (access_token, id_token, jwt or a URI)'
            cand --client-assertion-file '--auth-method client-assertion: read the client assertion from this file'
            cand --client-assertion-cmd '--auth-method client-assertion: read it from this command''s stdout'
            cand --client-assertion-env '--auth-method client-assertion: read it from this variable'
            cand --dpop-alg 'The DPoP key''s algorithm (implies --dpop) [default: ES256]'
            cand --dpop-key-file 'Sign DPoP proofs with this PKCS#8 private key (RSA for RS256, P-256 for ES256) instead of a new one; it is copied into the profile''s store (implies --dpop)'
            cand --acr-values 'Ask for these authentication context classes (`acr_values`, e.g. "gold" or "2"); the ID token''s `acr` must then be one of them'
            cand --max-age 'The person must have authenticated within SECS (`max_age`; 0: sign in again now)'
            cand --acr-optional 'Accept a weaker `acr` or an older `auth_time` than asked for, with a warning'
            cand --login-hint 'Which account to sign in with (`login_hint`: an email address or user name)'
            cand --prompt '`prompt`: login, consent, select_account or none (several, space-separated); replaces the prompt=consent of --prompt-consent'
            cand --ui-locales 'Languages for the sign-in pages (`ui_locales`, e.g. "de en")'
            cand --claims 'The `claims` request parameter, a JSON object (OIDC Core 5.5), e.g. ''{"id_token":{"acr":{"essential":true,"values":["gold"]}}}'''
            cand --auth-param 'Any other authorization parameter (repeatable), e.g. kc_idp_hint=github'
            cand --par 'Push the request to the provider first (PAR, RFC 9126): the browser gets only a reference [default: when the provider requires it]'
            cand --request-object 'Send the request as a JWT signed with the client''s key (JAR, RFC 9101; needs --auth-method private-key-jwt)'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --refresh-token-stdin 'Import a refresh token read from stdin instead of logging in through a browser'
            cand --allow-insecure-http 'Allow plain http:// endpoints on hosts other than loopback'
            cand --device 'Device authorization (RFC 8628) for machines without a browser'
            cand --no-browser 'Only print the sign-in URL; you may paste the final redirect URL back here'
            cand --attach 'Join a fleet: use the shared entry another host logged in, without a browser'
            cand --dpop 'Bind the tokens to a key of this profile with DPoP (RFC 9449); the key is kept in the profile''s store'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'octoken;token'= {
            cand --min-ttl 'Refresh when the cached token has fewer seconds than this left'
            cand --scope 'Ask for fewer scopes than the login granted (cached separately)'
            cand --resource 'A token for one of the login''s --resource URIs only (RFC 8707; cached separately)'
            cand --audience 'A token for this audience, exchanged for the profile''s own (RFC 8693; cached separately)'
            cand --type 'Which token to print'
            cand --format 'How to print the token: raw, json, header (for curl -H @-) or env (for eval)'
            cand --env 'Variable name for --format env'
            cand --dpop-proof 'Also sign a DPoP proof for this request to the API (a DPoP profile''s key); with --format header: `Authorization: DPoP <token>` and `DPoP: <proof>`'
            cand --dpop-nonce 'The nonce the API asked for (its `DPoP-Nonce` header); remembered for its server'
            cand --min-acr 'Exit 4 unless the profile''s sign-in reached this authentication level (its ID token''s `acr`; one of several given, or a higher number)'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --strict 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'octoken;exec'= {
            cand --env 'Environment variable that carries the token'
            cand --type 'Which token the command gets (id: the login''s ID token, or with --audience one by token exchange)'
            cand --min-ttl 'Refresh when the cached token has fewer seconds than this left'
            cand --scope 'Ask for fewer scopes than the login granted (cached separately)'
            cand --resource 'A token for one of the login''s --resource URIs only (RFC 8707; cached separately)'
            cand --audience 'A token for this audience, exchanged for the profile''s own (RFC 8693; cached separately)'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --strict 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'octoken;refresh'= {
            cand --if-older-than 'Only refresh when the last successful refresh is older than this (e.g. 12h, 7d)'
            cand --jitter 'Sleep a random time up to this first, so many hosts on the same schedule do not ask the provider in the same second (e.g. 10m)'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;status'= {
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --json 'Print the status as JSON on stdout'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;inspect'= {
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;introspect'= {
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --refresh-token 'Ask about the stored refresh token instead of the access token'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;logout'= {
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --local 'Only delete the local secrets; do not revoke at the server'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;git-credential'= {
            cand --host 'A host this helper answers for, as git names it (HOST, or HOST:PORT when the remote''s URL has a port); repeatable. Without one it answers nothing'
            cand --username 'The user name sent with the token (GitLab: oauth2, Bitbucket: x-token-auth)'
            cand --min-ttl 'Refresh when the cached token has fewer seconds than this left'
            cand --scope 'Ask for fewer scopes than the login granted (cached separately)'
            cand --resource 'A token for one of the login''s --resource URIs only (RFC 8707; cached separately)'
            cand --audience 'A token for this audience, exchanged for the profile''s own (RFC 8693; cached separately)'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --global 'With setup: write the user''s git config (~/.gitconfig), not the repository''s'
            cand --login 'When a login is needed, run the profile''s login on this terminal instead of failing'
            cand --strict 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;kube-credential'= {
            cand --type 'Which token the cluster accepts'
            cand --print-kubeconfig-user 'Print a kubeconfig `users:` entry named NAME for this profile (with the token flags given beside it), and exit'
            cand --min-ttl 'Refresh when the cached token has fewer seconds than this left'
            cand --scope 'Ask for fewer scopes than the login granted (cached separately)'
            cand --resource 'A token for one of the login''s --resource URIs only (RFC 8707; cached separately)'
            cand --audience 'A token for this audience, exchanged for the profile''s own (RFC 8693; cached separately)'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --login 'When a login is needed and kubectl says a person is there, run the profile''s login'
            cand --strict 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'octoken;aws-credential'= {
            cand --role-arn 'The IAM role to assume (arn:aws:iam::ACCOUNT:role/NAME); its trust policy names the provider and the client id as the audience'
            cand --session-name 'The role session name AWS records (2 to 64 of A-Z a-z 0-9 +=,.@_-) [default: octoken-PROFILE]'
            cand --duration 'Seconds the credentials last, 900 up to the role''s maximum session duration [default: the role''s, one hour]'
            cand --type 'Which token STS gets as the web identity'
            cand --sts-endpoint 'The STS endpoint (https; http only to a loopback address) [default: https://sts.amazonaws.com]'
            cand --sts-region 'Use this region''s STS endpoint (https://sts.REGION.amazonaws.com)'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --login 'When a login is needed, run the profile''s login on this terminal instead of failing'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'octoken;docker-credential'= {
            cand --username 'With setup: the user name sent with the token, as the registry wants it [default: oauth2accesstoken]'
            cand --dir 'With install: where to make the link, a directory on PATH [default: octoken''s own]'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;cargo-credential'= {
            cand --host 'A registry host this provider answers for, as its index URL names it (HOST, or HOST:PORT when the URL has a port); repeatable. Without one it answers nothing'
            cand --min-ttl 'Refresh when the cached token has fewer seconds than this left'
            cand --scope 'Ask for fewer scopes than the login granted (cached separately)'
            cand --resource 'A token for one of the login''s --resource URIs only (RFC 8707; cached separately)'
            cand --audience 'A token for this audience, exchanged for the profile''s own (RFC 8693; cached separately)'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --cargo-plugin 'Run by cargo: the words of the credential-provider line come with each request'
            cand --strict 'Exit 5 instead of printing a cached token with less than --min-ttl left when renewing it fails for a temporary reason (an expired token is never printed)'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;agent'= {
            cand --socket 'The socket (default: $XDG_RUNTIME_DIR/octoken/agent.sock)'
            cand --idle-timeout 'Stop after this long without a connection (e.g. 8h)'
            cand --profiles 'Serve these profiles only (comma-separated); others are refused'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --foreground 'Stay in the foreground (systemd user units, tests) instead of starting in the background'
            cand --no-proofs 'Serve tokens only: refuse to sign DPoP proofs'
            cand --sh 'Print Bourne shell lines (the default unless $SHELL is csh or fish)'
            cand --csh 'Print csh lines'
            cand --fish 'Print fish lines'
            cand --stop 'Stop the agent on --socket (or $OCTOKEN_AGENT_SOCK)'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;completions'= {
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;man'= {
            cand --dir 'Write every page (octoken.1 and one for each command) into this directory instead, e.g. ~/.local/share/man/man1, which `man` searches when ~/.local/bin is on PATH'
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;profiles'= {
            cand -p 'Profile to use'
            cand --profile 'Profile to use'
            cand --json 'Print the list as JSON on stdout'
            cand --check 'Look into each profile''s secret store (may touch the keyring); by default only local files are read'
            cand --names 'Only the names, one a line (what shell completion uses)'
            cand -v 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand --verbose 'Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)'
            cand -q 'Print no summaries on stderr (errors and warnings still show)'
            cand --quiet 'Print no summaries on stderr (errors and warnings still show)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'octoken;help'= {
            cand login 'Create or update a profile and obtain its tokens'
            cand token 'Print a fresh access token (cached while valid, refreshed when not)'
            cand exec 'Run a command with a fresh access token in its environment'
            cand refresh 'Refresh now and store the new tokens (a keepalive for cron)'
            cand status 'Show a profile''s settings and token state (never secrets)'
            cand inspect 'Decode the current access token (or a JWT on stdin) locally; no signature check'
            cand introspect 'Ask the server whether a token is active (RFC 7662; confidential clients)'
            cand logout 'Revoke the refresh token and delete the stored secrets'
            cand git-credential 'A git credential helper: answers git''s `get` for its bound hosts with a fresh access token'
            cand kube-credential 'A kubectl exec credential plugin: prints an ExecCredential with a fresh token'
            cand aws-credential 'An AWS credential_process: temporary AWS credentials for a role, from STS AssumeRoleWithWebIdentity with the profile''s ID token'
            cand docker-credential 'A Docker, Podman, Buildah and Skopeo credential helper: a fresh access token for the registries bound to a profile'
            cand cargo-credential 'A cargo credential provider (protocol v1): a fresh access token for its bound registries'
            cand agent 'Serve tokens and DPoP proofs over a socket (local scripts, `ssh -R` forwarding)'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand man 'Print a man page (roff), or install them all with --dir'
            cand profiles 'List the profiles: issuer, client, store, and whether each is logged in'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'octoken;help;login'= {
        }
        &'octoken;help;token'= {
        }
        &'octoken;help;exec'= {
        }
        &'octoken;help;refresh'= {
        }
        &'octoken;help;status'= {
        }
        &'octoken;help;inspect'= {
        }
        &'octoken;help;introspect'= {
        }
        &'octoken;help;logout'= {
        }
        &'octoken;help;git-credential'= {
        }
        &'octoken;help;kube-credential'= {
        }
        &'octoken;help;aws-credential'= {
        }
        &'octoken;help;docker-credential'= {
        }
        &'octoken;help;cargo-credential'= {
        }
        &'octoken;help;agent'= {
        }
        &'octoken;help;completions'= {
        }
        &'octoken;help;man'= {
        }
        &'octoken;help;profiles'= {
        }
        &'octoken;help;help'= {
        }
    ]
    $completions[$command]
}
