package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// The defaults of answer buffering.
const (
	// DefaultBufferMemory bounds the memory of the answers being read, in
	// all; past it their rows go to temporary files.
	DefaultBufferMemory = 256 << 20
	// DefaultBufferDisk bounds the temporary files of the answers being
	// read, in all; past it an answer fails with ErrOverloaded.
	DefaultBufferDisk = 4 << 30
	// DefaultAnswersPerUser bounds the answers one user has open (started
	// and not yet closed) at once; past it a new one is refused with
	// ErrOverloaded.
	DefaultAnswersPerUser = 16
)

// ErrTooManyAnswers refuses a query of a user who has as many answers
// open as Options.MaxAnswersPerUser allows. It matches ErrOverloaded.
var ErrTooManyAnswers = fmt.Errorf("%w: too many of your answers are still being read", ErrOverloaded)

// errBufferFull fails an answer whose rows find no room, in memory or on
// disk, among the answers being read. It matches ErrOverloaded.
var errBufferFull = fmt.Errorf("%w: the server holds too many answers being read", ErrOverloaded)

// chunkRows is how many rows a chunk of a buffer holds.
const chunkRows = 256

// A reader waiting for rows is sent them when publishRows more came, or
// publishEvery passed since the last it was sent.
const (
	publishRows  = 32
	publishEvery = 2 * time.Millisecond
)

// buffer is a query's rows, read from the database by a goroutine of its
// own (fill) that holds the query's slot only while the database works:
// its reader (Rows) reads them from the buffer as they come, at its own
// pace, under the query's deadline, without holding the slot. Rows go in
// chunks, in memory while the engine's buffers hold less than their
// budget, else in a temporary file. A buffer kept whole (keep) is a
// candidate for the result cache, and, once complete, immutable: any
// number of readers may read it. Otherwise each chunk is dropped once
// read.
type buffer struct {
	width int
	fmt   formatter
	pool  *bufferPool

	mu     sync.Mutex
	wake   chan struct{} // closed, and replaced, when rows come or the fill ends
	chunks []*chunk      // chunks[i] holds rows [i*chunkRows, …); nil once dropped
	n      int           // rows published
	done   bool          // the fill ended
	err    error         // why it ended before the last row
	keep   bool          // every chunk is kept: for the cache
	// keepLimit is the most memory a buffer kept whole may take (the
	// largest answer the cache keeps); past it, it is not kept.
	keepLimit int64
	// reading is the chunk its one reader is in, while the buffer fills:
	// the fill moves to disk only chunks after it.
	reading int
	// waiting counts readers waiting for rows: the fill then publishes each
	// row at once rather than a chunk at a time.
	waiting atomic.Int32
	mem     int64    // bytes of chunks in memory, counted against the pool
	file    *os.File // the temporary file of spilled chunks, nil for none
	fileEnd int64
	closed  bool // its reader closed it (a filling buffer's only reader)
	// onFinish, if set, is called once the fill ends, with why it ended
	// early (nil at the last row): the result cache's fill.
	onFinish func(err error)
}

// chunk is up to chunkRows rows of a buffer: their values as scanned, or
// their JSON as written from an Arrow answer's columns (fillColumnar), or,
// once spilled, their JSON in the buffer's file, read back when needed.
type chunk struct {
	vals []any // chunkRows*width values, row after row; nil once spilled, or for JSON rows
	rows int   // the rows it holds, once complete (JSON rows: as written)
	size int64 // the memory its values take
	// json is the JSON of each row, written once for a complete buffer
	// (the cache's hits copy it), or read back from the file.
	once    sync.Once
	json    []byte
	ends    []int32
	numbers []byte // the type of each column's numbers (numberKinds), for JSON rows
	// pubJSON and pubEnds are json and ends as far as rows were published,
	// set under the buffer's mu: a chunk of JSON rows is read while its
	// writer appends to it.
	pubJSON []byte
	pubEnds []int32
	spilled struct {
		off  int64
		size int
	}
}

// bufferPool is the budget all of an engine's buffers share.
type bufferPool struct {
	memLimit, diskLimit int64
	mem, disk           atomic.Int64
	dir                 string // for temporary files; "" means os.TempDir
	perUser             int
	mu                  sync.Mutex
	open                map[string]int // answers open per user
}

