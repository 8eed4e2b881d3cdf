// Package console is Hearth's web console, served at /console/ on the API
// listener: a live timeline that draws each execution environment as a
// lane (Init with its reason, invocations coloured by outcome, frozen
// time, the environment's end), and a functions view with invocations,
// errors, throttles, p50/p99 duration, cold-start rate, Init Duration,
// concurrency against reserved and provisioned concurrency, and recent log
// lines. Everything it shows comes from the activity bus, the same events
// the metrics count.
//
// # Sign-in
//
// The console never sees the secret key except when a person types it
// into the sign-in page. `hearth console` asks, with a SigV4-signed
// request, for a one-time login URL (a random token valid for
// LoginTokenTTL); opening it, or signing in with the access key and
// secret, sets a session cookie: random, HttpOnly, SameSite=Strict, Secure
// over HTTPS, valid for SessionTTL. The console's API accepts only that
// cookie, and refuses requests whose Origin or Sec-Fetch-Site says they
// come from another site.
//
// # Assets
//
// The page, its script and its style are embedded in the binary; nothing
// is fetched from elsewhere and nothing needs building.
package console
