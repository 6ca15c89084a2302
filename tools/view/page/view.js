// The live picture: asks the view's server for the vhost's topology every 1.5 s and draws it with a
// layered layout (dagre). Everything a client named (queue names, routing keys, header values,
// connection names) goes into the page as text (textContent, attribute values), never as markup.
import { graphlib, layout } from './dagre.js';

const SVG = 'http://www.w3.org/2000/svg';
const REFRESH_MS = 1500;
/** More nodes than this are hard to read and slow to lay out: the busiest queues are kept, the filter narrows. */
const MAX_NODES = 300;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let vhost = params.get('vhost') ?? '';
let filter = '';
let shape = ''; // the nodes and edges last laid out: a new layout only when they change
const texts = new Map(); // node or edge id -> its <text> elements, updated in place between layouts

function svg(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const perSecond = (r) => (r >= 100 ? `${Math.round(r)}/s` : `${r}/s`);
/** At most 60 characters of a name on the picture (the whole name is in the node's tooltip). */
const cut = (s) => (s.length > 60 ? `${s.slice(0, 57)}…` : s);
const matches = (name, patterns) => patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));

/** Nodes and edges from the server's answer, filtered and capped. */
function graphOf(t) {
  const nodes = new Map();
  const edges = [];
  const queues = [...t.queues].sort((a, b) => b.rateIn + b.rateOut - (a.rateIn + a.rateOut) || b.messages - a.messages);
  // The demo's step, when the page follows it and "this step only" is ticked: its resources; else the filter's text.
  const focus = t.step && $('only-step').checked ? t.step.resources : undefined;
  const wanted = (name) => (focus ? matches(name, focus) : !filter || name.toLowerCase().includes(filter));
  let kept = queues.filter((q) => wanted(q.name) || t.bindings.some((b) => b.destination === q.name && wanted(b.source)));
  const total = kept.length;
  kept = kept.slice(0, MAX_NODES);
  const keptByName = new Map(kept.map((q) => [q.name, q]));
  for (const q of kept) {
    nodes.set(`q:${q.name}`, { kind: 'queue', name: q.name, lines: [cut(q.name), `${q.type} · ${q.messages} message(s), ${q.unacked} unacked`,
      `in ${perSecond(q.rateIn)} · out ${perSecond(q.rateOut)}${q.ttlMs === undefined ? '' : ` · TTL ${q.ttlMs >= 1000 ? `${q.ttlMs / 1000} s` : `${q.ttlMs} ms`}`}`] });
  }
  const exchanges = new Map(t.exchanges.map((e) => [e.name, e]));
  const exchangeNode = (name) => {
    const e = exchanges.get(name) ?? { name, type: 'direct', rateIn: 0 };
    nodes.set(`x:${name}`, { kind: 'exchange', name, lines: [name ? cut(name) : '(default exchange)', `${e.type} exchange`, `in ${perSecond(e.rateIn)}`] });
  };
  const into = new Map(); // how many bindings lead into each queue (a queue's rate is shown on its only one)
  for (const b of t.bindings) if (b.destinationType === 'queue') into.set(b.destination, (into.get(b.destination) ?? 0) + 1);
  // Queues that another queue dead-letters to by name: that edge is drawn from the queue itself.
  const deadLetterTargets = new Set(kept.filter((q) => q.deadLetter?.exchange === '').map((q) => q.deadLetter.routingKey));
  for (const b of t.bindings) {
    // Every queue is bound to the default exchange by its name; that edge is drawn only for a queue with no
    // other binding, and no queue dead-lettering to it.
    if (b.source === '' && (into.get(b.destination) > 1 || deadLetterTargets.has(b.destination))) continue;
    const toQueue = b.destinationType === 'queue';
    if (toQueue ? !keptByName.has(b.destination) : !(wanted(b.source) || wanted(b.destination))) continue;
    exchangeNode(b.source);
    if (!toQueue) exchangeNode(b.destination);
    const headers = Object.entries(b.args).map(([k, v]) => `${k}=${v}`).join(', ');
    const q = toQueue ? keptByName.get(b.destination) : undefined;
    const inbound = into.get(b.destination) > 1 ? into.get(b.destination) - 1 : 1; // the edges drawn into it
    edges.push({ id: `b:${b.source}\u0000${b.destinationType}\u0000${b.destination}\u0000${b.key}\u0000${headers}`, from: `x:${b.source}`, to: `${toQueue ? 'q' : 'x'}:${b.destination}`,
      label: [headers || (b.key ? `key ${cut(b.key)}` : ''), q && inbound === 1 && q.rateIn > 0 ? perSecond(q.rateIn) : ''].filter(Boolean).join(' · '),
      busy: Boolean(q && q.rateIn > 0) });
  }
  // Dead-lettering: to a queue by name (the default exchange), or to an exchange.
  for (const q of kept) {
    if (!q.deadLetter) continue;
    const { exchange, routingKey } = q.deadLetter;
    const to = exchange === '' ? `q:${routingKey}` : `x:${exchange}`;
    if (exchange === '' ? !keptByName.has(routingKey) : false) continue;
    if (exchange !== '') exchangeNode(exchange);
    edges.push({ id: `d:${q.name}`, from: `q:${q.name}`, to, label: `dead letters${exchange !== '' && routingKey ? ` · key ${cut(routingKey)}` : ''}`, busy: false, dashed: true });
  }
  const connections = new Map(t.connections.map((c) => [c.id, c]));
  const connectionNode = (id) => {
    const c = connections.get(id) ?? { id, name: id, user: '' };
    nodes.set(`c:${id}`, { kind: 'connection', name: c.name, lines: [cut(c.name), c.user ? `user ${cut(c.user)}` : 'connection'] });
  };
  const consumed = new Map(); // queue + connection -> consumers
  for (const c of t.consumers) {
    if (!keptByName.has(c.queue)) continue;
    const key = `${c.queue}\u0000${c.connection}`;
    consumed.set(key, [...(consumed.get(key) ?? []), c]);
  }
  for (const [key, list] of consumed) {
    const [queue, connection] = key.split('\u0000');
    connectionNode(connection);
    const q = keptByName.get(queue);
    const prefetch = [...new Set(list.map((c) => (c.ack ? `prefetch ${c.prefetch || '∞'}` : 'auto ack')))].join(', ');
    // A single-active-consumer queue: which consumer gets the messages, and which wait (dashed).
    const activity = list.some((c) => c.activity === 'active') ? 'active' : list.some((c) => c.activity === 'waiting') ? 'waiting' : '';
    edges.push({ id: `c:${key}`, from: `q:${queue}`, to: `c:${connection}`,
      label: [activity, list.length > 1 ? `${list.length} consumers` : '', prefetch, q.consumers === list.length && q.rateOut > 0 ? perSecond(q.rateOut) : ''].filter(Boolean).join(' · '),
      busy: q.rateOut > 0 && activity !== 'waiting', dashed: activity === 'waiting' });
  }
  for (const p of t.publishes) {
    if (!nodes.has(`x:${p.exchange}`) && !wanted(p.exchange)) continue;
    exchangeNode(p.exchange);
    connectionNode(p.connection);
    edges.push({ id: `p:${p.connection}\u0000${p.exchange}`, from: `c:${p.connection}`, to: `x:${p.exchange}`, label: `publishes ${perSecond(p.rate)}`, busy: true });
  }
  return { nodes, edges, total, shown: kept.length };
}

