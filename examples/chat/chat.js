// The chat page. Every piece of text from the network is put on the page with textContent, never
// as markup. The messages are JSON objects; examples/chat/protocol.ts documents them.
'use strict';

const $ = (id) => document.getElementById(id);
const joinForm = $('join');
const sayForm = $('say');
const log = $('log');
const users = $('users');
const status = $('status');
let ws = null;
let me = '';
let myName = '';
// The id of the last room message seen (with Redis): a reconnection resumes after it.
let lastId = null;
let retries = 0;
let retryTimer = null;

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

function append(item) {
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 8;
  log.append(item);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function notice(text) {
  const li = document.createElement('li');
  li.className = 'notice';
  li.textContent = text;
  append(li);
}

function chatLine(from, text, at) {
  const li = document.createElement('li');
  li.className = from === me ? 'message mine' : 'message';
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const who = document.createElement('span');
  who.className = 'from';
  who.textContent = from;
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(time, who, body);
  append(li);
}

function showUsers(names) {
  users.replaceChildren(...names.map((name) => {
    const li = document.createElement('li');
    li.textContent = name;
    return li;
  }));
}

/** The message box works only while connected. */
function setCanSay(enabled) {
  for (const control of sayForm.elements) control.disabled = !enabled;
}

function currentUsers() {
  return [...users.children].map((li) => li.textContent);
}

function onMessage(event) {
  let message;
  try {
    message = JSON.parse(event.data);
  } catch {
    return;
  }
  if (typeof message.id === 'string') lastId = message.id;
  switch (message.type) {
    case 'welcome':
      me = message.name;
      $('me').textContent = me;
      showUsers(message.users);
      notice(lastId === null ? `You joined as ${me}.` : `Reconnected as ${me}.`);
      break;
    case 'missed':
      notice('Some messages were missed while disconnected.');
      break;
    case 'joined':
      showUsers([...currentUsers(), message.name]);
      notice(`${message.name} joined.`);
      break;
    case 'left':
      showUsers(currentUsers().filter((name) => name !== message.name));
      notice(`${message.name} left.`);
      break;
    case 'message':
      chatLine(message.from, message.text, message.at);
      break;
  }
}

/** Close codes after which trying again would fail the same way: the page broke the protocol. */
const NO_RETRY = new Set([1003, 1009]);

function connect() {
  clearTimeout(retryTimer);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  ws = socket;
  setStatus('connecting', 'connecting…');
  socket.onopen = () => {
    retries = 0;
    setStatus('open', 'connected');
    const join = { type: 'join', name: myName };
    if (lastId !== null) join.since = lastId; // resume: the server replays what came after it
    socket.send(JSON.stringify(join));
    joinForm.hidden = true;
    $('room').hidden = false;
    setCanSay(true);
    $('text').focus();
  };
  socket.onmessage = onMessage;
  socket.onclose = (event) => {
    if (ws !== socket) return;
    setStatus('closed', `disconnected (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
    notice('Disconnected.');
    showUsers([]);
    setCanSay(false);
    joinForm.hidden = false;
    if (NO_RETRY.has(event.code)) return;
    // Back off: 1 s, 2 s, 4 s... up to 30 s, with jitter so that a restarted server is not stampeded.
    const delay = Math.min(30000, 1000 * 2 ** retries) * (0.75 + Math.random() / 2);
    retries++;
    retryTimer = setTimeout(connect, delay);
  };
}

joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  myName = $('name').value;
  lastId = null; // joining by hand starts afresh
  retries = 0;
  if (ws !== null) {
    const old = ws;
    ws = null;
    old.close();
  }
  connect();
});

sayForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('text');
  if (input.value.trim() === '' || ws === null || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({ type: 'say', text: input.value }));
  input.value = '';
});
