// Overview: every source this viewer may read, its runs by state (runStats) and how far
// behind the catalogue is (catalog.lagSeconds), plus each source's newest batches.
import { gql } from '../api.js';
import { badge, duration, empty, h, loading, scroller, stateBar, time, warnings } from '../dom.js';
import { link } from '../router.js';

const QUERY = `query Overview {
  sources { name provider region }
  runStats(groupBy: [SOURCE, STATE]) { source state count }
  catalog { enabled sources { source lastSweepAt lagSeconds runs } }
}`;
const BATCHED = new Set(['HEALTHOMICS', 'TENCENT_OMICS']);

function batchesQuery(sources) {
  const vars = sources.map((_, i) => `$s${i}: String!`).join(', ');
  const fields = sources.map((_, i) => `b${i}: batches(source: $s${i}, first: 5) {
    edges { node { id name state totalRuns createdAt } } }`).join('\n');
  return `query Batches(${vars}) { ${fields} }`;
}

function card(source, counts, sync) {
  const total = Object.values(counts).reduce((a, n) => a + n, 0);
  const lag = sync
    ? h('p', { class: 'sync', 'data-lag': sync.lagSeconds ?? '' }, 'Catalogue: ',
      sync.lastSweepAt ? ['last sweep ', time(sync.lastSweepAt), ', ',
        h('strong', {}, duration(sync.lagSeconds)), ' behind'] : 'not synced yet')
    : h('p', { class: 'sync muted' }, 'Catalogue: off');
  return h('section', { class: 'card', 'data-source': source.name, 'aria-labelledby': `src-${source.name}` },
    h('h2', { id: `src-${source.name}` }, h('a', { href: link('runs', [], { source: source.name }) }, source.name)),
    h('p', { class: 'muted' }, `${source.provider.replace('_', ' ').toLowerCase()} · ${source.region}`),
    h('p', {}, h('strong', { class: 'total' }, total), ' runs catalogued'),
    stateBar(counts, `${source.name} runs by state`,
      (state) => link('runs', [], { source: source.name, state })),
    lag);
}

async function batches(sources, into) {
  const withBatches = sources.filter((s) => BATCHED.has(s.provider));
  if (!withBatches.length) return;
  into.replaceChildren(loading('batches'));
  const vars = Object.fromEntries(withBatches.map((s, i) => [`s${i}`, s.name]));
  const { data, errors } = await gql(batchesQuery(withBatches), vars);
  const rows = withBatches.flatMap((s, i) => ((data[`b${i}`] || {}).edges || []).map((e) => [s, e.node]));
  const table = h('table', {}, h('caption', {}, 'Newest batches'),
    h('thead', {}, h('tr', {}, ['Batch', 'Source', 'State', 'Runs', 'Created'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map(([s, b]) => h('tr', {},
      h('td', {}, h('a', { href: link('batch', [b.id]) }, b.name || b.id)), h('td', {}, s.name),
      h('td', {}, badge(b.state)), h('td', { class: 'num' }, b.totalRuns ?? '—'), h('td', {}, time(b.createdAt))))));
  into.replaceChildren(rows.length ? scroller('Newest batches', table) : empty('No batches.'), warnings(errors) || '');
}

export async function render(frame) {
  frame.append(h('h1', { tabindex: -1 }, 'Overview'), loading('sources'));
  const { data, errors } = await gql(QUERY);
  frame.lastChild.remove();
  const counts = {};
  for (const g of data.runStats || []) {
    (counts[g.source] ||= {})[g.state || 'UNKNOWN'] = g.count;
  }
  const sync = Object.fromEntries(((data.catalog && data.catalog.sources) || []).map((s) => [s.source, s]));
  if (!data.sources.length) {
    frame.append(empty('This credential may read no source.'));
    return;
  }
  frame.append(warnings(errors) || '',
    h('div', { class: 'cards' }, data.sources.map((s) => card(s, counts[s.name] || {}, sync[s.name]))));
  const slot = h('section', { class: 'batches', 'aria-label': 'Newest batches' });
  frame.append(slot);
  batches(data.sources, slot).catch((e) => slot.replaceChildren(warnings([e])));
}
