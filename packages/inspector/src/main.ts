// The inspector page: start the backend, open one or two checkpoints, ask each the same prompt, show what
// happened. `window.inspector` holds every shown value (for tests and the console).
import * as E from 'fp-ts/lib/Either.js';
import { type Answer, type OpenModel, ask, openModel } from './model.js';
import { type BackendInUse, describeBackend, startBackend } from './backendChoice.js';
import { type NamedFiles, type OfferedPrompt, fetchCheckpoint, fetchSession, groupDropped, groupPicked } from './checkpointFiles.js';
import { attentionView, el, headsView, tokenTexts, tokensView } from './render.js';

interface PaneState {
  readonly name: string;
  status: 'open' | 'generating' | 'done' | 'error';
  error?: string;
  answer?: Answer;
  /** Seconds of this answer's time spent compiling kernels. */
  compileSeconds?: number;
}
interface InspectorState { backend: BackendInUse | { error: string } | null; panes: PaneState[]; busy: boolean; runs: number }

const state: InspectorState = { backend: null, panes: [], busy: false, runs: 0 };
(window as unknown as { inspector: InspectorState }).inspector = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
/** One opened checkpoint: its element, its model (null when it failed to open) and its shown state. */
interface Pane { readonly el: HTMLElement; readonly model: OpenModel | null; readonly state: PaneState }
const panes: Pane[] = [];
const opened = () => panes.filter((p): p is Pane & { model: OpenModel } => p.model !== null);
const MAX_PANES = 2;

function status(text: string) { $('status').textContent = text; }

function addModel(named: NamedFiles) {
  const model = openModel(named);
  const pane = el('article', { class: 'pane', 'data-name': named.name });
  pane.append(el('h2', {}, named.name));
  const ps: PaneState = E.isLeft(model) ? { name: named.name, status: 'error', error: model.left } : { name: named.name, status: 'open' };
  if (E.isLeft(model)) pane.append(el('p', { class: 'error' }, model.left));
  else {
    const { config, head, lora } = model.right.checkpoint;
    pane.append(el('p', { class: 'meta' }, `${config.model_type}, ${config.num_hidden_layers} layers, ${config.num_attention_heads} heads, hidden ${config.hidden_size}${lora ? `, LoRA r=${lora.rank}` : ''}${head ? ', safety head' : ', no safety head'}`));
  }
  panes.push({ el: pane, model: E.isLeft(model) ? null : model.right, state: ps });
  state.panes.push(ps);
  $('panes').append(pane);
  ($('generate') as HTMLButtonElement).disabled = opened().length === 0;
}

async function addAll(list: readonly NamedFiles[]) {
  for (const n of list) {
    if (opened().length >= MAX_PANES) { status(`at most ${MAX_PANES} checkpoints side by side: ${n.name} was not opened`); break; }
    addModel(n);
  }
}

function clearAll() {
  panes.length = 0; state.panes.length = 0;
  $('panes').replaceChildren();
  ($('generate') as HTMLButtonElement).disabled = true;
}

const backendCompileMs = () => (state.backend && 'compileMs' in state.backend ? state.backend.compileMs() : 0);

function showAnswer(pane: HTMLElement, m: OpenModel, a: Answer, compileSeconds: number) {
  pane.dataset.ids = JSON.stringify(a.ids);
  pane.dataset.verdict = a.verdict;
  pane.querySelector('.response')!.textContent = a.text;
  const mode = state.backend && 'mode' in state.backend ? state.backend.mode : '?';
  pane.append(
    el('p', { class: `verdict ${a.verdict}` }, `Judge: ${a.verdict}. ${a.ids.length} tokens (${a.finishReason === 'stop' ? 'stopped at eos' : 'length limit'}), ${a.tokensPerSecond.toFixed(1)} tokens/s on gpu.js ${mode}${compileSeconds > 0.05 ? ` (${compileSeconds.toFixed(1)} s of it compiling kernels, once per shape)` : ''}.`),
  );
  if ('error' in a.inspection) { pane.append(el('p', { class: 'error' }, `U and K: ${a.inspection.error}`)); return; }
  const texts = tokenTexts(m.checkpoint.tokenizer, a.inspection, a.text);
  pane.append(tokensView(texts, a.inspection), headsView(a.inspection), attentionView(texts, a.inspection));
}

