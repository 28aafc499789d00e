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
  switch (message.type) {
    case 'welcome':
      me = message.name;
      $('me').textContent = me;
      showUsers(message.users);
      notice(`You joined as ${me}.`);
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

joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = $('name').value;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  ws = new WebSocket(`${scheme}://${location.host}/ws`);
  setStatus('connecting', 'connecting…');
  ws.onopen = () => {
    setStatus('open', 'connected');
    ws.send(JSON.stringify({ type: 'join', name }));
    joinForm.hidden = true;
    $('room').hidden = false;
    setCanSay(true);
    $('text').focus();
  };
  ws.onmessage = onMessage;
  ws.onclose = (event) => {
    setStatus('closed', `disconnected (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
    notice('Disconnected.');
    showUsers([]);
    setCanSay(false);
    joinForm.hidden = false;
  };
});

sayForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('text');
  if (input.value.trim() === '' || ws === null || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({ type: 'say', text: input.value }));
  input.value = '';
});
