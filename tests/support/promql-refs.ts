import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { Histogram, Summary, type Registry } from 'prom-client';
import type { ServedMetric } from '../../src/metrics/served-metrics.js';

/** What an endpoint serves: series name → its label names. */
export type ServedSeries = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * The series prom-client registries serve, from each metric's name, type and label names (no values needed):
 * a histogram is `_bucket` (with `le`), `_sum` and `_count`.
 */
export function servedSeries(...registries: Registry[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of registries) {
    for (const m of r.getMetricsAsArray()) {
      const raw: unknown = 'labelNames' in m ? m.labelNames : [];
      const labels = Array.isArray(raw) ? raw.map(String) : [];
      if (m instanceof Histogram) {
        out.set(`${m.name}_bucket`, new Set([...labels, 'le']));
        out.set(`${m.name}_sum`, new Set(labels));
        out.set(`${m.name}_count`, new Set(labels));
      } else if (m instanceof Summary) {
        out.set(m.name, new Set([...labels, 'quantile']));
        out.set(`${m.name}_sum`, new Set(labels));
        out.set(`${m.name}_count`, new Set(labels));
      } else {
        out.set(m.name, new Set(labels));
      }
    }
  }
  return out;
}

/** The series names (histograms: _bucket with le, _sum, _count) and label sets of a list of served metrics. */
export function seriesOfServed(metrics: Iterable<ServedMetric>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of metrics) {
    if (m.type === 'histogram') {
      out.set(`${m.name}_bucket`, new Set([...m.labels, 'le']));
      out.set(`${m.name}_sum`, new Set(m.labels));
      out.set(`${m.name}_count`, new Set(m.labels));
    } else out.set(m.name, new Set(m.labels));
  }
  return out;
}

/** Grafana's interval variables, which are not PromQL: a duration stands in for them when parsing. */
const GRAFANA_INTERVALS = /\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g;

const childrenNamed = (node: SyntaxNode, name: string): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name === name) out.push(c);
  return out;
};

/**
 * What is wrong with one PromQL expression (empty: nothing), parsed with Prometheus's own grammar
 * (@prometheus-io/lezer-promql): a syntax error; a selector without a metric name or of a metric not served;
 * a label matcher on a label its metric lacks; a `by`/`without`/`on`/`ignoring` label that no metric under that
 * aggregation or operation has.
 */
export function promqlProblems(expr: string, served: ServedSeries): string[] {
  const text = expr.replace(GRAFANA_INTERVALS, '5m');
  const tree = parser.parse(text);
  const problems: string[] = [];
  const of = (n: SyntaxNode) => text.slice(n.from, n.to);
  let selectors = 0;
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) {
        problems.push(`syntax error at offset ${ref.from}: ${JSON.stringify(text.slice(Math.max(0, ref.from - 20), ref.from + 20))}`);
        return;
      }
      if (ref.name === 'VectorSelector') {
        selectors++;
        const node = ref.node;
        const name = node.getChild('Identifier');
        if (!name) {
          problems.push(`selector ${of(node)} names no metric`);
          return false;
        }
        const metric = of(name);
        const labels = served.get(metric);
        if (!labels) {
          problems.push(`metric ${metric} is not served`);
          return false;
        }
        for (const matchers of childrenNamed(node, 'LabelMatchers'))
          for (const m of [...childrenNamed(matchers, 'UnquotedLabelMatcher'), ...childrenNamed(matchers, 'QuotedLabelMatcher')]) {
            const label = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
            const l = label ? of(label).replace(/^"|"$/g, '') : '';
            if (!labels.has(l)) problems.push(`metric ${metric} has no label ${JSON.stringify(l)}`);
          }
        return false;
      }
      if (ref.name === 'GroupingLabels') {
        // GroupingLabels ⊂ AggregateModifier (by/without) or MatchingModifierClause (on/ignoring) ⊂ the expression.
        const scope = ref.node.parent?.parent;
        if (!scope) return false;
        const known = new Set<string>();
        tree.iterate({
          from: scope.from,
          to: scope.to,
          enter(s) {
            if (s.name !== 'VectorSelector' || s.from < scope.from || s.to > scope.to) return;
            const id = s.node.getChild('Identifier');
            for (const l of served.get(id ? of(id) : '') ?? []) known.add(l);
          },
        });
        for (const l of childrenNamed(ref.node, 'LabelName'))
          if (!known.has(of(l))) problems.push(`${of(l)} in ${of(ref.node)}: no metric under ${JSON.stringify(of(scope))} has that label`);
        return false;
      }
      return undefined;
    },
  });
  if (selectors === 0 && problems.length === 0) problems.push('no metric selector');
  return problems;
}

/** Grafana's `label_values(<selector>, <label>)` variable query: the selector checked as PromQL, the label against its metric. */
export function labelValuesProblems(query: string, served: ServedSeries): string[] {
  const m = /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(query.trim());
  if (!m) return [`not a label_values(<selector>, <label>) query: ${query}`];
  const [, selector = '', label = ''] = m;
  const problems = promqlProblems(selector, served);
  const metric = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(selector)?.[0] ?? '';
  if (problems.length === 0 && !served.get(metric)?.has(label)) problems.push(`metric ${metric} has no label ${label}`);
  return problems;
}
