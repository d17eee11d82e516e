// crashy: a small Go service that crashes, for `scripts/demo.sh`.
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

type order struct {
	id    int
	items []string
}

type store struct {
	mu     sync.Mutex
	orders map[int]*order
}

func (s *store) lookup(id int) *order {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orders[id]
}

func firstItem(o *order) string {
	return o.items[0] // o is nil for an unknown order: SIGSEGV
}

func worker(id int, jobs <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		time.Sleep(time.Duration(j) * time.Millisecond)
	}
	_ = id
}

func main() {
	s := &store{orders: map[int]*order{1: {id: 1, items: []string{"book"}}}}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go worker(i, jobs, &wg)
	}
	go func() {
		time.Sleep(time.Hour)
	}()
	time.Sleep(50 * time.Millisecond)
	id := 42
	if len(os.Args) > 1 {
		fmt.Sscan(os.Args[1], &id)
	}
	fmt.Println("first item:", firstItem(s.lookup(id)))
}
