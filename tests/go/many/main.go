// Command many parks N goroutines (default 100000) in various wait states,
// at various stack depths, and then panics: a large core for the analyzer
// benchmark (bench/analyze-bench.sh). Builds with Go 1.18 and later.
//
//	many [N]
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// parking holds what the goroutines wait on.
type parking struct {
	never chan int
	full  chan int
	mu    sync.Mutex
	wg    sync.WaitGroup
	cond  *sync.Cond
	ready sync.WaitGroup
}

// descend recurses depth times before blocking, so stacks differ in length.
//
//go:noinline
func descend(p *parking, depth, kind int) {
	if depth > 0 {
		descend(p, depth-1, kind)
		return
	}
	p.ready.Done()
	switch kind {
	case 0:
		<-p.never
	case 1:
		p.full <- 1
	case 2:
		select {
		case <-p.never:
		case p.full <- 2:
		}
	case 3:
		p.mu.Lock()
	case 4:
		p.wg.Wait()
	case 5:
		time.Sleep(time.Hour)
	default:
		p.cond.L.Lock()
		p.cond.Wait()
	}
}

func main() {
	n := 100000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 1 {
			fmt.Fprintln(os.Stderr, "usage: many [N]")
			os.Exit(2)
		}
		n = v
	}
	p := &parking{never: make(chan int), full: make(chan int)}
	p.cond = sync.NewCond(&sync.Mutex{})
	p.mu.Lock()
	p.wg.Add(1)
	p.ready.Add(n)
	for i := 0; i < n; i++ {
		go descend(p, i%16, i%7)
	}
	p.ready.Wait()
	for i := 0; i < 100; i++ {
		runtime.Gosched()
	}
	time.Sleep(200 * time.Millisecond)
	panic(fmt.Sprintf("%d goroutines parked", n))
}
