// Seismo's tuning page: plain JavaScript and SVG, no dependencies, so it
// works offline and behind any proxy.
//
// One sweep (POST /api/v1/sweep) answers every position of the
// sensitivity slider: the server backtests the whole grid at once and the
// page only looks the slider's position up, so moving it costs nothing.
// For the detectors whose band is Expected ∓ K(s)·scale the sweep also
// sends the scale, and the band follows the slider too.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const svgNS = 'http://www.w3.org/2000/svg';
  const margin = { left: 64, right: 12, top: 18, bottom: 26 };
  const alertStrip = 10; // px at the top of the plot for would-have-fired alerts

  const state = {
    monitors: [],
    monitor: '',
    seriesList: [],
    series: null, // the selected series' label set, an object
    sweep: null,
    points: null,
    labels: [],
    events: [],
    tuning: null,
    from: 0,
    to: 0,
    seq: 0, // the latest refresh; older answers are dropped
    geom: null,
    pending: null, // the dragged range awaiting a kind
  };

  // K(s) = 2 + 8·(1 − s): the threshold the detectors map a sensitivity to.
  const threshold = (s) => 2 + 8 * (1 - s);

  function status(msg, isError) {
    const el = $('status');
    el.textContent = msg || '';
    el.classList.toggle('error', !!isError);
  }

  async function api(method, path, body) {
    const opts = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const resp = await fetch(path, opts);
    let data = null;
    try { data = await resp.json(); } catch (e) { /* not JSON: reported below */ }
    if (!resp.ok || !data || data.status !== 'success') {
      throw new Error((data && data.error) || `${method} ${path}: ${resp.status} ${resp.statusText}`);
    }
    return data.data;
  }

  const pad = (n) => String(n).padStart(2, '0');
  function fmtTime(ms) {
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  const fmtNum = (v) => (v === null || v === undefined || !isFinite(v) ? '–' : Number(v).toPrecision(4).replace(/\.?0+$/, ''));
  const fmt2 = (v) => (v === null || v === undefined || !isFinite(v) ? '–' : Number(v).toFixed(2));

  // seriesName shows a label set without its metric name, which the
  // monitor already says.
  function seriesName(ls) {
    const parts = Object.keys(ls).filter((k) => k !== '__name__').sort().map((k) => `${k}="${ls[k]}"`);
    return (ls.__name__ || '') + '{' + parts.join(', ') + '}';
  }

  // eventSelector selects the stored events of a series: alert label sets
  // carry the metric name as "metric".
  function eventSelector(ls) {
    const esc = (v) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const parts = Object.keys(ls).sort().map((k) => `${k === '__name__' ? 'metric' : k}="${esc(ls[k])}"`);
    return '{' + parts.join(',') + '}';
  }

  function setURL() {
    const q = new URLSearchParams();
    if (state.monitor) q.set('monitor', state.monitor);
    if (state.series) q.set('series', JSON.stringify(state.series));
    q.set('range', $('range').value);
    history.replaceState(null, '', '?' + q.toString());
  }

  // ---- loading ----

  async function loadMonitors() {
    const data = await api('GET', '/api/v1/jobs');
    state.monitors = data.jobs.filter((j) => j.kind === 'monitor').map((j) => j.name);
    const sel = $('monitor');
    sel.replaceChildren(...state.monitors.map((m) => new Option(m, m)));
    const want = new URLSearchParams(location.search).get('monitor');
    if (want && state.monitors.includes(want)) sel.value = want;
    if (!state.monitors.length) {
      status('this configuration has no monitors', true);
      return;
    }
    await loadMonitor(sel.value, true);
  }

  async function loadMonitor(name, fromURL) {
    state.monitor = name;
    status('loading ' + name + '…');
    const [tuning, list] = await Promise.all([
      api('GET', `/api/v1/monitors/${encodeURIComponent(name)}/tuning`),
      api('GET', `/api/v1/series?monitor=${encodeURIComponent(name)}`),
    ]);
    showTuning(tuning, true);
    state.seriesList = list.series.map((s) => s.labels);
    const sel = $('series');
    sel.replaceChildren(...state.seriesList.map((ls, i) => new Option(seriesName(ls), String(i))));
    let idx = 0;
    const want = fromURL && new URLSearchParams(location.search).get('series');
    if (want) {
      const i = state.seriesList.findIndex((ls) => JSON.stringify(ls) === want);
      if (i >= 0) idx = i;
    }
    sel.value = String(idx);
    state.series = state.seriesList[idx] || null;
    if (!state.series) {
      status('monitor ' + name + ' has no series yet', true);
      return;
    }
    await refresh();
  }

  // showTuning shows a monitor's settings; with setControls it also moves
  // the controls to the effective setting.
  function showTuning(t, setControls) {
    state.tuning = t;
    const eff = t.effective;
    if (setControls) {
      $('type').value = eff.type;
      $('direction').value = eff.direction;
      $('sensitivity').value = String(eff.sensitivity);
      $('sensitivity-value').value = fmt2(eff.sensitivity);
    }
    const info = $('saved-info');
    if (t.saved) {
      const d = t.saved.detector;
      info.textContent = `saved: ${eff.type}, sensitivity ${fmt2(eff.sensitivity)}, direction ${eff.direction}` +
        ` — by ${t.saved.author || 'unknown'} at ${fmtTime(Date.parse(t.saved.saved_at))}` + (t.saved.note ? ` (“${t.saved.note}”)` : '');
      info.dataset.sensitivity = String(d.sensitivity || eff.sensitivity);
    } else {
      info.textContent = `using the configuration's setting: ${eff.type}, sensitivity ${fmt2(eff.sensitivity)}, direction ${eff.direction}`;
      delete info.dataset.sensitivity;
    }
    $('reset').disabled = !t.saved;
  }

  async function refresh() {
    if (!state.series) return;
    const seq = ++state.seq;
    setURL();
    const days = Number($('range').value);
    state.to = Date.now();
    state.from = state.to - days * 86400e3;
    const from = new Date(state.from).toISOString();
    const to = new Date(state.to).toISOString();
    status('backtesting ' + seriesName(state.series) + ' over ' + days + ' days at every sensitivity…');
    const body = {
      monitor: state.monitor,
      series: state.series,
      from, to,
      detector: { type: $('type').value, direction: $('direction').value },
      points: true,
      max_alerts_per_day: Number($('budget').value) || 2,
    };
    try {
      const [sweep, labels, events] = await Promise.all([
        api('POST', '/api/v1/sweep', body),
        api('GET', `/api/v1/labels?monitor=${encodeURIComponent(state.monitor)}&series=${encodeURIComponent(JSON.stringify(state.series))}&from=${from}&to=${to}&limit=10000`),
        api('GET', `/api/v1/events?monitor=${encodeURIComponent(state.monitor)}&match[]=${encodeURIComponent(eventSelector(state.series))}&from=${from}&to=${to}&limit=10000`),
      ]);
      if (seq !== state.seq) return; // a newer refresh is under way
      state.sweep = sweep;
      state.points = sweep.series.length ? sweep.series[0].points : null;
      state.labels = labels.labels;
      state.events = events.events;
      const why = sweep.series.length && sweep.series[0].not_judged ? ' · ' + sweep.series[0].not_judged : '';
      status(`backtested ${sweep.days.toFixed(1)} days in ${(sweep.duration_ns / 1e6).toFixed(0)} ms` +
        (sweep.rethresholded ? ' (scores computed once, re-thresholded per sensitivity)' : '') + why);
      render();
    } catch (e) {
      if (seq === state.seq) status(e.message, true);
    }
  }

  // ---- the figures at the slider's sensitivity ----

  function currentPoint() {
    if (!state.sweep || !state.sweep.curve.length) return null;
    const s = Number($('sensitivity').value);
    let best = state.sweep.curve[0];
    for (const p of state.sweep.curve) {
      if (Math.abs(p.sensitivity - s) < Math.abs(best.sensitivity - s)) best = p;
    }
    return best;
  }

  function renderFigures() {
    const p = currentPoint();
    const s = Number($('sensitivity').value);
    $('sensitivity-value').value = fmt2(s);
    if (!p) return;
    const m = p.metrics;
    $('alerts-per-day').textContent = fmt2(m.alerts_per_day);
    $('alert-count').textContent = String(m.alerts);
    $('silent-count').textContent = m.silent_alerts ? `(+${m.silent_alerts} silent)` : '';
    if (m.labelled) {
      $('recall').textContent = `${fmt2(m.alert.recall)} (${m.alert.detected}/${m.alert.ranges})`;
      $('precision').textContent = fmt2(m.alert.precision);
    } else {
      $('recall').textContent = 'no anomaly labels';
      $('precision').textContent = '–';
    }
    const r = state.sweep.recommended;
    $('recommended').textContent = `recommended for ${state.sweep.max_alerts_per_day}/day: ${fmt2(r.sensitivity)} — ${r.reason}`;
    const tbody = $('alerts').tBodies[0];
    tbody.replaceChildren(...p.alerts.filter((a) => !a.silent).map((a) => {
      const tr = document.createElement('tr');
      const cells = [
        fmtTime(Date.parse(a.start)), a.end ? fmtTime(Date.parse(a.end)) : 'still firing', String(a.events),
        fmt2(a.peak_score), fmtNum(a.peak_value), fmtNum(a.peak_expected), a.verdict || '',
      ];
      cells.forEach((c, i) => {
        const td = document.createElement('td');
        td.textContent = c;
        if (i >= 2 && i <= 5) td.className = 'num';
        if (i === 6 && c) td.className = 'verdict-' + c;
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  function renderLabelsTable() {
    const tbody = $('labels').tBodies[0];
    tbody.replaceChildren(...state.labels.map((l) => {
      const tr = document.createElement('tr');
      for (const c of [fmtTime(Date.parse(l.from)), fmtTime(Date.parse(l.to)), l.kind + (l.status !== 'confirmed' ? ` (${l.status})` : ''), l.author, l.note || '']) {
        const td = document.createElement('td');
        td.textContent = c;
        tr.appendChild(td);
      }
      tr.className = 'label-row label-row-' + l.kind;
      return tr;
    }));
  }

  // ---- the chart ----

  function el(name, attrs, parent) {
    const e = document.createElementNS(svgNS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function render() {
    renderFigures();
    renderLabelsTable();
    renderChart();
  }

  function renderChart() {
    const svg = $('chart');
    const width = svg.clientWidth || 1000;
    const height = svg.clientHeight || 360;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.replaceChildren();
    const pts = state.points;
    const plotW = width - margin.left - margin.right;
    const plotH = height - margin.top - margin.bottom;
    const t0 = state.from, t1 = state.to;
    const x = (t) => margin.left + ((t - t0) / (t1 - t0)) * plotW;
    state.geom = { x, t0, t1, plotW, width, height };
    if (!pts || !pts.t.length) {
      el('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, svg).textContent = 'no judged points in this range';
      return;
    }
    const s = Number($('sensitivity').value);
    const k = threshold(s);
    const n = pts.t.length;
    const lo = new Array(n), hi = new Array(n);
    for (let i = 0; i < n; i++) {
      if (pts.scale && pts.scale[i] !== null) {
        lo[i] = pts.expected[i] - k * pts.scale[i];
        hi[i] = pts.expected[i] + k * pts.scale[i];
      } else {
        lo[i] = pts.lower[i];
        hi[i] = pts.upper[i];
      }
    }
    // The y range covers the values and the expected values; a wide band
    // is clipped rather than squashing the data.
    let ymin = Infinity, ymax = -Infinity;
    for (let i = 0; i < n; i++) {
      for (const v of [pts.value[i], pts.expected[i]]) {
        if (v !== null && isFinite(v)) { ymin = Math.min(ymin, v); ymax = Math.max(ymax, v); }
      }
    }
    if (!(ymax > ymin)) { ymin -= 1; ymax += 1; }
    const padY = (ymax - ymin) * 0.08;
    ymin -= padY; ymax += padY;
    const top = margin.top + alertStrip;
    const y = (v) => top + (1 - (v - ymin) / (ymax - ymin)) * (plotH - alertStrip);

    const defs = el('defs', {}, svg);
    const clip = el('clipPath', { id: 'plot-clip' }, defs);
    el('rect', { x: margin.left, y: top, width: plotW, height: plotH - alertStrip }, clip);

    // axes
    const axis = el('g', { class: 'axis' }, svg);
    for (let i = 0; i <= 4; i++) {
      const v = ymin + ((ymax - ymin) * i) / 4;
      el('line', { x1: margin.left, x2: width - margin.right, y1: y(v), y2: y(v) }, axis);
      el('text', { x: margin.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, axis).textContent = fmtNum(v);
    }
    const ticks = Math.min(8, Math.max(2, Math.floor(plotW / 180)));
    for (let i = 0; i <= ticks; i++) {
      const t = t0 + ((t1 - t0) * i) / ticks;
      el('text', { x: x(t), y: height - 8, 'text-anchor': i === 0 ? 'start' : i === ticks ? 'end' : 'middle' }, axis).textContent = fmtTime(t);
    }

    // labels behind everything
    const lg = el('g', { id: 'labels-layer' }, svg);
    for (const l of state.labels) {
      const a = Math.max(x(Date.parse(l.from)), margin.left);
      const b = Math.min(x(Date.parse(l.to)), width - margin.right);
      if (b < margin.left || a > width - margin.right) continue;
      const r = el('rect', { x: a, y: top, width: Math.max(b - a, 2), height: plotH - alertStrip, class: 'label-' + l.kind }, lg);
      el('title', {}, r).textContent = `${l.kind} ${fmtTime(Date.parse(l.from))} – ${fmtTime(Date.parse(l.to))} by ${l.author}${l.note ? ': ' + l.note : ''}`;
    }

    // band, expected and value, one column per pixel when the points are
    // denser than the pixels
    const cols = Math.max(1, Math.floor(plotW));
    const bucket = (i) => Math.min(cols - 1, Math.floor(((pts.t[i] - t0) / (t1 - t0)) * cols));
    const dense = n > 2 * cols;
    const plot = el('g', { 'clip-path': 'url(#plot-clip)' }, svg);
    let upper = [], lower = [], exp = [], val = [];
    if (dense) {
      const agg = new Map();
      for (let i = 0; i < n; i++) {
        const c = bucket(i);
        let g = agg.get(c);
        if (!g) { g = { hi: -Infinity, lo: Infinity, vmin: Infinity, vmax: -Infinity, esum: 0, en: 0, t: pts.t[i] }; agg.set(c, g); }
        if (isFinite(hi[i])) g.hi = Math.max(g.hi, hi[i]);
        if (isFinite(lo[i])) g.lo = Math.min(g.lo, lo[i]);
        g.vmin = Math.min(g.vmin, pts.value[i]);
        g.vmax = Math.max(g.vmax, pts.value[i]);
        if (isFinite(pts.expected[i])) { g.esum += pts.expected[i]; g.en++; }
      }
      const keys = [...agg.keys()].sort((a, b) => a - b);
      for (const c of keys) {
        const g = agg.get(c);
        const px = margin.left + c + 0.5;
        if (isFinite(g.hi) && isFinite(g.lo)) { upper.push([px, y(g.hi)]); lower.push([px, y(g.lo)]); }
        if (g.en) exp.push([px, y(g.esum / g.en)]);
        val.push([px, y(g.vmax)], [px, y(g.vmin)]);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const px = x(pts.t[i]);
        if (isFinite(hi[i]) && isFinite(lo[i])) { upper.push([px, y(hi[i])]); lower.push([px, y(lo[i])]); }
        if (isFinite(pts.expected[i])) exp.push([px, y(pts.expected[i])]);
        val.push([px, y(pts.value[i])]);
      }
    }
    const path = (ps) => ps.map((p, i) => (i ? 'L' : 'M') + p[0].toFixed(1) + ',' + p[1].toFixed(1)).join('');
    if (upper.length) el('path', { class: 'band', d: path(upper) + path(lower.reverse()).replace(/^M/, 'L') + 'Z' }, plot);
    if (exp.length) el('path', { class: 'expected', d: path(exp) }, plot);
    el('path', { class: 'value', d: path(val) }, plot);

    // stored events
    const eg = el('g', { id: 'events-layer' }, plot);
    for (const ev of state.events) {
      const t = Date.parse(ev.time);
      if (t < t0 || t > t1) continue;
      el('circle', { cx: x(t), cy: y(ev.value), r: 2.5, class: 'event-dot' }, eg);
    }

    // would-have-fired alerts at the slider's sensitivity, in the strip
    const ag = el('g', { id: 'alerts-layer' }, svg);
    const p = currentPoint();
    if (p) {
      for (const a of p.alerts) {
        if (a.silent) continue;
        const a0 = x(Date.parse(a.start));
        const a1 = x(Date.parse(a.end || a.last_event));
        const r = el('rect', { x: a0, y: margin.top, width: Math.max(a1 - a0, 3), height: alertStrip - 2, class: 'alert-marker' }, ag);
        el('title', {}, r).textContent = `would have paged at ${fmtTime(Date.parse(a.fired_at))}: peak score ${fmt2(a.peak_score)}`;
      }
    }
    el('rect', { id: 'selection', class: 'selection', x: 0, y: top, width: 0, height: plotH - alertStrip, visibility: 'hidden' }, svg);
  }

  // ---- dragging a range to label it ----

  function svgX(evt) {
    const svg = $('chart');
    const r = svg.getBoundingClientRect();
    return ((evt.clientX - r.left) / r.width) * (state.geom ? state.geom.width : r.width);
  }

  function timeAt(px) {
    const g = state.geom;
    const frac = (px - margin.left) / g.plotW;
    return g.t0 + Math.min(1, Math.max(0, frac)) * (g.t1 - g.t0);
  }

  function onDown(evt) {
    if (evt.button !== 0 || !state.geom || !state.points) return;
    const px = svgX(evt);
    if (px < margin.left || px > state.geom.width - margin.right) return;
    evt.preventDefault();
    const sel = $('selection');
    const drag = { x0: px, x1: px };
    const move = (e) => {
      drag.x1 = Math.min(Math.max(svgX(e), margin.left), state.geom.width - margin.right);
      const a = Math.min(drag.x0, drag.x1), b = Math.max(drag.x0, drag.x1);
      sel.setAttribute('x', a);
      sel.setAttribute('width', b - a);
      sel.setAttribute('visibility', 'visible');
    };
    const up = (e) => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      move(e);
      if (Math.abs(drag.x1 - drag.x0) < 4) {
        sel.setAttribute('visibility', 'hidden');
        return;
      }
      const from = timeAt(Math.min(drag.x0, drag.x1));
      const to = timeAt(Math.max(drag.x0, drag.x1));
      state.pending = { from, to };
      $('label-range').textContent = `${fmtTime(from)} – ${fmtTime(to)}`;
      $('label-form').hidden = false;
      $('label-kind').focus();
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  }

  async function submitLabel(evt) {
    evt.preventDefault();
    const p = state.pending;
    if (!p) return;
    const btn = $('label-save');
    btn.disabled = true;
    try {
      await api('POST', '/api/v1/labels', {
        monitor: state.monitor,
        series: state.series,
        from: new Date(p.from).toISOString(),
        to: new Date(p.to).toISOString(),
        kind: $('label-kind').value,
        note: $('label-note').value,
      });
      state.pending = null;
      $('label-form').hidden = true;
      $('label-note').value = '';
      status('labelled; backtesting again with the new label…');
      await refresh();
    } catch (e) {
      status('could not label: ' + e.message, true);
    } finally {
      btn.disabled = false;
    }
  }

  function cancelLabel() {
    state.pending = null;
    $('label-form').hidden = true;
    $('selection') && $('selection').setAttribute('visibility', 'hidden');
  }

  // ---- saving ----

  async function save() {
    const btn = $('save');
    btn.disabled = true;
    try {
      const t = await api('PUT', `/api/v1/monitors/${encodeURIComponent(state.monitor)}/tuning`, {
        detector: { type: $('type').value, sensitivity: Number($('sensitivity').value), direction: $('direction').value },
        note: $('save-note').value,
      });
      showTuning(t, false);
      status('saved: the monitor\'s next run uses this setting');
    } catch (e) {
      status('could not save: ' + e.message, true);
    } finally {
      btn.disabled = false;
    }
  }

  async function reset() {
    try {
      const t = await api('DELETE', `/api/v1/monitors/${encodeURIComponent(state.monitor)}/tuning`);
      showTuning(t, true);
      status('back to the configuration\'s setting');
      await refresh();
    } catch (e) {
      status('could not reset: ' + e.message, true);
    }
  }

  // ---- wiring ----

  let budgetTimer = 0;
  function init() {
    const want = new URLSearchParams(location.search).get('range');
    if (want && [...$('range').options].some((o) => o.value === want)) $('range').value = want;
    $('monitor').addEventListener('change', (e) => loadMonitor(e.target.value, false).catch((err) => status(err.message, true)));
    $('series').addEventListener('change', (e) => { state.series = state.seriesList[Number(e.target.value)]; refresh(); });
    for (const id of ['range', 'type', 'direction']) $(id).addEventListener('change', refresh);
    $('budget').addEventListener('input', () => { clearTimeout(budgetTimer); budgetTimer = setTimeout(refresh, 400); });
    $('sensitivity').addEventListener('input', () => { renderFigures(); renderChart(); });
    $('use-recommended').addEventListener('click', () => {
      if (!state.sweep) return;
      $('sensitivity').value = String(state.sweep.recommended.sensitivity);
      renderFigures();
      renderChart();
    });
    $('save').addEventListener('click', save);
    $('reset').addEventListener('click', reset);
    $('chart').addEventListener('mousedown', onDown);
    $('label-form').addEventListener('submit', submitLabel);
    $('label-cancel').addEventListener('click', cancelLabel);
    window.addEventListener('resize', () => renderChart());
    loadMonitors().catch((e) => status(e.message, true));
  }

  init();
})();
