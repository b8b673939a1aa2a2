// The dashboard's one script. Drag to reorder, for the dashboard's photo list and page sections: a list marked
// `data-reorder="FORM_ID"` whose items carry `data-id` can be rearranged by dragging; on
// drop the new order is sent with that (hidden) form. A drag dropped nowhere puts nothing
// in a new order: the list goes back as it was. Without this script the "Move" buttons
// beside each item do the same, one step at a time.
'use strict';

for (const list of document.querySelectorAll('[data-reorder]')) {
  const form = document.getElementById(list.dataset.reorder);
  if (!form) continue;
  const items = () => [...list.querySelectorAll(':scope > [data-id]')];
  let dragged = null;
  let before = [];
  for (const item of items()) {
    item.draggable = true;
    item.classList.add('draggable');
    // A photo is grabbed by the item around it, not dragged off as an image of its own.
    for (const image of item.querySelectorAll('img')) image.draggable = false;
    item.addEventListener('dragstart', (event) => {
      // Only the item itself is dragged: text dragged inside one of its fields is not.
      if (event.target !== item) return;
      dragged = item;
      before = items();
      item.classList.add('dragging');
      event.dataTransfer.effectAllowed = 'move';
      event.dataTransfer.setData('text/plain', item.dataset.id);
    });
    item.addEventListener('dragend', () => {
      item.classList.remove('dragging');
      // Dropped nowhere: the list goes back to the order that is saved.
      if (dragged) for (const each of before) list.appendChild(each);
      dragged = null;
    });
    item.addEventListener('dragover', (event) => {
      if (!dragged) return;
      // Every item is a place to drop, the dragged one too (it is where the pointer is once
      // it has moved under it).
      event.preventDefault();
      if (dragged === item) return;
      const box = item.getBoundingClientRect();
      const after = event.clientY - box.top > box.height / 2;
      list.insertBefore(dragged, after ? item.nextSibling : item);
    });
    item.addEventListener('drop', (event) => {
      if (!dragged) return;
      event.preventDefault();
      dragged = null;
      const order = items().map((li) => li.dataset.id);
      form.elements.order.value = order.join(',');
      form.submit();
    });
  }
}

// The assistant: a message is sent as the form would send it, asking for the answer as
// server-sent events, shown word by word; when the turn ends the page reloads to show the
// stored conversation and any card to approve. Push-to-talk records while the button is
// held (MediaRecorder, at most a minute), sends the recording, shows the transcript and the
// answer, and plays the spoken answer. Without this script the form posts and the page
// shows the answer; without a microphone the button stays hidden.
const composer = document.getElementById('assistant-composer');
const log = document.getElementById('assistant-log');
const status = document.getElementById('assistant-status');

function said(byPerson, text) {
  const item = document.createElement('li');
  item.className = byPerson ? 'said by-person' : 'said by-assistant';
  const who = document.createElement('p');
  who.className = 'meta';
  who.textContent = byPerson ? 'You' : 'Assistant';
  const body = document.createElement('div');
  body.className = 'said-text';
  body.textContent = text;
  item.append(who, body);
  log.append(item);
  return body;
}

function events(text, handle) {
  for (const block of text.split('\n\n')) {
    let name = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) name = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (data) handle(name, JSON.parse(data));
  }
}

if (composer && log) {
  composer.addEventListener('submit', async (event) => {
    event.preventDefault();
    const message = composer.elements.message.value.trim();
    if (!message) return;
    const body = new URLSearchParams(new FormData(composer));
    composer.elements.message.value = '';
    said(true, message);
    const answer = said(false, '…');
    status.textContent = 'The assistant is answering…';
    let failed = false;
    try {
      const response = await fetch(composer.action, {
        method: 'POST',
        body,
        headers: { Accept: 'text/event-stream' },
        credentials: 'same-origin',
      });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      let first = true;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        const end = buffered.lastIndexOf('\n\n');
        if (end < 0) continue;
        const complete = buffered.slice(0, end + 2);
        buffered = buffered.slice(end + 2);
        events(complete, (name, data) => {
          if (name === 'delta') {
            answer.textContent = (first ? '' : answer.textContent) + data.text;
            first = false;
          } else if (name === 'action') {
            status.textContent = 'The assistant proposed a change: approve or reject its card.';
          } else if (name === 'error') {
            failed = true;
            status.textContent = data.message;
          }
        });
      }
    } catch {
      failed = true;
      status.textContent = 'The answer could not be read; reload the page to see the conversation.';
    }
    if (!failed) window.location.reload();
  });
}

const talk = document.getElementById('assistant-talk');
if (talk && navigator.mediaDevices && window.MediaRecorder) {
  talk.hidden = false;
  let recorder = null;
  let chunks = [];
  let limit = null;
  const stop = () => {
    if (recorder && recorder.state === 'recording') recorder.stop();
  };
  const start = async (event) => {
    event.preventDefault();
    if (recorder && recorder.state === 'recording') return;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      status.textContent = 'No microphone available: type your message instead.';
      talk.hidden = true;
      return;
    }
    chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.addEventListener('dataavailable', (e) => chunks.push(e.data));
    recorder.addEventListener('stop', async () => {
      clearTimeout(limit);
      for (const track of stream.getTracks()) track.stop();
      talk.textContent = 'Hold to talk';
      const recording = new Blob(chunks, { type: recorder.mimeType || 'audio/webm' });
      if (recording.size === 0) return;
      status.textContent = 'Listening to what you said…';
      try {
        const response = await fetch(talk.dataset.voice, {
          method: 'POST',
          body: recording,
          headers: { 'Content-Type': recording.type.split(';')[0], 'X-CSRF-Token': talk.dataset.csrf },
          credentials: 'same-origin',
        });
        const answer = await response.json();
        if (!response.ok) {
          status.textContent = answer.error;
          return;
        }
        said(true, answer.transcript);
        said(false, answer.answer);
        status.textContent = answer.actions > 0
          ? 'The assistant proposed a change: reload to approve or reject its card.'
          : '';
        if (answer.audio) {
          const player = document.createElement('audio');
          player.id = 'assistant-voice';
          player.controls = true;
          player.src = `data:${answer.audio_type};base64,${answer.audio}`;
          log.append(player);
          player.play().catch(() => {});
        }
        if (answer.actions > 0) {
          const link = document.createElement('a');
          link.href = window.location.pathname;
          link.textContent = 'Show the proposed change';
          log.append(link);
        }
      } catch {
        status.textContent = 'The recording could not be sent; type your message instead.';
      }
    });
    recorder.start();
    talk.textContent = 'Recording… release to send';
    limit = setTimeout(stop, 60000);
  };
  talk.addEventListener('pointerdown', start);
  talk.addEventListener('pointerup', stop);
  talk.addEventListener('pointerleave', stop);
  talk.addEventListener('keydown', (e) => { if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) start(e); });
  talk.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') stop(); });
}
