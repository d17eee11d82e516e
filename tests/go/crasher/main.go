// Command crasher crashes in the way its first argument names, after
// parking goroutines in many wait states, so that the Go runtime's
// GOTRACEBACK=crash output and the core dump describe the same moment.
// It builds with every Go release from 1.18 on (no newer APIs).
//
//	crasher list      prints the modes, one a line
//	crasher MODE      crashes
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"time"
)

// mode is one way to crash.
type mode struct {
	crash   func(w *waiters)
	waiters bool // park goroutines in many wait states first
}

// registry holds every mode; files add theirs from init.
type registry map[string]mode

var modes = registry{}

func (r registry) add(name string, waiters bool, crash func(w *waiters)) {
	r[name] = mode{crash: crash, waiters: waiters}
}

func (r registry) names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crasher list | crasher MODE")
		os.Exit(2)
	}
	if os.Args[1] == "list" {
		for _, n := range modes.names() {
			fmt.Println(n)
		}
		return
	}
	m, ok := modes[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "crasher: unknown mode %q\n", os.Args[1])
		os.Exit(2)
	}
	var w *waiters
	if m.waiters {
		w = startWaiters()
		// A closure started by main itself: main.main.func1.
		go func() {
			<-w.never
		}()
		settle()
	}
	m.crash(w)
	// Modes that crash on another goroutine block main here.
	runtime.Goexit()
}

// settle gives the waiters time to park.
func settle() {
	for i := 0; i < 10; i++ {
		runtime.Gosched()
	}
	time.Sleep(50 * time.Millisecond)
}
