import * as vega from 'vega';
import * as vl from 'vega-lite';
import { type ExperimentResults, familyRates } from './results.js';
import { HELD_OUT_FAMILIES } from './wrappers.js';

type Spec = vl.TopLevelSpec;

/** Renders a Vega-Lite spec to SVG without a browser. */
export async function renderSvg(spec: Spec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

/** Loss components over training steps, one line per arm and seed, one panel per component. */
export function lossCurvesSpec(r: ExperimentResults): Spec {
  const values = r.runs.flatMap((run) => run.curve.flatMap((p) => (['total', 'sft', 'qmm', 'dpsh'] as const)
    .filter((k) => p[k] !== undefined).map((k) => ({ arm: run.arm, seed: run.seed, run: `${run.arm} s${run.seed}`, step: p.step, component: k, loss: p[k] }))));
  return {
    title: 'Stage-1 loss components', data: { values },
    facet: { column: { field: 'component', type: 'nominal', sort: ['total', 'sft', 'qmm', 'dpsh'] } },
    spec: { width: 180, height: 140, mark: 'line', encoding: {
      x: { field: 'step', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative', scale: { zero: false } },
      color: { field: 'arm', type: 'nominal' }, detail: { field: 'run', type: 'nominal' },
    } },
    resolve: { scale: { y: 'independent' } },
  } as Spec;
}

/** Harmfulness per wrapper family per arm (mean over seeds), held-out families marked. */
export function familySpec(r: ExperimentResults): Spec {
  const arms = [...new Set(r.runs.map((x) => x.arm))];
  const base = Object.entries(r.base.summary.harmfulness.perFamily).map(([family, v]) => ({ arm: 'base', family, rate: v.rate }));
  const values = [...base, ...arms.flatMap((arm) => [...familyRates(r.runs, arm)].map(([family, s]) => ({ arm, family, rate: s.mean })))]
    .map((v) => ({ ...v, family: HELD_OUT_FAMILIES.includes(v.family) ? `${v.family} (held out)` : v.family }));
  return {
    title: 'Harmfulness rate per wrapper family', data: { values }, width: 520, height: 200,
    mark: 'bar', encoding: {
      x: { field: 'family', type: 'nominal', sort: null }, xOffset: { field: 'arm' },
      y: { field: 'rate', type: 'quantitative', scale: { domain: [0, 1] }, title: 'harmful share' },
      color: { field: 'arm', type: 'nominal' },
    },
  } as Spec;
}

/** The analyses: attention from K to U and to the query, and probe accuracy, per arm. */
export function analysisSpec(r: ExperimentResults): Spec {
  const rows = [{ arm: 'base', a: r.base.analysis }, ...r.runs.map((x) => ({ arm: x.arm, a: x.analysis }))];
  const values = rows.flatMap(({ arm, a }) => [
    { arm, measure: 'attention K->U', value: a.toU }, { arm, measure: 'attention K->query', value: a.toQuery }, { arm, measure: 'probe accuracy', value: a.probe },
  ]);
  return {
    title: 'Where K looks, and how well the hidden state before K separates harmful requests', data: { values },
    facet: { column: { field: 'measure', type: 'nominal' } },
    spec: { width: 160, height: 160, mark: { type: 'bar' }, encoding: {
      x: { field: 'arm', type: 'nominal' }, y: { aggregate: 'mean', field: 'value', type: 'quantitative' }, color: { field: 'arm', type: 'nominal' },
    } },
    resolve: { scale: { y: 'independent' } },
  } as Spec;
}
