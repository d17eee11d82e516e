// caddy as xcaddy builds it, with only the HTTP app's modules (the
// standard module set would double the build time in CI): the server the
// real-programs test loads with thousands of keep-alive connections.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func main() {
	caddycmd.Main()
}
