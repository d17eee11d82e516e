// Pins the generic libraries the real-programs test builds
// tests/go/real-generics with, from Go 1.18 on (every module here says
// go 1.18: newer releases of tidwall/btree and golang.org/x/text need more).
module crashwatch.test/real-generics

go 1.18

require (
	github.com/deckarep/golang-set/v2 v2.6.0
	github.com/hashicorp/golang-lru/v2 v2.0.7
	github.com/samber/lo v1.47.0
	github.com/tidwall/btree v1.5.0
)

require golang.org/x/text v0.16.0 // indirect
