// The dashboard page: run list, one uPlot chart per scalar with the selected runs overlaid,
// live rows over server-sent events, and a config diff between two runs. Plain browser JS,
// no build step; uPlot (https://github.com/leeoniya/uPlot) is loaded before this file.

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const MAX_DEFAULT_SELECTED = 6;
const RENDER_DELAY_MS = 120;
const RUNS_POLL_MS = 3000;

const state = {
  runs: new Map(), // name → { name, color, series, lastStep, t0, stream, warnings }
  selected: new Set(),
  charts: new Map(), // metric → { el, plot, signature }
  xMode: 'step',
  smoothing: 0,
  firstListing: true,
  renderTimer: 0,
};

const $ = (id) => document.getElementById(id);

function api(path) {
  return fetch(path).then((res) => {
    if (!res.ok) return res.json().then((body) => Promise.reject(new Error(body.message || res.statusText)));
    return res.json();
  });
}

/** Loss-like scalars first, then learning rate, then the rest alphabetically (eval/* sorts together). */
function metricOrder(a, b) {
  const rank = (k) => (k === 'loss' ? 0 : /loss/.test(k) ? 1 : /^(lr|learning_rate)$/.test(k) ? 2 : 3);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function scheduleRender() {
  if (state.renderTimer) return;
  state.renderTimer = setTimeout(() => {
    state.renderTimer = 0;
    render();
  }, RENDER_DELAY_MS);
}

function updateLive() {
  const open = [...state.runs.values()].filter((r) => r.stream && r.stream.readyState === EventSource.OPEN);
  $('live').textContent = open.length
    ? `● live (${open.length} stream${open.length > 1 ? 's' : ''})`
    : '○ idle';
  $('live').classList.toggle('on', open.length > 0);
}

function openStream(run) {
  resetRun(run);
  run.stream = new EventSource(`/api/runs/${encodeURIComponent(run.name)}/stream`);
  run.stream.addEventListener('rows', (event) => {
    ingest(run, JSON.parse(event.data));
    renderRunList();
    scheduleRender();
  });
  run.stream.addEventListener('warning', () => {
    run.warnings++;
    renderRunList();
  });
  run.stream.addEventListener('open', updateLive);
  run.stream.addEventListener('error', updateLive);
}

function setSelected(name, on) {
  const run = state.runs.get(name);
  if (on) {
    state.selected.add(name);
    if (!run.stream) openStream(run);
  } else {
    state.selected.delete(name);
    if (run.stream) run.stream.close();
    run.stream = null;
    resetRun(run);
  }
  updateLive();
  renderRunList();
  scheduleRender();
}

function renderRunList() {
  const list = $('runs');
  list.textContent = '';
  for (const run of state.runs.values()) {
    const li = document.createElement('li');
    li.dataset.run = run.name;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = state.selected.has(run.name);
    box.addEventListener('change', () => setSelected(run.name, box.checked));
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = run.color;
    const name = document.createElement('label');
    name.className = 'name';
    name.textContent = run.name;
    name.addEventListener('click', () => {
      box.checked = !box.checked;
      setSelected(run.name, box.checked);
    });
    li.append(box, swatch, name);
    if (run.lastStep !== undefined) {
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = `step ${run.lastStep}`;
      li.append(meta);
    }
    if (run.warnings) {
      const warn = document.createElement('span');
      warn.className = 'warn';
      warn.title = 'lines of metrics.jsonl that could not be parsed were skipped';
      warn.textContent = `⚠ ${run.warnings}`;
      li.append(warn);
    }
    list.append(li);
  }
  $('no-runs').hidden = state.runs.size > 0;
}

function fillDiffSelects() {
  const names = [...state.runs.keys()];
  for (const [id, fallback] of [
    ['diff-a', 0],
    ['diff-b', 1],
  ]) {
    const select = $(id);
    const keep = select.value;
    select.textContent = '';
    for (const name of names) select.append(new Option(name, name));
    select.value = names.includes(keep) ? keep : (names[Math.min(fallback, names.length - 1)] ?? '');
  }
  loadDiff();
}

function formatConfigValue(value) {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

function loadDiff() {
  const a = $('diff-a').value;
  const b = $('diff-b').value;
  const body = $('diff-table').tBodies[0];
  $('diff-a-name').textContent = a || 'A';
  $('diff-b-name').textContent = b || 'B';
  if (!a || !b) return;
  api(`/api/diff?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`).then(
    (diff) => {
      body.textContent = '';
      for (const d of diff.differences) {
        const tr = body.insertRow();
        tr.insertCell().textContent = d.key;
        tr.insertCell().textContent = formatConfigValue(d.a);
        tr.insertCell().textContent = formatConfigValue(d.b);
      }
      $('diff-note').textContent =
        a === b ? 'Same run on both sides.' : `${diff.differences.length} differing key(s).`;
    },
    (err) => {
      $('diff-note').textContent = `diff failed: ${err.message}`;
    },
  );
}

function refreshRuns() {
  return api('/api/runs').then((listing) => {
    $('runs-dir').textContent = listing.runsDir;
    let added = false;
    for (const info of listing.runs) {
      if (state.runs.has(info.name)) continue;
      added = true;
      const color = COLORS[state.runs.size % COLORS.length];
      const run = { name: info.name, color, stream: null, warnings: 0 };
      resetRun(run);
      state.runs.set(info.name, run);
      if (state.firstListing && state.selected.size < MAX_DEFAULT_SELECTED) setSelected(info.name, true);
    }
    state.firstListing = false;
    if (added) {
      renderRunList();
      fillDiffSelects();
    }
  });
}

function resetRun(run) {
  run.series = new Map(); // metric → { step: Series, time: Series }, Series = { xs, ys } sorted by x
  run.lastStep = undefined;
  run.t0 = undefined;
}

/** Adds (x, y) keeping xs sorted and unique; a repeated x (a resumed run re-logging a step) replaces y. */
function addPoint(series, x, y) {
  const { xs, ys } = series;
  const n = xs.length;
  if (n === 0 || x > xs[n - 1]) {
    xs.push(x);
    ys.push(y);
    return;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (xs[lo] === x) ys[lo] = y;
  else {
    xs.splice(lo, 0, x);
    ys.splice(lo, 0, y);
  }
}

/** Folds new rows into per-metric series once, so a render never rescans the whole log. */
function ingest(run, rows) {
  for (const row of rows) {
    if (run.t0 === undefined) run.t0 = row.wall_time;
    run.lastStep = row.step;
    for (const key of Object.keys(row)) {
      const y = row[key];
      if (key === 'step' || key === 'wall_time' || typeof y !== 'number' || !Number.isFinite(y)) continue;
      let series = run.series.get(key);
      if (!series) {
        series = { step: { xs: [], ys: [] }, time: { xs: [], ys: [] } };
        run.series.set(key, series);
      }
      addPoint(series.step, row.step, y);
      addPoint(series.time, row.wall_time - run.t0, y);
    }
  }
}

/**
 * TensorBoard's smoothing: an exponential moving average debiased for its zero start, so the
 * first points are not pulled towards 0 (tensorboard/webapp/widgets/line_chart_v2/lib/smoothing).
 */
function smooth(ys, weight) {
  if (!weight) return ys.slice();
  let last = 0;
  return ys.map((y, i) => {
    last = last * weight + (1 - weight) * y;
    return last / (1 - weight ** (i + 1));
  });
}

/**
 * uPlot wants one shared x array: merge the runs' sorted x arrays (k-way), with null where a run
 * has no point at that x.
 */
function alignedData(runs, metric) {
  const list = runs.map((run) => {
    const series = run.series.get(metric);
    return series ? series[state.xMode] : { xs: [], ys: [] };
  });
  const count = list.reduce((n, s) => n + s.xs.length, 0);
  // Common case: every run logged the same steps, so no merge and no nulls are needed.
  const first = list[0].xs;
  const same = list.every((s) => s.xs.length === first.length && s.xs.every((x, i) => x === first[i]));
  const ys = list.map((s) => smooth(s.ys, state.smoothing));
  if (same) return { data: [first.slice(), ...ys], count };
  const xs = [];
  const out = list.map(() => []);
  const at = list.map(() => 0);
  for (;;) {
    let x = Number.POSITIVE_INFINITY;
    for (let k = 0; k < list.length; k++)
      if (at[k] < list[k].xs.length && list[k].xs[at[k]] < x) x = list[k].xs[at[k]];
    if (x === Number.POSITIVE_INFINITY) break;
    xs.push(x);
    for (let k = 0; k < list.length; k++) {
      if (at[k] < list[k].xs.length && list[k].xs[at[k]] === x) out[k].push(ys[k][at[k]++]);
      else out[k].push(null);
    }
  }
  return { data: [xs, ...out], count };
}

/** Short labels: exponents for very small or large magnitudes (learning rates), 4 significant digits otherwise. */
function formatNumber(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '--';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return Number(v.toExponential(3)).toExponential();
  return String(Number(v.toPrecision(4)));
}

function chartWidth(el) {
  return Math.max(300, el.clientWidth - 12);
}

function makePlot(el, metric, runs, data) {
  const xLabel = state.xMode === 'step' ? 'step' : 'wall time (s since run start)';
  const plot = new uPlot(
    {
      title: metric,
      width: chartWidth(el),
      height: 260,
      scales: { x: { time: false } },
      series: [
        { label: state.xMode === 'step' ? 'step' : 'wall time (s)' },
        ...runs.map((run) => ({
          label: run.name,
          value: (_u, v) => formatNumber(v),
          stroke: run.color,
          width: 1.5,
          spanGaps: true,
          points: { show: false },
        })),
      ],
      axes: [
        { label: xLabel },
        { label: metric, size: 70, values: (_u, splits) => splits.map(formatNumber) },
      ],
    },
    data,
    el,
  );
  // Solid legend swatches in each run's colour (uPlot draws only the outline for unfilled series).
  plot.root.querySelectorAll('.u-legend .u-series').forEach((row, i) => {
    const marker = row.querySelector('.u-marker');
    if (i > 0 && marker) marker.style.background = runs[i - 1].color;
  });
  return plot;
}

function render() {
  const runs = [...state.selected]
    .sort()
    .map((name) => state.runs.get(name))
    .filter((r) => r?.series.size);
  const metrics = new Set();
  for (const run of runs) for (const key of run.series.keys()) metrics.add(key);
  const ordered = [...metrics].sort(metricOrder);
  const signature = `${state.xMode}|${runs.map((r) => r.name).join('\n')}`;
  const container = $('charts');
  for (const [metric, chart] of state.charts) {
    if (metrics.has(metric)) continue;
    chart.plot.destroy();
    chart.el.remove();
    state.charts.delete(metric);
  }
  let position = 0; // charts follow metric order; moved only when out of place
  for (const metric of ordered) {
    const { data, count } = alignedData(runs, metric);
    let chart = state.charts.get(metric);
    if (!chart) {
      const el = document.createElement('section');
      el.className = 'chart';
      el.dataset.metric = metric;
      chart = { el, plot: null, signature: '' };
      state.charts.set(metric, chart);
    }
    if (container.children[position] !== chart.el)
      container.insertBefore(chart.el, container.children[position] ?? null);
    position++;
    if (chart.signature !== signature) {
      if (chart.plot) chart.plot.destroy();
      chart.plot = makePlot(chart.el, metric, runs, data);
      chart.signature = signature;
    } else {
      chart.plot.setData(data);
    }
    chart.el.dataset.points = String(count);
  }
  $('no-metrics').hidden = ordered.length > 0 || state.selected.size === 0;
}

window.addEventListener('resize', () => {
  for (const chart of state.charts.values()) chart.plot.setSize({ width: chartWidth(chart.el), height: 260 });
});
$('x-mode').addEventListener('change', (event) => {
  state.xMode = event.target.value;
  scheduleRender();
});
$('smoothing').addEventListener('change', (event) => {
  state.smoothing = Number(event.target.value);
  scheduleRender();
});
$('diff-a').addEventListener('change', loadDiff);
$('diff-b').addEventListener('change', loadDiff);

refreshRuns().then(
  () => setInterval(refreshRuns, RUNS_POLL_MS),
  (err) => {
    $('live').textContent = `error: ${err.message}`;
  },
);
