package datasets

import (
	"fmt"
	"strings"
	"time"
)

// The demo's consistency check: the brokerage's account system and its
// trading system both hold the customers' shareholder cards, updated from
// the daily clearing files, and the check compares them. The two tables
// are written the way two real systems would differ without disagreeing
// (integer against text customer ids, CHAR-padded names, status words
// against status codes, upper against lower case markets, local against
// UTC times), and a few cards really disagree:
//
//   - DemoCardsFrozen cards are FROZEN in accounts but normal in trading
//     (the demo check's critical rule),
//   - DemoCardsClosed cards are CLOSED in accounts but normal in trading,
//   - DemoCardsRenamed cards have another holder name in trading,
//   - DemoCardsNotInTrading cards are missing from trading, and
//     DemoCardsNotInAccounts from accounts;
//   - DemoCardsLagging cards lag: trading applies their latest update late.
//     Trading's cards are read through a view that shows a lagging card's
//     previous status during the first DemoLagSeconds of the minutes whose
//     number (unix minutes) modulo 10 is the card's lag group, so every
//     minute a few cards differ at the start of the minute and agree again
//     20 seconds later: the check's grace re-check records them as
//     transient. The view reads SQLite's clock, so the lag needs no
//     process to heal it: the data is a pure function of the seed and the
//     time.

// Demo card counts.
const (
	DemoCards              = 3000
	DemoCardsFrozen        = 6
	DemoCardsClosed        = 4
	DemoCardsRenamed       = 2
	DemoCardsNotInTrading  = 3
	DemoCardsNotInAccounts = 2
	DemoCardsLagging       = 40 // four per lag group
	// DemoLagSeconds is how long into a lagging minute trading shows the
	// previous status: less than the demo check's 20s grace.
	DemoLagSeconds = 15
)

// File names of the demo's two card databases, next to the demo's store.
const (
	DemoAccountsDB = "seismo-demo-accounts.db"
	DemoTradingDB  = "seismo-demo-trading.db"
)

// DemoCardDatabase is the SQL that creates and fills one of the demo's
// card databases (SQLite), in order.
type DemoCardDatabase struct {
	File       string
	Statements []string
}

// cardStatus maps the account system's status words to the trading
// system's codes (the demo check's status map).
var cardStatus = map[string]string{"NORMAL": "0", "FROZEN": "1", "CLOSED": "9"}

var surnames = []string{"Zhang", "Wang", "Li", "Zhao", "Chen", "Liu", "Yang", "Huang", "Zhou", "Wu", "Xu", "Sun"}
var givenNames = []string{"Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Jun", "Hua", "Ping", "Ying", "Tao", "Xin"}

// demoCard is one card as the account system holds it.
type demoCard struct {
	no       string
	customer int64
	holder   string
	status   string
	market   string
	opened   time.Time // UTC
}