function draw(t) {
  const { nodes, edges, total, shown } = graphOf(t);
  const step = t.step;
  $('step').hidden = !step;
  $('only-step-label').hidden = !step;
  $('step').textContent = step ? `demo step: ${step.name}` : '';
  const newShape = JSON.stringify([[...nodes.keys()].sort(), edges.map((e) => e.id).sort()]);
  if (newShape !== shape) {
    shape = newShape;
    layOut(nodes, edges);
  }
  for (const [id, node] of nodes) {
    const lines = texts.get(id);
    if (!lines) continue;
    node.lines.forEach((line, i) => lines[i] && lines[i].textContent !== line && (lines[i].textContent = line));
    lines.group.classList.toggle('step', Boolean(step && matches(node.name, step.resources)));
  }
  for (const edge of edges) {
    const drawn = texts.get(edge.id);
    if (!drawn) continue;
    if (drawn.label.textContent !== edge.label) drawn.label.textContent = edge.label;
    drawn.group.classList.toggle('busy', edge.busy);
  }
  const more = total > shown ? ` · showing the ${shown} busiest of ${total} queues: filter to see others` : '';
  // What is drawn, of what the vhost has: an exchange without bindings, or a connection without consumers
  // or publishes, is not drawn.
  const drawn = (kind) => [...nodes.values()].filter((n) => n.kind === kind).length;
  const of = (kind, all, noun) => `${drawn(kind)}${drawn(kind) === all ? '' : ` of ${all}`} ${noun}${all === 1 ? '' : 's'}`;
  $('status').className = '';
  $('status').textContent = `drawn: ${of('queue', t.queues.length, 'queue')}, ${of('exchange', t.exchanges.length, 'exchange')}, ` +
    `${of('connection', t.connections.length, 'connection')}; ${t.consumers.length} consumer(s)${more} · ${new Date().toLocaleTimeString()}`;
}

