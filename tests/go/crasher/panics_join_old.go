//go:build !go1.20

package main

// multiError stands in for errors.Join before Go 1.20: the same Error().
type multiError []error

func (m multiError) Error() string {
	s := m[0].Error()
	for _, e := range m[1:] {
		s += "\n" + e.Error()
	}
	return s
}

type textError string

func (e textError) Error() string { return string(e) }

//go:noinline
func joinedErrors() error {
	return multiError{textError("open /etc/app.conf: permission denied"),
		textError("open /var/cache/app: no space left on device")}
}
