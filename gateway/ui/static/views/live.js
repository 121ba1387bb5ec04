// Live: a run's page that follows it through the runUpdated subscription (graphql-transport-ws),
// redrawing its facts and timeline on every change, without a reload, until the run settles.
import { gql, subscribe } from '../api.js';
import { failure, h, loading, time } from '../dom.js';
import { link } from '../router.js';
import { facts, loadTasks, timeline } from './run.js';

const SUB = `subscription Live($id: ID!) {
  runUpdated(id: $id) { id name status state source provider createdAt startedAt stoppedAt }
}`;
const COST = `query Cost($id: ID!) { node(id: $id) { ... on HealthOmicsRun { cost { totalUsd computeUsd storageUsd complete reason } } } }`;

export async function render(frame, r) {
  const id = r.args[0];
  const status = h('p', { role: 'status', class: 'live-status' }, 'Connecting…');
  const factsSlot = h('div', {}, loading('the run'));
  const slot = h('div', { class: 'timeline' });
  const detailSlot = h('section', { class: 'detail', 'aria-label': 'Selected task' });
  const events = h('ol', { class: 'events', 'aria-label': 'Changes seen' });
  frame.append(h('h1', { tabindex: -1 }, 'Live run'), status, factsSlot,
    h('p', {}, h('a', { href: link('run', [id]) }, 'Run page')),
    h('h2', {}, 'Changes'), events, h('h2', {}, 'Tasks'), slot, detailSlot);
  let previous = null, redraws = 0;
  const stop = subscribe(SUB, { id }, {
    async next(data) {
      const run = data.runUpdated;
      frame.querySelector('h1').textContent = `Live: ${run.name || run.id}`;
      status.textContent = `Watching: ${run.state.toLowerCase()}`;
      events.append(h('li', { 'data-state': run.state }, time(new Date().toISOString()), ' ',
        previous ? `${previous} → ${run.state}` : `now ${run.state}`));
      previous = run.state;
      const mine = (redraws += 1);
      const [{ data: cost }, tasks] = await Promise.all([gql(COST, { id }), loadTasks(id)]);
      if (mine !== redraws || !frame.isConnected) return;
      factsSlot.replaceChildren(facts({ ...run, cost: cost.node && cost.node.cost }));
      timeline(tasks.tasks, slot, detailSlot);
      frame.dataset.updates = String(redraws);
    },
    error(err) {
      status.replaceChildren(failure(err));
      // The socket refused the credential (4403): the shell asks for a new one.
      if (err.code === 'UNAUTHENTICATED') window.dispatchEvent(new CustomEvent('ui:signin', { detail: err }));
    },
    complete() { status.textContent = `The run has settled (${previous ? previous.toLowerCase() : 'done'}); nothing more will change.`; },
  });
  return stop;
}