function layOut(nodes, edges) {
  // Left to right reads as the messages flow; a long chain (retry's) that would be a thin strip goes top to bottom.
  let g = graphFor(nodes, edges, 'LR');
  if (g.graph().width > 1400 && g.graph().width > 3 * g.graph().height) g = graphFor(nodes, edges, 'TB');
  render(g, nodes, edges);
}

function graphFor(nodes, edges, rankdir) {
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir, nodesep: 18, ranksep: rankdir === 'LR' ? 90 : 50, edgesep: 12, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  // Widths from the characters (the first line is bold): no text is measured, so layouts are quick.
  for (const [id, node] of nodes) g.setNode(id, { width: Math.max(...node.lines.map((l, i) => l.length * (i ? 6.6 : 8))) + 22, height: node.lines.length * 16 + 12 });
  for (const edge of edges) {
    if (nodes.has(edge.from) && nodes.has(edge.to)) g.setEdge(edge.from, edge.to, { width: edge.label.length * 6 + 8, height: 14, labelpos: 'c' }, edge.id);
  }
  layout(g);
  return g;
}

function render(g, nodes, edges) {
  const { width = 0, height = 0 } = g.graph();
  const picture = svg('svg', { width: Math.ceil(width), height: Math.ceil(height), viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`, role: 'img' });
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }));
  const defs = svg('defs');
  defs.append(marker);
  picture.append(defs);
  texts.clear();
  for (const e of g.edges()) {
    const at = g.edge(e);
    const edge = edges.find((x) => x.id === e.name);
    const group = svg('g', { class: edge.dashed ? 'edge dead-letter' : 'edge' });
    group.append(svg('path', { d: at.points.map((p, i) => `${i ? 'L' : 'M'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ') }));
    const label = svg('text', { x: at.x, y: at.y + 4, 'text-anchor': 'middle' }, edge.label);
    group.append(label);
    picture.append(group);
    texts.set(edge.id, { group, label });
  }
  for (const id of g.nodes()) {
    const at = g.node(id);
    const node = nodes.get(id);
    const group = svg('g', { class: `node ${node.kind}`, transform: `translate(${at.x - at.width / 2},${at.y - at.height / 2})` });
    group.append(svg('title', {}, `${node.kind}: ${node.name || '(default exchange)'}`));
    group.append(svg('rect', { width: at.width, height: at.height }));
    const lines = node.lines.map((line, i) => svg('text', { x: 10, y: 20 + i * 16, class: i === 0 ? 'name' : '' }, line));
    group.append(...lines);
    picture.append(group);
    texts.set(id, Object.assign(lines, { group }));
  }
  $('picture').replaceChildren(picture);
  fit();
}

/** Fit to window (the default), or the picture at its own size, panned by scrolling. */
function fit() {
  $('picture').classList.toggle('fit', $('fit').checked);
  $('picture').style.setProperty('--above', `${$('picture').getBoundingClientRect().top + window.scrollY}px`);
}

async function loadVhosts() {
  const answer = await (await fetch('/api/vhosts')).json();
  vhost ||= answer.current;
  $('vhost').replaceChildren(...answer.vhosts.map((name) => Object.assign(document.createElement('option'), { value: name, textContent: name, selected: name === vhost })));
}

async function refresh() {
  try {
    const response = await fetch(`/api/topology?vhost=${encodeURIComponent(vhost)}`);
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
    draw(answer);
  } catch (err) {
    $('status').className = 'error';
    $('status').textContent = `cannot read the broker: ${err.message}`;
  }
  setTimeout(refresh, REFRESH_MS);
}

$('vhost').addEventListener('change', (event) => {
  vhost = event.target.value;
  history.replaceState(null, '', `?vhost=${encodeURIComponent(vhost)}`);
  shape = '';
});
$('fit').addEventListener('change', fit);
window.addEventListener('resize', fit);
$('only-step').addEventListener('change', () => {
  shape = '';
});
$('filter').addEventListener('input', (event) => {
  filter = event.target.value.trim().toLowerCase();
});
loadVhosts().catch(() => undefined).finally(refresh);