func newBufferPool(mem, disk int64, perUser int, dir string) *bufferPool {
	if mem <= 0 {
		mem = DefaultBufferMemory
	}
	if disk <= 0 {
		disk = DefaultBufferDisk
	}
	if perUser <= 0 {
		perUser = DefaultAnswersPerUser
	}
	return &bufferPool{memLimit: mem, diskLimit: disk, perUser: perUser, dir: dir, open: map[string]int{}}
}

// admit counts an answer of user as open, or refuses it; the function it
// returns closes it, once.
func (p *bufferPool) admit(user string) (func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open[user] >= p.perUser {
		return nil, ErrTooManyAnswers
	}
	p.open[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			if p.open[user]--; p.open[user] == 0 {
				delete(p.open, user)
			}
			p.mu.Unlock()
		})
	}, nil
}

func newBuffer(cols []Column, f formatter, pool *bufferPool, keep bool) *buffer {
	return &buffer{width: len(cols), fmt: f, pool: pool, keep: keep, wake: make(chan struct{})}
}

// fill reads rows into the buffer to their end (or an error), publishing
// them as it goes, then closes them and calls done, which frees the
// query's slot. It runs on a goroutine of its own.
func (b *buffer) fill(rows *sql.Rows, queryErr func(error) error, done func()) {
	defer done()
	ptrs := make([]any, b.width)
	var c *chunk
	row := 0 // rows in c
	published := 0
	// A reader waiting for rows gets them a few at a time, or after a
	// moment: not one lock and wake-up per row.
	var lastPublish time.Time
	for rows.Next() {
		if c == nil || row == chunkRows {
			if c != nil {
				if err := b.complete(c, chunkRows, chunkRows-published); err != nil {
					rows.Close()
					b.finish(err)
					return
				}
				published = 0
			}
			c = &chunk{vals: make([]any, chunkRows*b.width)}
			c.size = int64(len(c.vals)) * 16
			row = 0
			b.mu.Lock()
			b.chunks = append(b.chunks, c)
			b.mu.Unlock()
		}
		vals := c.vals[row*b.width : (row+1)*b.width]
		for i := range ptrs {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			b.finish(queryErr(err))
			return
		}
		for _, v := range vals {
			c.size += valueSize(v)
		}
		row++
		if b.waiting.Load() > 0 && (row-published >= publishRows || time.Since(lastPublish) > publishEvery) {
			b.publish(row - published)
			published, lastPublish = row, time.Now()
		}
	}
	err := rows.Err()
	rows.Close()
	if err != nil {
		b.finish(queryErr(err))
		return
	}
	if c != nil {
		if err := b.complete(c, row, row-published); err != nil {
			b.finish(err)
			return
		}
	}
	b.finish(nil)
}

// encodedRows is an answer that writes its rows as JSON itself, from the
// database's own representation (DuckDB's Arrow batches, PostgreSQL's
// binary values), with no Go value boxed per cell.
type encodedRows interface {
	Next() bool
	// AppendRow appends the current row as a JSON array, each value as
	// the boxed path formats it (formatter.appendRow).
	AppendRow(dst []byte, f *formatter) []byte
	// Numbers is the kind of each column's numbers as decodeRow reads
	// them back: 'i' integers, 'f' doubles, 'n' exact decimals, or 0.
	Numbers() []byte
	Err() error
	Close()
}

// batchRows is an encodedRows read a batch at a time (DuckDB's Arrow
// record batches), whose rows can be written in any order and at once
// while their batch is current.
type batchRows interface {
	encodedRows
	// Batch reads the rest of the current batch (past rows read by
	// Next), or the next batch: its rows [from, to). ok is false at the
	// end (Err says whether it failed).
	Batch() (from, to int, ok bool)
	// AppendRowAt appends row i of the current batch, as AppendRow.
	AppendRowAt(dst []byte, f *formatter, i int) []byte
}

// encodedFill fills a buffer from an answer that writes its own rows:
// each row is written as JSON into its chunk as it is read, and read back
// from there (Rows.Row decodes it only when asked). runWith reads the
// first rows on the caller's goroutine (step with a limit): an answer of
// a few rows is then complete, and its slot free, before the caller reads
// it, with no goroutine to hand it over; a longer one goes on in a
// goroutine (step without a limit), so that a slow reader holds no slot.
type encodedFill struct {
	b           *buffer
	src         encodedRows
	queryErr    func(error) error
	done        func()
	c           *chunk
	published   int
	lastPublish time.Time
	lastLen     int // the JSON bytes of the last chunk completed
}

// inlineRows is how many rows runWith reads before it returns.
const inlineRows = 64