// DemoCardDatabases returns the statements of the accounts database and of
// the trading database for seed. The same seed gives the same cards.
func DemoCardDatabases(seed int64) (accounts, trading DemoCardDatabase) {
	s := uint64(seed)
	cst := time.FixedZone("CST", 8*60*60)
	cards := make([]demoCard, DemoCards)
	base := time.Date(2015, 1, 5, 9, 30, 0, 0, cst)
	for i := range cards {
		h := mix(s, 0xca7d, uint64(i))
		market := "SH"
		no := fmt.Sprintf("A%09d", 100000000+i*7919%900000000)
		if h%3 == 0 {
			market, no = "SZ", fmt.Sprintf("0%09d", 100000000+i*7919%900000000)
		}
		cards[i] = demoCard{
			no:       no,
			customer: 880000000 + int64(i)*13,
			holder:   surnames[h>>8%uint64(len(surnames))] + " " + givenNames[h>>16%uint64(len(givenNames))],
			status:   "NORMAL",
			market:   market,
			opened:   base.Add(time.Duration(h>>24%(10*365*24*3600)) * time.Second).UTC().Truncate(time.Second),
		}
	}
	// Which cards disagree: a deterministic spread over the table.
	pick := func(k, n int) []int {
		out := make([]int, n)
		for j := range out {
			out[j] = int((mix(s, 0xd1ff, uint64(k), uint64(j))%uint64(DemoCards/100))*100) + k*7 + j
		}
		return out
	}
	frozen, closed, renamed := pick(1, DemoCardsFrozen), pick(2, DemoCardsClosed), pick(3, DemoCardsRenamed)
	notInTrading, notInAccounts, lagging := pick(4, DemoCardsNotInTrading), pick(5, DemoCardsNotInAccounts), pick(6, DemoCardsLagging)
	for _, i := range frozen {
		cards[i].status = "FROZEN"
	}
	for _, i := range closed {
		cards[i].status = "CLOSED"
	}
	tradingStatus := func(c demoCard, i int) string {
		if hasCard(frozen, i) || hasCard(closed, i) {
			return cardStatus["NORMAL"] // trading missed the account system's update
		}
		return cardStatus[c.status]
	}

	var acc, trd strings.Builder
	for i, c := range cards {
		if !hasCard(notInAccounts, i) {
			if acc.Len() > 0 {
				acc.WriteString(",\n")
			}
			// Accounts keeps local (Shanghai) times without a zone.
			fmt.Fprintf(&acc, "(%s, %d, %s, %s, %s, %s)", sqlText(c.no), c.customer, sqlText(c.holder), sqlText(c.status),
				sqlText(c.market), sqlText(c.opened.In(cst).Format(time.DateTime)))
		}
		if hasCard(notInTrading, i) {
			continue
		}
		holder := c.holder
		if hasCard(renamed, i) {
			holder = strings.ToUpper(c.holder) + " JR"
		}
		status, prev, group := tradingStatus(c, i), tradingStatus(c, i), -1
		if j := cardIndex(lagging, i); j >= 0 {
			prev, group = cardStatus["FROZEN"], j%10 // unfrozen today; trading applies it late
		}
		if trd.Len() > 0 {
			trd.WriteString(",\n")
		}
		// Trading keeps the customer id as text, the name CHAR(20)-padded,
		// the market in lower case and times in UTC.
		fmt.Fprintf(&trd, "(%s, %s, %s, %s, %s, %d, %s, %s)", sqlText(c.no), sqlText(fmt.Sprint(c.customer)),
			sqlText(fmt.Sprintf("%-20s", holder)), sqlText(status), sqlText(prev), group,
			sqlText(strings.ToLower(c.market)), sqlText(c.opened.Format("2006-01-02T15:04:05Z")))
	}
	accounts = DemoCardDatabase{File: DemoAccountsDB, Statements: []string{
		`DROP TABLE IF EXISTS shareholder_card`,
		`CREATE TABLE shareholder_card (
			card_no     TEXT PRIMARY KEY,
			customer_id INTEGER NOT NULL,
			holder_name TEXT NOT NULL,
			status      TEXT NOT NULL, -- NORMAL, FROZEN, CLOSED
			market      TEXT NOT NULL, -- SH, SZ
			opened_at   DATETIME NOT NULL -- Asia/Shanghai, no zone
		)`,
		"INSERT INTO shareholder_card VALUES\n" + acc.String(),
	}}
	trading = DemoCardDatabase{File: DemoTradingDB, Statements: []string{
		`DROP VIEW IF EXISTS sh_card_live`,
		`DROP TABLE IF EXISTS sh_card`,
		`CREATE TABLE sh_card (
			card_no          TEXT PRIMARY KEY,
			cust_id          TEXT NOT NULL,
			holder           TEXT NOT NULL, -- CHAR(20), space-padded
			status_code      TEXT NOT NULL, -- 0 normal, 1 frozen, 9 closed
			prev_status_code TEXT NOT NULL, -- before today's clearing update
			lag_group        INTEGER NOT NULL, -- -1, or the minute (mod 10) the update lags in
			market           TEXT NOT NULL, -- sh, sz
			opened_at        DATETIME NOT NULL -- UTC
		)`,
		"INSERT INTO sh_card VALUES\n" + trd.String(),
		fmt.Sprintf(`CREATE VIEW sh_card_live AS
			SELECT card_no, cust_id, holder, market, opened_at,
			       CASE WHEN lag_group = (CAST(strftime('%%s', 'now') AS INTEGER) / 60) %% 10
			             AND CAST(strftime('%%s', 'now') AS INTEGER) %% 60 < %d
			            THEN prev_status_code ELSE status_code END AS status_code
			FROM sh_card`, DemoLagSeconds),
	}}
	return accounts, trading
}

// sqlText quotes a string as an SQL literal.
func sqlText(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func hasCard(xs []int, x int) bool { return cardIndex(xs, x) >= 0 }

func cardIndex(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}
