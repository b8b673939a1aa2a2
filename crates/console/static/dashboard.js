// Drag to reorder, for the dashboard's photo list and page sections: a list marked
// `data-reorder="FORM_ID"` whose items carry `data-id` can be rearranged by dragging; on
// drop the new order is sent with that (hidden) form. Without this script the "Move"
// buttons beside each item do the same, one step at a time.
'use strict';

for (const list of document.querySelectorAll('[data-reorder]')) {
  const form = document.getElementById(list.dataset.reorder);
  if (!form) continue;
  let dragged = null;
  for (const item of list.querySelectorAll(':scope > [data-id]')) {
    item.draggable = true;
    item.classList.add('draggable');
    item.addEventListener('dragstart', (event) => {
      dragged = item;
      item.classList.add('dragging');
      event.dataTransfer.effectAllowed = 'move';
      event.dataTransfer.setData('text/plain', item.dataset.id);
    });
    item.addEventListener('dragend', () => item.classList.remove('dragging'));
    item.addEventListener('dragover', (event) => {
      if (!dragged || dragged === item) return;
      event.preventDefault();
      const box = item.getBoundingClientRect();
      const after = event.clientY - box.top > box.height / 2;
      list.insertBefore(dragged, after ? item.nextSibling : item);
    });
    item.addEventListener('drop', (event) => {
      event.preventDefault();
      const order = [...list.querySelectorAll(':scope > [data-id]')].map((li) => li.dataset.id);
      form.elements.order.value = order.join(',');
      form.submit();
    });
  }
}
