package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafkaInput consumes topics as a member of a consumer group. Each Kafka
// record is one log record (a value with several lines is one multi-line
// record: producers already framed it). Offsets are never committed
// automatically: Commit commits the offsets after the records a
// Checkpoint covers, which the engine calls once their counts are stored,
// so a crash re-reads records rather than losing them.
type kafkaInput struct {
	name    string
	cl      *kgo.Client
	maxLine int
	log     *slog.Logger
	p       *pipeline
	stats   logCounters

	closeOnce sync.Once
}

func newKafkaInput(name string, cfg Config, opts LogOptions, p *pipeline) (*kafkaInput, error) {
	reset := kgo.NewOffset().AtEnd()
	if cfg.StartAt == StartAtBeginning {
		reset = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topics...),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(reset),
		kgo.ClientID("seismo"),
	)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	in := &kafkaInput{name: name, cl: cl, maxLine: cfg.MaxLineBytes, log: opts.Logger, p: p}
	p.stats = &in.stats
	return in, nil
}

// Run polls until ctx is done or the sink fails.
func (in *kafkaInput) Run(ctx context.Context, sink LogSink) error {
	next := map[string]map[int32]int64{} // next offset per partition, over all polls
	var out []Record
	for {
		fetches := in.cl.PollRecords(ctx, logBatchSize)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, part int32, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			in.stats.readErrors.Add(1)
			in.log.Warn("kafka fetch", "input", in.name, "topic", topic, "partition", part, "err", err)
		})
		out = out[:0:0]
		fetches.EachRecord(func(r *kgo.Record) {
			in.stats.lines.Add(1)
			text := in.text(r.Value)
			out = append(out, in.p.record(r.Topic+"/"+strconv.Itoa(int(r.Partition)), text, r.Offset, r.Timestamp.UTC()))
			in.stats.records.Add(1)
			if next[r.Topic] == nil {
				next[r.Topic] = map[int32]int64{}
			}
			next[r.Topic][r.Partition] = r.Offset + 1
		})
		if len(out) == 0 {
			continue
		}
		cp := make(map[string]map[int32]int64, len(next))
		for t, ps := range next {
			cp[t] = maps.Clone(ps)
		}
		if err := sink(ctx, LogBatch{Records: out, Checkpoint: Checkpoint{kafka: cp}}); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// text turns a record's value into a record's text: cut to max_line_bytes,
// each line sanitised, lines joined by \n.
func (in *kafkaInput) text(v []byte) string {
	if len(v) > in.maxLine {
		v = v[:in.maxLine]
		in.stats.tooLong.Add(1)
	}
	v = bytes.TrimRight(v, "\r\n")
	if bytes.IndexByte(v, '\n') < 0 {
		return in.p.sanitize(v)
	}
	var b strings.Builder
	for i, line := range bytes.Split(v, []byte{'\n'}) {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(in.p.sanitize(line))
	}
	return b.String()
}

// Commit commits the checkpoint's offsets for the group.
func (in *kafkaInput) Commit(ctx context.Context, cp Checkpoint) error {
	if len(cp.kafka) == 0 {
		return nil
	}
	offs := make(map[string]map[int32]kgo.EpochOffset, len(cp.kafka))
	for t, ps := range cp.kafka {
		offs[t] = make(map[int32]kgo.EpochOffset, len(ps))
		for p, o := range ps {
			offs[t][p] = kgo.EpochOffset{Epoch: -1, Offset: o}
		}
	}
	var errs []error
	in.cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					errs = append(errs, fmt.Errorf("%s/%d: %w", t.Topic, p.Partition, err))
				}
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("log input %q: commit offsets: %w", in.name, err)
	}
	return nil
}

// Stats returns the counters.
func (in *kafkaInput) Stats() LogStats { return in.stats.snapshot() }

// Close leaves the group and closes the client, without committing.
func (in *kafkaInput) Close() error {
	in.closeOnce.Do(in.cl.Close)
	return nil
}
