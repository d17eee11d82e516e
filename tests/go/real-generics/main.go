// Command real-generics is a small command line tool built on third-party
// generic libraries (github.com/samber/lo and lo/parallel,
// github.com/tidwall/btree, github.com/hashicorp/golang-lru/v2,
// github.com/deckarep/golang-set/v2, pinned by go.mod and go.sum): it
// indexes records in a generic B-tree, keeps the recent ones in a generic
// LRU cache and fans them out through generic channel stages.
//
// The real-programs test (tests/integration/gen-real-cores.sh) runs it with
// -missing 0 under GOTRACEBACK=crash: record 0 has no value, and when the
// cache evicts it the eviction callback dereferences nil five generic calls
// deep (lru.(*Cache[...]).Add, mapset.(*threadSafeSet[...]).Each,
// lo.SumBy[...], closures of generic methods), while other goroutines are
// parked inside lo.FanIn, lo.FanOut, lo.Async and lo/parallel.ForEach. The
// runtime's traceback then prints instantiated generic functions the way
// each release does (go.shape.* type arguments before Go 1.21, "[...]"
// from 1.21 on), which the analyzer must reproduce exactly.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	mapset "github.com/deckarep/golang-set/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/samber/lo"
	"github.com/samber/lo/parallel"
	"github.com/tidwall/btree"
)

type key struct {
	shard int
	name  string
}

func less(a, b key) bool {
	if a.shard != b.shard {
		return a.shard < b.shard
	}
	return a.name < b.name
}

type record[V any] struct {
	key key
	val *V
}

type entry[V any] lo.Tuple2[key, *record[V]]

// index orders records by key in a B-tree and keeps the last ones loaded
// in an LRU cache; what the cache evicts is summed per shard.
type index[V any] struct {
	tree   *btree.BTreeG[entry[V]]
	cache  *lru.Cache[key, *record[V]]
	shards mapset.Set[int]
	weight func(V) int64
	totals map[int]int64
}

func newIndex[V any](size int, weight func(V) int64) (*index[V], error) {
	ix := &index[V]{shards: mapset.NewSet[int](), weight: weight, totals: map[int]int64{}}
	ix.tree = btree.NewBTreeG(func(a, b entry[V]) bool { return less(a.A, b.A) })
	var err error
	ix.cache, err = lru.NewWithEvict(size, ix.evicted)
	return ix, err
}

func (ix *index[V]) add(recs []*record[V]) {
	lo.ForEach(recs, func(r *record[V], _ int) {
		ix.tree.Set(entry[V]{A: r.key, B: r})
		ix.shards.Add(r.key.shard)
	})
}

// load walks the tree in key order into the cache.
func (ix *index[V]) load() {
	ix.tree.Scan(func(e entry[V]) bool {
		ix.cache.Add(e.A, e.B)
		return true
	})
}

func (ix *index[V]) evicted(k key, r *record[V]) {
	ix.shards.Each(func(shard int) bool {
		if shard != k.shard {
			return false
		}
		ix.totals[shard] += lo.SumBy([]*record[V]{r}, func(r *record[V]) int64 {
			return ix.weight(*r.val)
		})
		return true
	})
}

// stages parks goroutines in generic channel code: nothing is ever sent.
func stages(block <-chan struct{}) <-chan int {
	src := make(chan *record[int])
	outs := lo.FanOut(2, 0, src)
	merged := lo.FanIn(0, outs...)
	go parallel.ForEach([]int{1, 2}, func(int, int) { <-block })
	return lo.Async(func() int { return len(lo.ChannelToSlice(merged)) })
}

func main() {
	n := flag.Int("records", 64, "records to index")
	size := flag.Int("cache", 8, "LRU cache size")
	missing := flag.Int("missing", -1, "index of a record without a value")
	flag.Parse()

	block := make(chan struct{})
	done := stages(block)
	recs := lo.Times(*n, func(i int) *record[int] {
		v := i * i
		r := &record[int]{key: key{shard: i % 1, name: fmt.Sprintf("k%04d", i)}, val: &v}
		if i == *missing {
			r.val = nil
		}
		return r
	})
	// let the stages park
	time.Sleep(100 * time.Millisecond)

	ix, err := newIndex(*size, func(v int) int64 { return int64(v) })
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ix.add(recs)
	ix.load()
	fmt.Println(ix.tree.Len(), ix.cache.Len(), ix.totals)
	close(block)
	_ = done
}
