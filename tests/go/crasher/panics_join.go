//go:build go1.20

package main

import "errors"

// joinedErrors is an errors.Join value (Go 1.20+): its Error() joins the
// lines with "\n", and from Go 1.23 the runtime prints a tab after each.
//
//go:noinline
func joinedErrors() error {
	return errors.Join(errors.New("open /etc/app.conf: permission denied"),
		errors.New("open /var/cache/app: no space left on device"))
}
