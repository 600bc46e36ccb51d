// Inbox tools: a quick reply or an emoji goes in at the cursor of the draft (never over it), ready to edit and send.
(function () {
  "use strict";

  function insertAtCursor(input, text) {
    var start = typeof input.selectionStart === "number" ? input.selectionStart : input.value.length;
    var end = typeof input.selectionEnd === "number" ? input.selectionEnd : input.value.length;
    var before = input.value.slice(0, start);
    var after = input.value.slice(end);
    input.value = before + text + after;
    var caret = start + text.length;
    input.focus();
    if (typeof input.setSelectionRange === "function") input.setSelectionRange(caret, caret);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.classList || !select.classList.contains("quick-replies") || !select.value) return;
    var input = document.getElementById(select.getAttribute("data-target"));
    if (input) insertAtCursor(input, select.value);
    select.value = "";
  });

  // Buttons take no focus from the draft on mousedown, so the cursor stays where the rep left it.
  document.addEventListener("mousedown", function (event) {
    var button = event.target.closest && event.target.closest("[data-emoji]");
    if (button) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-emoji]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-target"));
    if (input) insertAtCursor(input, button.getAttribute("data-emoji"));
  });
})();
