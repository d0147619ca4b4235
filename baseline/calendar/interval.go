package calendar

// TradingDaysSuffix, appended to a calendar's name, names its trading days
// as an alerting time interval ("cn-stock:trading_days"); the bare name
// stands for its trading sessions.
const TradingDaysSuffix = ":trading_days"
