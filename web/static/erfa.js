// erfa's own script: put an @mention picked from the suggestions into its text area.
// Everything still works without it: the suggestions page shows the @handle to type.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-mention]");
  if (!button) return;
  const area = document.getElementById(button.dataset.target);
  const mention = button.dataset.mention;
  // Only an @handle goes into a post: never anything that looks like an address.
  if (!area || !/^@[a-z0-9.-]{2,30}$/.test(mention)) return;
  const start = area.selectionStart ?? area.value.length;
  const end = area.selectionEnd ?? start;
  const before = start > 0 && !/\s/.test(area.value[start - 1]) ? " " : "";
  area.setRangeText(`${before}${mention} `, start, end, "end");
  area.focus();
  const list = button.closest("[data-suggestions]");
  if (list) list.replaceChildren();
});

document.addEventListener("keydown", (event) => {
  // Enter in the mention search must not send the post it sits beside.
  if (event.key === "Enter" && event.target.matches("input.mention-search")) {
    event.preventDefault();
  }
});
