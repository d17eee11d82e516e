// Command sigstorm keeps Ms in every state the scheduler knows and waits
// for a SIGABRT sent to the process from outside (kill -ABRT PID, not to a
// thread), so that the kernel hands it to whichever thread does not block
// it: an m running a goroutine, one idle in the scheduler (futex), one
// spinning in findrunnable, one just starting (mstart/minit) or exiting
// (a goroutine that locked its thread and returned), one in a system
// call, and with cgo (cgo.go) one in C code or a thread the Go runtime
// did not create. tests/integration/go-sigabrt.sh runs it under
// GOTRACEBACK=crash and compares the runtime's traceback with the core's
// analysis.
//
//	sigstorm          prints "ready" once every kind of worker runs, then
//	                  runs until a signal kills it
//	sigstorm WORKERS  only those worker kinds (comma-separated names)
//
// It builds with every Go release from 1.18 on (no newer APIs).
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// workers: name -> start function; cgo.go adds its own.
var workers = map[string]func(){
	"lockexit": lockExit,
	"syscall":  blockingSyscalls,
	"spin":     pingPong,
	"compute":  compute,
}

var started int32

// lockExit starts goroutines that lock their thread and return, so the
// runtime destroys that m and starts another for the next one: Ms are
// always being created (mstart, minit) and torn down (mexit).
func lockExit() {
	for {
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			atomic.AddInt32(&started, 1)
			close(done)
			// returning while locked makes the thread exit
		}()
		<-done
	}
}

// blockingSyscalls sleeps in the kernel with a P handed off: sysmon
// retakes the P and starts (or wakes) an m for it.
func blockingSyscalls() {
	for i := 0; i < 3; i++ {
		go func(i int) {
			ts := syscall.Timespec{Nsec: int64(50+i*30) * 1000}
			for {
				syscall.Nanosleep(&ts, nil)
			}
		}(i)
	}
}

// pingPong wakes goroutines on other Ps many times a millisecond: the
// waker's wakep makes Ms spin in findrunnable, most find nothing and go
// idle again.
func pingPong() {
	for i := 0; i < 2; i++ {
		a, b := make(chan int), make(chan int)
		go func() {
			for v := range a {
				b <- v + 1
			}
		}()
		go func() {
			v := 0
			for {
				a <- v
				v = <-b
				if v%64 == 0 {
					time.Sleep(20 * time.Microsecond)
				}
			}
		}()
	}
}

// compute keeps one goroutine running user code.
func compute() {
	go func() {
		x := uint64(1)
		for {
			x = x*6364136223846793005 + 1442695040888963407
			if x == 0 {
				fmt.Println(x)
			}
		}
	}()
}

func main() {
	// More Ps than work: the rest of the Ms are idle.
	runtime.GOMAXPROCS(8)
	names := make([]string, 0, len(workers))
	for n := range workers {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(os.Args) == 2 {
		if os.Args[1] == "list" {
			fmt.Println(strings.Join(names, "\n"))
			return
		}
		names = strings.Split(os.Args[1], ",")
	}
	for _, n := range names {
		w, ok := workers[n]
		if !ok {
			fmt.Fprintf(os.Stderr, "sigstorm: unknown worker %q\n", n)
			os.Exit(2)
		}
		go w()
	}
	time.Sleep(20 * time.Millisecond)
	fmt.Println("ready")
	select {}
}
