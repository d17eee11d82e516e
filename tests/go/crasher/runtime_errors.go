package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

type node struct {
	next  *node
	value int
}

type shape interface{ area() float64 }

type square struct{ side float64 }

func (s square) area() float64 { return s.side * s.side }

// at is inlinable: the index error happens in an inlined frame.
func at(s []int, i int) int {
	return s[i]
}

//go:noinline
func indexOut(s []int, i int) int {
	return at(s, i) * 2
}

//go:noinline
func nilMapWrite(m map[string]int) {
	m["key"] = 1
}

//go:noinline
func assertSquare(v interface{}) square {
	return v.(square)
}

//go:noinline
func (n *node) deref() int {
	return n.next.value
}

//go:noinline
func divide(a, b int) int {
	return a / b
}

//go:noinline
func recurse(n int) int {
	var pad [16]byte
	pad[n%16] = byte(n)
	return recurse(n+1) + int(pad[0])
}

//go:noinline
func closeTwice(ch chan int) {
	close(ch)
	close(ch)
}

//go:noinline
func concurrentWrites() {
	m := map[int]int{}
	for i := 0; i < 4; i++ {
		go func(base int) {
			for j := 0; ; j++ {
				m[base+j%64] = j
			}
		}(i * 64)
	}
	time.Sleep(10 * time.Second)
}

//go:noinline
func unlockUnlocked() {
	var mu sync.Mutex
	mu.Unlock()
}

//go:noinline
func deadlock() {
	a, b := make(chan int), make(chan int)
	go func() { <-a }()
	go Drain(b)
	var mu sync.Mutex
	mu.Lock()
	go func() { mu.Lock() }()
	<-a
}

//go:noinline
func abortSelf() {
	// Thread-directed, so the runtime's handler runs on this goroutine's
	// thread: a process-directed kill(2) is taken by whichever thread the
	// kernel picks, and the case where an m that is just starting takes it
	// is a known gap of the analyzer (goroutine 0 [idle] printed first).
	runtime.LockOSThread()
	_ = syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGABRT)
	time.Sleep(10 * time.Second)
}

func init() {
	var zero int
	modes.add("index", true, func(*waiters) { indexOut([]int{1, 2, 3}, 5+zero) })
	modes.add("nil-map", true, func(*waiters) { nilMapWrite(nil) })
	modes.add("type-assert", true, func(*waiters) { assertSquare(shape(nil)) })
	modes.add("type-assert-iface", true, func(*waiters) { assertSquare(temperature(1)) })
	modes.add("nil-deref", true, func(*waiters) { (&node{}).deref() })
	modes.add("divide", true, func(*waiters) { divide(1, zero) })
	modes.add("close-closed", true, func(*waiters) { closeTwice(make(chan int)) })
	modes.add("stack-overflow", true, func(*waiters) {
		debug.SetMaxStack(1 << 20)
		recurse(0)
	})
	modes.add("concurrent-map", true, func(*waiters) { concurrentWrites() })
	modes.add("unlock-unlocked", true, func(*waiters) { unlockUnlocked() })
	modes.add("deadlock", false, func(*waiters) { deadlock() })
	modes.add("sigabrt", true, func(*waiters) { abortSelf() })
	modes.add("goroutine-segv", true, func(w *waiters) {
		crashElsewhere(w, func() { (&node{}).deref() })
	})
	modes.add("many", true, func(w *waiters) {
		startMany(w, 2000)
		settle()
		panicWith(statusCode(2000))
	})
}

// startMany parks n more goroutines across several wait states.
func startMany(w *waiters, n int) {
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			go Drain(w.never)
		case 1:
			go selectWait(w.never, w.full)
		case 2:
			go inlineCaller(w.never)
		default:
			go func() { w.wg.Wait() }()
		}
	}
}
