// The hotel web chat's page: signs in through the server (/login), sends messages (POST
// /api/chat with the session's CSRF token), and shows the events of GET /api/events (long
// polling) as they come: messages, tool calls and their outcome, consent requests (opened in a
// popup on the identity provider) and booking confirmations. No framework, no build step; text
// is always set with textContent, never parsed as HTML.
'use strict';

const state = {
  session: null,  // {user, name, csrf, conversation_id, last_event}
  next: 0,        // the last event seen
  replayUntil: 0, // events up to this one were shown before a reload: no popups for them
  toolLines: new Map(),  // tool call id -> [li waiting for its result]
};

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function add(node) {
  const item = node.tagName === 'LI' ? node : el('li');
  if (item !== node) item.appendChild(node);
  $('messages').appendChild(item);
  item.scrollIntoView({ block: 'end' });
  return item;
}

function setBusy(busy, text) {
  $('input').disabled = busy;
  $('send').disabled = busy;
  $('status').textContent = text || '';
  if (!busy) $('input').focus();
}

function describe(value) {
  if (value === null || value === undefined || value === '') return '—';
  return String(value);
}

function when(value) {
  if (value === null || value === undefined || value === '') return 'an unrecorded time';
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

function safeUrl(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function summarizeArguments(args) {
  if (args === null || typeof args !== 'object') return describe(args);
  return Object.entries(args).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}

function showMessage(e, who, className) {
  const item = el('li', `msg ${className}`);
  if (who) item.appendChild(el('span', 'from', who));
  item.appendChild(document.createTextNode(e.text));
  add(item);
}

function showToolCall(e) {
  const line = el('li', 'tool pending');
  line.dataset.tool = e.tool;
  const by = e.agent ? `${e.agent} calls ` : 'calls ';
  line.appendChild(el('span', 'call', `${by}${e.tool}(${summarizeArguments(e.arguments)})`));
  line.appendChild(el('span', 'outcome', ' …'));
  add(line);
  const waiting = state.toolLines.get(e.id) || [];
  waiting.push(line);
  state.toolLines.set(e.id, waiting);
}

function showToolResult(e) {
  const waiting = state.toolLines.get(e.id) || [];
  const line = waiting.shift() || add(el('li', 'tool', e.tool));
  const words = { ok: ' — done', refused: ' — refused', error: ' — failed' };
  line.className = `tool ${e.status}`;
  line.querySelector('.outcome')?.remove();
  line.appendChild(el('span', 'outcome',
                      `${words[e.status] || ` — ${e.status}`}${e.reason ? ` (${e.reason})` : ''}`));
}

function detailsSummary(details) {
  if (!Array.isArray(details)) return [];
  return details.map((d) => {
    const parts = [];
    for (const key of ['hotel_id', 'room_id', 'check_in', 'check_out', 'guests']) {
      if (d && d[key] !== undefined) parts.push(`${key.replace('_id', '').replace('_', ' ')}: ${d[key]}`);
    }
    return parts.join(', ');
  }).filter((s) => s);
}

function openConsent(url) {
  return window.open(url, 'zta-consent', 'popup,width=520,height=680');
}

function showConsent(e) {
  const url = safeUrl(e.url);
  const card = el('div', 'card consent open');
  card.appendChild(el('h2', null, 'Your approval is needed'));
  card.appendChild(el('p', null,
                      `${describe(e.agent)} asks to act for you${e.scopes?.length ? ` (${e.scopes.join(', ')})` : ''}.`));
  for (const line of detailsSummary(e.details)) card.appendChild(el('p', 'detail', line));
  if (url) {
    const open = el('button', null, 'Review on the identity provider');
    open.type = 'button';
    open.addEventListener('click', () => openConsent(url));
    card.appendChild(open);
    const link = el('a', 'fallback', 'open it in a new tab');
    link.href = url;
    link.target = 'zta-consent';
    const alt = el('p', 'fallback-line', 'If no window opened: ');
    alt.appendChild(link);
    card.appendChild(alt);
  }
  add(card);
  if (url && e.seq > state.replayUntil) {
    const popup = openConsent(url);
    setBusy(true, popup ? 'Waiting for your approval in the popup…'
                        : 'Your browser blocked the popup: use the link above.');
  }
}

// The consent cards still open are answered once the tool that asked is done.
function closeConsents(outcome) {
  for (const card of document.querySelectorAll('.card.consent.open')) {
    card.classList.remove('open');
    for (const node of card.querySelectorAll('button, .fallback-line')) node.remove();
    card.appendChild(el('p', 'answered', outcome));
  }
}

function showBooking(e) {
  const card = el('div', 'card booking');
  card.dataset.bookingId = describe(e.booking_id);
  card.appendChild(el('h2', null, 'Booking confirmed'));
  const dl = el('dl');
  const rows = [
    ['Booking', e.booking_id], ['Hotel', e.hotel], ['Room', e.room],
    ['Dates', e.check_in || e.check_out ? `${describe(e.check_in)} → ${describe(e.check_out)}` : null],
    ['Guests', e.guests],
    ['Total', e.total === null || e.total === undefined ? null : `${e.total}${e.currency ? ` ${e.currency}` : ''}`],
  ];
  for (const [label, value] of rows) {
    if (value === null || value === undefined) continue;
    dl.appendChild(el('dt', null, label));
    dl.appendChild(el('dd', null, value));
  }
  card.appendChild(dl);
  const agent = (name, id) => (name ? `${name} (${describe(id)})` : describe(id));
  card.appendChild(el('p', 'who-did',
                      `booked by ${agent(e.booked_by_name, e.booked_by)} for ${describe(e.user)}, ` +
                      `asked by ${agent(e.asked_by_name, e.asked_by)}`));
  card.appendChild(el('p', 'approved', `you approved at ${when(e.approved_at)}`));
  if (e.trace_id) card.appendChild(el('p', 'trace', `trace ${e.trace_id}`));
  add(card);
}

function show(e) {
  switch (e.type) {
    case 'user':
      showMessage(e, null, 'user');
      setBusy(true, 'The assistant is working…');
      break;
    case 'assistant':
      if (e.text) showMessage(e, e.agent || 'assistant', 'assistant');
      break;
    case 'tool_call': showToolCall(e); break;
    case 'tool_result':
      showToolResult(e);
      if (e.tool === 'book_room') closeConsents(e.status === 'ok' ? 'Approved.' : 'Not approved.');
      break;
    case 'consent': showConsent(e); break;
    case 'booking': showBooking(e); break;
    case 'error':
      add(el('li', 'error', `Something went wrong (${describe(e.reason)}).`));
      break;
    case 'turn_end': setBusy(false); break;
    default: break;
  }
}

async function poll() {
  for (;;) {
    let response;
    try {
      response = await fetch(`/api/events?after=${state.next}`, { credentials: 'same-origin',
                                                                  cache: 'no-store' });
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    if (response.status === 401) return signedOut();
    if (!response.ok) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    const body = await response.json();
    for (const e of body.events) show(e);
    state.next = body.next;
    if (body.closed) return signedOut();
  }
}

async function send(event) {
  event.preventDefault();
  const text = $('input').value.trim();
  if (!text || !state.session) return;
  setBusy(true, 'Sending…');
  const response = await fetch('/api/chat', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-ZTA-CSRF': state.session.csrf },
    body: JSON.stringify({ message: text, conversation_id: state.session.conversation_id }),
  }).catch(() => null);
  if (response && response.status === 202) {
    $('input').value = '';
    return;
  }
  if (response && response.status === 401) return signedOut();
  setBusy(false, response && response.status === 409 ? 'The assistant is still working on your last message.'
                                                     : 'The message could not be sent.');
}

async function signOut() {
  if (!state.session) return;
  await fetch('/logout', { method: 'POST', credentials: 'same-origin',
                           headers: { 'X-ZTA-CSRF': state.session.csrf } }).catch(() => null);
  signedOut();
}

function signedOut() {
  state.session = null;
  $('chat').hidden = true;
  $('who').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('welcome').hidden = false;
}

async function start() {
  $('composer').addEventListener('submit', send);
  $('sign-out').addEventListener('click', signOut);
  const response = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' })
    .catch(() => null);
  if (!response || response.status !== 200) return signedOut();
  state.session = await response.json();
  state.replayUntil = state.session.last_event || 0;
  $('who').textContent = `${state.session.name} (${state.session.user})`;
  $('who').hidden = false;
  $('sign-out').hidden = false;
  $('chat').hidden = false;
  setBusy(Boolean(state.session.busy), state.session.busy ? 'The assistant is working…' : '');
  poll();
}

document.addEventListener('DOMContentLoaded', start);
