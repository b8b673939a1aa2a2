// Drag to reorder, for the dashboard's photo list and page sections: a list marked
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
