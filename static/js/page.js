/*
 * page.js: the few behaviours every page may use, as data attributes instead of inline code (the
 * Content-Security-Policy allows no inline scripts, event handlers or style attributes):
 *   form[data-confirm]        ask the question before submitting (chat pages: chat.js asks)
 *   [data-action="print"]     print the page
 *   select[data-navigate]     go to the chosen option's value (a URL)
 *   [data-colour]             a #rrggbb background (tag badges)
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.closest || form.closest("[data-chat-root]")) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-action=print]");
    if (button) window.print();
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-navigate]") && select.value) window.location = select.value;
  });

  function paint() {
    var colour = /^#[0-9a-fA-F]{6}$/;
    document.querySelectorAll("[data-colour]").forEach(function (el) {
      var value = el.getAttribute("data-colour");
      if (colour.test(value)) el.style.backgroundColor = value;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", paint);
  else paint();
})();
