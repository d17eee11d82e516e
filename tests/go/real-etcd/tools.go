//go:build tools

// Keeps etcd's main package in the module graph for go mod tidy.
package tools

import _ "go.etcd.io/etcd/server/v3"