async function generateAll() {
  const prompt = ($('prompt') as HTMLTextAreaElement).value.trim();
  if (prompt === '' || state.busy) return;
  const harmful = ($('harmful') as HTMLInputElement).checked;
  const maxNew = Math.max(1, Math.min(512, Number(($('max-tokens') as HTMLInputElement).value) || 64));
  state.busy = true;
  ($('generate') as HTMLButtonElement).disabled = true;
  try {
    for (const { el: pane, model, state: ps } of opened()) {
      pane.querySelectorAll('.response, .verdict, .tokens, figure, .error').forEach((e) => e.remove());
      const live = el('pre', { class: 'response' });
      pane.append(live);
      ps.status = 'generating';
      status(`${model.name}: generating...`);
      const compiled0 = backendCompileMs();
      try {
        const r = await ask(model, prompt, harmful, maxNew, (text, n) => { live.textContent = text; status(`${model.name}: ${n} tokens`); });
        if (E.isLeft(r)) { ps.status = 'error'; ps.error = r.left; pane.append(el('p', { class: 'error' }, r.left)); continue; }
        ps.answer = r.right;
        ps.compileSeconds = (backendCompileMs() - compiled0) / 1000;
        ps.status = 'done';
        showAnswer(pane, model, r.right, ps.compileSeconds);
      } catch (e) {
        ps.status = 'error'; ps.error = String(e instanceof Error ? e.message : e);
        pane.append(el('p', { class: 'error' }, ps.error));
      }
    }
    status('');
  } finally {
    state.busy = false; state.runs++;
    ($('generate') as HTMLButtonElement).disabled = opened().length === 0;
  }
}

function offerPrompts(prompts: readonly OfferedPrompt[]) {
  const select = $('examples') as HTMLSelectElement;
  prompts.forEach((p, i) => select.append(el('option', { value: String(i) }, `${p.kind ?? (p.harmful ? 'harmful' : 'benign')}${p.family ? ` / ${p.family}` : ''}: ${p.prompt.slice(0, 90)}`)));
  select.addEventListener('change', () => {
    const p = prompts[Number(select.value)];
    if (!p || select.value === '') return;
    ($('prompt') as HTMLTextAreaElement).value = p.prompt;
    ($('harmful') as HTMLInputElement).checked = p.harmful === 1;
  });
}

async function start() {
  try {
    state.backend = startBackend(params.get('backend'));
    $('backend').textContent = `Backend: ${describeBackend(state.backend)}`;
    $('backend').dataset.mode = state.backend.mode;
  } catch (e) {
    state.backend = { error: String(e instanceof Error ? e.message : e) };
    $('backend').textContent = `No backend: ${state.backend.error}`;
    return;
  }
  $('pick').addEventListener('change', async (ev) => { const files = (ev.target as HTMLInputElement).files; if (files) await addAll(await groupPicked(files)); });
  document.body.addEventListener('dragover', (ev) => ev.preventDefault());
  document.body.addEventListener('drop', async (ev) => { ev.preventDefault(); if (ev.dataTransfer) await addAll(await groupDropped(ev.dataTransfer.items)); });
  $('clear').addEventListener('click', clearAll);
  $('generate').addEventListener('click', () => void generateAll());
  const session = await fetchSession();
  if (session) {
    offerPrompts(session.prompts);
    status(`loading ${session.checkpoints.length} checkpoint(s)...`);
    for (let i = 0; i < session.checkpoints.length && i < MAX_PANES; i++) await addAll([await fetchCheckpoint(session, i)]);
    status('');
  }
  const asked = params.get('prompt');
  if (asked !== null) {
    ($('prompt') as HTMLTextAreaElement).value = asked;
    ($('harmful') as HTMLInputElement).checked = params.get('harmful') === '1';
    if (params.has('max')) ($('max-tokens') as HTMLInputElement).value = params.get('max')!;
    if (params.get('run') === '1' && opened().length > 0) await generateAll();
  }
}

void start();