// step reads up to limit rows (all, for a negative limit) and reports
// whether the answer is finished: read to its end or failed, the source
// closed and done called.
func (f *encodedFill) step(limit int) bool {
	b := f.b
	if bs, ok := f.src.(batchRows); ok && limit < 0 {
		return f.batches(bs)
	}
	for read := 0; limit < 0 || read < limit; read++ {
		if !f.src.Next() {
			var err error
			if err = f.src.Err(); err != nil {
				err = f.queryErr(err)
			}
			f.end(err)
			return true
		}
		c := f.c
		if c == nil || c.rows == chunkRows {
			if c != nil {
				if err := b.completeEncoded(c, chunkRows-f.published); err != nil {
					f.end(err)
					return true
				}
				f.published = 0
			}
			// The first chunk starts small (most answers are a few rows);
			// a later one at the size of the chunk before it.
			size, rows := 1<<10, 16
			if c != nil {
				size, rows = len(c.json)+len(c.json)/8, chunkRows
			}
			c = &chunk{json: make([]byte, 0, size), ends: make([]int32, 0, rows), numbers: f.src.Numbers()}
			f.c = c
			b.mu.Lock()
			b.chunks = append(b.chunks, c)
			b.mu.Unlock()
		}
		c.add(f.src.AppendRow(c.json, &b.fmt))
		if b.waiting.Load() > 0 && (c.rows-f.published >= publishRows || time.Since(f.lastPublish) > publishEvery) {
			b.publishEncoded(c, c.rows-f.published)
			f.published, f.lastPublish = c.rows, time.Now()
		}
	}
	// The rows read so far are readable while the rest are read.
	if c := f.c; c != nil && c.rows > f.published {
		b.publishEncoded(c, c.rows-f.published)
		f.published, f.lastPublish = c.rows, time.Now()
	}
	return false
}

// add takes json, the chunk's JSON with one more row appended.
func (c *chunk) add(json []byte) {
	c.json = json
	c.ends = append(c.ends, int32(len(json)))
	c.rows++
}

// batches reads the rest of the answer a batch at a time: the batch is
// in memory, and formatting it is most of the work left, so its rows are
// written two chunks at a time, then made readable in order.
func (f *encodedFill) batches(src batchRows) bool {
	b := f.b
	for {
		from, to, ok := src.Batch()
		if !ok {
			err := src.Err()
			if err != nil {
				err = f.queryErr(err)
			}
			f.end(err)
			return true
		}
		// The current chunk is topped up, and the batch's other rows go
		// into new chunks: each a job, the jobs written two at a time.
		type job struct {
			c        *chunk
			from, to int
		}
		var jobs []job
		i := from
		size := max(1<<10, f.lastLen+f.lastLen/8)
		if c := f.c; c != nil && f.lastLen == 0 && c.rows > 0 {
			size = max(size, len(c.json)/c.rows*chunkRows*9/8) // as the rows so far
		}
		if c := f.c; c != nil {
			n := min(chunkRows-c.rows, to-i)
			jobs = append(jobs, job{c, i, i + n})
			i += n
		}
		for ; i < to; i += chunkRows {
			n := min(chunkRows, to-i)
			c := &chunk{json: make([]byte, 0, size), ends: make([]int32, 0, n), numbers: src.Numbers()}
			jobs = append(jobs, job{c, i, i + n})
		}
		write := func(j job) {
			for r := j.from; r < j.to; r++ {
				j.c.add(src.AppendRowAt(j.c.json, &b.fmt, r))
			}
		}
		var wg sync.WaitGroup
		if len(jobs) > 1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 1; k < len(jobs); k += 2 {
					write(jobs[k])
				}
			}()
		}
		for k := 0; k < len(jobs); k += 2 {
			write(jobs[k])
		}
		wg.Wait()
		// Made readable in order; only the last chunk may be short, and
		// the next batch continues it.
		for _, j := range jobs {
			if j.c != f.c {
				b.mu.Lock()
				b.chunks = append(b.chunks, j.c)
				b.mu.Unlock()
				f.c, f.published = j.c, 0
			}
			if j.c.rows < chunkRows {
				f.publish()
				break
			}
			if err := f.complete(); err != nil {
				f.end(err)
				return true
			}
		}
	}
}

// publish makes the current chunk's rows readable.
func (f *encodedFill) publish() {
	if c := f.c; c != nil && c.rows > f.published {
		f.b.publishEncoded(c, c.rows-f.published)
		f.published, f.lastPublish = c.rows, time.Now()
	}
}

