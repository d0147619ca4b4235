package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/rules/check"
	"github.com/seismo-dev/seismo/source"
)

// demoCards writes the demo check's two card databases (package datasets)
// before the check's first run. A configuration is the demo's when it has
// a source of type demo and the check reads SQLite files named as the
// demo's (datasets.DemoAccountsDB, DemoTradingDB): `seismo run` without
// --config, or the output of `seismo demo-config`. The files are written
// again, from the seed, by every process, so the demo starts from the
// same cards every time; their lag heals by itself (a view on SQLite's
// clock, see datasets), so nothing runs in the background.
type demoCards struct {
	seed  int64
	files map[string]string // datasets file name → path to write

	mu   sync.Mutex
	done bool
}

// newDemoCards returns the writer of the demo's card databases when cc is
// the demo's check, else nil.
func (e *Engine) newDemoCards(cc check.Config) *demoCards {
	var seed int64
	demo := false
	for _, sc := range e.cfg.Sources {
		if sc.Type == source.TypeDemo {
			demo, seed = true, sc.Seed
		}
	}
	if !demo {
		return nil
	}
	d := &demoCards{seed: seed, files: map[string]string{}}
	for _, name := range []string{cc.Left.Source, cc.Right.Source} {
		sc := e.cfg.Sources[name]
		if sc.Type != source.TypeSQLite {
			return nil
		}
		p := strings.TrimPrefix(sc.DSN.Value(), "file:")
		p, _, _ = strings.Cut(p, "?")
		base := filepath.Base(p)
		if base != datasets.DemoAccountsDB && base != datasets.DemoTradingDB {
			return nil
		}
		d.files[base] = p
	}
	return d
}

// prepare writes the databases once per process.
func (d *demoCards) prepare(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return nil
	}
	accounts, trading := datasets.DemoCardDatabases(d.seed)
	for _, db := range []datasets.DemoCardDatabase{accounts, trading} {
		p, ok := d.files[db.File]
		if !ok {
			continue
		}
		if err := writeDemoDB(ctx, p, db.Statements); err != nil {
			return fmt.Errorf("write demo database %s: %w", p, err)
		}
	}
	d.done = true
	return nil
}

func writeDemoDB(ctx context.Context, path string, stmts []string) (err error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return errors.Join(err, tx.Rollback())
		}
	}
	return tx.Commit()
}
