package main

import (
	"context"
	"runtime/pprof"
)

// Goroutines carrying pprof labels (runtime/pprof.Do), one of them
// crashing. From Go 1.26 goroutineheader prints a goroutine's labels when
// GODEBUG tracebacklabels=1 (the default of modules whose go line is 1.27+):
// gen-cores.sh runs "labels" with it, "labels-hidden" without.
func init() {
	for _, name := range []string{"labels", "labels-hidden"} {
		modes.add(name, true, func(w *waiters) { labelled(w) })
	}
}

//go:noinline
func labelled(w *waiters) {
	labels := pprof.Labels("request", "r-42", "path", "/api/v1/items", "odd key", "caf\u00e9 \x01\xff\"")
	pprof.Do(context.Background(), labels, func(ctx context.Context) {
		go func() { <-w.never }() // inherits the labels
		pprof.Do(ctx, pprof.Labels("stage", "inner"), func(context.Context) {
			go func() { <-w.never }()
		})
		go func() { // crashes with the labels it inherited
			settle()
			var p *int
			*p = 1
		}()
	})
}