// complete completes the current, full chunk.
func (f *encodedFill) complete() error {
	c := f.c
	f.c, f.lastLen = nil, len(c.json)
	published := f.published
	f.published = 0
	return f.b.completeEncoded(c, chunkRows-published)
}

// end finishes the answer, with err (nil when it was read to its end).
func (f *encodedFill) end(err error) {
	defer f.done()
	defer f.src.Close()
	b := f.b
	if err != nil {
		b.finish(err)
		return
	}
	if c := f.c; c != nil {
		if err := b.completeEncoded(c, c.rows-f.published); err != nil {
			b.finish(err)
			return
		}
	}
	b.finish(nil)
}

// publish makes n more rows readable.
func (b *buffer) publish(n int) {
	b.mu.Lock()
	b.n += n
	b.signal()
	b.mu.Unlock()
}

// signal wakes the readers waiting. The caller holds mu.
func (b *buffer) signal() {
	close(b.wake)
	b.wake = make(chan struct{})
}

// complete counts a chunk whose rows (rows) are all scanned against the
// pool, moving it to disk past the pool's memory when none of its rows
// was published yet (its reader cannot be in it), and publishes its
// rows not yet published (n).
func (b *buffer) complete(c *chunk, rows, n int) error {
	c.rows = rows
	if b.keepLimit > 0 && b.mem+c.size > b.keepLimit {
		b.stopKeeping()
	}
	if b.pool.mem.Add(c.size) > b.pool.memLimit && n == rows {
		b.pool.mem.Add(-c.size)
		b.stopKeeping()
		if err := b.spill(c); err != nil {
			return err
		}
		b.publish(n)
		return nil
	}
	b.mu.Lock()
	b.mem += c.size
	b.n += n
	c.pubJSON, c.pubEnds = c.json, c.ends
	b.signal()
	b.mu.Unlock()
	return nil
}

// completeEncoded is complete for a chunk of JSON rows (fillColumnar):
// its JSON is final, and is what encoded gives.
func (b *buffer) completeEncoded(c *chunk, n int) error {
	c.size = int64(cap(c.json)) + 4*int64(cap(c.ends)) + int64(b.width)
	c.once.Do(func() {})
	return b.complete(c, c.rows, n)
}

// publishEncoded makes n more JSON rows of c readable.
func (b *buffer) publishEncoded(c *chunk, n int) {
	b.mu.Lock()
	b.n += n
	c.pubJSON, c.pubEnds = c.json, c.ends
	b.signal()
	b.mu.Unlock()
}

// stopKeeping makes a buffer too large to keep whole no longer a candidate
// for the cache: the chunks its reader left go now, the others as it
// leaves them.
func (b *buffer) stopKeeping() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.keep {
		return
	}
	b.keep = false
	b.drop(b.reading)
}

// drop lets chunks before chunk i go. The caller holds mu.
func (b *buffer) drop(i int) {
	for j := 0; j < i && j < len(b.chunks); j++ {
		if c := b.chunks[j]; c != nil {
			if c.spilled.size == 0 {
				b.mem -= c.size
				b.pool.mem.Add(-c.size)
			}
			b.chunks[j] = nil
		}
	}
}

// spill writes a chunk's rows, as JSON, to the buffer's temporary file.
func (b *buffer) spill(c *chunk) error {
	rows := c.rows
	var data []byte
	var ends []int32
	var numbers []byte
	if c.vals == nil {
		data, ends, numbers = c.json, c.ends, c.numbers // JSON rows, none read yet
	} else {
		ends = make([]int32, rows)
		for i := range rows {
			data = b.fmt.appendRow(data, c.vals[i*b.width:(i+1)*b.width])
			ends[i] = int32(len(data))
		}
		numbers = numberKinds(b.fmt, c.vals[:rows*b.width], b.width)
	}
	if b.pool.disk.Add(int64(len(data))) > b.pool.diskLimit {
		b.pool.disk.Add(-int64(len(data)))
		return errBufferFull
	}
	if b.file == nil {
		f, err := os.CreateTemp(b.pool.dir, "agentlayer-answer-*")
		if err != nil {
			b.pool.disk.Add(-int64(len(data)))
			return fmt.Errorf("%w: %w", errBufferFull, err)
		}
		os.Remove(f.Name()) // it lives while open
		b.file = f
	}
	if _, err := b.file.WriteAt(data, b.fileEnd); err != nil {
		b.pool.disk.Add(-int64(len(data)))
		return fmt.Errorf("%w: %w", errBufferFull, err)
	}
	b.mu.Lock()
	c.spilled.off, c.spilled.size = b.fileEnd, len(data)
	c.ends, c.numbers, c.vals = ends, numbers, nil
	c.json, c.pubJSON, c.pubEnds = nil, nil, nil
	c.once = sync.Once{} // loaded reads it back
	b.fileEnd += int64(len(data))
	b.mu.Unlock()
	return nil
}

