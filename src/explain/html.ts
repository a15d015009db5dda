/**
 * One self-contained HTML page for an explanation: the prediction and its probabilities, the
 * tokens coloured by score (red pushes towards the target, blue away; Captum's visualize_text
 * convention), and an attention heatmap with a layer/head selector (plus head mean and rollout).
 * No external script, style or font: it opens offline.
 */
import type { Explanation } from './classifier.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** rgba for a score in [−1, 1]: red positive, blue negative, alpha by magnitude. */
function colour(v: number): string {
  const a = Math.min(1, Math.abs(v)).toFixed(3);
  return v >= 0 ? `rgba(220,40,40,${a})` : `rgba(40,90,220,${a})`;
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export function renderExplanationHtml(e: Explanation): string {
  const max = Math.max(1e-12, ...e.scores.map(Math.abs));
  const tokens = e.tokens
    .map(
      (t, i) =>
        `<span class="tok" style="background:${colour(e.scores[i] / max)}" title="${esc(t)}: ${e.scores[i].toPrecision(4)}">${esc(t)}</span>`,
    )
    .join(' ');
  const probs = e.labels
    .map(
      (l, i) =>
        `<tr${l === e.predicted ? ' class="pred"' : ''}><td>${esc(l)}</td><td>${e.probabilities[i].toFixed(4)}</td>` +
        `<td><div class="bar" style="width:${(e.probabilities[i] * 200).toFixed(1)}px"></div></td></tr>`,
    )
    .join('');
  const c = e.completeness;
  const check = c
    ? `<p>Integrated gradients (${c.steps} steps, ${c.integration}, ${c.baseline} baseline): Σ attributions ` +
      `${c.sum.toPrecision(6)}; f(x) − f(baseline) = ${c.fx.toPrecision(6)} − ${c.fBaseline.toPrecision(6)} = ` +
      `${(c.fx - c.fBaseline).toPrecision(6)}; completeness error ${c.delta.toExponential(2)}.</p>`
    : '';
  const layers = e.attentions?.length ?? 0;
  const heads = e.attentions?.[0]?.length ?? 0;
  const layerOptions = Array.from(
    { length: layers },
    (_, l) => `<option value="${l}">layer ${l}</option>`,
  ).join('');
  const headOptions =
    Array.from({ length: heads }, (_, h) => `<option value="${h}">head ${h}</option>`).join('') +
    '<option value="mean">mean of heads</option>';
  const attention =
    layers > 0
      ? `<h2>Attention</h2>
<p><label>Layer <select id="layer">${layerOptions}<option value="rollout">rollout (all layers)</option></select></label>
<label>Head <select id="head">${headOptions}</select></label> <span id="which"></span></p>
<table id="heatmap"></table>`
      : '<p>No attention maps in this report.</p>';
  const data = { tokens: e.tokens, attentions: e.attentions, rollout: e.rollout };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>llmk explain: ${esc(e.predicted)}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}
.tok{padding:2px 3px;border-radius:3px;display:inline-block;margin:1px 0}
table.p td{padding:2px 8px}.pred{font-weight:bold}.bar{height:10px;background:#555}
#heatmap{border-collapse:collapse;font-size:11px}#heatmap td{width:22px;height:22px;padding:0;text-align:center}
#heatmap th{font-weight:normal;padding:0 4px;white-space:nowrap}#heatmap thead th{writing-mode:vertical-rl}
.notice{background:#fff4d6;padding:6px 10px;border-left:4px solid #e0a800}
</style></head><body>
<h1>Why “${esc(e.predicted)}”?</h1>
${e.truncated ? `<p class="notice" id="truncated">${esc(e.truncated)}</p>` : ''}
<h2>Prediction</h2><table class="p">${probs}</table>
<h2>Tokens (${esc(e.method)}, target “${esc(e.target)}”)</h2>
<p id="tokens">${tokens}</p>
<p>Red pushes towards “${esc(e.target)}”, blue away; colour scaled by the largest |score| = ${max.toPrecision(3)}.</p>
${check}
${attention}
<script type="application/json" id="data">${scriptJson(data)}</script>
<script>
(function(){
  var d = JSON.parse(document.getElementById('data').textContent);
  var L = document.getElementById('layer'), H = document.getElementById('head');
  if (!L || !d.attentions) return;
  function matrix(){
    if (L.value === 'rollout') return d.rollout;
    var hs = d.attentions[+L.value];
    if (H.value !== 'mean') return hs[+H.value];
    return hs[0].map(function(row, i){ return row.map(function(_, j){
      var s = 0; for (var h = 0; h < hs.length; h++) s += hs[h][i][j]; return s / hs.length; }); });
  }
  function draw(){
    var m = matrix(), t = d.tokens, html = '<thead><tr><th></th>';
    for (var j = 0; j < t.length; j++) html += '<th>' + esc(t[j]) + '</th>';
    html += '</tr></thead><tbody>';
    for (var i = 0; i < t.length; i++){
      html += '<tr><th>' + esc(t[i]) + '</th>';
      for (var k = 0; k < t.length; k++){
        var v = m[i][k];
        html += '<td title="' + v.toFixed(3) + '" style="background:rgba(30,30,160,' + v.toFixed(3) + ')"></td>';
      }
      html += '</tr>';
    }
    document.getElementById('heatmap').innerHTML = html + '</tbody>';
    H.disabled = L.value === 'rollout';
    document.getElementById('which').textContent = L.value === 'rollout' ? 'rollout' : 'layer ' + L.value + ', head ' + H.value;
  }
  function esc(s){ return String(s).replace(/[&<>"']/g, function(c){ return '&#' + c.charCodeAt(0) + ';'; }); }
  L.addEventListener('change', draw); H.addEventListener('change', draw); draw();
})();
</script>
</body></html>
`;
}
