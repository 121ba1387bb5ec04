// Batch: progress by state as a bar, the batch's runs with the failed ones first (with the
// failing tasks' errorExcerpt), and the batch's cost when the gateway can tell it.
import { gql } from '../api.js';
import { add, badge, duration, empty, h, loading, scroller, span, stateBar, time, usd, warnings } from '../dom.js';
import { link } from '../router.js';

const QUERY = `query Batch($id: ID!, $after: String) {
  node(id: $id) {
    id
    ... on Batch {
      name status state totalRuns createdAt source provider
      runs(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges {
          submission { runSettingId submissionStatus submissionFailureReason submissionFailureMessage }
          node { id nativeId name status state createdAt startedAt stoppedAt }
        }
      }
    }
    ... on HealthOmicsBatch { cost { totalUsd complete runsCounted runsWithoutCost } }
  }
}`;
const EXCERPTS = `query Excerpts($ids: [ID!]!) {
  nodes(ids: $ids) {
    id
    ... on HealthOmicsRun { statusMessage failureReason
      tasks(first: 3, status: "FAILED") { edges { node { name errorExcerpt } } } }
    ... on TencentRun { tasks(first: 10) { edges { node { name errorExcerpt } } } }
  }
}`;
const MAX_PAGES = 20;
const FAILED = new Set(['FAILED', 'TIMED_OUT', 'ABORTED', 'SUBMISSION_FAILED']);

async function load(id) {
  let batch = null, after = null, errors = [];
  const edges = [];
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const answer = await gql(QUERY, { id, after });
    errors = errors.concat(answer.errors);
    batch = answer.data.node;
    if (!batch || !batch.runs) break;
    edges.push(...batch.runs.edges);
    if (!batch.runs.pageInfo.hasNextPage) break;
    after = batch.runs.pageInfo.endCursor;
  }
  return { batch, edges, errors };
}

/** The why of a failure, on a row of its own under the run (full width, also on a phone). */
function excerptRow(info) {
  if (!info) return null;
  const lines = [];
  for (const t of (info.tasks && info.tasks.edges) || []) {
    for (const line of t.node.errorExcerpt || []) lines.push(`${t.node.name}: ${line}`);
  }
  const why = info.failureReason || info.statusMessage;
  if (!why && !lines.length) return null;
  return h('tr', { class: 'why' }, h('td', { colspan: 4, class: 'excerpt' }, h('div', {}, why ? h('p', {}, why) : '',
    lines.length ? h('pre', {}, lines.slice(-6).join('\n')) : '')));
}

function row(edge, info) {
  const run = edge.node, sub = edge.submission;
  if (!run) {
    const why = [sub && sub.submissionFailureReason, sub && sub.submissionFailureMessage].filter(Boolean).join(': ');
    return [h('tr', { class: 'failed', 'data-state': 'SUBMISSION_FAILED' },
      h('td', {}, (sub && sub.runSettingId) || '—'), h('td', {}, badge('SUBMISSION_FAILED')),
      h('td', {}, '—'), h('td', {}, '—')),
    why ? h('tr', { class: 'why' }, h('td', { colspan: 4, class: 'excerpt' }, h('div', {}, why))) : null];
  }
  return [h('tr', { 'data-state': run.state, class: FAILED.has(run.state) ? 'failed' : null },
    h('td', {}, h('a', { href: link('run', [run.id]) }, run.name || run.nativeId)), h('td', {}, badge(run.state)),
    h('td', {}, time(run.createdAt)), h('td', { class: 'num' }, run.stoppedAt ? duration(span(run.startedAt, run.stoppedAt)) : '—')),
  FAILED.has(run.state) ? excerptRow(info) : null];
}

export async function render(frame, r) {
  const id = r.args[0];
  frame.append(h('h1', { tabindex: -1 }, 'Batch'), loading('the batch'));
  const { batch, edges, errors } = await load(id);
  frame.lastChild.remove();
  if (!batch) {
    frame.append(warnings(errors) || empty('No such batch.'));
    return;
  }
  frame.querySelector('h1').textContent = `Batch ${batch.name || batch.id}`;
  const stateOf = (e) => (e.node ? e.node.state || 'UNKNOWN' : 'SUBMISSION_FAILED');
  const counts = {};
  for (const e of edges) counts[stateOf(e)] = (counts[stateOf(e)] || 0) + 1;
  const cost = batch.cost;
  frame.append(
    h('dl', { class: 'facts' },
      h('dt', {}, 'Source'), h('dd', {}, `${batch.source} (${batch.provider.toLowerCase()})`),
      h('dt', {}, 'State'), h('dd', {}, badge(batch.state), ` ${batch.status || ''}`),
      h('dt', {}, 'Created'), h('dd', {}, time(batch.createdAt)),
      h('dt', {}, 'Runs'), h('dd', { 'data-runs': edges.length }, `${edges.length}`,
        batch.totalRuns != null ? ` of ${batch.totalRuns}` : ''),
      h('dt', {}, 'Cost'), h('dd', { class: 'cost' }, cost && cost.totalUsd != null
        ? [usd(cost.totalUsd), cost.complete ? '' : cost.runsWithoutCost ? ` (partial: ${cost.runsWithoutCost} of ${cost.runsCounted + cost.runsWithoutCost} runs without a cost yet)` : ' (partial: some figures were missing)', ' estimate']
        : 'not known')),
    h('h2', {}, 'Progress'), stateBar(counts, 'Runs by state'),
    warnings(errors) || '');
  const failed = edges.filter((e) => FAILED.has(stateOf(e)));
  const rest = edges.filter((e) => !FAILED.has(stateOf(e)));
  if (!edges.length) {
    frame.append(empty('This batch has no runs yet.'));
    return;
  }
  const body = h('tbody', {});
  const table = h('table', { class: 'batch-runs' }, h('caption', {}, 'Failed first, each with why it failed'),
    h('thead', {}, h('tr', {}, ['Run', 'State', 'Created', 'Duration'].map((c) => h('th', { scope: 'col' }, c)))),
    body);
  frame.append(h('h2', {}, 'Runs'), scroller('Runs of the batch', table));
  // Excerpts read task logs: the first 20 failed runs get them, the rest link to their page.
  const ids = failed.filter((e) => e.node).slice(0, 20).map((e) => e.node.id);
  let infos = {};
  if (ids.length) {
    body.append(h('tr', {}, h('td', { colspan: 4 }, loading('failure excerpts'))));
    const answer = await gql(EXCERPTS, { ids }).catch((e) => ({ data: { nodes: [] }, errors: [e] }));
    infos = Object.fromEntries(answer.data.nodes.filter(Boolean).map((n) => [n.id, n]));
    body.replaceChildren();
    if (answer.errors.length) frame.append(warnings(answer.errors));
  }
  add(body, [failed.map((e) => row(e, e.node && infos[e.node.id])), rest.map((e) => row(e, null))]);
}