// finish ends the fill: err is why it ended early, nil at the last row.
func (b *buffer) finish(err error) {
	b.mu.Lock()
	b.done, b.err = true, err
	b.signal()
	closed := b.closed
	b.mu.Unlock()
	if b.onFinish != nil {
		b.onFinish(err)
	}
	if closed {
		b.free()
	}
}

// errExpired ends the reading of an answer past its deadline.
var errExpired = ErrTimeout

// rowView is where a row is: its chunk, its index there, the rows
// published so far (rows before them can be read without asking again),
// and, for a chunk of JSON rows, its JSON as far as it was published.
type rowView struct {
	c     *chunk
	k     int
	avail int
	json  []byte
	ends  []int32
}

// rowAt returns where row i is, waiting for the row until it comes, the
// fill ends (errEnd: no such row) or deadline passes (ErrTimeout).
func (b *buffer) rowAt(ctx context.Context, i int, deadline time.Time) (rowView, error) {
	b.mu.Lock()
	for i >= b.n {
		if b.done {
			err := b.err
			b.mu.Unlock()
			if err == nil {
				err = errEnd
			}
			return rowView{}, err
		}
		wake := b.wake
		b.mu.Unlock()
		b.waiting.Add(1)
		var timeout <-chan time.Time
		if !deadline.IsZero() {
			t := time.NewTimer(time.Until(deadline))
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-wake:
		case <-timeout:
			b.waiting.Add(-1)
			return rowView{}, errExpired
		case <-ctx.Done():
			b.waiting.Add(-1)
			return rowView{}, context.Cause(ctx)
		}
		b.waiting.Add(-1)
		b.mu.Lock()
	}
	ci := i / chunkRows
	if !b.keep && ci > b.reading {
		b.drop(ci) // the reader left the chunks before
	}
	if ci > b.reading {
		b.reading = ci
	}
	c := b.chunks[ci]
	v := rowView{c: c, k: i % chunkRows, avail: b.n, json: c.pubJSON, ends: c.pubEnds}
	b.mu.Unlock()
	return v, nil
}

// errEnd is rowAt's answer past the last row.
var errEnd = errors.New("engine: no more rows")

// loaded reads a spilled chunk's JSON back from the file, once.
func (b *buffer) loaded(c *chunk) error {
	var err error
	c.once.Do(func() {
		b.mu.Lock()
		off, size := c.spilled.off, c.spilled.size
		b.mu.Unlock()
		c.json = make([]byte, size)
		_, err = b.file.ReadAt(c.json, off)
	})
	return err
}

// encoded is the JSON of each row of a chunk of a complete buffer,
// written once (the result cache's hits copy it).
func (b *buffer) encoded(c *chunk) ([]byte, []int32) {
	c.once.Do(func() {
		if c.vals == nil {
			return // spilled: loaded fills json
		}
		n := c.rows
		c.ends = make([]int32, n)
		for i := range n {
			c.json = b.fmt.appendRow(c.json, c.vals[i*b.width:(i+1)*b.width])
			c.ends[i] = int32(len(c.json))
		}
	})
	return c.json, c.ends
}

// close is its reader's: a buffer still filling stops (its query is
// cancelled by the caller); its memory and file go once the fill ends.
func (b *buffer) close() {
	b.mu.Lock()
	b.closed = true
	done := b.done
	b.mu.Unlock()
	if done {
		b.free()
	}
}

// free gives back what an uncached buffer holds: its memory in the pool
// and its file. A buffer the cache keeps holds its memory there instead
// (handed over when cached).
func (b *buffer) free() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pool.mem.Add(-b.mem)
	b.mem = 0
	if b.file != nil {
		b.file.Close()
		b.pool.disk.Add(-b.fileEnd)
		b.file = nil
	}
}

// kept hands a complete buffer over to the cache: its memory is the
// cache's from now on. It reports its size, and false when it cannot be
// kept (it spilled, or was too large).
func (b *buffer) kept() (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.keep || b.file != nil || b.err != nil {
		return 0, false
	}
	size := b.mem + 128
	b.pool.mem.Add(-b.mem)
	b.mem = 0
	return size, true
}
