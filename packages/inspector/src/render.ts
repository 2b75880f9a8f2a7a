// The page's drawing of one pane: the response's tokens with U and K marked, the safety heads' probabilities over
// the response, and K's attention per layer and head. Every drawn value is also in a data attribute.
import { type Tokenizer, decode } from '@safekey-ts/hf/browser';
import type { ResponseInspection } from '@safekey-ts/safekey';

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};
const svgEl = (tag: string, attrs: Record<string, string | number>): SVGElement => {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};
const visible = (s: string) => s.replace(/\n/g, '⏎');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Each token's text: the prompt's decoded one by one, the response's cut from the response by its offsets. */
export function tokenTexts(tok: Tokenizer, ins: ResponseInspection, response: string): string[] {
  const { ids, promptEnd } = ins.spans;
  const prompt = ids.slice(0, promptEnd).map((id) => decode(tok, [id]));
  const answer = ins.offsets.map(([a, b]) => response.slice(a, b));
  const eos = ids.slice(promptEnd + answer.length).map((id) => decode(tok, [id]));
  return [...prompt, ...answer, ...eos];
}

const role = (i: number, ins: ResponseInspection) =>
  i < ins.spans.promptEnd ? 'prompt' : i < ins.spans.keyStart ? 'u' : i < ins.spans.keyEnd ? 'k' : 'rest';

/** The sequence's tokens, U and K marked. */
export function tokensView(texts: readonly string[], ins: ResponseInspection): HTMLElement {
  const box = el('div', { class: 'tokens', 'data-prompt-end': String(ins.spans.promptEnd), 'data-key-start': String(ins.spans.keyStart), 'data-key-end': String(ins.spans.keyEnd) });
  texts.forEach((t, i) => box.append(el('span', { class: `tok ${role(i, ins)}`, 'data-index': String(i), title: `token ${i}: id ${ins.spans.ids[i]}` }, visible(t))));
  return box;
}

/** The two heads' probabilities at each response position, with U and K shaded. */
export function headsView(ins: ResponseInspection): HTMLElement {
  const fig = el('figure', { class: 'heads' });
  if (!ins.context || !ins.understanding) {
    fig.append(el('figcaption', {}, 'No safety head in this checkpoint (safety_head.safetensors): nothing to plot.'));
    return fig;
  }
  fig.dataset.context = JSON.stringify(ins.context);
  fig.dataset.understanding = JSON.stringify(ins.understanding);
  const n = ins.context.length, w = 520, h = 140, pad = 24;
  const x = (i: number) => pad + (n <= 1 ? 0 : (i / (n - 1)) * (w - 2 * pad));
  const y = (p: number) => h - pad - p * (h - 2 * pad);
  const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img' });
  const { promptEnd, keyStart, keyEnd } = ins.spans;
  const band = (a: number, b: number, cls: string) => svg.append(svgEl('rect', { x: x(a - promptEnd) - 2, y: pad, width: Math.max(4, x(b - 1 - promptEnd) - x(a - promptEnd) + 4), height: h - 2 * pad, class: cls }));
  band(promptEnd, keyStart, 'band-u');
  band(keyStart, keyEnd, 'band-k');
  for (const p of [0, 0.5, 1]) {
    svg.append(svgEl('line', { x1: pad, x2: w - pad, y1: y(p), y2: y(p), class: 'grid' }));
    const label = svgEl('text', { x: 2, y: y(p) + 4, class: 'axis' });
    label.textContent = p.toFixed(1);
    svg.append(label);
  }
  const line = (ps: readonly number[], cls: string) =>
    svg.append(svgEl('polyline', { points: ps.map((p, i) => `${x(i)},${y(p)}`).join(' '), class: cls }));
  line(ins.context, 'line-context');
  line(ins.understanding, 'line-understanding');
  const legend = el('p', { class: 'legend' });
  legend.append(el('span', { class: 'key-context' }, '— context head'), ' ', el('span', { class: 'key-understanding' }, '— understanding head'));
  fig.append(legend, svg, el('figcaption', {}, `P(harmful) by the context head (mean over the prompt and the response so far) and the understanding head (mean over the response so far), at each response token; U shaded blue, K orange. At the last U token: context ${pct(ins.context[keyStart - 1 - promptEnd])}, understanding ${pct(ins.understanding[keyStart - 1 - promptEnd])}.`));
  return fig;
}

/** K's mean attention per layer and head over the prompt and U, with the mass on each. */
export function attentionView(texts: readonly string[], ins: ResponseInspection): HTMLElement {
  const fig = el('figure', { class: 'attention' });
  fig.dataset.kToQuery = JSON.stringify(ins.kToQuery);
  fig.dataset.kToU = JSON.stringify(ins.kToU);
  const table = el('table');
  const head = el('tr');
  head.append(el('th', {}, 'layer.head'), el('th', {}, 'query'), el('th', {}, 'U'));
  texts.slice(0, ins.spans.keyStart).forEach((t, i) => head.append(el('th', { class: `col ${role(i, ins)}`, title: t }, visible(t))));
  table.append(head);
  ins.kAttention.forEach((layer, l) => layer.forEach((row, h) => {
    const max = Math.max(...row, 1e-9);
    const tr = el('tr', { 'data-layer': String(l), 'data-head': String(h) });
    tr.append(el('th', {}, `${l}.${h}`), el('td', { class: 'mass' }, pct(ins.kToQuery[l][h])), el('td', { class: 'mass' }, pct(ins.kToU[l][h])));
    row.forEach((v, c) => {
      const cell = el('td', { class: 'cell', title: `${visible(texts[c])}: ${v.toFixed(4)}`, 'data-value': String(v) });
      cell.style.background = `rgba(200, 60, 20, ${(v / max).toFixed(3)})`;
      tr.append(cell);
    });
    table.append(tr);
  }));
  fig.append(el('div', { class: 'scroll' }, undefined), el('figcaption', {}, 'K\'s attention (mean over K\'s tokens) per layer and head: its mass on the query and on U, and its weight on each prompt and U token (darker is more, scaled per row).'));
  fig.querySelector('.scroll')!.append(table);
  return fig;
}

export { el };
