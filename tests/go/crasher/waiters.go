package main

import (
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// waiters keeps what the parked goroutines wait on alive.
type waiters struct {
	never    chan int
	full     chan int
	mu       sync.Mutex
	rw       sync.RWMutex
	wg       sync.WaitGroup
	cond     *sync.Cond
	pipeR    *os.File
	pipeW    *os.File
	rawPipe  [2]int
	listener net.Listener
}

// worker has methods on both receiver kinds.
type worker struct {
	ch chan int
}

func (w *worker) run() {
	<-w.ch
}

func (w worker) wait() {
	w.ch <- 1
}

// Drain is generic: the runtime prints it as main.Drain[...].
func Drain[T any](ch chan T) T {
	var last T
	for v := range ch {
		last = v
	}
	return last
}

// recvOne is small enough to be inlined into its caller.
func recvOne(ch chan int) int {
	return <-ch
}

//go:noinline
func inlineCaller(ch chan int) int {
	return recvOne(ch) + 1
}

//go:noinline
func selectWait(a, b chan int) {
	select {
	case <-a:
	case b <- 1:
	}
}

//go:noinline
func readPipe(f *os.File) {
	var buf [16]byte
	_, _ = f.Read(buf[:])
}

//go:noinline
func rawRead(fd int) {
	var buf [16]byte
	_, _ = syscall.Read(fd, buf[:])
}

//go:noinline
func acceptOne(l net.Listener) {
	c, err := l.Accept()
	if err == nil {
		c.Close()
	}
}

// startWaiters parks one goroutine (or a few) in each wait state.
func startWaiters() *waiters {
	w := &waiters{never: make(chan int), full: make(chan int)}
	w.cond = sync.NewCond(&w.mu)

	go Drain(w.never)                    // chan receive, generic
	go Drain(make(chan string))          // another instantiation
	go func() { w.full <- 1 }()          // chan send
	go selectWait(w.never, w.full)       // select
	go func() { select {} }()            // select (no cases)
	go inlineCaller(w.never)             // inlined frame
	go (&worker{ch: w.never}).run()      // pointer receiver
	go worker{ch: make(chan int)}.wait() // value receiver
	go time.Sleep(time.Hour)             // sleep
	go func() {                          // locked to thread
		runtime.LockOSThread()
		<-w.never
	}()

	w.wg.Add(1)
	go func() { w.wg.Wait() }() // sync.WaitGroup.Wait

	condReady := make(chan struct{})
	go func() { // sync.Cond.Wait
		w.mu.Lock()
		close(condReady)
		w.cond.Wait()
		w.mu.Unlock()
	}()
	<-condReady
	w.mu.Lock()                 // the Cond waiter released it in Wait
	go func() { w.mu.Lock() }() // sync.Mutex.Lock

	w.rw.Lock()
	go func() { w.rw.RLock() }() // sync.RWMutex.RLock

	if r, pw, err := os.Pipe(); err == nil { // IO wait, and semacquire on the fd lock
		w.pipeR, w.pipeW = r, pw
		go readPipe(r)
		go readPipe(r)
	}
	if err := syscall.Pipe(w.rawPipe[:]); err == nil { // syscall
		go rawRead(w.rawPipe[0])
	}
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil { // IO wait
		w.listener = l
		go acceptOne(l)
	}
	return w
}
