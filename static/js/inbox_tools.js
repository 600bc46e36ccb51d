// Quick replies: choosing one puts its (already personalised) text in the composer to edit and send.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.classList || !select.classList.contains("quick-replies") || !select.value) return;
    var input = document.getElementById(select.getAttribute("data-target"));
    if (input) {
      input.value = select.value;
      input.focus();
    }
    select.value = "";
  });
})();
